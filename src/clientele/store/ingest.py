"""Lossless, atomic, idempotent loading of one input into the customer store.

Every input row ends in exactly one of three places:

* the canonical table (``loaded``),
* nowhere new, because the store already holds it (``already_present``): same source and row key
  with the same values, or a repeat of an earlier line of the same input;
* the ``quarantine`` table with its line, raw values (JSON) and the reason (``quarantined``): a
  value that cannot be read, a missing required value, a date in the future, a line that cannot
  be split into the header's fields, or a row whose key the store (or an earlier line) holds with
  different values (a conflict).

All checking, converting and de-duplicating is SQL run by DuckDB over the input (the one
exception: whether the ids are all distinct is first tested on Arrow batches of them, vectorised);
the whole load is one transaction, rolled back on any exception (including ``KeyboardInterrupt``),
so a failed or interrupted load leaves the store exactly as it was.

Speed: the good rows go from the input to their table in one ``INSERT ... SELECT``; nothing the
size of the input is materialised on the way. Besides that insert a load reads the input twice
more: only the ids (to test that they are distinct), and once to find the rows that cannot land
(their raw values are turned into JSON for those rows only; for typed input such as Parquet the
test runs on the scan itself, see ``_Loader._bad_on_input``). That last read is skipped when the
rows landed or found present account for every row of the input. ``benchmarks/bench_load.py``
measures it against a plain copy of the file into a table.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import duckdb
import pyarrow.compute as pc

import clientele
from clientele.errors import InputError, StoreError
from clientele.store import parsing
from clientele.store.parsing import Context, lit
from clientele.store.results import LoadResult
from clientele.store.schema import TableSpec, key_sql, spec
from clientele.store.sources import RawInput, ident, open_input

_SOURCE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")

Progress = Callable[[str], None]

#: Rows per Arrow batch when the ids are streamed to see whether they are all distinct.
KEY_BATCH_ROWS = 1 << 20


def load(
    con: duckdb.DuckDBPyConnection,
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
    progress: Progress | None = None,
) -> LoadResult:
    """Load ``data`` as rows of ``kind`` from ``source``; see :meth:`clientele.store.Store.load`."""
    table = spec(kind)
    _check_options(source, decimal, columns, table)
    ctx = Context(decimal=decimal, date_format=date_format, now=_utcnow())
    step = progress or (lambda _stage: None)
    options = {
        k: v
        for k, v in {
            "columns": dict(columns) if columns else None,
            "decimal": decimal,
            "delimiter": delimiter,
            "encoding": encoding,
            "date_format": date_format,
        }.items()
        if v
    }

    con.execute("BEGIN TRANSACTION")
    raw: RawInput | None = None
    try:
        step("reading")
        raw = open_input(con, data, file_label=file_label, delimiter=delimiter, encoding=encoding)
        mapping = _resolve_columns(raw, table, columns)
        load_id = _start_load(con, table.name, source, raw.label, options, ctx.now)
        result = _Loader(con, table, raw, mapping, source, load_id, ctx, step).run()
        con.execute("COMMIT")
        return result
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):  # nothing to roll back if the transaction never began
            con.execute("ROLLBACK")
        if isinstance(exc, (duckdb.IOException, duckdb.OutOfMemoryException)):
            raise StoreError(f"the load failed and was rolled back; the store is unchanged ({exc})") from exc
        if _interrupted(exc):
            raise KeyboardInterrupt("the load was interrupted and rolled back") from exc
        raise
    finally:
        if raw is not None:
            raw.close()


def _interrupted(exc: BaseException) -> bool:
    """Whether DuckDB stopped a query because of Ctrl-C (it raises its own exception then)."""
    if isinstance(exc, duckdb.InterruptException):
        return True
    return isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def _check_options(
    source: str, decimal: str | None, columns: Mapping[str, str] | None, table: TableSpec
) -> None:
    if not isinstance(source, str) or not _SOURCE_RE.fullmatch(source):
        raise InputError(
            "a source name is letters, digits, '_', '-' or '.' (e.g. shop, crm-2024)",
            value=source,
        )
    if decimal not in (None, ".", ","):
        raise InputError("the decimal separator must be '.' or ','", value=decimal)
    for target in (columns or {}).values():
        if target not in table.columns:
            raise InputError(
                f"a column map must name a {table.name} column: {', '.join(table.columns)}",
                value=target,
            )


def _normal(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _resolve_columns(raw: RawInput, table: TableSpec, columns: Mapping[str, str] | None) -> dict[str, str]:
    """``{canonical column: input column}`` from the explicit map and matching header names."""
    present = [name for name, _ in raw.columns]
    mapping: dict[str, str] = {}
    for source_col, target in (columns or {}).items():
        if source_col not in present:
            raise InputError(
                f"the column map names a column the input does not have; found: {_listing(present)}",
                file=raw.label,
                column=source_col,
            )
        if target in mapping:
            raise InputError(
                f"two input columns ({mapping[target]!r} and {source_col!r}) are mapped to {target!r}",
                file=raw.label,
            )
        mapping[target] = source_col
    used = set(mapping.values())
    for canonical in table.columns:
        if canonical in mapping:
            continue
        candidates = [c for c in present if c not in used and c == canonical]
        candidates = candidates or [c for c in present if c not in used and _normal(c) == canonical]
        if len(candidates) == 1:
            mapping[canonical] = candidates[0]
            used.add(candidates[0])
    missing = [c for c in table.required if c not in mapping]
    if missing:
        if len(present) == 1 and any(d in present[0] for d in ";\t|,"):
            guess = next(d for d in (";", "\t", "|", ",") if d in present[0])
            shown = "\\t" if guess == "\t" else guess
            raise InputError(
                f"found one column {present[0]!r} - is the delimiter {shown!r}? "
                f"(pass --delimiter '{shown}')",
                file=raw.label,
            )
        raise InputError(
            f"missing required column(s) {_listing(missing)} for {table.name}; found: "
            f"{_listing(present) or 'no columns'}",
            file=raw.label,
            hint=f'map yours, e.g. --map "yourname={missing[0]}"',
        )
    return mapping


def _listing(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:20])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 20 else "")


def _start_load(
    con: duckdb.DuckDBPyConnection, kind: str, source: str, label: str, options: dict, now: datetime
) -> int:
    load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchone()[0]
    con.execute(
        "INSERT INTO loads (load_id, kind, source, file, started_at, options, clientele_version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [load_id, kind, source, label, now, json.dumps(options), clientele.__version__],
    )
    return int(load_id)


@dataclass(frozen=True)
class _Counts:
    """Where the rows of one input went, before the quarantine is written."""

    read: int  #: rows read (including lines the CSV reader rejected)
    loaded: int  #: rows inserted
    present: int  #: rows the store (or an earlier line) already holds unchanged
    conflicts: int  #: rows whose key is held with different values
    rejected: int  #: lines the CSV reader could not split into the header's fields
    failing: int  #: rows failing a check (missing, unreadable or impossible values)


class _Loader:
    """The SQL steps of one load (inside the caller's transaction).

    The checked input is a temporary *view* (re-evaluated by each step, never materialised, so
    memory stays small for large inputs): converted values, ``__ok`` (the row can land) and
    ``__bad`` (it cannot: the same test without ``NOT``, so that DuckDB filters on it cheaply),
    ``__reason`` (why it cannot), ``__key`` (its id) and ``__raw`` (its raw values as JSON; only
    computed for the rows a step selects). Only the few rows that cannot land, or whose key
    repeats, are ever written to temporary tables. Steps: (1) one narrow pass over the keys
    (skipped for kinds without an id) finds whether any key repeats; (2) content keys for good
    rows without an id; (3) repeats within the input, only if (1) found candidates; (4) rows
    the store already holds, only if the store holds rows of this source; (5) insert the good
    rows straight from the input; (6) quarantine the rest.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: TableSpec,
        raw: RawInput,
        mapping: dict[str, str],
        source: str,
        load_id: int,
        ctx: Context,
        step: Progress,
    ) -> None:
        self.con, self.table, self.raw, self.mapping = con, table, raw, mapping
        self.source, self.load_id, self.ctx, self.step = source, load_id, ctx, step
        tag = uuid.uuid4().hex[:10]
        self.checked = f"__clientele_checked_{tag}"
        self.keyed = f"__clientele_keyed_{tag}"
        self.classified = f"__clientele_classified_{tag}"
        self.content_keys = f"__clientele_ckeys_{tag}"
        self.candidates = f"__clientele_candidates_{tag}"
        self.bad = f"__clientele_bad_{tag}"
        self.types = dict(raw.columns)
        #: good rows not yet classified as present or conflicting, when a step has counted them
        self.pending: int | None = None
        #: rows found in the store unchanged but not listed in ``classified`` (nothing to insert)
        self.present_in_store = 0

    # -- the steps ----------------------------------------------------------------------------

    def run(self) -> LoadResult:
        con = self.con
        try:
            self.step("checking values")
            con.execute(f"CREATE TEMP VIEW {self.checked} AS {self._checked_sql()}")
            # good rows found present or conflicting, by line (empty unless keys repeat)
            con.execute(f"CREATE TEMP TABLE {self.classified} (__line BIGINT, status VARCHAR, reason VARCHAR)")
            keyless, repeats = self._scan_keys()
            self._content_keys(keyless)
            self.step("finding duplicates")
            if repeats:
                self._duplicates_in_input()
            self._duplicates_in_store()
            self.step("writing")
            loaded = self._insert_rows()
            counts = self._counts(loaded)
            quarantined = self._quarantine(counts)
            return self._finish(counts, quarantined)
        finally:
            for kind, name in (
                ("VIEW", self.keyed),
                ("VIEW", self.checked),
                ("TABLE", self.classified),
                ("TABLE", self.content_keys),
                ("TABLE", self.candidates),
                ("TABLE", self.bad),
            ):
                try:
                    con.execute(f"DROP {kind} IF EXISTS {name}")
                except duckdb.Error:
                    pass  # the transaction failed; the rollback drops them

    def _checked_sql(self, rows: str | None = None) -> str:
        """One row per input row: converted values, whether it can land (``__ok``, and its
        negation ``__bad``) and if not why (``__reason``), its id key, its raw values and (for
        rows without an id) its content hash. ``rows`` replaces the input relation (e.g. by a
        filtered subquery of it)."""
        fields = self.table.fields
        level1 = ["__line"]
        level2 = ["__line"]
        out = ["__line"]
        reasons: list[str] = []
        oks: list[str] = []  # all true: the row can land
        bads: list[str] = []  # any true: it cannot (the negation of ``oks``, without NOT)
        raw_alias = {n: ident(f"r__{i}") for i, (n, _) in enumerate(self.raw.columns)}
        for f in fields:
            col = self.mapping.get(f.name)
            c, v = ident(f"c__{f.name}"), ident(f.name)
            if col is None:
                level2.append(f"CAST(NULL AS {f.sql_type}) AS {v}")
                out.append(v)
                continue
            duck_type = self.types[col]
            level1.append(f"{parsing.clean_expr(f.parser, ident(col), duck_type)} AS {c}")
            level2 += [c, f"{parsing.value_expr(f.parser, c, duck_type, self.ctx)} AS {v}"]
            out.append(v)
            problem = parsing.problem_expr(f.parser, f.name, c, v, duck_type, self.ctx)
            if f.required:
                reasons.append(f"CASE WHEN {c} IS NULL THEN {lit(f.name + ' is missing')} END")
                oks.append(parsing.present_expr(f.parser, raw_alias[col], duck_type))
                bads.append(parsing.absent_expr(f.parser, raw_alias[col], duck_type))
            if problem != "NULL":
                reasons.append(f"CASE WHEN {c} IS NOT NULL THEN {problem} END")
                # a problem expression is NULL exactly when the value is fine
                oks.append(f"({c} IS NULL OR ({problem}) IS NULL)")
                bads.append(f"({c} IS NOT NULL AND ({problem}) IS NOT NULL)")
        if self.table.name == "referrals":
            reasons.append(
                "CASE WHEN referrer_id = referee_id THEN 'referrer_id and referee_id are the same "
                "customer (' || referrer_id || ')' END"
            )
            oks.append("coalesce(referrer_id <> referee_id, true)")
            bads.append("coalesce(referrer_id = referee_id, false)")
        # the raw values pass through untouched; their JSON is built at the outer level, so a
        # step that selects the bad rows builds it for those rows only
        raws = [(ident(n), raw_alias[n], lit(n)) for n, _ in self.raw.columns]
        level1 += [f"{src} AS {alias}" for src, alias, _ in raws]
        level2 += [alias for _, alias, _ in raws]
        pairs = ", ".join(f"{name}, {alias}" for _, alias, name in raws)
        out.append(f"CAST(json_object({pairs}) AS VARCHAR) AS __raw")
        extras = [name for name, _ in self.raw.columns if name not in self.mapping.values()]
        if extras:
            pairs = ", ".join(f"{lit(e)}, {ident(e)}" for e in extras)
            level1.append(f"json_object({pairs}) AS __extra")
            level2.append("__extra")
            out.append("__extra")
        else:
            out.append("CAST(NULL AS JSON) AS __extra")
        reason = f"nullif(concat_ws('; ', {', '.join(reasons)}), '')" if reasons else "CAST(NULL AS VARCHAR)"
        ok = " AND ".join(oks) if oks else "true"
        bad = " OR ".join(bads) if bads else "false"
        if self.table.name == "transactions":
            out.append("amount < 0 AS is_return")
        key = self.table.key
        key_expr = ident(key) if key is not None and key in self.mapping else "CAST(NULL AS VARCHAR)"
        return (
            f"SELECT *, CASE WHEN __key IS NULL THEN {self._content_hash()} END AS __hash "
            f"FROM (SELECT {', '.join(out)}, {ok} AS __ok, {bad} AS __bad, {reason} AS __reason, "
            f"{key_expr} AS __key FROM (SELECT {', '.join(level2)} "
            f"FROM (SELECT {', '.join(level1)} FROM {rows or self.raw.relation})))"
        )

    def _bad_on_input(self) -> str | None:
        """``__bad`` written over the input's own columns, or None where that would be costly.

        The quarantine step filters the input itself with it, so the filter runs right on the
        scan and the checked view (raw JSON, reasons) is computed for the few rows that pass
        only; a filter on the checked view sits above the projections that convert every row
        (10M Parquet rows: ~0.8 instead of ~1.2 CPU-seconds). Inlined, each value expression
        repeats its input expression, so this is only done where every checked value converts
        by a cast (typed input such as Parquet); for text that needs parsing (CSV) it is None.
        """
        terms: list[str] = []
        for f in self.table.fields:
            col = self.mapping.get(f.name)
            if col is None:
                continue
            src, duck_type = ident(col), self.types[col]
            if f.required:
                terms.append(parsing.absent_expr(f.parser, src, duck_type))
            if f.parser in ("id", "text"):
                continue  # only ever missing, never wrong
            if not parsing.converts_by_cast(f.parser, duck_type):
                return None
            value = f"({parsing.value_expr(f.parser, src, duck_type, self.ctx)})"
            problem = parsing.problem_expr(f.parser, f.name, src, value, duck_type, self.ctx)
            terms.append(f"({src} IS NOT NULL AND ({problem}) IS NOT NULL)")
        if self.table.name == "referrals":
            a, b = (
                parsing.clean_expr("id", ident(self.mapping[n]), self.types[self.mapping[n]])
                for n in ("referrer_id", "referee_id")
            )
            terms.append(f"coalesce(({a}) = ({b}), false)")
        return " OR ".join(terms) if terms else "false"

    def _content_hash(self) -> str:
        parts = ", ".join(f"coalesce(CAST({ident(c)} AS VARCHAR), chr(0))" for c in self.table.columns)
        return f"md5(concat_ws(chr(31), {parts}))"

    def _scan_keys(self) -> tuple[bool, bool]:
        """Whether some rows have no id, and whether some id may occur twice in the input.

        One narrow pass streams the ids (Arrow batches, compared vectorised, never row by row
        in Python). Ids that arrive strictly increasing (as most exports write them) are all
        distinct, so no grouping is needed; otherwise the ids are grouped by 64-bit hash and
        the hashes seen more than once are kept in ``candidates`` for the exact check.
        """
        if self.table.key is None:
            return True, False
        if self.table.key not in self.mapping:
            return not self.table.key_required, False
        reader = self.con.sql(f"SELECT __key FROM {self.checked}").to_arrow_reader(KEY_BATCH_ROWS)
        missing, last, increasing = 0, None, True
        try:
            for batch in reader:
                keys = batch.column(0)
                missing += keys.null_count
                keys = pc.drop_null(keys)
                if len(keys) == 0:
                    continue
                if last is not None and not pc.greater(keys[0], last).as_py():
                    increasing = False
                    break
                if len(keys) > 1 and not pc.all(pc.greater(keys[1:], keys[:-1])).as_py():
                    increasing = False
                    break
                last = keys[-1]
        finally:
            reader.close()
        if increasing:
            return missing > 0, False
        self.con.execute(
            f"CREATE TEMP TABLE {self.candidates} AS SELECT __h, n FROM ("
            f"SELECT CASE WHEN __key IS NOT NULL THEN hash(__key) END AS __h, count(*) AS n "
            f"FROM {self.checked} GROUP BY 1) WHERE n > 1 OR __h IS NULL"
        )
        missing, repeated = self.con.execute(
            f"SELECT coalesce(sum(n) FILTER (WHERE __h IS NULL), 0), count(__h) FROM {self.candidates}"
        ).fetchone()
        return missing > 0, repeated > 0

    def _content_keys(self, keyless: bool) -> None:
        """Key the good rows without an id by content + occurrence number within this input,
        and define the keyed view (``__row_key`` stored, ``__rkey`` the effective key)."""
        con = self.con
        plain = (
            f"CREATE TEMP VIEW {self.keyed} AS SELECT *, CAST(NULL AS VARCHAR) AS __row_key, "
            f"__key AS __rkey FROM {self.checked}"
        )
        if self.table.key_required or not keyless:
            con.execute(plain)
            return
        con.execute(
            f"CREATE TEMP TABLE {self.content_keys} AS "
            f"SELECT __line, '#' || __hash || ':' || row_number() OVER (PARTITION BY __hash ORDER BY __line) AS __row_key "
            f"FROM {self.checked} WHERE __key IS NULL AND __ok"
        )
        if con.execute(f"SELECT count(*) FROM {self.content_keys}").fetchone()[0] == 0:
            con.execute(plain)
            return
        con.execute(
            f"CREATE TEMP VIEW {self.keyed} AS SELECT s.*, k.__row_key, coalesce(s.__key, k.__row_key) AS __rkey "
            f"FROM {self.checked} s LEFT JOIN {self.content_keys} k USING (__line)"
        )

    def _same_and_diff(self, a: str, b: str, a_name: str, b_name: str) -> tuple[str, str]:
        cols = list(self.table.columns)
        same = " AND ".join(f"{a}.{ident(c)} IS NOT DISTINCT FROM {b}.{ident(c)}" for c in cols)
        diffs = ", ".join(
            f"CASE WHEN {a}.{ident(c)} IS DISTINCT FROM {b}.{ident(c)} THEN "
            f"{lit(c + ': ')} || {a_name} || ' has ' || coalesce(CAST({a}.{ident(c)} AS VARCHAR), 'nothing') "
            f"|| ', ' || {b_name} || ' has ' || coalesce(CAST({b}.{ident(c)} AS VARCHAR), 'nothing') END"
            for c in cols
        )
        return same, f"concat_ws('; ', {diffs})"

    def _duplicates_in_input(self) -> None:
        """Repeats of an id within the input: the first good line wins; later identical lines are
        already present, later different lines are conflicts."""
        con = self.con
        dups = f"{self.classified}_dups"
        # the candidates' exact keys among the good rows (a hash may merely collide)
        con.execute(
            f"CREATE TEMP TABLE {dups} AS SELECT __key, min(__line) AS first_line "
            f"FROM {self.checked} WHERE hash(__key) IN (SELECT __h FROM {self.candidates} WHERE __h IS NOT NULL) "
            f"AND __key IS NOT NULL AND __ok GROUP BY __key HAVING count(*) > 1"
        )
        try:
            if con.execute(f"SELECT count(*) FROM {dups}").fetchone()[0] == 0:
                return
            same, diff = self._same_and_diff("o", "s", "'line ' || o.__line", "'this line'")
            rows = f"(SELECT * FROM {self.checked} WHERE __key IN (SELECT __key FROM {dups}) AND __ok)"
            con.execute(
                f"""
                INSERT INTO {self.classified}
                SELECT s.__line,
                       CASE WHEN {same} THEN 'present' ELSE 'conflict' END,
                       CASE WHEN NOT ({same}) THEN
                           {lit(self.table.key + ' ')} || chr(39) || s.__key || chr(39) || ' is also on line '
                           || o.__line || ' with different values (' || {diff} || ')' END
                FROM {rows} s JOIN {dups} f USING (__key) JOIN {rows} o ON o.__line = f.first_line
                WHERE s.__line <> f.first_line
                """
            )
        finally:
            try:
                con.execute(f"DROP TABLE IF EXISTS {dups}")
            except duckdb.Error:
                pass  # the transaction failed; the rollback drops it

    def _unclassified(self) -> str:
        """SQL condition keeping the good rows not yet found present or conflicting."""
        if self.con.execute(f"SELECT count(*) FROM {self.classified}").fetchone()[0] == 0:
            return "__ok"
        return f"__ok AND __line NOT IN (SELECT __line FROM {self.classified})"

    def _duplicates_in_store(self) -> None:
        """Rows whose (source, key) the store already holds: present if equal, else conflicts."""
        name = self.table.name
        held = self.con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {name} WHERE source = ? LIMIT 1)", [self.source]
        ).fetchone()[0]
        if not held:
            return
        con = self.con
        cols = ", ".join(ident(c) for c in self.table.columns)
        key = key_sql(self.table)
        matches = f"{self.classified}_matches"
        # match 64-bit hashes of key and values (narrow, so large reloads stay small in memory);
        # rows whose values differ are then matched on the exact key, which also drops the
        # (astronomically rare) rows whose key hash merely collided with another key's.
        # ``same`` is NULL for rows the store does not hold.
        con.execute(
            f"""
            CREATE TEMP TABLE {matches} AS
            SELECT s.__line, s.__h = t.__h AS same
            FROM (SELECT __line, hash(__rkey) AS __kh, hash({cols}) AS __h FROM {self.keyed}
                  WHERE {self._unclassified()}) s
            LEFT JOIN (SELECT hash({key}) AS __kh, hash({cols}) AS __h FROM {name} WHERE source = {lit(self.source)}) t
              ON t.__kh = s.__kh
            """
        )
        try:
            new, present, differ = con.execute(
                f"SELECT count(*) FILTER (WHERE same IS NULL), count(*) FILTER (WHERE same), "
                f"count(*) FILTER (WHERE NOT same) FROM {matches}"
            ).fetchone()
            if differ:
                same, diff = self._same_and_diff("t", "s", "'the store'", "'this line'")
                what = (
                    f"{lit(self.table.key + ' ')} || chr(39) || s.__rkey || chr(39)"
                    if self.table.key
                    else "'an identical row'"
                )
                con.execute(
                    f"""
                    INSERT INTO {self.classified}
                    SELECT s.__line, 'conflict',
                           {what} || ' is already in the store (source ' || t.source || ', load '
                           || t.load_id || ', line ' || coalesce(CAST(t.line AS VARCHAR), '?')
                           || ') with different values (' || {diff} || ')'
                    FROM (SELECT * FROM {self.keyed}
                          WHERE __line IN (SELECT __line FROM {matches} WHERE NOT same)) s
                    JOIN (SELECT *, {key} AS __tkey FROM {name} WHERE source = {lit(self.source)}) t
                      ON t.__tkey = s.__rkey
                    """
                )
                # a row whose key hash collided but whose exact key the store lacks is new
                new += differ - con.execute(
                    f"SELECT count(*) FROM {self.classified} WHERE status = 'conflict' AND __line IN "
                    f"(SELECT __line FROM {matches} WHERE NOT same)"
                ).fetchone()[0]
            self.pending = int(new)
            if present and new:  # the insert must skip them
                con.execute(
                    f"INSERT INTO {self.classified} SELECT __line, 'present', NULL FROM {matches} WHERE same"
                )
            elif present:  # nothing to insert: counting them is enough
                self.present_in_store = int(present)
        finally:
            try:
                con.execute(f"DROP TABLE IF EXISTS {matches}")
            except duckdb.Error:
                pass  # the transaction failed; the rollback drops it

    def _insert_rows(self) -> int:
        """Insert the good, unclassified rows straight from the (re-read) input."""
        if self.pending == 0:
            return 0  # every good row is already present or conflicting (e.g. the same file again)
        name = self.table.name
        cols = list(self.table.columns) + (["is_return"] if name == "transactions" else [])
        col_sql = ", ".join(ident(c) for c in cols)
        row = self.con.execute(
            f"INSERT INTO {name} ({col_sql}, source, row_key, load_id, line, extra) "
            f"SELECT {col_sql}, {lit(self.source)}, __row_key, {self.load_id}, __line, __extra "
            f"FROM {self.keyed} WHERE {self._unclassified()}"
        ).fetchone()
        return int(row[0]) if row else 0

    def _counts(self, loaded: int) -> _Counts:
        """How many rows were read, and where the good ones went (before the quarantine)."""
        con = self.con
        rows = con.execute(f"SELECT count(*) FROM {self.raw.relation}").fetchone()[0]
        rejected = con.execute(f"SELECT count(*) FROM {self.raw.rejects}").fetchone()[0] if self.raw.rejects else 0
        present, conflicts = con.execute(
            f"SELECT count(*) FILTER (WHERE status = 'present'), count(*) FILTER (WHERE status = 'conflict') "
            f"FROM {self.classified}"
        ).fetchone()
        return _Counts(
            read=int(rows + rejected),
            loaded=int(loaded),
            present=int(self.present_in_store + present),
            conflicts=int(conflicts),
            rejected=int(rejected),
            failing=int(rows - loaded - self.present_in_store - present - conflicts),
        )

    def _quarantine(self, counts: _Counts) -> int:
        """Write the rows that cannot land; a row quarantined by an earlier load of the same
        content (same source, kind, raw values and occurrence) is not written twice.

        The input is scanned for the rows failing a check only if some are left over: when the
        good rows account for every row read (a clean file), that scan is skipped."""
        con = self.con
        bad = []
        if counts.failing:
            on_input = self._bad_on_input()
            rows = (
                f"({self._checked_sql(f'(SELECT * FROM {self.raw.relation} WHERE {on_input})')})"
                if on_input is not None
                else self.checked
            )
            bad.append(f"SELECT __line AS line, __reason AS reason, __raw AS raw FROM {rows} WHERE __bad")
        if counts.conflicts:
            bad.append(
                f"SELECT c.__line AS line, c.reason, s.__raw AS raw FROM {self.classified} c "
                f"JOIN {self.checked} s USING (__line) WHERE c.status = 'conflict'"
            )
        if counts.rejected:
            bad.append(
                f"SELECT __line AS line, reason, CAST(json_object('line', raw) AS VARCHAR) AS raw "
                f"FROM {self.raw.rejects}"
            )
        if not bad:
            return 0
        con.execute(f"CREATE TEMP TABLE {self.bad} AS {' UNION ALL '.join(bad)}")
        total = con.execute(f"SELECT count(*) FROM {self.bad}").fetchone()[0]
        if not total:
            return 0
        con.execute(
            f"""
            INSERT INTO quarantine (load_id, kind, source, file, line, reason, raw, row_key, quarantined_at)
            SELECT {self.load_id}, {lit(self.table.name)}, {lit(self.source)}, {lit(self.raw.label)},
                   line, reason, raw, row_key, {lit(self.ctx.now.isoformat(sep=' '))}::TIMESTAMP
            FROM (
                SELECT *, md5(raw) || ':' || row_number() OVER (PARTITION BY md5(raw) ORDER BY line) AS row_key
                FROM {self.bad}
            ) b
            WHERE NOT EXISTS (
                SELECT 1 FROM quarantine q
                WHERE q.source = {lit(self.source)} AND q.kind = {lit(self.table.name)} AND q.row_key = b.row_key
            )
            """
        )
        return int(total)

    def _finish(self, counts: _Counts, quarantined: int) -> LoadResult:
        con = self.con
        read, loaded, present = counts.read, counts.loaded, counts.present
        returns = 0
        if self.table.name == "transactions" and loaded:
            returns = con.execute(
                "SELECT count(*) FROM transactions WHERE load_id = ? AND is_return", [self.load_id]
            ).fetchone()[0]
        if loaded + present + quarantined != read:
            raise StoreError(
                f"internal check failed: {read} rows read but {loaded} loaded + {present} already "
                f"present + {quarantined} quarantined; the load was rolled back"
            )
        con.execute(
            "UPDATE loads SET finished_at = ?, rows_read = ?, loaded = ?, already_present = ?, "
            "quarantined = ?, returns = ? WHERE load_id = ?",
            [_utcnow(), read, loaded, present, quarantined, returns, self.load_id],
        )
        return LoadResult(
            kind=self.table.name,
            source=self.source,
            file=self.raw.label,
            load_id=self.load_id,
            rows_read=int(read),
            loaded=int(loaded),
            already_present=int(present),
            quarantined=int(quarantined),
            returns=int(returns),
        )
