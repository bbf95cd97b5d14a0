"""The report's segment needs section: lift by segment and category, and each segment's needs.

:func:`needs_section` returns a :class:`clientele.report.page.Section` for the report's builder to
add; it only formats what :func:`clientele.needs.segment_needs` computed.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from clientele.needs.needs import Needs
from clientele.report.page import Section, table_html

#: Segments with a table of their own in the section (the largest first).
MAX_SEGMENTS = 12


def lift_matrix(needs: dict[str, Needs]) -> pd.DataFrame:
    """Segments x categories: the lift of each segment's share of spend against the base."""
    return pd.DataFrame({name: n.category_affinity["lift"] for name, n in needs.items()}).T.sort_index(axis=1)


def lift_figure(needs: dict[str, Needs]) -> go.Figure:
    """Heatmap of :func:`lift_matrix` (1 = spends like the base)."""
    lifts = lift_matrix(needs)
    fig = go.Figure(
        go.Heatmap(
            z=lifts.to_numpy().round(2),
            x=[str(c) for c in lifts.columns],
            y=[str(s) for s in lifts.index],
            colorscale="RdBu",
            zmid=1.0,
            text=lifts.to_numpy().round(2),
            texttemplate="%{text}",
            hovertemplate="%{y}<br>%{x}: lift %{z}<extra></extra>",
            colorbar={"title": "lift"},
        )
    )
    fig.update_layout(
        title="Category lift by segment (share of spend / the base's share)", height=140 + 40 * len(lifts),
        margin={"l": 160, "r": 30, "t": 60, "b": 60}, template="plotly_white",
    )
    return fig


def evidence_table(needs: Needs, top: int = 3) -> pd.DataFrame:
    """One row per need of the segment: kind, label and the key numbers in words."""
    rows = []
    for item in needs.as_evidence(top=top):
        e = item["evidence"]
        if item["kind"] == "affinity":
            what = (f"lift {e['lift']:.2f} (90% {e['lift_lower']:.2f}-{e['lift_upper']:.2f}); share {e['share']:.0%} "
                    f"vs {e['base_share']:.0%}; {e['customers']:,} customers, {e['purchases']:,} purchases")
        elif item["kind"] == "gap":
            what = (f"share {e['share']:.0%} vs {e['expected_share']:.0%} expected; index {e['index']:.2f}; "
                    f"money gap {e['money_gap']:,.0f}")
        elif item["kind"] == "theme":
            quote = e["examples"][0] if e["examples"] else ""
            what = f"{e['comments']} comments (z {e['z']:.1f}); NPS {e['nps']:.0f} (n={e['answers']}); \u201c{quote}\u201d"
        else:
            what = (f"top-{needs.settings.get('n_products', 5)} for {e['customers']:,} customers ({e['share']:.0%}; "
                    f"{e['base_share']:.0%} of all customers)")
            if "hit_rate_at_5" in e:
                what += f"; holdout hit@5 {e['hit_rate_at_5']:.1%} vs popularity {e['popularity_hit_rate_at_5']:.1%}"
        rows.append({"need": item["kind"].replace("_", " "), "what": item["label"], "evidence": what})
    return pd.DataFrame(rows, columns=["need", "what", "evidence"])


def needs_section(needs: dict[str, Needs], top: int = 3) -> Section:
    """The report section "What each segment needs" for the given segments' :class:`Needs`."""
    section = Section(
        "What each segment needs",
        "For each segment: the categories and brands it spends relatively more on than the whole base (lift, "
        "with a 90% bootstrap interval), the categories it buys less than customers of similar value, the "
        "products recommended next (checked on a holdout period against the most popular products) and the "
        "terms that set its survey comments apart, with the NPS of the answers using them.",
        missing=None if needs else "No segments are stored yet: run `clientele segments grid`.",
    )
    if not needs:
        return section
    section.figures.append(lift_figure(needs))
    shown = sorted(needs.values(), key=lambda n: -n.members)[:MAX_SEGMENTS]
    for n in shown:
        title = f"<h3>{html.escape(n.segment)} ({n.members:,} customers)</h3>"
        section.tables.append(title + table_html(evidence_table(n, top=top), index=False))
    first = next(iter(needs.values()))
    if first.recommender is not None:
        metrics = first.recommender.metrics[["hit_rate", "precision", "recall", "coverage"]] * 100
        section.tables.append(
            f"<h3>Next best product: holdout check at {first.recommender.k} "
            f"({first.recommender.customers:,} customers, percent)</h3>"
            + table_html(metrics.round(1), digits={c: 1 for c in metrics.columns})
        )
    return section
