"""From the store to a budget plan: campaigns -> responses -> lines -> plans, in one call.

:func:`budget_from_store` reads the scored customers (``customer_scores``), a segment
membership, the campaign records, estimates the responses, builds the budget lines and
allocates the budget; with a current (product-centric) budget it also values that plan and
compares the two. Segment membership comes from ``clientele.segments`` when that package and a
stored segmentation exist, else from the value x risk grid of
:func:`clientele.indicators.value_risk_segments`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientele.budget.allocate import Plan, allocate
from clientele.budget.campaigns import acquisition_cells, campaign_records
from clientele.budget.lines import BudgetLines, build_lines, segment_values
from clientele.budget.product import Comparison, compare_plans, reach_shares, read_current_budget
from clientele.budget.response import DEFAULT_DRAWS, ResponseSet, fit_responses
from clientele.budget.sensitivity import sensitivity
from clientele.errors import ClienteleError, StoreError


@dataclass
class BudgetResult:
    """Everything a budget run produced."""

    responses: ResponseSet
    lines: BudgetLines
    plan: Plan
    comparison: Comparison | None
    tornado: pd.DataFrame | None
    settings: dict[str, Any]


def customer_scores(store: Any) -> pd.DataFrame:
    """The store's ``customer_scores`` (raises :class:`StoreError` if the store is not scored)."""
    frame = store.con.execute(
        "SELECT customer_key, p_alive, expected_purchases, expected_spend, clv, margin, discount_rate, "
        "horizon_months FROM customer_scores").df()
    if frame.empty:
        raise StoreError(f"{store.path}: no customer scores; run `clientele fit` and `clientele score` first")
    return frame


def default_membership(store: Any, scores: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Segment membership and owners: ``clientele.segments`` if available, else value x risk."""
    try:
        from clientele.segments import segment_membership  # type: ignore[attr-defined]
    except ImportError:
        segment_membership = None
    if segment_membership is not None:
        try:
            membership = segment_membership(store, kind="grid")  # the grid: one segment per customer
        except (ClienteleError, TypeError):
            membership = None
        if membership is not None and len(membership):
            owners = {}
            try:
                rows = store.con.execute("SELECT name, owner FROM segments WHERE owner IS NOT NULL").fetchall()
                owners = {str(n): str(o) for n, o in rows}
            except Exception:  # noqa: BLE001 - an older store without segment owners
                owners = {}
            return membership[["customer_key", "segment"]].drop_duplicates("customer_key"), owners
    from clientele.indicators import value_risk_segments

    indexed = scores.set_index("customer_key")
    seg = value_risk_segments(indexed)
    return pd.DataFrame({"customer_key": seg.index, "segment": seg.to_numpy()}), {}


def new_customer_value(store: Any, scores: pd.DataFrame) -> float:
    """Expected discounted margin of one customer acquired today (Gupta, Lehmann & Stuart 2004, eq. 2).

    The sum over the scores' horizon of :func:`clientele.equity.new_customer_margins` discounted
    monthly at the scores' rate; the mean CLV of the scored customers if no model is stored.
    """
    from clientele.clv import DAYS_PER_MONTH
    from clientele.equity import new_customer_margins
    from clientele.pipeline.fit import latest_fit

    horizon = int(scores["horizon_months"].iloc[0])
    rate = (1.0 + float(scores["discount_rate"].iloc[0])) ** (1.0 / 12.0) - 1.0
    try:
        fit = latest_fit(store)
    except StoreError:
        return float(scores["clv"].mean())
    margins = new_customer_margins(fit.purchase_model, fit.spend_model, horizon, float(scores["margin"].iloc[0]),
                                   fit.time_unit, DAYS_PER_MONTH)
    return float(np.sum(margins * (1.0 + rate) ** -np.arange(horizon)))


def product_line_spend(store: Any, membership: pd.DataFrame) -> pd.DataFrame:
    """Customers' purchases by product line (each category and each brand) and segment."""
    frame = store.con.execute(
        "SELECT coalesce(k.customer_key, t.source || ':' || t.customer_id) AS customer_key, t.category, t.brand, "
        "t.amount FROM transactions t LEFT JOIN customer_keys k ON k.source = t.source "
        "AND k.customer_id = t.customer_id WHERE NOT t.is_return").df()
    frame = frame.merge(membership[["customer_key", "segment"]], on="customer_key", how="inner")
    parts = []
    for column in ("category", "brand"):
        part = frame.dropna(subset=[column]).groupby([column, "segment"])["amount"].sum().reset_index()
        parts.append(part.rename(columns={column: "product_line"}))
    out = pd.concat(parts, ignore_index=True)
    return out.drop_duplicates(["product_line", "segment"], keep="first")


def budget_from_store(
    store: Any,
    *,
    budget: float | None = None,
    current: Any = None,
    membership: pd.DataFrame | None = None,
    owners: dict[str, str] | None = None,
    n_draws: int = DEFAULT_DRAWS,
    seed: int | None = 0,
    tornado: bool = True,
    **constraints: Any,
) -> BudgetResult:
    """Estimate responses from the store's campaigns and allocate the budget to segment owners.

    Parameters
    ----------
    store
        An open :class:`clientele.store.Store` with customer scores and campaign records.
    budget
        Money to allocate (default: the current budget's total).
    current
        The product-centric budget: a CSV path or frame (:func:`read_current_budget`).
    membership, owners
        Segment membership (``customer_key``, ``segment``) and segment owners (default:
        :func:`default_membership`).
    n_draws, seed
        Bootstrap draws of the response curves.
    tornado
        Also compute the sensitivity table.
    constraints
        Passed to :func:`clientele.budget.allocate.allocate`.
    """
    scores = customer_scores(store)
    if membership is None:
        membership, found = default_membership(store, scores)
        owners = {**found, **(owners or {})}
    records = campaign_records(store, membership)
    responses = fit_responses(records, n_draws=n_draws, seed=seed)
    values = segment_values(scores, membership)
    lines = build_lines(responses, values, new_customer_value=new_customer_value(store, scores),
                        acquisition_cells=acquisition_cells(records), owners=owners)
    comparison = None
    if current is not None:
        table = read_current_budget(current)
        shares = reach_shares(product_line_spend(store, membership))
        if budget is not None:
            table["spend"] = table["spend"] * (float(budget) / float(table["spend"].sum()))
        comparison = compare_plans(lines, table, shares, **constraints)
        plan = comparison.customer
        if constraints.get("max_shift") is not None:
            constraints["current"] = comparison.product.spend
        budget = float(table["spend"].sum())
    else:
        if budget is None:
            from clientele.errors import InputError

            raise InputError("give a budget or a current budget file", column="--budget")
        plan = allocate(lines, budget, **constraints)
    table_s = sensitivity(lines, plan, float(budget), **constraints) if tornado else None
    # what the plan is reviewed with travels with it when it is stored
    if comparison is not None:
        plan.inputs["comparison"] = dict(comparison.difference)
    if table_s is not None:
        plan.inputs["sensitivity"] = table_s.to_dict(orient="records")
    plan.inputs["responses"] = responses.summary().reset_index().to_dict(orient="records")
    acquisition = lines.frame.loc[lines.frame["lever"] == "acquisition", "value"]
    settings = {"n_draws": n_draws, "seed": seed, "segments": int(values.shape[0]),
                "campaign_records": int(len(records)),
                "new_customer_value": float(acquisition.max()) if len(acquisition) else None}
    return BudgetResult(responses, lines, plan, comparison, table_s, settings)
