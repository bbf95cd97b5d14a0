"""Pareto/NBD: published CDNOW estimates, agreement with lifetimes and with mpmath, never-NaN numerics."""

from __future__ import annotations

import doctest

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifetimes import ParetoNBDFitter
from lifetimes.datasets import load_cdnow_summary

import clientele.models._pareto_likelihood as likelihood_module
import clientele.models.pareto_nbd as pareto_module
from clientele.errors import ConvergenceError, ModelInputError, NotFittedError
from clientele.models import CustomerBaseModel, ParetoNBD
from clientele.models._special import concave_quadrature, hyp2f1_1b
from clientele.models._pareto_likelihood import pareto_nbd_total
from clientele.models.pareto_nbd import pareto_nbd_log_likelihood

NAMES = ("r", "alpha", "s", "beta")
PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
CLVTOOLS_SE = {"r": 0.0476, "alpha": 0.843, "s": 0.187, "beta": 6.21}


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary()


@pytest.fixture(scope="module")
def fitted(cdnow):
    return ParetoNBD().fit(cdnow)


def with_params(params):
    model = ParetoNBD()
    model.params_ = dict(params)
    return model


def lifetimes_with(params):
    fitter = ParetoNBDFitter()
    fitter.params_ = pd.Series(params)
    return fitter


def arrays(df):
    return [df[c].to_numpy(np.float64) for c in ("frequency", "recency", "T")]


# ---------------------------------------------------------------------------- published results
def test_cdnow_estimates_match_fader_hardie_lee(fitted):
    for name, published in PUBLISHED.items():
        assert round(fitted.params_[name], 3) == published or fitted.params_[name] == pytest.approx(published, rel=1e-3)
    assert fitted.log_likelihood_ == pytest.approx(-9595.0, abs=0.1)


def test_weighted_sums_of_expected_purchases(fitted, cdnow):
    horizons = np.array([0.0, 4.345, 13.0, 52.0])
    weights = np.array([[0.3, 0.5, 0.2, 1.0], [0.0, 0.0, 0.0, 1.0]])
    each = np.column_stack([fitted.expected_purchases(t, cdnow) for t in horizons])
    np.testing.assert_allclose(fitted.discounted_expected_purchases(horizons, weights, cdnow), each @ weights.T, rtol=1e-12)
    live = fitted.discounted_expected_purchases(horizons, weights[0], cdnow, given_alive=True)
    np.testing.assert_allclose(live * fitted.p_alive(cdnow), each @ weights[0], rtol=1e-12)
    with pytest.raises(ModelInputError, match="weights"):
        fitted.discounted_expected_purchases(horizons, [1.0], cdnow)


def test_cdnow_standard_errors_match_clvtools(fitted):
    for name, se in CLVTOOLS_SE.items():
        assert fitted.standard_errors_[name] == pytest.approx(se, rel=0.02)
    table = fitted.summary()
    assert list(table.index) == list(NAMES)
    assert np.all(table["lower_95"] < table["estimate"]) and np.all(table["estimate"] < table["upper_95"])


def test_log_likelihood_equals_lifetimes_per_customer(cdnow):
    x, t_x, T = arrays(cdnow)
    params = np.array(list(PUBLISHED.values()))
    ours, _, _ = pareto_nbd_log_likelihood(params, x, t_x, T)
    theirs = ParetoNBDFitter._conditional_log_likelihood(params, x, t_x, T)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-10)


