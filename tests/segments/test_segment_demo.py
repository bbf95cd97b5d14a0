"""The demo's segments and briefs, and the report's segment page."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from clientele.briefs import brief_history, list_briefs
from clientele.report.build import ReportData, render
from clientele.report.segments_section import SegmentsPart, collect_segments, segment_sections, segments_table
from clientele.segments import segment_summary
from clientele.segments.demo import DEMO_BRAND_MANAGER, DEMO_OWNERS, demo_segments_and_briefs
from clientele.store import Store


def test_demo_creates_owned_grid_and_one_brief_per_high_value_cell(scored_store):
    with Store.open(scored_store) as store:
        result = demo_segments_and_briefs(store)
        summary = segment_summary(store).set_index("segment")
        briefs = list_briefs(store)
        again = demo_segments_and_briefs(store)
        history = brief_history(store, int(briefs["brief_id"].iloc[0]))
    grid = result["grid"]
    assert len(grid) == 16 and list(result["owners"].values()) == list(DEMO_OWNERS)
    assert grid.groupby("tier")["owner"].nunique().eq(1).all()
    high = grid[grid["tier"].isin(["CLV top 10%", "CLV 10-30%"]) & (grid["members"] > 0)]
    assert sorted(briefs["segment"]) == sorted(high["segment"]) and len(result["briefs"]) == len(high) > 0
    for row in briefs.itertuples():
        assert row.equity_at_stake == pytest.approx(summary.loc[row.segment, "equity"])
        assert row.customer_manager == summary.loc[row.segment, "owner"]
        assert row.status == "draft" and row.brand_manager == DEMO_BRAND_MANAGER and row.needs_count == 0
        assert row.due_date.date() == dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=30)
        assert ("win-back" in row.request) == ("<" in row.segment or "0.25-0.5" in row.segment)
    assert again["briefs"] == []  # a second run drafts nothing new
    assert history["note"].iloc[0] == "drafted by the demo"


def test_demo_briefs_carry_the_needs(scored_store):
    top = "CLV top 10% x P(alive) >= 0.75"
    needs = {top: [{"kind": "affinity", "label": "category beauty",
                    "evidence": {"category": "beauty", "lift": 1.3}},
                   {"kind": "affinity", "label": "brand Lumen", "evidence": {"brand": "Lumen", "lift": 1.2}}]}
    with Store.open(scored_store) as store:
        demo_segments_and_briefs(store, lambda s: needs)
        briefs = list_briefs(store).set_index("segment")
        from clientele.briefs import get_brief

        brief = get_brief(store, int(briefs.loc[top, "brief_id"]))
    assert brief.needs == needs[top]
    assert "in beauty" in brief.request and brief.brand_manager == "brand manager of Lumen"


def test_report_segment_page(scored_store):
    with Store.open(scored_store) as store:
        demo_segments_and_briefs(store)
        part = collect_segments(store, needs_segments=1, n_draws=20)
        summary = segment_summary(store)
    table = segments_table(part.summary)
    assert table["share of equity %"][part.summary["kind"] == "grid"].sum() == pytest.approx(100.0)
    assert len(part.needs) == 1
    sections = segment_sections(part)
    assert [s.title for s in sections] == ["Segments and their owners", "What each segment needs"]
    page = render(ReportData(as_of=dt.date(2025, 1, 1), first_day=dt.date(2024, 1, 1), segments=part))
    for text in ("Segments and their owners", "Briefs to brand managers", DEMO_OWNERS[0], summary["segment"].iloc[0]):
        assert html.escape(text) in page
    assert "What each segment needs" in page
    assert segment_sections(SegmentsPart(summary.iloc[:0], part.briefs.iloc[:0])) == []
    failed = segment_sections(None, "Not shown. segments: the store is closed")
    assert len(failed) == 1 and failed[0].missing == "Not shown. segments: the store is closed"
