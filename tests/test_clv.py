"""CLV: agreement with lifetimes' customer_lifetime_value, invariants and input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value

from clientele.clv import customer_lifetime_value, horizon_weights, month_length, score_customers
from clientele.errors import ModelInputError
from clientele.models import BGNBD, MBGNBD, GammaGamma, ParetoNBD


@pytest.fixture(scope="module")
def setup():
    rfm = load_cdnow_summary_data_with_monetary_value()[["frequency", "recency", "T", "monetary_value"]].astype(float)
    rfm.attrs["time_unit"] = "W"
    bg = BGNBD().fit(rfm)
    gg = GammaGamma().fit(rfm)
    return rfm, bg, gg


def lifetimes_clv(rfm, bg, gg, months, monthly_rate, freq):
    twin_bg = BetaGeoFitter()
    twin_bg.params_ = pd.Series(bg.params_)
    twin_bg.predict = twin_bg.conditional_expected_number_of_purchases_up_to_time  # set by lifetimes' fit
    twin_gg = GammaGammaFitter()
    twin_gg.params_ = pd.Series({"p": gg.params_["p"], "q": gg.params_["q"], "v": gg.params_["gamma"]})
    cols = {c: rfm[c].astype(float) for c in rfm.columns}
    return twin_gg.customer_lifetime_value(
        twin_bg, cols["frequency"], cols["recency"], cols["T"], cols["monetary_value"],
        time=months, discount_rate=monthly_rate, freq=freq,
    ).to_numpy()


@pytest.mark.parametrize(("months", "monthly_rate"), [(12, 0.01), (3, 0.0), (24, 0.02)])
def test_matches_lifetimes_in_weeks(setup, months, monthly_rate):
    rfm, bg, gg = setup
    theirs = lifetimes_clv(rfm, bg, gg, months, monthly_rate, "W")
    ours = customer_lifetime_value(
        bg, gg, rfm, horizon_months=months, discount_rate=(1 + monthly_rate) ** 12 - 1, margin=1.0,
        days_per_month=4.345 * 7,
    )
    assert isinstance(ours, pd.Series) and ours.index.equals(rfm.index)
    np.testing.assert_allclose(ours.to_numpy(), theirs, rtol=1e-6)


def test_matches_lifetimes_in_days(setup):
    rfm, bg, _ = setup
    days = rfm.copy()
    days[["recency", "T"]] *= 7
    days.attrs["time_unit"] = "D"
    bg_days = BGNBD().fit(days)
    gg = GammaGamma().fit(days)
    theirs = lifetimes_clv(days, bg_days, gg, 12, 0.01, "D")
    ours = customer_lifetime_value(bg_days, gg, days, discount_rate=1.01**12 - 1, margin=0.3, days_per_month=30.0)
    np.testing.assert_allclose(ours.to_numpy(), 0.3 * theirs, rtol=1e-6)


def test_components_and_undiscounted_total(setup):
    rfm, bg, gg = setup
    scores = score_customers(bg, gg, rfm, horizon_months=6, discount_rate=0.0, margin=0.5)
    assert list(scores.columns) == ["p_alive", "expected_purchases", "expected_spend", "clv"]
    horizon = 6 * month_length("W")
    np.testing.assert_allclose(scores["expected_purchases"], bg.expected_purchases(horizon, rfm), rtol=1e-12)
    np.testing.assert_allclose(scores["p_alive"], bg.p_alive(rfm), rtol=1e-12)
    np.testing.assert_allclose(scores["expected_spend"], gg.expected_spend(rfm), rtol=1e-12)
    # without discounting the monthly increments telescope to the horizon total
    np.testing.assert_allclose(scores["clv"], 0.5 * scores["expected_purchases"] * scores["expected_spend"], rtol=1e-9)
    # discounting only lowers the value
    discounted = customer_lifetime_value(bg, gg, rfm, horizon_months=6, discount_rate=0.1, margin=0.5)
    assert np.all(discounted.to_numpy() <= scores["clv"].to_numpy() + 1e-12)


@pytest.fixture(scope="module")
def varied():
    """3,000 customers from one-time buyers to x = 10,000, aged 1e-3 to 1e4 weeks."""
    rng = np.random.default_rng(7)
    n = 3000
    x = rng.choice([0, 1, 2, 5, 30, 150, 10_000], n).astype(float)
    T = 10 ** rng.uniform(-3, 4, n)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "monetary_value": rng.uniform(1, 100, n)})
    frame.attrs["time_unit"] = "W"
    return frame


def straightforward(model, rfm, months, annual_rate):
    """The module doc's sum as written: E[Y] at the end of each month, monthly increments, discounted."""
    length = month_length("W")
    history = (rfm["frequency"], rfm["recency"], rfm["T"])
    cumulative = np.column_stack(
        [np.zeros(len(rfm))] + [model.expected_purchases(i * length, *history) for i in range(1, months + 1)]
    )
    monthly = (1 + annual_rate) ** (1 / 12) - 1
    return np.diff(cumulative, axis=1) @ (1 + monthly) ** -np.arange(1.0, months + 1), cumulative[:, -1]


