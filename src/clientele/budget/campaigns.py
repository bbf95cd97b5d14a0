"""Campaign records: what the store's ``campaigns`` table holds, checked and ready for estimation.

Campaign records load like every other source, through ``Store.load("campaigns", file,
source=...)`` (``clientele load campaigns FILE --source NAME``): rows with unreadable values or
missing required fields are quarantined, nothing is lost. Columns (see
:data:`clientele.store.TABLES` ``["campaigns"]``):

* ``campaign_id``, ``lever`` (retention, cross_sell or acquisition), ``treated``, ``spend``
  (money per customer, or per cell for acquisition), ``timestamp`` — required;
* ``customer_id`` and ``customer_source`` (the system that customer id comes from; default the
  load's source) for customer-level levers; ``cell`` (region/channel) for acquisition;
* ``segment`` — the targeted segment, if the campaign recorded it;
* outcomes, if the file carries them: ``retained``, ``purchases``, ``revenue`` for customers,
  ``new_customers`` for acquisition cells. Missing customer outcomes are measured from the
  store's purchases in the ``window_days`` (default 90) after the record's timestamp.

:func:`campaign_records` returns them with the customer's ``customer_key`` and its segment
(from the record, else from the segment membership given) and checks the rules the table
cannot (a known lever, spend of 0 or more, no spend in a control group).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientele.budget.response import LEVERS
from clientele.errors import InputError

DEFAULT_WINDOW_DAYS = 90

_RECORDS_SQL = """
SELECT c.campaign_id, c.source, c.line, c.customer_id, c.cell, c.segment, lower(c.lever) AS lever,
       c.treated, c.spend, c.timestamp, coalesce(c.window_days, {window}) AS window_days,
       c.retained, c.purchases, c.revenue, c.new_customers,
       CASE WHEN c.customer_id IS NULL THEN NULL
            ELSE coalesce(k.customer_key, coalesce(c.customer_source, c.source) || ':' || c.customer_id)
       END AS customer_key
FROM campaigns c
LEFT JOIN customer_keys k ON k.source = coalesce(c.customer_source, c.source) AND k.customer_id = c.customer_id
ORDER BY c.source, c.load_id, c.line
"""

_MEASURE_SQL = """
SELECT r.i, count(p.amount) AS purchases, coalesce(sum(p.amount), 0) AS revenue
FROM _budget_measure r
LEFT JOIN purchases p ON p.customer_key = r.customer_key AND p.timestamp > r.timestamp
     AND p.timestamp <= r.timestamp + to_days(CAST(r.window_days AS INTEGER))
GROUP BY r.i
"""


def campaign_records(
    store: Any,
    membership: pd.DataFrame | None = None,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> pd.DataFrame:
    """The store's campaign records, checked, with ``customer_key``, ``segment`` and outcomes.

    Parameters
    ----------
    store
        An open :class:`clientele.store.Store`.
    membership
        ``customer_key``, ``segment``: gives a segment to customer records without one, or with a
        label that is not a segment of the membership (e.g. a campaign targeted by an older
        segmentation): estimates and plans are then by the membership's segments. Acquisition
        records (no customer) keep their label.
    window_days
        Days after a record's timestamp over which missing outcomes are measured.

    Raises
    ------
    InputError
        The store has no campaign records, or a record breaks a rule; the message names the
        source, line, column and value.
    """
    frame = store.con.execute(_RECORDS_SQL.format(window=int(window_days))).df()
    if frame.empty:
        raise InputError("the store has no campaign records; load them with `clientele load campaigns FILE "
                         "--source NAME`")
    check_records(frame)
    frame = _measure(store, frame)
    if membership is not None:
        seg = membership.drop_duplicates("customer_key").set_index("customer_key")["segment"]
        fill = frame["customer_key"].map(seg)
        known = frame["segment"].isin(set(seg.to_numpy())) | frame["customer_key"].isna()
        frame["segment"] = frame["segment"].where(known & frame["segment"].notna(), fill)
    missing = frame["segment"].isna()
    if missing.any():
        r = frame[missing].iloc[0]
        raise InputError("the record has no segment and its customer is in no segment", file=f"campaigns from "
                         f"{r['source']}", line=int(r["line"]), column="segment", value=r["customer_id"])
    return frame


def check_records(frame: pd.DataFrame) -> None:
    """Raise :class:`InputError` at the first record breaking a rule the table cannot enforce."""
    def fail(mask: np.ndarray, column: str, reason: str) -> None:
        if mask.any():
            r = frame[mask].iloc[0]
            raise InputError(reason, file=f"campaigns from {r['source']}", line=int(r["line"]), column=column,
                             value=r[column])

    lever = frame["lever"].astype(str)
    fail(~lever.isin(LEVERS).to_numpy(), "lever", f"expected one of {', '.join(LEVERS)}")
    spend = frame["spend"].to_numpy(np.float64)
    fail(spend < 0, "spend", "expected a spend of 0 or more")
    fail((~frame["treated"].to_numpy(bool)) & (spend > 0), "spend", "a control record (treated false) has no spend")
    acq = (lever == "acquisition").to_numpy()
    fail(acq & frame["new_customers"].isna().to_numpy(), "new_customers",
         "an acquisition record needs new_customers (customers acquired in its cell)")
    fail(acq & frame["cell"].isna().to_numpy(), "cell", "an acquisition record needs its cell (region/channel)")
    fail(~acq & frame["customer_id"].isna().to_numpy(), "customer_id",
         "a retention or cross-sell record needs the customer_id it reached")
    days = frame["window_days"].to_numpy(np.float64)
    fail(days <= 0, "window_days", "expected a window of 1 day or more")


def _measure(store: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Fill missing customer outcomes from the store's purchases after each record."""
    need = (frame["lever"] != "acquisition") & (
        frame["purchases"].isna() | frame["retained"].isna() | frame["revenue"].isna())
    if not need.any():
        return frame
    todo = frame.loc[need, ["customer_key", "timestamp", "window_days"]].copy()
    todo["i"] = np.flatnonzero(need.to_numpy())
    store.con.register("_budget_measure", todo)
    try:
        measured = store.con.execute(_MEASURE_SQL).df().set_index("i").reindex(todo["i"])
    finally:
        store.con.unregister("_budget_measure")
    rows = frame.index[need]
    frame = frame.copy()
    frame["purchases"] = frame["purchases"].astype("Float64")
    frame["revenue"] = frame["revenue"].astype("Float64")
    frame["retained"] = frame["retained"].astype("boolean")
    frame.loc[rows, "purchases"] = frame.loc[rows, "purchases"].fillna(
        pd.Series(measured["purchases"].to_numpy(np.float64), index=rows))
    frame.loc[rows, "revenue"] = frame.loc[rows, "revenue"].fillna(
        pd.Series(measured["revenue"].to_numpy(np.float64), index=rows))
    frame.loc[rows, "retained"] = frame.loc[rows, "retained"].fillna(
        pd.Series(measured["purchases"].to_numpy() > 0, index=rows))
    return frame


def acquisition_cells(records: pd.DataFrame) -> dict[str, int]:
    """Distinct acquisition cells per segment (the units an acquisition line spends over)."""
    acq = records[records["lever"] == "acquisition"]
    return {str(k): int(v) for k, v in acq.groupby("segment")["cell"].nunique().items()}
