"""The store pipeline: ``fit_store_models`` / ``score_store`` and the ``fit`` / ``score`` commands."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from clientele.cli import app
from clientele.clv import score_customers
from clientele.demo import generate, load
from clientele.errors import ModelInputError, StoreError
from clientele.models import BGNBD, GammaGamma
from clientele.pipeline import fit_store_models, latest_fit, score_store
from clientele.rfm import rfm_summary
from clientele.store import Store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("pipeline") / "demo.duckdb"
    company = generate(n_customers=1500, seed=3)
    with Store.open(path) as store:
        load(store, company)
    return path, company


def test_fit_and_score_every_customer(demo_store):
    path, company = demo_store
    with Store.open(path) as store:
        fit = fit_store_models(store, model="bgnbd", time_unit="W", observation_end=company.truth.end)
        result = score_store(store, horizon_months=12, discount_rate=0.10, margin=0.30)
        stored = store.con.execute("SELECT * FROM customer_scores").df()
        n_keys = store.con.execute("SELECT count(DISTINCT customer_key) FROM purchases").fetchone()[0]
        rfm = rfm_summary(store, observation_end=company.truth.end, time_unit="W")
    # every customer of the store has exactly one finite score
    assert len(stored) == n_keys == len(rfm)
    assert stored["customer_key"].is_unique
    values = stored[["p_alive", "expected_purchases", "expected_spend", "clv"]].to_numpy()
    assert np.isfinite(values).all()
    assert ((stored["p_alive"] >= 0) & (stored["p_alive"] <= 1)).all()
    assert (stored["fit_id"] == fit.fit_id).all()
    # the same numbers as fitting the models by hand on the RFM summary
    by_hand_bg = BGNBD().fit(rfm)
    by_hand_gg = GammaGamma().fit(rfm)
    for name, value in by_hand_bg.params_.items():
        assert fit.purchase_model.params_[name] == pytest.approx(value, rel=1e-6)
    expected = score_customers(by_hand_bg, by_hand_gg, rfm, 12, 0.10, 0.30, time_unit="W")
    got = stored.set_index("customer_key").loc[expected.index]
    np.testing.assert_allclose(got["clv"], expected["clv"], rtol=1e-6)
    np.testing.assert_allclose(got["p_alive"], expected["p_alive"], rtol=1e-6)
    # one-time buyers get the Gamma-Gamma population mean p*gamma/(q-1) (FHL 2005, eq. 3, x = 0)
    p, q, g = (fit.spend_model.params_[k] for k in ("p", "q", "gamma"))
    once = rfm.index[rfm["frequency"] == 0]
    assert len(once) > 0
    np.testing.assert_allclose(got.loc[once, "expected_spend"], p * g / (q - 1), rtol=1e-9)
    assert result.totals()["total_clv"] == pytest.approx(stored["clv"].sum())


def test_latest_fit_round_trips_and_rescoring_replaces(demo_store):
    path, company = demo_store
    with Store.open(path) as store:
        fit = fit_store_models(store, model="paretonbd", time_unit="D", observation_end=company.truth.end)
        again = latest_fit(store)
        assert again.fit_id == fit.fit_id
        assert type(again.purchase_model).__name__ == "ParetoNBD"
        assert again.purchase_model.params_ == pytest.approx(fit.purchase_model.params_)
        assert again.spend_model.params_ == pytest.approx(fit.spend_model.params_)
        score_store(store, horizon_months=6)
        first = store.con.execute("SELECT count(*), max(horizon_months) FROM customer_scores").fetchone()
        score_store(store, horizon_months=3)
        second = store.con.execute("SELECT count(*), max(horizon_months) FROM customer_scores").fetchone()
    assert first[0] == second[0] and (first[1], second[1]) == (6, 3)


def test_calibration_end_fits_on_fewer_customers_but_scores_all(demo_store):
    path, company = demo_store
    cal = (pd.Timestamp(company.truth.end) - pd.Timedelta(days=180)).date()
    with Store.open(path) as store:
        fit = fit_store_models(store, time_unit="W", observation_end=company.truth.end, calibration_end=cal)
        result = score_store(store)
        n_keys = store.con.execute("SELECT count(DISTINCT customer_key) FROM purchases").fetchone()[0]
    assert fit.calibration_end == cal
    assert fit.n_customers < n_keys == len(result.scores)


def test_score_before_fit_says_what_to_do(store_path):
    with Store.open(store_path) as store, pytest.raises(StoreError, match="run `clientele fit` first"):
        score_store(store)


def test_empty_store_and_bad_model(store_path):
    with Store.open(store_path) as store:
        with pytest.raises(StoreError, match="no purchases"):
            fit_store_models(store)
        with pytest.raises(ModelInputError, match="unknown model 'bgbb'"):
            fit_store_models(store, model="bgbb")


def test_no_repeat_purchases(store_path):
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "timestamp": ["2024-01-02", "2024-02-03", "2024-03-04"],
            "amount": [10.0, 20.0, 30.0],
        }
    )
    with Store.open(store_path) as store:
        store.load("transactions", tx, source="shop")
        with pytest.raises(StoreError, match="none of the 3 customers purchased twice"):
            fit_store_models(store)


def test_cli_fit_and_score(demo_store):
    path, _ = demo_store
    runner = CliRunner()
    fitted = runner.invoke(app, ["--store", str(path), "fit", "--model", "bgnbd", "--json"])
    assert fitted.exit_code == 0, fitted.output
    payload = json.loads(fitted.stdout)
    assert payload["purchase_model"]["params"].keys() >= {"r", "alpha", "a", "b"}
    scored = runner.invoke(app, ["--store", str(path), "score", "--horizon-months", "12", "--json", "--top", "3"])
    assert scored.exit_code == 0, scored.output
    out = json.loads(scored.stdout)
    assert out["totals"]["fit_id"] == payload["fit_id"] and len(out["top"]) == 3
    assert out["top"][0]["clv"] >= out["top"][1]["clv"] >= out["top"][2]["clv"]
    table = runner.invoke(app, ["--store", str(path), "score"])
    assert table.exit_code == 0 and "total clv" in table.stdout
