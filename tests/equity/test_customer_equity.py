"""Customer equity = sum of CLVs + the closed-form future-customer term; breakdowns and intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientele.clv import score_customers
from clientele.equity import NOT_YET_ACQUIRED, customer_equity
from clientele.errors import ModelInputError

H = 4
RATE = 0.12
MONTHLY = 1.12 ** (1 / 12) - 1


def _constant_acquisitions(n_per_month=30.0):
    return pd.Series(n_per_month, index=pd.period_range("2024-01", periods=12, freq="M"))


def test_equity_is_sum_of_clv_plus_closed_form_future_term(small):
    pm, sm, rfm = small
    result = customer_equity(pm, sm, rfm, acquisitions=_constant_acquisitions(), horizon_months=H,
                             discount_rate=RATE, margin=0.25, acquisition_cost=7.0, n_draws=0)
    clv = score_customers(pm, sm, rfm, horizon_months=H, discount_rate=RATE, margin=0.25)["clv"]
    # the future term by hand, one scalar call per month
    length = 365.25 / 12 / 7
    mean_spend = sm.params_["p"] * sm.params_["gamma"] / (sm.params_["q"] - 1)
    cum = [0.0] + [float(pm.expected_purchases_new(j * length)) for j in range(1, H)]
    m = [0.25 * mean_spend * (1.0 + 0.0)] + [0.25 * mean_spend * (cum[j] - cum[j - 1]) for j in range(1, H)]
    future = sum(
        30.0 / (1 + MONTHLY) ** k * (sum(m[j] / (1 + MONTHLY) ** j for j in range(0, H - k + 1)) - 7.0)
        for k in range(1, H + 1)
    )
    cost = sum(30.0 * 7.0 / (1 + MONTHLY) ** k for k in range(1, H + 1))
    s = result.summary["estimate"]
    assert s["current_customers"] == pytest.approx(clv.sum(), rel=1e-12)
    assert s["future_customers"] == pytest.approx(future, rel=1e-9)
    assert s["acquisition_cost"] == pytest.approx(-cost, rel=1e-12)
    assert result.equity == pytest.approx(clv.sum() + future, rel=1e-9)
    assert result.future["month"].tolist() == ["2025-01", "2025-02", "2025-03", "2025-04"]
    np.testing.assert_allclose(result.future["new_customers"], 30.0)


def test_future_term_can_be_left_out_and_acquisition_cost_lowers_it(small):
    pm, sm, rfm = small
    current = customer_equity(pm, sm, rfm, include_future=False, n_draws=0)
    assert current.equity == pytest.approx(current.summary.loc["current_customers", "estimate"])
    free = customer_equity(pm, sm, rfm, acquisitions=_constant_acquisitions(), n_draws=0)
    paid = customer_equity(pm, sm, rfm, acquisitions=_constant_acquisitions(), acquisition_cost=5.0, n_draws=0)
    assert paid.equity < free.equity
    assert free.summary.loc["acquisition_cost", "estimate"] == 0.0


def test_breakdowns_add_up_and_use_the_given_segments(small):
    pm, sm, rfm = small
    segments = pd.Series(np.where(rfm["frequency"] > 2, "loyal", "other"), index=rfm.index)
    segments = segments.iloc[:-5]  # five customers without a segment
    result = customer_equity(pm, sm, rfm, as_of="2025-06-30", segments=segments, n_draws=20, seed=3)
    for name in ("cohort", "channel", "segment"):
        frame = result.by(name)
        assert frame["value"].sum() == pytest.approx(result.equity, rel=1e-9), name
        assert frame["share"].sum() == pytest.approx(1.0)
    seg = result.by("segment")
    assert set(seg.index) == {"loyal", "other", "(unassigned)", NOT_YET_ACQUIRED}
    assert seg.loc["(unassigned)", "customers"] == 5
    loyal = segments.index[segments == "loyal"]
    assert seg.loc["loyal", "value"] == pytest.approx(result.customers.loc[loyal, "clv"].sum())
    cohorts = result.by("cohort")
    assert cohorts["projected"].sum() == 36  # one row per projected month
    # cohorts from as_of - T: a customer with T = 0 weeks joined on as_of
    assert (cohorts.index[~cohorts["projected"]] <= "2025-06").all()


def test_segments_must_be_a_mapping(small):
    pm, sm, rfm = small
    with pytest.raises(ModelInputError, match="segments must map"):
        customer_equity(pm, sm, rfm, include_future=False, segments=[1, 2], n_draws=0)
    with pytest.raises(ModelInputError, match="'segment' column"):
        customer_equity(pm, sm, rfm, include_future=False, segments=pd.DataFrame({"x": [1]}), n_draws=0)
    with pytest.raises(ModelInputError, match="acquisition history"):
        customer_equity(pm, sm, rfm, n_draws=0)  # no as_of, no attributes, no acquisitions


def test_intervals_cover_the_estimates(large):
    pm, sm, rfm = large
    rfm = rfm.iloc[:1500]
    result = customer_equity(pm, sm, rfm, acquisitions=_constant_acquisitions(), horizon_months=12, n_draws=60, seed=1)
    s = result.summary.drop("acquisition_cost")
    assert (s["lower"] < s["estimate"]).all() and (s["estimate"] < s["upper"]).all()
    c = result.customers
    assert (c["clv_lower"] <= c["clv"] + 1e-9).mean() > 0.99 and (c["clv"] <= c["clv_upper"] + 1e-9).mean() > 0.99
    assert (c["clv_lower"] < c["clv_upper"]).all()
    same = customer_equity(pm, sm, rfm, acquisitions=_constant_acquisitions(), horizon_months=12, n_draws=60, seed=1)
    pd.testing.assert_frame_equal(result.summary, same.summary)  # seeded


def test_intervals_widen_when_the_models_are_fitted_on_fewer_customers(large, small):
    """The same customers valued with models fitted on 400 instead of 4,000 customers."""
    pm_l, sm_l, rfm = large
    pm_s, sm_s, _ = small

    def relative_width(pm, sm):
        s = customer_equity(pm, sm, rfm.iloc[:1000], include_future=False, horizon_months=12, n_draws=60,
                            seed=2).summary
        row = s.loc["current_customers"]
        return (row["upper"] - row["lower"]) / row["estimate"]

    assert relative_width(pm_s, sm_s) > 1.5 * relative_width(pm_l, sm_l)


def test_bad_settings(small):
    pm, sm, rfm = small
    with pytest.raises(ModelInputError, match="level"):
        customer_equity(pm, sm, rfm, include_future=False, level=90)
    with pytest.raises(ModelInputError, match="n_draws"):
        customer_equity(pm, sm, rfm, include_future=False, n_draws=-1)
    with pytest.raises(ModelInputError, match="acquisition_cost"):
        customer_equity(pm, sm, rfm, include_future=False, acquisition_cost=-1.0)


def test_a_partly_observed_month_counts_only_its_remaining_days(small):
    pm, sm, rfm = small
    counts = pd.Series(30.0, index=pd.period_range("2024-07", periods=12, freq="M"))  # last: 2025-06
    result = customer_equity(pm, sm, rfm, as_of="2025-06-10", acquisitions=counts, n_draws=0)
    assert result.future["month"].iloc[0] == "2025-06"
    assert result.future["new_customers"].iloc[0] == pytest.approx(30.0 * 20 / 30)
    assert result.future["new_customers"].iloc[1] == pytest.approx(30.0)
