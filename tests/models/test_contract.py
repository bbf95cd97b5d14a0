"""The shared contract, run over every model class exported from clientele.models.

Each model registers one case below: how to get fitting data and one prediction to compare.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
from lifetimes.datasets import load_cdnow_summary, load_cdnow_summary_data_with_monetary_value, load_donations

import clientele.models as models
from clientele.errors import NotFittedError
from clientele.models import CustomerBaseModel


def _cdnow() -> pd.DataFrame:
    return load_cdnow_summary()[["frequency", "recency", "T"]].astype(float)


def _cdnow_spend() -> pd.DataFrame:
    d = load_cdnow_summary_data_with_monetary_value()
    return d.loc[d.frequency > 0, ["frequency", "monetary_value"]].astype(float)


def _donations() -> pd.DataFrame:
    """FHS 2010's donations data, one row per donor (lifetimes ships it compressed)."""
    d = load_donations()
    d = d.loc[d.index.repeat(d["weights"]), ["frequency", "recency", "periods"]]
    return d.rename(columns={"periods": "n_periods"}).reset_index(drop=True).astype(float)


def _discrete_predict(model, data):
    return np.concatenate([model.p_alive(data), model.expected_purchases(5, data)])


def _cohort() -> pd.DataFrame:
    """Fader & Hardie (2007)'s regular segment, one row per customer (observed periods, churned)."""
    active = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
    periods = np.concatenate([np.repeat(np.arange(1, 8), active[:-1] - active[1:]), np.full(active[-1], 7)])
    churned = np.concatenate([np.ones(active[0] - active[-1]), np.zeros(active[-1])])
    return pd.DataFrame({"periods_observed": periods.astype(float), "churned": churned})


def _retention_predict(model, data):
    return np.concatenate([model.survival(np.arange(10)),
                           model.expected_residual_lifetime(data["periods_observed"], 0.1)])


def _rfm_predict(model, data):
    return np.concatenate([model.p_alive(data), model.expected_purchases(10.0, data)])


#: model class name -> (data loader, prediction on that data)
CASES = {
    "BGNBD": (_cdnow, _rfm_predict),
    "MBGNBD": (_cdnow, _rfm_predict),
    "ParetoNBD": (_cdnow, _rfm_predict),
    "GammaGamma": (_cdnow_spend, lambda m, d: m.expected_spend(d)),
    "BGBB": (_donations, _discrete_predict),
    "ShiftedBetaGeometric": (_cohort, _retention_predict),
}

EXPORTED = sorted(
    name for name, obj in vars(models).items()
    if inspect.isclass(obj) and issubclass(obj, CustomerBaseModel) and obj is not CustomerBaseModel
    and name in models.__all__
)


def test_every_exported_model_has_a_case():
    assert set(EXPORTED) <= set(CASES), f"add a contract case for {set(EXPORTED) - set(CASES)}"


@pytest.mark.parametrize("name", EXPORTED)
def test_contract(name, tmp_path):
    cls = getattr(models, name)
    if name not in CASES:
        pytest.fail(f"{name} is exported from clientele.models but has no entry in CASES")
    load, predict = CASES[name]
    data = load()

    fresh = cls()
    assert repr(fresh).startswith(f"{name}(")
    with pytest.raises(NotFittedError, match="not fitted"):
        predict(fresh, data)
    with pytest.raises(NotFittedError):
        fresh.summary()

    model = cls()
    assert model.fit(data) is model
    assert set(model.params_) == set(cls.param_names)
    assert np.isfinite(model.log_likelihood_)
    assert set(model.standard_errors_) == set(cls.param_names)
    assert list(model.summary().index) == list(cls.param_names)
    assert name in repr(model) and "log-likelihood" in repr(model)

    # JSON round trip: identical parameters and predictions
    path = tmp_path / f"{name}.json"
    model.save(path)
    again = cls.load(path)
    assert again.params_ == model.params_
    np.testing.assert_array_equal(predict(again, data), predict(model, data))
    assert type(CustomerBaseModel.load(path)) is cls

    # compression: distinct rows with counts give the fit of all rows
    columns = list(data.columns)
    counted = data.groupby(columns, as_index=False).size()
    weighted = cls().fit(*[counted[c] for c in columns], weights=counted["size"])
    for p in cls.param_names:
        assert weighted.params_[p] == pytest.approx(model.params_[p], rel=1e-6)
    assert weighted.log_likelihood_ == pytest.approx(model.log_likelihood_, rel=1e-9)
    assert model.n_distinct_ == len(counted)
    # and duplicating every row leaves the estimates unchanged
    doubled = cls().fit(pd.concat([data, data], ignore_index=True))
    for p in cls.param_names:
        assert doubled.params_[p] == pytest.approx(model.params_[p], rel=1e-5)


@pytest.mark.parametrize("model_class", [models.BGNBD, models.ParetoNBD])
def test_warm_start_on_large_data_reaches_the_same_optimum(model_class, monkeypatch):
    """Large fits start from a subsample's estimate; the optimum must be the cold start's."""
    from clientele.models import base

    data = load_cdnow_summary()
    cold = model_class().fit(data["frequency"], data["recency"], data["T"])
    monkeypatch.setattr(base, "WARM_START_ROWS", 100)
    monkeypatch.setattr(base, "WARM_START_SAMPLE", 500)
    calls = []
    original = base.CustomerBaseModel._warm_start
    monkeypatch.setattr(base.CustomerBaseModel, "_warm_start", lambda self, *a: calls.append(1) or original(self, *a))
    warm = model_class().fit(data["frequency"], data["recency"], data["T"])
    assert calls, "the warm start was not used"
    for name, value in cold.params_.items():
        assert warm.params_[name] == pytest.approx(value, rel=1e-5)
    assert warm.log_likelihood_ == pytest.approx(cold.log_likelihood_, abs=1e-6)


def test_distinct_rows_match_a_groupby():
    from clientele.models._inputs import distinct_rows

    rng = np.random.default_rng(3)
    cols = [rng.integers(0, k, 5000).astype(float) for k in (4, 9, 3)]
    cols[1][::7] = np.nan  # missing values form their own group
    codes, uniques = distinct_rows(*cols)
    frame = pd.DataFrame({"a": cols[0], "b": cols[1], "c": cols[2]})
    grouped = frame.groupby(["a", "b", "c"], sort=False, dropna=False)
    assert (codes == grouped.ngroup().to_numpy()).all()
    for column, values in zip(cols, uniques):
        np.testing.assert_array_equal(values[codes], column)
