"""Build the report from the library: equity, equity over time, indicators, validation.

:func:`collect` computes what the report shows (each part by the library function that owns
it); :func:`render` turns it into the HTML page; :func:`write_report` does both and writes the
file. A part that cannot be computed from the store's data (e.g. too short a history for a
holdout) is shown as a note saying why, instead of failing the whole report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clientele.errors import ClienteleError, InputError
from clientele.report import figures as F
from clientele.report.page import Card, Section, fmt, render_page, table_html
from clientele.report.budget_section import budget_sections, collect_budget
from clientele.report.segments_section import collect_segments, segment_sections
from clientele.report.tables import clv_histogram, most_valuable_at_risk, value_risk_grid
from clientele.rfm.inputs import as_date
from clientele.validation import ValidationResult, date_range, default_calibration_end, validate


@dataclass
class ReportData:
    """What the report shows; ``None`` for a part that could not be computed (see ``notes``)."""

    as_of: dt.date
    first_day: dt.date
    equity: Any = None
    history: pd.DataFrame | None = None
    indicators: Any = None
    validation: ValidationResult | None = None
    segments: Any = None
    budget: Any = None
    notes: dict[str, str] = field(default_factory=dict)


def collect(
    store: Any,
    *,
    as_of: Any = None,
    calibration_end: Any = None,
    purchase_model: str = "bgnbd",
    n_draws: int = 200,
    months: int = 12,
    progress: Callable[[str], None] | None = None,
) -> ReportData:
    """Compute every part of the report from an open :class:`clientele.store.Store`.

    Parameters
    ----------
    as_of
        Last day used (default: the last purchase day).
    calibration_end
        End of the calibration period of the validation (default: halfway from the first
        purchase to ``as_of``).
    purchase_model
        ``bgnbd`` (default), ``mbgnbd`` or ``paretonbd``; the spend model is Gamma-Gamma.
    n_draws
        Bootstrap draws of the equity interval (0: no interval).
    months
        Month ends shown in equity over time (each is a refit of the models).
    progress
        Called with the name of each part before it is computed.
    """
    step = progress or (lambda _name: None)
    first, last = date_range(store)
    end = last if as_of is None else as_date(as_of, "as_of")
    if end < first:
        raise InputError(f"as_of must be on or after the first purchase day {first}", column="as_of", value=str(as_of))
    data = ReportData(as_of=end, first_day=first)
    try:  # the equity engineer's package: optional, so the rest of the report works without it
        from clientele.equity import equity_from_store, equity_over_time, purchases_frame
        from clientele.indicators import indicators_from_store
    except ImportError as exc:  # pragma: no cover - only in a partial installation
        data.notes["equity"] = data.notes["indicators"] = f"not available in this installation ({exc})"
    else:
        step("customer equity")
        data.equity = _attempt(
            data, "equity", lambda: equity_from_store(store, as_of=end, purchase_model=purchase_model, n_draws=n_draws)
        )
        step("equity over time")
        data.history = _attempt(
            data, "history",
            lambda: equity_over_time(
                purchases_frame(store, until=end), months=months, until=end, purchase_model=purchase_model
            ),
        )
        step("indicators")
        data.indicators = _attempt(
            data, "indicators", lambda: indicators_from_store(store, as_of=end, purchase_model=purchase_model)
        )
    step("validation")
    cal = default_calibration_end(store, end) if calibration_end is None else calibration_end
    data.validation = _attempt(
        data, "validation", lambda: validate(store, calibration_end=cal, observation_end=end, model=purchase_model)
    )
    step("segments")
    data.segments = _attempt(data, "segments", lambda: collect_segments(store))
    step("budget")
    data.budget = _attempt(data, "budget", lambda: collect_budget(store))
    return data


def _attempt(data: ReportData, part: str, compute: Callable[[], Any]) -> Any:
    try:
        return compute()
    except ClienteleError as exc:
        data.notes[part] = str(exc)
        return None


def render(data: ReportData, *, top: int = 20, title: str = "Customer equity report") -> str:
    """The report page (HTML) of :func:`collect`'s data."""
    sections = [
        _equity_section(data),
        _history_section(data),
        _distribution_section(data),
        _indicator_section(data),
        _validation_section(data),
        _at_risk_section(data, top),
        *segment_sections(data.segments, _missing(data, "segments")),
        *budget_sections(data.budget, _missing(data, "budget")),
    ]
    subtitle = f"Customers' purchases from {data.first_day} to {data.as_of}"
    footer = f"clientele report, data as of {data.as_of}; generated {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"
    return render_page(title, subtitle, _headline(data), sections, footer)


