"""Segments stored in the customer store, and their materialised membership.

Tables (store migration 4):

``segments``
    ``name`` (unique), ``kind`` (``grid``: a cell of the value x risk grid; ``rule``: a rule
    segment), ``owner`` (the customer manager responsible), ``description``, ``definition``
    (JSON: ``{"rule": TEXT}`` for a rule segment; the grid settings plus ``tier`` and ``band``
    for a grid cell), ``created_at``, ``refreshed_at`` (last materialisation), ``scores_at`` (the
    ``scored_at`` of the customer scores it was computed from) and ``members`` (its size then).
``segment_members``
    ``segment``, ``customer_key``: one row per customer and segment. Every scored customer is
    in exactly one grid cell (once a grid exists) and in any number of rule segments.

Membership is recomputed from ``customer_scores`` and the customer attributes by
:func:`refresh_segments` (run it after ``clientele score``); :func:`list_segments` flags
segments computed from other scores than the current ones as ``stale``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd

from clientele.errors import InputError
from clientele.segments.attributes import ATTRIBUTES, customer_attributes
from clientele.segments.grid import Grid
from clientele.segments.rules import compile_rule
from clientele.store.edits import clean_text, require_writable, utc_now

MAX_NAME = 120
MAX_TEXT = 2000


_now = utc_now


def _writable(store: Any) -> None:
    require_writable(store, "segments")


def _check_text(value: Any, column: str, *, required: bool, limit: int = MAX_TEXT) -> str | None:
    return clean_text(value, column, required=required, limit=limit)








def segment_names(store: Any, kind: str | None = None) -> list[str]:
    """Names of the store's segments (of ``kind`` if given), sorted."""
    rows = store.con.execute("SELECT name FROM segments WHERE ? IS NULL OR kind = ? ORDER BY name",
                             [kind, kind]).fetchall()
    return [r[0] for r in rows]


def _require(store: Any, name: str) -> dict[str, Any]:
    row = store.con.execute(
        "SELECT name, kind, owner, description, definition, created_at, refreshed_at, scores_at, members "
        "FROM segments WHERE name = ?", [name]).fetchone()
    if row is None:
        names = segment_names(store)
        listed = ", ".join(repr(n) for n in names[:20]) + (" ..." if len(names) > 20 else "")
        raise InputError(f"no segment of that name; the segments are: {listed or 'none yet'}",
                         column="segment", value=name)
    keys = ("name", "kind", "owner", "description", "definition", "created_at", "refreshed_at", "scores_at", "members")
    out = dict(zip(keys, row))
    out["definition"] = json.loads(out["definition"])
    return out


def get_segment(store: Any, name: str) -> dict[str, Any]:
    """One segment's row as a dict (``definition`` parsed); InputError naming the segments if unknown."""
    return _require(store, name)


def list_segments(store: Any) -> pd.DataFrame:
    """Every segment: ``name``, ``kind``, ``owner``, ``description``, ``definition`` (text),
    ``created_at``, ``refreshed_at``, ``scores_at``, ``members`` and ``stale`` (computed from other
    scores than the current ones).

    Grid cells come first in grid order, then the rule segments by name.
    """
    return store.con.execute(
        "SELECT name, kind, owner, description, definition, created_at, refreshed_at, scores_at, members, "
        "scores_at IS DISTINCT FROM (SELECT max(scored_at) FROM customer_scores) AS stale FROM segments "
        "ORDER BY kind, created_at, name").df()


def _rule_of(segment: dict[str, Any]):
    return compile_rule(segment["definition"]["rule"], ATTRIBUTES)


