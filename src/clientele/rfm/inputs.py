"""Argument and input checks shared by the RFM summary and its export.

Everything here either returns a clean value (a date, a unit length, an ibis table with the
backend that runs it) or raises a :mod:`clientele.errors` exception that names the argument or
column, the value and what was expected.
"""

from __future__ import annotations

import contextlib

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis.common.exceptions import IbisError

from clientele.errors import InputError

#: Length of one time unit in days. Weeks are 7 days, as in Fader and Hardie's CDNOW analyses
#: and R's BTYD package; a month is the mean Gregorian month, 365.25 / 12 = 30.4375 days, so
#: that twelve months are one mean year whatever the calendar months in the data.
TIME_UNITS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}

#: The view of a :class:`clientele.store.Store` that holds purchases (returns excluded).
STORE_PURCHASES = "purchases"


@dataclass(frozen=True)
class Source:
    """An ibis table of transactions together with the backend that executes it."""

    table: ir.Table
    backend: Any


def unit_key(time_unit: str) -> str:
    """``time_unit`` as one of the keys of :data:`TIME_UNITS` ("D", "W" or "M"; any case)."""
    key = time_unit.strip().upper() if isinstance(time_unit, str) else time_unit
    if key not in TIME_UNITS:
        raise InputError(
            f"time_unit {time_unit!r} is unknown; expected one of {', '.join(TIME_UNITS)} (days, "
            "weeks of 7 days, months of 365.25/12 days)"
        )
    return key


def unit_days(time_unit: str) -> float:
    """The length in days of ``time_unit`` ("D", "W" or "M", any case)."""
    return TIME_UNITS[unit_key(time_unit)]


def as_date(value: Any, name: str) -> dt.date:
    """Parse ``value`` (date, datetime, pandas/numpy timestamp or ISO string) into a date.

    A value with a time of day is truncated to its date, as lifetimes truncates
    ``observation_period_end`` to the period: the whole of that day is observed.
    """
    if value is None:
        raise InputError(f"{name} is required: a date such as 1997-09-30")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas.Timestamp
        return value.to_pydatetime().date()
    if hasattr(value, "astype") and hasattr(value, "dtype"):  # numpy.datetime64
        with contextlib.suppress(TypeError, ValueError):  # not a date after all: the checks below say why
            return dt.date.fromisoformat(str(value.astype("datetime64[D]")))
    if isinstance(value, str):
        text = value.strip()
        for parse in (dt.date.fromisoformat, lambda s: dt.datetime.fromisoformat(s).date()):
            try:
                return parse(text)
            except ValueError:
                continue
    raise InputError(f"{name} {value!r} is not a date; expected YYYY-MM-DD such as 1997-09-30")


def as_source(transactions: Any) -> Source:
    """Turn the accepted kinds of ``transactions`` into an ibis table and its backend.

    Accepted: an ibis table (run by the backend it is bound to, or ibis' default backend for
    an unbound memtable), a pandas or polars DataFrame (run on a private in-memory DuckDB), or
    a :class:`clientele.store.Store` (its ``purchases`` view, run on the store's DuckDB).
    """
    if isinstance(transactions, ir.Table):
        return Source(transactions, _backend_of(transactions))
    if _is_store(transactions):
        table = transactions.table(STORE_PURCHASES)
        return Source(table, _backend_of(table))
    if _is_frame(transactions):
        frame = transactions
        index_name = getattr(getattr(frame, "index", None), "name", None)
        if index_name is not None and index_name not in frame.columns:
            frame = frame.reset_index()
        return Source(ibis.memtable(frame), ibis.duckdb.connect())
    raise InputError(
        f"transactions must be an ibis table, a pandas or polars DataFrame, or a clientele Store, "
        f"not {type(transactions).__name__}"
    )


def _is_store(obj: Any) -> bool:
    return callable(getattr(obj, "table", None)) and hasattr(obj, "con") and not _is_frame(obj)


def _is_frame(obj: Any) -> bool:
    module = type(obj).__module__ or ""
    return type(obj).__name__ == "DataFrame" and module.split(".")[0] in {"pandas", "polars"}


def _backend_of(table: ir.Table) -> Any:
    try:
        return table._find_backend(use_default=True)
    except IbisError as exc:  # unbound tables, or tables bound to two backends
        raise InputError(f"the transactions table cannot be executed: {exc}") from exc


