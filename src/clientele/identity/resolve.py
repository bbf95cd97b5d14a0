"""Resolve the store's customer records into customer keys, and the analyst's overrides.

>>> from clientele.identity import resolve_store          # doctest: +SKIP
>>> with Store.open("clientele.duckdb") as store:          # doctest: +SKIP
...     result = resolve_store(store)

A run reads the ``customers`` table, normalises it (:mod:`~clientele.identity.normalize`),
trains the model and scores candidate pairs (:mod:`~clientele.identity.model`, Splink on
DuckDB or Spark), clusters records at the threshold with the overrides applied
(:mod:`~clientele.identity.clusters`), assigns stable keys (:mod:`~clientele.identity.keys`)
and writes ``customer_keys``, ``key_changes``, ``identity_links`` and ``resolve_runs`` in one
transaction (a failure leaves the store as it was).

:func:`link_records` and :func:`split_record` store an override and re-apply the keys with the
last run's links (no retraining), so an analyst's decision takes effect at once and in every
later run.
"""

from __future__ import annotations

import contextlib

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import duckdb
import pandas as pd

import clientele
from clientele.errors import InputError, StoreError
from clientele.identity.clusters import cluster_records
from clientele.identity.keys import assign_keys
from clientele.identity.model import predict_links
from clientele.identity.normalize import normalised_records
from clientele.identity.settings import check_settings, default_settings


@dataclass
class ResolveResult:
    """What a resolution run did.

    Attributes
    ----------
    run_id, kind
        The run's number and ``"model"`` (trained and scored) or ``"overrides"`` (re-applied
        the stored links with the overrides).
    records, links, customer_keys
        Records resolved, model links at the threshold, distinct customer keys.
    changes, merges, new_keys
        Records whose key changed, keys merged into an older one, keys that were not in
        ``customer_keys`` before this run (on the first run: all of them).
    multi_record_keys
        Customer keys holding two or more records.
    threshold, engine, seconds
        The match threshold, the engine, and the run's wall time.
    """

    run_id: int
    kind: str
    records: int
    links: int
    customer_keys: int
    changes: int
    merges: int
    new_keys: int
    multi_record_keys: int
    threshold: float
    engine: str
    seconds: float
    change_reasons: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
        return asdict(self)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def _check_writable(store) -> None:
    if getattr(store, "read_only", False):
        raise StoreError(f"{store.path}: the store is open read-only; open it without read_only to resolve")


def resolve_store(
    store,
    settings: dict[str, Any] | None = None,
    *,
    engine: str = "duckdb",
    threads: int | None = None,
    memory_limit: str | None = None,
    spark=None,
    progress: Callable[[str], None] | None = None,
) -> ResolveResult:
    """Train the matching model on the store's customers and (re)assign customer keys.

    Parameters
    ----------
    store
        An open, writable :class:`clientele.store.Store`.
    settings
        A settings document (:func:`clientele.identity.settings.default_settings`, perhaps
        edited); None for the defaults.
    engine
        ``"duckdb"`` or ``"spark"`` (see :func:`clientele.identity.model.predict_links`).
    threads, memory_limit, spark
        DuckDB threads and memory limit (e.g. ``"1GB"``); the Spark session for
        ``engine="spark"`` (see :func:`clientele.identity.model.predict_links`).
    progress
        Called with the name of each step.

    Returns
    -------
    ResolveResult
        Counts of records, links, keys, changes and merges.
    """
    _check_writable(store)
    started = time.perf_counter()
    step = progress or (lambda _s: None)
    checked = check_settings(settings if settings is not None else default_settings())
    step("normalising records")
    records = normalised_records(store.con, "customers", checked["country_code"])
    prediction = predict_links(
        records, checked, engine=engine, threads=threads, memory_limit=memory_limit, spark=spark, progress=step
    )
    frame = records.select(["unique_id", "source", "customer_id", "signup_date"]).to_pandas()
    step("clustering and assigning keys")
    return _apply(
        store,
        frame,
        prediction.links,
        kind="model",
        engine=engine,
        threshold=float(checked["threshold"]),
        settings=checked,
        model=prediction.model,
        started=started,
    )