def create_segment(store: Any, name: str, rule: str, *, owner: str | None = None, description: str | None = None,
                   replace: bool = False, attributes: pd.DataFrame | None = None) -> int:
    """Create (or with ``replace`` redefine) the rule segment ``name`` and materialise it.

    Parameters
    ----------
    name
        Unique among the segments.
    rule
        A condition in the rule language of :mod:`clientele.segments.rules` over the columns
        of :data:`~clientele.segments.attributes.ATTRIBUTES`, e.g. ``"clv > 500 and p_alive < 0.5"``.
    owner
        The customer manager who owns the segment.
    attributes
        Precomputed :func:`~clientele.segments.attributes.customer_attributes` (else read here).

    Returns
    -------
    int
        The number of members.

    Raises
    ------
    InputError
        A bad rule (position, token, expectation), an empty or taken name.
    """
    _writable(store)
    name = _check_text(name, "name", required=True, limit=MAX_NAME)
    owner = _check_text(owner, "owner", required=False, limit=MAX_NAME)
    description = _check_text(description, "description", required=False)
    compiled = compile_rule(rule, ATTRIBUTES)
    existing = store.con.execute("SELECT kind FROM segments WHERE name = ?", [name]).fetchone()
    if existing is not None and (not replace or existing[0] != "rule"):
        what = "a grid cell" if existing[0] == "grid" else "a segment"
        raise InputError(f"{what} of that name exists already" + ("" if existing[0] == "grid" else
                         "; choose another name or replace it"), column="name", value=name)
    frame = customer_attributes(store) if attributes is None else attributes
    members = frame.index[compiled.evaluate(frame)]
    now = _now()
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM segments WHERE name = ?", [name])
        con.execute("DELETE FROM segment_members WHERE segment = ?", [name])
        con.execute("INSERT INTO segments VALUES (?, 'rule', ?, ?, ?, ?, ?, ?, ?)",
                    [name, owner, description, json.dumps({"rule": compiled.text}), now, now, _scores_at(con),
                     len(members)])
        _insert_members(con, pd.DataFrame({"segment": name, "customer_key": members.astype(str)}))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(members)


