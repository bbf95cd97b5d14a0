"""Versioned schema of the customer store.

The store records its schema version in ``schema_version`` (one row per applied migration).
:data:`MIGRATIONS` lists every migration ever released, in order; opening a store applies the
missing ones inside one transaction, so a store written by an older release is upgraded in place
without losing rows. Released migrations are never edited: a change to the schema is a new entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from clientele.errors import StoreError


@dataclass(frozen=True)
class Migration:
    """One step of the schema: ``apply(con)`` takes a store from ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


_BOOKKEEPING = """
    source      VARCHAR NOT NULL,
    row_key     VARCHAR,
    load_id     INTEGER NOT NULL,
    line        BIGINT,
    extra       JSON"""

_V1 = f"""
CREATE TABLE customers (
    customer_id         VARCHAR NOT NULL,
    name                VARCHAR,
    email               VARCHAR,
    phone               VARCHAR,
    city                VARCHAR,
    signup_date         DATE,
    acquisition_channel VARCHAR,{_BOOKKEEPING}
);
CREATE TABLE products (
    product_id  VARCHAR NOT NULL,
    category    VARCHAR,
    brand       VARCHAR,{_BOOKKEEPING}
);
CREATE TABLE transactions (
    transaction_id VARCHAR,
    customer_id    VARCHAR NOT NULL,
    timestamp      TIMESTAMP NOT NULL,
    amount         DOUBLE NOT NULL,
    product_id     VARCHAR,
    category       VARCHAR,
    brand          VARCHAR,
    quantity       BIGINT,
    channel        VARCHAR,
    is_return      BOOLEAN NOT NULL,{_BOOKKEEPING}
);
CREATE TABLE interactions (
    customer_id VARCHAR NOT NULL,
    timestamp   TIMESTAMP NOT NULL,
    channel     VARCHAR,
    topic       VARCHAR,
    resolved    BOOLEAN,{_BOOKKEEPING}
);
CREATE TABLE surveys (
    customer_id VARCHAR NOT NULL,
    timestamp   TIMESTAMP NOT NULL,
    nps         TINYINT NOT NULL CHECK (nps BETWEEN 0 AND 10),
    comment     VARCHAR,{_BOOKKEEPING}
);
CREATE TABLE referrals (
    referrer_id VARCHAR NOT NULL,
    referee_id  VARCHAR NOT NULL,
    timestamp   TIMESTAMP,{_BOOKKEEPING}
);
CREATE TABLE loads (
    load_id           INTEGER PRIMARY KEY,
    kind              VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    file              VARCHAR,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    rows_read         BIGINT,
    loaded            BIGINT,
    already_present   BIGINT,
    quarantined       BIGINT,
    returns           BIGINT,
    options           JSON,
    clientele_version VARCHAR
);
CREATE TABLE quarantine (
    load_id        INTEGER NOT NULL,
    kind           VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    file           VARCHAR,
    line           BIGINT,
    reason         VARCHAR NOT NULL,
    raw            JSON,
    row_key        VARCHAR NOT NULL,
    quarantined_at TIMESTAMP NOT NULL
);
CREATE VIEW purchases AS
SELECT source || ':' || customer_id AS customer_key,
       source,
       customer_id,
       timestamp,
       amount
FROM transactions
WHERE NOT is_return;
"""


def _v1(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_V1)


_V2 = """
CREATE TABLE customer_keys (
    source       VARCHAR NOT NULL,
    customer_id  VARCHAR NOT NULL,
    customer_key VARCHAR NOT NULL,
    key_since    DATE,
    run_id       INTEGER NOT NULL,
    PRIMARY KEY (source, customer_id)
);
CREATE TABLE key_changes (
    run_id      INTEGER NOT NULL,
    changed_at  TIMESTAMP NOT NULL,
    source      VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    old_key     VARCHAR NOT NULL,
    new_key     VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL
);
CREATE TABLE identity_overrides (
    override_id       INTEGER PRIMARY KEY,
    kind              VARCHAR NOT NULL CHECK (kind IN ('link', 'split')),
    source            VARCHAR NOT NULL,
    customer_id       VARCHAR NOT NULL,
    other_source      VARCHAR,
    other_customer_id VARCHAR,
    note              VARCHAR,
    created_at        TIMESTAMP NOT NULL
);
CREATE TABLE identity_links (
    run_id            INTEGER NOT NULL,
    unique_id_l       VARCHAR NOT NULL,
    unique_id_r       VARCHAR NOT NULL,
    match_probability DOUBLE NOT NULL,
    model_probability DOUBLE
);
CREATE TABLE identity_labels (
    source      VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    person_id   VARCHAR NOT NULL,
    PRIMARY KEY (source, customer_id)
);
CREATE TABLE resolve_runs (
    run_id            INTEGER PRIMARY KEY,
    kind              VARCHAR NOT NULL,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    engine            VARCHAR,
    records           BIGINT,
    links             BIGINT,
    customer_keys     BIGINT,
    changes           BIGINT,
    merges            BIGINT,
    settings          JSON,
    model             JSON,
    clientele_version VARCHAR
);
CREATE VIEW identities AS
SELECT c.source,
       c.customer_id,
       coalesce(k.customer_key, c.source || ':' || c.customer_id) AS customer_key
FROM (SELECT DISTINCT source, customer_id FROM customers) c
LEFT JOIN customer_keys k ON k.source = c.source AND k.customer_id = c.customer_id;
CREATE OR REPLACE VIEW purchases AS
SELECT coalesce(k.customer_key, t.source || ':' || t.customer_id) AS customer_key,
       t.source,
       t.customer_id,
       t.timestamp,
       t.amount
FROM transactions t
LEFT JOIN customer_keys k ON k.source = t.source AND k.customer_id = t.customer_id
WHERE NOT t.is_return;
"""


