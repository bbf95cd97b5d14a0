"""Budget plans stored by name with their inputs, to be reviewed and approved later.

Tables (store migration 5): ``budget_plans`` (one row per plan: name, kind, totals, inputs JSON,
status ``draft`` or ``approved``, who approved it and when) and ``budget_lines`` (its lines). A
draft may be replaced by saving under the same name with ``replace=True``; an approved plan is
never overwritten (save a new name instead).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import numpy as np
import pandas as pd

from clientele.budget.allocate import Plan
from clientele.errors import InputError, StoreError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:()-]{0,99}$")
_LINE_COLUMNS = ["segment", "lever", "owner", "spend", "gain", "lower", "upper", "roi", "marginal_roi"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError("a plan name is 1-100 letters, digits, spaces or _ . : ( ) - (starting with a letter "
                         "or digit)", column="name", value=name)
    return name


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return str(value)


def save_plan(store: Any, plan: Plan, name: str, *, replace: bool = False) -> str:
    """Store ``plan`` as a draft called ``name`` with its inputs and lines; return the name.

    Raises
    ------
    InputError
        A bad name, a plan of that name exists (and ``replace`` is false) or is approved.
    """
    name = _check_name(name)
    con = store.con
    row = con.execute("SELECT status FROM budget_plans WHERE name = ?", [name]).fetchone()
    if row is not None:
        if row[0] == "approved":
            raise InputError("this plan is approved and cannot be replaced; save under another name",
                             column="name", value=name)
        if not replace:
            raise InputError("a plan of this name exists; choose another name or replace it",
                             column="name", value=name)
    inputs = json.dumps(_clean(plan.inputs), default=_json_default)
    t = plan.totals
    lines = plan.lines[_LINE_COLUMNS].copy()
    lines.insert(0, "plan_name", name)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM budget_lines WHERE plan_name = ?", [name])
        con.execute("DELETE FROM budget_plans WHERE name = ?", [name])
        con.execute(
            "INSERT INTO budget_plans VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'draft', NULL, NULL)",
            [name, _now(), plan.kind, t["budget"], t["gain"], _num(t.get("lower")), _num(t.get("upper")), inputs],
        )
        con.register("_budget_lines_in", lines)
        con.execute("INSERT INTO budget_lines SELECT plan_name, segment, lever, owner, spend, gain, lower, upper, "
                    "CASE WHEN isnan(roi) THEN NULL ELSE roi END, marginal_roi FROM _budget_lines_in")
        con.unregister("_budget_lines_in")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return name


def _num(value: Any) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def list_plans(store: Any) -> pd.DataFrame:
    """Every stored plan, newest first: name, created_at, kind, totals, status, approved_by/at."""
    return store.con.execute(
        "SELECT name, created_at, kind, total_budget, expected_gain, gain_lower, gain_upper, status, approved_by, "
        "approved_at FROM budget_plans ORDER BY created_at DESC, name"
    ).df()


def load_plan(store: Any, name: str) -> dict[str, Any]:
    """The stored plan ``name``: its row (``inputs`` parsed) and ``lines`` (a DataFrame)."""
    row = store.con.execute(
        "SELECT name, created_at, kind, total_budget, expected_gain, gain_lower, gain_upper, inputs, status, "
        "approved_by, approved_at FROM budget_plans WHERE name = ?", [name]
    ).fetchone()
    if row is None:
        raise InputError("no plan of this name; `clientele plans` lists them", column="name", value=name)
    keys = ["name", "created_at", "kind", "total_budget", "expected_gain", "gain_lower", "gain_upper", "inputs",
            "status", "approved_by", "approved_at"]
    out = dict(zip(keys, row))
    out["inputs"] = json.loads(out["inputs"])
    out["lines"] = store.con.execute(
        "SELECT segment, lever, owner, spend, expected_gain AS gain, gain_lower AS lower, gain_upper AS upper, roi, "
        "marginal_roi FROM budget_lines WHERE plan_name = ? ORDER BY segment, lever", [name]
    ).df()
    return out


def approve_plan(store: Any, name: str, by: str) -> dict[str, Any]:
    """Mark the plan ``name`` approved by ``by``; return its stored row.

    Raises
    ------
    InputError
        No such plan, no approver given, or the plan is already approved.
    """
    if not isinstance(by, str) or not by.strip():
        raise InputError("say who approves the plan", column="--by", value=by)
    plan = load_plan(store, name)
    if plan["status"] == "approved":
        raise InputError(f"the plan was already approved by {plan['approved_by']} on {plan['approved_at']:%Y-%m-%d}",
                         column="name", value=name)
    try:
        store.con.execute("UPDATE budget_plans SET status = 'approved', approved_by = ?, approved_at = ? "
                          "WHERE name = ?", [by.strip(), _now(), name])
    except Exception as exc:  # a read-only store
        raise StoreError(f"{store.path}: cannot approve the plan: {exc}") from exc
    return load_plan(store, name)
