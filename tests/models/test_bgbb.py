"""BG/BB (Fader, Hardie & Shang 2010): the published fit, lifetimes' predictions, brute force, invariants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lifetimes import BetaGeoBetaBinomFitter
from lifetimes.datasets import load_donations
from scipy.optimize import approx_fprime
from scipy.special import betaln, comb

from clientele.errors import ConvergenceError, ModelInputError, NotFittedError
from clientele.models import BGBB, CustomerBaseModel

PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    return load_donations()


@pytest.fixture(scope="module")
def fitted(donations) -> BGBB:
    return BGBB().fit(donations)


def with_params(**params) -> BGBB:
    model = BGBB()
    model.params_ = {k: float(v) for k, v in params.items()}
    return model


def lifetimes_twin(model: BGBB) -> BetaGeoBetaBinomFitter:
    twin = BetaGeoBetaBinomFitter()
    twin.params_ = pd.Series(model.params_)[["alpha", "beta", "gamma", "delta"]]
    return twin


def grid(n_max: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [(x, tx, n) for n in range(1, n_max + 1) for tx in range(n + 1) for x in range(tx + 1)
            if (x == 0) == (tx == 0)]
    return tuple(np.array(c, dtype=float) for c in zip(*rows))


def test_published_donations_fit(fitted):
    """FHS 2010 Table 2 (1995 cohort, 11,104 donors, 6 opportunities) and its log-likelihood -33,225.6."""
    for name, value in PUBLISHED.items():
        assert round(fitted.params_[name], 3) == value or abs(fitted.params_[name] / value - 1) < 1e-3
    assert fitted.log_likelihood_ == pytest.approx(-33225.6, abs=0.1)
    assert fitted.n_customers_ == 11104
    summary = fitted.summary()
    assert list(summary.index) == ["alpha", "beta", "gamma", "delta"]
    assert np.all(summary["lower_95"] < summary["estimate"]) and np.all(summary["estimate"] < summary["upper_95"])


def test_arrays_and_weights_give_the_same_fit(donations, fitted):
    by_arrays = BGBB().fit(donations["frequency"], donations["recency"], donations["periods"],
                           weights=donations["weights"])
    assert by_arrays.params_ == pytest.approx(fitted.params_, rel=1e-10)


def test_compressed_fit_equals_expanded_fit(donations, fitted):
    expanded = donations.loc[donations.index.repeat(donations["weights"])]
    model = BGBB().fit(expanded["frequency"].to_numpy(), expanded["recency"].to_numpy(), expanded["periods"].to_numpy())
    assert model.n_customers_ == 11104 and model.n_distinct_ == len(donations)
    assert model.params_ == pytest.approx(fitted.params_, rel=1e-6)
    assert model.log_likelihood_ == pytest.approx(fitted.log_likelihood_, rel=1e-10)


@pytest.mark.parametrize("params", [(0.7, 1.9, 0.4, 3.3), (0.3, 0.4, 0.2, 0.5), (5.0, 20.0, 3.0, 0.8), (0.05, 0.1, 1.5, 40.0)])
def test_likelihood_sums_to_one_over_all_histories(params):
    """Brute force: every 0/1 purchase sequence of length n has probability L(x, t_x, n)."""
    model = BGBB()
    params = np.array(params)
    for n in (1, 4, 9, 20):
        x, tx, nn = grid(n)
        keep = nn == n
        data = {"frequency": x[keep], "recency": tx[keep], "n_periods": nn[keep]}
        sequences = np.where(data["frequency"] == 0, 1.0, comb(data["recency"] - 1, data["frequency"] - 1))
        total = np.sum(sequences * np.exp(model._log_likelihood(params, data)))
        assert total == pytest.approx(1.0, abs=1e-12)


def test_gradient_matches_finite_differences():
    x, tx, n = grid(8)
    data = {"frequency": x, "recency": tx, "n_periods": n}
    model = BGBB()
    for params in (np.array([1.2, 0.75, 0.66, 2.8]), np.array([0.05, 0.3, 4.0, 0.2])):
        analytic = model._gradient(params, data)
        for row in (0, 5, len(x) - 1):
            numeric = approx_fprime(params, lambda p: model._log_likelihood(p, data)[row], 1e-7 * params)
            np.testing.assert_allclose(analytic[row], numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("source", ["donations", "grid"])
def test_predictions_agree_with_lifetimes(fitted, donations, source):
    if source == "donations":
        x, tx, n = (donations[c].to_numpy(float) for c in ("frequency", "recency", "periods"))
    else:
        x, tx, n = grid(12)
    twin = lifetimes_twin(fitted)
    for horizon in (1, 2, 5, 10):
        ours = fitted.expected_purchases(horizon, x, tx, n)
        theirs = twin.conditional_expected_number_of_purchases_up_to_time(horizon, x, tx, n)
        finite = np.isfinite(theirs)
        np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-6)
        ours = fitted.p_alive(x, tx, n, periods_ahead=horizon)
        theirs = twin.conditional_probability_alive(horizon, x, tx, n)
        np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-6)


@pytest.mark.parametrize("params", [
    {"alpha": 0.3, "beta": 0.4, "gamma": 0.2, "delta": 0.5},  # alpha + beta < 1 and gamma + delta < 1
    {"alpha": 5.0, "beta": 20.0, "gamma": 3.0, "delta": 0.8},
    {"alpha": 0.05, "beta": 0.1, "gamma": 1.5, "delta": 40.0},
])
def test_predictions_agree_with_lifetimes_across_parameters(params):
    """lifetimes adds 1e-15 inside its likelihood sum (before dividing by B(a,b) B(g,d)); rows where
    that offset moves its likelihood by more than 1e-9 are its error, not a disagreement, and are left out
    (our likelihood on them is checked by the brute-force sum-to-one test)."""
    model = with_params(**params)
    twin = lifetimes_twin(model)
    x, tx, n = grid(20)
    data = {"frequency": x, "recency": tx, "n_periods": n}
    a, b, g, d = (params[k] for k in ("alpha", "beta", "gamma", "delta"))
    offset = 1e-15 * np.exp(-betaln(a, b) - betaln(g, d) - model._log_likelihood(np.array([a, b, g, d]), data))
    clean = offset < 1e-9
    assert clean.sum() >= 20
    for horizon in (1, 10):
        np.testing.assert_allclose(model.expected_purchases(horizon, x, tx, n)[clean],
                                   twin.conditional_expected_number_of_purchases_up_to_time(horizon, x, tx, n)[clean],
                                   rtol=1e-6)
        np.testing.assert_allclose(model.p_alive(x, tx, n, periods_ahead=horizon)[clean],
                                   twin.conditional_probability_alive(horizon, x, tx, n)[clean], rtol=1e-6)


def test_p_purchases_agrees_with_lifetimes_and_sums_to_one(fitted, donations):
    twin = lifetimes_twin(fitted)
    twin.data = donations.rename(columns={"periods": "n_periods"})
    for n in (3, 6, 10):
        theirs = twin.expected_number_of_transactions_in_first_n_periods(n)["model"] / donations["weights"].sum()
        ours = fitted.p_purchases(theirs.index.to_numpy(), n)
        np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=1e-6)
        full = fitted.p_purchases(np.arange(n + 1), n)
        assert full.sum() == pytest.approx(1.0, abs=1e-12)
        # E[X(n)] (eq. 9) is the mean of the distribution of eq. 7
        assert fitted.expected_purchases_new(n) == pytest.approx(np.dot(np.arange(n + 1), full), rel=1e-10)
    assert fitted.p_purchases(7, 6) == 0.0


@pytest.mark.parametrize("gamma", [1.0, 1.0 + 1e-9, 1.0 - 1e-6, 1.02, 0.3, 40.0])
def test_expected_purchases_brute_force_including_gamma_one(gamma):
    """Eq. 13 equals (a+x)/(a+b+n) * sum_k P(alive at n+k), a sum of Beta-function ratios."""
    model = with_params(alpha=0.9, beta=1.4, gamma=gamma, delta=2.5)
    x, tx, n = grid(7)
    a, b, g, d = 0.9, 1.4, gamma, 2.5
    for horizon in (1, 3, 25):
        alive = sum(model.p_alive(x, tx, n, periods_ahead=k) for k in range(1, horizon + 1))
        np.testing.assert_allclose(model.expected_purchases(horizon, x, tx, n), (a + x) / (a + b + n) * alive, rtol=1e-9)
        brute_new = a / (a + b) * sum(math.exp(betaln(g, d + k) - betaln(g, d)) for k in range(1, horizon + 1))
        assert model.expected_purchases_new(horizon) == pytest.approx(brute_new, rel=1e-9)
    assert model.expected_purchases(0, x, tx, n) == pytest.approx(np.zeros_like(x))


def test_sample_recovers_parameters_within_three_standard_errors(fitted):
    simulated = fitted.sample(100_000, 6, seed=7)
    assert list(simulated.columns) == ["frequency", "recency", "n_periods"]
    assert simulated["frequency"].mean() == pytest.approx(float(fitted.expected_purchases_new(6)), rel=0.02)
    refit = BGBB().fit(simulated)
    for name, true in fitted.params_.items():
        assert abs(refit.params_[name] - true) < 3 * refit.standard_errors_[name], name


def test_sample_with_per_customer_periods(fitted):
    simulated = fitted.sample(1000, np.arange(1000) % 9 + 1, seed=1)
    assert np.all(simulated["n_periods"] == np.arange(1000) % 9 + 1)
    assert np.all(simulated["frequency"] <= simulated["recency"])
    assert np.all(simulated["recency"] <= simulated["n_periods"])
    assert np.all((simulated["frequency"] == 0) == (simulated["recency"] == 0))


@pytest.mark.parametrize(
    ("x", "tx", "n", "rule"),
    [
        ([1, 0], [2, 3], [5, 5], "non-zero recency values when frequency is zero; row 1"),
        ([1, 2], [2, 7], [5, 5], "recency must not exceed n_periods; row 1"),
        ([3], [2], [5], "frequency must not exceed recency.*; row 0"),
        ([1.5], [2], [5], "frequency must be a non-negative whole number.*; row 0"),
        ([1, -1], [2, 2], [5, 5], "frequency must be a non-negative whole number.*; row 1"),
        ([1], [np.nan], [5], "recency must be finite; row 0"),
    ],
)
def test_bad_input_names_rule_and_row(x, tx, n, rule):
    with pytest.raises(ModelInputError, match=rule):
        BGBB().fit(x, tx, n)


def test_degenerate_data_end_with_clear_errors(donations):
    with pytest.raises(ModelInputError, match="no customer has a transaction"):
        BGBB().fit([0, 0, 0], [0, 0, 0], [6, 6, 6])
    for data in (([2], [3], [6]), ([2] * 40, [3] * 40, [6] * 40)):
        with pytest.raises(ConvergenceError, match="penalizer_coef"):
            BGBB().fit(*data)
    assert BGBB(penalizer_coef=0.01).fit([2] * 40, [3] * 40, [6] * 40).is_fitted
    with pytest.raises(ModelInputError, match="missing input"):
        BGBB().fit([1, 2])
    # a far-off starting point still reaches the published optimum
    far = BGBB(initial_params={"alpha": 1e5, "beta": 1e5, "gamma": 1e-5, "delta": 1e5}).fit(donations)
    assert far.params_["alpha"] == pytest.approx(PUBLISHED["alpha"], rel=1e-3)


def test_docstring_examples_run():
    import doctest

    import clientele.models.bgbb as module

    assert doctest.testmod(module).failed == 0


def test_contract_basics(fitted, tmp_path):
    """Kept here as well as in test_contract.py: not-fitted error, repr, save/load round trip."""
    with pytest.raises(NotFittedError, match="not fitted yet"):
        BGBB().p_alive([1], [2], [6])
    assert repr(BGBB()) == "BGBB(penalizer_coef=0.0, initial_params=None)"
    assert "alpha=1.204" in repr(fitted)
    path = tmp_path / "bgbb.json"
    fitted.save(path)
    loaded = CustomerBaseModel.load(path)
    assert isinstance(loaded, BGBB) and loaded.params_ == fitted.params_
    x, tx, n = grid(6)
    np.testing.assert_array_equal(loaded.expected_purchases(3, x, tx, n), fitted.expected_purchases(3, x, tx, n))


log_param = st.floats(-3.0, 3.0).map(lambda v: 10.0**v)


@st.composite
def histories(draw):
    n = draw(st.integers(0, 3650))
    tx = draw(st.integers(0, n))
    x = 0 if tx == 0 else draw(st.integers(1, tx))
    return float(x), float(tx), float(n)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alpha=log_param, beta=log_param, gamma=log_param, delta=log_param,
       rows=st.lists(histories(), min_size=1, max_size=4))
@example(alpha=0.01, beta=0.02, gamma=1.0, delta=0.005, rows=[(3650.0, 3650.0, 3650.0), (0.0, 0.0, 3650.0), (1.0, 1.0, 3650.0)])
@example(alpha=1000.0, beta=0.001, gamma=0.001, delta=1000.0, rows=[(1.0, 3000.0, 3650.0), (2999.0, 3000.0, 3650.0)])
def test_never_nan(alpha, beta, gamma, delta, rows):
    model = with_params(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    x, tx, n = (np.array(c) for c in zip(*rows))
    data = {"frequency": x, "recency": tx, "n_periods": n}
    params = np.array([alpha, beta, gamma, delta])
    with np.errstate(all="ignore"):
        assert np.all(np.isfinite(model._log_likelihood(params, data)))
        assert np.all(np.isfinite(model._gradient(params, data)))
    alive = model.p_alive(x, tx, n)
    assert np.all((alive >= 0) & (alive <= 1))
    previous = np.zeros_like(x)
    for horizon in (0, 1, 2, 10, 365, 3650):
        expected = model.expected_purchases(horizon, x, tx, n)
        assert np.all(np.isfinite(expected)) and np.all(expected >= previous * (1 - 1e-12))
        previous = expected
    new = model.expected_purchases_new(np.array([0, 1, 5, 50, 3650]))
    assert np.all(np.isfinite(new)) and np.all(np.diff(new) >= -1e-12 * new[1:])
    probs = model.p_purchases(np.arange(8), 7)
    assert np.all(np.isfinite(probs)) and probs.sum() == pytest.approx(1.0, abs=1e-9)
