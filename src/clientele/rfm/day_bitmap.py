"""The per-customer RFM aggregates in one group-by, with purchase days counted in a bitmap.

The engine-agnostic summary (:mod:`clientele.rfm.summary`) groups twice: by customer and day
(to sum each day's purchases), then by customer. The first level holds one hash-table entry per
customer-day -- nearly one per transaction -- and costs three times a one-level group-by.
DuckDB can do without it:

- the number of distinct purchase days is the popcount of a bitmap with one bit per day of the
  observation window (``bit_count(bitstring_agg(day, 0, span))``: ``span / 8`` bytes per
  customer);
- first day, last day and total spend need no per-day totals at all;
- the first day's total is the amount of the first transaction (``arg_min``) unless the customer
  made several purchases on one day. Those customers -- and only those, detected when they have
  more transactions than purchase days -- get the first day's total from a second, filtered
  scan joined on (customer, first day).

On a million customers with 8.4 million transactions this takes 0.8 s against 1.2 s for the two
levels, and less memory (each customer's state is a bitmap, not a day table). The result is the
same, value for value (tested against the two-level expression).
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

#: column names (customer, day, amount) of the second scan, which must differ from the first's
RESCAN = ("_rescan_id", "_rescan_day", "_rescan_value")

#: longest window (days) counted with a bitmap: 4,096 days (11 years) is 512 bytes per customer
MAX_BITMAP_DAYS = 4096


@ibis.udf.agg.builtin(name="bitstring_agg")
def _bitstring_agg(value: int, low: int, high: int) -> bytes:
    """DuckDB's ``bitstring_agg``: a bitmap of ``high - low + 1`` bits with the values' bits set."""


@functools.cache
def _arg_min(value_type: dt.DataType) -> Any:
    """DuckDB's ``arg_min(value, key)`` for values of ``value_type``: the value at the row with
    the smallest key. (Ibis' ``argmin`` compiles to an ordered ``first``, which DuckDB runs with
    a sort key built for every row.)"""

    def arg_min(value, key): ...

    return ibis.udf.agg.builtin(arg_min, name="arg_min", signature=((value_type, dt.int32), value_type))


@ibis.udf.scalar.builtin(name="bit_count")
def _bit_count(bits: bytes) -> int:
    """DuckDB's ``bit_count``: the number of set bits."""


def usable(backend: object, first_day: datetime.date | None, last_day: datetime.date) -> bool:
    """Whether the bitmap aggregation applies: DuckDB, and a window of at most :data:`MAX_BITMAP_DAYS`."""
    if getattr(backend, "name", "") != "duckdb" or first_day is None:
        return False
    return 0 <= (last_day - first_day).days < MAX_BITMAP_DAYS


def per_customer(
    kept: ir.Table,
    rescan: ir.Table,
    *,
    customer_col: str,
    first_day: datetime.date,
    last_day: datetime.date,
    calibration_end: datetime.date | None,
    has_amount: bool,
) -> ir.Table:
    """Per customer: ``_first``, ``_last``, ``_days`` (and ``_total``, ``_first_amount``; with a
    calibration end ``_holdout_days``, ``_holdout_total``), as the two-level aggregation gives them.

    ``kept`` has the columns ``customer_col``, ``_day`` (a date between ``first_day`` and
    ``last_day``) and, with ``has_amount``, ``_value``; ``rescan`` the same rows with the
    column names :data:`RESCAN`.
    """
    base = ibis.literal(first_day, type="date")
    span = (last_day - first_day).days
    kept = kept.mutate(_offset=kept._day.delta(base, unit="day").cast("int32"))  # computed once per row
    offset = kept._offset
    cal = None if calibration_end is None else ibis.literal(calibration_end, type="date")
    in_cal = None if cal is None else kept._day <= cal

    def day_count(where: ir.BooleanValue | None) -> ir.IntegerValue:
        return _bit_count(_bitstring_agg(offset, 0, span, where=where)).fill_null(0)

    metrics: dict[str, ir.Value] = {
        "_first": kept._day.min(where=in_cal),
        "_last": kept._day.max(where=in_cal),
        "_days": day_count(in_cal),
    }
    if has_amount:
        metrics["_rows"] = kept.count(where=in_cal)
        metrics["_total"] = kept._value.sum(where=in_cal)
        metrics["_one_first"] = _arg_min(kept._value.type())(kept._value, offset, where=in_cal)
    if cal is not None:
        metrics["_holdout_days"] = day_count(kept._day > cal)
        if has_amount:
            metrics["_holdout_total"] = kept._value.sum(where=kept._day > cal)
    summary = kept.group_by(customer_col).aggregate(**metrics)
    if not has_amount:
        return summary
    return _with_first_day_totals(rescan, summary, customer_col)


def _with_first_day_totals(rescan: ir.Table, summary: ir.Table, customer_col: str) -> ir.Table:
    """Replace ``_one_first`` by ``_first_amount``, the first day's total, rescanning only for the
    customers with more transactions than purchase days (some day holds several)."""
    crowded = summary.filter(summary._rows > summary._days).select(
        _crowded_id=summary[customer_col], _crowded_day=summary._first
    )
    rid, rday, rvalue = RESCAN
    first_rows = rescan.join(crowded, [rescan[rid] == crowded._crowded_id, rescan[rday] == crowded._crowded_day])
    totals = first_rows.group_by(_total_id=first_rows[rid]).aggregate(_day_total=first_rows[rvalue].sum())
    joined = summary.left_join(totals, summary[customer_col] == totals._total_id)
    keep = [name for name in summary.columns if name not in {"_rows", "_one_first"}]
    return joined.select(*keep, _first_amount=joined._day_total.fill_null(joined._one_first))
