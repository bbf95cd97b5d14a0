"""End-to-end pipeline benchmark: Parquet transactions -> RFM -> BG/NBD + Gamma-Gamma -> 12-month CLV.

clientele (DuckDB RFM on the Parquet file, ``clientele.models``, ``clientele.clv``) side by side with
the same pipeline in lifetimes (pandas ``read_parquet`` -> ``summary_data_from_transaction_data``
-> ``BetaGeoFitter`` + ``GammaGammaFitter`` -> ``customer_lifetime_value``), in one run. Each
configuration runs in its own subprocess so its peak RSS is clean.

Each run reports its imports (the libraries, paid once per process), the three stages, their
sum (the pipeline, what a notebook or a scheduled job that has imported its libraries waits
for) and the whole process, and the script prints both speed-ups.

Run: ``.venv/bin/python benchmarks/bench_pipeline.py [--customers 1000000 ...] [--repeats 3] [--no-lifetimes]``
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _machine import describe

DATA = Path(__file__).parent / "data"
START = np.datetime64("2024-01-01T00:00:00", "s")
DAYS = 730
OBS_END = "2025-12-30"


def simulate(n_customers: int, seed: int = 11, chunk: int = 1_000_000) -> Path:
    """Simulated BG/NBD purchases (day resolution) with gamma-gamma spend, as Parquet.

    Written ``chunk`` customers at a time (each chunk its own seeded stream), so 10 million
    customers / ~85 million transactions need about 1.5 GB to generate.
    """
    import pyarrow.parquet as pq

    path = DATA / f"pipeline_{n_customers}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    writer = None
    try:
        for first in range(0, n_customers, chunk):
            rng = np.random.default_rng([seed, first // chunk]) if n_customers > chunk else np.random.default_rng(seed)
            table = _simulate_chunk(rng, first, min(chunk, n_customers - first))
            if writer is None:
                writer = pq.ParquetWriter(partial, table.schema)
            writer.write_table(table, row_group_size=1_000_000)
    finally:
        if writer is not None:
            writer.close()
    partial.rename(path)
    return path


def _simulate_chunk(rng: np.random.Generator, first: int, n: int):
    import pyarrow as pa
    import pyarrow.compute as pc

    lam = rng.gamma(2.0, 1.0 / 60.0, n)  # purchases per day while alive (r=2, alpha=60)
    p_drop = rng.beta(1.0, 7.0, n)  # dropout after each purchase (a=1, b=7)
    birth = rng.uniform(0, DAYS * 0.6, n)
    repeats = np.minimum(rng.geometric(p_drop) - 1, 400)  # purchases made before dropping out
    owner = np.repeat(np.arange(n), repeats)
    gaps = rng.exponential(1.0, owner.size) / lam[owner]
    csum = np.concatenate([[0.0], np.cumsum(gaps)])
    starts = np.cumsum(repeats) - repeats  # each customer's first gap
    times = birth[owner] + csum[1:] - csum[starts][owner]  # time since birth of each repeat
    keep = times < DAYS
    cust = np.concatenate([np.arange(n), owner[keep]])
    day = np.concatenate([birth, times[keep]])
    nu = rng.gamma(4.0, 1.0 / 15.0, n)  # gamma-gamma: q=4, gamma=15, p=6
    amount = np.round(rng.gamma(6.0, 1.0, cust.size) / nu[cust], 2) + 0.01
    ts = START + (day * 86400).astype("timedelta64[s]")
    ids = pc.binary_join_element_wise("C", pc.cast(pa.array(cust + first), pa.string()), "")
    return pa.table({"customer_id": ids, "timestamp": pa.array(ts), "amount": pa.array(amount)})


def run_clientele(path: str, memory_limit: str | None = None) -> dict:
    start = time.perf_counter()
    import ibis
    import ibis.backends.duckdb  # noqa: F401  (ibis loads a backend on first use: an import too)

    from clientele.clv import score_customers
    from clientele.models import BGNBD, GammaGamma
    from clientele.rfm import rfm_summary

    t0 = time.perf_counter()
    con = ibis.duckdb.connect(**({"memory_limit": memory_limit} if memory_limit else {}))
    table = con.read_parquet(path)
    rfm = rfm_summary(table, observation_end=OBS_END, time_unit="D", customer_col="customer_id")
    t1 = time.perf_counter()
    bg = BGNBD().fit(rfm)
    gg = GammaGamma().fit(rfm)
    t2 = time.perf_counter()
    scores = score_customers(bg, gg, rfm, 12, 0.10, 0.30, time_unit="D")
    t3 = time.perf_counter()
    return {"imports": t0 - start, "rfm": t1 - t0, "fit": t2 - t1, "clv": t3 - t2, "customers": len(scores),
            "total_clv": float(scores["clv"].sum())}


def run_lifetimes(path: str) -> dict:
    start = time.perf_counter()
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    t0 = time.perf_counter()
    tx = pd.read_parquet(path)
    rfm = summary_data_from_transaction_data(
        tx, "customer_id", "timestamp", monetary_value_col="amount", observation_period_end=OBS_END, freq="D"
    )
    t1 = time.perf_counter()
    bg = BetaGeoFitter().fit(rfm["frequency"], rfm["recency"], rfm["T"])
    rep = rfm[rfm["frequency"] > 0]
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    t2 = time.perf_counter()
    monthly = 1.10 ** (1 / 12) - 1
    clv = gg.customer_lifetime_value(
        bg, rfm["frequency"], rfm["recency"], rfm["T"], rfm["monetary_value"], time=12, discount_rate=monthly, freq="D"
    )
    t3 = time.perf_counter()
    return {"imports": t0 - start, "rfm": t1 - t0, "fit": t2 - t1, "clv": t3 - t2, "customers": len(clv),
            "total_clv": float(0.30 * clv.sum())}


#: the measured parts of a run: imports, the three stages, their sum, and the whole process
STAGES = ("imports", "rfm", "fit", "clv", "pipeline", "total")


def _peak_rss_mb() -> float:
    """Peak resident memory of this process image (VmHWM; ru_maxrss would include what the
    forking parent held before ``exec``, e.g. the simulated data)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(which: str, path: str) -> None:
    start = time.perf_counter()
    if which == "lifetimes":
        out = run_lifetimes(path)
    else:  # "clientele" or "clientele@<DuckDB memory_limit>"
        out = run_clientele(path, which.partition("@")[2] or None)
    out["total"] = time.perf_counter() - start
    out["pipeline"] = out["rfm"] + out["fit"] + out["clv"]
    out["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(out))


def measure(which: str, path: Path, repeats: int) -> list[dict]:
    runs = []
    for _ in range(repeats):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", which, str(path)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise SystemExit(f"{which} failed:\n{proc.stderr[-3000:]}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-lifetimes", action="store_true")
    parser.add_argument(
        "--memory-limit", default="500MB",
        help="also run clientele with this DuckDB memory_limit (a user's knob for tight memory); '' to skip",
    )
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"machine: {describe('lifetimes')}\n")
    print("| customers | transactions | tool | imports s | RFM s | fit s | CLV s | pipeline s | total s | peak RSS MB | total CLV |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.customers:
        import pyarrow.parquet as pq

        path = simulate(n)
        n_tx = pq.ParquetFile(path).metadata.num_rows
        tools = ["clientele"] + ([f"clientele@{args.memory_limit}"] if args.memory_limit else [])
        tools += [] if args.no_lifetimes else ["lifetimes"]
        medians = {}
        for tool in tools:
            runs = measure(tool, path, 1 if tool == "lifetimes" else args.repeats)
            med = medians[tool] = {k: statistics.median(r[k] for r in runs) for k in STAGES}
            peak = max(r["peak_rss_mb"] for r in runs)
            print(
                f"| {n:,} | {n_tx:,} | {tool} | {med['imports']:.2f} | {med['rfm']:.2f} | {med['fit']:.2f} | "
                f"{med['clv']:.2f} | {med['pipeline']:.2f} | {med['total']:.2f} | {peak:,.0f} | {runs[0]['total_clv']:,.0f} |",
                flush=True,
            )
        if "lifetimes" in medians:
            ours, theirs = medians["clientele"], medians["lifetimes"]
            print(
                f"\nspeed-up at {n:,} customers: pipeline (Parquet -> CLV, imports done) "
                f"{theirs['pipeline'] / ours['pipeline']:.1f}x; whole process including imports "
                f"{theirs['total'] / ours['total']:.1f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
