"""``clientele allocate`` and ``clientele plans``: thin commands over :mod:`clientele.budget`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from clientele.errors import InputError

plans_app = typer.Typer(help="Stored budget plans: list, show, approve.", no_args_is_help=False,
                        invoke_without_command=True)

_PLAN_COLUMNS = ["segment", "lever", "owner", "spend", "gain", "lower", "upper", "roi", "marginal_roi"]


def _f(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def _plan_rows(lines: Any) -> list[list[Any]]:
    return [[r["segment"], r["lever"], r["owner"], *(_f(r[c]) for c in _PLAN_COLUMNS[3:])]
            for r in lines.to_dict(orient="records")]


def allocate_command(
    ctx: typer.Context,
    budget: float = typer.Option(None, "--budget", help="Money to allocate (default: the current budget's total)."),
    current: Path = typer.Option(None, "--current", help="The current budget by product line (CSV: product_line "
                                 "or brand or category, manager, lever, spend)."),
    min_per_segment: float = typer.Option(None, "--min-per-segment", help="Least spend of every segment."),
    max_per_segment: float = typer.Option(None, "--max-per-segment", help="Most spend of any segment."),
    min_per_line: float = typer.Option(None, "--min-per-line", help="Least spend of every segment x lever line."),
    max_per_line: float = typer.Option(None, "--max-per-line", help="Most spend of any segment x lever line."),
    max_shift: float = typer.Option(None, "--max-shift", help="Largest share of the budget that may move away "
                                    "from the current plan, e.g. 0.3 (needs --current)."),
    name: str = typer.Option(None, "--name", help="Store the plan (and the product plan as NAME (product)) under "
                             "this name, as a draft."),
    replace: bool = typer.Option(False, "--replace", help="Replace a draft plan of the same name."),
    out: Path = typer.Option(None, "--out", help="Write the plan's lines to this CSV file."),
    draws: int = typer.Option(1000, "--draws", help="Bootstrap draws of the response curves."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap draws."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Allocate the budget to segment owners by return on customer equity; compare with the current plan."""
    from clientele.budget import budget_from_store, save_plan
    from clientele.cli import console, err_console, print_json, print_table, store_path
    from clientele.store import Store

    if out is not None and out.suffix.lower() != ".csv":
        raise InputError("the plan is written as CSV: give a name ending in .csv", column="--out", value=str(out))
    if out is not None and not out.parent.exists():
        raise InputError("the folder of the output file does not exist", column="--out", value=str(out))
    if max_shift is not None and current is None:
        raise InputError("--max-shift is measured from the current plan: give --current", column="--max-shift")
    constraints = {"line_min": min_per_line, "line_max": max_per_line, "segment_min": min_per_segment,
                   "segment_max": max_per_segment, "max_shift": max_shift}
    with Store.open(store_path(ctx), read_only=name is None) as store, \
            err_console.status("estimating responses and allocating"):
        result = budget_from_store(store, budget=budget, current=current, n_draws=draws, seed=seed, **constraints)
        saved = []
        if name is not None:
            if result.comparison is not None:
                saved.append(save_plan(store, result.comparison.product, f"{name} (product)", replace=replace))
            saved.append(save_plan(store, result.plan, name, replace=replace))
    plan = result.plan
    if out is not None:
        plan.lines.to_csv(out, index=False)
    if as_json:
        payload = {"plan": plan.to_dict(), "saved": saved, "responses": result.responses.summary().reset_index()
                   .to_dict(orient="records")}
        if result.comparison is not None:
            payload["comparison"] = result.comparison.to_dict()
        if result.tornado is not None:
            payload["sensitivity"] = result.tornado.to_dict(orient="records")
        print_json(payload)
        return
    t = plan.totals
    print_table(f"Customer-centric plan: {t['spend']:,.0f} of {t['budget']:,.0f}; expected equity gain "
                f"{t['gain']:,.0f} (90% {t['lower']:,.0f} to {t['upper']:,.0f}), ROI {t['roi']:.2f}",
                ["segment", "lever", "owner", "spend", "equity gain", "lower", "upper", "ROI", "marginal ROI"],
                _plan_rows(plan.lines))
    if result.comparison is not None:
        c = result.comparison
        d = c.difference
        rows = [["product-centric (current)", c.product.totals["spend"], c.product.totals["gain"],
                 c.product.totals["lower"], c.product.totals["upper"], c.product.totals["roi"]],
                ["customer-centric", t["spend"], t["gain"], t["lower"], t["upper"], t["roi"]],
                ["difference (paired)", 0.0, d["gain"], d["lower"], d["upper"], None]]
        print_table("Product managers vs customer managers: the same money", ["plan", "spend", "equity gain",
                    "lower", "upper", "ROI"], rows)
        print_table("Current plan by brand manager", ["manager", "product line", "spend", "equity gain", "ROI"],
                    [[m, p, float(r["spend"]), float(r["gain"]), _f(r["roi"])]
                     for (m, p), r in c.by_manager.iterrows()])
    if result.tornado is not None:
        print_table("Sensitivity: each response at the low / high end of its interval (re-optimised)",
                    ["segment", "lever", "gain low", "gain high", "ROI low", "ROI high", "moved low", "moved high"],
                    [[r["segment"], r["lever"], r["gain_low"], r["gain_high"], r["roi_low"], r["roi_high"],
                      r["moved_low"], r["moved_high"]] for r in result.tornado.to_dict(orient="records")])
    if saved:
        console.print(f"stored as draft: {', '.join(saved)}; approve with `clientele plans approve NAME --by WHO`",
                      highlight=False)
    if out is not None:
        console.print(f"plan written: {out}", highlight=False)


