"""What the store holds: rows per table and source, date ranges, quarantined rows, loads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

import duckdb

from clientele.store.schema import TABLES


@dataclass(frozen=True)
class TableCount:
    """Rows of one canonical table from one source, and the span of its time column."""

    table: str
    source: str
    rows: int
    first: date | datetime | None = None
    last: date | datetime | None = None


@dataclass(frozen=True)
class QuarantineCount:
    """Quarantined rows of one kind from one source."""

    kind: str
    source: str
    rows: int


@dataclass(frozen=True)
class StoreStatus:
    """A summary of the store (``clientele status``)."""

    path: str
    schema_version: int
    tables: list[TableCount] = field(default_factory=list)
    quarantine: list[QuarantineCount] = field(default_factory=list)
    loads: int = 0
    last_load: datetime | None = None

    def rows(self, table: str, source: str | None = None) -> int:
        """Rows of ``table`` (from ``source`` if given)."""
        return sum(t.rows for t in self.tables if t.table == table and source in (None, t.source))

    def quarantined(self, kind: str | None = None) -> int:
        """Quarantined rows (of ``kind`` if given)."""
        return sum(q.rows for q in self.quarantine if kind in (None, q.kind))

    def to_dict(self) -> dict:
        """The status as plain data (dates as ISO strings) for ``--json``."""

        def plain(value):
            return value.isoformat() if isinstance(value, (date, datetime)) else value

        out = asdict(self)
        out["tables"] = [{k: plain(v) for k, v in t.items()} for t in out["tables"]]
        out["last_load"] = plain(out["last_load"])
        return out


def store_status(con: duckdb.DuckDBPyConnection, path: str, version: int) -> StoreStatus:
    """Collect the :class:`StoreStatus` of an open store."""
    tables: list[TableCount] = []
    for name, table in TABLES.items():
        span = f"min({table.time_column}), max({table.time_column})" if table.time_column else "NULL, NULL"
        for source, rows, first, last in con.execute(
            f"SELECT source, count(*), {span} FROM {name} GROUP BY source ORDER BY source"
        ).fetchall():
            tables.append(TableCount(name, source, int(rows), first, last))
    quarantine = [
        QuarantineCount(kind, source, int(rows))
        for kind, source, rows in con.execute(
            "SELECT kind, source, count(*) FROM quarantine GROUP BY kind, source ORDER BY kind, source"
        ).fetchall()
    ]
    loads, last = con.execute("SELECT count(*), max(finished_at) FROM loads").fetchone()
    return StoreStatus(path, version, tables, quarantine, int(loads), last)
