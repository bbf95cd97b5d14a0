"""The RFM summary: transactions -> per-customer frequency, recency, T and monetary value.

One engine-agnostic Ibis implementation: it runs on DuckDB (data frames, the customer store)
and on any other Ibis backend, such as PySpark, with identical results.
"""

from __future__ import annotations

from clientele.rfm.export import export_rfm
from clientele.rfm.inputs import TIME_UNITS
from clientele.rfm.summary import HOLDOUT_COLUMNS, SUMMARY_COLUMNS, rfm_expr, rfm_summary

__all__ = ["HOLDOUT_COLUMNS", "SUMMARY_COLUMNS", "TIME_UNITS", "export_rfm", "rfm_expr", "rfm_summary"]