def _record_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT source || ':' || customer_id AS unique_id, source, customer_id, min(signup_date) AS signup_date "
        "FROM customers GROUP BY source, customer_id ORDER BY unique_id"
    ).df()


def _overrides(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT kind, source || ':' || customer_id AS unique_id, other_source || ':' || other_customer_id "
        "AS other_unique_id FROM identity_overrides ORDER BY override_id"
    ).df()


def _apply(
    store,
    records: pd.DataFrame,
    links: pd.DataFrame,
    *,
    kind: str,
    engine: str,
    threshold: float,
    settings: dict[str, Any] | None,
    model: dict[str, Any] | None,
    started: float,
) -> ResolveResult:
    con = store.con
    records = records.sort_values("unique_id", kind="stable").reset_index(drop=True)
    overrides = _overrides(con)
    labels = cluster_records(records["unique_id"], links, overrides)
    previous = con.execute(
        "SELECT source || ':' || customer_id AS unique_id, customer_key, key_since FROM customer_keys"
    ).df()
    override_ids = set(overrides.loc[overrides["kind"] == "link", "unique_id"]) | set(
        overrides.loc[overrides["kind"] == "link", "other_unique_id"]
    )
    split_ids = set(overrides.loc[overrides["kind"] == "split", "unique_id"])
    run_id = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM resolve_runs").fetchone()[0])
    assignment = assign_keys(
        records, labels, previous, run_id=run_id, override_ids=override_ids, split_ids=split_ids
    )
    keys = assignment.keys.merge(records[["unique_id", "source", "customer_id"]], on="unique_id")
    changes = assignment.changes.merge(records[["unique_id", "source", "customer_id"]], on="unique_id")
    now = _utcnow()
    new_keys = len(set(keys["customer_key"]) - set(previous["customer_key"]))
    sizes = keys.groupby("customer_key").size()
    result = ResolveResult(
        run_id=run_id,
        kind=kind,
        records=len(records),
        links=len(links),
        customer_keys=int(len(sizes)),
        changes=len(changes),
        merges=len(assignment.merges),
        new_keys=new_keys,
        multi_record_keys=int((sizes > 1).sum()),
        threshold=threshold,
        engine=engine,
        seconds=0.0,
        change_reasons=_reason_counts(changes["reason"]),
    )
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("__keys_frame", keys[["source", "customer_id", "customer_key", "key_since"]])
        con.execute("DELETE FROM customer_keys")
        con.execute(
            f"INSERT INTO customer_keys SELECT source, customer_id, customer_key, CAST(key_since AS DATE), {run_id} "
            "FROM __keys_frame"
        )
        con.unregister("__keys_frame")
        if len(changes):
            con.register("__changes_frame", changes[["source", "customer_id", "old_key", "new_key", "reason"]])
            con.execute(
                "INSERT INTO key_changes SELECT ?, ?, source, customer_id, old_key, new_key, reason FROM __changes_frame",
                [run_id, now],
            )
            con.unregister("__changes_frame")
        if kind == "model":
            con.execute("DELETE FROM identity_links")
            con.register("__links_frame", links)
            con.execute(
                f"INSERT INTO identity_links SELECT {run_id}, unique_id_l, unique_id_r, match_probability, "
                "model_probability FROM __links_frame"
            )
            con.unregister("__links_frame")
        result.seconds = round(time.perf_counter() - started, 3)
        con.execute(
            "INSERT INTO resolve_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                kind,
                now - timedelta(seconds=round(result.seconds)),
                _utcnow(),
                engine,
                result.records,
                result.links,
                result.customer_keys,
                result.changes,
                result.merges,
                json.dumps(settings) if settings is not None else None,
                json.dumps(model, default=str) if model is not None else None,
                clientele.__version__,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # nothing to roll back if the transaction never began
            con.execute("ROLLBACK")
        raise
    return result


def _reason_counts(reasons: pd.Series) -> dict[str, int]:
    kinds = reasons.astype(str).str.extract(r"^((?:override \w+)|merge|split|linked|new record)", expand=False)
    return {str(k): int(v) for k, v in kinds.fillna("other").value_counts().sort_index().items()}


# -- overrides ----------------------------------------------------------------------------------


def parse_record(text: str) -> tuple[str, str]:
    """``"webshop:W000123"`` -> ``("webshop", "W000123")``.

    Raises
    ------
    InputError
        If ``text`` is not ``SOURCE:CUSTOMER_ID``.
    """
    if not isinstance(text, str):
        raise InputError("a record is SOURCE:CUSTOMER_ID, e.g. webshop:W000123", value=text)
    source, sep, customer_id = text.strip().partition(":")
    if not sep or not source or not customer_id:
        raise InputError("a record is SOURCE:CUSTOMER_ID, e.g. webshop:W000123", value=text)
    return source, customer_id


def _require_record(con: duckdb.DuckDBPyConnection, text: str) -> tuple[str, str]:
    source, customer_id = parse_record(text)
    found = con.execute(
        "SELECT count(*) FROM customers WHERE source = ? AND customer_id = ?", [source, customer_id]
    ).fetchone()[0]
    if not found:
        sources = [r[0] for r in con.execute("SELECT DISTINCT source FROM customers ORDER BY 1").fetchall()]
        raise InputError(
            f"no customer record {customer_id!r} from source {source!r} in the store "
            f"(sources: {', '.join(sources) or 'none loaded'})",
            value=text,
        )
    return source, customer_id


def _add_override(store, kind: str, a: str, b: str | None, note: str | None) -> None:
    con = store.con
    sa, ia = _require_record(con, a)
    sb, ib = _require_record(con, b) if b is not None else (None, None)
    if b is not None and (sa, ia) == (sb, ib):
        raise InputError("a record cannot be linked to itself", value=f"{a} {b}")
    oid = con.execute("SELECT coalesce(max(override_id), 0) + 1 FROM identity_overrides").fetchone()[0]
    con.execute(
        "INSERT INTO identity_overrides VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [oid, kind, sa, ia, sb, ib, note, _utcnow()],
    )


def _reapply(store) -> ResolveResult:
    con = store.con
    started = time.perf_counter()
    links = con.execute(
        "SELECT unique_id_l, unique_id_r, match_probability FROM identity_links ORDER BY 1, 2"
    ).df()
    last = con.execute(
        "SELECT settings, engine FROM resolve_runs WHERE kind = 'model' ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    threshold = json.loads(last[0])["threshold"] if last and last[0] else default_settings()["threshold"]
    return _apply(
        store,
        _record_frame(con),
        links,
        kind="overrides",
        engine=last[1] if last else "none",
        threshold=float(threshold),
        settings=None,
        model=None,
        started=started,
    )


def link_records(store, a: str, b: str, note: str | None = None) -> ResolveResult:
    """Force records ``a`` and ``b`` (``SOURCE:ID``) into one customer key, now and in every run.

    The override is stored in ``identity_overrides`` and the keys are re-applied at once from
    the last run's links (the older of the two keys survives; the change is logged).
    """
    _check_writable(store)
    _add_override(store, "link", a, b, note)
    return _reapply(store)


def split_record(store, a: str, note: str | None = None) -> ResolveResult:
    """Force record ``a`` (``SOURCE:ID``) out of its customer key, now and in every run.

    The record keeps no model link (a later :func:`link_records` may still join it to others).
    """
    _check_writable(store)
    _add_override(store, "split", a, None, note)
    return _reapply(store)


def key_changes(store, limit: int | None = None) -> pd.DataFrame:
    """The change log, newest first."""
    sql = "SELECT * FROM key_changes ORDER BY run_id DESC, source, customer_id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return store.con.execute(sql).df()
