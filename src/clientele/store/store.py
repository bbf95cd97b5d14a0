"""The customer store: one DuckDB file holding every source system's data, checked and lossless."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from clientele.errors import InputError, StoreError
from clientele.store import ingest, migrations
from clientele.store.parsing import lit
from clientele.store.results import LoadResult
from clientele.store.schema import KINDS, spec
from clientele.store.status import StoreStatus, store_status

DEFAULT_STORE = "clientele.duckdb"


def default_path() -> Path:
    """``$CLIENTELE_STORE`` if set, else ``./clientele.duckdb``."""
    return Path(os.environ.get("CLIENTELE_STORE") or DEFAULT_STORE)


class Store:
    """An open customer store.

    Open with :meth:`open` (creates the file and brings its schema up to date); use as a context
    manager or call :meth:`close`. The connection's time zone is UTC (see
    :mod:`clientele.store.schema` for the timestamp rule).

    Attributes
    ----------
    path : pathlib.Path
        The DuckDB file.
    con : duckdb.DuckDBPyConnection
        The connection; other modules query the store through it (or through :meth:`ibis`).
    read_only : bool
        Whether the store was opened read-only.
    schema_version : int
        The schema version of the open store.
    """

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, read_only: bool, version: int) -> None:
        self.path = path
        self.con = con
        self.read_only = read_only
        self.schema_version = version
        self._ibis = None

    @classmethod
    def open(cls, path: str | os.PathLike | None = None, read_only: bool = False) -> Store:
        """Open (and if needed create and migrate) the store at ``path``.

        Parameters
        ----------
        path
            The DuckDB file; None means ``$CLIENTELE_STORE`` or ``./clientele.duckdb``.
        read_only
            Open without write access (several readers may share the file).

        Raises
        ------
        StoreError
            The file is not a DuckDB database, is locked by another process, does not exist (read
            only), or was written by a newer clientele.
        """
        p = Path(path) if path is not None else default_path()
        if read_only and not p.exists():
            raise StoreError(f"{p}: no store here; load data first (clientele load ...) or pass --store")
        if p.exists() and p.is_dir():
            raise StoreError(f"{p}: is a folder; expected a store file such as {DEFAULT_STORE}")
        try:
            con = duckdb.connect(str(p), read_only=read_only)
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"{p}: cannot open the store ({first})") from exc
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET enable_progress_bar = true")
            con.execute("SET enable_progress_bar_print = false")
            # DuckDB's default, relied on: a CSV's records keep their order (their line numbers)
            con.execute("SET preserve_insertion_order = true")
            version = migrations.migrate(con, path=str(p), read_only=read_only)
        except BaseException:
            con.close()
            raise
        return cls(p, con, read_only, version)

    # -- context manager ----------------------------------------------------------------------

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        if self.con is not None:
            self.con.close()
            self.con = None  # type: ignore[assignment]
            self._ibis = None

    def __repr__(self) -> str:
        state = "closed" if self.con is None else ("read-only" if self.read_only else "open")
        return f"Store({str(self.path)!r}, {state}, schema version {self.schema_version})"

    # -- queries --------------------------------------------------------------------------------

    def ibis(self):
        """An ibis DuckDB backend over this store's connection."""
        self._check_open()
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def table(self, name: str):
        """The ibis table of a store table or view (e.g. ``"purchases"``)."""
        backend = self.ibis()
        names = self.table_names()
        if name not in names:
            raise StoreError(f"{self.path}: no table or view {name!r}; the store has: {', '.join(names)}")
        return backend.table(name)

    def table_names(self) -> list[str]:
        """Names of the store's tables and views (main schema), sorted."""
        self._check_open()
        return migrations.relation_names(self.con)

    def status(self) -> StoreStatus:
        """Rows per table and source, date ranges, quarantined rows and loads."""
        self._check_open()
        return store_status(self.con, str(self.path), self.schema_version)

    def quarantine(
        self,
        kind: str | None = None,
        *,
        source: str | None = None,
        load_id: int | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Quarantined rows, oldest load first, by line: their load, kind, source, file, line,
        the reason and the raw values (JSON), optionally only those of ``kind``, ``source`` and
        ``load_id``, and at most ``limit`` of them."""
        where, params = self._quarantine_filter(kind, source, load_id)
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise InputError("limit must be a whole number >= 0", value=limit)
        cap = "" if limit is None else f" LIMIT {int(limit)}"
        return self.con.execute(
            "SELECT load_id, kind, source, file, line, reason, raw, quarantined_at FROM quarantine "
            f"WHERE {where} ORDER BY load_id, line{cap}",
            params,
        ).df()

    def quarantined_count(self, kind: str | None = None, *, source: str | None = None, load_id: int | None = None) -> int:
        """How many rows :meth:`quarantine` holds with the same filters."""
        where, params = self._quarantine_filter(kind, source, load_id)
        return int(self.con.execute(f"SELECT count(*) FROM quarantine WHERE {where}", params).fetchone()[0])

    def export_quarantine(
        self, path: str | os.PathLike, kind: str | None = None, *, source: str | None = None, load_id: int | None = None
    ) -> int:
        """Write the quarantined rows (filtered as in :meth:`quarantine`) to a ``.csv`` or
        ``.parquet`` file, for the people who fix them at the source; returns the row count."""
        target = Path(path)
        formats = {".csv": "csv, HEADER true", ".parquet": "parquet"}
        if target.suffix.lower() not in formats:
            raise InputError("the export file must end in .csv or .parquet", file=str(target))
        where, params = self._quarantine_filter(kind, source, load_id)
        query = (
            "SELECT load_id, kind, source, file, line, reason, CAST(raw AS VARCHAR) AS raw, quarantined_at "
            f"FROM quarantine WHERE {where} ORDER BY load_id, line"
        )
        try:
            self.con.execute(f"COPY ({query}) TO {lit(str(target))} (FORMAT {formats[target.suffix.lower()]})", params)
        except duckdb.IOException as exc:
            raise StoreError(f"{target}: cannot write the export ({str(exc).splitlines()[0]})") from exc
        return self.quarantined_count(kind, source=source, load_id=load_id)

    def _quarantine_filter(self, kind: str | None, source: str | None, load_id: int | None) -> tuple[str, list]:
        self._check_open()
        if kind is not None:
            spec(kind)
        return (
            "(? IS NULL OR kind = ?) AND (? IS NULL OR source = ?) AND (? IS NULL OR load_id = ?)",
            [kind, kind, source, source, load_id, load_id],
        )

    # -- loading ---------------------------------------------------------------------------------

    def load(
        self,
        kind: str,
        data: Any,
        *,
        source: str,
        columns: Mapping[str, str] | None = None,
        decimal: str | None = None,
        file_label: str | None = None,
        delimiter: str | None = None,
        encoding: str | None = None,
        date_format: str | None = None,
        progress=None,
    ) -> LoadResult:
        """Load one input of ``kind`` from the system ``source``; nothing is lost.

        Every row lands in the canonical table, is recognised as already present, or goes to
        the ``quarantine`` table with its line, raw values and a reason. The load is one
        transaction: an error or interrupt leaves the store as it was. Loading the same input
        again adds nothing.

        Parameters
        ----------
        kind
            One of :data:`KINDS`.
        data
            A path to a CSV (``.csv``, ``.csv.gz``; header line required) or Parquet file, or a
            pandas / polars DataFrame or pyarrow Table.
        source
            The source system's name (letters, digits, ``_ - .``), e.g. ``"shop"``.
        columns
            ``{input column: canonical column}`` for inputs whose headers differ. Columns whose
            names equal a canonical name (ignoring case, blanks and ``-``) map themselves;
            other columns are kept as JSON in ``extra``.
        decimal
            The decimal separator of amounts (``"."`` or ``","``) if declared. Undeclared, only
            unambiguous amounts are read (``1,234.50`` yes, ``1,234`` is quarantined).
        file_label
            How to name the input in messages and the quarantine (default: the path).
        delimiter, encoding
            CSV only: the field delimiter (default: guessed from the header among , ; tab |) and
            the text encoding (utf-8, the default; utf-16; latin-1).
        date_format
            A strptime layout (``%d/%m/%Y``) for dates that are not ISO 8601 or ``YYYYMMDD``.
        progress
            Called with the name of each step ("reading", "checking values", ...).

        Returns
        -------
        LoadResult
            ``loaded + already_present + quarantined == rows_read``.

        Raises
        ------
        InputError
            The input as a whole cannot be used (missing file, wrong format or encoding, a
            required column missing). Row-level problems never raise: they are quarantined.
        """
        self._check_open()
        if self.read_only:
            raise StoreError(f"{self.path}: the store is open read-only; open it without read_only to load")
        return ingest.load(
            self.con,
            kind,
            data,
            source=source,
            columns=columns,
            decimal=decimal,
            file_label=file_label,
            delimiter=delimiter,
            encoding=encoding,
            date_format=date_format,
            progress=progress,
        )

    def _check_open(self) -> None:
        if self.con is None:
            raise StoreError(f"{self.path}: the store is closed")


__all__ = ["Store", "KINDS", "default_path"]
