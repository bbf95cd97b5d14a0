"""Model-vs-actual comparisons on a calibration / holdout split (Fader, Hardie & Lee 2005).

Each function takes a fitted purchase model (``BGNBD``, ``MBGNBD`` or ``ParetoNBD``: anything
with ``p_purchases``, ``expected_purchases`` and ``expected_purchases_new``) and the
calibration/holdout RFM table of :func:`clientele.rfm.rfm_summary` (``calibration_end`` given),
and returns a tidy DataFrame. The figures are those of Fader, Hardie & Lee (2005), "Counting
Your Customers the Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2):
figure 2 (calibration-period histogram of repeat transactions), figures 3-4 (weekly and
cumulative tracking of repeat transactions) and figure 5 (conditional expectations of holdout
transactions given calibration frequency).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from clientele.validation.data import CohortDays

#: the last bucket of the histogram and of the conditional expectations is "this many or more"
DEFAULT_MAX_FREQUENCY = 7


def _bucket_labels(max_frequency: int) -> list[str]:
    return [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]


def period_histogram(model: Any, rfm: pd.DataFrame, max_frequency: int = DEFAULT_MAX_FREQUENCY) -> pd.DataFrame:
    """Customers with 0, 1, ..., ``max_frequency``+ repeat transactions in calibration: actual vs model.

    The model's count for ``x`` is ``sum_i P(X(T_i) = x)`` (FHL 2005 eq. 8 for BG/NBD) over the
    customers, each at their own calibration age ``T_i``; the last bucket is the rest, so both
    columns sum to the number of customers.

    Returns
    -------
    DataFrame
        Indexed by ``repeat_transactions`` (``"0"``, ..., ``"7+"``): ``actual``, ``model``.
    """
    frequency = rfm["frequency"].to_numpy(dtype=np.int64)
    ages, counts = np.unique(rfm["T"].to_numpy(dtype=np.float64), return_counts=True)
    # one call per bucket (at most max_frequency), each vectorised over the distinct ages
    expected = np.array(
        [
            np.asarray(model.p_purchases(np.full(len(ages), float(x)), ages), dtype=np.float64) @ counts
            for x in range(max_frequency)
        ]
    )
    expected = np.append(expected, len(frequency) - expected.sum())
    actual = np.bincount(np.minimum(frequency, max_frequency), minlength=max_frequency + 1)
    index = pd.Index(_bucket_labels(max_frequency), name="repeat_transactions")
    return pd.DataFrame({"actual": actual.astype(np.int64), "model": expected}, index=index)


def conditional_expectations(
    model: Any, rfm: pd.DataFrame, max_frequency: int = DEFAULT_MAX_FREQUENCY
) -> pd.DataFrame:
    """Mean holdout transactions by calibration frequency: actual vs model (FHL 2005 figure 5).

    The model's value for a customer is ``E[Y(t*) | x, t_x, T]`` (FHL 2005 eq. 10) with ``t*``
    the holdout length; customers are grouped by calibration frequency ``0..max_frequency-1``
    and ``max_frequency+``.

    Returns
    -------
    DataFrame
        Indexed by ``calibration_frequency``: ``customers``, ``actual`` and ``model`` (means of
        holdout transactions per customer).
    """
    expected = holdout_expectations(model, rfm)
    bucket = np.minimum(rfm["frequency"].to_numpy(dtype=np.int64), max_frequency)
    frame = pd.DataFrame(
        {"bucket": bucket, "actual": rfm["frequency_holdout"].to_numpy(dtype=np.float64), "model": expected}
    )
    grouped = frame.groupby("bucket").agg(
        customers=("actual", "size"), actual=("actual", "mean"), model=("model", "mean")
    )
    grouped = grouped.reindex(range(max_frequency + 1))
    grouped["customers"] = grouped["customers"].fillna(0).astype(np.int64)
    grouped.index = pd.Index(_bucket_labels(max_frequency), name="calibration_frequency")
    return grouped


def holdout_expectations(model: Any, rfm: pd.DataFrame) -> np.ndarray:
    """Each customer's expected holdout transactions ``E[Y(t*) | x, t_x, T]`` (FHL 2005 eq. 10)."""
    return np.asarray(
        model.expected_purchases(
            rfm["duration_holdout"].to_numpy(dtype=np.float64),
            rfm["frequency"].to_numpy(dtype=np.float64),
            rfm["recency"].to_numpy(dtype=np.float64),
            rfm["T"].to_numpy(dtype=np.float64),
        ),
        dtype=np.float64,
    )


