"""``clientele brief``: create, list, show, send, accept, decline, deliver.

Registered on the main app by :mod:`clientele.cli`; each command calls one function of
:mod:`clientele.briefs`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

brief_app = typer.Typer(help="Briefs to brand managers: what a segment needs, the equity at stake, the request.",
                        no_args_is_help=True)


def _show(brief: Any, history: Any, as_json: bool) -> None:
    from clientele.cli import console, print_json, print_table

    if as_json:
        clean = history.astype(object).where(history.notna(), None)
        print_json({**brief.to_dict(), "history": clean.to_dict(orient="records")})
        return
    b = brief
    print_table(f"Brief {b.brief_id} ({b.status})", ["field", "value"], [
        ["segment", b.segment], ["request", b.request], ["brand manager", b.brand_manager],
        ["customer manager", b.customer_manager or ""], ["equity at stake", b.equity_at_stake],
        ["customers", b.customers], ["due", b.due_date.isoformat() if b.due_date else ""],
        ["status", b.status], ["reason", b.reason or ""],
    ])
    if b.needs:
        print_table("Needs", ["kind", "need", "evidence"],
                    [[n["kind"], n["label"], _evidence_text(n["evidence"])] for n in b.needs])
    print_table("History", ["when", "who", "from", "to", "note"],
                [[str(r.changed_at)[:19], r.actor or "", r.from_status or "", r.to_status, r.note or ""]
                 for r in history.astype(object).where(history.notna(), None).itertuples(index=False)])
    console.print("", end="")


def _evidence_text(evidence: dict) -> str:
    parts = []
    for key, value in list(evidence.items())[:6]:
        if isinstance(value, float):
            value = f"{value:.3g}"
        elif isinstance(value, list):
            value = f"{len(value)} items"
        parts.append(f"{key} {value}")
    return "; ".join(parts)


def _read_needs(path: Path | None) -> list[dict] | None:
    from clientele.errors import InputError

    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the needs file ({exc.strerror})", file=str(path)) from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    if isinstance(payload, dict) and "evidence" in payload and isinstance(payload["evidence"], list):
        payload = payload["evidence"]  # the output of `clientele needs SEGMENT --json`
    return payload


@brief_app.command("create")
def create_command(
    ctx: typer.Context,
    segment: str = typer.Option(..., "--segment", help="The stored segment the brief is about."),
    request: str = typer.Option(..., "--request", help="The product or offer requested."),
    brand_manager: str = typer.Option(..., "--brand-manager", help="Who is asked to deliver it."),
    due: str = typer.Option(None, "--due", help="Due date, YYYY-MM-DD."),
    needs: Path = typer.Option(
        None, "--needs", help="JSON file with the needs: a list of {kind, label, evidence}, or `clientele needs --json` output."
    ),
    by: str = typer.Option(None, "--by", help="The customer manager writing it (default: the segment's owner)."),
    note: str = typer.Option(None, "--note", help="A note recorded in the history."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Write a draft brief for a brand manager about a segment."""
    from clientele.briefs import brief_history, create_brief
    from clientele.cli import store_path
    from clientele.store import Store

    items = _read_needs(needs)
    with Store.open(store_path(ctx)) as store:
        brief = create_brief(store, segment, request, brand_manager, due_date=due, needs=items,
                             customer_manager=by, note=note)
        history = brief_history(store, brief.brief_id)
    _show(brief, history, as_json)


@brief_app.command("list")
def list_command(
    ctx: typer.Context,
    status: str = typer.Option(None, "--status", help="Only briefs with this status."),
    segment: str = typer.Option(None, "--segment", help="Only briefs about this segment."),
    brand_manager: str = typer.Option(None, "--brand-manager", help="Only briefs to this brand manager."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """The briefs, newest first."""
    from clientele.briefs import list_briefs
    from clientele.cli import console, print_json, print_table, store_path
    from clientele.store import Store

    with Store.open(store_path(ctx), read_only=True) as store:
        frame = list_briefs(store, status=status, segment=segment, brand_manager=brand_manager)
    if as_json:
        print_json(frame.astype(object).where(frame.notna(), None).to_dict(orient="records"))
        return
    if frame.empty:
        console.print("No briefs.", highlight=False)
        return
    print_table("Briefs", ["id", "segment", "request", "brand manager", "equity at stake", "due", "status", "needs"],
                [[int(r.brief_id), r.segment, r.request, r.brand_manager,
                  None if r.equity_at_stake != r.equity_at_stake else float(r.equity_at_stake),
                  "" if r.due_date is None or r.due_date != r.due_date else str(r.due_date)[:10], r.status,
                  int(r.needs_count)] for r in frame.itertuples(index=False)])


@brief_app.command("show")
def show_command(
    ctx: typer.Context,
    brief_id: str = typer.Argument(..., help="The brief's id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """One brief with its needs and history."""
    from clientele.briefs import brief_history, get_brief
    from clientele.cli import store_path
    from clientele.store import Store

    with Store.open(store_path(ctx), read_only=True) as store:
        brief = get_brief(store, brief_id)
        history = brief_history(store, brief.brief_id)
    _show(brief, history, as_json)


def _move(ctx: typer.Context, action: str, brief_id: str, by: str | None, text: str | None, as_json: bool) -> None:
    from clientele import briefs
    from clientele.cli import console, print_json, store_path
    from clientele.store import Store

    with Store.open(store_path(ctx)) as store:
        if action == "decline":
            brief = briefs.decline(store, brief_id, text, by=by)
        else:
            brief = getattr(briefs, action)(store, brief_id, by=by, note=text)
    if as_json:
        print_json(brief.to_dict())
        return
    console.print(f"brief {brief.brief_id} is {brief.status}", highlight=False)


_BY = typer.Option(None, "--by", help="Who makes the change.")
_NOTE = typer.Option(None, "--note", help="A note recorded in the history.")
_JSON = typer.Option(False, "--json", help="Print JSON instead of a line.")
_ID = typer.Argument(..., help="The brief's id.")


@brief_app.command("send")
def send_command(ctx: typer.Context, brief_id: str = _ID, by: str = _BY, note: str = _NOTE, as_json: bool = _JSON) -> None:
    """Send a draft brief to its brand manager."""
    _move(ctx, "send", brief_id, by, note, as_json)


@brief_app.command("accept")
def accept_command(ctx: typer.Context, brief_id: str = _ID, by: str = _BY, note: str = _NOTE,
                   as_json: bool = _JSON) -> None:
    """Accept a sent brief (the brand manager)."""
    _move(ctx, "accept", brief_id, by, note, as_json)


@brief_app.command("decline")
def decline_command(
    ctx: typer.Context,
    brief_id: str = _ID,
    reason: str = typer.Option(..., "--reason", help="Why the brief is declined (required)."),
    by: str = _BY,
    as_json: bool = _JSON,
) -> None:
    """Decline a sent brief, with the reason (the brand manager)."""
    _move(ctx, "decline", brief_id, by, reason, as_json)


@brief_app.command("deliver")
def deliver_command(ctx: typer.Context, brief_id: str = _ID, by: str = _BY, note: str = _NOTE,
                    as_json: bool = _JSON) -> None:
    """Mark an accepted brief as delivered."""
    _move(ctx, "deliver", brief_id, by, note, as_json)
