"""Product-centric vs customer-centric: the same money, planned by brand managers or segment owners.

The current budget is planned by product line (a brand or a category) and its manager: each
row says how much a product line spends on a lever. A product line's spend reaches customers in
proportion to their spend on that product line (a brand's loyalty mailing reaches the brand's
buyers), so it lands on the segment x lever lines in the shares of :func:`reach_shares`.
:func:`compare_plans` values that plan under the same response curves, allocates the same total
to segment owners (:func:`clientele.budget.allocate.allocate`) and reports the equity difference
with its interval; the interval is paired, taken over the same bootstrap draws of both plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clientele.budget.allocate import Plan, allocate, evaluate
from clientele.budget.lines import BudgetLines
from clientele.budget.response import LEVERS
from clientele.errors import InputError

LINE_COLUMNS = ("product_line", "brand", "category")


def read_current_budget(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read the current budget: ``product_line`` (or ``brand`` / ``category``), ``manager``, ``lever``, ``spend``.

    Returns a frame with those four columns (``product_line`` named so whatever the input
    called it) and ``line`` (the input line, header = 1).

    Raises
    ------
    InputError
        Naming the file, line, column and value of the first bad cell.
    """
    label = "current budget" if isinstance(source, pd.DataFrame) else str(source)
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        path = Path(source)
        if not path.exists():
            raise InputError("the file does not exist", file=label)
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputError(f"not a readable CSV file ({str(exc).splitlines()[0]})", file=label) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    name = next((c for c in LINE_COLUMNS if c in frame.columns), None)
    if name is None:
        raise InputError("the current budget needs a column product_line, brand or category", file=label,
                         line=1, column="product_line")
    for column in ("manager", "lever", "spend"):
        if column not in frame.columns:
            raise InputError("the current budget lacks a column", file=label, line=1, column=column)
    rows = []
    for i, rec in enumerate(frame.to_dict(orient="records")):
        line = i + 2
        product = str(rec[name]).strip()
        if not product:
            raise InputError("expected a product line name", file=label, line=line, column=name, value=rec[name])
        lever = str(rec["lever"]).strip().lower().replace("-", "_")
        if lever not in LEVERS:
            raise InputError(f"expected one of {', '.join(LEVERS)}", file=label, line=line, column="lever",
                             value=rec["lever"])
        try:
            spend = float(str(rec["spend"]).replace(",", "").strip())
        except ValueError:
            spend = float("nan")
        if not np.isfinite(spend) or spend < 0:
            raise InputError("expected an amount of 0 or more", file=label, line=line, column="spend",
                             value=rec["spend"])
        rows.append({"product_line": product, "manager": str(rec["manager"]).strip() or "(unassigned)",
                     "lever": lever, "spend": spend, "line": line})
    if not rows:
        raise InputError("the current budget has no rows", file=label)
    return pd.DataFrame(rows)


def reach_shares(spend_by_line: pd.DataFrame) -> pd.DataFrame:
    """Share of each product line's customer spend that falls in each segment.

    Parameters
    ----------
    spend_by_line
        ``product_line``, ``segment``, ``amount`` (customers' spend, e.g. summed purchases).

    Returns
    -------
    pandas.DataFrame
        Indexed by product line, one column per segment, rows summing to 1.
    """
    table = spend_by_line.pivot_table(index="product_line", columns="segment", values="amount",
                                      aggfunc="sum", fill_value=0.0).clip(lower=0.0)
    totals = table.sum(axis=1)
    return table[totals > 0].div(totals[totals > 0], axis=0)