@plans_app.callback()
def plans_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the stored budget plans (newest first)."""
    if ctx.invoked_subcommand is not None:
        return
    from clientele.budget import list_plans
    from clientele.cli import print_json, print_table, store_path
    from clientele.store import Store

    with Store.open(store_path(ctx), read_only=True) as store:
        frame = list_plans(store)
    if as_json:
        clean = frame.astype(object)
        print_json(clean.where(clean.notna(), None).to_dict(orient="records"))
        return
    print_table("Budget plans", ["name", "created", "kind", "budget", "equity gain", "lower", "upper", "status",
                                 "approved by"],
                [[r["name"], f"{r['created_at']:%Y-%m-%d %H:%M}", r["kind"], _f(r["total_budget"]),
                  _f(r["expected_gain"]), _f(r["gain_lower"]), _f(r["gain_upper"]), r["status"],
                  r["approved_by"] if isinstance(r["approved_by"], str) else None]
                 for r in frame.to_dict(orient="records")])


@plans_app.command("show")
def show_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The plan's name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Show one stored plan: its lines and the inputs it was made from."""
    from clientele.budget import load_plan
    from clientele.cli import console, print_json, print_table, store_path
    from clientele.store import Store

    with Store.open(store_path(ctx), read_only=True) as store:
        plan = load_plan(store, name)
    if as_json:
        lines = plan.pop("lines").astype(object)
        print_json({**plan, "lines": lines.where(lines.notna(), None).to_dict(orient="records")})
        return
    status = plan["status"] + (f" by {plan['approved_by']}" if plan["approved_by"] else "")
    print_table(f"Plan {plan['name']} ({plan['kind']}, {status}): budget {plan['total_budget']:,.0f}, expected "
                f"equity gain {plan['expected_gain']:,.0f}", ["segment", "lever", "owner", "spend", "equity gain",
                                                             "lower", "upper", "ROI", "marginal ROI"],
                _plan_rows(plan["lines"]))
    shown = {k: v for k, v in plan["inputs"].items() if not isinstance(v, list)}
    console.print(f"inputs (lists of lines, responses and sensitivity: --json): {shown}", highlight=False)


@plans_app.command("approve")
def approve_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The plan's name."),
    by: str = typer.Option(..., "--by", help="Who approves it."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a line."),
) -> None:
    """Approve a stored draft plan."""
    from clientele.budget import approve_plan
    from clientele.cli import console, print_json, store_path
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store:
        plan = approve_plan(store, name, by)
    if as_json:
        print_json({k: v for k, v in plan.items() if k != "lines"})
        return
    console.print(f"plan {name!r} approved by {plan['approved_by']}", highlight=False)
