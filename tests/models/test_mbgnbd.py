"""MBG/NBD: the published CDNOW fit, agreement with lifetimes, brute-force invariants, recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes import ModifiedBetaGeoFitter
from lifetimes.datasets import load_cdnow_summary

from clientele.errors import ModelInputError
from clientele.models import BGNBD, MBGNBD


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary()[["frequency", "recency", "T"]].astype(float)


@pytest.fixture(scope="module")
def fitted(cdnow):
    return MBGNBD().fit(cdnow)


def test_cdnow_published_fit(fitted):
    # Batislam et al. (2007) as reproduced by lifetimes: r=0.525, alpha=6.183, a=0.891, b=1.614
    for name, printed in {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}.items():
        value = fitted.params_[name]
        assert round(value, 3) == printed or abs(value / printed - 1) <= 1e-3, (name, value)


def test_predictions_match_lifetimes(fitted, cdnow):
    twin = ModifiedBetaGeoFitter()
    twin.params_ = pd.Series(fitted.params_)
    x, t_x, T = (cdnow[c].to_numpy() for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(fitted.p_alive(cdnow), twin.conditional_probability_alive(x, t_x, T), rtol=1e-6)
    for t in (1.0, 10.0, 39.0, 100.0):
        np.testing.assert_allclose(
            fitted.expected_purchases(t, cdnow),
            twin.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T), rtol=1e-6,
        )
        np.testing.assert_allclose(fitted.expected_purchases_new(t), twin.expected_number_of_purchases_up_to_time(t), rtol=1e-6)


def test_customers_without_repeat_purchases_may_be_dead(fitted):
    # unlike BG/NBD, MBG/NBD lets a customer drop out at time 0
    assert np.all(fitted.p_alive([0, 0], [0.0, 0.0], [1.0, 39.0]) < 1)
    bg = BGNBD()
    bg.params_ = dict(fitted.params_)
    assert np.all(bg.p_alive([0, 0], [0.0, 0.0], [1.0, 39.0]) == 1)


def test_p_purchases_is_a_distribution_with_the_expected_mean(fitted):
    n = np.arange(3000)
    for t in (1.0, 39.0, 400.0):
        probs = fitted.p_purchases(n, t)
        assert abs(probs.sum() - 1) < 1e-9
        assert abs(np.dot(n, probs) / fitted.expected_purchases_new(t) - 1) < 1e-7


def test_parameter_recovery_and_sample(fitted):
    truth = dict(fitted.params_)
    T = np.random.default_rng(0).uniform(20.0, 60.0, 100_000).round(1)
    data = MBGNBD.simulate(truth, 100_000, T=T, seed=2)
    model = MBGNBD().fit(data)
    for name, value in truth.items():
        assert abs(model.params_[name] - value) < 3 * model.standard_errors_[name], name
    same_T = fitted.sample(100_000, T=39.0, seed=3)
    share = (same_T["frequency"] == 0).mean()
    assert abs(share - fitted.p_purchases(0, 39.0)[0]) < 4 * np.sqrt(share * (1 - share) / len(same_T))


def test_bad_input():
    with pytest.raises(ModelInputError, match="non-zero recency values when frequency is zero"):
        MBGNBD().fit([0, 1], [2.0, 1.0], [5.0, 5.0])
    with pytest.raises(ModelInputError, match="no customer has a repeat purchase"):
        MBGNBD().fit([0, 0], [0.0, 0.0], [5.0, 6.0])
