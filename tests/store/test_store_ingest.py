"""Loading good data: every kind, every input form, mapping, keys, returns, conversions."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clientele.store import Store

LIFETIMES_DATA = Path(pytest.importorskip("lifetimes").__file__).parent / "datasets"


@pytest.fixture
def store(store_path):
    with Store.open(store_path) as s:
        yield s


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(store, sql):
    return store.con.execute(sql).fetchall()


TX = (
    "transaction_id,customer_id,timestamp,amount,product_id,category,brand,quantity,channel\n"
    "o1,c1,2024-01-05,19.99,p1,books,acme,1,web\n"
    "o2,c1,2024-02-10 13:45:00,5.00,p2,music,zeta,2,store\n"
    "o3,c2,2024-03-01T08:00:00,-19.99,p1,books,acme,1,web\n"
)


def test_csv_transactions_land_with_types_and_bookkeeping(store, tmp_path):
    path = write(tmp_path, "tx.csv", TX)
    result = store.load("transactions", path, source="shop")
    assert (result.rows_read, result.loaded, result.already_present, result.quarantined) == (3, 3, 0, 0)
    assert result.returns == 1 and result.kind == "transactions" and result.file == str(path)
    got = rows(
        store,
        "SELECT transaction_id, customer_id, timestamp, amount, quantity, is_return, source, line, load_id FROM transactions ORDER BY line",
    )
    assert got == [
        ("o1", "c1", datetime(2024, 1, 5), 19.99, 1, False, "shop", 2, result.load_id),
        ("o2", "c1", datetime(2024, 2, 10, 13, 45), 5.0, 2, False, "shop", 3, result.load_id),
        ("o3", "c2", datetime(2024, 3, 1, 8), -19.99, 1, True, "shop", 4, result.load_id),
    ]
    load = rows(
        store,
        "SELECT kind, source, file, rows_read, loaded, already_present, quarantined, returns FROM loads",
    )
    assert load == [("transactions", "shop", str(path), 3, 3, 0, 0, 1)]


def test_purchases_view_excludes_returns_and_keys_customers_by_source(store, tmp_path):
    store.load("transactions", write(tmp_path, "tx.csv", TX), source="shop")
    store.load("transactions", write(tmp_path, "tx2.csv", TX), source="app")
    got = rows(store, "SELECT customer_key, source, customer_id, amount FROM purchases ORDER BY 1, 4")
    assert got == [
        ("app:c1", "app", "c1", 5.0),
        ("app:c1", "app", "c1", 19.99),
        ("shop:c1", "shop", "c1", 5.0),
        ("shop:c1", "shop", "c1", 19.99),
    ]


def test_reloading_adds_nothing(store, tmp_path):
    path = write(tmp_path, "tx.csv", TX)
    store.load("transactions", path, source="shop")
    before = rows(store, "SELECT * FROM transactions ORDER BY line")
    again = store.load("transactions", path, source="shop")
    assert (again.loaded, again.already_present, again.quarantined, again.rows_read) == (0, 3, 0, 3)
    assert rows(store, "SELECT * FROM transactions ORDER BY line") == before


def test_same_ids_from_another_source_are_different_rows(store, tmp_path):
    path = write(tmp_path, "tx.csv", TX)
    store.load("transactions", path, source="shop")
    other = store.load("transactions", path, source="app")
    assert other.loaded == 3
    assert store.status().rows("transactions") == 6


def test_id_less_identical_rows_both_land_and_reload_adds_nothing(store, tmp_path):
    text = "customer_id,timestamp,amount\nc1,2024-01-01,5\nc1,2024-01-01,5\nc2,2024-01-01,5\n"
    path = write(tmp_path, "tx.csv", text)
    first = store.load("transactions", path, source="pos")
    assert first.loaded == 3
    second = store.load("transactions", path, source="pos")
    assert (second.loaded, second.already_present) == (0, 3)
    # a later export with one more identical purchase adds exactly that one
    bigger = write(tmp_path, "tx_more.csv", text + "c1,2024-01-01,5\n")
    third = store.load("transactions", bigger, source="pos")
    assert (third.loaded, third.already_present) == (1, 3)
    keys = [r[0] for r in rows(store, "SELECT row_key FROM transactions ORDER BY load_id, line")]
    assert len(set(keys)) == 4 and all(k.startswith("#") for k in keys)


def test_changed_row_with_known_id_is_a_conflict(store, tmp_path):
    store.load("transactions", write(tmp_path, "a.csv", TX), source="shop")
    changed = TX.replace("o2,c1,2024-02-10 13:45:00,5.00", "o2,c1,2024-02-10 13:45:00,6.00")
    result = store.load("transactions", write(tmp_path, "b.csv", changed), source="shop")
    assert (result.loaded, result.already_present, result.quarantined) == (0, 2, 1)
    q = store.quarantine("transactions")
    assert q["line"].tolist() == [3]
    reason = q["reason"].iloc[0]
    assert "transaction_id 'o2' is already in the store" in reason
    assert "amount: the store has 5.0, this line has 6.0" in reason
    assert json.loads(q["raw"].iloc[0])["amount"] == "6.00"
    assert rows(store, "SELECT amount FROM transactions WHERE transaction_id = 'o2'") == [(5.0,)]


@pytest.mark.parametrize("form", ["pandas", "polars", "pyarrow", "parquet"])
def test_frames_and_parquet(store, tmp_path, form):
    frame = pd.DataFrame(
        {
            "transaction_id": ["a", "b", "c"],
            "customer_id": [1, 2, 3],  # integers become '1', '2', '3'
            "timestamp": pd.to_datetime(["2024-01-01 00:00", "2024-01-02 10:00", "2024-01-03 00:00"]),
            "amount": [10.0, float("nan"), -1.5],
            "quantity": [1, 2, 3],
        }
    )
    data = {
        "pandas": lambda: frame,
        "polars": lambda: pl.from_pandas(frame),
        "pyarrow": lambda: pa.Table.from_pandas(frame, preserve_index=False),
        "parquet": lambda: _parquet(tmp_path, frame),
    }[form]()
    result = store.load("transactions", data, source="erp")
    assert (result.rows_read, result.loaded, result.quarantined, result.returns) == (3, 2, 1, 1)
    got = rows(store, "SELECT customer_id, timestamp, amount, line FROM transactions ORDER BY line")
    assert got == [("1", datetime(2024, 1, 1), 10.0, 1), ("3", datetime(2024, 1, 3), -1.5, 3)]
    q = store.quarantine()
    assert q["line"].tolist() == [2] and q["reason"].tolist() == ["amount is missing"]


def _parquet(tmp_path, frame):
    path = tmp_path / "tx.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path


def test_pandas_float_ids_and_mixed_object_columns(store):
    frame = pd.DataFrame(
        {
            "customer_id": [1.0, 2.0, None],
            "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
            "amount": [1, "2.5", "abc"],  # mixed object column
        }
    )
    result = store.load("transactions", frame, source="pos")
    assert (result.loaded, result.quarantined) == (2, 1)
    assert rows(store, "SELECT customer_id, amount FROM transactions ORDER BY line") == [
        ("1", 1.0),
        ("2", 2.5),
    ]
    assert (
        store.quarantine()["reason"]
        .iloc[0]
        .startswith("customer_id is missing; amount: 'abc' is not a number")
    )


def test_column_map_case_insensitive_headers_and_extras(store, tmp_path):
    text = "Order Date,cust,Amount,Note\n2024-05-01,c7,3.50,gift\n"
    result = store.load(
        "transactions",
        write(tmp_path, "x.csv", text),
        source="shop",
        columns={"Order Date": "timestamp", "cust": "customer_id"},
    )
    assert result.loaded == 1
    got = rows(store, "SELECT customer_id, timestamp, amount, extra FROM transactions")
    assert got[0][:3] == ("c7", datetime(2024, 5, 1), 3.5)
    assert json.loads(got[0][3]) == {"Note": "gift"}


def test_semicolon_file_with_decimal_comma(store, tmp_path):
    text = "customer_id;timestamp;amount\nc1;2024-01-01;1.234,50\nc2;2024-01-02;12,5\nc3;2024-01-03;1,234\n"
    result = store.load("transactions", write(tmp_path, "eu.csv", text), source="eu", decimal=",")
    assert result.loaded == 3
    assert [r[0] for r in rows(store, "SELECT amount FROM transactions ORDER BY line")] == [
        1234.5,
        12.5,
        1.234,
    ]


@pytest.mark.parametrize(
    "text, decimal, expected",
    [
        ("1234.50", None, 1234.5),
        ("1,234.50", None, 1234.5),
        ("1.234,50", None, 1234.5),
        ("1,234,567", None, 1234567.0),
        ("1.234.567", None, 1234567.0),
        ("12,5", None, 12.5),
        ("-12.00", None, -12.0),
        ("+3", None, 3.0),
        (".5", None, 0.5),
        ("$12.50", None, 12.5),
        ("-€3", None, -3.0),
        ("12.50 €", None, 12.5),
        (" 7 ", None, 7.0),
        ("1,234", ".", 1234.0),
        ("1,234", ",", 1.234),
        ("1 234,5", ",", 1234.5),
        ("1,234", None, "ambiguous"),
        ("12,5", ".", "not a number"),
        ("abc", None, "not a number"),
        ("nan", None, "not a number"),
        ("inf", None, "not a number"),
        ("1e5", None, "not a number"),
        ("12.5.3", None, "not a number"),
        ("--1", None, "not a number"),
    ],
)
def test_amount_parsing(store, tmp_path, text, decimal, expected):
    frame = pd.DataFrame({"customer_id": ["c"], "timestamp": ["2024-01-01"], "amount": [text]})
    result = store.load("transactions", frame, source="s", decimal=decimal)
    if isinstance(expected, float):
        assert result.loaded == 1
        assert rows(store, "SELECT amount FROM transactions") == [(pytest.approx(expected),)]
    else:
        assert result.quarantined == 1
        assert expected in store.quarantine()["reason"].iloc[0]


@pytest.mark.parametrize(
    "text, date_format, expected",
    [
        ("2024-03-31", None, datetime(2024, 3, 31)),
        ("2024-3-5", None, datetime(2024, 3, 5)),
        ("2024-03-31 14:05", None, datetime(2024, 3, 31, 14, 5)),
        ("2024-03-31T14:05:06.5", None, datetime(2024, 3, 31, 14, 5, 6, 500000)),
        ("2024-03-31T14:05:00+02:00", None, datetime(2024, 3, 31, 12, 5)),
        ("2024-03-31 23:30:00Z", None, datetime(2024, 3, 31, 23, 30)),
        ("20240331", None, datetime(2024, 3, 31)),
        ("31/03/2024", "%d/%m/%Y", datetime(2024, 3, 31)),
        ("31/03/2024", None, "not a date"),
        ("2024-02-30", None, "not a date"),
        ("infinity", None, "not a date"),
        ("yesterday", None, "not a date"),
        ("2099-01-01", None, "in the future"),
        ("1850-01-01", None, "before 1900"),
    ],
)
def test_timestamp_parsing(store, text, date_format, expected):
    frame = pd.DataFrame({"customer_id": ["c"], "timestamp": [text], "amount": ["1"]})
    result = store.load("transactions", frame, source="s", date_format=date_format)
    if isinstance(expected, datetime):
        assert result.loaded == 1
        assert rows(store, "SELECT timestamp FROM transactions") == [(expected,)]
    else:
        assert result.quarantined == 1
        assert expected in store.quarantine()["reason"].iloc[0]


def test_today_is_not_the_future(store):
    now = datetime.utcnow().replace(microsecond=0)
    frame = pd.DataFrame({"customer_id": ["c"], "timestamp": [now.isoformat(sep=" ")], "amount": ["1"]})
    assert store.load("transactions", frame, source="s").loaded == 1


def test_other_kinds(store, tmp_path):
    customers = write(
        tmp_path,
        "c.csv",
        "customer_id,name,email,phone,city,signup_date,acquisition_channel\n"
        "00001,Ann,ann@example.com,+1 555,Oslo,2023-05-01,referral\n"
        "00002,Bob,not-an-email,,Rome,2023-06-01,ads\n",
    )
    r = store.load("customers", customers, source="crm")
    assert (r.loaded, r.quarantined) == (1, 1)
    assert rows(store, "SELECT customer_id, signup_date FROM customers") == [("00001", date(2023, 5, 1))]
    assert "email: 'not-an-email' is not an e-mail address" in store.quarantine("customers")["reason"].iloc[0]

    r = store.load(
        "products", pd.DataFrame({"product_id": ["p1", "p2"], "category": ["x", None]}), source="erp"
    )
    assert r.loaded == 2

    interactions = pd.DataFrame(
        {
            "customer_id": ["1", "1", "2"],
            "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
            "channel": ["phone", "chat", "mail"],
            "resolved": ["yes", "N", "maybe"],
        }
    )
    r = store.load("interactions", interactions, source="desk")
    assert (r.loaded, r.quarantined) == (2, 1)
    assert rows(store, "SELECT resolved FROM interactions ORDER BY line") == [(True,), (False,)]

    surveys = pd.DataFrame(
        {
            "customer_id": ["1", "2", "3", "4"],
            "timestamp": ["2024-01-01"] * 4,
            "nps": ["10", "0", "11", "7.5"],
        }
    )
    r = store.load("surveys", surveys, source="survey")
    assert (r.loaded, r.quarantined) == (2, 2)
    reasons = store.quarantine("surveys")["reason"].tolist()
    assert reasons == ["nps: '11' is outside 0-10", "nps: '7.5' is not a whole number from 0 to 10"]

    referrals = pd.DataFrame({"referrer_id": ["1", "2"], "referee_id": ["3", "2"]})
    r = store.load("referrals", referrals, source="crm")
    assert (r.loaded, r.quarantined) == (1, 1)
    assert "same customer" in store.quarantine("referrals")["reason"].iloc[0]

    status = store.status()
    assert status.rows("customers") == 1 and status.rows("surveys", "survey") == 2
    assert status.quarantined() == 5 and status.quarantined("surveys") == 2
    first = next(t for t in status.tables if t.table == "customers")
    assert (first.first, first.last) == (date(2023, 5, 1), date(2023, 5, 1))


def test_customer_reload_with_changed_email_is_a_conflict(store):
    store.load("customers", pd.DataFrame({"customer_id": ["1"], "email": ["a@x.com"]}), source="crm")
    r = store.load("customers", pd.DataFrame({"customer_id": ["1"], "email": ["b@x.com"]}), source="crm")
    assert r.quarantined == 1
    assert "customer_id '1' is already in the store" in store.quarantine()["reason"].iloc[0]


def test_cdnow_master_loads_completely():
    """The CDNOW sample (Fader & Hardie's benchmark data): every row lands, ids keep zeros."""
    frame = pd.read_csv(LIFETIMES_DATA / "CDNOW_master.txt", sep=r"\s+", dtype=str)
    expected_total = frame["dollar_value"].astype(float).sum()
    with Store.open(":memory:") as store:
        r = store.load(
            "transactions",
            frame,
            source="cdnow",
            columns={"date": "timestamp", "dollar_value": "amount", "number_of_cds": "quantity"},
        )
        assert (r.rows_read, r.loaded, r.quarantined) == (len(frame), len(frame), 0)
        # identical rows (same customer, day, cds, value) are distinct purchases and all land
        total, customers, first, last = store.con.execute(
            "SELECT sum(amount), count(DISTINCT customer_id), min(timestamp), max(timestamp) FROM transactions"
        ).fetchone()
    assert total == pytest.approx(expected_total)
    assert customers == 23570
    assert (first, last) == (datetime(1997, 1, 1), datetime(1998, 6, 30))


def test_quarantine_frame_columns(store):
    store.load(
        "transactions",
        pd.DataFrame({"customer_id": [""], "timestamp": ["x"], "amount": ["1"]}),
        source="s",
        file_label="export 7",
    )
    q = store.quarantine()
    assert list(q.columns) == ["load_id", "kind", "source", "file", "line", "reason", "raw", "quarantined_at"]
    assert q["file"].tolist() == ["export 7"]
    assert q["reason"].iloc[0].startswith("customer_id is missing; timestamp: 'x' is not a date")
