"""sBG discounted expected residual lifetime (DERL): clientele against scipy's hyp2f1, side by side.

Run: ``.venv/bin/python benchmarks/bench_sbg.py [--customers 1000000] [--repeats 3]``.
Prints a markdown table.

A subscription base of ``customers`` with tenures (renewals made) drawn from the sBG itself,
fitted to Fader & Hardie (2007)'s regular segment, with the monthly discount rate ``d``. The
baseline is the textbook evaluation ``(b+n)/(a+b+n) * scipy.special.hyp2f1(1, b+n+1; a+b+n+1;
1/(1+d))`` per customer (what public sBG implementations do); its NaN count is reported. Both
are checked against a brute-force truncated sum on the distinct tenures. Each measurement runs
in a fresh subprocess so that its peak resident memory is its own; times are medians.
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

DATA = Path(__file__).resolve().parent / "data"
PARAMS = {"alpha": 0.704, "beta": 1.182}


def make_data(n_customers: int) -> Path:
    path = DATA / f"sbg_{n_customers}.npy"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(5)
        theta = rng.beta(PARAMS["alpha"], PARAMS["beta"], n_customers)
        tenure = np.floor(np.log1p(-rng.random(n_customers)) / np.log1p(-theta))  # renewals made
        np.save(path, np.minimum(tenure, 5000.0))
    return path


def brute(tenures: np.ndarray, d: float) -> np.ndarray:
    a, b = PARAMS["alpha"], PARAMS["beta"]
    horizon = int(45 / np.log1p(d)) + 2
    out = []
    for n in tenures:
        t = np.arange(n + 1, n + 1 + horizon)
        log_ratio = np.cumsum(np.log((b + t - 1) / (a + b + t - 1)))  # log S(t)/S(n)
        out.append(np.sum(np.exp(log_ratio - np.arange(horizon) * np.log1p(d))))
    return np.array(out)


def worker(library: str, path: str, d: float, repeats: int) -> None:
    import resource

    tenure = np.load(path)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        if library == "clientele":
            from clientele.models import ShiftedBetaGeometric

            model = ShiftedBetaGeometric()
            model.params_ = dict(PARAMS)
            values = model.expected_residual_lifetime(tenure, d)
        else:
            from scipy.special import hyp2f1

            a, b = PARAMS["alpha"], PARAMS["beta"]
            values = (b + tenure) / (a + b + tenure) * hyp2f1(1.0, b + tenure + 1.0, a + b + tenure + 1.0, 1.0 / (1.0 + d))
        times.append(time.perf_counter() - start)
    distinct = np.unique(tenure)
    check = distinct[np.linspace(0, len(distinct) - 1, 25).astype(int)]
    index = np.searchsorted(tenure[np.argsort(tenure)], check)
    sorted_values = values[np.argsort(tenure)]
    error = np.nanmax(np.abs(sorted_values[index] / brute(check, d) - 1))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"median_s": statistics.median(times), "peak_mb": peak_mb,
                      "nan": int(np.isnan(values).sum()), "max_rel_error": float(error)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        library, path, d, repeats = args.worker
        worker(library, path, float(d), int(repeats))
        return
    import scipy

    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}\n")
    print("| customers | discount rate | library | median (s) | peak MB | NaN results | max rel. error vs brute force |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    path = make_data(args.customers)
    for d in (0.1, 0.01, 0.001):
        for library in ("clientele", "scipy.hyp2f1"):
            out = subprocess.run([sys.executable, __file__, "--worker", library, str(path), str(d), str(args.repeats)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {args.customers:,} | {d} | {library} | {r['median_s']:.3f} | {r['peak_mb']:.0f} | "
                  f"{r['nan']:,} | {r['max_rel_error']:.1e} |")


if __name__ == "__main__":
    main()
