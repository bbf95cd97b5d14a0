"""BG/NBD: the published CDNOW fit, agreement with lifetimes, brute-force invariants, recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter
from lifetimes.datasets import load_cdnow_summary

from clientele.errors import ClienteleError, ModelInputError
from clientele.models import BGNBD
from clientele.models._beta_geometric import (
    log_beta_dropout_expectation,
    log_beta_dropout_expectation_grid,
    log_discounted_expectation_grid,
)


@pytest.fixture(scope="module")
def cdnow():
    d = load_cdnow_summary()
    return d[["frequency", "recency", "T"]].astype(float)


@pytest.fixture(scope="module")
def fitted(cdnow):
    return BGNBD().fit(cdnow)


def close_to_published(value, printed, decimals):
    return round(value, decimals) == printed or abs(value / printed - 1) <= 1e-3


def test_cdnow_published_fit(fitted):
    # Fader, Hardie & Lee (2005), section 5: r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4
    for name, printed in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert close_to_published(fitted.params_[name], printed, 3), (name, fitted.params_[name])
    assert abs(fitted.log_likelihood_ - (-9582.4)) < 0.1
    assert fitted.n_customers_ == 2357
    summary = fitted.summary()
    assert list(summary.columns) == ["estimate", "std_error", "lower_95", "upper_95"]
    assert np.all(summary["lower_95"] < summary["estimate"]) and np.all(summary["estimate"] < summary["upper_95"])


def lifetimes_twin(model):
    twin = BetaGeoFitter()
    twin.params_ = pd.Series(model.params_)
    return twin


def rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(b)
    assert ok.mean() > 0.5
    return np.max(np.abs(a[ok] - b[ok]) / np.maximum(np.abs(b[ok]), 1e-300))


def test_predictions_match_lifetimes_on_cdnow(fitted, cdnow):
    twin = lifetimes_twin(fitted)
    x, t_x, T = (cdnow[c].to_numpy() for c in ("frequency", "recency", "T"))
    assert rel_err(fitted.p_alive(cdnow), twin.conditional_probability_alive(x, t_x, T)) < 1e-6
    for t in (0.5, 1.0, 10.0, 39.0, 52.0, 200.0):
        ours = fitted.expected_purchases(t, cdnow)
        theirs = twin.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T)
        assert rel_err(ours, theirs) < 1e-6, t
        assert rel_err(fitted.expected_purchases_new(t), twin.expected_number_of_purchases_up_to_time(t)) < 1e-6
        for n in (0, 1, 2, 5, 20):
            ours, theirs = fitted.p_purchases(n, t)[0], twin.probability_of_n_purchases_up_to_time(t, n)
            # lifetimes forms 1 - (a sum) and loses everything below ~1e-15 (even going negative)
            assert abs(ours - theirs) <= max(1e-6 * abs(theirs), 1e-14), (n, t)


@pytest.mark.parametrize(
    "params",
    [
        dict(r=0.243, alpha=4.414, a=0.793, b=2.426),
        dict(r=2.0, alpha=30.0, a=1.7, b=0.6),
        dict(r=0.5, alpha=100.0, a=3.0, b=12.0),
    ],
)
def test_predictions_match_lifetimes_on_a_grid(params):
    model = BGNBD()
    model.params_ = dict(params)
    model.time_unit_ = None
    twin = lifetimes_twin(model)
    grid = np.array([(x, tx, T) for x in (0, 1, 3, 10) for T in (10.0, 40.0, 300.0) for tx in (0.0, T / 3, T) if x > 0 or tx == 0])
    x, t_x, T = grid.T
    assert rel_err(model.p_alive(x, t_x, T), twin.conditional_probability_alive(x, t_x, T)) < 1e-6
    for t in (1.0, 30.0, 365.0):
        ours = model.expected_purchases(t, x, t_x, T)
        theirs = twin.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T)
        assert rel_err(ours, theirs) < 1e-6


def test_expected_purchases_broadcasts_horizons(fitted, cdnow):
    rows = cdnow.iloc[:5]
    t = np.array([[1.0], [10.0], [52.0]])
    grid = fitted.expected_purchases(t, rows["frequency"].to_numpy(), rows["recency"].to_numpy(), rows["T"].to_numpy())
    assert grid.shape == (3, 5)
    for i, ti in enumerate(t[:, 0]):
        np.testing.assert_allclose(grid[i], fitted.expected_purchases(ti, rows), rtol=1e-12)


def test_p_purchases_is_a_distribution_with_the_expected_mean(fitted):
    n = np.arange(3000)
    for t in (1.0, 39.0, 400.0):
        probs = fitted.p_purchases(n, t)
        assert np.all((probs >= 0) & (probs <= 1))
        assert abs(probs.sum() - 1) < 1e-9
        assert abs(np.dot(n, probs) / fitted.expected_purchases_new(t) - 1) < 1e-7


def test_expectation_matches_brute_force_integral():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 20
    cases = [  # (r, alpha, a, b, t): ordinary, a+b<1, a=1, frequent buyer, tiny a, large a and b
        (0.243, 4.414, 0.793, 2.426, 39.0),
        (0.7, 2.0, 0.3, 0.4, 500.0),
        (1.5, 10.0, 1.0, 3.0, 20.0),
        (5000.2, 120.0, 0.8, 5002.0, 60.0),
        (0.05, 0.01, 0.002, 0.5, 3650.0),
        (3.0, 50.0, 400.0, 900.0, 100.0),
    ]
    for r, alpha, a, b, t in cases:
        u = mpmath.mpf(t) / alpha

        def integrand(y):
            p = mpmath.exp(y)
            return p ** (a - 1) * (1 - p) ** (b - 1) * -mpmath.expm1(-r * mpmath.log1p(p * u))

        # breakpoints (in y = log p) around the beta mode and where p u ~ 1, so quad sees the peaks
        mode, sd = a / (a + b), np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        near = [np.log(mode + j * sd) for j in range(-8, 9) if 0 < mode + j * sd < 1] + [-float(mpmath.log(u))]
        points = sorted({-1e4, -1e3, -100.0, -30.0, -10.0, -3.0, -1.0, *[y for y in near if y < 0]})
        exact = mpmath.quad(integrand, [-mpmath.inf, *points, 0]) / mpmath.beta(a, b)
        ours = log_beta_dropout_expectation(r, alpha, a, b, t)[0]
        assert abs(ours - float(mpmath.log(exact))) < 1e-7, (r, alpha, a, b, t)


def test_parameter_recovery_from_simulation():
    truth = dict(r=0.243, alpha=4.414, a=0.793, b=2.426)
    T = np.random.default_rng(0).uniform(20.0, 60.0, 100_000).round(1)
    data = BGNBD.simulate(truth, 100_000, T=T, seed=1)
    model = BGNBD().fit(data)
    for name, value in truth.items():
        assert abs(model.params_[name] - value) < 3 * model.standard_errors_[name], name


def test_sample_mean_matches_expectation(fitted):
    data = fitted.sample(200_000, T=39.0, seed=7)
    assert list(data.columns) == ["frequency", "recency", "T"]
    assert np.all(data["recency"] <= data["T"]) and np.all(data.loc[data.frequency == 0, "recency"] == 0)
    expected = fitted.expected_purchases_new(39.0)
    se = data["frequency"].std() / np.sqrt(len(data))
    assert abs(data["frequency"].mean() - expected) < 4 * se
    # the share of customers without repeat purchases is P(X(39) = 0)
    share = (data["frequency"] == 0).mean()
    assert abs(share - fitted.p_purchases(0, 39.0)[0]) < 4 * np.sqrt(share * (1 - share) / len(data))


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "rule"),
    [
        ([0, 2], [1.0, 3.0], [5.0, 5.0], "non-zero recency values when frequency is zero"),
        ([1, 2], [6.0, 3.0], [5.0, 5.0], "recency must not exceed T"),
        ([-1, 2], [0.0, 3.0], [5.0, 5.0], "frequency must be non-negative"),
        ([1.5, 2], [1.0, 3.0], [5.0, 5.0], "whole number"),
        ([1, 2], [1.0, np.nan], [5.0, 5.0], "must be finite"),
        ([1, 2, 3], [1.0, 3.0], [5.0, 5.0], "differ in length"),
    ],
)
def test_bad_input_names_the_rule_and_row(frequency, recency, T, rule):
    with pytest.raises(ModelInputError, match=rule):
        BGNBD().fit(frequency, recency, T)


def test_degenerate_data_gives_a_clear_error(cdnow):
    with pytest.raises(ModelInputError, match="no customer has a repeat purchase"):
        BGNBD().fit([0, 0, 0], [0.0, 0.0, 0.0], [10.0, 20.0, 30.0])
    with pytest.raises(ModelInputError, match="same"):
        BGNBD().fit([2], [3.0], [10.0])
    with pytest.raises(ModelInputError, match="same"):
        BGNBD().fit([2, 2, 2], [3.0, 3.0, 3.0], [10.0, 10.0, 10.0])
    # two histories cannot pin four parameters: either a clear error or a finite estimate
    try:
        tiny = BGNBD().fit([1, 2], [3.0, 4.0], [10.0, 10.0])
    except ClienteleError as exc:
        assert "BGNBD" in str(exc)
    else:
        assert all(np.isfinite(v) and v > 0 for v in tiny.params_.values())
    with pytest.raises(ModelInputError, match="initial_params"):
        BGNBD(initial_params=dict(r=0.0, alpha=1.0, a=1.0, b=1.0)).fit(cdnow)


def test_bad_start_still_converges(cdnow):
    far = BGNBD(initial_params=dict(r=500.0, alpha=1e-4, a=300.0, b=1e-3)).fit(cdnow)
    assert abs(far.log_likelihood_ - (-9582.4)) < 0.1


def test_prediction_arguments_are_checked(fitted):
    with pytest.raises(ModelInputError, match="horizon"):
        fitted.expected_purchases(-1.0, [1], [1.0], [2.0])
    with pytest.raises(ModelInputError, match="whole number"):
        fitted.p_purchases(1.5, 2.0)


def test_horizon_grid_agrees_with_single_horizons(fitted, cdnow):
    horizons = np.array([4.345, 13.0, 52.0, 520.0])
    grid = fitted.expected_purchases_by_horizon(horizons, cdnow)
    assert grid.shape == (len(cdnow), 4)
    assert np.all(np.diff(grid, axis=1) >= 0)
    for j, t in enumerate(horizons):
        np.testing.assert_allclose(grid[:, j], fitted.expected_purchases(t, cdnow), rtol=1e-7)


@pytest.mark.parametrize("a", [0.001, 0.05, 0.3, 1.0, 5.0, 1000.0])
def test_weighted_quadrature_is_the_weighted_sum_of_the_horizon_grid(a):
    """Sums over horizons taken inside the integral (binomial series for small ``p u``, exp/expm1
    per horizon beyond, right tail skipped) equal the sums of the per-horizon rule."""
    rng = np.random.default_rng(0)
    n = 3000
    r, alpha, b = (10 ** rng.uniform(-3, 4, n) for _ in range(3))
    t = np.r_[0.0, np.arange(1, 13) * 30.4375]
    discount = 1.1 ** (-np.arange(13) / 12)
    weights = np.vstack([discount, np.eye(13)[-1], np.eye(13)[1], np.zeros(13)])
    got = np.exp(log_discounted_expectation_grid(r, alpha, a, b, t, weights))
    expected = np.exp(log_beta_dropout_expectation_grid(r, alpha, a, b, t)) @ weights.T
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0)
    assert np.all(got[:, 3] == 0)
    assert log_discounted_expectation_grid(r[:5], alpha[:5], a, b[:5], t, weights[0]).shape == (5,)


def test_weighted_sums_of_expected_purchases(fitted, cdnow):
    horizons = np.array([4.345, 13.0, 52.0])
    weights = np.array([[0.5, 0.2, 1.0], [0.0, 0.0, 1.0]])
    sums = fitted.discounted_expected_purchases(horizons, weights, cdnow)
    each = np.column_stack([fitted.expected_purchases(t, cdnow) for t in horizons])
    np.testing.assert_allclose(sums, each @ weights.T, rtol=1e-9)
    live = fitted.discounted_expected_purchases(horizons, weights, cdnow, given_alive=True)
    np.testing.assert_allclose(sums, live * fitted.p_alive(cdnow)[:, None], rtol=1e-12)
    np.testing.assert_allclose(fitted.discounted_expected_purchases(horizons, weights[0], cdnow), sums[:, 0], rtol=1e-12)
    with pytest.raises(ModelInputError, match="weights"):
        fitted.discounted_expected_purchases(horizons, [1.0], cdnow)
    with pytest.raises(ModelInputError, match="non-negative"):
        fitted.discounted_expected_purchases(horizons, [1.0, -1.0, 0.0], cdnow)


def test_docstring_examples_run():
    import doctest

    import clientele.models.bgnbd as bgnbd_module
    import clientele.models.gamma_gamma as gamma_gamma_module
    import clientele.models.mbgnbd as mbgnbd_module

    for module in (bgnbd_module, mbgnbd_module, gamma_gamma_module):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_simulate_checks_its_arguments():
    params = dict(r=0.2, alpha=4.0, a=0.8, b=2.4)
    with pytest.raises(ModelInputError, match="one per customer"):
        BGNBD.simulate(params, 5, T=[1.0, 2.0])
    with pytest.raises(ModelInputError, match="n_customers"):
        BGNBD.simulate(params, 0, T=1.0)
    with pytest.raises(ModelInputError, match="lacks"):
        BGNBD.simulate(dict(r=1.0), 5, T=1.0)
    with pytest.raises(ClienteleError, match="not fitted"):
        BGNBD().sample(5, T=1.0)