def check_columns(
    table: ir.Table, *, customer_col: str, timestamp_col: str, amount_col: str | None
) -> None:
    """Check that the named columns exist and have usable types."""
    schema = table.schema()
    existing = ", ".join(schema.names)
    wanted = {"customer_col": customer_col, "timestamp_col": timestamp_col}
    if amount_col is not None:
        wanted["amount_col"] = amount_col
    for argument, name in wanted.items():
        if name not in schema:
            raise InputError(
                f"no such column in the transactions (set {argument}=); the columns are: {existing}",
                column=name,
            )
    when = schema[timestamp_col]
    if not (when.is_date() or when.is_timestamp()):
        raise InputError(
            f"expected a date or timestamp column, found type {when}",
            column=timestamp_col,
            hint="parse it first, e.g. pandas.to_datetime(df[col], format='%Y%m%d')",
        )
    if amount_col is not None and not schema[amount_col].is_numeric():
        raise InputError(
            f"expected a numeric amount column, found type {schema[amount_col]}",
            column=amount_col,
        )


def check_dates(observation_end: dt.date, calibration_end: dt.date | None) -> None:
    """The calibration period must end strictly before the observation period."""
    if calibration_end is not None and calibration_end >= observation_end:
        raise InputError(
            f"calibration_end {calibration_end.isoformat()} must be before observation_end "
            f"{observation_end.isoformat()}"
        )


def check_transactions(
    source: Source,
    *,
    customer_col: str,
    timestamp_col: str,
    amount_col: str | None,
    observation_end: dt.date,
    calibration_end: dt.date | None,
) -> tuple[int, dt.date]:
    """Check the transactions for missing values and for dates that leave nobody to summarise.

    Returns the number of transactions on or before ``observation_end`` (the ones summarised;
    later ones are ignored) and the day of the first transaction. One aggregate query answers
    the checks; a second counts the summarised transactions only when some are later than
    ``observation_end``.
    """
    t = source.table
    # Counts of rows and of non-null values, and the first and last timestamp, are what a
    # Parquet file's metadata holds: DuckDB answers them without reading the data (2 ms for
    # 8.4 million transactions against 55 ms with a per-row test). The dates are taken after
    # the aggregate (casting to a date keeps the order), so the statistics still apply.
    metrics = {
        "rows": t.count(),
        "customer": t[customer_col].count(),
        "timestamp": t[timestamp_col].count(),
        "first_day": t[timestamp_col].min().cast("date"),
        "last_day": t[timestamp_col].max().cast("date"),
    }
    if amount_col is not None:
        metrics["amount"] = t[amount_col].count()
    row = source.backend.to_pandas(t.aggregate(**metrics)).iloc[0]
    rows = int(row["rows"])
    if rows == 0:
        raise InputError("there are no transactions to summarise")
    for key, name in [("customer", customer_col), ("timestamp", timestamp_col), ("amount", amount_col)]:
        if key in row.index and rows - int(row[key]) > 0:
            raise InputError(
                f"{rows - int(row[key])} transaction(s) have no value; expected a value in every row",
                column=name,
                value=None,
            )
    first_day = as_date(row["first_day"], "first transaction")
    if observation_end < first_day:
        raise InputError(
            f"observation_end {observation_end.isoformat()} is before the first transaction "
            f"({first_day.isoformat()}); nothing to summarise"
        )
    if calibration_end is not None and calibration_end < first_day:
        raise InputError(
            f"calibration_end {calibration_end.isoformat()} is before the first transaction "
            f"({first_day.isoformat()}), so no customer is in the calibration period"
        )
    if as_date(row["last_day"], "last transaction") <= observation_end:
        return rows, first_day
    # some transactions fall after the end of observation: count the ones summarised
    kept = t.count(where=t[timestamp_col].cast("date") <= ibis.literal(observation_end, type="date"))
    return int(source.backend.execute(kept)), first_day


@dataclass(frozen=True)
class Request:
    """A checked RFM request: the source, the dates, the unit and the column names."""

    source: Source
    observation_end: dt.date
    calibration_end: dt.date | None
    time_unit: str
    customer_col: str
    timestamp_col: str
    amount_col: str | None
    transactions: int  # on or before observation_end
    first_day: dt.date | None = None  # of the first transaction


def prepare(
    transactions: Any,
    *,
    observation_end: Any,
    time_unit: str,
    calibration_end: Any,
    customer_col: str,
    timestamp_col: str,
    amount_col: str | None,
) -> Request:
    """Check every argument, the columns and (from one aggregate query) the data; cheap checks first."""
    obs_end = as_date(observation_end, "observation_end")
    cal_end = None if calibration_end is None else as_date(calibration_end, "calibration_end")
    key = unit_key(time_unit)
    check_dates(obs_end, cal_end)
    source = as_source(transactions)
    check_columns(source.table, customer_col=customer_col, timestamp_col=timestamp_col, amount_col=amount_col)
    kept, first_day = check_transactions(
        source,
        customer_col=customer_col,
        timestamp_col=timestamp_col,
        amount_col=amount_col,
        observation_end=obs_end,
        calibration_end=cal_end,
    )
    return Request(source, obs_end, cal_end, key, customer_col, timestamp_col, amount_col, kept, first_day)
