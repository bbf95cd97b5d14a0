"""The day-level facts behind the tracking plots: acquisitions and repeat purchases per day.

A repeat transaction is a purchase day after the customer's first purchase day (several
purchases on one day are one transaction, as in :func:`clientele.rfm.rfm_summary`). Only the
cohort of the calibration period counts: customers whose first purchase day is on or before
``calibration_end``. One aggregation query runs on the backend of the transactions (DuckDB for
data frames and stores).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from clientele.rfm.inputs import as_source, check_columns


@dataclass(frozen=True)
class CohortDays:
    """Per day: customers acquired (first purchase) and repeat transactions of the cohort.

    Attributes
    ----------
    acquisitions
        Series indexed by date (the first purchase day), the number of customers acquired.
    repeats
        Series indexed by date, the number of repeat transactions (distinct customer-days
        that are not a customer's first day) up to the observation end.
    """

    acquisitions: pd.Series
    repeats: pd.Series


def cohort_days(
    transactions: Any,
    *,
    calibration_end: dt.date,
    observation_end: dt.date,
    customer_col: str = "customer_key",
    timestamp_col: str = "timestamp",
) -> CohortDays:
    """Acquisitions and repeat transactions per day of the calibration cohort (see module doc).

    Parameters
    ----------
    transactions
        What :func:`clientele.rfm.rfm_summary` accepts: ibis table, pandas/polars frame, Store.
    calibration_end, observation_end
        Dates; the cohort is acquired up to ``calibration_end``, repeats are counted up to
        ``observation_end``. Callers check them (see :func:`clientele.validation.validate`).
    """
    source = as_source(transactions)
    table = source.table
    check_columns(table, customer_col=customer_col, timestamp_col=timestamp_col, amount_col=None)
    day = table[timestamp_col].cast("date")
    days = (
        table.select(_c=table[customer_col], _day=day)
        .filter(lambda t: t._day <= observation_end)
        .distinct()
    )
    first = days.group_by("_c").aggregate(_first=days._day.min())
    first = first.filter(first._first <= calibration_end)
    joined = days.join(first, "_c")
    acquisitions = first.group_by("_first").aggregate(n=first._c.count())
    repeats = (
        joined.filter(joined._day > joined._first).group_by("_day").aggregate(n=joined._c.count())
    )
    return CohortDays(
        acquisitions=_series(source.backend.to_pandas(acquisitions), "_first"),
        repeats=_series(source.backend.to_pandas(repeats), "_day"),
    )


def _series(frame: pd.DataFrame, day_col: str) -> pd.Series:
    index = pd.to_datetime(frame[day_col]).dt.date if len(frame) else pd.Index([], dtype=object)
    series = pd.Series(frame["n"].to_numpy(dtype="int64"), index=pd.Index(index, name="date"), name="n")
    return series.sort_index()
