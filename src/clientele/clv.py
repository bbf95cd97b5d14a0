"""Customer lifetime value from a purchase model and a spend model.

For each customer, the expected margin of the purchases in each of the next ``H`` months,
discounted to today:

.. math:: CLV = m \\sum_{i=1}^{H} \\frac{E[Y(i L)] - E[Y((i-1) L)]}{(1 + d_m)^i} \\, E[M]

where ``E[Y(t)]`` is the purchase model's expected number of purchases in ``(T, T+t]`` given
the customer's history (e.g. FHL 2005 eq. 10), ``L`` the length of a month in the model's time
unit, ``E[M]`` the spend model's expected transaction value (FHL 2005 "RFM and CLV", eq. 3),
``m`` the margin and ``d_m = (1 + d)^(1/12) - 1`` the monthly rate equivalent to the annual
discount rate ``d``. This is the discrete-time sum of Fader, Hardie & Lee (2005), "RFM and CLV",
section 4, also used by lifetimes' ``customer_lifetime_value`` (which takes a monthly rate).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientele.errors import ModelInputError
from clientele.models.base import CustomerBaseModel, distinct_rows

#: days in an average Gregorian month
DAYS_PER_MONTH = 365.25 / 12
_UNIT_DAYS = {"D": 1.0, "W": 7.0}


def month_length(time_unit: str, days_per_month: float = DAYS_PER_MONTH) -> float:
    """A month in ``time_unit`` (``D`` days, ``W`` weeks, ``M`` months)."""
    unit = str(time_unit).upper()
    if unit == "M":
        return 1.0
    if unit not in _UNIT_DAYS:
        raise ModelInputError(f"time_unit {time_unit!r} is not one of D (days), W (weeks), M (months)")
    return days_per_month / _UNIT_DAYS[unit]


def _resolve_time_unit(purchase_model: CustomerBaseModel, rfm: pd.DataFrame, time_unit: str | None) -> str:
    candidates = {
        "the time_unit argument": time_unit,
        "the RFM table (attrs['time_unit'])": rfm.attrs.get("time_unit"),
        "the purchase model (time_unit_)": getattr(purchase_model, "time_unit_", None),
    }
    known = {k: str(v).upper() for k, v in candidates.items() if v is not None}
    if not known:
        raise ModelInputError(
            "the time unit of recency and T is unknown: pass time_unit='D', 'W' or 'M' "
            "(or an RFM table made by clientele, which records it)"
        )
    if time_unit is None and len(set(known.values())) > 1:
        raise ModelInputError(f"the time units disagree: {known}; pass time_unit explicitly")
    return next(iter(known.values()))


def score_customers(
    purchase_model: Any,
    spend_model: Any,
    rfm: pd.DataFrame,
    horizon_months: int = 12,
    discount_rate: float = 0.10,
    margin: float = 0.30,
    days_per_month: float = DAYS_PER_MONTH,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """Each customer's CLV and its components.

    Parameters
    ----------
    purchase_model
        A fitted purchase model (``BGNBD``, ``MBGNBD``, ``ParetoNBD``, ...) with
        ``expected_purchases(t, frequency, recency, T)`` and ``p_alive``.
    spend_model
        A fitted :class:`~clientele.models.GammaGamma` (``expected_spend(frequency, monetary_value)``).
    rfm
        One row per customer with columns ``frequency``, ``recency``, ``T``, ``monetary_value``.
    horizon_months
        Number of future months summed.
    discount_rate
        Annual discount rate ``d``; month ``i`` is discounted by ``(1 + d)^(-i/12)``.
    margin
        Share of revenue that is profit.
    days_per_month
        Length of a month in days (lifetimes uses 30, or 4.345 weeks = 30.415 days).
    time_unit
        Unit of ``recency`` and ``T``; by default ``rfm.attrs["time_unit"]`` or the model's.

    Returns
    -------
    DataFrame
        Indexed like ``rfm``: ``p_alive``, ``expected_purchases`` (over the horizon),
        ``expected_spend``, ``clv``.
    """
    if int(horizon_months) != horizon_months or horizon_months < 1:
        raise ModelInputError(f"horizon_months must be a whole number >= 1, got {horizon_months!r}")
    for name, value, low in (("discount_rate", discount_rate, -1.0), ("days_per_month", days_per_month, 0.0)):
        if not np.isfinite(value) or value <= low:
            raise ModelInputError(f"{name} must be a finite number > {low:g}, got {value!r}")
    if not np.isfinite(margin):
        raise ModelInputError(f"margin must be finite, got {margin!r}")
    missing = [c for c in ("frequency", "recency", "T", "monetary_value") if c not in rfm.columns]
    if missing:
        raise ModelInputError(f"the RFM table lacks column(s) {missing}; it has {list(rfm.columns)}")
    length = month_length(_resolve_time_unit(purchase_model, rfm, time_unit), days_per_month)

    # the purchase model sees each distinct history once
    codes, (x, t_x, age) = distinct_rows(*(rfm[c].to_numpy(np.float64) for c in ("frequency", "recency", "T")))

    months = np.arange(1, int(horizon_months) + 1)
    cumulative = np.empty((len(x), len(months) + 1))
    cumulative[:, 0] = 0.0
    by_horizon = getattr(purchase_model, "expected_purchases_by_horizon", None)
    if by_horizon is not None:  # all months in one pass (BG/NBD, MBG/NBD)
        cumulative[:, 1:] = by_horizon(months * length, x, t_x, age)
    else:
        for i in months:  # a loop over months, vectorised over customers
            cumulative[:, i] = purchase_model.expected_purchases(i * length, x, t_x, age)
    increments = np.diff(cumulative, axis=1)
    monthly_rate = (1.0 + discount_rate) ** (1.0 / 12.0) - 1.0
    discount = (1.0 + monthly_rate) ** (-months.astype(np.float64))
    discounted_purchases = increments @ discount

    spend = np.asarray(spend_model.expected_spend(rfm["frequency"], rfm["monetary_value"]), dtype=np.float64)
    return pd.DataFrame(
        {
            "p_alive": np.asarray(purchase_model.p_alive(x, t_x, age))[codes],
            "expected_purchases": cumulative[codes, -1],
            "expected_spend": spend,
            "clv": margin * discounted_purchases[codes] * spend,
        },
        index=rfm.index,
    )


def customer_lifetime_value(
    purchase_model: Any,
    spend_model: Any,
    rfm: pd.DataFrame,
    horizon_months: int = 12,
    discount_rate: float = 0.10,
    margin: float = 0.30,
    days_per_month: float = DAYS_PER_MONTH,
    time_unit: str | None = None,
) -> pd.Series:
    """Each customer's discounted expected margin over the next ``horizon_months`` (see module doc).

    Parameters are those of :func:`score_customers`; returns its ``clv`` column as a Series
    named ``clv`` indexed like ``rfm``.
    """
    scores = score_customers(
        purchase_model, spend_model, rfm, horizon_months=horizon_months, discount_rate=discount_rate,
        margin=margin, days_per_month=days_per_month, time_unit=time_unit,
    )
    return scores["clv"]