# ---------------------------------------------------------------------------- predictions vs lifetimes
@pytest.mark.parametrize("params", [PUBLISHED, {"r": 2.0, "alpha": 3.0, "s": 1.5, "beta": 0.7}, {"r": 0.3, "alpha": 40.0, "s": 2.5, "beta": 90.0}])
def test_predictions_equal_lifetimes(cdnow, params):
    ours, theirs = with_params(params), lifetimes_with(params)
    x, t_x, T = arrays(cdnow)
    grid_x, grid_tx = np.meshgrid(np.arange(0, 30.0), np.linspace(0, 39, 14))
    grid_x, grid_tx = grid_x.ravel(), np.where(grid_x.ravel() > 0, grid_tx.ravel(), 0.0)
    for xs, txs, Ts in [(x, t_x, T), (grid_x, grid_tx, np.full(grid_x.shape, 39.0))]:
        expected = theirs.conditional_probability_alive(xs, txs, Ts)
        finite = np.isfinite(expected)
        np.testing.assert_allclose(ours.p_alive(xs, txs, Ts)[finite], expected[finite], rtol=1e-6)
        for t in (1.0, 10.0, 52.0):
            expected = theirs.conditional_expected_number_of_purchases_up_to_time(t, xs, txs, Ts)
            finite = np.isfinite(expected)
            np.testing.assert_allclose(ours.expected_purchases(t, xs, txs, Ts)[finite], expected[finite], rtol=1e-6)
    t = np.array([0.5, 1.0, 10.0, 52.0, 100.0, 1000.0])
    np.testing.assert_allclose(ours.expected_purchases_new(t), theirs.expected_number_of_purchases_up_to_time(t), rtol=1e-6)
    for n in range(6):
        for t in (1.0, 10.0, 52.0):
            # a new customer is a customer of age 0 with no history
            expected = theirs.conditional_probability_of_n_purchases_up_to_time(n, t, 0.0, 0.0, 0.0)
            assert ours.p_purchases(n, t) == pytest.approx(expected, rel=1e-6, abs=1e-13)


def test_p_purchases_is_a_distribution_with_the_right_mean():
    model = with_params({"r": 0.8, "alpha": 4.0, "s": 0.4, "beta": 30.0})
    n = np.arange(0, 3000)[:, None]
    t = np.array([0.0, 1.0, 10.0, 52.0, 500.0])[None, :]
    pmf = model.p_purchases(n, t)
    assert pmf.shape == (3000, 5)
    np.testing.assert_allclose(pmf.sum(axis=0), 1.0, atol=1e-9)
    np.testing.assert_allclose((n * pmf).sum(axis=0), model.expected_purchases_new(t.ravel()), rtol=1e-8, atol=1e-12)


def test_expected_purchases_at_s_equal_one_is_the_limit():
    x, t_x, T = np.array([3.0]), np.array([20.0]), np.array([39.0])
    at_one = with_params({"r": 0.5, "alpha": 10.0, "s": 1.0, "beta": 12.0})
    near_one = with_params({"r": 0.5, "alpha": 10.0, "s": 1.0 + 1e-7, "beta": 12.0})
    assert at_one.expected_purchases(52.0, x, t_x, T)[0] == pytest.approx(near_one.expected_purchases(52.0, x, t_x, T)[0], rel=1e-6)
    assert at_one.expected_purchases_new(52.0) == pytest.approx(0.5 * 12.0 / 10.0 * np.log1p(52.0 / 12.0), rel=1e-12)


# ---------------------------------------------------------------------------- numerics vs mpmath
def mp_log_likelihood(r, alpha, s, beta, x, t_x, T):
    """F&H note eqs. 18-20 with mpmath's 2F1 (call inside ``mp.workdps(40)``): an independent reference."""
    r, alpha, s, beta, x, t_x, T = (mp.mpf(v) for v in (r, alpha, s, beta, x, t_x, T))
    a = r + s + x
    big, b = (alpha, s + 1) if alpha >= beta else (beta, r + x)
    gap = abs(alpha - beta)
    a0 = mp.hyp2f1(a, b, a + 1, gap / (big + t_x)) / (big + t_x) ** a - mp.hyp2f1(a, b, a + 1, gap / (big + T)) / (big + T) ** a
    like = (alpha + T) ** (-(r + x)) * (beta + T) ** (-s) + s / a * a0
    return mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta) + mp.log(like)


