"""``clientele needs SEGMENT``: what a stored segment needs, with the evidence (tables or ``--json``).

Registered on the main app by :mod:`clientele.cli`; the work is :func:`clientele.needs.segment_needs`.
"""

from __future__ import annotations

from typing import Any

import typer


def needs_command(
    ctx: typer.Context,
    segment: str = typer.Argument(..., help="A stored segment's name (see `clientele segments`)."),
    top: int = typer.Option(5, "--top", help="Rows shown per kind of need."),
    method: str = typer.Option(
        "auto", "--method", help="Next best product model: co_purchase, category_profile or auto (best on the holdout)."
    ),
    draws: int = typer.Option(200, "--draws", help="Bootstrap draws of the lift and gap intervals (0: none)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """What a segment needs: category and brand affinity, gaps, next best products, what customers say."""
    from clientele.cli import console, err_console, print_json, print_table, store_path
    from clientele.errors import InputError
    from clientele.needs import segment_needs
    from clientele.store import Store

    if top < 1:
        raise InputError("expected a whole number of at least 1", column="--top", value=top)
    with Store.open(store_path(ctx), read_only=True) as store, err_console.status(f"analysing {segment}"):
        needs = segment_needs(store, segment, method=method, n_draws=draws)
    if as_json:
        print_json(needs.to_dict(top=top))
        return
    console.print(f"Segment {needs.segment}: {needs.members:,} customers, {needs.buyers:,} with purchases", highlight=False)
    for by, frame in (("category", needs.category_affinity), ("brand", needs.brand_affinity)):
        print_table(
            f"Affinity by {by}: share of spend against the whole base (90% interval of the lift)",
            [by, "share %", "base %", "lift", "interval", "customers", "spend", "flag"],
            [[name, _pct(r["share"]), _pct(r["base_share"]), _round(r["lift"]), _interval(r, "lift"),
              int(r["customers"]), float(r["spend"]), _flag(r)] for name, r in frame.head(top).iterrows()],
        )
    print_table(
        f"Gaps against customers of similar {needs.settings['value_basis']} (largest money gap first)",
        ["category", "share %", "expected %", "index", "interval", "money gap", "flag"],
        [[name, _pct(r["share"]), _pct(r["expected_share"]), _round(r["index"]), _interval(r, "index"),
          float(r["money_gap"]), _flag(r)] for name, r in needs.gaps.head(top).iterrows()],
    )
    print_table(
        f"Next best products ({needs.settings['method']}): recommended to the segment more than to the base",
        ["product", "category", "brand", "customers", "share %", "base %"],
        [[pid, r["category"], r["brand"], int(r["customers"]), _pct(r["share"]), _pct(r["base_share"])]
         for pid, r in needs.next_best_products.head(top).iterrows()],
    )
    if needs.recommender is not None:
        ev = needs.recommender
        print_table(
            f"Holdout check at {ev.k} (calibration to {ev.calibration_end.date()}, {ev.customers:,} customers), percent",
            ["method", "hit rate", "precision", "recall", "coverage", "vs popularity"],
            [[m, *[_pct(r[c]) for c in ("hit_rate", "precision", "recall", "coverage", "difference")]]
             for m, r in ev.metrics.iterrows()],
        )
    print_table(
        "What customers say: distinctive terms (log-odds z) and the NPS of the answers using them",
        ["term", "comments", "others", "z", "NPS (n)", "example"],
        [[t, int(r["comments"]), int(r["other_comments"]), _round(r["z"], 1), f"{r['nps']:.0f} ({r['answers']})",
          r["examples"][0] if r["examples"] else ""] for t, r in needs.themes.head(top).iterrows()],
    )


def _round(value: float, digits: int = 2) -> float | None:
    return None if value != value else round(float(value), digits)


def _pct(value: float) -> float | None:
    return None if value != value else round(100 * float(value), 1)


def _interval(row: Any, name: str) -> str:
    lower, upper = row[f"{name}_lower"], row[f"{name}_upper"]
    return "-" if lower != lower else f"{lower:.2f}-{upper:.2f}"


def _flag(row: Any) -> str:
    if row["small"]:
        return "few customers"
    return "" if row["significant"] else "not sig."
