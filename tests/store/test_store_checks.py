"""The row checks in their fast forms agree with their plain meaning: trimming, missing values,
and the filter that picks the rows to quarantine straight from a typed input."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientele.store import Store, ingest, parsing

BLANKS = " \t\n\r"

text_values = st.one_of(
    st.none(),
    st.text(
        alphabet=st.sampled_from(list(BLANKS) + ["a", "é", "\x00", "\x01", "\x1f", "!", "€", "😀"]),
        max_size=6,
    ),
)


@settings(max_examples=200, deadline=None)
@given(value=text_values)
def test_text_clean_present_and_absent_match_python(value):
    """clean = the value without surrounding blanks (NULL when nothing is left); present and
    absent are exactly 'clean is not NULL' and its negation, never NULL themselves."""
    src = "v"
    sql = (
        f"SELECT {parsing.clean_expr('id', src, 'VARCHAR')}, {parsing.present_expr('id', src, 'VARCHAR')}, "
        f"{parsing.absent_expr('id', src, 'VARCHAR')} FROM (SELECT CAST(? AS VARCHAR) AS v)"
    )
    with duckdb.connect() as con:  # not the module's default connection, shared by other tests
        ((clean, present, absent),) = con.execute(sql, [value]).fetchall()
    expected = None if value is None else (value.strip(BLANKS) or None)
    assert clean == expected
    assert present is (expected is not None)
    assert absent is (expected is None)


def _typed_rows() -> pa.Table:
    """Every check of a transaction failing once, on typed (Parquet) columns, between good rows."""
    ts = datetime(2024, 1, 1)
    rows = [
        ("t1", "c1", ts, 10.0, 1),  # good
        (None, None, ts, 1.0, 1),  # customer_id missing
        ("t3", "   ", ts, 1.0, 1),  # customer_id blank
        ("t4", "c4", None, 1.0, 1),  # timestamp missing
        ("t5", "c5", datetime(2199, 1, 1), 1.0, 1),  # future
        ("t6", "c6", datetime(1850, 1, 1), 1.0, 1),  # before 1900
        ("t7", "c7", ts, None, 1),  # amount missing
        ("t8", "c8", ts, float("inf"), 1),  # not finite
        ("t9", " c9\t", ts, -2.5, None),  # good (trimmed id, no quantity)
        ("t10", None, datetime(2199, 1, 1), float("-inf"), 2),  # three problems at once
    ]
    names = ["transaction_id", "customer_id", "timestamp", "amount", "quantity"]
    return pa.Table.from_pylist([dict(zip(names, r)) for r in rows])


def _quarantine(store):
    return store.con.execute("SELECT line, reason, raw FROM quarantine ORDER BY line").fetchall()


def test_quarantine_filtered_at_the_input_matches_the_checked_view(tmp_path, monkeypatch):
    path = tmp_path / "typed.parquet"
    pq.write_table(_typed_rows(), path)

    used = []
    original = ingest._Loader._bad_on_input
    monkeypatch.setattr(
        ingest._Loader, "_bad_on_input", lambda self: used.append(original(self)) or used[-1]
    )
    with Store.open(tmp_path / "fast.duckdb") as store:
        fast = store.load("transactions", path, source="s")
        fast_rows = _quarantine(store)
    assert used and used[0] is not None  # the fast path was taken

    monkeypatch.setattr(ingest._Loader, "_bad_on_input", lambda self: None)
    with Store.open(tmp_path / "plain.duckdb") as store:
        plain = store.load("transactions", path, source="s")
        plain_rows = _quarantine(store)

    assert (fast.loaded, fast.quarantined) == (plain.loaded, plain.quarantined) == (2, 8)
    assert fast_rows == plain_rows
    assert [r[0] for r in fast_rows] == [2, 3, 4, 5, 6, 7, 8, 10]
    reasons = dict((line, reason) for line, reason, _ in fast_rows)
    assert reasons[3] == "customer_id is missing"
    assert "is in the future" in reasons[5] and "before 1900" in reasons[6]
    assert reasons[8] == "amount: 'inf' is not a finite number"
    assert reasons[10].count(";") == 2  # missing id, future date, infinite amount


@pytest.mark.parametrize("form", ["csv", "parquet with whole-number dates"])
def test_input_that_needs_parsing_is_filtered_on_the_checked_view(tmp_path, form):
    """Inlining a value parsed from text would repeat the parsing many times per row: not done."""
    if form == "csv":
        path = tmp_path / "tx.csv"
        path.write_text("customer_id,timestamp,amount\nc1,2024-01-01,1\nc2,tomorrow,2\n", encoding="utf-8")
        shown = "tomorrow"
    else:
        path = tmp_path / "tx.parquet"
        table = pa.table({"customer_id": ["c1", "c2"], "timestamp": [20240101, 99], "amount": [1.0, 2.0]})
        pq.write_table(table, path)
        shown = "'99' is not a date"
    seen = []
    original = ingest._Loader._bad_on_input

    def spy(self):
        seen.append(original(self))
        return seen[-1]

    with pytest.MonkeyPatch.context() as mp, Store.open(":memory:") as store:
        mp.setattr(ingest._Loader, "_bad_on_input", spy)
        result = store.load("transactions", path, source="s")
        assert (result.loaded, result.quarantined) == (1, 1)
        assert shown in _quarantine(store)[0][1]
    assert seen == [None]


def test_self_referral_is_quarantined_from_typed_input_after_trimming(tmp_path):
    path = tmp_path / "ref.parquet"
    pq.write_table(
        pa.table({"referrer_id": ["c1", " c2 ", "c3"], "referee_id": ["c9", "c2", None]}), path
    )
    with Store.open(":memory:") as store:
        result = store.load("referrals", path, source="s")
        got = [(line, reason) for line, reason, _ in _quarantine(store)]
    assert (result.loaded, result.quarantined) == (1, 2)
    assert got == [
        (2, "referrer_id and referee_id are the same customer (c2)"),
        (3, "referee_id is missing"),
    ]



class _Recorder:
    """A loader's connection that keeps the SQL it was asked to run."""

    def __init__(self, con, statements):
        self._con, self._statements = con, statements

    def execute(self, query, *args):
        self._statements.append(query)
        return self._con.execute(query, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def _bad_row_scans(monkeypatch) -> list[str]:
    """The statements of every load from now on that scan the input for failing rows."""
    statements: list[str] = []
    original = ingest._Loader.__init__

    def init(self, con, *args, **kwargs):
        original(self, _Recorder(con, statements), *args, **kwargs)

    monkeypatch.setattr(ingest._Loader, "__init__", init)
    return statements


def test_a_clean_input_is_not_scanned_for_failing_rows(tmp_path, monkeypatch):
    """When the good rows account for every row read, the scan for failing rows is skipped;
    conflicts and lines the CSV reader rejects are quarantined all the same."""
    clean = tmp_path / "clean.csv"
    clean.write_text("transaction_id,customer_id,timestamp,amount\nt1,c1,2024-01-01,1\nt2,c2,2024-01-02,2\n")
    changed = tmp_path / "changed.csv"
    changed.write_text(
        "transaction_id,customer_id,timestamp,amount\nt1,c1,2024-01-01,1\nt2,c2,2024-01-02,5\n"
        "t3,c3,2024-01-03,3,extra\n"
    )
    bad = tmp_path / "bad.parquet"
    pq.write_table(_typed_rows(), bad)

    def scans():
        return [q for q in statements if "WHERE __bad" in q]

    statements = _bad_row_scans(monkeypatch)
    with Store.open(tmp_path / "s.duckdb") as store:
        first = store.load("transactions", clean, source="s")
        second = store.load("transactions", changed, source="s")
        assert scans() == []
        rows = _quarantine(store)
        third = store.load("transactions", bad, source="t")
        assert len(scans()) == 1
    assert (first.loaded, first.quarantined) == (2, 0)
    assert (second.loaded, second.already_present, second.quarantined) == (0, 1, 2)
    assert [line for line, _, _ in rows] == [3, 4]
    assert rows[0][1].startswith("transaction_id 't2' is already in the store")
    assert "t3,c3,2024-01-03,3,extra" in rows[1][2]
    assert (third.loaded, third.quarantined) == (2, 8)


amount_texts = st.text(alphabet=st.sampled_from(list("0123456789.,+- $€e")), max_size=10)


@settings(max_examples=300, deadline=None)
@given(text=amount_texts, decimal=st.sampled_from([None, "."]))
def test_the_plain_amount_shortcut_changes_no_value(text, decimal):
    """Amounts that are plain numbers skip the currency stripping; every text gets the value (or
    NULL) it gets without that shortcut."""
    fast = parsing._amount_text("v", decimal)
    shortcut = fast[len("(CASE ") : fast.index(" WHEN ", len("(CASE ")) + 1]
    assert shortcut.startswith("WHEN regexp_full_match(v, ") and shortcut.endswith("THEN v ")
    slow = fast.replace(shortcut, "", 1)
    with duckdb.connect() as con:
        got, expected = con.execute(
            f"SELECT TRY_CAST({fast} AS DOUBLE), TRY_CAST({slow} AS DOUBLE) FROM (SELECT CAST(? AS VARCHAR) AS v)",
            [text],
        ).fetchone()
    assert got == expected or (got != got and expected != expected)  # equal, or both NaN
