"""Bad input: whole-file errors are one clear InputError; row problems are quarantined exactly."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import zipfile

import pandas as pd
import pytest

from clientele.errors import ClienteleError, InputError
from clientele.store import Store, ingest

HEADER = "transaction_id,customer_id,timestamp,amount\n"


@pytest.fixture
def store(store_path):
    with Store.open(store_path) as s:
        yield s


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if mode == "w":
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def snapshot(store):
    tables = [
        "customers",
        "products",
        "transactions",
        "interactions",
        "surveys",
        "referrals",
        "loads",
        "quarantine",
    ]
    return {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


def test_empty_file(store, tmp_path):
    with pytest.raises(InputError, match=r"empty\.csv: is empty; expected a header line"):
        store.load("transactions", write(tmp_path, "empty.csv", ""), source="s")
    with pytest.raises(InputError, match="is empty"):
        store.load("transactions", write(tmp_path, "blank.csv", "\n\n  \n"), source="s")
    assert store.status().loads == 0


def test_header_only_file_loads_nothing(store, tmp_path):
    result = store.load("transactions", write(tmp_path, "h.csv", HEADER), source="s")
    assert (result.rows_read, result.loaded, result.quarantined) == (0, 0, 0)
    assert store.status().loads == 1


def test_header_only_file_still_needs_the_required_columns(store, tmp_path):
    with pytest.raises(InputError, match=r"missing required column\(s\) 'amount' for transactions"):
        store.load("transactions", write(tmp_path, "h.csv", "customer_id,timestamp\n"), source="s")


def test_semicolon_file_is_detected(store, tmp_path):
    path = write(tmp_path, "semi.csv", "customer_id;timestamp;amount\nc1;2024-01-01;5\n")
    assert store.load("transactions", path, source="s").loaded == 1


def test_wrong_declared_delimiter_says_which_one_it_is(store, tmp_path):
    path = write(tmp_path, "semi.csv", "customer_id;timestamp;amount\nc1;2024-01-01;5\n")
    with pytest.raises(InputError) as err:
        store.load("transactions", path, source="s", delimiter=",")
    assert str(err.value) == (
        f"{path}: found one column 'customer_id;timestamp;amount' - is the delimiter ';'? (pass --delimiter ';')"
    )


def test_non_utf8_bytes(store, tmp_path):
    content = (HEADER + "o1,c1,2024-01-01,5\no2,Jos\xe9,2024-01-01,5\n").encode("latin-1")
    path = write(tmp_path, "latin.csv", content, mode="b")
    with pytest.raises(InputError, match=r"latin\.csv: is not valid UTF-8 text \(re-save the file as UTF-8"):
        store.load("transactions", path, source="s")
    assert store.status().loads == 0
    result = store.load("transactions", path, source="s", encoding="latin-1")
    assert result.loaded == 2
    assert store.con.execute("SELECT customer_id FROM transactions ORDER BY line").fetchall() == [
        ("c1",),
        ("José",),
    ]


def test_non_utf8_header(store, tmp_path):
    path = write(tmp_path, "bad.csv", b"customer_id,timestamp,am\xffount\n", mode="b")
    with pytest.raises(
        InputError, match=r"bad\.csv, line 1: is not valid UTF-8 text \(byte b'\\xff' in the header\)"
    ):
        store.load("transactions", path, source="s")


def test_wrong_formats(store, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("sheet.xml", "<x/>")
    with pytest.raises(InputError, match="zip archive .* export the sheet as CSV"):
        store.load("transactions", write(tmp_path, "book.xlsx", buf.getvalue(), mode="b"), source="s")
    with pytest.raises(InputError, match="named like a Parquet file but does not start like one"):
        store.load("transactions", write(tmp_path, "t.parquet", HEADER), source="s")
    with pytest.raises(InputError, match="cannot be read as Parquet"):
        store.load("transactions", write(tmp_path, "t2.parquet", b"PAR1garbage", mode="b"), source="s")
    with pytest.raises(InputError, match="no such file"):
        store.load("transactions", tmp_path / "missing.csv", source="s")
    (tmp_path / "exports").mkdir()
    with pytest.raises(InputError, match=r"exports: is a folder; .*load its files, e.g. clientele load KIND .*exports/\*\.parquet"):
        store.load("transactions", tmp_path / "exports", source="s")
    with pytest.raises(InputError, match="cannot load a list"):
        store.load("transactions", [1, 2], source="s")
    with pytest.raises(InputError, match="unknown kind 'orders'"):
        store.load("orders", tmp_path / "missing.csv", source="s")
    with pytest.raises(InputError, match="a source name is"):
        store.load("transactions", tmp_path / "missing.csv", source="my shop!")
    with pytest.raises(InputError, match="decimal separator must be"):
        store.load("transactions", tmp_path / "missing.csv", source="s", decimal=";")
    assert store.status().loads == 0


def test_gzip_csv(store, tmp_path):
    path = write(tmp_path, "t.csv.gz", gzip.compress((HEADER + "o1,c1,2024-01-01,5\n").encode()), mode="b")
    assert store.load("transactions", path, source="s").loaded == 1


def test_future_dates_amounts_and_duplicates(store, tmp_path):
    text = (
        HEADER
        + (
            "o1,c1,2099-01-01,5\n"  # 2 future
            'o2,c1,2024-01-01,"1,234.50"\n'  # 3 ok
            "o3,c1,2024-01-01,abc\n"  # 4 not a number
            "o4,c1,2024-01-01,5\n"  # 5 ok
            "o4,c1,2024-01-01,5\n"  # 6 duplicate: already present
            "o4,c1,2024-01-01,6\n"  # 7 conflicting duplicate
            ",c2,2024-01-01,5\n"  # 8 id-less
            ",c2,2024-01-01,5\n"  # 9 identical id-less purchase: also lands
        )
    )
    result = store.load("transactions", write(tmp_path, "t.csv", text), source="s")
    assert (result.rows_read, result.loaded, result.already_present, result.quarantined) == (8, 4, 1, 3)
    q = store.quarantine()
    assert q["line"].tolist() == [2, 4, 7]
    assert "in the future" in q["reason"][0]
    assert (
        q["reason"][1]
        == "amount: 'abc' is not a number (expected a number such as 1234.50, -12.00 or 1,234.50)"
    )
    assert q["reason"][2] == (
        "transaction_id 'o4' is also on line 5 with different values "
        "(amount: line 5 has 5.0, this line has 6.0)"
    )
    assert store.con.execute("SELECT amount FROM transactions WHERE transaction_id = 'o2'").fetchone() == (
        1234.5,
    )


def test_ten_thousand_rows_with_one_percent_bad(store, tmp_path):
    rng = random.Random(7)
    bad_lines = set(rng.sample(range(2, 10_002), 100))
    breakers = [
        lambda r: r | {"amount": "abc"},
        lambda r: r | {"customer_id": ""},
        lambda r: r | {"timestamp": "2024-13-45"},
        lambda r: r | {"timestamp": "2199-01-01"},
        lambda r: r | {"amount": "1,234"},
    ]
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, ["transaction_id", "customer_id", "timestamp", "amount"], lineterminator="\n"
    )
    writer.writeheader()
    for line in range(2, 10_002):
        row = {
            "transaction_id": f"T{line}",
            "customer_id": f"C{rng.randrange(500)}",
            "timestamp": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "amount": f"{rng.uniform(-5, 100):.2f}",
        }
        if line in bad_lines:
            row = rng.choice(breakers)(row)
        writer.writerow(row)
    path = write(tmp_path, "big.csv", buf.getvalue())
    result = store.load("transactions", path, source="s")
    assert (result.rows_read, result.loaded, result.quarantined) == (10_000, 9_900, 100)
    q = store.quarantine()
    assert set(q["line"]) == bad_lines
    raw = {json.loads(r)["transaction_id"] for r in q["raw"]}
    assert raw == {f"T{line}" for line in bad_lines}
    loaded_lines = {r[0] for r in store.con.execute("SELECT line FROM transactions").fetchall()}
    assert loaded_lines == set(range(2, 10_002)) - bad_lines


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()])
@pytest.mark.parametrize("step", ["_insert_rows", "_quarantine", "_finish"])
def test_error_mid_load_leaves_the_store_unchanged(store, tmp_path, monkeypatch, exc, step):
    store.load("transactions", write(tmp_path, "a.csv", HEADER + "o1,c1,2024-01-01,5\n"), source="s")
    before = snapshot(store)
    original = getattr(ingest._Loader, step)

    def failing(self, *args):
        original(self, *args)  # the step's writes happen, then the failure
        raise exc

    monkeypatch.setattr(ingest._Loader, step, failing)
    path = write(tmp_path, "b.csv", HEADER + "o2,c1,2024-01-01,5\no3,,2024-01-01,5\no1,c1,2024-01-01,6\n")
    with pytest.raises(type(exc)):
        store.load("transactions", path, source="s")
    assert snapshot(store) == before
    monkeypatch.undo()
    # the store still works: the same load now succeeds
    result = store.load("transactions", path, source="s")
    assert (result.loaded, result.quarantined) == (1, 2)


def test_same_file_twice_adds_nothing_anywhere(store, tmp_path):
    text = HEADER + "o1,c1,2024-01-01,5\no2,c1,2024-01-01,abc\n,c3,2024-01-01,5\n,c3,2024-01-01,5\n"
    path = write(tmp_path, "t.csv", text)
    first = store.load("transactions", path, source="s")
    before = snapshot(store)
    second = store.load("transactions", path, source="s")
    assert (first.loaded, first.quarantined) == (3, 1)
    assert (second.loaded, second.already_present, second.quarantined) == (0, 3, 1)
    after = snapshot(store)
    for table in before:
        if table != "loads":
            assert after[table] == before[table], table
    assert len(after["loads"]) == 2  # the second load is recorded, with its counts


def test_malformed_lines_are_quarantined_with_their_line(store, tmp_path):
    text = (
        HEADER
        + "o1,c1,2024-01-01,5\n"  # 2
        + "o2,c1,2024-01-01\n"  # 3 too few fields
        + "\n"  # 4 blank line: not a row
        + 'o3,"c\nx",2024-01-01,5\n'  # 5-6 a value spanning two lines
        + "o4,c1,2024-01-01,5,extra\n"  # 7 too many fields
        + "o5,c1,2024-01-01,nope\n"  # 8 bad amount
    )
    result = store.load("transactions", write(tmp_path, "m.csv", text), source="s")
    assert (result.rows_read, result.loaded, result.quarantined) == (5, 2, 3)
    q = store.quarantine()
    assert q["line"].tolist() == [3, 7, 8]
    assert q["reason"][0] == "the line has 3 fields but the header has 4 (check quoting and the delimiter)"
    assert json.loads(q["raw"][0]) == {"line": "o2,c1,2024-01-01"}
    assert store.con.execute("SELECT line, customer_id FROM transactions ORDER BY line").fetchall() == [
        (2, "c1"),
        (5, "c\nx"),
    ]


def test_missing_required_column_names_the_fix(store, tmp_path):
    path = write(tmp_path, "t.csv", "cust,order_date,amount\nc1,2024-01-01,5\n")
    with pytest.raises(InputError) as err:
        store.load("transactions", path, source="s")
    assert str(err.value) == (
        f"{path}: missing required column(s) 'customer_id', 'timestamp' for transactions; found: 'cust', "
        "'order_date', 'amount' (map yours, e.g. --map \"yourname=customer_id\")"
    )
    ok = store.load(
        "transactions", path, source="s", columns={"cust": "customer_id", "order_date": "timestamp"}
    )
    assert ok.loaded == 1
    with pytest.raises(InputError, match="the column map names a column the input does not have"):
        store.load("transactions", path, source="s", columns={"nope": "customer_id"})


def test_every_error_is_a_clientele_error(store, tmp_path):
    for content in [b"\x00\x01\x02\x03", b"\xff\xfe\x00\x00garbage", b'"unterminated\n']:
        path = write(tmp_path, "x.csv", content, mode="b")
        try:
            store.load("transactions", path, source="s")
        except ClienteleError:
            pass


def test_frame_without_rows(store):
    frame = pd.DataFrame({"customer_id": [], "timestamp": [], "amount": []})
    assert store.load("transactions", frame, source="s").rows_read == 0


def test_utf16_and_byte_order_marks(store, tmp_path):
    text = HEADER + "o1,c1,2024-01-01,5\n"
    path16 = write(tmp_path, "u16.csv", text.encode("utf-16"), mode="b")
    assert store.load("transactions", path16, source="a", encoding="utf-16").loaded == 1
    bom = write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + text.encode(), mode="b")
    assert store.load("transactions", bom, source="b").loaded == 1  # BOM is not part of the header


def test_crlf_and_tab_files(store, tmp_path):
    crlf = write(
        tmp_path,
        "crlf.csv",
        (HEADER + "o1,c1,2024-01-01,5\n\no2,c1,2024-01-01,x\n").replace("\n", "\r\n").encode(),
        mode="b",
    )
    result = store.load("transactions", crlf, source="a")
    assert (result.loaded, result.quarantined) == (1, 1)
    assert store.quarantine()["line"].tolist() == [4]
    tab = write(tmp_path, "t.tsv", HEADER.replace(",", "\t") + "o1\tc1\t2024-01-01\t5\n")
    assert store.load("transactions", tab, source="b").loaded == 1


def test_blank_identifiers_are_missing(store, tmp_path):
    path = write(
        tmp_path, "t.csv", HEADER + 'o1,"  ",2024-01-01,5\no2,"\t",2024-01-01,5\no3, c9 ,2024-01-01,5\n'
    )
    result = store.load("transactions", path, source="s")
    assert (result.loaded, result.quarantined) == (1, 2)
    assert store.con.execute("SELECT customer_id FROM transactions").fetchall() == [("c9",)]
