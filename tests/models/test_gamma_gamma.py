"""Gamma-Gamma: the published CDNOW fit, agreement with lifetimes, recovery, input rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes import GammaGammaFitter
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value

from clientele.errors import ModelInputError
from clientele.models import GammaGamma


@pytest.fixture(scope="module")
def data():
    d = load_cdnow_summary_data_with_monetary_value()
    return d[["frequency", "recency", "T", "monetary_value"]].astype(float)


@pytest.fixture(scope="module")
def fitted(data):
    return GammaGamma().fit(data)


def test_cdnow_published_fit(fitted, data):
    # Fader, Hardie & Lee (2005) "RFM and CLV": p=6.25, q=3.74, gamma=15.44 on 946 repeaters
    assert fitted.n_customers_ == 946 == int((data["frequency"] > 0).sum())
    for name, printed in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        value = fitted.params_[name]
        assert round(value, 2) == printed or abs(value / printed - 1) <= 1e-3, (name, value)


def test_expected_spend_matches_lifetimes(fitted, data):
    twin = GammaGammaFitter()
    twin.params_ = pd.Series({"p": fitted.params_["p"], "q": fitted.params_["q"], "v": fitted.params_["gamma"]})
    x, m = data["frequency"].to_numpy(), data["monetary_value"].to_numpy()
    np.testing.assert_allclose(fitted.expected_spend(data), twin.conditional_expected_average_profit(x, m), rtol=1e-6)
    # no repeat purchase: the population mean p gamma / (q - 1)
    p, q, g = fitted.params_["p"], fitted.params_["q"], fitted.params_["gamma"]
    assert fitted.expected_spend([0], [0.0])[0] == pytest.approx(p * g / (q - 1), rel=1e-12)


def test_fit_matches_lifetimes_likelihood(fitted, data):
    # the same maximum as lifetimes' own optimiser
    twin = GammaGammaFitter().fit(data.loc[data.frequency > 0, "frequency"], data.loc[data.frequency > 0, "monetary_value"])
    assert fitted.params_["p"] == pytest.approx(twin.params_["p"], rel=1e-3)
    assert fitted.params_["gamma"] == pytest.approx(twin.params_["v"], rel=1e-3)


def test_parameter_recovery():
    rng = np.random.default_rng(5)
    n = 100_000
    truth = dict(p=6.25, q=3.74, gamma=15.44)
    x = rng.integers(1, 15, n).astype(float)
    nu = rng.gamma(truth["q"], 1 / truth["gamma"], n)
    zbar = rng.gamma(truth["p"] * x, 1 / (nu * x))
    model = GammaGamma().fit(x, zbar)
    for name, value in truth.items():
        assert abs(model.params_[name] - value) < 3 * model.standard_errors_[name], name


def test_input_rules():
    with pytest.raises(ModelInputError, match="monetary_value must be positive"):
        GammaGamma().fit([1, 2, 3], [10.0, 0.0, 5.0])
    with pytest.raises(ModelInputError, match="no customer has a repeat purchase"):
        GammaGamma().fit([0, 0], [0.0, 0.0])
    with pytest.raises(ModelInputError, match="monetary_value must be non-negative"):
        GammaGamma().fit([1, 2], [-1.0, 3.0])
    with pytest.raises(ModelInputError, match="same"):
        GammaGamma().fit([2, 2], [3.0, 3.0])


def test_infinite_mean_is_an_error():
    model = GammaGamma()
    model.params_ = dict(p=0.5, q=0.8, gamma=10.0)
    with pytest.raises(ModelInputError, match="infinite"):
        model.expected_spend([0], [0.0])
    assert np.isfinite(model.expected_spend([2], [5.0])[0])
