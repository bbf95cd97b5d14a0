"""Transactions -> one row per customer: frequency, recency, T and monetary value.

The summary is the sufficient statistic of the buy-till-you-die models: Pareto/NBD
(Schmittlein, Morrison and Colombo 1987), BG/NBD (Fader, Hardie and Lee 2005, "Counting Your
Customers the Easy Way", Marketing Science 24(2), section 2: the likelihood depends on the
customer's purchase history only through ``(x, t_x, T)``) and the Gamma-Gamma spend model
(Fader, Hardie and Lee 2005, "RFM and CLV", Journal of Marketing Research 42(4); and Fader and
Hardie 2013, "The Gamma-Gamma Model of Monetary Value", eq. 1: ``zbar`` is the mean of the
``x`` repeat transactions).

Definitions (time resolution one day, as lifetimes' ``freq='D'``):

``frequency`` (x)
    Number of distinct purchase days after the customer's first purchase day.
``recency`` (t_x)
    Days from the first to the last purchase day.
``T``
    Days from the first purchase day to the end of observation.
``monetary_value`` (zbar)
    Mean over the repeat purchase days of the day's total amount (purchases on one day are one
    transaction); 0 for a customer without repeat purchase.

``recency`` and ``T`` are then expressed in the chosen unit as a fraction: days / 7 for weeks
(as Fader and Hardie and R's BTYD do), days / (365.25 / 12) for months.

The engine-agnostic query does it in one pass over the transactions: aggregate per
customer-day, then per customer; the first day's amount comes from an ``arg_min`` aggregate, so
no window or join is needed. The same Ibis expression runs on DuckDB and on PySpark; the engine
also sorts the result. On DuckDB, over a window of up to 11 years, one aggregation per customer
counts the purchase days in a bitmap instead (:mod:`clientele.rfm.day_bitmap`; same result,
faster). A large log is summarised in several passes over consecutive ranges of customer ids
(:func:`partitions_for`), which bounds the memory of the aggregation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from clientele.errors import InputError
from clientele.rfm import day_bitmap
from clientele.rfm.inputs import (
    Request,
    as_date,
    as_source,
    check_columns,
    check_dates,
    prepare,
    unit_days,
)

SUMMARY_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
HOLDOUT_COLUMNS = ["frequency_holdout", "monetary_value_holdout", "duration_holdout"]


def rfm_expr(
    transactions: Any,
    *,
    observation_end: Any,
    time_unit: str = "D",
    calibration_end: Any = None,
    customer_col: str = "customer_key",
    timestamp_col: str = "timestamp",
    amount_col: str | None = "amount",
) -> ir.Table:
    """The RFM summary as a lazy Ibis expression (nothing is computed).

    Parameters and columns are those of :func:`rfm_summary`; the customer id is a column
    (named ``customer_col``) rather than the index, and rows are ordered by it. Arguments and
    column names and types are checked here; the data itself is only checked by
    :func:`rfm_summary` and :func:`clientele.rfm.export_rfm` (nulls, dates before the first
    transaction).

    Returns
    -------
    ibis.expr.types.Table
        Bound to the backend of ``transactions`` (DuckDB for data frames and stores), or
        unbound if ``transactions`` is an unbound ibis table (e.g. ``ibis.table(schema)``), to
        be compiled with ``ibis.to_sql`` or run with a backend's ``execute``.
    """
    if isinstance(transactions, ir.Table):
        table = transactions  # may be unbound: the caller executes it on a backend of choice
    else:
        table = as_source(transactions).table
    return _build(
        table,
        observation_end=as_date(observation_end, "observation_end"),
        calibration_end=None if calibration_end is None else as_date(calibration_end, "calibration_end"),
        unit=unit_days(time_unit),
        customer_col=customer_col,
        timestamp_col=timestamp_col,
        amount_col=amount_col,
    )


def rfm_summary(
    transactions: Any,
    *,
    observation_end: Any,
    time_unit: str = "D",
    calibration_end: Any = None,
    customer_col: str = "customer_key",
    timestamp_col: str = "timestamp",
    amount_col: str | None = "amount",
) -> pd.DataFrame:
    """Per-customer frequency, recency, T and monetary value from a transaction log.

    The result equals lifetimes' ``summary_data_from_transaction_data`` (or, with
    ``calibration_end``, ``calibration_and_holdout_data``) with ``freq='D'``, recency, T and
    duration divided by the unit length -- with one deliberate difference, see
    ``monetary_value_holdout`` below.

    Parameters
    ----------
    transactions
        One row per purchase: an ibis table (any backend, e.g. DuckDB or PySpark), a pandas
        or polars DataFrame (run on an in-memory DuckDB), or a :class:`clientele.store.Store`
        (its ``purchases`` view, where returns are already excluded).
    observation_end
        Last day observed (date or ``YYYY-MM-DD``; a time of day is dropped, the whole day
        counts). Transactions after it are ignored.
    time_unit
        ``"D"`` days, ``"W"`` weeks (days / 7) or ``"M"`` months (days / 30.4375, the mean
        Gregorian month 365.25 / 12) for recency, T and duration_holdout.
    calibration_end
        Last day of the calibration period, before ``observation_end``. If given, frequency,
        recency, T and monetary value use only the transactions up to and including this day
        (T runs to it), customers whose first purchase is later are left out (as in
        lifetimes), and the holdout columns describe the days after it up to
        ``observation_end``.
    customer_col, timestamp_col, amount_col
        Column names. The timestamp column must be a date or a timestamp (its date is used;
        a time-zone-aware timestamp is converted to a date in the backend's session time
        zone). ``amount_col=None`` leaves out the monetary columns.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (index named ``customer_col``), sorted, with columns
        ``frequency`` (int), ``recency``, ``T``, ``monetary_value`` and, with
        ``calibration_end``, ``frequency_holdout`` (distinct purchase days in the holdout),
        ``monetary_value_holdout`` (mean of the holdout purchase days' totals, 0 if none) and
        ``duration_holdout`` (holdout length in the unit). lifetimes averages the holdout
        *rows* instead of the holdout *days*; we use days so that the holdout value measures
        the same quantity as ``monetary_value`` (the Gamma-Gamma ``zbar``). Both agree when
        no customer buys twice on one day. ``attrs`` records ``time_unit``,
        ``observation_end`` and ``calibration_end`` (ISO dates), which the models and
        :func:`clientele.clv.customer_lifetime_value` read.

    Raises
    ------
    clientele.errors.InputError
        Unknown time unit, unparsable date, calibration_end not before observation_end,
        missing or mistyped column (the message lists the columns that exist), missing values,
        observation_end or calibration_end before the first transaction.

    Notes
    -----
    ``monetary_value`` is computed as (sum of all purchase days - first day) / frequency, which
    keeps the query to one pass. With DECIMAL amounts this is exact; with floating-point amounts
    the rounding error is about 1e-16 times the customer's total spend.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({
    ...     "customer_key": ["a", "a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-15 12:00", "2024-01-08 08:30"]),
    ...     "amount": [10.0, 5.0, 20.0, 7.0],
    ... })
    >>> rfm_summary(tx, observation_end="2024-01-29", time_unit="W")  # doctest: +NORMALIZE_WHITESPACE
                  frequency  recency    T  monetary_value
    customer_key
    a                     1      2.0  4.0            20.0
    b                     0      0.0  3.0             0.0
    """
    request = prepare(
        transactions,
        observation_end=observation_end,
        time_unit=time_unit,
        calibration_end=calibration_end,
        customer_col=customer_col,
        timestamp_col=timestamp_col,
        amount_col=amount_col,
    )
    frame = _tidy(_execute(request), customer_col)
    # record what the numbers mean, so models and CLV need not be told the unit again
    frame.attrs.update(
        time_unit=request.time_unit,
        observation_end=request.observation_end.isoformat(),
        calibration_end=None if request.calibration_end is None else request.calibration_end.isoformat(),
    )
    return frame


#: transactions per pass when DuckDB summarises a large log in several passes (see ``_execute``)
PARTITION_ROWS = 5_000_000
#: the same with the day bitmap, whose state is one small entry per customer, not per customer-day
BITMAP_PARTITION_ROWS = 16_000_000
#: customer ids drawn (about) to place the boundaries between the passes
BOUNDARY_SAMPLE = 100_000


def partitions_for(request: Request, *, bitmap: bool = False) -> int:
    """Number of passes for ``request``: 1, or on DuckDB one per :data:`PARTITION_ROWS`
    transactions (:data:`BITMAP_PARTITION_ROWS` with the day bitmap).

    The customer-day aggregation holds one hash-table entry per customer and purchase day. Over
    disjoint ranges of customer ids each pass holds a fraction of them, in a table small enough
    to stay in cache, which pays for re-reading the transactions: measured on 2 cores, 8.4
    million transactions take the same 1.6 s in 2 passes with a peak of 0.68 GB instead of
    0.95 GB, and 84 million take 15.5 s in 17 passes with 1.8 GB instead of 16 s with 6.1 GB.
    The day bitmap (:mod:`clientele.rfm.day_bitmap`) keeps one entry per customer, so its
    passes can be longer: a million customers (8.4 million transactions) then need one pass and
    no sample of ids to place boundaries.
    Other engines partition by themselves.
    """
    if getattr(request.source.backend, "name", "") != "duckdb":
        return 1
    rows = PARTITION_ROWS
    if bitmap:
        # as many rows per pass as half of DuckDB's memory limit holds, so a pass never spills
        # (1M customers under a 500 MB limit: 3 passes take 1.3 s, one pass spilling 2.9 s)
        limit = _memory_limit(request.source.backend)
        rows = BITMAP_PARTITION_ROWS if limit is None else min(BITMAP_PARTITION_ROWS, max(1, int(limit / 2 / BITMAP_ROW_BYTES)))
    return max(1, -(-request.transactions // rows))


#: DuckDB memory per transaction of a day-bitmap pass (measured: ~58 bytes at 8.4M transactions)
BITMAP_ROW_BYTES = 64
_UNITS = {"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _setting(con: Any, name: str) -> str:
    """A DuckDB setting's current value (read to the end: DuckDB 2 refuses further work on a
    connection with an unfinished result)."""
    return con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]


def _memory_limit(backend: Any) -> float | None:
    """DuckDB's ``memory_limit`` in bytes (``None`` if it cannot be read)."""
    con = getattr(backend, "con", None)
    if con is None:
        return None
    import duckdb

    try:
        text = _setting(con, "memory_limit")
    except duckdb.Error:
        return None
    number, _, unit = str(text).strip().partition(" ")
    try:
        return float(number) * _UNITS[unit.strip().upper()]
    except (ValueError, KeyError):
        return None


