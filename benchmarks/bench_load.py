"""Benchmark: load transactions from Parquet into the store, with validation and dedup.

Target (issue 2): 10 million rows at >= 2 million rows/s on a 2-core machine, peak memory <= 2 GB.
Baseline, in the same run: a naive pandas read + validate + insert of the same file.

Each measurement runs in a fresh subprocess (peak RSS from ``os.wait4``); the table shows medians.

    .venv/bin/python benchmarks/bench_load.py            # 10M rows, 3 repeats
    .venv/bin/python benchmarks/bench_load.py --quick    # 1M rows
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import describe

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def make_data(rows: int) -> Path:
    """A Parquet file of ``rows`` transactions: ~5% returns, 0.1% missing customer ids, 0.05%
    future dates (these rows are quarantined)."""
    import duckdb

    path = DATA / f"bench_load_{rows}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"""
        COPY (
            SELECT 'T' || lpad(CAST(i AS VARCHAR), 9, '0') AS transaction_id,
                   CASE WHEN h % 1000 = 0 THEN NULL ELSE 'C' || CAST(h % 1000003 AS VARCHAR) END AS customer_id,
                   CASE WHEN h % 2000 = 1 THEN TIMESTAMP '2199-01-01'
                        ELSE TIMESTAMP '2020-01-01' + to_seconds(CAST(h % 126000000 AS BIGINT)) END AS timestamp,
                   round(CASE WHEN h % 20 = 3 THEN -1 ELSE 1 END * ((h >> 20) % 50000) / 100.0, 2) AS amount,
                   'P' || CAST((h >> 8) % 20000 AS VARCHAR) AS product_id,
                   'category_' || CAST((h >> 12) % 40 AS VARCHAR) AS category,
                   'brand_' || CAST((h >> 16) % 300 AS VARCHAR) AS brand,
                   CAST(1 + (h >> 24) % 4 AS BIGINT) AS quantity,
                   CASE (h >> 28) % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'store' ELSE 'phone' END AS channel
            FROM (SELECT range AS i, hash(range) AS h FROM range({rows}))
        ) TO '{path}' (FORMAT parquet)
        """
    )
    con.close()
    return path


def make_shuffled(path: Path) -> Path:
    """The same rows in a scrambled order, so the ids do not arrive sorted (the loader then
    has to group them to find repeats instead of seeing at once that they are distinct)."""
    return _derived(path, "shuffled", "ORDER BY hash(transaction_id)")


def make_clean(path: Path) -> Path:
    """The same rows without those that fail a check (a clean export): nothing to quarantine."""
    return _derived(path, "clean", "WHERE customer_id IS NOT NULL AND timestamp < TIMESTAMP '2100-01-01'")


def make_csv(path: Path) -> Path:
    """The same rows as a CSV file (ISO timestamps, '.' decimals): every value is parsed from text."""
    return _derived(path, "csv", "", fmt="csv")


def _derived(path: Path, name: str, clause: str, fmt: str = "parquet") -> Path:
    """``path``'s rows with ``clause`` applied, written (once) beside it as ``<stem>_<name>.<fmt>``."""
    import duckdb

    out = path.with_name(f"{path.stem}_{name}.{fmt}")
    if out.exists():
        return out
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
    con.execute(f"COPY (SELECT * FROM read_parquet('{path}') {clause}) TO '{out}' ({options})")
    con.close()
    return out


# -- the measured jobs (run in a child process) -------------------------------------------------


def job_clientele(path: str, store: str, reload: bool) -> dict:
    from clientele.store import Store

    with Store.open(store) as s:
        if reload:
            s.load("transactions", path, source="shop")
        t0, c0 = time.perf_counter(), time.process_time()
        result = s.load("transactions", path, source="shop")
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "loaded": result.loaded,
        "quarantined": result.quarantined,
        "already_present": result.already_present,
        "rows": result.rows_read,
    }


