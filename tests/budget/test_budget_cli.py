"""`clientele load campaigns`, `clientele allocate` and `clientele plans` through the command line."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from clientele import cli
from clientele.store import Store

runner = CliRunner()


def invoke(*args):
    return runner.invoke(cli.app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A scored demo store, its campaigns as a CSV (customer records only) and a current budget CSV."""
    from clientele.demo import generate, load
    from clientele.demo.campaigns import generate_campaigns
    from clientele.pipeline import fit_store_models, score_store

    folder = tmp_path_factory.mktemp("budget_cli")
    company = generate(n_customers=800, seed=2)
    path = folder / "store.duckdb"
    with Store.open(path) as store:
        load(store, company)
        fit_store_models(store, model="bgnbd", time_unit="W", observation_end=company.truth.end)
        score_store(store)
    campaigns, current, _ = generate_campaigns(company, seed=2, per_level=300)
    campaigns = campaigns[campaigns["lever"] != "acquisition"].drop(columns=["source"])
    campaigns.to_csv(folder / "campaigns.csv", index=False)
    current[current["lever"] != "acquisition"].to_csv(folder / "current.csv", index=False)
    return folder, path


def test_load_allocate_store_and_approve(setup, tmp_path):
    folder, path = setup
    loaded = invoke("--store", path, "load", "campaigns", folder / "campaigns.csv", "--source", "crm", "--json")
    assert loaded.exit_code == 0, loaded.output
    counts = json.loads(loaded.output)
    assert counts["quarantined"] == 0 and counts["loaded"] + counts["already_present"] == counts["rows_read"]

    out = tmp_path / "plan.csv"
    result = invoke("--store", path, "allocate", "--current", folder / "current.csv", "--max-shift", "0.5",
                    "--name", "FY26", "--out", out, "--draws", "200")
    assert result.exit_code == 0, result.output
    assert "Customer-centric plan" in result.output and "Product managers vs customer managers" in result.output
    assert "Sensitivity" in result.output and "stored as draft: FY26 (product), FY26" in result.output
    plan = pd.read_csv(out)
    total = pd.read_csv(folder / "current.csv")["spend"].sum()
    assert plan["spend"].sum() == pytest.approx(total, rel=1e-6)
    assert {"segment", "lever", "owner", "spend", "gain", "lower", "upper", "roi", "marginal_roi"} <= set(plan)

    listed = invoke("--store", path, "plans", "--json")
    assert {p["name"] for p in json.loads(listed.output)} == {"FY26", "FY26 (product)"}
    approved = invoke("--store", path, "plans", "approve", "FY26", "--by", "CFO")
    assert approved.exit_code == 0 and "approved by CFO" in approved.output
    shown = json.loads(invoke("--store", path, "plans", "show", "FY26", "--json").output)
    assert shown["status"] == "approved" and shown["inputs"]["max_shift"] == 0.5
    assert sum(line["spend"] for line in shown["lines"]) == pytest.approx(total, rel=1e-6)

    as_json = json.loads(invoke("--store", path, "allocate", "--budget", "1000", "--draws", "50", "--json").output)
    assert as_json["plan"]["totals"]["spend"] == pytest.approx(1000.0)
    assert len(as_json["sensitivity"]) == len(as_json["plan"]["lines"])


def run_main(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["clientele", *[str(a) for a in args]])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_bad_inputs_are_one_line_errors(setup, tmp_path, monkeypatch, capsys):
    folder, path = setup
    bad = tmp_path / "current.csv"
    bad.write_text("brand,manager,lever,spend\nKiddo,Kim,retention,100\nKiddo,Kim,loyalty,50\n")
    err = run_main(monkeypatch, capsys, "--store", path, "allocate", "--current", bad)
    assert f"{bad}, line 3, column 'lever': value 'loyalty'" in err
    bad.write_text("brand,manager,lever,spend\nKiddo,Kim,retention,lots\n")
    err = run_main(monkeypatch, capsys, "--store", path, "allocate", "--current", bad)
    assert "line 2, column 'spend'" in err
    err = run_main(monkeypatch, capsys, "--store", path, "allocate", "--current", tmp_path / "missing.csv")
    assert "does not exist" in err
    err = run_main(monkeypatch, capsys, "--store", path, "allocate", "--budget", "100", "--max-shift", "0.2")
    assert "--current" in err
    err = run_main(monkeypatch, capsys, "--store", path, "plans", "approve", "no such plan", "--by", "me")
    assert "no plan of this name" in err
    err = run_main(monkeypatch, capsys, "--store", path, "allocate", "--budget", "100", "--min-per-line", "1e9")
    assert "minimum" in err