def write_report(store: Any, out: str | Path, *, top: int = 20, **options: Any) -> Path:
    """Compute the report (:func:`collect`, ``options`` passed on) and write it to ``out`` (HTML).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(out)
    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError("the report is an HTML file: give a name ending in .html", column="--out", value=str(out))
    if not path.parent.exists():
        raise InputError("the folder of the report does not exist", column="--out", value=str(out))
    page = render(collect(store, **options), top=top)
    path.write_text(page, encoding="utf-8")
    return path


# ------------------------------------------------------------------ sections
def _headline(data: ReportData) -> list[Card]:
    cards = []
    if data.equity is not None:
        row = data.equity.summary.loc["customer_equity"]
        level = data.equity.settings.get("level", 0.9)
        note = "point estimate"
        if pd.notna(row["lower"]):
            note = f"{level:.0%} interval {fmt(row['lower'])} to {fmt(row['upper'])}"
        cards.append(Card("Customer equity", fmt(row["estimate"]), note))
        current = data.equity.summary.loc["current_customers", "estimate"]
        cards.append(Card("Current customers' value", fmt(current), f"{len(data.equity.customers):,} customers"))
    if data.indicators is not None:
        h = data.indicators.headline
        share = h.get("churn_weighted", float("nan"))
        cards.append(Card("Value at risk", fmt(h.get("value_at_risk")), f"{share:.0%} of the value if all stayed"))
        if h.get("nps") is not None and pd.notna(h.get("nps")):
            cards.append(Card("Net promoter score", fmt(h["nps"], 1), f"{fmt(h.get('nps_responses'))} responses"))
    if data.validation is not None:
        e = data.validation.errors
        cards.append(Card("Model check (holdout)", f"{e['total_error_pct']:+.1f}%", "predicted vs actual repeat purchases"))
    return cards


def _missing(data: ReportData, *parts: str) -> str | None:
    reasons = [f"{p}: {data.notes[p]}" for p in parts if p in data.notes]
    return "Not shown. " + "; ".join(reasons) if reasons else None


def _equity_section(data: ReportData) -> Section:
    section = Section(
        "Customer equity",
        "What the customer base is worth: the discounted margin the current customers are expected to bring "
        "over the horizon, plus the value of the customers the company is expected to acquire. The interval "
        "reflects the uncertainty of the fitted models (parametric bootstrap).",
        missing=_missing(data, "equity"),
    )
    if data.equity is not None:
        summary = data.equity.summary.rename(index=lambda s: s.replace("_", " "))
        section.tables.append(table_html(summary))
        settings = data.equity.settings
        section.caption += (
            f" Horizon {settings.get('horizon_months')} months, margin {settings.get('margin', 0):.0%}, "
            f"discount rate {settings.get('discount_rate', 0):.0%} a year."
        )
    return section


def _history_section(data: ReportData) -> Section:
    section = Section(
        "Equity over time",
        "Customer equity as it would have been computed at each month end with the data available then: "
        "a rising line means the base is gaining value.",
        missing=_missing(data, "history"),
    )
    if data.history is not None and len(data.history):
        section.figures.append(F.equity_over_time_figure(data.history))
    return section


def _distribution_section(data: ReportData) -> Section:
    section = Section(
        "Where the value is",
        "Left: how CLV is spread over the customers (a few customers usually hold much of the value). Right: "
        "customers and equity by CLV tier and by the probability that the customer is still active; the "
        "valuable customers with a low probability are the ones to win back.",
        missing=_missing(data, "equity"),
    )
    if data.equity is not None and len(data.equity.customers):
        customers = data.equity.customers
        section.figures.append(F.clv_distribution_figure(clv_histogram(customers["clv"])))
        section.figures.append(F.value_risk_figure(value_risk_grid(customers)))
    return section


def _indicator_section(data: ReportData) -> Section:
    section = Section(
        "Indicators by segment and month",
        "Active customers (a purchase in the last 12 months) and the retention rate by month, for all customers "
        "and each segment; value at risk by segment; and the net promoter score with its interval.",
        missing=_missing(data, "indicators"),
    )
    ind = data.indicators
    if ind is not None:
        section.figures.append(F.monthly_figure(ind.monthly, "active", "Active customers", "customers"))
        section.figures.append(F.monthly_figure(ind.monthly, "retention_rate", "Retention rate", "share retained"))
        section.figures.append(
            F.segment_bar_figure(ind.value_at_risk, "value_at_risk", "Value at risk by segment", "value at risk")
        )
        if len(ind.nps):
            section.figures.append(F.nps_figure(ind.nps))
        section.tables.append(table_html(ind.value_at_risk, {"churn_weighted": 3, "expected_alive": 1}))
    return section


def _validation_section(data: ReportData) -> Section:
    section = Section(
        "How well the model predicts",
        "The purchase model is fitted on the calibration period only and then compared with what the same "
        "customers did afterwards (the holdout period), as in Fader, Hardie & Lee (2005).",
        missing=_missing(data, "validation"),
    )
    v = data.validation
    if v is not None:
        e = v.errors
        section.caption += (
            f" Calibration to {v.calibration_end}, holdout to {v.observation_end}; {e['customers']:,} customers."
        )
        section.cards = [
            Card(
                "Holdout repeat purchases",
                fmt(e["actual_holdout_transactions"]),
                f"model: {fmt(e['model_holdout_transactions'])}",
            ),
            Card("Error of the total", f"{e['total_error_pct']:+.1f}%", "model vs actual"),
            Card("Mean absolute error", fmt(e["mae"], 2), f"per customer (mean actual {fmt(e['mean_actual'], 2)})"),
        ]
        section.figures.append(F.period_histogram_figure(v.histogram))
        section.figures.append(F.conditional_figure(v.conditional))
        section.figures.append(F.tracking_figure(v.weekly, v.calibration_end, cumulative=False))
        section.figures.append(F.tracking_figure(v.weekly, v.calibration_end, cumulative=True))
    return section


def _at_risk_section(data: ReportData, top: int) -> Section:
    section = Section(
        "Most valuable customers at risk of leaving",
        f"The {top} customers with the most value at risk among those less likely than not to be still active: "
        "value if still active (CLV / P(alive)) times the probability that they have left.",
        missing=_missing(data, "equity"),
    )
    if data.equity is not None:
        customers = data.equity.customers
        if data.indicators is not None and "segment" in data.indicators.scores.columns:  # the value x risk segments
            customers = customers.assign(segment=data.indicators.scores["segment"].reindex(customers.index).to_numpy())
        table = most_valuable_at_risk(customers, n=top)
        if len(table):
            section.tables.append(table_html(table, {"p_alive": 3}))
        else:
            section.missing = "No customer has P(alive) below 0.5."
    return section