def create_grid(store: Any, *, clv_tiers: Any = None, alive_bands: Any = None, clv_by: str = "rank",
                value: str = "clv", owners: dict[str, str] | str | None = None,
                attributes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Replace the store's value x risk grid (:mod:`clientele.segments.grid`) and materialise it.

    Parameters
    ----------
    clv_tiers, alive_bands, clv_by, value
        The grid settings (:meth:`Grid.of`); None: top 10%, next 20%, 30%, bottom 40% by
        CLV rank x P(alive) bands at 0.25, 0.5, 0.75.
    owners
        A customer manager for every cell (text), or cell name -> manager. Cells not named
        keep the owner a cell of the same name had, if any.

    Returns
    -------
    DataFrame
        One row per cell: ``segment``, ``tier``, ``band``, ``owner``, ``members``.
    """
    _writable(store)
    grid = Grid.of(clv_tiers, alive_bands, clv_by, value)
    cells = grid.cells()
    previous = dict(store.con.execute("SELECT name, owner FROM segments WHERE kind = 'grid'").fetchall())
    clash = store.con.execute("SELECT name FROM segments WHERE kind = 'rule' AND name IN (SELECT unnest(?))",
                              [[c[0] for c in cells]]).fetchone()
    if clash is not None:
        raise InputError("a rule segment has the name of a grid cell; rename or delete it first",
                         column="name", value=clash[0])
    if isinstance(owners, dict):
        unknown = sorted(set(owners) - {c[0] for c in cells})
        if unknown:
            raise InputError(f"not a cell of this grid; the cells are: {', '.join(c[0] for c in cells)}",
                             column="owners", value=unknown[0])
    rows = []
    for name, tier, band in cells:
        owner = owners if isinstance(owners, str) else (owners or {}).get(name, previous.get(name))
        rows.append({"segment": name, "tier": tier, "band": band,
                     "owner": _check_text(owner, "owner", required=False, limit=MAX_NAME)})
    table = pd.DataFrame(rows).astype({"owner": object})
    frame = customer_attributes(store) if attributes is None else attributes
    assigned = grid.assign(frame)
    sizes = assigned["segment"].value_counts()
    table["members"] = sizes.reindex(table["segment"]).fillna(0).astype("int64").to_numpy()
    now = _now()
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM segment_members WHERE segment IN (SELECT name FROM segments WHERE kind = 'grid')")
        con.execute("DELETE FROM segments WHERE kind = 'grid'")
        for i, row in enumerate(table.itertuples(index=False)):
            definition = {**grid.to_dict(), "tier": row.tier, "band": row.band, "order": i}
            description = f"value x risk grid cell: {row.tier}, {row.band}"
            con.execute("INSERT INTO segments VALUES (?, 'grid', ?, ?, ?, ?, ?, ?, ?)",
                        [row.segment, None if pd.isna(row.owner) else row.owner, description, json.dumps(definition), now + dt.timedelta(microseconds=i),
                         now, _scores_at(con), int(row.members)])
        _insert_members(con, pd.DataFrame({"segment": assigned["segment"].to_numpy(),
                                           "customer_key": assigned.index.astype(str)}))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return table


def _scores_at(con: Any) -> Any:
    return con.execute("SELECT max(scored_at) FROM customer_scores").fetchone()[0]


def _insert_members(con: Any, members: pd.DataFrame) -> None:
    con.register("_segment_members_new", members[["segment", "customer_key"]])
    try:
        con.execute("INSERT INTO segment_members SELECT segment, customer_key FROM _segment_members_new")
    finally:
        con.unregister("_segment_members_new")


def refresh_segments(store: Any) -> dict[str, int]:
    """Recompute every segment's membership from the current scores and attributes.

    Run it after ``clientele score``: the grid cells are reassigned with the stored grid
    settings (rank tiers move with the scores; value thresholds stay), rule segments are
    re-evaluated. One transaction.

    Returns
    -------
    dict
        Segment name -> members.
    """
    _writable(store)
    segments = list_segments(store)
    if segments.empty:
        return {}
    frame = customer_attributes(store)
    parts = []
    sizes: dict[str, int] = {}
    grid_rows = segments[segments["kind"] == "grid"]
    if len(grid_rows):
        grid = Grid.from_dict(json.loads(grid_rows["definition"].iloc[0]))
        assigned = grid.assign(frame)
        parts.append(pd.DataFrame({"segment": assigned["segment"].to_numpy(), "customer_key": assigned.index.astype(str)}))
        counts = assigned["segment"].value_counts()
        sizes.update({name: int(counts.get(name, 0)) for name in grid_rows["name"]})
    for row in segments[segments["kind"] == "rule"].itertuples(index=False):
        compiled = compile_rule(json.loads(row.definition)["rule"], ATTRIBUTES)
        members = frame.index[compiled.evaluate(frame)].astype(str)
        parts.append(pd.DataFrame({"segment": row.name, "customer_key": members}))
        sizes[row.name] = len(members)
    now = _now()
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM segment_members")
        _insert_members(con, pd.concat(parts, ignore_index=True))
        scored = _scores_at(con)
        for name, size in sizes.items():
            con.execute("UPDATE segments SET members = ?, refreshed_at = ?, scores_at = ? WHERE name = ?",
                        [size, now, scored, name])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return sizes


def set_owner(store: Any, name: str, owner: str | None, description: str | None = None) -> None:
    """Give the segment ``name`` a new owner (and description, if given)."""
    _writable(store)
    _require(store, name)
    owner = _check_text(owner, "owner", required=False, limit=MAX_NAME)
    store.con.execute("UPDATE segments SET owner = ? WHERE name = ?", [owner, name])
    if description is not None:
        text = _check_text(description, "description", required=False)
        store.con.execute("UPDATE segments SET description = ? WHERE name = ?", [text, name])


def delete_segment(store: Any, name: str) -> None:
    """Delete a rule segment and its membership (grid cells go with :func:`create_grid` only)."""
    _writable(store)
    segment = _require(store, name)
    if segment["kind"] == "grid":
        raise InputError("a grid cell cannot be deleted alone; redefine the grid instead", column="segment", value=name)
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM segment_members WHERE segment = ?", [name])
        con.execute("DELETE FROM segments WHERE name = ?", [name])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def segment_members(store: Any, name: str) -> pd.DataFrame:
    """The members of segment ``name``: a frame with one column ``customer_key``, sorted.

    Raises
    ------
    InputError
        No segment of that name (the message lists the segments).
    """
    _require(store, name)
    return store.con.execute(
        "SELECT customer_key FROM segment_members WHERE segment = ? ORDER BY customer_key", [name]).df()


def segment_membership(store: Any, kind: str | None = None) -> pd.DataFrame:
    """Every (``customer_key``, ``segment``) pair, of segments of ``kind`` (grid or rule) if given.

    A customer appears once per segment: once for the grid, any number of times for rules.
    """
    if kind is not None and kind not in ("grid", "rule"):
        raise InputError("expected grid or rule", column="kind", value=kind)
    return store.con.execute(
        "SELECT m.customer_key, m.segment FROM segment_members m JOIN segments s ON s.name = m.segment "
        "WHERE ? IS NULL OR s.kind = ? ORDER BY m.segment, m.customer_key", [kind, kind]).df()