def product_spend(current: pd.DataFrame, shares: pd.DataFrame, lines: BudgetLines) -> pd.DataFrame:
    """Spread the current budget over the segment x lever lines.

    Returns one row per (current budget row, segment): ``product_line``, ``manager``,
    ``segment``, ``lever``, ``spend``. A product line the shares do not know reaches segments in
    proportion to all customers' spend. Spend on a lever reaches only the segments with a
    response estimate for that lever; if the product line's buyers are in none of them (e.g.
    acquisition tests targeted at prospects by segment), it is spread evenly over that lever's
    lines.
    """
    overall = shares.mean(axis=0) if len(shares) else pd.Series(dtype=float)
    known = set(zip(lines.frame["segment"], lines.frame["lever"]))
    out = []
    for rec in current.itertuples(index=False):
        share = shares.loc[rec.product_line] if rec.product_line in shares.index else overall
        with_curve = [seg for seg, lev in known if lev == rec.lever]
        if not with_curve:
            raise InputError(f"no response estimate for lever {rec.lever!r} in any segment; the campaign "
                             "records have none for it", line=int(rec.line), column="lever", value=rec.lever)
        share = share.reindex(with_curve).fillna(0.0)
        share = share[share > 0]
        if share.empty:  # e.g. acquisition tests targeted at segments this line's buyers are not in
            share = pd.Series(1.0, index=sorted(with_curve))
        share = share / share.sum()
        for segment, w in share.items():
            out.append({"product_line": rec.product_line, "manager": rec.manager, "segment": segment,
                        "lever": rec.lever, "spend": float(rec.spend) * float(w)})
    return pd.DataFrame(out)


@dataclass
class Comparison:
    """The product-centric plan, the customer-centric plan of the same money, and the difference."""

    product: Plan
    customer: Plan
    by_manager: pd.DataFrame
    difference: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        clean = self.by_manager.reset_index().astype(object)
        return {"product": self.product.to_dict(), "customer": self.customer.to_dict(),
                "by_manager": clean.to_dict(orient="records"), "difference": self.difference}


def product_plan(lines: BudgetLines, spread: pd.DataFrame) -> tuple[Plan, pd.DataFrame]:
    """Value the spread product budget: the plan per line and the gain attributed to each manager.

    A line's gain is shared among the managers who spend on it in proportion to their spend.
    """
    per_line = spread.groupby(["segment", "lever"])["spend"].sum()
    S = per_line.reindex(lines.index()).fillna(0.0).to_numpy(np.float64)
    plan = evaluate(lines, S, kind="product", inputs={"current_budget": spread.to_dict(orient="records")})
    gain_per_money = pd.Series(np.where(S > 0, plan.lines["gain"].to_numpy() / np.where(S > 0, S, 1.0), 0.0),
                               index=lines.index())
    spread = spread.copy()
    spread["gain"] = spread["spend"] * gain_per_money.reindex(
        pd.MultiIndex.from_frame(spread[["segment", "lever"]])).to_numpy()
    managers = spread.groupby(["manager", "product_line"])[["spend", "gain"]].sum()
    managers["roi"] = (managers["gain"] - managers["spend"]) / managers["spend"].where(managers["spend"] > 0)
    return plan, managers


def compare_plans(
    lines: BudgetLines,
    current: pd.DataFrame,
    shares: pd.DataFrame,
    **constraints: Any,
) -> Comparison:
    """Value the product-centric budget and allocate the same total to segment owners.

    Parameters
    ----------
    lines
        The budget lines (response curves x values).
    current
        :func:`read_current_budget`.
    shares
        :func:`reach_shares`.
    constraints
        Passed to :func:`~clientele.budget.allocate.allocate` (``max_shift`` is measured from
        the product plan).
    """
    spread = product_spend(current, shares, lines)
    product, managers = product_plan(lines, spread)
    budget = float(current["spend"].sum())
    constraints.setdefault("current", product.spend)
    if constraints.get("max_shift") is None:
        constraints.pop("current")
    customer = allocate(lines, budget, **constraints)
    diff = customer.draws - product.draws
    tail = (1.0 - lines.level) / 2.0
    lo, hi = np.quantile(diff, [tail, 1.0 - tail])
    difference = {"gain": customer.totals["gain"] - product.totals["gain"], "lower": float(lo), "upper": float(hi),
                  "share_better": float(np.mean(diff > 0)), "budget": budget}
    return Comparison(product, customer, managers, difference)
