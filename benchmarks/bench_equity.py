"""Customer equity speed and memory: the bootstrap and equity over time, against naive baselines.

Run: ``.venv/bin/python benchmarks/bench_equity.py [--customers 20000] [--draws 200] [--repeats 3]``

Generates the demo company (``clientele.demo``) with ``--customers`` people into
benchmarks/data/ (reused if present), then times each case in a fresh subprocess: median wall
and CPU time of the call and the peak resident memory of the process (VmHWM). Cases:

* ``equity``: fit BG/NBD + Gamma-Gamma, then :func:`clientele.equity.customer_equity` with
  ``--draws`` bootstrap draws (per-draw CLV by Gauss-Jacobi quadrature, clientele.equity.bootstrap);
* ``baseline bootstrap``: the same draws recomputed with :func:`clientele.clv.score_customers`
  (the models' own quadrature) per draw -- run for 10 draws, the per-draw time is reported;
* ``over time``: :func:`clientele.equity.equity_over_time` for 12 month ends, warm-started;
* ``baseline over time``: the same 12 refits started cold (default starting points).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
AS_OF = "2025-12-31"


def make_store(customers: int) -> Path:
    from clientele.demo import generate, load
    from clientele.store import Store

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"equity_demo_{customers}.duckdb"
    if not path.exists():
        with Store.open(path) as store:
            load(store, generate(n_customers=customers, seed=7))
    return path


CASE = r"""
import json, resource, sys, time
import numpy as np
from clientele.store import Store
from clientele.equity import customer_equity, equity_over_time, fit_models, purchases_frame
from clientele.equity.from_store import rfm_as_of
from clientele.equity.uncertainty import draw_model_pairs
from clientele.clv import score_customers
import clientele.equity.inputs as inputs

case, path, draws = sys.argv[1], sys.argv[2], int(sys.argv[3])
with Store.open(path, read_only=True) as store:
    purchases = purchases_frame(store, until="{as_of}")
rfm = rfm_as_of(purchases, "{as_of}")
cpu0, t0 = time.process_time(), time.perf_counter()
if case == "equity":
    pm, sm = fit_models(rfm)
    result = customer_equity(pm, sm, rfm, as_of="{as_of}", n_draws=draws)
    extra = {{"equity": result.equity, "lower": float(result.summary.loc["customer_equity", "lower"]),
              "upper": float(result.summary.loc["customer_equity", "upper"]), "distinct": int(len(rfm.drop_duplicates()))}}
elif case == "baseline_bootstrap":
    pm, sm = fit_models(rfm)
    cpu0, t0 = time.process_time(), time.perf_counter()
    for p, s in draw_model_pairs(pm, sm, draws, seed=0):
        score_customers(p, s, rfm, horizon_months=36, time_unit="W")
    extra = {{}}
elif case in ("over_time", "baseline_over_time"):
    if case == "baseline_over_time":
        real = inputs.fit_models
        def cold(rfm, purchase_model="bgnbd", warm_start=None, penalizer_coef=0.0):
            return real(rfm, purchase_model, None, penalizer_coef)
        import clientele.equity.over_time as ot
        ot.fit_models = cold
        from clientele.equity.over_time import equity_over_time
    table = equity_over_time(purchases, months=12, until="{as_of}")
    extra = {{"last_equity": float(table["customer_equity"].iloc[-1])}}
wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"wall": wall, "cpu": cpu, "peak_mb": peak, **extra}}))
""".format(as_of=AS_OF)


def run(case: str, path: Path, draws: int, repeats: int) -> dict:
    results = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", CASE, case, str(path), str(draws)], capture_output=True,
                             text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = {k: statistics.median(r[k] for r in results) if isinstance(results[0][k], float) else results[0][k]
            for k in results[0]}
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    path = make_store(args.customers)
    rows = []
    eq = run("equity", path, args.draws, args.repeats)
    rows.append((f"equity: fit + {args.draws}-draw bootstrap (Gauss-Jacobi)", eq, eq["wall"] / max(args.draws, 1)))
    base = run("baseline_bootstrap", path, 10, 1)
    rows.append(("baseline: 10 draws via score_customers", base, base["wall"] / 10))
    ot = run("over_time", path, 0, 1)
    rows.append(("equity over 12 month ends, warm-started", ot, None))
    cold = run("baseline_over_time", path, 0, 1)
    rows.append(("baseline: 12 month ends, cold-started", cold, None))

    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}")
    print(f"Demo company: {args.customers:,} people, as of {AS_OF}; median of {args.repeats} runs (baselines: 1)\n")
    print("| case | wall s (median) | CPU s | peak RSS MB | s per draw |")
    print("|---|---:|---:|---:|---:|")
    for name, r, per_draw in rows:
        pd_ = f"{per_draw:.3f}" if per_draw is not None else ""
        print(f"| {name} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['peak_mb']:.0f} | {pd_} |")
    print(f"\nequity {eq['equity']:,.0f} (90% interval {eq['lower']:,.0f} - {eq['upper']:,.0f}); "
          f"{eq['distinct']:,} distinct RFM rows; over-time last month equity warm {ot['last_equity']:,.0f}, "
          f"cold {cold['last_equity']:,.0f}")


if __name__ == "__main__":
    main()