def _execute(request: Request) -> pd.DataFrame:
    """Run the summary of ``request`` as a pandas frame ordered by customer id.

    Several passes cover consecutive ranges of customer ids, so their sorted results simply
    follow one another. The order is checked on the Arrow result (an engine that does not keep
    the order of its results is sorted here); pandas would first copy string ids into Python
    objects to check it.
    """
    import pyarrow as pa

    backend = request.source.backend
    bitmap = day_bitmap.usable(backend, request.first_day, request.observation_end)
    bounds = _range_bounds(request, partitions_for(request, bitmap=bitmap))
    try:
        table = pa.concat_tables(
            backend.to_pyarrow(request_expr(request, id_range=(lo, hi) if len(bounds) > 2 else None, bitmap=bitmap))
            for lo, hi in zip(bounds, bounds[1:])
        )
    finally:
        _return_memory(backend)
    if not _ascending(table[request.customer_col]):
        table = table.sort_by(request.customer_col)
    return table.to_pandas()


def _ascending(column: Any) -> bool:
    """Whether an Arrow column is in non-decreasing order (nulls are caught later)."""
    import pyarrow.compute as pc

    if len(column) < 2:
        return True
    column = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    return bool(pc.all(pc.less_equal(column[:-1], column[1:])).as_py() is not False)


