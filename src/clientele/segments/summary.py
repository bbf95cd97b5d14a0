"""What each segment is worth and how it is doing: size, equity, CLV, retention and NPS.

Definitions (all from the store's current ``customer_scores`` and segment membership):

``customers``
    Members of the segment.
``equity``
    Customer equity of the segment's current customers: the sum of their CLV (the
    ``customer_scores`` CLV, FHL 2005 "RFM and CLV" eq. 2-3 with discounting).
``share_of_equity``
    ``equity`` / the sum of CLV over every scored customer. The grid cells' shares add up to 1.
``avg_clv``
    ``equity / customers``.
``retention_rate``
    The indicators package's definition (:mod:`clientele.indicators.retention`) at the month
    of the scores' observation end: of the members active (a purchase) in the previous
    ``window_months`` months, the share who purchased again in the last ``window_months``
    months. NaN where no member was active in the previous window.
``nps``, ``nps_responses``
    Net promoter score (Reichheld 2003; :mod:`clientele.indicators.nps`) of the survey
    answers given by the members (each answer counts), matched by customer key.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientele.indicators import monthly_activity, nps_interval, surveys_frame
from clientele.segments.registry import list_segments, segment_membership

COLUMNS = ["segment", "kind", "owner", "customers", "equity", "share_of_equity", "avg_clv",
           "retention_rate", "nps", "nps_responses", "stale"]


def segment_summary(store: Any, window_months: int = 12) -> pd.DataFrame:
    """One row per segment with :data:`COLUMNS` (see the module docstring); grid cells first.

    Parameters
    ----------
    store
        An open store with segments (:func:`~clientele.segments.create_grid`,
        :func:`~clientele.segments.create_segment`).
    window_months
        The retention window.
    """
    from clientele.equity import purchases_frame
    from clientele.pipeline import latest_fit

    segments = list_segments(store)
    if segments.empty:
        return pd.DataFrame(columns=COLUMNS)
    scores = store.con.execute("SELECT customer_key, clv FROM customer_scores").df()
    total = float(scores["clv"].sum())
    members = segment_membership(store)
    joined = members.merge(scores, on="customer_key", how="left")
    joined["clv"] = joined["clv"].fillna(0.0)
    by = joined.groupby("segment")
    sizes = by.size()
    equity = by["clv"].sum()
    out = segments[["name", "kind", "owner", "stale"]].rename(columns={"name": "segment"}).set_index("segment")
    out["customers"] = sizes.reindex(out.index).fillna(0).astype("int64")
    out["equity"] = equity.reindex(out.index).fillna(0.0)
    out["share_of_equity"] = out["equity"] / total if total else np.nan
    out["avg_clv"] = np.where(out["customers"] > 0, out["equity"] / out["customers"].clip(lower=1), np.nan)

    end = latest_fit(store).observation_end
    purchases = purchases_frame(store, until=end)
    out["retention_rate"] = _retention(purchases, members, segments, window_months, end).reindex(out.index)

    answers = surveys_frame(store)
    answered = members.merge(answers[["customer_key", "nps"]], on="customer_key")
    v = answered["nps"].to_numpy()
    counts = pd.DataFrame({"segment": answered["segment"], "promoters": v >= 9,
                           "passives": (v >= 7) & (v <= 8), "detractors": v <= 6}).groupby("segment").sum()
    counts = counts.reindex(out.index).fillna(0).astype("int64")
    stats = [nps_interval(int(r.promoters), int(r.passives), int(r.detractors)) for r in counts.itertuples()]
    out["nps"] = [s["nps"] for s in stats]
    out["nps_responses"] = [int(s["responses"]) for s in stats]
    return out.reset_index()[COLUMNS]


def _retention(purchases: pd.DataFrame, members: pd.DataFrame, segments: pd.DataFrame, window: int,
               end: Any) -> pd.Series:
    """Retention rate per segment at the month of ``end`` (one ``monthly_activity`` call for the
    grid, which partitions the customers, and one per rule segment)."""
    month = pd.Timestamp(end).to_period("M")
    rates: dict[str, float] = {}

    def at_end(mapping: pd.Series) -> pd.DataFrame:
        table = monthly_activity(purchases, window_months=window, segments=mapping, until=end)
        return table.xs(month, level="month") if month in table.index.get_level_values("month") else table.iloc[:0]

    grid = members[members["segment"].isin(segments.loc[segments["kind"] == "grid", "name"])]
    if len(grid):
        last = at_end(grid.set_index("customer_key")["segment"])
        for name in grid["segment"].unique():
            rates[name] = float(last.loc[name, "retention_rate"]) if name in last.index else np.nan
    for name in segments.loc[segments["kind"] == "rule", "name"]:
        keys = members.loc[members["segment"] == name, "customer_key"]
        if keys.empty:
            rates[name] = np.nan
            continue
        last = at_end(pd.Series("member", index=keys.to_numpy()))
        rates[name] = float(last.loc["member", "retention_rate"]) if "member" in last.index else np.nan
    return pd.Series(rates, dtype=np.float64)