def job_pandas(path: str, store: str, reload: bool) -> dict:
    """The naive way: pandas reads, validates and de-duplicates, then DuckDB stores the frame."""
    import duckdb
    import numpy as np
    import pandas as pd

    t0, c0 = time.perf_counter(), time.process_time()
    df = pd.read_parquet(path)
    now = pd.Timestamp.now(tz="UTC").tz_localize(None) + pd.Timedelta(days=1)
    ts = pd.to_datetime(df["timestamp"], errors="coerce")
    amount = pd.to_numeric(df["amount"], errors="coerce")
    cust = df["customer_id"].astype("string").str.strip()
    bad = cust.isna() | (cust == "") | ts.isna() | (ts > now) | ~np.isfinite(amount)
    dup = df["transaction_id"].duplicated(keep="first") & ~bad
    good = df[~bad & ~dup].assign(
        timestamp=ts[~bad & ~dup], amount=amount[~bad & ~dup], is_return=amount[~bad & ~dup] < 0
    )
    quarantine = df[bad | dup]
    con = duckdb.connect(store)
    con.execute("CREATE TABLE transactions AS SELECT *, 'shop' AS source FROM good")
    con.execute("CREATE TABLE quarantine AS SELECT * FROM quarantine")
    con.close()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "loaded": len(good),
        "quarantined": len(quarantine),
        "already_present": 0,
        "rows": len(df),
    }


def job_duckdb_floor(path: str, store: str, reload: bool) -> dict:
    """Not a loader: DuckDB copying the file into a table with no checks at all (the floor)."""
    import duckdb

    t0, c0 = time.perf_counter(), time.process_time()
    con = duckdb.connect(store)
    con.execute("SET enable_progress_bar = false")
    n = con.execute(f"CREATE TABLE transactions AS SELECT * FROM read_parquet('{path}')").fetchall()[0][0]
    con.close()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"seconds": seconds, "cpu_s": cpu, "loaded": n, "quarantined": 0, "already_present": 0, "rows": n}


JOBS = {"clientele": job_clientele, "pandas": job_pandas, "floor": job_duckdb_floor}


def run_child(job: str, path: Path, reload: bool) -> dict:
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        store = str(Path(tmp) / "bench.duckdb")
        cmd = [sys.executable, __file__, "--child", job, str(path), store] + (["--reload"] if reload else [])
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise SystemExit(f"{job} failed with status {status}")
    result = json.loads(out)
    result["peak_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return result



def machine() -> str:
    return describe()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="1 million rows")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("JOB", "FILE", "STORE"), help=argparse.SUPPRESS)
    parser.add_argument("--reload", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        job, path, store = args.child
        print(json.dumps(JOBS[job](path, store, args.reload)))
        return
    if args.prepare:
        path = make_data(args.prepare)
        print(json.dumps({
            "machine": machine(), "path": str(path), "shuffled": str(make_shuffled(path)), "clean": str(make_clean(path)),
            "csv": str(make_csv(path)),
        }))
        return

    rows = 1_000_000 if args.quick else args.rows
    # the data and the machine line come from a child: a child's peak RSS on Linux starts at
    # its parent's, so this process stays small (no duckdb or pandas imported here)
    prepared = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--prepare", str(rows)], stdout=subprocess.PIPE, check=True
        ).stdout
    )
    print(f"Machine: {prepared['machine']}\n")
    path, shuffled, clean, csv = (Path(prepared[k]) for k in ("path", "shuffled", "clean", "csv"))
    cases = [
        ("clientele `Store.load` (DuckDB SQL over the file)", "clientele", False, path),
        ("clientele, ids not in order (repeats found by grouping)", "clientele", False, shuffled),
        ("clientele, a clean file (the same rows less the 0.15% that fail a check)", "clientele", False, clean),
        ("clientele, the same rows as CSV (every value parsed from text)", "clientele", False, csv),
        ("clientele, same file again (all already present)", "clientele", True, path),
        ("baseline: naive pandas read + validate + insert", "pandas", False, path),
        ("floor: DuckDB copies the file into a table, no checks", "floor", False, path),
    ]
    print(
        f"Loading {rows:,} transactions from Parquet ({path.stat().st_size / 2**20:.0f} MB; as CSV {csv.stat().st_size / 2**20:.0f} MB), "
        f"median of {args.repeat} runs, each in a fresh process:\n"
    )
    print(
        "| method | rows | loaded | quarantined | median time (s) | rows/s | CPU time (s) | peak memory (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, job, reload, data in cases:
        runs = [run_child(job, data, reload) for _ in range(args.repeat)]
        secs = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu_s"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        r0 = runs[0]
        loaded = r0["loaded"] if not reload else r0["already_present"]
        print(
            f"| {label} | {r0['rows']:,} | {loaded:,} | {r0['quarantined']:,} | {secs:.2f} | "
            f"{r0['rows'] / secs:,.0f} | {cpu:.1f} | {peak:,.0f} |",
            flush=True,
        )
    print(
        "\nTime and CPU time (all threads) are of the measured load only; peak memory is of the"
        " whole child process (the reload row's includes its first load). The 'loaded' column of"
        " the reload row counts rows found already present."
    )


if __name__ == "__main__":
    main()
