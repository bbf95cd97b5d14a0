"""Activity and retention by month, from the purchase log alone.

Definitions (months are calendar months; ``w`` is ``window_months``, default 12):

``active`` at month ``M``
    Customers with at least one purchase in the ``w`` months ending with ``M`` (``M-w+1 .. M``).
``retention_rate`` at month ``M``
    Of the customers active in the previous window (months ``M-2w+1 .. M-w``), the share with a
    purchase again in the current window (``M-w+1 .. M``): ``retained / base``. With ``w = 1``
    this is month-to-month retention, with ``w = 12`` year-on-year retention. Only the
    purchases given count: while the previous window reaches back before the first purchase
    held, its base is the customers of the months held (NaN where the base is empty).
``new_customers`` at month ``M``
    Customers whose first purchase is in ``M``.
``repeat rate`` of a cohort (:func:`cohort_repeat_rates`)
    Of the customers whose first purchase is in month ``C``, the share who buy again on a later
    day within ``k`` months (``k * 365.25/12`` days) of their first purchase; NaN while some
    of the cohort has not yet been observed for ``k`` months.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientele.errors import ModelInputError

DAYS_PER_MONTH = 365.25 / 12


def _check(purchases: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("customer_key", "timestamp") if c not in purchases.columns]
    if missing:
        raise ModelInputError(f"the purchases lack column(s) {missing}; they have {list(purchases.columns)}")
    frame = purchases[["customer_key", "timestamp"]].copy()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def monthly_activity(purchases: pd.DataFrame, window_months: int = 12, segments: Any = None,
                     until: Any = None) -> pd.DataFrame:
    """Active customers, retention and new customers per month (and segment), as defined above.

    Parameters
    ----------
    purchases
        ``customer_key``, ``timestamp`` per purchase.
    window_months
        ``w`` of the definitions.
    segments
        Optional key -> segment mapping; adds a ``segment`` level (and keeps ``all``).
    until
        Last day used (default: the last purchase); later purchases are ignored.

    Returns
    -------
    DataFrame
        Indexed by (``month``, ``segment``): ``active``, ``base``, ``retained``,
        ``retention_rate``, ``new_customers``. Without ``segments`` the segment is ``all``.
    """
    if int(window_months) != window_months or window_months < 1:
        raise ModelInputError(f"window_months must be a whole number >= 1, got {window_months!r}")
    w = int(window_months)
    frame = _check(purchases)
    if until is not None:
        frame = frame[frame["timestamp"].dt.normalize() <= pd.Timestamp(until).normalize()]
    if frame.empty:
        raise ModelInputError("no purchases to compute activity from")
    frame["m"] = _ordinal(frame["timestamp"])
    seen = frame[["customer_key", "m"]].drop_duplicates()
    first_m, last_m = int(seen["m"].min()), int(seen["m"].max())
    # customer active at M for every M in [m, m + w - 1]
    shifts = np.arange(w)
    active = pd.DataFrame({
        "customer_key": np.repeat(seen["customer_key"].to_numpy(), w),
        "M": np.repeat(seen["m"].to_numpy(), w) + np.tile(shifts, len(seen)),
    }).drop_duplicates()
    active = active[active["M"] <= last_m]
    previous = active.assign(M=active["M"] + w)
    retained = active.merge(previous, on=["customer_key", "M"])
    first = seen.groupby("customer_key")["m"].min().rename("M").reset_index()

    labels = None
    if segments is not None:
        from clientele.equity.customer_equity import _segments

        keys = pd.Index(seen["customer_key"].unique())
        labels = _segments(segments, keys)

    def count(rows: pd.DataFrame, name: str) -> pd.DataFrame:
        out = [rows.groupby("M").size().rename(name).to_frame().assign(segment="all")]
        if labels is not None:
            seg = labels.reindex(rows["customer_key"]).to_numpy()
            out.append(rows.assign(segment=seg).groupby(["M", "segment"]).size().rename(name).reset_index("segment"))
        return pd.concat(out).reset_index().set_index(["M", "segment"])

    table = pd.concat([count(active, "active"), count(previous[previous["M"] <= last_m], "base"),
                       count(retained, "retained"), count(first, "new_customers")], axis=1)
    table = table.fillna(0).astype("int64")
    months = np.arange(first_m, last_m + 1)
    segs = ["all"] + (sorted(set(labels)) if labels is not None else [])
    table = table.reindex(pd.MultiIndex.from_product([months, segs], names=["M", "segment"]), fill_value=0)
    table["retention_rate"] = np.where(table["base"] > 0, table["retained"] / table["base"].where(table["base"] > 0, 1), np.nan)
    table.index = table.index.set_levels(
        [pd.PeriodIndex([pd.Period(year=1970 + int(m) // 12, month=int(m) % 12 + 1, freq="M") for m in table.index.levels[0]]),
         table.index.levels[1]]
    )
    table.index = table.index.set_names(["month", "segment"])
    return table[["active", "base", "retained", "retention_rate", "new_customers"]]


def _ordinal(timestamps: pd.Series) -> np.ndarray:
    """Months since January 1970 of each timestamp."""
    t = pd.to_datetime(timestamps)
    return ((t.dt.year - 1970) * 12 + t.dt.month - 1).to_numpy(np.int64)


def cohort_repeat_rates(purchases: pd.DataFrame, within_months: tuple[int, ...] = (3, 6, 12),
                        until: Any = None) -> pd.DataFrame:
    """Repeat-purchase rate of each acquisition cohort within ``k`` months (see module docstring).

    Returns
    -------
    DataFrame
        Indexed by ``cohort`` (first-purchase month): ``customers`` and ``repeat_<k>m`` per ``k``.
    """
    frame = _check(purchases)
    frame["day"] = frame["timestamp"].dt.normalize()
    end = frame["day"].max() if until is None else pd.Timestamp(until).normalize()
    frame = frame[frame["day"] <= end]
    days = frame[["customer_key", "day"]].drop_duplicates()
    first = days.groupby("customer_key")["day"].min()
    later = days.merge(first.rename("first").reset_index(), on="customer_key")
    later = later[later["day"] > later["first"]]
    gap = (later["day"] - later["first"]).dt.days
    earliest_repeat = gap.groupby(later["customer_key"]).min().reindex(first.index)  # NaN: no repeat
    cohort = first.dt.to_period("M")
    out = pd.DataFrame({"customers": first.groupby(cohort).size()})
    out.index.name = "cohort"
    for k in within_months:
        if int(k) != k or k < 1:
            raise ModelInputError(f"within_months must hold whole numbers >= 1, got {k!r}")
        limit = k * DAYS_PER_MONTH
        repeated = (earliest_repeat <= limit).groupby(cohort).mean()
        last_first = first.groupby(cohort).max()
        observed = (end - last_first).dt.days >= limit
        out[f"repeat_{k}m"] = repeated.where(observed)
    return out