HARD = [
    # (r, alpha, s, beta, x, t_x, T): frequent buyers, alpha >> beta and alpha << beta (quadrature), ties
    (0.553, 10.578, 0.606, 11.669, 2, 30.43, 38.86),
    (0.5, 1000.0, 0.5, 0.001, 10000, 3000.0, 3650.0),
    (0.5, 1000.0, 0.5, 0.001, 0, 0.0, 3650.0),
    (0.5, 1000.0, 0.5, 0.001, 5, 0.1, 3650.0),
    (2.0, 0.001, 0.01, 100.0, 10000, 1.0, 3650.0),
    (2.0, 0.001, 0.01, 100.0, 3, 1000.0, 3650.0),
    (0.01, 0.1, 10.0, 0.5, 50, 10.0, 3650.0),
    (100.0, 1.0, 0.2, 1000.0, 10000, 3649.0, 3650.0),
    (0.1, 5.0, 0.05, 5.0001, 7, 5.0, 7.0),
    (0.001, 1000.0, 1000.0, 0.001, 1, 0.5, 10.0),
    (20.0, 1.0, 0.3, 50.0, 10000, 3650.0, 3650.0),
    (3.0, 3.0, 0.7, 3.0, 400, 200.0, 3650.0),
]


@pytest.mark.parametrize("case", HARD)
def test_log_likelihood_and_gradient_match_mpmath(case):
    params, (x, t_x, T) = np.array(case[:4]), case[4:]
    ll, grad, _ = pareto_nbd_log_likelihood(params, np.array([x], float), np.array([t_x]), np.array([T]))
    with mp.workdps(40):
        reference = mp_log_likelihood(*case)
        assert abs(ll[0] - float(reference)) <= 1e-11 * max(1.0, abs(float(reference)))
        for j in range(4):
            slope = mp.diff(lambda v: mp_log_likelihood(*[v if k == j else case[k] for k in range(4)], x, t_x, T), case[j])
            assert grad[0, j] == pytest.approx(float(slope), rel=1e-8, abs=1e-12 * max(1.0, abs(float(reference))))


@pytest.mark.parametrize(
    "case",
    [(0.5, 1000.0, 0.5, 0.001, 50, 3650.0), (2.0, 0.001, 0.01, 100.0, 10000, 3650.0), (50.0, 2.0, 0.2, 1e3, 300, 10.0)],
)
def test_p_purchases_matches_mpmath(case):
    r, alpha, s, beta, n, t = case
    with mp.workdps(30):
        r_, a_, s_, b_, n_, t_ = (mp.mpf(v) for v in case)
        integrand = lambda y: mp.exp((n_ + 1) * y - (r_ + n_) * mp.log(a_ + mp.exp(y)) - (s_ + 1) * mp.log(b_ + mp.exp(y)))  # noqa: E731
        dead = mp.quad(integrand, mp.linspace(mp.log(t_) - 80, mp.log(t_), 161))
        front = mp.exp(mp.loggamma(r_ + n_) - mp.loggamma(r_) - mp.loggamma(n_ + 1) + r_ * mp.log(a_))
        expected = front * (t_**n_ * (a_ + t_) ** (-(r_ + n_)) * (b_ / (b_ + t_)) ** s_ + s_ * b_**s_ * dead)
    model = with_params({"r": r, "alpha": alpha, "s": s, "beta": beta})
    assert model.p_purchases(n, t) == pytest.approx(float(expected), rel=1e-10)


def test_series_and_quadrature_agree(cdnow, monkeypatch):
    rng = np.random.default_rng(3)
    x = np.concatenate([arrays(cdnow)[0], rng.integers(0, 10000, 300).astype(float)])
    T = np.concatenate([arrays(cdnow)[2], rng.uniform(0, 3650, 300)])
    t_x = np.concatenate([arrays(cdnow)[1], T[-300:] * rng.random(300)])
    t_x[x == 0] = 0.0
    for params in ([0.553, 10.578, 0.606, 11.669], [2.0, 30.0, 0.3, 9.0], [0.2, 1.0, 4.0, 2.5]):
        ll_s, g_s, _ = pareto_nbd_log_likelihood(np.array(params), x, t_x, T)
        monkeypatch.setattr(likelihood_module, "SERIES_MAX_Z", -1.0)  # everything by quadrature,
        monkeypatch.setattr(likelihood_module, "QUAD_CHUNK", 97)  # in many batches
        ll_q, g_q, _ = pareto_nbd_log_likelihood(np.array(params), x, t_x, T)
        monkeypatch.undo()
        np.testing.assert_allclose(ll_q, ll_s, rtol=1e-11, atol=1e-10)
        np.testing.assert_allclose(g_q, g_s, rtol=1e-7, atol=1e-9)


