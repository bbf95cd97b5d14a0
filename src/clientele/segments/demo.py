"""The demo's segments and briefs: the value x risk grid with invented customer managers as owners,
and one draft brief per high-value cell.

Called by ``clientele demo`` after the models are fitted and the customers scored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

#: Invented customer managers, one per CLV tier from the top (the last one takes any further tiers).
DEMO_OWNERS = ("Inês Carvalho", "Tomás Ribeiro", "Beatriz Moreira", "Duarte Fonseca")
#: Invented brand team that receives the demo briefs when the needs name no brand.
DEMO_BRAND_MANAGER = "Leonor Matos (brand team)"
#: Tiers (from the top) whose cells count as high-value.
HIGH_VALUE_TIERS = 2


def _evidence(needs: Any) -> list[dict]:
    if needs is None:
        return []
    if hasattr(needs, "as_evidence"):
        return list(needs.as_evidence())
    return list(needs)


def _request(band: str, evidence: list[dict]) -> tuple[str, str]:
    """The request and the brand manager of a demo brief, from the cell's band and top needs."""
    at_risk = "<" in band or band.startswith("P(alive) 0.25")
    category = next((e["evidence"].get("category") for e in evidence
                     if e["kind"] == "affinity" and e["evidence"].get("category")), None)
    brand = next((e["evidence"].get("brand") for e in evidence
                  if e["kind"] == "affinity" and e["evidence"].get("brand")), None)
    what = f" in {category}" if category else ""
    if at_risk:
        request = f"A win-back offer{what} for valuable customers who have probably stopped buying"
    else:
        request = f"Early access or a loyalty reward{what} to keep these valuable customers buying"
    manager = f"brand manager of {brand}" if brand else DEMO_BRAND_MANAGER
    return request, manager


def demo_segments_and_briefs(
    store: Any,
    needs_by_segment: dict[str, Any] | Callable[[Any], dict[str, Any]] | None = None,
    *,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Create the grid segments with demo owners and draft one brief per high-value cell.

    Parameters
    ----------
    store
        An open, writable store with customer scores (``clientele fit`` + ``clientele score``).
    needs_by_segment
        Segment name -> needs (a :class:`clientele.needs.Needs` or a list of need dicts), or a
        function ``store -> dict`` called once the grid exists (e.g.
        :func:`clientele.needs.demo_needs`). Without needs a brief carries the segment's equity
        only.
    today
        Day the due dates count from (default: today, UTC); briefs are due 30 days later.

    Returns
    -------
    dict
        ``grid`` (the cells: segment, tier, band, owner, members), ``owners`` (tier -> owner)
        and ``briefs`` (ids of the briefs drafted; a cell that already has a brief gets none).
    """
    from clientele.briefs import create_brief
    from clientele.segments.grid import Grid
    from clientele.segments.registry import create_grid

    grid = Grid.of()
    tiers = grid.tier_labels()
    owners_by_tier = {tier: DEMO_OWNERS[min(i, len(DEMO_OWNERS) - 1)] for i, tier in enumerate(tiers)}
    owners = {name: owners_by_tier[tier] for name, tier, _ in grid.cells()}
    table = create_grid(store, owners=owners)
    needs = needs_by_segment(store) if callable(needs_by_segment) else (needs_by_segment or {})
    day = today or dt.datetime.now(dt.timezone.utc).date()
    already = set(store.con.execute("SELECT DISTINCT segment FROM briefs").df()["segment"])
    high = table[table["tier"].isin(tiers[:HIGH_VALUE_TIERS]) & (table["members"] > 0)]
    drafted = []
    for row in high.itertuples(index=False):
        if row.segment in already:
            continue
        evidence = _evidence(needs.get(row.segment))
        request, manager = _request(row.band, evidence)
        brief = create_brief(store, row.segment, request, manager, due_date=day + dt.timedelta(days=30),
                             needs=evidence, note="drafted by the demo")
        drafted.append(brief.brief_id)
    return {"grid": table, "owners": owners_by_tier, "briefs": drafted}