def holdout_errors(model: Any, rfm: pd.DataFrame) -> dict[str, float]:
    """Single figures of the holdout fit.

    Returns
    -------
    dict
        ``customers``; ``actual_holdout_transactions`` and ``model_holdout_transactions`` (cohort
        totals); ``total_error_pct`` = 100 (model - actual) / actual; ``mae`` = mean over customers
        of ``|actual - expected|`` holdout transactions; ``rmse``; ``mean_actual`` (for scale).
    """
    expected = holdout_expectations(model, rfm)
    actual = rfm["frequency_holdout"].to_numpy(dtype=np.float64)
    total_actual, total_model = float(actual.sum()), float(expected.sum())
    error = expected - actual
    return {
        "customers": int(len(actual)),
        "actual_holdout_transactions": total_actual,
        "model_holdout_transactions": total_model,
        "total_error_pct": 100.0 * (total_model - total_actual) / total_actual if total_actual else float("nan"),
        "mae": float(np.mean(np.abs(error))) if len(error) else float("nan"),
        "rmse": float(np.sqrt(np.mean(error**2))) if len(error) else float("nan"),
        "mean_actual": float(actual.mean()) if len(actual) else float("nan"),
    }


def tracking(
    model: Any,
    days: CohortDays,
    *,
    calibration_end: dt.date,
    observation_end: dt.date,
    unit_days: float,
) -> pd.DataFrame:
    """Weekly and cumulative repeat transactions of the cohort: actual vs model (FHL 2005 figs 3-4).

    The model's cumulative repeat transactions by day ``tau`` is
    ``sum_d n_d E[X((tau - d) / u)]`` over acquisition days ``d`` (``n_d`` customers, each
    starting at the end of their first purchase day), with ``E[X(t)]`` the expected purchases
    of a new customer (FHL 2005 eq. 7) and ``u`` the model's time unit in days. Weeks start on
    the first acquisition day; the last week may be shorter and ends at ``observation_end``.

    Returns
    -------
    DataFrame
        One row per week: ``week`` (1-based), ``start``, ``end`` (dates, inclusive),
        ``period`` (``calibration``, ``holdout`` or ``both`` when the week straddles the split),
        ``actual``, ``model`` (repeat transactions in the week) and ``actual_cumulative``,
        ``model_cumulative``.
    """
    if days.acquisitions.empty:
        columns = ["week", "start", "end", "period", "actual", "model", "actual_cumulative", "model_cumulative"]
        return pd.DataFrame(columns=columns)
    origin = min(days.acquisitions.index)
    total_days = (observation_end - origin).days + 1
    ends = np.minimum(np.arange(7, total_days + 7, 7), total_days)  # day offsets, exclusive end
    acquired = np.array([(d - origin).days for d in days.acquisitions.index], dtype=np.float64)
    counts = days.acquisitions.to_numpy(dtype=np.float64)
    # a customer acquired on day offset a is observed from a + 1 (end of the first day) to e
    horizon = np.maximum(ends[:, None] - (acquired[None, :] + 1.0), 0.0) / unit_days
    expected_new = np.asarray(model.expected_purchases_new(horizon), dtype=np.float64)
    model_cumulative = expected_new @ counts
    repeat_offsets = np.array([(d - origin).days for d in days.repeats.index], dtype=np.int64)
    per_day = np.bincount(repeat_offsets, weights=days.repeats.to_numpy(dtype=np.float64), minlength=total_days)
    actual_cumulative = np.cumsum(per_day)[ends - 1]
    starts = np.concatenate([[0], ends[:-1]])
    start_dates = [origin + dt.timedelta(days=int(s)) for s in starts]
    end_dates = [origin + dt.timedelta(days=int(e) - 1) for e in ends]
    period = [
        "calibration" if e <= calibration_end else "holdout" if s > calibration_end else "both"
        for s, e in zip(start_dates, end_dates)
    ]
    return pd.DataFrame(
        {
            "week": np.arange(1, len(ends) + 1),
            "start": start_dates,
            "end": end_dates,
            "period": period,
            "actual": np.diff(actual_cumulative, prepend=0.0).round().astype(np.int64),
            "model": np.diff(model_cumulative, prepend=0.0),
            "actual_cumulative": actual_cumulative.round().astype(np.int64),
            "model_cumulative": model_cumulative,
        }
    )