#: DuckDB settings under which freed memory goes back to the operating system at once
_FLUSH_SETTINGS = ("allocator_flush_threshold", "allocator_bulk_deallocation_flush_threshold")


def _return_memory(backend: Any) -> None:
    """Hand the memory DuckDB's allocator keeps after the aggregation back to the OS.

    DuckDB frees its hash tables when the query ends but its allocator holds on to the pages
    (at 1M customers the process stays at 1.0 GB against 0.4 GB after a flush), so the models
    fitted next would stack on top of it. Lowering the flush thresholds for one trivial query
    flushes them (about 50 ms); the settings are then put back as they were.
    """
    con = getattr(backend, "con", None)
    if getattr(backend, "name", "") != "duckdb" or con is None:
        return
    import duckdb

    saved: dict[str, str] = {}
    try:
        # a DuckDB without these settings has nothing to flush: its error ends the attempt
        with contextlib.suppress(duckdb.Error):
            for name in _FLUSH_SETTINGS:
                saved[name] = _setting(con, name)
                con.execute(f"SET {name} = '0B'")
            con.execute("SELECT 1").fetchall()
    finally:
        with contextlib.suppress(duckdb.Error):
            for name, value in saved.items():
                con.execute(f"SET {name} = '{value}'")


def _range_bounds(request: Request, parts: int) -> list[Any]:
    """``[None, c1, ..., None]``: boundaries of ``parts`` ranges of customer ids holding about
    as many transactions each, from a random sample of the transactions' ids."""
    if parts <= 1:
        return [None, None]
    table = request.source.table
    ids = table.select(_id=table[request.customer_col])
    fraction = min(1.0, BOUNDARY_SAMPLE / max(request.transactions, 1))
    sample = sorted(request.source.backend.to_pyarrow(ids.sample(fraction))["_id"].drop_null().to_pylist())
    cuts = sorted({sample[len(sample) * k // parts] for k in range(1, parts)}) if sample else []
    return [None, *cuts, None]


def request_expr(
    request: Request,
    *,
    ordered: bool = True,
    id_range: tuple[Any, Any] | None = None,
    bitmap: bool | None = None,
) -> ir.Table:
    """The summary expression of a checked :class:`~clientele.rfm.inputs.Request`.

    ``id_range=(lo, hi)`` keeps the customers with ``lo <= id < hi`` (``None``: unbounded).
    ``bitmap`` chooses the one-level aggregation of :mod:`clientele.rfm.day_bitmap`
    (``None``: wherever it applies, i.e. on DuckDB over a window of up to 11 years); the result
    is the same.
    """
    if bitmap is None:
        bitmap = day_bitmap.usable(request.source.backend, request.first_day, request.observation_end)
    return _build(
        request.source.table,
        observation_end=request.observation_end,
        calibration_end=request.calibration_end,
        unit=unit_days(request.time_unit),
        customer_col=request.customer_col,
        timestamp_col=request.timestamp_col,
        amount_col=request.amount_col,
        ordered=ordered,
        id_range=id_range,
        bitmap_window=(request.first_day, request.observation_end) if bitmap else None,
    )


def _build(
    table: ir.Table,
    *,
    observation_end: dt.date,
    calibration_end: dt.date | None,
    unit: float,
    customer_col: str,
    timestamp_col: str,
    amount_col: str | None,
    ordered: bool = True,
    id_range: tuple[Any, Any] | None = None,
    bitmap_window: tuple[dt.date, dt.date] | None = None,
) -> ir.Table:
    """Aggregate per customer (two levels, or one with a day bitmap inside ``bitmap_window``),
    then derive the summary columns."""
    check_dates(observation_end, calibration_end)
    check_columns(table, customer_col=customer_col, timestamp_col=timestamp_col, amount_col=amount_col)
    kept = _kept(table, observation_end, customer_col, timestamp_col, amount_col, id_range)
    if bitmap_window is None:
        per_customer = _two_levels(kept, customer_col, calibration_end, has_amount=amount_col is not None)
    else:
        # the rescan has its own column names: the engine reads the file again rather than
        # holding every transaction of the first scan in memory for the second
        rescan = _kept(table, observation_end, customer_col, timestamp_col, amount_col, id_range, names=day_bitmap.RESCAN)
        per_customer = day_bitmap.per_customer(
            kept,
            rescan,
            customer_col=customer_col,
            first_day=bitmap_window[0],
            last_day=bitmap_window[1],
            calibration_end=calibration_end,
            has_amount=amount_col is not None,
        )
    result = _summary_columns(per_customer, observation_end, calibration_end, unit, customer_col, amount_col)
    return result.order_by(customer_col) if ordered else result


def _kept(
    table: ir.Table,
    observation_end: dt.date,
    customer_col: str,
    timestamp_col: str,
    amount_col: str | None,
    id_range: tuple[Any, Any] | None,
    *,
    names: tuple[str, str, str] | None = None,
) -> ir.Table:
    """The customer, day and amount of the transactions up to ``observation_end`` and inside
    ``id_range``, named ``customer_col``, ``_day`` and ``_value`` unless ``names`` says otherwise."""
    customer_name, day_name, value_name = names or (customer_col, "_day", "_value")
    values = {} if amount_col is None else {value_name: table[amount_col]}
    dated = table.select(**{customer_name: table[customer_col], day_name: table[timestamp_col].cast("date")}, **values)
    kept = dated.filter(dated[day_name] <= ibis.literal(observation_end, type="date"))
    low, high = id_range or (None, None)
    if low is not None:
        kept = kept.filter(kept[customer_name] >= low)
    if high is not None:
        kept = kept.filter(kept[customer_name] < high)
    return kept


def _two_levels(kept: ir.Table, customer_col: str, calibration_end: dt.date | None, *, has_amount: bool) -> ir.Table:
    """Per customer-day (the day's total), then per customer: the engine-agnostic aggregation."""
    cal = None if calibration_end is None else ibis.literal(calibration_end, type="date")
    per_day = {"_amount": kept._value.sum()} if has_amount else {}
    days = kept.group_by([customer_col, "_day"]).aggregate(**per_day)

    in_cal = None if cal is None else days._day <= cal
    metrics: dict[str, ir.Value] = {
        "_first": days._day.min(where=in_cal),
        "_last": days._day.max(where=in_cal),
        "_days": days._day.count(where=in_cal),
    }
    if has_amount:
        metrics["_total"] = days._amount.sum(where=in_cal)
        metrics["_first_amount"] = days._amount.argmin(days._day, where=in_cal)
    if cal is not None:
        in_holdout = days._day > cal
        metrics["_holdout_days"] = days._day.count(where=in_holdout)
        if has_amount:
            metrics["_holdout_total"] = days._amount.sum(where=in_holdout)
    return days.group_by(customer_col).aggregate(**metrics)


def _summary_columns(
    c: ir.Table,
    observation_end: dt.date,
    calibration_end: dt.date | None,
    unit: float,
    customer_col: str,
    amount_col: str | None,
) -> ir.Table:
    """Frequency, recency, T, monetary value (and the holdout columns) from the per-customer aggregates."""
    obs = ibis.literal(observation_end, type="date")
    cal = None if calibration_end is None else ibis.literal(calibration_end, type="date")
    summary_end = obs if cal is None else cal
    if cal is not None:
        c = c.filter(c._first.notnull())
    frequency = (c._days - 1).cast("int64")
    columns: dict[str, ir.Value] = {
        customer_col: c[customer_col],
        "frequency": frequency,
        "recency": c._last.delta(c._first, unit="day").cast("float64") / unit,
        "T": summary_end.delta(c._first, unit="day").cast("float64") / unit,
    }
    if amount_col is not None:
        repeat_total = (c._total - c._first_amount).cast("float64")
        columns["monetary_value"] = ibis.ifelse(frequency > 0, repeat_total / frequency.cast("float64"), 0.0)
    if cal is not None:
        columns["frequency_holdout"] = c._holdout_days.cast("int64")
        if amount_col is not None:
            columns["monetary_value_holdout"] = ibis.ifelse(
                c._holdout_days > 0,
                c._holdout_total.cast("float64") / c._holdout_days.cast("float64"),
                0.0,
            )
        columns["duration_holdout"] = obs.delta(cal, unit="day").cast("float64") / unit
    return c.select(**columns)


def _tidy(frame: pd.DataFrame, customer_col: str) -> pd.DataFrame:
    """Index by customer (the rows are in order already) and fix the dtypes (int frequencies,
    float times and values)."""
    if frame[customer_col].isna().any():  # pragma: no cover - guarded by check_transactions
        raise InputError("a transaction has no customer", column=customer_col)
    frame = frame.set_index(customer_col)
    for name in frame.columns:
        kind = "int64" if name.startswith("frequency") else "float64"
        frame[name] = frame[name].astype(kind)
    return frame