def _v2(con: duckdb.DuckDBPyConnection) -> None:
    """Identity resolution tables; see :mod:`clientele.identity.schema` for what each holds."""
    con.execute(_V2)


_V3 = """
CREATE TABLE fitted_models (
    model_id         INTEGER PRIMARY KEY,
    role             VARCHAR NOT NULL,
    model_class      VARCHAR NOT NULL,
    payload          JSON NOT NULL,
    fitted_at        TIMESTAMP NOT NULL,
    time_unit        VARCHAR NOT NULL,
    observation_end  DATE NOT NULL,
    calibration_end  DATE,
    n_customers      BIGINT NOT NULL,
    log_likelihood   DOUBLE NOT NULL,
    fit_id           INTEGER NOT NULL
);
CREATE TABLE customer_scores (
    customer_key        VARCHAR NOT NULL,
    p_alive             DOUBLE NOT NULL,
    expected_purchases  DOUBLE NOT NULL,
    expected_spend      DOUBLE NOT NULL,
    clv                 DOUBLE NOT NULL,
    horizon_months      INTEGER NOT NULL,
    discount_rate       DOUBLE NOT NULL,
    margin              DOUBLE NOT NULL,
    scored_at           TIMESTAMP NOT NULL,
    fit_id              INTEGER NOT NULL
);
"""


def _v3(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_V3)


_V4 = """
CREATE TABLE segments (
    name          VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL CHECK (kind IN ('grid', 'rule')),
    owner         VARCHAR,
    description   VARCHAR,
    definition    JSON NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    refreshed_at  TIMESTAMP,
    scores_at     TIMESTAMP,
    members       BIGINT
);
CREATE TABLE segment_members (
    segment       VARCHAR NOT NULL,
    customer_key  VARCHAR NOT NULL
);
CREATE TABLE briefs (
    brief_id         INTEGER NOT NULL,
    segment          VARCHAR NOT NULL,
    request          VARCHAR NOT NULL,
    needs            JSON NOT NULL,
    equity_at_stake  DOUBLE,
    customers        BIGINT,
    customer_manager VARCHAR,
    brand_manager    VARCHAR NOT NULL,
    due_date         DATE,
    status           VARCHAR NOT NULL,
    reason           VARCHAR,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE TABLE brief_events (
    event_id     INTEGER NOT NULL,
    brief_id     INTEGER NOT NULL,
    changed_at   TIMESTAMP NOT NULL,
    actor        VARCHAR,
    from_status  VARCHAR,
    to_status    VARCHAR NOT NULL,
    note         VARCHAR
);
"""


def _v4(con: duckdb.DuckDBPyConnection) -> None:
    """Segments and briefs; :mod:`clientele.segments.registry` and :mod:`clientele.briefs.api` say what each
    column holds."""
    con.execute(_V4)


_V5 = f"""
CREATE TABLE campaigns (
    campaign_id     VARCHAR NOT NULL,
    customer_id     VARCHAR,
    customer_source VARCHAR,
    cell            VARCHAR,
    segment         VARCHAR,
    lever           VARCHAR NOT NULL,
    treated         BOOLEAN NOT NULL,
    spend           DOUBLE NOT NULL,
    timestamp       TIMESTAMP NOT NULL,
    window_days     BIGINT,
    retained        BOOLEAN,
    purchases       BIGINT,
    revenue         DOUBLE,
    new_customers   BIGINT,{_BOOKKEEPING}
);
CREATE TABLE budget_plans (
    name           VARCHAR PRIMARY KEY,
    created_at     TIMESTAMP NOT NULL,
    kind           VARCHAR NOT NULL,
    total_budget   DOUBLE NOT NULL,
    expected_gain  DOUBLE NOT NULL,
    gain_lower     DOUBLE,
    gain_upper     DOUBLE,
    inputs         JSON NOT NULL,
    status         VARCHAR NOT NULL CHECK (status IN ('draft', 'approved')),
    approved_by    VARCHAR,
    approved_at    TIMESTAMP
);
CREATE TABLE budget_lines (
    plan_name      VARCHAR NOT NULL,
    segment        VARCHAR NOT NULL,
    lever          VARCHAR NOT NULL,
    owner          VARCHAR,
    spend          DOUBLE NOT NULL,
    expected_gain  DOUBLE NOT NULL,
    gain_lower     DOUBLE,
    gain_upper     DOUBLE,
    roi            DOUBLE,
    marginal_roi   DOUBLE
);
"""


