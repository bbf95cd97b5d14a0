"""The `load` and `status` commands."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from clientele import cli
from clientele.store.migrations import latest_version

runner = CliRunner()

TX = "order_date,cust,amount\n2024-01-01,c1,5\n2024-01-02,c1,abc\n2024-01-03,c2,-2\n"


@pytest.fixture
def tx_file(tmp_path):
    path = tmp_path / "tx.csv"
    path.write_text(TX)
    return path


def invoke(*args):
    result = runner.invoke(cli.app, list(args), catch_exceptions=False)
    return result


def test_load_prints_counts_and_status_shows_the_store(store_path, tx_file):
    args = [
        "--store",
        str(store_path),
        "load",
        "transactions",
        str(tx_file),
        "--source",
        "shop",
        "--map",
        "order_date=timestamp",
        "--map",
        "cust=customer_id",
    ]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "rows read" in result.output and "quarantined" in result.output
    assert "1 rows quarantined" in result.output

    again = invoke(*args, "--json")
    assert again.exit_code == 0
    assert json.loads(again.output) == {
        "kind": "transactions",
        "source": "shop",
        "file": str(tx_file),
        "load_id": 2,
        "rows_read": 3,
        "loaded": 0,
        "already_present": 2,
        "quarantined": 1,
        "returns": 0,
    }

    status = invoke("--store", str(store_path), "status", "--json")
    payload = json.loads(status.output)
    assert payload["schema_version"] == latest_version() and payload["loads"] == 2
    assert payload["tables"] == [
        {
            "table": "transactions",
            "source": "shop",
            "rows": 2,
            "first": "2024-01-01T00:00:00",
            "last": "2024-01-03T00:00:00",
        }
    ]
    assert payload["quarantine"] == [{"kind": "transactions", "source": "shop", "rows": 1}]

    table = invoke("--store", str(store_path), "status")
    assert "transactions" in table.output and "Quarantined rows" in table.output


def test_store_from_the_environment(tmp_path, tx_file, monkeypatch):
    monkeypatch.setenv("CLIENTELE_STORE", str(tmp_path / "env.duckdb"))
    result = invoke(
        "load",
        "transactions",
        str(tx_file),
        "--source",
        "shop",
        "--map",
        "order_date=timestamp",
        "--map",
        "cust=customer_id",
        "--json",
    )
    assert json.loads(result.output)["loaded"] == 2
    assert (tmp_path / "env.duckdb").exists()


def run_main(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["clientele", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    return exit_info.value.code, capsys.readouterr()


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "missing required column(s) 'customer_id', 'timestamp' for transactions"),
        (["--map", "order_date"], "a column map is FILE_COLUMN=CANONICAL_COLUMN"),
        (["--map", "order_date=when"], "a column map must name a transactions column"),
        (["--decimal", ";"], "the decimal separator must be '.' or ','"),
        (["--encoding", "cp1252"], "unsupported encoding"),
    ],
)
def test_user_errors_are_one_line(monkeypatch, capsys, store_path, tx_file, extra, message):
    code, out = run_main(
        monkeypatch,
        capsys,
        "--store",
        str(store_path),
        "load",
        "transactions",
        str(tx_file),
        "--source",
        "shop",
        *extra,
    )
    assert code == 1
    assert message in out.err
    assert "Traceback" not in out.err
    assert len(out.err.strip().splitlines()) <= 3  # one message, wrapped at most by the terminal


def test_status_of_a_missing_store(monkeypatch, capsys, tmp_path):
    code, out = run_main(monkeypatch, capsys, "--store", str(tmp_path / "none.duckdb"), "status")
    assert code == 1 and "no store here" in out.err


def test_unknown_kind(monkeypatch, capsys, store_path, tx_file):
    code, out = run_main(
        monkeypatch, capsys, "--store", str(store_path), "load", "orders", str(tx_file), "--source", "s"
    )
    assert code == 1 and "unknown kind 'orders'" in out.err


def test_quarantine_command_lists_filters_and_exports(store_path, tx_file, tmp_path, monkeypatch, capsys):
    import pyarrow.parquet as pq

    base = ["--store", str(store_path)]
    maps = ["--map", "order_date=timestamp", "--map", "cust=customer_id"]
    from clientele.store import Store

    Store.open(store_path).close()
    assert invoke(*base, "quarantine").output.strip() == "No quarantined rows."
    loaded = invoke(*base, "load", "transactions", str(tx_file), "--source", "shop", *maps)
    assert "see `clientele quarantine --load 1`" in loaded.output
    pos = tmp_path / "pos.csv"
    pos.write_text("order_date,cust,amount\n2024-01-05,,7\n2199-01-01,c9,1\n2024-01-06,c3,2\n")
    invoke(*base, "load", "transactions", str(pos), "--source", "pos", *maps)

    rows = json.loads(invoke(*base, "quarantine", "--json").output)
    assert [(r["load_id"], r["source"], r["line"]) for r in rows] == [(1, "shop", 3), (2, "pos", 2), (2, "pos", 3)]
    assert rows[0]["reason"].startswith("amount: 'abc' is not a number")
    assert rows[0]["raw"] == {"order_date": "2024-01-02", "cust": "c1", "amount": "abc"}
    assert rows[1]["reason"] == "customer_id is missing"
    assert [r["line"] for r in json.loads(invoke(*base, "quarantine", "--source", "pos", "--json").output)] == [2, 3]
    assert [r["source"] for r in json.loads(invoke(*base, "quarantine", "--load", "1", "--json").output)] == ["shop"]

    table = invoke(*base, "quarantine", "--limit", "2")
    assert table.exit_code == 0 and "tx.csv:3" in table.output and "pos.csv:2" in table.output
    assert "pos.csv:3" not in table.output and "showing 2 of 3" in table.output
    assert "Quarantined rows from pos in load 2 (2)" in invoke(*base, "quarantine", "--source", "pos", "--load", "2").output

    exported = invoke(*base, "quarantine", "--out", str(tmp_path / "q.parquet"))
    assert exported.exit_code == 0 and "3 quarantined rows written" in exported.output
    frame = pq.read_table(tmp_path / "q.parquet").to_pandas()
    assert list(frame["line"]) == [3, 2, 3] and json.loads(frame["raw"][0])["amount"] == "abc"
    invoke(*base, "quarantine", "--kind", "transactions", "--source", "shop", "--out", str(tmp_path / "q.csv"))
    assert (tmp_path / "q.csv").read_text().splitlines()[0] == "load_id,kind,source,file,line,reason,raw,quarantined_at"
    assert len((tmp_path / "q.csv").read_text().splitlines()) == 2

    for args, message in [
        (["--out", str(tmp_path / "q.txt")], "q.txt: the export file must end in .csv or .parquet"),
        (["--kind", "orders"], "unknown kind 'orders'"),
    ]:
        monkeypatch.setattr(sys, "argv", ["clientele", *base, "quarantine", *args])
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
        assert exit_info.value.code == 1
        assert message in capsys.readouterr().err


def test_quarantine_limit_must_be_a_whole_number(store_path):
    from clientele.errors import InputError
    from clientele.store import Store

    with Store.open(store_path) as store, pytest.raises(InputError, match="limit must be a whole number"):
        store.quarantine(limit=-1)


def test_load_several_files_each_its_own_load(store_path, tmp_path, monkeypatch, capsys):
    january, february, broken = (tmp_path / n for n in ("jan.csv", "feb.csv", "broken.csv"))
    january.write_text("customer_id,timestamp,amount\nc1,2024-01-01,5\nc2,2024-01-09,abc\n")
    february.write_text("customer_id,timestamp,amount\nc1,2024-02-01,7\nc3,2024-02-02,-1\n")
    broken.write_text("customer;timestamp;amount\nc9;2024-03-01;1\n")
    base = ["--store", str(store_path), "load", "transactions"]

    table = invoke(*base, str(january), str(february), "--source", "shop")
    assert table.exit_code == 0, table.output
    assert "Loaded: 2 files as transactions from shop" in table.output and "total" in table.output
    assert "1 rows quarantined: see `clientele quarantine --load 1`" in table.output

    march = tmp_path / "mar.csv"
    march.write_text("customer_id,timestamp,amount\n,2024-03-01,5\n")
    both = invoke(*base, str(january), str(march), "--source", "web")
    assert "2 rows quarantined: see `clientele quarantine --source web`" in both.output

    again = json.loads(invoke(*base, str(january), str(february), "--source", "shop", "--json").output)
    assert [(r["file"], r["load_id"], r["loaded"], r["already_present"]) for r in again] == [
        (str(january), 5, 0, 1),
        (str(february), 6, 0, 2),
    ]

    # a file that fails stops the command; the ones before it stay loaded, and running again adds nothing
    monkeypatch.setattr(sys, "argv", ["clientele", *base, str(january), str(broken), "--source", "pos"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    out = capsys.readouterr()
    assert exit_info.value.code == 1
    assert "broken.csv: missing required column(s) 'customer_id'" in out.err
    assert "Loaded before the error: 1 file as transactions from pos" in out.out
    rerun = json.loads(invoke(*base, str(january), "--source", "pos", "--json").output)
    assert (rerun["loaded"], rerun["already_present"]) == (0, 1)
