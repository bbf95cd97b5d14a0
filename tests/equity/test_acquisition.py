"""The future-customer term (Gupta, Lehmann & Stuart 2004, eq. 2) against hand and brute-force sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from clientele.equity.acquisition import (
    fit_trend,
    future_customer_value,
    monthly_acquisitions,
    new_customer_margins,
)
from clientele.errors import ModelInputError


def test_future_value_by_hand():
    # two months: cohort 1 earns m0 + m1 - c, cohort 2 earns m0 - c (no discounting)
    value = future_customer_value(np.array([10.0, 20.0]), np.array([5.0, 2.0]), 0.0, acquisition_cost=1.0)
    assert value.tolist() == [10 * (5 + 2 - 1), 20 * (5 - 1)]


def test_future_value_brute_force_with_discounting():
    rng = np.random.default_rng(0)
    n, m, i, c = rng.uniform(0, 50, 9), rng.uniform(0, 10, 9), 0.01, 3.0
    brute = [
        n[k - 1] / (1 + i) ** k * (sum(m[j] / (1 + i) ** j for j in range(0, 9 - k + 1)) - c)
        for k in range(1, 10)
    ]
    np.testing.assert_allclose(future_customer_value(n, m, i, c), brute, rtol=1e-12)
    # several draws at once give each draw's value
    both = future_customer_value(np.vstack([n, 2 * n]), np.vstack([m, m]), i, c)
    np.testing.assert_allclose(both[1], 2 * np.array(brute), rtol=1e-12)


def test_new_customer_margins_match_fhl_eq7(large):
    pm, sm, _ = large
    r, alpha, a, b = (pm.params_[k] for k in ("r", "alpha", "a", "b"))
    length = 365.25 / 12 / 7
    margins = new_customer_margins(pm, sm, 6, 0.3, "W", 365.25 / 12)
    t = np.arange(6) * length
    z = t / (alpha + t)
    expected = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))  # FHL 2005 eq. 7
    mean_spend = sm.params_["p"] * sm.params_["gamma"] / (sm.params_["q"] - 1)
    by_hand = 0.3 * mean_spend * (np.diff(expected, prepend=0.0) + np.r_[1.0, np.zeros(5)])
    np.testing.assert_allclose(margins, by_hand, rtol=1e-7)


def test_monthly_acquisitions_fill_empty_months_and_ignore_later():
    first = pd.Series(pd.to_datetime(["2025-01-03", "2025-01-20", "2025-03-01", "2025-05-02"]))
    counts = monthly_acquisitions(first, "2025-04-30")
    assert counts.index.astype(str).tolist() == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert counts.tolist() == [2, 0, 1, 0]


def test_linear_trend_recovers_a_line_and_projects_it():
    months = pd.period_range("2024-01", periods=12, freq="M")
    counts = pd.Series(100 + 5 * np.arange(12), index=months)
    trend = fit_trend(counts, trend_months=12)
    assert trend.intercept == pytest.approx(155.0) and trend.slope == pytest.approx(5.0)
    np.testing.assert_allclose(trend.project(3), [160, 165, 170])
    np.testing.assert_allclose(trend.covariance, 0.0, atol=1e-9)  # a perfect line: no uncertainty
    # a falling trend never projects negative acquisitions
    assert fit_trend(pd.Series(np.arange(12)[::-1] * 1.0, index=months)).project(24).min() == 0.0
    # an incomplete last month is left out of the fit
    assert fit_trend(counts, complete_last=False).last_month == months[-2]


def test_bad_trend_arguments():
    counts = pd.Series([1.0, 2.0], index=pd.period_range("2024-01", periods=2, freq="M"))
    with pytest.raises(ModelInputError, match="trend must be one of"):
        fit_trend(counts, trend="cubic")
    with pytest.raises(ModelInputError, match="trend_months"):
        fit_trend(counts, trend_months=0)
