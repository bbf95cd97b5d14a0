"""Customers not yet acquired: the acquisition trend and the value of a new customer.

After Gupta, Lehmann & Stuart (2004), "Valuing customers", Journal of Marketing Research 41(1),
eq. 2: the value of the customers a firm will acquire is

.. math:: \\sum_{k=1}^{H} \\frac{n_k}{(1+i)^k} \\Big[ \\sum_{t=k}^{H} \\frac{m_{t-k}}{(1+i)^{t-k}} - c \\Big]

with ``n_k`` new customers in month ``k``, ``m_j`` the expected margin of a customer in the
``j``-th month after acquisition (``j = 0``: the acquisition purchase), ``c`` the acquisition
cost per new customer and ``i`` the monthly discount rate. Gupta et al. fit a diffusion curve
to ``n_k`` and a retention rate to ``m_j``; here ``m_j`` comes from the fitted purchase model
(the expected repeat purchases of a new customer, e.g. FHL 2005 eq. 7 for the BG/NBD) times
the spend model's population mean spend ``p gamma / (q - 1)`` (Gamma-Gamma, FHL 2005 "RFM and
CLV", eq. 3 with ``x = 0``) times the margin, and ``n_k`` is projected by a least-squares
linear trend of the recent monthly acquisitions (cut at zero) -- a short-horizon stand-in for
the diffusion curve that needs no saturation level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientele.clv import month_length
from clientele.errors import ModelInputError

TRENDS = ("linear", "constant")


def monthly_acquisitions(first_purchase: pd.Series, as_of: Any) -> pd.Series:
    """New customers per calendar month, up to and including the month of ``as_of``.

    Parameters
    ----------
    first_purchase
        Each customer's first purchase date (one value per customer).
    as_of
        The cutoff date; customers first seen after it are ignored.

    Returns
    -------
    Series
        Indexed by month (``Period[M]``), every month from the first acquisition to ``as_of``'s
        month present (0 where nobody was acquired), named ``new_customers``.
    """
    cutoff = pd.Timestamp(as_of)
    dates = pd.to_datetime(pd.Series(first_purchase)).dropna()
    dates = dates[dates <= cutoff]
    if dates.empty:
        return pd.Series(dtype="int64", name="new_customers", index=pd.PeriodIndex([], freq="M", name="month"))
    months = dates.dt.to_period("M")
    counts = months.value_counts().sort_index()
    full = pd.period_range(counts.index.min(), cutoff.to_period("M"), freq="M", name="month")
    return counts.reindex(full, fill_value=0).astype("int64").rename("new_customers")


@dataclass(frozen=True)
class AcquisitionTrend:
    """A least-squares line ``n(t) = intercept + slope t`` through recent monthly acquisitions.

    ``t`` counts months with ``t = 0`` the last month used; ``covariance`` is the OLS covariance
    ``s^2 (X'X)^{-1}`` of (intercept, slope) (zeros when it cannot be estimated).
    """

    intercept: float
    slope: float
    covariance: np.ndarray
    months_used: int
    last_month: pd.Period | None

    def project(self, horizon_months: int, coefficients: np.ndarray | None = None) -> np.ndarray:
        """Expected new customers in each of the next ``horizon_months`` months (never negative).

        ``coefficients`` (shape ``(n, 2)``) projects several (intercept, slope) draws at once and
        returns shape ``(n, horizon_months)``.
        """
        steps = np.arange(1, int(horizon_months) + 1, dtype=np.float64)
        if coefficients is None:
            return np.clip(self.intercept + self.slope * steps, 0.0, None)
        coefficients = np.atleast_2d(coefficients)
        return np.clip(coefficients[:, :1] + coefficients[:, 1:2] * steps[None, :], 0.0, None)

    def draw(self, n_draws: int, rng: np.random.Generator) -> np.ndarray:
        """(intercept, slope) draws from their asymptotic normal, shape ``(n_draws, 2)``."""
        values, vectors = np.linalg.eigh(self.covariance)
        root = vectors * np.sqrt(np.clip(values, 0.0, None))
        return np.array([self.intercept, self.slope]) + rng.standard_normal((int(n_draws), 2)) @ root.T


def fit_trend(counts: pd.Series, trend_months: int = 12, trend: str = "linear", complete_last: bool = True) -> AcquisitionTrend:
    """Fit the acquisition trend to the last ``trend_months`` months of ``counts``.

    Parameters
    ----------
    counts
        New customers per month (:func:`monthly_acquisitions`).
    trend_months
        How many recent months the line is fitted to.
    trend
        ``"linear"`` (least-squares line) or ``"constant"`` (the mean: no growth).
    complete_last
        ``True`` when the last month of ``counts`` is complete; ``False`` drops it (a month that
        has only begun would pull the trend down).
    """
    if trend not in TRENDS:
        raise ModelInputError(f"trend must be one of {TRENDS}, got {trend!r}")
    if int(trend_months) != trend_months or trend_months < 1:
        raise ModelInputError(f"trend_months must be a whole number >= 1, got {trend_months!r}")
    series = counts if complete_last else counts.iloc[:-1]
    recent = series.iloc[-int(trend_months):].to_numpy(np.float64)
    last = series.index[-1] if len(series) else None
    n = len(recent)
    if n == 0:
        return AcquisitionTrend(0.0, 0.0, np.zeros((2, 2)), 0, last)
    t = np.arange(n, dtype=np.float64) - (n - 1)  # 0 at the last month used
    if trend == "constant" or n < 3:
        mean = float(recent.mean())
        var = float(recent.var(ddof=1) / n) if n > 1 else 0.0
        return AcquisitionTrend(mean, 0.0, np.diag([var, 0.0]), n, last)
    design = np.column_stack([np.ones(n), t])
    coef, *_ = np.linalg.lstsq(design, recent, rcond=None)
    resid = recent - design @ coef
    s2 = float(resid @ resid) / (n - 2)
    cov = s2 * np.linalg.inv(design.T @ design)
    return AcquisitionTrend(float(coef[0]), float(coef[1]), cov, n, last)


def new_customer_margins(
    purchase_model: Any,
    spend_model: Any,
    horizon_months: int,
    margin: float,
    time_unit: str,
    days_per_month: float,
) -> np.ndarray:
    """Expected margin of a new customer in months ``0..H-1`` after acquisition, ``m_j`` above.

    ``m_0 = margin E[M]`` (the acquisition purchase, valued at the population mean spend) and
    ``m_j = margin E[M] (E[X(jL)] - E[X((j-1)L)])`` for ``j >= 1``, with ``E[X(t)]`` the purchase
    model's ``expected_purchases_new`` and ``L`` a month in the model's time unit.
    """
    length = month_length(time_unit, days_per_month)
    months = np.arange(0, int(horizon_months), dtype=np.float64)
    cumulative = np.asarray(purchase_model.expected_purchases_new(months * length), dtype=np.float64)
    repeat = np.diff(cumulative, prepend=0.0)  # repeat[0] = E[X(0)] = 0
    mean_spend = float(np.asarray(spend_model.expected_spend(np.array([0.0]), np.array([0.0])))[0])
    per_month = repeat.copy()
    per_month[0] += 1.0  # the acquisition purchase
    return margin * mean_spend * per_month


def future_customer_value(
    new_customers: np.ndarray,
    margins: np.ndarray,
    monthly_rate: float,
    acquisition_cost: float = 0.0,
) -> np.ndarray:
    """Discounted value of the customers acquired in each future month (Gupta et al. 2004, eq. 2).

    Parameters
    ----------
    new_customers
        ``n_k`` for ``k = 1..H`` (shape ``(H,)`` or ``(draws, H)``).
    margins
        ``m_j`` for ``j = 0..H-1`` (shape ``(H,)`` or ``(draws, H)``), see :func:`new_customer_margins`.
    monthly_rate
        Monthly discount rate ``i``.
    acquisition_cost
        ``c`` per new customer, paid in the month of acquisition.

    Returns
    -------
    ndarray
        The value of each acquisition month's cohort, discounted to today, shape of ``new_customers``:
        ``n_k (1+i)^{-k} [sum_{j=0}^{H-k} m_j (1+i)^{-j} - c]``.

    Examples
    --------
    Ten customers next month and twenty the month after, a margin of 5 in the acquisition
    month and 2 a month later, a cost of 1 each, no discounting: the first cohort brings
    ``10 (5 + 2 - 1)``, the second (one month left) ``20 (5 - 1)``.

    >>> future_customer_value([10.0, 20.0], [5.0, 2.0], 0.0, acquisition_cost=1.0).tolist()
    [60.0, 80.0]
    """
    n = np.asarray(new_customers, dtype=np.float64)
    m = np.asarray(margins, dtype=np.float64)
    horizon = n.shape[-1]
    j = np.arange(horizon, dtype=np.float64)
    discounted = m * (1.0 + monthly_rate) ** (-j)
    # value of a customer acquired in month k over the months left: cumulative sums, reversed
    cumulative = np.cumsum(discounted, axis=-1)  # cumulative[..., J] = sum_{j<=J}
    remaining = cumulative[..., ::-1]  # for k = 1..H: sum_{j=0}^{H-k}
    k = np.arange(1, horizon + 1, dtype=np.float64)
    return n * (1.0 + monthly_rate) ** (-k) * (remaining - acquisition_cost)