class OnlyExpectedPurchases:
    """A purchase model with only the generic interface (the loop over months)."""

    def __init__(self, model):
        self.model, self.time_unit_ = model, model.time_unit_

    def expected_purchases(self, t, frequency, recency, T):
        return self.model.expected_purchases(t, frequency, recency, T)

    def p_alive(self, frequency, recency, T):
        return self.model.p_alive(frequency, recency, T)


@pytest.mark.parametrize(
    ("cls", "params"),
    [(BGNBD, None), (BGNBD, dict(a=0.3, b=0.4)), (BGNBD, dict(a=0.01, b=0.02)), (MBGNBD, None),
     (MBGNBD, dict(a=0.3, b=0.4)), (ParetoNBD, None)],
)
def test_weighted_sums_equal_the_monthly_increments(setup, varied, cls, params):
    """The models' discounted sums (summation by parts inside the quadrature) are the plain sum."""
    rfm, _, gg = setup
    model = cls().fit(rfm)
    if params:  # a + b < 1: the hypergeometric form of FHL 2005 eq. 10 breaks down there
        model.params_ = dict(model.params_, **params)
    for months, rate in ((12, 0.1), (1, 0.0), (36, 2.0), (6, -0.05)):
        discounted, total = straightforward(model, varied, months, rate)
        scores = score_customers(model, gg, varied, months, rate, 0.3)
        assert np.all(np.isfinite(scores.to_numpy()))
        # relative agreement down to 1e-300 (subnormal numbers carry few digits)
        np.testing.assert_allclose(scores["expected_purchases"], total, rtol=1e-9, atol=1e-300)
        np.testing.assert_allclose(scores["clv"], 0.3 * discounted * scores["expected_spend"], rtol=1e-9, atol=1e-300)
        np.testing.assert_allclose(scores["p_alive"], model.p_alive(varied), rtol=1e-12, atol=0)
    generic = score_customers(OnlyExpectedPurchases(model), gg, varied, 12, 0.1, 0.3)
    pd.testing.assert_frame_equal(generic, score_customers(model, gg, varied, 12, 0.1, 0.3), rtol=1e-9)


def test_horizon_weights_sum_by_parts():
    increments = np.random.default_rng(1).uniform(0, 1, (5, 12))
    cumulative = np.cumsum(increments, axis=1)
    monthly = 1.1 ** (1 / 12) - 1
    weights = horizon_weights(monthly, 12)
    assert np.all(weights >= 0)
    np.testing.assert_allclose(cumulative @ weights[0], increments @ (1 + monthly) ** -np.arange(1.0, 13), rtol=1e-14)
    np.testing.assert_array_equal(cumulative @ weights[1], cumulative[:, -1])


def test_month_lengths():
    assert month_length("D") == pytest.approx(30.4375)
    assert month_length("W") == pytest.approx(30.4375 / 7)
    assert month_length("M") == 1.0
    with pytest.raises(ModelInputError, match="time_unit"):
        month_length("Y")


def test_input_errors(setup):
    rfm, bg, gg = setup
    plain = rfm.copy()
    plain.attrs = {}
    unfitted = BGNBD()
    unfitted.params_ = dict(bg.params_)
    unfitted.time_unit_ = None
    with pytest.raises(ModelInputError, match="time unit"):
        customer_lifetime_value(unfitted, gg, plain)
    with pytest.raises(ModelInputError, match="disagree"):
        days = rfm.copy()
        days.attrs["time_unit"] = "D"
        customer_lifetime_value(bg, gg, days)
    with pytest.raises(ModelInputError, match="lacks column"):
        customer_lifetime_value(bg, gg, rfm.drop(columns="monetary_value"))
    with pytest.raises(ModelInputError, match="horizon_months"):
        customer_lifetime_value(bg, gg, rfm, horizon_months=0)
    with pytest.raises(ModelInputError, match="discount_rate"):
        customer_lifetime_value(bg, gg, rfm, discount_rate=-2.0)
