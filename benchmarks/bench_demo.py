"""Demo company speed and memory: clientele's generator and load, lifetimes' BG/NBD simulator beside it.

Run: ``.venv/bin/python benchmarks/bench_demo.py [--customers 50000] [--repeats 3]``

Cases, each timed in a fresh process (median wall time of the call itself; peak resident memory
of the whole process, VmHWM):

* ``generate``: the whole demo company (people, two systems' customer records, transactions,
  returns, interactions, surveys, referrals and the truth);
* ``bgnbd``: only the BG/NBD purchase process of the generator
  (:func:`clientele.demo.purchases.purchase_times`) for one segment's parameters;
* ``lifetimes``: the baseline, ``lifetimes.generate_data.beta_geometric_nbd_model`` (a Python
  loop over customers) with the same parameters and observation lengths; it is run on at most
  ``--baseline-customers`` people (default 10,000) because it is slow;
* ``load``: generate, then load everything into a fresh store with ``clientele.demo.load``
  (timed: the load only); ``reload``: load it a second time (idempotent: nothing new lands).

The store file goes to benchmarks/data/ (git-ignored).
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
SEGMENT = 0  # young families: r, alpha, a, b of the first segment


def _window_people(n: int):
    """People of one segment acquired over the demo window (clientele's draw, for both sides)."""
    from dataclasses import replace

    import numpy as np
    import pandas as pd

    from clientele.demo.clock import Window
    from clientele.demo.people import draw_people
    from clientele.demo.segments import SEGMENTS

    window = Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31"))
    seg = replace(SEGMENTS[SEGMENT], share=1.0)
    people = draw_people(np.random.default_rng(1), window, n, segments=(seg,))
    return window, people, seg


def worker(case: str, n: int) -> dict:
    """Run one case once in this process; return its wall time (s) and a size."""
    if case == "generate":
        from clientele.demo import generate

        start = time.perf_counter()
        company = generate(n_customers=n, seed=7)
        return {"seconds": time.perf_counter() - start, "rows": len(company.transactions)}
    if case == "bgnbd":
        import numpy as np

        from clientele.demo.purchases import purchase_times

        window, people, _ = _window_people(n)
        start = time.perf_counter()
        purchases, _ = purchase_times(np.random.default_rng(2), people, window)
        return {"seconds": time.perf_counter() - start, "rows": len(purchases)}
    if case == "lifetimes":
        import warnings

        warnings.simplefilter("ignore")
        from lifetimes.generate_data import beta_geometric_nbd_model

        window, people, seg = _window_people(n)
        T = (window.days - people["acquired_day"].to_numpy()) / 7.0
        start = time.perf_counter()
        out = beta_geometric_nbd_model(T, seg.r, seg.alpha, seg.a, seg.b, size=n)
        return {"seconds": time.perf_counter() - start, "rows": int(out["frequency"].sum() + n)}
    if case in ("load", "reload"):
        from clientele.demo import generate, load
        from clientele.store import Store

        DATA.mkdir(parents=True, exist_ok=True)
        path = DATA / f"demo_{n}.duckdb"
        company = generate(n_customers=n, seed=7)
        if case == "load":
            path.unlink(missing_ok=True)
            Path(str(path) + ".wal").unlink(missing_ok=True)
        with Store.open(path) as store:
            start = time.perf_counter()
            results = load(store, company)
            seconds = time.perf_counter() - start
        return {"seconds": seconds, "rows": sum(r.loaded for r in results)}
    raise SystemExit(f"unknown case {case}")


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


def measure(case: str, n: int, repeats: int) -> dict:
    """Median wall time and peak RSS of ``repeats`` fresh processes running ``case``."""
    seconds, peaks, rows = [], [], None
    for _ in range(repeats):
        proc = subprocess.Popen([sys.executable, __file__, "--worker", case, str(n)], stdout=subprocess.PIPE, text=True)
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"case {case} failed with status {proc.returncode}")
        result = json.loads(out.strip().splitlines()[-1])
        seconds.append(result["seconds"])
        peaks.append(result["peak_mib"])
        rows = result["rows"]
    return {"seconds": statistics.median(seconds), "peak_mib": max(peaks), "rows": rows}



def machine() -> str:
    return describe()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--baseline-customers", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = worker(args.worker[0], int(args.worker[1]))
        result["peak_mib"] = peak_rss_mib()
        print(json.dumps(result))
        return
    n, nb = args.customers, min(args.baseline_customers, args.customers)
    cases = [
        ("clientele `generate` (whole company)", "generate", n, "transactions"),
        ("clientele `demo.load` into a fresh store", "load", n, "rows loaded"),
        ("clientele `demo.load` again (idempotent)", "reload", n, "rows loaded"),
        ("clientele BG/NBD purchase process only", "bgnbd", n, "purchases"),
        ("clientele BG/NBD purchase process only", "bgnbd", nb, "purchases"),
        ("lifetimes `beta_geometric_nbd_model` (baseline)", "lifetimes", nb, "purchases"),
    ]
    print(f"Machine: {machine()}\n")
    print(f"Median of {args.repeats} runs, each in a fresh process; peak = the process's peak resident set size.\n")
    print("| implementation | people | output | median time (s) | peak memory (MiB) |")
    print("|---|---:|---:|---:|---:|")
    for label, case, size, what in cases:
        result = measure(case, size, args.repeats)
        print(
            f"| {label} | {size:,} | {result['rows']:,} {what} | {result['seconds']:.3f} | {result['peak_mib']:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
