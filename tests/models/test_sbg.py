"""Shifted-beta-geometric (Fader & Hardie 2007, 2010): published fits, brute-force sums, invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clientele.errors import ConvergenceError, ModelInputError, NotFittedError
from clientele.models import CustomerBaseModel, ShiftedBetaGeometric
from clientele.models.sbg import discounted_survival_sum

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def with_params(alpha: float, beta: float) -> ShiftedBetaGeometric:
    model = ShiftedBetaGeometric()
    model.params_ = {"alpha": float(alpha), "beta": float(beta)}
    return model


def brute_log_survival(a: float, b: float, t_max: int) -> np.ndarray:
    """log S(0..t_max) from the retention recursion S(t) = S(t-1) (b+t-1)/(a+b+t-1)."""
    t = np.arange(1, t_max + 1)
    return np.concatenate([[0.0], np.cumsum(np.log((b + t - 1) / (a + b + t - 1)))])


def brute_survival(a: float, b: float, t_max: int) -> np.ndarray:
    return np.exp(brute_log_survival(a, b, t_max))


def central_difference(f, x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    for i in range(len(x)):
        h = np.zeros_like(x)
        h[i] = 1e-6 * x[i]
        out[i] = (f(x + h) - f(x - h)) / (2 * h[i])
    return out


def brute_derl(a: float, b: float, n: int, d: float) -> float:
    """sum_{t>n} S(t)/S(n) / (1+d)^(t-n-1), truncated where the discount factor is below 1e-18."""
    horizon = n + int(45 / math.log1p(d)) + 2
    log_s = brute_log_survival(a, b, horizon)
    k = np.arange(horizon - n)
    return float(np.sum(np.exp(log_s[n + 1:] - log_s[n]) * (1 + d) ** -k))


@pytest.mark.parametrize(("counts", "alpha", "beta"), [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)])
def test_published_cohort_fits(counts, alpha, beta):
    """Fader & Hardie (2007), Figure 3 / section 5: the regular and high-end segments."""
    model = ShiftedBetaGeometric().fit_survival(counts)
    assert model.params_["alpha"] == pytest.approx(alpha, rel=1e-3)
    assert model.params_["beta"] == pytest.approx(beta, rel=1e-3)
    assert model.n_customers_ == 1000
    # the fitted survival curve tracks the data (FH 2007 Figures 3-4): within 2% of the cohort
    np.testing.assert_allclose(model.survival(np.arange(len(counts))) * 1000, counts, atol=20)


def test_individual_fit_equals_cohort_fit_and_compression():
    cohort = ShiftedBetaGeometric().fit_survival(REGULAR)
    n = np.array(REGULAR)
    periods = np.concatenate([np.repeat(np.arange(1, 8), n[:-1] - n[1:]), np.full(n[-1], 7)])
    churned = np.concatenate([np.ones(n[0] - n[-1]), np.zeros(n[-1])])
    individual = ShiftedBetaGeometric().fit(periods, churned)
    assert individual.n_distinct_ == 8 and individual.n_customers_ == 1000
    assert individual.params_ == pytest.approx(cohort.params_, rel=1e-7)
    assert individual.log_likelihood_ == pytest.approx(cohort.log_likelihood_, rel=1e-12)


def test_survival_churn_and_retention_are_consistent():
    model = with_params(0.704, 1.182)
    t = np.arange(1, 40)
    s = model.survival(np.arange(0, 40))
    np.testing.assert_allclose(s, brute_survival(0.704, 1.182, 39), rtol=1e-12)
    np.testing.assert_allclose(model.churn_probability(t), s[:-1] - s[1:], rtol=1e-10)
    np.testing.assert_allclose(model.retention_rate(t), s[1:] / s[:-1], rtol=1e-12)
    assert np.all(np.diff(model.retention_rate(t)) > 0)  # heterogeneity: retention rises with tenure
    assert model.churn_probability(t).sum() + s[-1] == pytest.approx(1.0, abs=1e-12)


def test_gradient_matches_finite_differences():
    data = {"t": np.array([1.0, 2, 5, 7, 7, 30]), "churned": np.array([1.0, 1, 1, 1, 0, 0])}
    model = ShiftedBetaGeometric()
    for params in (np.array([0.7, 1.2]), np.array([0.02, 45.0])):
        analytic = model._gradient(params, data)
        for row in range(6):
            numeric = central_difference(lambda p: model._log_likelihood(p, data)[row], params)
            np.testing.assert_allclose(analytic[row], numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("a", "b"), [(0.704, 1.182), (0.668, 3.806), (3.5, 0.4), (0.01, 800.0), (900.0, 2.0)])
@pytest.mark.parametrize("d", [0.1, 0.01, 2.0])
def test_derl_matches_brute_force_sum(a, b, d):
    model = with_params(a, b)
    n = np.array([0, 1, 4, 30, 400])
    expected = [brute_derl(a, b, int(k), d) for k in n]
    np.testing.assert_allclose(model.expected_residual_lifetime(n, d), expected, rtol=1e-10)
    # DEL = sum_{t>=0} S(t)/(1+d)^t
    s = brute_survival(a, b, int(45 / math.log1p(d)) + 2)
    brute_del = float(np.sum(s * (1 + d) ** -np.arange(len(s))))
    assert model.expected_lifetime(d) == pytest.approx(brute_del, rel=1e-10)


def test_undiscounted_lifetimes():
    model = with_params(3.5, 0.4)
    assert model.expected_lifetime() == pytest.approx((3.5 + 0.4 - 1) / 2.5)  # E[T]
    np.testing.assert_allclose(model.expected_residual_lifetime([0, 10], 0.0), [0.4 / 2.5, 10.4 / 2.5])
    # continuity: a tiny discount rate approaches the undiscounted value
    assert model.expected_residual_lifetime(10, 1e-9) == pytest.approx(10.4 / 2.5, rel=1e-6)
    heavy_tailed = with_params(0.704, 1.182)
    assert heavy_tailed.expected_lifetime() == math.inf
    assert heavy_tailed.expected_residual_lifetime(3, 0.0) == math.inf


def test_derl_rises_with_tenure_and_falls_with_discounting():
    """FH 2010: survivors are the better customers, so residual value grows with renewals."""
    model = with_params(0.704, 1.182)
    by_tenure = model.expected_residual_lifetime(np.arange(0, 50), 0.1)
    assert np.all(np.diff(by_tenure) > 0)
    by_rate = model.expected_residual_lifetime(5, np.array([0.01, 0.05, 0.1, 0.5]))
    assert np.all(np.diff(by_rate) < 0)


def test_hypergeometric_special_values():
    # 2F1(1, b; b+1; z) = sum z^k b/(b+k);  with b = 1: -log(1-z)/z
    z = 1 / 1.25
    assert discounted_survival_sum(1.0, 1.0, 0.25) == pytest.approx(-math.log(1 - z) / z, rel=1e-13)
    # shape = 1 - 1e-9 ~ 1 and huge c: terms (b)_k/(c)_k ~ 1, sum ~ 1/(1-z) (1 - O(1/c))
    assert discounted_survival_sum(1e9, 1.0, 0.25) == pytest.approx(1 / (1 - z), rel=1e-8)


def test_sample_recovers_parameters_within_three_standard_errors():
    truth = with_params(0.704, 1.182)
    simulated = truth.sample(100_000, 12, seed=3)
    assert list(simulated.columns) == ["periods_observed", "churned"]
    assert simulated["churned"].eq(0).mean() == pytest.approx(float(truth.survival(12)), abs=0.005)
    refit = ShiftedBetaGeometric().fit(simulated)
    for name in ("alpha", "beta"):
        assert abs(refit.params_[name] - truth.params_[name]) < 3 * refit.standard_errors_[name]


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([1000, 631, 700, 500], "must not increase.*entry 2 is 700"),
        ([0, 0, 0], "positive cohort size; entry 0"),
        ([1000, 500], "at least 3 entries"),
        ([1000, 1000, 1000], "no customer churned"),
        ([1000, 0, 0], "at most one period"),
        ([1000, -5, 0], "non-negative.*entry 1"),
    ],
)
def test_bad_cohorts(counts, message):
    with pytest.raises(ModelInputError, match=message):
        ShiftedBetaGeometric().fit_survival(counts)


def test_bad_individual_data_and_degenerate_fits():
    with pytest.raises(ModelInputError, match="churned must be 0.*row 1 has 2"):
        ShiftedBetaGeometric().fit([3, 4], [1, 2])
    with pytest.raises(ModelInputError, match="at least one period; row 0"):
        ShiftedBetaGeometric().fit([0, 4], [1, 1])
    with pytest.raises(ModelInputError, match="periods_observed must be a non-negative whole number; row 1"):
        ShiftedBetaGeometric().fit([3, 2.5], [1, 1])
    # retention that falls over time has no heterogeneous sBG optimum: a clear message
    with pytest.raises(ConvergenceError, match="no heterogeneity"):
        ShiftedBetaGeometric().fit_survival([1000, 900, 700, 400, 100])
    with pytest.raises(ConvergenceError):
        ShiftedBetaGeometric().fit([3] * 5, [1] * 5)
    with pytest.raises(ModelInputError, match="discount_rate"):
        with_params(1, 1).expected_residual_lifetime(2, -0.1)
    with pytest.raises(ModelInputError, match="t must be a whole number of periods >= 1"):
        with_params(1, 1).retention_rate(0)


def test_docstring_examples_run():
    import doctest

    import clientele.models.sbg as module

    assert doctest.testmod(module).failed == 0


def test_contract_basics(tmp_path):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        ShiftedBetaGeometric().survival(3)
    model = ShiftedBetaGeometric().fit_survival(HIGH_END)
    assert model.fit_survival(REGULAR) is model
    assert "alpha=0.704" in repr(model)
    path = tmp_path / "sbg.json"
    model.save(path)
    loaded = CustomerBaseModel.load(path)
    assert isinstance(loaded, ShiftedBetaGeometric)
    np.testing.assert_array_equal(loaded.expected_residual_lifetime(np.arange(5), 0.1),
                                  model.expected_residual_lifetime(np.arange(5), 0.1))


log_param = st.floats(-3.0, 3.0).map(lambda v: 10.0**v)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alpha=log_param, beta=log_param, t=st.lists(st.integers(1, 3650), min_size=1, max_size=5),
       d=st.floats(-4.0, 1.0).map(lambda v: 10.0**v))
@example(alpha=0.001, beta=0.001, t=[1, 3650], d=1e-4)
@example(alpha=1000.0, beta=0.001, t=[1, 3650], d=10.0)
def test_never_nan(alpha, beta, t, d):
    model = with_params(alpha, beta)
    t = np.array(t, dtype=float)
    data = {"t": np.concatenate([t, t]), "churned": np.concatenate([np.ones_like(t), np.zeros_like(t)])}
    params = np.array([alpha, beta])
    assert np.all(np.isfinite(model._log_likelihood(params, data)))
    assert np.all(np.isfinite(model._gradient(params, data)))
    s = model.survival(t)
    assert np.all((s >= 0) & (s <= 1))
    r = model.retention_rate(t)
    assert np.all((r >= 0) & (r <= 1))
    p = model.churn_probability(t)
    assert np.all((p >= 0) & (p <= 1))
    derl = model.expected_residual_lifetime(t, d)
    assert np.all(np.isfinite(derl)) and np.all(derl >= 0) and np.all(derl <= (1 + d) / d * (1 + 1e-9))
    lifetime = model.expected_lifetime(d)
    assert math.isfinite(lifetime) and 1.0 <= lifetime <= (1 + d) / d * (1 + 1e-9)


def test_derl_cross_check_with_a_public_implementation():
    """jdmaturen/shifted_beta_geometric_py's README: the high-end cohort's survivors after 7 periods
    have DERL 7.530 at a 10% discount rate (an independent open-source implementation, scipy's hyp2f1)."""
    model = ShiftedBetaGeometric().fit_survival(HIGH_END)
    assert model.expected_residual_lifetime(7, 0.10) == pytest.approx(7.530, abs=5e-4)
