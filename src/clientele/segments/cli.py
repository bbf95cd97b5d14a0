"""``clientele segments``: list, create, grid, members, owner, refresh, delete.

Registered on the main app by :mod:`clientele.cli`; each command calls one function of
:mod:`clientele.segments` and prints a table (or JSON with ``--json``).
"""

from __future__ import annotations

from typing import Any

import typer

segments_app = typer.Typer(
    help="Segments owned by customer managers: the value x risk grid and rule segments.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _summary_rows(summary: Any) -> list[list[Any]]:
    rows = []
    for r in summary.itertuples(index=False):
        rows.append([r.segment, r.kind, r.owner or "", int(r.customers), float(r.equity), float(r.share_of_equity),
                     None if r.avg_clv != r.avg_clv else float(r.avg_clv),
                     None if r.retention_rate != r.retention_rate else round(float(r.retention_rate), 3),
                     None if r.nps != r.nps else round(float(r.nps), 1), int(r.nps_responses)])
    return rows


def _records(frame: Any) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict(orient="records")


@segments_app.callback()
def segments_command(
    ctx: typer.Context,
    window: int = typer.Option(12, "--window", help="Months of the retention window."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the segments with size, customer equity, share of equity, average CLV, retention and NPS."""
    if ctx.invoked_subcommand is not None:
        return
    from clientele.cli import console, print_json, print_table, store_path
    from clientele.segments import segment_summary
    from clientele.store import Store

    with Store.open(store_path(ctx), read_only=True) as store:
        summary = segment_summary(store, window_months=window)
    if as_json:
        print_json(_records(summary))
        return
    if summary.empty:
        console.print("No segments yet: create the value x risk grid with `clientele segments grid` "
                      "or a rule segment with `clientele segments create NAME --rule ...`.", highlight=False)
        return
    print_table("Segments", ["segment", "kind", "owner", "customers", "equity", "share", "avg CLV",
                             f"retention {window}m", "NPS", "NPS answers"], _summary_rows(summary))
    if summary["stale"].any():
        console.print("Some segments were computed before the latest scores: run `clientele segments refresh`.",
                      highlight=False)


@segments_app.command("create")
def create_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The segment's name (unique)."),
    rule: str = typer.Option(..., "--rule", help="A condition, e.g. \"clv > 500 and p_alive < 0.5\"."),
    owner: str = typer.Option(None, "--owner", help="The customer manager who owns the segment."),
    description: str = typer.Option(None, "--description", help="What the segment is for."),
    replace: bool = typer.Option(False, "--replace", help="Redefine an existing rule segment of that name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a line."),
) -> None:
    """Create a rule segment (columns: see `clientele segments columns`) and compute its members."""
    from clientele.cli import console, print_json, store_path
    from clientele.segments import create_segment
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store:
        members = create_segment(store, name, rule, owner=owner, description=description, replace=replace)
    if as_json:
        print_json({"segment": name, "rule": rule, "owner": owner, "members": members})
        return
    console.print(f"segment {name!r}: {members:,} customers", highlight=False)


@segments_app.command("grid")
def grid_command(
    ctx: typer.Context,
    clv_tiers: str = typer.Option(
        None, "--clv-tiers",
        help="Rank tiers as shares from the top (default 0.1,0.2,0.3,0.4), or CLV thresholds with --by value.",
    ),
    alive_bands: str = typer.Option(None, "--p-alive-bands", help="P(alive) thresholds (default 0.25,0.5,0.75)."),
    by: str = typer.Option("rank", "--by", help="rank: tiers are shares of customers; value: CLV thresholds."),
    owner: str = typer.Option(None, "--owner", help="One customer manager for every cell (else owners are kept)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Create (or redefine) the value x risk grid: CLV tiers x P(alive) bands, one cell per customer."""
    from clientele.cli import print_json, print_table, store_path
    from clientele.segments import create_grid
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store:
        table = create_grid(store, clv_tiers=clv_tiers, alive_bands=alive_bands, clv_by=by, owners=owner)
    if as_json:
        print_json(_records(table))
        return
    print_table("Value x risk grid", ["segment", "owner", "customers"],
                [[r.segment, r.owner or "", int(r.members)] for r in table.itertuples(index=False)])


@segments_app.command("members")
def members_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The segment's name."),
    limit: int = typer.Option(50, "--limit", help="Members shown (JSON shows all)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """The customers of a segment with their scores."""
    from clientele.cli import print_json, print_table, store_path
    from clientele.segments import segment_members
    from clientele.store import Store

    with Store.open(store_path(ctx), read_only=True) as store:
        keys = segment_members(store, name)
        scores = store.con.execute("SELECT customer_key, p_alive, expected_purchases, clv FROM customer_scores").df()
    frame = keys.merge(scores, on="customer_key", how="left").sort_values("clv", ascending=False, kind="stable")
    if as_json:
        print_json(_records(frame))
        return
    more = f" (top {limit} by CLV of {len(frame):,}; --json for all)" if len(frame) > limit else f" ({len(frame):,})"
    print_table(f"Members of {name}{more}", ["customer", "P(alive)", "expected purchases", "CLV"],
                [[r.customer_key, round(float(r.p_alive), 3), float(r.expected_purchases), float(r.clv)]
                 for r in frame.head(limit).itertuples(index=False)])


@segments_app.command("owner")
def owner_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The segment's name."),
    owner: str = typer.Argument(..., help="The customer manager who owns it now."),
    description: str = typer.Option(None, "--description", help="A new description."),
) -> None:
    """Give a segment a new owner."""
    from clientele.cli import console, store_path
    from clientele.segments import set_owner
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store:
        set_owner(store, name, owner, description)
    console.print(f"segment {name!r} is owned by {owner}", highlight=False)


@segments_app.command("refresh")
def refresh_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Recompute every segment's members from the latest scores (run after `clientele score`)."""
    from clientele.cli import print_json, print_table, store_path
    from clientele.segments import refresh_segments
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store:
        sizes = refresh_segments(store)
    if as_json:
        print_json(sizes)
        return
    print_table("Segments refreshed", ["segment", "customers"], [[k, v] for k, v in sizes.items()])


@segments_app.command("delete")
def delete_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The rule segment's name."),
) -> None:
    """Delete a rule segment (briefs about it keep their copy of its name and needs)."""
    from clientele.cli import console, store_path
    from clientele.segments import delete_segment
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store:
        delete_segment(store, name)
    console.print(f"segment {name!r} deleted", highlight=False)


@segments_app.command("columns")
def columns_command(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """The customer attributes that rules can use, with their types."""
    from clientele.cli import print_json, print_table
    from clientele.segments import ATTRIBUTES

    if as_json:
        print_json(ATTRIBUTES)
        return
    print_table("Columns of segment rules", ["column", "type"], [[k, v] for k, v in ATTRIBUTES.items()])
