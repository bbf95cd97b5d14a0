"""Hostile CSV content (hypothesis): never a non-ClienteleError, every row accounted for, and
quarantine line numbers that match Python's csv module on well-formed files."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientele.errors import ClienteleError
from clientele.store import Store

HEADER = "customer_id,timestamp,amount\n"
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

hostile_text = st.lists(
    st.sampled_from(list("abc019,;\"'\n\r\t -.€$\\é\x00\ufeff") + ["2024-01-01", "12.50", "1,234", '""']),
    max_size=80,
).map("".join)


def _accounted(store, result):
    assert result.loaded + result.already_present + result.quarantined == result.rows_read
    in_table = store.con.execute(
        "SELECT count(*) FROM transactions WHERE load_id = ?", [result.load_id]
    ).fetchone()[0]
    in_quarantine = store.con.execute(
        "SELECT count(*) FROM quarantine WHERE load_id = ?", [result.load_id]
    ).fetchone()[0]
    assert in_table == result.loaded
    assert in_quarantine == result.quarantined  # a fresh store: nothing was quarantined before


@SETTINGS
@given(body=hostile_text)
def test_hostile_text_never_crashes_and_every_row_is_accounted_for(tmp_path, body):
    path = tmp_path / "hostile.csv"
    path.write_bytes((HEADER + body).encode("utf-8"))
    with Store.open(":memory:") as store:
        try:
            result = store.load("transactions", path, source="s")
        except ClienteleError:
            return
        _accounted(store, result)
        again = store.load("transactions", path, source="s")
        assert again.loaded == 0
        assert again.already_present == result.loaded + result.already_present


@SETTINGS
@given(body=st.binary(max_size=300))
def test_hostile_bytes_never_crash(tmp_path, body):
    path = tmp_path / "bytes.csv"
    path.write_bytes(HEADER.encode() + body)
    with Store.open(":memory:") as store:
        try:
            result = store.load("transactions", path, source="s")
        except ClienteleError:
            return
        _accounted(store, result)


GOOD_AMOUNTS = ["12.50", "-3", "1,234.50", "0"]
BAD_AMOUNTS = ["abc", "1,234", "", "12..5"]
GOOD_DATES = ["2024-01-31", "2023-12-01 10:00:00", "20240102"]
BAD_DATES = ["2024-02-30", "tomorrow", "", "2199-01-01"]

record = st.tuples(
    st.text(alphabet=st.sampled_from(list('ab1 ,"\n;é')), max_size=6),
    st.sampled_from(GOOD_DATES + BAD_DATES),
    st.sampled_from(GOOD_AMOUNTS + BAD_AMOUNTS),
    st.booleans(),  # a blank line after the record
)


@SETTINGS
@given(records=st.lists(record, max_size=25), newline=st.sampled_from(["\n", "\r\n"]))
def test_line_numbers_match_the_csv_module(tmp_path, records, newline):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(["customer_id", "timestamp", "amount"])
    for cust, ts, amount, blank in records:
        writer.writerow([cust, ts, amount])
        if blank:
            buf.write(newline)
    text = buf.getvalue()
    path = tmp_path / "wellformed.csv"
    path.write_bytes(text.encode("utf-8"))

    expected_good, expected_bad = set(), set()
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    start = reader.line_num + 1
    for row in reader:
        if row:
            cust, ts, amount = row
            bad = cust.strip(" \t\r\n") == "" or ts in BAD_DATES or amount in BAD_AMOUNTS
            (expected_bad if bad else expected_good).add(start)
        start = reader.line_num + 1

    with Store.open(":memory:") as store:
        result = store.load("transactions", path, source="s")
        _accounted(store, result)
        good = {r[0] for r in store.con.execute("SELECT line FROM transactions").fetchall()}
        bad = {r[0] for r in store.con.execute("SELECT line FROM quarantine").fetchall()}
    assert good == expected_good
    assert bad == expected_bad
