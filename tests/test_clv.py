"""CLV: agreement with lifetimes' customer_lifetime_value, invariants and input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value

from clientele.clv import customer_lifetime_value, month_length, score_customers
from clientele.errors import ModelInputError
from clientele.models import BGNBD, GammaGamma


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
