"""Gaps: categories a segment buys less than customers of similar value outside it.

Customers are put in value bands (deciles of CLV, or of spend when the store has no scores).
For a member ``i`` with total spend ``m_i`` in band ``b(i)``, the expected spend in category
``c`` is what non-members of the same band spend there, share-wise:

``E_i(c) = m_i * e_b(i)(c)``, ``e_b(c) = (spend of non-members of band b in c) / (their spend)``

(indirect standardisation, as in standardised mortality ratios: Breslow & Day 1987, "Statistical
methods in cancer research II"). The segment's index is ``sum_i m_i(c) / sum_i
E_i(c)`` and its money gap ``sum_i E_i(c) - sum_i m_i(c)``: what the segment would spend in the
category if it bought there like similar customers do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clientele.needs.affinity import MIN_CUSTOMERS
from clientele.needs.bootstrap import ratio_interval
from clientele.needs.data import is_member

#: Value bands customers are matched in.
N_BANDS = 10

COLUMNS = [
    "customers", "spend", "expected_spend", "share", "expected_share", "index", "index_lower",
    "index_upper", "money_gap", "small", "significant",
]


def value_bands(value: pd.Series, n_bands: int = N_BANDS) -> pd.Series:
    """Band 1 (lowest value) to ``n_bands`` of each customer, by rank (ties split by order)."""
    if value.empty:
        return pd.Series(dtype=np.int64, index=value.index, name="band")
    n = min(n_bands, len(value))
    ranks = value.rank(method="first").to_numpy()
    band = np.ceil(ranks * n / len(value)).astype(np.int64)
    return pd.Series(np.clip(band, 1, n), index=value.index, name="band")


def spend_matrix(lines: pd.DataFrame, by: str = "category") -> pd.DataFrame:
    """Customers x ``by``: each customer's spend (compute once, pass as ``spend`` to :func:`gaps`)."""
    return lines.assign(_item=lines[by].astype(str), amount=lines["amount"].astype(float)).pivot_table(
        index="customer_key", columns="_item", values="amount", aggfunc="sum", fill_value=0.0
    )


def gaps(
    lines: pd.DataFrame,
    members: pd.Index,
    value: pd.Series,
    by: str = "category",
    n_bands: int = N_BANDS,
    n_draws: int = 200,
    level: float = 0.90,
    seed: int = 0,
    min_customers: int = MIN_CUSTOMERS,
    spend: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Actual against expected spend per category for the segment, matched on value band.

    Parameters
    ----------
    lines
        Purchases: ``customer_key``, ``amount`` and the ``by`` column.
    members
        The segment's customer keys.
    value
        Each customer's value (:func:`clientele.needs.data.customer_values`), indexed by key.
    by
        ``"category"`` or ``"brand"``.
    n_bands
        Value bands customers are matched in.
    n_draws, level, seed
        The customer bootstrap of the index interval.
    min_customers
        Fewer buying members than this flag a row ``small``.
    spend
        :func:`spend_matrix` of the same ``lines`` and ``by``, if already computed.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``, largest money gap first: ``customers`` (members buying it),
        ``spend``, ``expected_spend``, ``share``/``expected_share`` of the members' spend,
        ``index`` (actual / expected) with its interval, ``money_gap`` (expected - actual;
        positive where the segment under-buys), ``small``, ``significant`` (the interval
        excludes 1). Empty when the segment has no purchases.
    """
    spend = spend_matrix(lines, by) if spend is None else spend
    band = value_bands(value.reindex(spend.index).fillna(0.0), n_bands)
    inside = is_member(spend.index, members)
    if not inside.any():
        return pd.DataFrame(columns=COLUMNS, index=pd.Index([], name=by))
    outside = spend.loc[~inside].groupby(band.loc[~inside]).sum()
    overall = spend.loc[~inside].sum()
    if overall.sum() <= 0:  # everybody is a member: nobody to compare with
        overall = spend.sum()
    overall = overall / overall.sum()
    shares = outside.div(outside.sum(axis=1), axis=0)
    member_band = band.loc[inside]
    expected_share = shares.reindex(member_band.to_numpy()).to_numpy()
    expected_share = np.where(np.isfinite(expected_share), expected_share, overall.to_numpy())  # bands without outsiders

    actual = spend.loc[inside].to_numpy()
    totals = actual.sum(axis=1, keepdims=True)
    expected = totals * expected_share
    out = pd.DataFrame(
        {
            "customers": (actual > 0).sum(axis=0).astype(np.int64),
            "spend": actual.sum(axis=0),
            "expected_spend": expected.sum(axis=0),
        },
        index=pd.Index(spend.columns, name=by),
    )
    seg_total = float(totals.sum())
    out["share"] = out["spend"] / seg_total
    out["expected_share"] = out["expected_spend"] / seg_total
    with np.errstate(divide="ignore", invalid="ignore"):
        out["index"] = out["spend"] / out["expected_spend"]
    out["index_lower"], out["index_upper"] = ratio_interval(actual, expected, n_draws, level, seed)
    out["money_gap"] = out["expected_spend"] - out["spend"]
    out["small"] = out["customers"] < min_customers
    out["significant"] = (out["index_lower"] > 1) | (out["index_upper"] < 1)
    return out[COLUMNS].sort_values("money_gap", ascending=False, kind="stable")
