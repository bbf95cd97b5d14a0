"""Briefs from customer managers to brand managers, kept in the customer store with their history.

A brief asks a brand manager for a product or offer that meets a segment's needs. It holds the
segment, the needs with their evidence (a list of ``{"kind", "label", "evidence"}`` dicts as
:meth:`clientele.needs.Needs.as_evidence` produces them), the customer equity at stake (the
segment's summed CLV when the brief was written), the request, the brand manager, the due date
and its status (:mod:`clientele.briefs.lifecycle`).

Tables (store migration 4):

``briefs``
    ``brief_id``, ``segment``, ``request``, ``needs`` (JSON list), ``equity_at_stake``,
    ``customers`` (segment size when written), ``customer_manager``, ``brand_manager``,
    ``due_date``, ``status``, ``reason`` (why it was declined), ``created_at``, ``updated_at``.
``brief_events``
    The history, never rewritten: ``event_id``, ``brief_id``, ``changed_at``, ``actor`` (who),
    ``from_status`` (NULL for the creation), ``to_status``, ``note``.

Every change is one transaction that updates the brief and appends its event.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from clientele.briefs.lifecycle import STATUSES, next_status
from clientele.errors import InputError
from clientele.store.edits import clean_text, require_writable, utc_now

NEED_KINDS = ("affinity", "gap", "theme", "next_best_product")
MAX_NEEDS = 200
MAX_NEEDS_JSON = 1_000_000
MAX_TEXT = 4000


_now = utc_now


def _writable(store: Any) -> None:
    require_writable(store, "briefs")


def _text(value: Any, column: str, *, required: bool, limit: int = MAX_TEXT) -> str | None:
    return clean_text(value, column, required=required, limit=limit)
MAX_NAME = 120

_COLUMNS = ("brief_id", "segment", "request", "needs", "equity_at_stake", "customers", "customer_manager",
            "brand_manager", "due_date", "status", "reason", "created_at", "updated_at")


@dataclass
class Brief:
    """One brief as stored (see the module docstring for the fields)."""

    brief_id: int
    segment: str
    request: str
    needs: list[dict]
    equity_at_stake: float | None
    customers: int | None
    customer_manager: str | None
    brand_manager: str
    due_date: dt.date | None
    status: str
    reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (dates as ISO text)."""
        out = {name: getattr(self, name) for name in _COLUMNS}
        for name in ("due_date", "created_at", "updated_at"):
            out[name] = out[name].isoformat() if out[name] is not None else None
        return out








def _due(value: Any, today: dt.date) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise InputError("expected a day such as 2027-03-31", column="due_date", value=value) from None
    if day < today:
        raise InputError(f"the due date is in the past (today is {today.isoformat()})", column="due_date",
                         value=day.isoformat())
    return day


def check_needs(needs: Any) -> list[dict]:
    """Check a list of needs ``{"kind", "label", "evidence"}`` and return it JSON-clean.

    Non-finite numbers in the evidence become ``None``. Raises InputError naming the item
    (1-based, as ``line``) and the field that is wrong.
    """
    if needs is None:
        return []
    if not isinstance(needs, (list, tuple)):
        raise InputError("the needs must be a list of {kind, label, evidence} items", column="needs",
                         value=type(needs).__name__)
    if len(needs) > MAX_NEEDS:
        raise InputError(f"at most {MAX_NEEDS} needs per brief", column="needs", value=len(needs))
    out = []
    for i, item in enumerate(needs, start=1):
        if not isinstance(item, dict):
            raise InputError("each need is a dict with kind, label and evidence", column="needs", line=i,
                             value=type(item).__name__)
        extra = sorted(set(item) - {"kind", "label", "evidence"})
        if extra:
            raise InputError("unexpected field(s) in a need; expected kind, label, evidence", column="needs",
                             line=i, value=extra[0])
        if item.get("kind") not in NEED_KINDS:
            raise InputError(f"the kind of a need must be one of {', '.join(NEED_KINDS)}", column="kind", line=i,
                             value=item.get("kind"))
        label = _text(item.get("label"), "label", required=True, limit=500)
        evidence = item.get("evidence", {})
        if not isinstance(evidence, dict):
            raise InputError("the evidence of a need is a dict of numbers and text", column="evidence", line=i,
                             value=type(evidence).__name__)
        out.append({"kind": item["kind"], "label": label, "evidence": _clean(evidence, i)})
    text = json.dumps(out, allow_nan=False)
    if len(text) > MAX_NEEDS_JSON:
        raise InputError(f"the needs take {len(text):,} characters as JSON; at most {MAX_NEEDS_JSON:,}",
                         column="needs")
    return out


