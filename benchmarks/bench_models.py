"""Benchmark: BG/NBD + Gamma-Gamma fit and 12-month CLV, clientele vs lifetimes, side by side.

Run as ``.venv/bin/python benchmarks/bench_models.py [--customers 1000000] [--baseline 100000]``.
Data are simulated in the script (BG/NBD purchases at day resolution, Gamma-Gamma spend) and
written to ``benchmarks/data/``. Each library runs in its own subprocess so that its peak
resident memory (``ru_maxrss``) is measured alone. lifetimes runs on ``--baseline`` customers
(default 100,000) and its times are extrapolated linearly to the full size; with
``--baseline`` equal to ``--customers`` both run on the same data (lifetimes needs about a
minute for 1 million).
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
TRUTH = dict(r=0.55, alpha=20.0, a=0.8, b=2.5)  # per-day rates: about one repeat purchase a month
SPEND = dict(p=6.0, q=3.8, gamma=15.0)


def make_rfm(n_customers: int, seed: int = 0) -> pd.DataFrame:
    """Simulated RFM table: ages up to two years in whole days, recency rounded down to days."""
    from clientele.models import BGNBD

    rng = np.random.default_rng(seed)
    T = rng.integers(1, 731, n_customers).astype(np.float64)
    rfm = BGNBD.simulate(TRUTH, n_customers, T=T, seed=seed + 1)
    rfm["recency"] = np.floor(rfm["recency"])
    x = rfm["frequency"].to_numpy()
    nu = rng.gamma(SPEND["q"], 1.0 / SPEND["gamma"], n_customers)
    shape = SPEND["p"] * np.maximum(x, 1)
    zbar = rng.gamma(shape, 1.0 / (nu * np.maximum(x, 1)))
    rfm["monetary_value"] = np.where(x > 0, zbar, 0.0)
    rfm.attrs["time_unit"] = "D"
    return rfm


def model_step(rfm: pd.DataFrame, horizon_months: int = 12) -> dict:
    """The model step of the pipeline: fit BG/NBD and Gamma-Gamma, score every customer's CLV.

    Returns the fitted models, the scores and the seconds each part took.
    """
    from clientele.clv import score_customers
    from clientele.models import BGNBD, GammaGamma

    times = {}
    t0 = time.perf_counter()
    bg = BGNBD().fit(rfm)
    times["fit BG/NBD"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    gg = GammaGamma().fit(rfm)
    times["fit Gamma-Gamma"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    scores = score_customers(bg, gg, rfm, horizon_months=horizon_months, discount_rate=0.10, margin=1.0, days_per_month=30.0)
    times["12-month CLV"] = time.perf_counter() - t0
    return {"bg": bg, "gg": gg, "scores": scores, "times": times}


def lifetimes_step(rfm: pd.DataFrame, horizon_months: int = 12) -> dict:
    """The same step with lifetimes (BetaGeoFitter, GammaGammaFitter, customer_lifetime_value)."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    x, t_x, T = (rfm[c].astype(float) for c in ("frequency", "recency", "T"))
    times = {}
    t0 = time.perf_counter()
    bg = BetaGeoFitter().fit(x, t_x, T)
    times["fit BG/NBD"] = time.perf_counter() - t0
    rep = rfm[rfm["frequency"] > 0]
    t0 = time.perf_counter()
    gg = GammaGammaFitter().fit(rep["frequency"].astype(float), rep["monetary_value"])
    times["fit Gamma-Gamma"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    clv = gg.customer_lifetime_value(bg, x, t_x, T, rfm["monetary_value"], time=horizon_months,
                                     discount_rate=1.10 ** (1 / 12) - 1, freq="D")
    times["12-month CLV"] = time.perf_counter() - t0
    return {"params": dict(bg.params_), "clv": clv, "times": times}


def _worker(library: str, path: str, repeats: int) -> None:
    rfm = pd.read_parquet(path)
    rfm.attrs["time_unit"] = "D"
    runs = []
    for _ in range(repeats):
        out = (model_step if library == "clientele" else lifetimes_step)(rfm)
        runs.append(out["times"])
    params = out["bg"].params_ if library == "clientele" else out["params"]
    print(json.dumps({
        "times": {k: statistics.median(r[k] for r in runs) for k in runs[0]},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "params": {k: float(v) for k, v in params.items()},
        "distinct": int(out["bg"].n_distinct_) if library == "clientele" else None,
    }))


def _run(library: str, path: Path, repeats: int) -> dict:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, __file__, "--worker", library, str(path), str(repeats)],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker[0], args.worker[1], int(args.worker[2]))
        return
    DATA.mkdir(exist_ok=True)
    full = make_rfm(args.customers)
    full_path = DATA / f"bench_models_{args.customers}.parquet"
    full.to_parquet(full_path)
    small_path = DATA / f"bench_models_{args.baseline}.parquet"
    full.iloc[: args.baseline].to_parquet(small_path)

    ours = _run("clientele", full_path, args.repeats)
    same_size = args.baseline >= args.customers
    ours_small = ours if same_size else _run("clientele", small_path, args.repeats)
    theirs = _run("lifetimes", full_path if same_size else small_path, 1)
    scale = 1.0 if same_size else args.customers / args.baseline

    import scipy

    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}")
    print(f"Data: {args.customers:,} simulated customers (BG/NBD {TRUTH}, day resolution, "
          f"{ours['distinct']:,} distinct histories); lifetimes on the first {args.baseline:,}.")
    print(f"clientele estimates at {args.customers:,}: " + ", ".join(f"{k}={v:.4g}" for k, v in ours["params"].items()))
    print()
    if same_size:
        print(f"| step | clientele {args.customers:,} (s) | lifetimes {args.customers:,} (s) | speed-up |")
        print("|---|---:|---:|---:|")
        for step in ours["times"]:
            a, c = ours["times"][step], theirs["times"][step]
            print(f"| {step} | {a:.2f} | {c:.2f} | {c / a:.0f}x |")
        a, c = sum(ours["times"].values()), sum(theirs["times"].values())
        print(f"| **total** | **{a:.2f}** | **{c:.1f}** | **{c / a:.0f}x** |")
        print(f"| peak RSS (MB) | {ours['peak_rss_mb']:.0f} | {theirs['peak_rss_mb']:.0f} | |")
        print(f"\nMedian of {args.repeats} runs for clientele, 1 run for lifetimes; peak RSS is the whole "
              "worker process (imports, data and all steps).")
        return
    print(f"| step | clientele {args.customers:,} (s) | clientele {args.baseline:,} (s) | "
          f"lifetimes {args.baseline:,} (s) | lifetimes x{scale:g} extrapolated (s) | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    total_ours = total_theirs = 0.0
    for step in ours["times"]:
        a, b, c = ours["times"][step], ours_small["times"][step], theirs["times"][step]
        total_ours += a
        total_theirs += c * scale
        print(f"| {step} | {a:.2f} | {b:.2f} | {c:.2f} | {c * scale:.1f} | {c * scale / a:.0f}x |")
    print(f"| **total** | **{total_ours:.2f}** | | | **{total_theirs:.1f}** | **{total_theirs / total_ours:.0f}x** |")
    print(f"| peak RSS (MB) | {ours['peak_rss_mb']:.0f} | {ours_small['peak_rss_mb']:.0f} | {theirs['peak_rss_mb']:.0f} | | |")
    print(f"\nMedian of {args.repeats} runs for clientele, 1 run for lifetimes; peak RSS is the whole "
          "worker process (imports, data and all steps).")


if __name__ == "__main__":
    main()