def test_special_functions_against_mpmath():
    b, c, z = np.array([0.5, 3.0, 100.0, 1.2]), np.array([2.0, 5.0, 101.5, 1e4]), np.array([0.3, 0.79, 0.5, 0.1])
    value, d_b, d_c, d_z = hyp2f1_1b(b, c, z)
    with mp.workdps(30):
        for i in range(len(b)):
            f = lambda bb, cc, zz: mp.hyp2f1(1, bb, cc, zz)  # noqa: E731
            assert value[i] == pytest.approx(float(f(b[i], c[i], z[i])), rel=1e-14)
            assert d_b[i] == pytest.approx(float(mp.diff(lambda v: f(v, c[i], z[i]), b[i])), rel=1e-12)
            assert d_c[i] == pytest.approx(float(mp.diff(lambda v: f(b[i], v, z[i]), c[i])), rel=1e-12)
            assert d_z[i] == pytest.approx(float(mp.diff(lambda v: f(b[i], c[i], v), z[i])), rel=1e-12)
    # int_0^2 tau^3 (1+tau)^-5 (4+tau)^-2 dtau, in log tau: c0 = 4, terms (5, 1) and (2, 4)
    _, log_w = concave_quadrature(np.array([4.0]), np.array([[5.0, 2.0]]), np.array([[1.0, 4.0]]), np.array([-np.inf]), np.log([2.0]))
    with mp.workdps(30):
        exact = mp.quad(lambda t: t**3 * (1 + t) ** -5 * (4 + t) ** -2, [0, 2])
    assert np.exp(np.logaddexp.reduce(log_w[0])) == pytest.approx(float(exact), rel=1e-13)


# ---------------------------------------------------------------------------- never NaN
positive = st.floats(-3.0, 3.0).map(lambda e: 10.0**e)
histories = st.lists(
    st.tuples(st.integers(0, 10000), st.floats(0.0, 1.0), st.floats(0.0, 3650.0)), min_size=1, max_size=12
)


@settings(max_examples=150, deadline=None)
@given(r=positive, alpha=positive, s=positive, beta=positive, rows=histories, t=st.floats(0.0, 3650.0))
def test_never_nan(r, alpha, s, beta, rows, t):
    x = np.array([row[0] for row in rows], dtype=float)
    T = np.array([row[2] for row in rows])
    t_x = np.where(x > 0, np.array([row[1] for row in rows]) * T, 0.0)
    ll, grad, _ = pareto_nbd_log_likelihood(np.array([r, alpha, s, beta]), x, t_x, T)
    assert np.all(np.isfinite(ll)) and np.all(np.isfinite(grad))
    model = with_params({"r": r, "alpha": alpha, "s": s, "beta": beta})
    alive = model.p_alive(x, t_x, T)
    assert np.all((alive >= 0) & (alive <= 1))
    sooner, later = model.expected_purchases(t, x, t_x, T), model.expected_purchases(t * 1.5 + 1.0, x, t_x, T)
    assert np.all(np.isfinite(later)) and np.all(sooner >= 0) and np.all(later >= sooner)
    new = model.expected_purchases_new(np.array([t, t * 1.5 + 1.0]))
    assert np.all(np.isfinite(new)) and 0 <= new[0] <= new[1]
    pmf = model.p_purchases(x[:3], t)
    assert np.all(np.isfinite(pmf)) and np.all((pmf >= 0) & (pmf <= 1))


def test_gradient_matches_finite_differences_on_hard_rows():
    rng = np.random.default_rng(7)
    x = np.floor(10 ** rng.uniform(0, 4, 400)) * (rng.random(400) < 0.8)
    T = rng.uniform(0.0, 3650.0, 400)
    t_x = np.where(x > 0, T * rng.random(400), 0.0)
    for params in (np.array([0.5, 1000.0, 0.5, 0.01]), np.array([2.0, 0.01, 0.05, 100.0]), np.array([0.3, 7.0, 1.4, 7.0])):
        _, grad, _ = pareto_nbd_log_likelihood(params, x, t_x, T)
        for j in range(4):
            h = 1e-6 * params[j]
            up, down = params.copy(), params.copy()
            up[j] += h
            down[j] -= h
            slope = (pareto_nbd_log_likelihood(up, x, t_x, T, False)[0] - pareto_nbd_log_likelihood(down, x, t_x, T, False)[0]) / (2 * h)
            np.testing.assert_allclose(grad[:, j] * params[j], slope * params[j], rtol=1e-5, atol=1e-5)