def _clean(value: Any, line: int, depth: int = 0) -> Any:
    if depth > 10:
        raise InputError("the evidence nests too deeply", column="evidence", line=line)
    if value is None or isinstance(value, (bool, str)):
        return value
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        value = value.item()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [_clean(v, line, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v, line, depth + 1) for k, v in value.items()}
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    raise InputError("evidence values must be numbers, text, lists or dicts", column="evidence", line=line,
                     value=type(value).__name__)


def segment_stake(store: Any, segment: str) -> tuple[float, int]:
    """``(equity, customers)`` of a stored segment: the members' summed CLV and their number."""
    from clientele.segments import get_segment

    get_segment(store, segment)
    equity, customers = store.con.execute(
        "SELECT coalesce(sum(s.clv), 0), count(m.customer_key) FROM segment_members m "
        "LEFT JOIN customer_scores s ON s.customer_key = m.customer_key WHERE m.segment = ?", [segment]).fetchone()
    return float(equity), int(customers)


def create_brief(store: Any, segment: str, request: str, brand_manager: str, *, due_date: Any = None,
                 needs: Any = None, customer_manager: str | None = None, note: str | None = None) -> Brief:
    """Write a draft brief for ``brand_manager`` about the stored ``segment``.

    Parameters
    ----------
    segment
        A stored segment (:mod:`clientele.segments`); its equity (summed CLV) and size now
        are recorded as the equity at stake.
    request
        The product or offer requested, in words.
    brand_manager
        Who is asked to deliver it.
    due_date
        When it is due (a date or ``YYYY-MM-DD``; not in the past).
    needs
        The needs with their evidence (see :func:`check_needs`).
    customer_manager
        Who writes the brief; default: the segment's owner.
    note
        Recorded with the creation event.

    Returns
    -------
    Brief
        The new brief, status ``draft``.
    """
    from clientele.segments import get_segment

    _writable(store)
    now = _now()
    request = _text(request, "request", required=True)
    brand_manager = _text(brand_manager, "brand_manager", required=True, limit=MAX_NAME)
    due = _due(due_date, now.date())
    clean = check_needs(needs)
    note = _text(note, "note", required=False)
    seg = get_segment(store, segment)
    manager = _text(customer_manager, "customer_manager", required=False, limit=MAX_NAME) or seg["owner"]
    equity, customers = segment_stake(store, segment)
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        (brief_id,) = con.execute("SELECT coalesce(max(brief_id), 0) + 1 FROM briefs").fetchone()
        con.execute("INSERT INTO briefs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', NULL, ?, ?)",
                    [brief_id, segment, request, json.dumps(clean), equity, customers, manager, brand_manager, due,
                     now, now])
        _event(con, brief_id, now, manager, None, "draft", note)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return get_brief(store, int(brief_id))


def _event(con: Any, brief_id: int, when: dt.datetime, actor: str | None, start: str | None, end: str,
           note: str | None) -> None:
    (event_id,) = con.execute("SELECT coalesce(max(event_id), 0) + 1 FROM brief_events").fetchone()
    con.execute("INSERT INTO brief_events VALUES (?, ?, ?, ?, ?, ?, ?)",
                [event_id, brief_id, when, actor, start, end, note])


