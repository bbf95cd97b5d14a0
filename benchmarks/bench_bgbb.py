"""BG/BB fit and predictions: clientele side by side with lifetimes' BetaGeoBetaBinomFitter.

Run: ``.venv/bin/python benchmarks/bench_bgbb.py [--customers 1000000] [--repeats 3]``.
Prints a markdown table.

Customers are simulated from the donations estimates of Fader, Hardie & Shang (2010)
(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783) with ``n`` transaction opportunities each,
for ``n = 6`` (yearly, as the paper) and ``n = 52`` (weekly over a year: many more distinct
histories). The data are written to ``benchmarks/data/``.

clientele receives the raw per-customer rows (it compresses identical histories itself).
lifetimes does not compress, so it is given the rows already collapsed into ``weights`` (the
form its documentation recommends; collapsing is not timed); on raw rows it is much slower.
Each measurement runs in a fresh subprocess so that its peak resident memory is its own;
times are medians over the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
TRUTH = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def make_data(n_customers: int, n_periods: int) -> Path:
    path = DATA / f"bgbb_{n_customers}_{n_periods}.npz"
    if path.exists():
        return path
    from clientele.models import BGBB

    DATA.mkdir(parents=True, exist_ok=True)
    model = BGBB()
    model.params_ = dict(TRUTH)
    frame = model.sample(n_customers, n_periods, seed=11)
    np.savez(path, **{c: frame[c].to_numpy() for c in frame.columns})
    return path


def worker(library: str, task: str, path: str, repeats: int) -> None:
    """Time one task in this fresh process and print one JSON line."""
    import resource
    import warnings

    import pandas as pd

    raw = np.load(path)
    x, tx, n = raw["frequency"], raw["recency"], raw["n_periods"]
    times, extra = [], {}
    for _ in range(repeats):
        if library == "clientele":
            from clientele.models import BGBB

            if task == "fit":
                start = time.perf_counter()
                model = BGBB().fit(x, tx, n)
                times.append(time.perf_counter() - start)
                extra = {"params": {k: round(v, 4) for k, v in model.params_.items()}, "distinct": model.n_distinct_}
            else:
                model = BGBB()
                model.params_ = dict(TRUTH)
                start = time.perf_counter()
                model.p_alive(x, tx, n)
                model.expected_purchases(10, x, tx, n)
                times.append(time.perf_counter() - start)
        else:
            from lifetimes import BetaGeoBetaBinomFitter

            warnings.simplefilter("ignore")
            if task == "fit":
                grouped = (pd.DataFrame({"x": x, "tx": tx, "n": n}).groupby(["x", "tx", "n"]).size()
                           .rename("w").reset_index())
                start = time.perf_counter()
                try:
                    fitter = BetaGeoBetaBinomFitter().fit(grouped["x"], grouped["tx"], grouped["n"],
                                                          weights=grouped["w"])
                    extra = {"params": {k: round(float(v), 4) for k, v in fitter.params_.items()}}
                except Exception as exc:  # lifetimes raises its own ConvergenceError
                    extra = {"params": f"failed: {type(exc).__name__}"}
                times.append(time.perf_counter() - start)
            else:
                fitter = BetaGeoBetaBinomFitter()
                fitter.params_ = pd.Series(TRUTH)
                start = time.perf_counter()
                fitter.conditional_probability_alive(1, x, tx, n)
                fitter.conditional_expected_number_of_purchases_up_to_time(10, x, tx, n)
                times.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"median_s": statistics.median(times), "peak_mb": peak_mb, **extra}))


def run(library: str, task: str, path: Path, repeats: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", library, task, str(path), str(repeats)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        library, task, path, repeats = args.worker
        worker(library, task, path, int(repeats))
        return

    import lifetimes
    import scipy

    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"lifetimes {lifetimes.__version__}\n")
    print("| customers | opportunities | task | clientele (s) | clientele peak MB | lifetimes (s) | lifetimes peak MB | notes |")
    print("|---:|---:|---|---:|---:|---:|---:|---|")
    for n_periods in (6, 52):
        path = make_data(args.customers, n_periods)
        for task in ("fit", "predict"):
            ours = run("clientele", task, path, args.repeats)
            theirs = run("lifetimes", task, path, args.repeats)
            note = ""
            if task == "fit":
                note = f"{ours['distinct']:,} distinct rows; clientele {ours['params']}; lifetimes {theirs['params']}"
            else:
                note = "p_alive + expected purchases over the next 10 opportunities"
            print(f"| {args.customers:,} | {n_periods} | {task} | {ours['median_s']:.3f} | {ours['peak_mb']:.0f} | "
                  f"{theirs['median_s']:.3f} | {theirs['peak_mb']:.0f} | {note} |")


if __name__ == "__main__":
    main()