def test_weighted_total_equals_the_sum_of_rows(cdnow):
    rng = np.random.default_rng(9)
    x, t_x, T = arrays(cdnow)
    extra_T = rng.uniform(0, 3650, 200)
    extra_x = rng.integers(0, 10000, 200).astype(float)
    x, T = np.concatenate([x, extra_x]), np.concatenate([T, extra_T])
    t_x = np.concatenate([t_x, np.where(extra_x > 0, extra_T * rng.random(200), 0.0)])
    weights = rng.integers(1, 5, len(x)).astype(float)
    for params in ([0.553, 10.578, 0.606, 11.669], [0.5, 1000.0, 0.5, 0.01], [2.0, 0.01, 0.05, 100.0]):
        ll, grad, _ = pareto_nbd_log_likelihood(np.array(params), x, t_x, T)
        total, total_grad = pareto_nbd_total(np.array(params), x, t_x, T, weights)
        assert total == pytest.approx(weights @ ll, rel=1e-13)
        np.testing.assert_allclose(total_grad, weights @ grad, rtol=1e-11)


# ---------------------------------------------------------------------------- the model contract
def test_fit_contract_and_round_trip(cdnow, fitted, tmp_path):
    fresh = ParetoNBD()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        fresh.p_alive(1, 1.0, 2.0)
    with pytest.raises(NotFittedError):
        fresh.sample(10, 5.0)
    assert repr(fresh) == "ParetoNBD(penalizer_coef=0.0, initial_params=None)"
    assert "fitted on 2,357 customers" in repr(fitted)
    path = tmp_path / "pareto.json"
    fitted.save(path)
    loaded = CustomerBaseModel.load(path)
    assert isinstance(loaded, ParetoNBD) and loaded.params_ == fitted.params_
    x, t_x, T = arrays(cdnow)
    np.testing.assert_array_equal(loaded.expected_purchases(10.0, x, t_x, T), fitted.expected_purchases(10.0, x, t_x, T))
    np.testing.assert_array_equal(loaded.p_alive(cdnow), fitted.p_alive(cdnow))


def test_weights_equal_repeated_rows(cdnow):
    head = cdnow.iloc[:400]
    counts = np.random.default_rng(0).integers(1, 4, len(head))
    repeated = head.loc[head.index.repeat(counts)]
    by_weight = ParetoNBD().fit(head["frequency"], head["recency"], head["T"], weights=counts)
    by_rows = ParetoNBD().fit(repeated)
    assert by_rows.n_distinct_ == by_weight.n_distinct_ == len(head[["frequency", "recency", "T"]].drop_duplicates())
    for name in NAMES:
        assert by_rows.params_[name] == pytest.approx(by_weight.params_[name], rel=1e-6)
    assert by_rows.log_likelihood_ == pytest.approx(by_weight.log_likelihood_, rel=1e-10)


def test_time_unit_is_kept(cdnow):
    frame = cdnow.copy()
    frame.attrs["time_unit"] = "weeks"
    assert ParetoNBD().fit(frame).time_unit_ == "weeks"


# ---------------------------------------------------------------------------- simulation
def test_parameter_recovery_within_three_standard_errors():
    truth = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    data = with_params(truth).sample(100_000, T=np.random.default_rng(5).uniform(20.0, 60.0, 100_000), seed=11)
    model = ParetoNBD().fit(data)
    for name, value in truth.items():
        assert abs(model.params_[name] - value) < 3 * model.standard_errors_[name]


