"""The report's budget section: the product-centric and customer-centric plans side by side.

:func:`collect_budget` reads the stored plans (:mod:`clientele.budget.plans`): the newest
customer-centric plan and the product-centric plan it was compared with; :func:`budget_sections`
shows spend and expected equity gain by segment for both, the equity difference with its
interval and the sensitivity (tornado) of the customer plan.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from clientele.report.figures import ACCENT, MODEL, _style
from clientele.report.page import Card, Section, fmt, table_html


def collect_budget(store: Any) -> dict[str, Any] | None:
    """The newest customer plan and its product plan (``None`` if no customer plan is stored)."""
    from clientele.budget.plans import list_plans, load_plan

    plans = list_plans(store)
    customer = plans[plans["kind"] == "customer"]
    if customer.empty:
        return None
    name = str(customer["name"].iloc[0])
    products = plans[plans["kind"] == "product"]
    pair = next((n for n in (f"{name} (product)", name.replace("customer", "product")) if
                 n != name and n in set(products["name"])), None)
    if pair is None and len(products):
        pair = str(products["name"].iloc[0])
    return {"customer": load_plan(store, name), "product": load_plan(store, pair) if pair else None}


def tornado_figure(table: pd.DataFrame, base: float) -> go.Figure:
    """Total equity gain of the re-optimised plan with each response at its low / high end."""
    part = table.head(10).iloc[::-1]
    labels = [f"{s} / {l}" for s, l in zip(part["segment"], part["lever"])]
    fig = go.Figure([
        go.Bar(y=labels, x=(part["gain_low"] - base).round(2), base=base, orientation="h", name="low end",
               marker_color=ACCENT),
        go.Bar(y=labels, x=(part["gain_high"] - base).round(2), base=base, orientation="h", name="high end",
               marker_color=MODEL),
    ])
    fig.update_layout(barmode="overlay")
    return _style(fig, "Sensitivity: equity gain with each response at its low / high end", "equity gain", "", 420)


def plans_figure(product: pd.DataFrame, customer: pd.DataFrame, column: str, title: str) -> go.Figure:
    """``column`` summed by segment for both plans, side by side."""
    a = product.groupby("segment")[column].sum()
    b = customer.groupby("segment")[column].sum()
    segments = sorted(set(a.index) | set(b.index))
    fig = go.Figure([
        go.Bar(x=segments, y=a.reindex(segments).fillna(0).round(2), name="product managers", marker_color=ACCENT),
        go.Bar(x=segments, y=b.reindex(segments).fillna(0).round(2), name="customer managers", marker_color=MODEL),
    ])
    fig.update_layout(barmode="group")
    return _style(fig, title, "segment", column)


def budget_sections(budget: dict[str, Any] | None, missing: str | None = None) -> list[Section]:
    """The budget section; none for a store without plans, a note if the plans could not be read."""
    section = Section(
        "Budget: product managers vs customer managers",
        "The same money planned two ways. Left the current, product-centric budget (each brand manager's spend "
        "reaches the brand's buyers), right the plan that gives it to segment owners where customer equity grows "
        "most, under the response curves estimated from randomised campaigns. Equity gain is the expected change "
        "in customer equity the spend buys; ROI = (gain - spend) / spend (Rust, Lemon & Zeithaml 2004).",
        missing=missing,
    )
    if budget is None:  # no plan stored: the section is left out; one that could not be read says why
        return [section] if missing else []
    customer, product = budget["customer"], budget["product"]
    inputs = customer["inputs"]
    diff = inputs.get("comparison")
    rows = []
    for label, plan in (("product-centric", product), ("customer-centric", customer)):
        if plan is None:
            continue
        spend = float(plan["lines"]["spend"].sum())
        gain = float(plan["expected_gain"])
        rows.append({"plan": f"{label}: {plan['name']} ({plan['status']})", "spend": spend, "equity gain": gain,
                     "lower": plan["gain_lower"], "upper": plan["gain_upper"],
                     "ROI": (gain - spend) / spend if spend else float("nan")})
    if diff:
        rows.append({"plan": "difference (paired draws)", "spend": 0.0, "equity gain": diff["gain"],
                     "lower": diff["lower"], "upper": diff["upper"], "ROI": float("nan")})
        section.cards.append(Card("Equity gained by planning for customers", fmt(diff["gain"]),
                                  f"90% interval {fmt(diff['lower'])} to {fmt(diff['upper'])}"))
    section.tables.append(table_html(pd.DataFrame(rows), {"ROI": 2}, index=False))
    if product is not None:
        section.figures.append(plans_figure(product["lines"], customer["lines"], "spend", "Spend by segment"))
        section.figures.append(plans_figure(product["lines"], customer["lines"], "gain",
                                            "Expected equity gain by segment"))
    tornado = pd.DataFrame(inputs.get("sensitivity") or [])
    if len(tornado):
        section.figures.append(tornado_figure(tornado, float(customer["expected_gain"])))
    lines = customer["lines"].rename(columns={"gain": "equity gain", "marginal_roi": "marginal ROI", "roi": "ROI"})
    section.tables.append(table_html(lines, {"ROI": 2, "marginal ROI": 2}, index=False))
    return [section]
