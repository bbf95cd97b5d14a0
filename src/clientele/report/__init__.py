"""The HTML report: one self-contained, offline page for managers (all plotting lives here).

:func:`write_report` computes the parts with the library (equity, equity over time,
indicators, validation) and writes the page; :mod:`~clientele.report.tables` holds the
server-side aggregates (value x risk grid, CLV histogram, customers at risk),
:mod:`~clientele.report.figures` the plotly figures and :mod:`~clientele.report.page` the HTML.
"""

from __future__ import annotations

from clientele.report.build import ReportData, collect, render, write_report
from clientele.report.tables import clv_histogram, clv_tiers, most_valuable_at_risk, value_risk_grid

__all__ = [
    "ReportData",
    "clv_histogram",
    "clv_tiers",
    "collect",
    "most_valuable_at_risk",
    "render",
    "value_risk_grid",
    "write_report",
]
