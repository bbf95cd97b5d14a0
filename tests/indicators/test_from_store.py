"""All indicators from a demo store, checked against the raw tables; the CLI commands."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from clientele.cli import app
from clientele.indicators import indicators_from_store, net_promoter_score
from clientele.store import Store


@pytest.fixture(scope="module")
def indicators(demo_store):
    with Store.open(demo_store, read_only=True) as store:
        ind = indicators_from_store(store, as_of="2025-12-31")
        surveys = store.con.execute("SELECT nps FROM surveys").df()
        referrals = store.con.execute("SELECT count(DISTINCT source || referee_id) FROM referrals").fetchone()[0]
        active = store.con.execute(
            "SELECT count(DISTINCT customer_key) FROM purchases WHERE CAST(timestamp AS DATE) > DATE '2024-12-31'"
        ).fetchone()[0]
    return ind, surveys, referrals, active


def test_headline_agrees_with_the_raw_tables(indicators):
    ind, surveys, referrals, active = indicators
    h = ind.headline
    assert h["active_customers_12m"] == active
    overall = net_promoter_score(surveys["nps"])
    assert h["nps"] == pytest.approx(overall["nps"]) and h["nps_responses"] == len(surveys)
    assert h["nps_lower"] < h["nps"] < h["nps_upper"]
    assert h["referral_referrals"] <= referrals and h["referral_referrals"] > 0
    assert 0 < h["expected_alive"] < h["customers"]
    assert 0 < h["churn_weighted"] < 1 and 0 < h["retention_rate_12m"] < 1


def test_segment_rows_add_up(indicators):
    ind = indicators[0]
    last = ind.monthly.xs(pd.Period("2025-12"), level="month")
    assert last.drop("all")["active"].sum() == last.loc["all", "active"]
    risk = ind.value_at_risk
    assert risk.drop("all")["value_at_risk"].sum() == pytest.approx(risk.loc["all", "value_at_risk"])
    nps = ind.nps.xs(pd.Period("2025-12"), level="month")
    assert nps.drop("all")["responses"].sum() == nps.loc["all", "responses"]
    assert ind.cohorts["customers"].sum() == ind.headline["customers"]


def test_cli_indicators_and_equity(demo_store):
    runner = CliRunner()
    out = runner.invoke(app, ["--store", str(demo_store), "indicators", "--json", "--months", "3"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert len(payload["monthly"]) == 3 and payload["headline"]["as_of"] == "2025-12-31"
    out = runner.invoke(app, ["--store", str(demo_store), "equity", "--json", "--draws", "20", "--horizon", "12"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    summary = {row["component"]: row for row in payload["summary"]}
    total = summary["customer_equity"]
    assert total["lower"] < total["estimate"] < total["upper"]
    assert total["estimate"] == pytest.approx(summary["current_customers"]["estimate"] + summary["future_customers"]["estimate"])
    out = runner.invoke(app, ["--store", str(demo_store), "equity", "--draws", "0", "--by", "cohort", "--over-time", "2"])
    assert out.exit_code == 0, out.output
    assert "Customer equity over time" in out.stdout and "2025-12-31" in out.stdout


def test_cli_errors_are_one_line(demo_store):
    import subprocess
    import sys

    for args in (["equity", "--as-of", "2025-13-01"], ["equity", "--by", "region"], ["indicators", "--as-of", "2019-01-01"]):
        run = subprocess.run([sys.executable, "-m", "clientele.cli", "--store", str(demo_store), *args],
                             capture_output=True, text=True)
        assert run.returncode == 1, args
        assert run.stderr.startswith("Error:") and "Traceback" not in run.stderr, run.stderr