def _v5(con: duckdb.DuckDBPyConnection) -> None:
    """Campaign records and stored budget plans; see :mod:`clientele.budget.plans`."""
    con.execute(_V5)


_V6_TRANSACTIONS = f"""
CREATE TABLE transactions_v6 (
    transaction_id VARCHAR USING COMPRESSION zstd,
    customer_id    VARCHAR NOT NULL,
    timestamp      TIMESTAMP NOT NULL,
    amount         DOUBLE NOT NULL,
    product_id     VARCHAR,
    category       VARCHAR,
    brand          VARCHAR,
    quantity       BIGINT,
    channel        VARCHAR,
    is_return      BOOLEAN NOT NULL,{_BOOKKEEPING}
);
INSERT INTO transactions_v6 SELECT * FROM transactions;
DROP TABLE transactions;
ALTER TABLE transactions_v6 RENAME TO transactions;
"""


def _v6(con: duckdb.DuckDBPyConnection) -> None:
    """Store ``transaction_id`` compressed with zstd instead of DuckDB's default dictionary + FSST.

    Transaction ids are (nearly) all distinct, so a dictionary gains nothing, and analysing each
    segment for one costs load time: 10 million rows from Parquet load in 5.5 s instead of
    5.9 s (``benchmarks/bench_load.py``). zstd keeps them nearly as small (the table ~6% larger)
    and the reload that compares every stored row is no slower; no query filters on the column.

    Only an empty table is recreated (a new store, or one that never held transactions). A store
    that holds transactions keeps its layout: rebuilding 10 million rows takes 4.5 s at the first
    open and leaves the file twice its size until later loads reuse the freed blocks (DuckDB
    files do not shrink), a poor trade for 7% on later loads. Both layouts hold the same columns
    and values.
    """
    if con.execute("SELECT count(*) FROM (SELECT 1 FROM transactions LIMIT 1)").fetchone()[0]:
        return
    con.execute(_V6_TRANSACTIONS)


#: Every released migration, oldest first. Append; never edit a released entry.
MIGRATIONS: list[Migration] = [
    Migration(1, "canonical tables, loads, quarantine, purchases view", _v1),
    Migration(
        2, "identity resolution: customer_keys, key_changes, overrides, runs; purchases by customer_key", _v2
    ),
    Migration(3, "fitted_models and customer_scores (clientele fit / score)", _v3),
    Migration(4, "segments, segment_members, briefs and brief_events (clientele segments / brief)", _v4),
    Migration(5, "campaigns, budget_plans and budget_lines (clientele allocate / plans)", _v5),
    Migration(6, "transactions.transaction_id stored with zstd compression where the table is empty (faster loads)", _v6),
]


def latest_version() -> int:
    """The schema version this release of clientele writes."""
    return MIGRATIONS[-1].version if MIGRATIONS else 0


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of the open store (0 for an empty database)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version' "
        "AND schema_name = 'main' AND database_name = current_database()"
    ).fetchone()[0]
    if not exists:
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])


def migrate(con: duckdb.DuckDBPyConnection, *, path: str, read_only: bool) -> int:
    """Bring the store to :func:`latest_version`; return the version it is at afterwards.

    All missing migrations run in one transaction: if any fails, the store keeps its old version
    and its rows.

    Raises
    ------
    StoreError
        If the store was written by a newer clientele, or needs an upgrade but is read-only.
    """
    version = current_version(con)
    target = latest_version()
    if version > target:
        raise StoreError(
            f"{path}: the store is at schema version {version} but this clientele knows versions "
            f"up to {target}; upgrade clientele to open it"
        )
    if version == target:
        return version
    if version == 0:
        _refuse_foreign_database(con, path)
    if read_only:
        raise StoreError(
            f"{path}: the store is at schema version {version} and needs upgrading to {target}; "
            "open it once without read_only to upgrade it"
        )
    con.execute("BEGIN TRANSACTION")
    try:
        if version == 0:
            con.execute(
                "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                "applied_at TIMESTAMP NOT NULL, description VARCHAR)"
            )
        for migration in MIGRATIONS:
            if migration.version <= version:
                continue
            migration.apply(con)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [migration.version, _utcnow(), migration.description],
            )
        con.execute("COMMIT")
    except BaseException as exc:
        con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise StoreError(f"{path}: upgrading the store schema failed: {exc}") from exc
        raise
    return target


def relation_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the database's own tables and views (main schema, not temporary), sorted."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary UNION "
        "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary AND NOT internal ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows]


def _refuse_foreign_database(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """A database without ``schema_version`` must be empty to become a store: a DuckDB file that
    already holds tables or views belongs to something else, and is left untouched."""
    names = relation_names(con)
    if names:
        shown = ", ".join(names[:5]) + (f", ... ({len(names)} in all)" if len(names) > 5 else "")
        raise StoreError(
            f"{path}: is a DuckDB database but not a clientele store (it holds {shown} and no "
            "schema_version); pass another --store path, or a new file name to create a store"
        )


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
