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

For ``d >= 0`` summation by parts turns it into a sum of the ``E[Y(iL)]`` with non-negative
weights (:func:`horizon_weights`). In BG/NBD, MBG/NBD and Pareto/NBD, ``E[Y(t)]`` is ``P(alive)``
times a factor that depends on ``(x, T)`` only (FHL 2005 eq. 10; Fader & Hardie's Pareto/NBD note,
eq. 41), so their ``discounted_expected_purchases`` forms the weighted sum once per distinct
``(x, T)`` pair (``T`` for Pareto/NBD), and no ``(n_customers, H)`` array is needed. Other purchase models (and negative
rates) take the monthly increments as written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientele.errors import ModelInputError
from clientele.models._inputs import distinct_rows
from clientele.models.base import CustomerBaseModel

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
        ``expected_purchases(t, frequency, recency, T)`` and ``p_alive``; when it also has
        ``discounted_expected_purchases(horizons, weights, frequency, recency, T, given_alive=...)``
        the sums over months are left to it (see the module doc).
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

    horizons = np.arange(1, int(horizon_months) + 1) * length
    monthly_rate = (1.0 + discount_rate) ** (1.0 / 12.0) - 1.0
    x, t_x, age = (rfm[c].to_numpy(np.float64) for c in ("frequency", "recency", "T"))
    scores = np.empty((4, len(rfm)))  # the columns, as the frame's one block
    weighted_sums = getattr(purchase_model, "discounted_expected_purchases", None)
    if weighted_sums is not None and monthly_rate >= 0.0:
        # P(alive) per customer; the rest depends on (x, T) only and is summed inside the model
        weights = horizon_weights(monthly_rate, len(horizons))
        scores[0] = purchase_model.p_alive(x, t_x, age)
        live = weighted_sums(horizons, weights, x, t_x, age, given_alive=True)
        np.multiply(scores[0], live[:, 1], out=scores[1])
        np.multiply(scores[0], live[:, 0], out=scores[3])
        faint = np.flatnonzero(scores[0] < 1e-250)  # P(alive) near underflow: let the model form the product
        if len(faint):
            scores[3, faint], scores[1, faint] = weighted_sums(horizons, weights, x[faint], t_x[faint], age[faint]).T
    else:
        scores[0], scores[1], scores[3] = _monthly_increments(purchase_model, horizons, monthly_rate, x, t_x, age)
    scores[2] = spend_model.expected_spend(x, rfm["monetary_value"])  # x: the frequencies as floats already
    scores[3] *= scores[2]
    scores[3] *= margin
    return pd.DataFrame(scores.T, index=rfm.index, columns=["p_alive", "expected_purchases", "expected_spend", "clv"], copy=False)


def horizon_weights(monthly_rate: float, horizon_months: int) -> np.ndarray:
    """Weights ``(2, H)`` that turn expected purchases up to each month into the CLV sums.

    Summation by parts, with ``E_0 = 0`` and discount factors ``w_i = (1 + d_m)^-i``:

    .. math:: \\sum_{i=1}^{H} (E_i - E_{i-1}) w_i = \\sum_{i=1}^{H-1} E_i (w_i - w_{i+1}) + E_H w_H

    (FHL 2005 "RFM and CLV", section 4). Row 0 holds these weights, ``w_i d_m / (1 + d_m)`` for
    ``i < H`` and ``w_H``: all non-negative when ``d_m >= 0``, so the sum of positive terms has no
    cancellation. Row 1 picks ``E_H``, the expected purchases over the whole horizon.
    """
    discount = (1.0 + monthly_rate) ** -np.arange(1.0, horizon_months + 1.0)
    weights = np.zeros((2, horizon_months))
    weights[0, :-1] = discount[:-1] * (monthly_rate / (1.0 + monthly_rate))
    weights[0, -1] = discount[-1]
    weights[1, -1] = 1.0
    return weights


def _monthly_increments(purchase_model, horizons, monthly_rate, x, t_x, age):
    """``(p_alive, E_H, sum_i (E_i - E_{i-1}) w_i)`` for any purchase model, from ``E_i`` at each month.

    The straightforward form of the module's sum, for models without
    ``discounted_expected_purchases`` (and negative discount rates, whose weights after summation
    by parts change sign). Each distinct history is evaluated once.
    """
    codes, (x, t_x, age) = distinct_rows(x, t_x, age)
    cumulative = np.empty((len(x), len(horizons) + 1))
    cumulative[:, 0] = 0.0
    by_horizon = getattr(purchase_model, "expected_purchases_by_horizon", None)
    if by_horizon is not None:  # all months in one pass (BG/NBD, MBG/NBD)
        cumulative[:, 1:] = by_horizon(horizons, x, t_x, age)
    else:
        for i, t in enumerate(horizons, start=1):  # a loop over months, vectorised over customers
            cumulative[:, i] = purchase_model.expected_purchases(t, x, t_x, age)
    discount = (1.0 + monthly_rate) ** -np.arange(1.0, len(horizons) + 1.0)
    discounted = np.diff(cumulative, axis=1) @ discount
    alive = np.asarray(purchase_model.p_alive(x, t_x, age), dtype=np.float64)
    return alive[codes], cumulative[codes, -1], discounted[codes]


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