def test_sample_follows_the_model():
    model = with_params({"r": 0.8, "alpha": 4.0, "s": 0.4, "beta": 30.0})
    data = model.sample(50_000, T=20.0, seed=1)
    assert list(data.columns) == ["frequency", "recency", "T"]
    assert np.all(data["recency"] <= data["T"]) and np.all(data.loc[data["frequency"] == 0, "recency"] == 0)
    mean, spread = data["frequency"].mean(), data["frequency"].std() / np.sqrt(len(data))
    assert abs(mean - model.expected_purchases_new(20.0)) < 4 * spread
    share_zero = (data["frequency"] == 0).mean()
    assert abs(share_zero - model.p_purchases(0, 20.0)) < 4 * np.sqrt(share_zero * (1 - share_zero) / len(data))
    again = model.sample(50_000, T=20.0, seed=1)
    pd.testing.assert_frame_equal(data, again)
    with pytest.raises(ModelInputError, match="one number per customer"):
        model.sample(3, T=[1.0, 2.0])


# ---------------------------------------------------------------------------- clear errors
@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1, 0], [2.0, 1.0], [3.0, 3.0], "non-zero recency values when frequency is zero: row 1"),
        ([1, 2], [2.0, 4.0], [3.0, 3.0], "recency must not exceed T.*row 1"),
        ([-1, 2], [2.0, 1.0], [3.0, 3.0], "frequency must be non-negative: row 0"),
        ([1.5, 2], [2.0, 1.0], [3.0, 3.0], "whole number.*row 0"),
        ([1, 2], [2.0, np.nan], [3.0, 3.0], "recency must be finite; row 1"),
        ([1, 2], [2.0, 1.0], [3.0], "differ in length"),
    ],
)
def test_bad_input_names_the_rule_and_row(frequency, recency, T, message):
    with pytest.raises(ModelInputError, match=message):
        ParetoNBD().fit(frequency, recency, T)


def test_degenerate_data_raises_clear_errors(cdnow, fitted):
    with pytest.raises(ModelInputError, match="no customer has a repeat purchase"):
        ParetoNBD().fit([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 6.0, 7.0])
    with pytest.raises(ModelInputError, match="same"):
        ParetoNBD().fit([2], [3.0], [5.0])
    with pytest.raises(ModelInputError, match="same"):
        ParetoNBD().fit([2, 2, 2], [3.0, 3.0, 3.0], [5.0, 5.0, 5.0])
    with pytest.raises(ModelInputError, match="positive"):
        ParetoNBD(initial_params={"r": -1.0, "alpha": 1.0, "s": 1.0, "beta": 1.0}).fit(cdnow)
    with pytest.raises(ModelInputError, match="t must be finite and non-negative"):
        fitted.expected_purchases(-1.0, 1, 1.0, 2.0)
    with pytest.raises(ModelInputError, match="whole numbers"):
        fitted.p_purchases(1.5, 2.0)


@pytest.mark.parametrize(
    ("frequency", "recency"),
    [
        (np.r_[np.zeros(100), 1.0], np.r_[np.zeros(100), 3.0]),  # one repeat buyer
        (np.r_[np.zeros(50), np.ones(50)], np.r_[np.zeros(50), np.full(50, 3.0)]),  # two histories
    ],
)
def test_unidentified_data_raise_instead_of_returning_boundary_values(frequency, recency):
    # the supremum lies at r, alpha -> inf (or s, beta -> inf): either the shape check or the
    # optimiser's own failure report must say so, never a fitted model with huge parameters
    with pytest.raises(ConvergenceError, match="no heterogeneity|optimiser failed"):
        ParetoNBD().fit(frequency, recency, np.full(len(frequency), 10.0))


def test_penalised_fit_of_one_buyer_raises_instead_of_a_degenerate_gamma():
    frequency, recency = np.r_[np.zeros(100), 1.0], np.r_[np.zeros(100), 3.0]
    with pytest.raises(ConvergenceError, match="degenerate gamma"):
        ParetoNBD(penalizer_coef=0.01).fit(frequency, recency, np.full(101, 10.0))


def test_far_starting_point_still_reaches_the_optimum(cdnow):
    far = ParetoNBD(initial_params={"r": 50.0, "alpha": 0.01, "s": 0.01, "beta": 500.0}).fit(cdnow)
    assert far.log_likelihood_ == pytest.approx(-9595.0, abs=0.1)


def test_docstring_example_runs():
    result = doctest.testmod(pareto_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
