"""Write the RFM summary to a CSV or Parquet file through the backend, and describe it.

On DuckDB the summary goes from the query straight to the file (``COPY ... TO``), so a large
customer base never passes through pandas; other backends hand over Arrow batches. The file is
written next to its destination and renamed into place, so a failed run leaves no half file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from clientele.errors import InputError
from clientele.rfm.inputs import Source, prepare
from clientele.rfm.summary import request_expr

FORMATS = {".csv": "csv", ".parquet": "parquet"}


def export_rfm(
    transactions: Any,
    out: str | os.PathLike[str],
    *,
    observation_end: Any,
    time_unit: str = "D",
    calibration_end: Any = None,
    customer_col: str = "customer_key",
    timestamp_col: str = "timestamp",
    amount_col: str | None = "amount",
) -> dict[str, Any]:
    """Compute the RFM summary of ``transactions`` into ``out`` (``.csv`` or ``.parquet``).

    Arguments are those of :func:`clientele.rfm.rfm_summary`; the file has the customer id as
    its first column, one row per customer, ordered by customer id.

    Returns
    -------
    dict
        ``path``, ``customers``, ``transactions`` (those up to ``observation_end``),
        ``repeaters`` (share of customers with frequency > 0), ``mean_frequency``,
        ``mean_recency``, ``mean_T``, ``mean_monetary_value`` (over repeaters), and with
        ``calibration_end`` ``mean_frequency_holdout`` and ``duration_holdout``; plus the
        arguments ``time_unit``, ``observation_end`` and ``calibration_end``.
    """
    path = Path(out)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"output file {str(path)!r} has an unknown format; expected a name ending in "
                         f"{' or '.join(FORMATS)}")
    if not path.parent.exists():
        raise InputError(f"the output folder {str(path.parent)!r} does not exist")
    request = prepare(
        transactions,
        observation_end=observation_end,
        time_unit=time_unit,
        calibration_end=calibration_end,
        customer_col=customer_col,
        timestamp_col=timestamp_col,
        amount_col=amount_col,
    )
    expr = request_expr(request)
    partial = path.with_name(f".{path.name}.partial")
    try:
        _write(request.source, expr, partial, fmt)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    cal_end = request.calibration_end
    stats = describe(path, has_amount=amount_col is not None, holdout=cal_end is not None)
    stats.update(
        transactions=request.transactions,
        time_unit=request.time_unit,
        observation_end=request.observation_end.isoformat(),
        calibration_end=None if cal_end is None else cal_end.isoformat(),
    )
    return stats


def _write(source: Source, expr: Any, path: Path, fmt: str) -> None:
    if getattr(source.backend, "name", None) == "duckdb":
        if fmt == "parquet":
            source.backend.to_parquet(expr, path)
        else:
            source.backend.to_csv(expr, path)
        return
    table = source.backend.to_pyarrow(expr)
    if fmt == "parquet":
        pq.write_table(table, path)
    else:
        pa_csv.write_csv(table, path)


def describe(path: str | os.PathLike[str], *, has_amount: bool = True, holdout: bool = False) -> dict[str, Any]:
    """Headline figures of an RFM summary file (read back with an in-memory DuckDB)."""
    path = Path(path)
    reader = "read_parquet" if path.suffix.lower() == ".parquet" else "read_csv"
    columns = [
        "count(*) AS customers",
        "avg(CASE WHEN frequency > 0 THEN 1.0 ELSE 0.0 END) AS repeaters",
        "avg(frequency) AS mean_frequency",
        "avg(recency) AS mean_recency",
        'avg("T") AS "mean_T"',
    ]
    if has_amount:
        columns.append("avg(monetary_value) FILTER (WHERE frequency > 0) AS mean_monetary_value")
    if holdout:
        columns += ["avg(frequency_holdout) AS mean_frequency_holdout", "max(duration_holdout) AS duration_holdout"]
    with duckdb.connect() as con:
        cursor = con.execute(f"SELECT {', '.join(columns)} FROM {reader}(?)", [str(path)])
        names = [d[0] for d in cursor.description]
        values = cursor.fetchone()
    stats: dict[str, Any] = {"path": str(path)}
    stats.update({name: (float(v) if isinstance(v, float) else v) for name, v in zip(names, values)})
    return stats
