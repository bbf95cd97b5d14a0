"""RFM summary speed and memory: clientele (Ibis on DuckDB) against lifetimes, side by side.

Run: ``.venv/bin/python benchmarks/bench_rfm.py [--customers 1000000] [--repeats 3]``

Generates a transaction log (about 9 transactions per customer over two years, day
resolution) into benchmarks/data/ as Parquet and as a DuckDB file, then times each case in a
fresh subprocess: median wall time and CPU time (user + system, all threads) of the call
itself, and the peak resident memory of the whole process (VmHWM). Prints a markdown table
with the machine's description and load average: on a shared machine the wall time grows
with the load, the CPU time much less.
The baseline, lifetimes' ``summary_data_from_transaction_data`` (pandas), runs on the same
full log and on a slice of about 1 million transactions, next to clientele on both.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _machine import describe

DATA = Path(__file__).resolve().parent / "data"
OBSERVATION_END = "2025-12-31"
SLICE_ROWS = 1_000_000


def generate(customers: int, seed: int = 7) -> tuple[Path, Path, Path]:
    """Write the full log (Parquet + DuckDB) and a ~1M-row slice (Parquet); reuse if present."""
    import duckdb
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    DATA.mkdir(parents=True, exist_ok=True)
    parquet = DATA / f"rfm_{customers}.parquet"
    db = DATA / f"rfm_{customers}.duckdb"
    sliced = DATA / f"rfm_{customers}_slice.parquet"
    if parquet.exists() and db.exists() and sliced.exists():
        _add_text_keys(db)
        return parquet, db, sliced
    rng = np.random.default_rng(seed)
    counts = 1 + rng.negative_binomial(1, 1 / 9, customers)  # mean 9 transactions
    total = int(counts.sum())
    customer = np.repeat(np.arange(1, customers + 1, dtype=np.int64), counts)
    first = rng.integers(0, 730, customers)  # first purchase over 2024-2025
    starts = np.cumsum(counts) - counts
    is_first = np.zeros(total, dtype=bool)
    is_first[starts] = True
    span = 730 - np.repeat(first, counts)
    offset = np.where(is_first, 0, (rng.random(total) * span).astype(np.int64))
    day = np.datetime64("2024-01-01") + (np.repeat(first, counts) + offset).astype("timedelta64[D]")
    amount = np.round(rng.gamma(2.0, 20.0, total), 2)
    table = pa.table({"customer_key": customer, "timestamp": day.astype("datetime64[us]"), "amount": amount})
    pq.write_table(table, parquet, row_group_size=1 << 20)
    db.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE transactions AS SELECT * FROM read_parquet('{parquet}')")
    _add_text_keys(db)
    cut = int(np.searchsorted(np.cumsum(counts), SLICE_ROWS))
    pq.write_table(table.slice(0, int(np.cumsum(counts)[cut])), sliced)
    return parquet, db, sliced


def _add_text_keys(db: Path) -> None:
    """A copy with text keys like the store's ``purchases`` view (``source:customer_id``)."""
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS transactions_text AS SELECT 'shop:' || customer_key AS customer_key, "
            "timestamp, amount FROM transactions"
        )


# --------------------------------------------------------------------------- workers


def worker(case: str, path: str) -> dict:
    """Run one case once in this process; return its wall time (s) and output size."""
    if case == "lifetimes":
        import pandas as pd
        from lifetimes.utils import summary_data_from_transaction_data

        frame = pd.read_parquet(path)
        start, cpu = time.perf_counter(), _cpu()
        out = summary_data_from_transaction_data(
            frame, "customer_key", "timestamp", "amount", observation_period_end=OBSERVATION_END, freq="D"
        )
        return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu, "customers": len(out)}

    import ibis

    from clientele.rfm import export_rfm, rfm_summary

    con = ibis.duckdb.connect(path, read_only=True) if path.endswith(".duckdb") else ibis.duckdb.connect()
    if path.endswith(".duckdb"):
        table = con.table("transactions_text" if case == "summary_text" else "transactions")
    else:
        table = con.read_parquet(path)
    start, cpu = time.perf_counter(), _cpu()
    if case in ("summary", "summary_text"):
        customers = len(rfm_summary(table, observation_end=OBSERVATION_END, time_unit="W"))
    elif case == "export":
        out = DATA / "rfm_out.parquet"
        customers = export_rfm(table, out, observation_end=OBSERVATION_END, time_unit="W")["customers"]
    elif case == "holdout":
        customers = len(
            rfm_summary(table, observation_end=OBSERVATION_END, calibration_end="2025-06-30", time_unit="W")
        )
    else:
        raise SystemExit(f"unknown case {case}")
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu, "customers": customers}


def peak_rss_mib() -> float:
    """This process's peak resident set size (VmHWM; it restarts at exec, unlike ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds (user + system, all threads) used by this process so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(case: str, path: Path, repeats: int) -> dict:
    """Median wall time and peak RSS of ``repeats`` fresh processes running ``case``."""
    seconds, cpus, peaks, customers = [], [], [], None
    for _ in range(repeats):
        proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", case, str(path)], stdout=subprocess.PIPE, text=True
        )
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"case {case} failed with status {proc.returncode}")
        result = json.loads(out.strip().splitlines()[-1])
        seconds.append(result["seconds"])
        cpus.append(result["cpu"])
        peaks.append(result["peak_mib"])
        customers = result["customers"]
    return {
        "seconds": statistics.median(seconds),
        "cpu": statistics.median(cpus),
        "peak_mib": max(peaks),
        "customers": customers,
    }



def machine() -> str:
    return describe("lifetimes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = worker(*args.worker)
        result["peak_mib"] = peak_rss_mib()
        print(json.dumps(result))
        return
    parquet, db, sliced = generate(args.customers)
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(parquet).metadata.num_rows
    slice_rows = pq.ParquetFile(sliced).metadata.num_rows
    cases = [
        ("clientele `rfm_summary` -> pandas", "summary", db, rows, "DuckDB file"),
        ("clientele `export_rfm` -> Parquet (CLI path)", "export", db, rows, "DuckDB file"),
        ("clientele `rfm_summary` with holdout", "holdout", db, rows, "DuckDB file"),
        ("clientele `rfm_summary` -> pandas", "summary_text", db, rows, "DuckDB file, text keys"),
        ("clientele `rfm_summary` -> pandas", "summary", parquet, rows, "Parquet"),
        ("clientele `rfm_summary` -> pandas", "summary", sliced, slice_rows, "Parquet (slice)"),
        ("lifetimes `summary_data_from_transaction_data` (baseline)", "lifetimes", parquet, rows,
         "Parquet -> pandas"),
        ("lifetimes `summary_data_from_transaction_data` (baseline)", "lifetimes", sliced, slice_rows,
         "Parquet (slice) -> pandas"),
    ]
    print(f"Machine: {machine()}\n")
    print(f"Median of {args.repeats} runs, each in a fresh process; peak = the process's peak resident set size.")
    print(f"Load average at start (other work on the machine slows every case alike): {_load()}\n")
    print("| implementation | input | transactions | customers | median time (s) | median CPU time (s) "
          "| peak memory (MiB) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, case, path, n, kind in cases:
        result = measure(case, path, args.repeats)
        print(
            f"| {label} | {kind} | {n:,} | {result['customers']:,} | {result['seconds']:.2f} "
            f"| {result['cpu']:.2f} | {result['peak_mib']:,.0f} |",
            flush=True,
        )
    print(f"\nLoad average at end: {_load()}")


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
