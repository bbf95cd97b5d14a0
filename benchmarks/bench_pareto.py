"""Pareto/NBD fit and predictions: clientele side by side with lifetimes' ParetoNBDFitter.

Run: ``.venv/bin/python benchmarks/bench_pareto.py [--quick]``. Prints a markdown table.

Data are simulated from the CDNOW estimates (r=0.553, alpha=10.578, s=0.606, beta=11.669; weeks)
for customers acquired over 78 weeks, in two forms written to ``benchmarks/data/``:

* ``daily``: purchase times and ages rounded to whole days, as an RFM summary built from dated
  transactions has them (many customers share a history, so row compression pays);
* ``continuous``: recency in full float precision (every repeat buyer's history distinct;
  only ages are whole days, so customers without repeat purchases still share rows).

Each measurement runs in a fresh subprocess so its peak resident memory (``ru_maxrss``) is its
own; times are medians of the repeats (the fit only, data loading excluded). lifetimes needs
~30 s for 100,000 customers, so it is run on the smaller sizes only.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _machine import describe

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
TRUTH = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


def make_data(kind: str, n: int) -> Path:
    path = DATA / f"pareto_{kind}_{n}.npz"
    if path.exists():
        return path
    from clientele.models.pareto_nbd import ParetoNBD

    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2024)
    age_days = rng.integers(1, 78 * 7 + 1, n).astype(np.float64)
    frame = ParetoNBD.simulate(TRUTH, n, age_days / 7.0, seed=7)
    recency, T = frame["recency"].to_numpy(), frame["T"].to_numpy()
    if kind == "daily":
        recency = np.floor(recency * 7.0) / 7.0
    np.savez(path, frequency=frame["frequency"].to_numpy(), recency=recency, T=T)
    return path


def worker(library: str, task: str, path: str, repeats: int) -> None:
    """Time one task in this (fresh) process and print a JSON line."""
    import resource

    data = np.load(path)
    x, t_x, T = data["frequency"], data["recency"], data["T"]
    times, cpu = [], []
    extra = {}
    for _ in range(repeats):
        if library == "clientele":
            from clientele.models import ParetoNBD

            if task == "fit":
                start, cpu_start = time.perf_counter(), time.process_time()
                model = ParetoNBD().fit(x, t_x, T)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
                extra = {"params": model.params_, "distinct": model.n_distinct_}
            else:
                model = ParetoNBD()
                model.params_ = dict(TRUTH)
                start, cpu_start = time.perf_counter(), time.process_time()
                model.p_alive(x, t_x, T)
                model.expected_purchases(52.0, x, t_x, T)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
        else:
            import warnings

            import pandas as pd
            from lifetimes import ParetoNBDFitter

            warnings.simplefilter("ignore")
            if task == "fit":
                start, cpu_start = time.perf_counter(), time.process_time()
                fitter = ParetoNBDFitter().fit(x, t_x, T)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
                extra = {"params": {k: float(v) for k, v in fitter.params_.items()}}
            else:
                fitter = ParetoNBDFitter()
                fitter.params_ = pd.Series(TRUTH)
                start, cpu_start = time.perf_counter(), time.process_time()
                fitter.conditional_probability_alive(x, t_x, T)
                fitter.conditional_expected_number_of_purchases_up_to_time(52.0, x, t_x, T)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"times": times, "cpu": cpu, "peak_mb": peak_mb, **extra}))


def measure(library: str, task: str, path: Path, repeats: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", library, task, str(path), str(repeats)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])



def machine() -> str:
    return describe("scipy", "lifetimes")


def main() -> None:
    quick = "--quick" in sys.argv
    plan = [
        # (library, task, kind, n, repeats)
        ("clientele", "fit", "daily", 100_000, 3),
        ("lifetimes", "fit", "daily", 100_000, 1),
        ("clientele", "fit", "daily", 1_000_000, 3),
        ("clientele", "fit", "continuous", 1_000_000, 3),
        ("clientele", "predict", "continuous", 1_000_000, 3),
        ("lifetimes", "predict", "continuous", 1_000_000, 1),
    ]
    if quick:
        plan = [(lib, task, kind, 10_000, 1) for lib, task, kind, n, _ in plan if n == 1_000_000]
    rows = []
    for library, task, kind, n, repeats in plan:
        path = make_data(kind, n)
        result = measure(library, task, path, repeats)
        what = "fit" if task == "fit" else "p_alive + expected_purchases(52)"
        params = result.get("params")
        note = ", ".join(f"{k}={v:.3f}" for k, v in params.items()) if params else ""
        if "distinct" in result:
            note += f"; {result['distinct']:,} distinct rows"
        rows.append(
            f"| {library} | {what} | {kind} | {n:,} | {statistics.median(result['times']):.2f} | "
            f"{statistics.median(result['cpu']):.2f} | "
            f"{len(result['times'])} | {result['peak_mb']:.0f} | {note} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    print(f"Machine: {machine()}; load average during the run {os.getloadavg()[0]:.1f} (other jobs share the cores)\n")
    print("| library | task | data | customers | median wall s | median CPU s | runs | peak RSS MB | estimates |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