def get_brief(store: Any, brief_id: int) -> Brief:
    """The brief ``brief_id``; InputError if there is none."""
    brief_id = _brief_id(brief_id)
    row = store.con.execute(f"SELECT {', '.join(_COLUMNS)} FROM briefs WHERE brief_id = ?", [brief_id]).fetchone()
    if row is None:
        (count,) = store.con.execute("SELECT count(*) FROM briefs").fetchone()
        raise InputError(f"no such brief (the store has {count} brief{'s' if count != 1 else ''}; "
                         "see `clientele brief list`)", column="brief_id", value=brief_id)
    values = dict(zip(_COLUMNS, row))
    values["needs"] = json.loads(values["needs"])
    return Brief(**values)


def _brief_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise InputError("a brief id is a whole number such as 3", column="brief_id", value=value)
    return int(value)


def _move(store: Any, brief_id: int, action: str, by: str | None, note: str | None,
          reason: str | None = None) -> Brief:
    _writable(store)
    brief = get_brief(store, brief_id)
    end = next_status(brief.brief_id, brief.status, action)
    by = _text(by, "by", required=False, limit=MAX_NAME)
    note = _text(note, "note", required=False)
    now = _now()
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("UPDATE briefs SET status = ?, updated_at = ?, reason = coalesce(?, reason) "
                    "WHERE brief_id = ? AND status = ?", [end, now, reason, brief.brief_id, brief.status])
        _event(con, brief.brief_id, now, by, brief.status, end, reason if reason is not None else note)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return get_brief(store, brief.brief_id)


def send(store: Any, brief_id: int, *, by: str | None = None, note: str | None = None) -> Brief:
    """Send a draft brief to its brand manager (draft -> sent)."""
    return _move(store, brief_id, "send", by, note)


def accept(store: Any, brief_id: int, *, by: str | None = None, note: str | None = None) -> Brief:
    """The brand manager accepts a sent brief (sent -> accepted)."""
    return _move(store, brief_id, "accept", by, note)


def decline(store: Any, brief_id: int, reason: str, *, by: str | None = None) -> Brief:
    """The brand manager declines a sent brief, saying why (sent -> declined; ``reason`` required)."""
    reason = _text(reason, "reason", required=True)
    return _move(store, brief_id, "decline", by, None, reason=reason)


def deliver(store: Any, brief_id: int, *, by: str | None = None, note: str | None = None) -> Brief:
    """The product or offer of an accepted brief is delivered (accepted -> delivered)."""
    return _move(store, brief_id, "deliver", by, note)


def list_briefs(store: Any, *, status: str | None = None, segment: str | None = None,
                brand_manager: str | None = None) -> pd.DataFrame:
    """The briefs (newest first), optionally only those with ``status``, ``segment`` or ``brand_manager``.

    Columns: those of :class:`Brief` except ``needs``, plus ``needs_count``.
    """
    if status is not None and status not in STATUSES:
        raise InputError(f"expected one of {', '.join(STATUSES)}", column="status", value=status)
    shown = [c for c in _COLUMNS if c != "needs"]
    frame = store.con.execute(
        f"SELECT {', '.join(shown)}, json_array_length(needs) AS needs_count FROM briefs "
        "WHERE (? IS NULL OR status = ?) AND (? IS NULL OR segment = ?) AND (? IS NULL OR brand_manager = ?) "
        "ORDER BY brief_id DESC", [status, status, segment, segment, brand_manager, brand_manager]).df()
    return frame


def brief_history(store: Any, brief_id: int) -> pd.DataFrame:
    """Every change of the brief, oldest first: ``event_id``, ``changed_at``, ``actor``, ``from_status``,
    ``to_status``, ``note``."""
    brief = get_brief(store, brief_id)
    return store.con.execute(
        "SELECT event_id, changed_at, actor, from_status, to_status, note FROM brief_events "
        "WHERE brief_id = ? ORDER BY event_id", [brief.brief_id]).df()
