"""The parametric bootstrap: the draws' distribution, and the fast CLV recomputation against brute force."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from clientele.clv import score_customers
from clientele.equity.bootstrap import clv_draws
from clientele.equity.uncertainty import draw_model_pairs, draw_parameters, log_covariance, with_parameters
from clientele.errors import ModelInputError
from clientele.models import MBGNBD, ParetoNBD

CLV = dict(horizon_months=24, discount_rate=0.1, margin=0.3, days_per_month=365.25 / 12, time_unit="W")


def test_draws_follow_the_asymptotic_log_normal(large):
    pm, _, _ = large
    draws = draw_parameters(pm, 20000, np.random.default_rng(0))
    logs = np.log(draws)
    centre = np.log([pm.params_[k] for k in pm.param_names])
    cov = log_covariance(pm)
    se = np.sqrt(np.diag(cov))
    assert np.all(np.abs(logs.mean(axis=0) - centre) < 4 * se / np.sqrt(20000))
    np.testing.assert_allclose(np.cov(logs.T), cov, rtol=0.05, atol=0.05 * np.max(np.abs(cov)))
    assert (draws > 0).all()


def test_fast_bootstrap_equals_recomputing_clv_draw_by_draw(large):
    """Brute force: score_customers (the models' own 1e-8 quadrature) with each drawn model."""
    pm, sm, rfm = large
    part = rfm.iloc[:600]
    pairs = draw_model_pairs(pm, sm, 8, seed=5)
    fast = clv_draws(pairs, part, **CLV)
    for j, (p, s) in enumerate(pairs):
        brute = score_customers(p, s, part, **{k: v for k, v in CLV.items()})["clv"].to_numpy()
        np.testing.assert_allclose(fast[:, j], brute, rtol=1e-7, atol=1e-9)


def test_fast_bootstrap_for_mbgnbd_and_pareto(large):
    _, sm, rfm = large
    part = rfm.iloc[:300]
    for cls in (MBGNBD, ParetoNBD):
        pm = cls().fit(rfm)
        pairs = draw_model_pairs(pm, sm, 3, seed=1)
        fast = clv_draws(pairs, part, **CLV)
        brute = np.column_stack([score_customers(p, s, part, **CLV)["clv"] for p, s in pairs])
        np.testing.assert_allclose(fast, brute, rtol=1e-7, atol=1e-9)


def test_bootstrap_quantiles_match_direct_simulation_of_a_closed_form(large):
    """The population mean spend p*gamma/(q-1) is closed form: its bootstrap distribution must
    match a direct multivariate-normal simulation of the log-parameters."""
    _, sm, _ = large
    pairs = draw_model_pairs(sm, sm, 4000, seed=9)
    boot = np.array([s.params_["p"] * s.params_["gamma"] / (s.params_["q"] - 1) for _, s in pairs])
    rng = np.random.default_rng(123)
    centre = np.log([sm.params_[k] for k in sm.param_names])
    logs = rng.multivariate_normal(centre, log_covariance(sm), 4000)
    p, q, g = np.exp(logs).T
    direct = (p * g / (q - 1))[q > 1]
    for quantile in (0.05, 0.5, 0.95):
        assert np.quantile(boot, quantile) == pytest.approx(np.quantile(direct, quantile), rel=0.02)


def test_with_parameters_leaves_the_model_alone(large):
    pm, _, _ = large
    before = dict(pm.params_)
    twin = with_parameters(pm, np.array([1.0, 2.0, 3.0, 4.0]))
    assert twin.params_ == {"r": 1.0, "alpha": 2.0, "a": 3.0, "b": 4.0} and pm.params_ == before


def test_unusable_covariance_is_an_error(large):
    pm, sm, _ = large
    broken = copy.copy(pm)
    broken.covariance_ = np.full((4, 4), np.nan)
    with pytest.raises(ModelInputError, match="no finite covariance_"):
        draw_model_pairs(broken, sm, 5, seed=0)
    with pytest.raises(ModelInputError, match="n_draws"):
        draw_model_pairs(pm, sm, 0, seed=0)
