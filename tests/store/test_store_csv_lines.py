"""Line numbers of a CSV large enough for DuckDB to read on several threads."""

from __future__ import annotations

import pytest

from clientele.store import Store, sources

ROWS = 400_000  # ~40 MB: more than one of DuckDB's CSV buffers, so the read runs in parallel
BAD_EVERY = 49_999


def _write(path, blank_at: int) -> list[int]:
    """The CSV, and the physical lines of its rows whose amount is not a number."""
    bad_lines, lines = [], ["transaction_id,customer_id,timestamp,amount,note"]
    pad = "x" * 60
    for i in range(1, ROWS + 1):
        if i == blank_at:
            lines.append("")
        amount = "n/a" if i % BAD_EVERY == 0 else f"{i % 997}.5"
        lines.append(f"T{i},C{i % 5000},2024-01-{1 + i % 28:02d},{amount},{pad}")
        if i % BAD_EVERY == 0:
            bad_lines.append(len(lines))
    path.write_text("\n".join(lines) + "\n")
    return bad_lines


@pytest.mark.parametrize("numbering", ["rowid", "row_number"])
def test_lines_of_a_csv_read_in_parallel(tmp_path, monkeypatch, numbering):
    if numbering == "row_number":
        monkeypatch.setattr(sources, "_record_number", lambda first, last, count: "row_number() OVER ()")
    path = tmp_path / "big.csv"
    expected = _write(path, blank_at=ROWS // 2)
    with Store.open(tmp_path / "s.duckdb") as store:
        result = store.load("transactions", path, source="shop")
        got = [int(v) for v in store.quarantine()["line"]]
        # every stored row knows its line: the row with id T<i> sits on line i + 1 (+1 past the blank)
        off = store.con.execute(
            "SELECT count(*) FROM transactions WHERE line <> CAST(substr(transaction_id, 2) AS BIGINT) + 1 "
            f"+ CASE WHEN CAST(substr(transaction_id, 2) AS BIGINT) >= {ROWS // 2} THEN 1 ELSE 0 END"
        ).fetchone()[0]
    assert (result.loaded, result.quarantined) == (ROWS - len(expected), len(expected))
    assert got == expected
    assert off == 0


def test_record_number_uses_consecutive_rowids_only():
    assert sources._record_number(None, None, 0) == "rowid"
    assert sources._record_number(100, 199, 100) == "rowid - 99"
    assert sources._record_number(100, 250, 100) == "row_number() OVER ()"
