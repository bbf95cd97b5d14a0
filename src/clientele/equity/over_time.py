"""Customer equity as of each month end, from the data available at that date only.

For every month end ``e`` the purchases up to ``e`` (and nothing later) give the RFM summary,
the models are refitted on it -- warm-started from the previous month's estimates, so a refit
takes a few optimiser iterations -- and :func:`~clientele.equity.customer_equity` values the
customers then known plus the acquisitions projected from the trend observed up to ``e``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from clientele.equity.customer_equity import customer_equity
from clientele.equity.from_store import TIME_UNIT, rfm_as_of
from clientele.equity.inputs import fit_models
from clientele.errors import ModelInputError
from clientele.indicators.value_at_risk import value_at_risk_of

DEFAULT_MONTHS = 12


def month_ends(purchases: pd.DataFrame, months: int = DEFAULT_MONTHS, until: Any = None) -> list[pd.Timestamp]:
    """The last ``months`` complete month ends up to ``until`` (default: the last purchase day)."""
    if int(months) != months or months < 1:
        raise ModelInputError(f"months must be a whole number >= 1, got {months!r}")
    last = pd.Timestamp(purchases["timestamp"].max()).normalize() if until is None else pd.Timestamp(until).normalize()
    end = last if (last + pd.Timedelta(days=1)).day == 1 else (last.to_period("M") - 1).to_timestamp(how="end").normalize()
    first = pd.Timestamp(purchases["timestamp"].min()).normalize()
    ends = [(end.to_period("M") - i).to_timestamp(how="end").normalize() for i in range(int(months))][::-1]
    return [e for e in ends if e > first]


def equity_over_time(
    purchases: pd.DataFrame,
    *,
    months: int = DEFAULT_MONTHS,
    until: Any = None,
    purchase_model: str = "bgnbd",
    segments: Any = None,
    n_draws: int = 0,
    progress: Callable[[pd.Timestamp], None] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Customer equity and the model-based indicators as of each of the last ``months`` month ends.

    Parameters
    ----------
    purchases
        One row per purchase: ``customer_key``, ``timestamp``, ``amount``
        (:func:`~clientele.equity.inputs.purchases_frame`).
    months
        Number of month ends (default 12); each is a refit, so the cost grows linearly.
    until
        Latest date considered (default: the last purchase). Only complete months count.
    purchase_model
        ``bgnbd``, ``mbgnbd`` or ``paretonbd``.
    segments
        Optional customer key -> segment mapping (passed to :func:`customer_equity`).
    n_draws
        Bootstrap draws per month for the equity interval (default 0: point estimates only).
    progress
        Called with each month end before it is computed.
    **options
        Passed to :func:`customer_equity` (horizon_months, margin, discount_rate, ...).

    Returns
    -------
    DataFrame
        One row per month end (index ``as_of``): ``customers``, ``repeat_customers``,
        ``expected_alive`` (sum of P(alive)), ``current_customers``, ``future_customers``,
        ``customer_equity``, ``lower``, ``upper`` (NaN without draws), ``value_at_risk``,
        ``churn_weighted`` and the purchase model's parameters (``param_<name>``).
    """
    frame = purchases[["customer_key", "timestamp", "amount"]].copy()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    rows = []
    warm = None
    for end in month_ends(frame, months, until):
        if progress is not None:
            progress(end)
        known = frame[frame["timestamp"].dt.normalize() <= end]
        rfm = rfm_as_of(known, end, TIME_UNIT)
        warm = fit_models(rfm, purchase_model, warm_start=warm)
        result = customer_equity(*warm, rfm, as_of=end, segments=segments, n_draws=n_draws, **options)
        s = result.summary
        risk = value_at_risk_of(result.customers)
        rows.append({
            "as_of": end,
            "customers": len(rfm),
            "repeat_customers": int((rfm["frequency"] > 0).sum()),
            "expected_alive": float(result.customers["p_alive"].sum()),
            "current_customers": float(s.loc["current_customers", "estimate"]),
            "future_customers": float(s.loc["future_customers", "estimate"]),
            "customer_equity": float(s.loc["customer_equity", "estimate"]),
            "lower": float(s.loc["customer_equity", "lower"]),
            "upper": float(s.loc["customer_equity", "upper"]),
            "value_at_risk": risk["value_at_risk"],
            "churn_weighted": risk["churn_weighted"],
            **{f"param_{k}": v for k, v in warm[0].params_.items()},
        })
    if not rows:
        raise ModelInputError("no complete month end after the first purchase: nothing to compute over time")
    out = pd.DataFrame(rows).set_index("as_of")
    out.attrs["segments"] = None if segments is None else "given"
    return out.astype({"customers": "int64", "repeat_customers": "int64"}).replace({np.inf: np.nan})
