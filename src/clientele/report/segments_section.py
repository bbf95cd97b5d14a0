"""The report's segment page: segments with their owners and value, the briefs, and what they need.

:func:`collect_segments` reads the stored segments (:func:`clientele.segments.segment_summary`),
the briefs, and -- when the needs analysis is installed -- the needs of the most valuable
segments; :func:`segment_sections` turns that into report sections. A store without segments
gets no segment page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from clientele.errors import ClienteleError
from clientele.report.page import Card, Section, fmt, table_html

#: Segments whose needs the report shows (the ones with the most customer equity).
NEEDS_SEGMENTS = 4


@dataclass
class SegmentsPart:
    """What the segment page shows."""

    summary: pd.DataFrame
    briefs: pd.DataFrame
    needs: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def collect_segments(store: Any, *, needs_segments: int = NEEDS_SEGMENTS, n_draws: int = 100) -> SegmentsPart:
    """The segment summary, the briefs and the needs of the ``needs_segments`` segments with most equity."""
    from clientele.briefs import list_briefs
    from clientele.segments import segment_summary

    summary = segment_summary(store)
    part = SegmentsPart(summary, list_briefs(store))
    if summary.empty or needs_segments <= 0:
        return part
    try:
        from clientele.needs import needs_for_segments
    except ImportError as exc:  # pragma: no cover - only in a partial installation
        part.notes["needs"] = f"not available in this installation ({exc})"
        return part
    top = summary[summary["customers"] > 0].sort_values("equity", ascending=False)["segment"].head(needs_segments)
    try:
        part.needs = needs_for_segments(store, segments=list(top), n_draws=n_draws)
    except ClienteleError as exc:
        part.notes["needs"] = str(exc)
    return part


def segments_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as the report shows it: owner, customers, equity, share (%), average CLV,
    retention (%), NPS and answers per segment."""
    table = pd.DataFrame({
        "segment": summary["segment"],
        "kind": summary["kind"],
        "owner": summary["owner"].fillna("-"),
        "customers": summary["customers"].astype("int64"),
        "equity": summary["equity"].astype(float),
        "share of equity %": 100.0 * summary["share_of_equity"].astype(float),
        "avg CLV": summary["avg_clv"].astype(float),
        "retention %": 100.0 * summary["retention_rate"].astype(float),
        "NPS": summary["nps"].astype(float),
        "NPS answers": summary["nps_responses"].astype("int64"),
    })
    return table


def segment_sections(part: SegmentsPart | None, missing: str | None = None) -> list[Section]:
    """The segment page: one section with the segments and briefs, then the needs section.

    No sections for a store without segments; a section saying why when they could not be read.
    """
    section = Section(
        "Segments and their owners",
        "Each customer is in one cell of the value x risk grid (CLV tier x probability of being still active) and "
        "in any number of rule segments. Each segment has an owner, a customer manager. Equity is the summed CLV "
        "of the segment's customers; retention is the share of the customers active in the previous 12 months "
        "who bought again in the last 12; NPS is from the members' survey answers.",
        missing=missing,
    )
    if part is None:
        return [section]
    if part.summary.empty:  # a store without segments: the page is left out
        return []
    grid = part.summary[part.summary["kind"] == "grid"]
    if len(grid):
        best = grid.sort_values("equity", ascending=False).iloc[0]
        section.cards.append(Card("Most valuable cell", fmt(best["equity"]),
                                  f"{best['segment']}: {best['share_of_equity']:.0%} of equity, "
                                  f"{int(best['customers']):,} customers"))
    section.cards.append(Card("Segments", fmt(len(part.summary)),
                              f"{len(grid)} grid cells, {len(part.summary) - len(grid)} rule segments"))
    if len(part.briefs):
        open_briefs = part.briefs[~part.briefs["status"].isin(["declined", "delivered"])]
        section.cards.append(Card("Open briefs", fmt(len(open_briefs)),
                                  f"equity at stake {fmt(open_briefs['equity_at_stake'].sum())}"))
    digits = {"share of equity %": 1, "avg CLV": 1, "retention %": 1, "NPS": 1}
    section.tables.append(table_html(segments_table(part.summary), digits, index=False))
    if len(part.briefs):
        briefs = part.briefs[["brief_id", "segment", "request", "brand_manager", "equity_at_stake", "due_date",
                              "status"]].copy()
        briefs["due_date"] = briefs["due_date"].astype(str).str.slice(0, 10)
        briefs.columns = ["brief", "segment", "request", "brand manager", "equity at stake", "due", "status"]
        section.tables.append("<h3>Briefs to brand managers</h3>" + table_html(briefs, index=False))
    sections = [section]
    if part.needs:
        from clientele.needs.report import needs_section

        sections.append(needs_section(part.needs))
    elif "needs" in part.notes:
        sections.append(Section("What each segment needs", "", missing=f"Not shown. needs: {part.notes['needs']}"))
    return sections
