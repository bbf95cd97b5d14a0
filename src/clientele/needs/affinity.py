"""Category and brand affinity: what a segment spends its money on, against the whole base.

For a segment ``S`` and a category (or brand) ``c``, with ``m`` the spend of purchases:

* share of spend ``s_S(c) = m_S(c) / m_S``, against the base's ``s(c) = m(c) / m``;
* lift ``s_S(c) / s(c)``: above 1 the segment spends relatively more on ``c`` than the base
  does (the "index" of customer-analytics practice; the lift of association rules, Agrawal,
  Imielinski & Swami 1993, with spend in place of counts);
* a customer-level bootstrap interval of the lift (:func:`clientele.needs.bootstrap.ratio_interval`)
  and the counts behind it, so that a lift resting on a few customers is flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clientele.needs.bootstrap import ratio_interval
from clientele.needs.data import is_member

#: Lifts resting on fewer buying customers than this are flagged ``small``.
MIN_CUSTOMERS = 30

COLUMNS = [
    "customers", "purchases", "spend", "share", "base_customers", "base_spend", "base_share",
    "reach", "base_reach", "lift", "lift_lower", "lift_upper", "small", "significant",
]


def base_affinity(lines: pd.DataFrame, by: str = "category") -> pd.DataFrame:
    """The whole base's side of :func:`affinity` (``base_customers``, ``base_spend``, ``base_share``,
    ``base_reach`` per ``by``); compute once and pass as ``base`` when analysing many segments."""
    base = lines.assign(_item=lines[by].astype(str)).groupby("_item").agg(
        base_customers=("customer_key", "nunique"), base_spend=("amount", "sum")
    )
    total = float(base["base_spend"].sum())
    base["base_share"] = base["base_spend"] / total if total > 0 else np.nan
    base["base_reach"] = base["base_customers"] / max(lines["customer_key"].nunique(), 1)
    return base


def affinity(
    lines: pd.DataFrame,
    members: pd.Index,
    by: str = "category",
    n_draws: int = 200,
    level: float = 0.90,
    seed: int = 0,
    min_customers: int = MIN_CUSTOMERS,
    base: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Share of spend, lift and the evidence behind them, per category or brand.

    Parameters
    ----------
    lines
        Purchases: ``customer_key``, ``amount`` and the ``by`` column
        (:func:`clientele.needs.data.purchase_lines`).
    members
        The segment's customer keys (keys without purchases add nothing).
    by
        ``"category"`` or ``"brand"``.
    n_draws, level, seed
        The bootstrap of the lift interval (``n_draws=0``: no interval).
    min_customers
        Fewer buying members than this flag the row as ``small``.
    base
        :func:`base_affinity` of the same ``lines`` and ``by``, if already computed.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``, sorted by lift (highest first): ``customers``, ``purchases``,
        ``spend`` of the members in it; ``share`` of the members' spend; the same for the whole
        base (``base_*``); ``reach`` (share of buying members who bought it) and
        ``base_reach``; ``lift`` with its bootstrap interval ``lift_lower``/``lift_upper``;
        ``small`` (fewer than ``min_customers`` buyers) and ``significant`` (the interval
        excludes 1).
    """
    base = base_affinity(lines, by) if base is None else base
    mine = lines.loc[is_member(lines["customer_key"], members)]
    mine = mine.assign(_item=mine[by].astype(str))
    seg = mine.groupby("_item").agg(
        customers=("customer_key", "nunique"), purchases=("amount", "size"), spend=("amount", "sum")
    )
    out = base.join(seg, how="left").fillna({"customers": 0, "purchases": 0, "spend": 0.0})
    out[["customers", "purchases"]] = out[["customers", "purchases"]].astype(np.int64)
    seg_total = float(out["spend"].sum())
    buyers = mine["customer_key"].nunique()
    out["share"] = out["spend"] / seg_total if seg_total > 0 else np.nan
    out["reach"] = out["customers"] / buyers if buyers else np.nan
    out["lift"] = out["share"] / out["base_share"]

    # per member: spend in each item divided by the item's base share, over the member's total
    matrix = mine.astype({"amount": float}).pivot_table(
        index="customer_key", columns="_item", values="amount", aggfunc="sum", fill_value=0.0
    )
    matrix = matrix.reindex(columns=out.index, fill_value=0.0)
    numerator = matrix.to_numpy() / out["base_share"].to_numpy()
    denominator = np.repeat(matrix.to_numpy().sum(axis=1, keepdims=True), len(out), axis=1)
    out["lift_lower"], out["lift_upper"] = ratio_interval(numerator, denominator, n_draws, level, seed)
    out["small"] = out["customers"] < min_customers
    out["significant"] = (out["lift_lower"] > 1) | (out["lift_upper"] < 1)
    out.index.name = by
    return out[COLUMNS].sort_values(["lift", "spend"], ascending=False, kind="stable")
