"""Budget allocation: clientele's exact solvers side by side with a naive scipy SLSQP baseline.

Run: ``.venv/bin/python benchmarks/bench_allocate.py [--segments 50] [--draws 1000] [--repeats 3]``.
Prints a markdown table.

The problem: ``segments x 3`` lines (retention, cross-sell, acquisition) with concave gains
``A (1 - exp(-S / B))`` and ``draws`` bootstrap draws of ``(A, B)`` per line (written to
``benchmarks/data/``), a budget of a third of the lines' total capacity, every line capped.

* **plain**: budget + line caps. clientele: water-filling (:func:`clientele.budget.allocate`
  incl. evaluating the plan at every draw); baseline: ``scipy.optimize.minimize(method="SLSQP")``
  on the same objective with its analytic gradient, started from an even split, then the same
  evaluation at every draw.
* **constrained**: plus a cap on every segment's total and a largest shift of 20% of the budget
  from a random current plan. clientele: cutting planes over HiGHS; baseline: SLSQP with the shift
  written as ``sum |S - S0| / 2 <= shift`` (smoothed by ``sqrt(x^2 + eps)``, SLSQP needs smooth
  constraints).

Each measurement runs in a fresh subprocess so that its peak resident memory is its own; times
are medians over the repeats. "gap" is how far the method's equity gain is below the best found
by either method (0 = optimal as far as can be told).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE))


def make_data(segments: int, draws: int) -> Path:
    path = DATA / f"allocate_{segments}_{draws}.npz"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026)
    n = segments * 3
    reach = rng.integers(200, 20_000, n).astype(float)
    a = rng.uniform(0.5, 30.0, n)  # equity per unit at saturation
    b = rng.uniform(2.0, 40.0, n)  # spend per unit at 63% of saturation
    A, B = reach * a, reach * b
    noise_a = rng.lognormal(0.0, 0.15, (n, draws))
    noise_b = rng.lognormal(0.0, 0.25, (n, draws))
    cap = reach * 40.0
    current = rng.dirichlet(np.ones(n)) * cap.sum() / 3
    np.savez(path, A=A, B=B, A_draws=A[:, None] * noise_a, B_draws=B[:, None] * noise_b, cap=cap,
             current=current, segments=np.repeat(np.arange(segments), 3))
    return path


def _lines(raw):
    import pandas as pd

    from clientele.budget import BudgetLines

    n = len(raw["A"])
    frame = pd.DataFrame({"segment": [f"seg{s:03d}" for s in raw["segments"]],
                          "lever": ["retention", "cross_sell", "acquisition"] * (n // 3), "owner": "o",
                          "reach": 1, "value": 1.0, "A": raw["A"], "B": raw["B"], "max_spend": raw["cap"]})
    return BudgetLines(frame, raw["A_draws"], raw["B_draws"])


def _slsqp(lines, budget, cap, seg_cap=None, current=None, shift=None):
    from scipy.optimize import minimize

    from clientele.budget import evaluate

    A, B = lines.A, lines.B
    n = len(A)
    x0 = np.minimum(np.full(n, budget / n), cap)
    cons = [{"type": "eq", "fun": lambda S: S.sum() - budget, "jac": lambda S: np.ones(n)}]
    if seg_cap is not None:
        seg = lines.frame["segment"].to_numpy()
        for name in np.unique(seg):
            m = (seg == name).astype(float)
            cons.append({"type": "ineq", "fun": lambda S, m=m: seg_cap - m @ S, "jac": lambda S, m=m: -m})
    if shift is not None:
        eps = 1e-6 * budget
        cons.append({"type": "ineq", "fun": lambda S: shift - np.sum(np.sqrt((S - current) ** 2 + eps**2)) / 2,
                     "jac": lambda S: -((S - current) / np.sqrt((S - current) ** 2 + eps**2)) / 2})
    res = minimize(lambda S: -np.sum(A * -np.expm1(-S / B)), x0, jac=lambda S: -(A / B) * np.exp(-S / B),
                   bounds=[(0, c) for c in cap], constraints=cons, method="SLSQP",
                   options={"maxiter": 1000, "ftol": 1e-12})
    return evaluate(lines, np.clip(res.x, 0, cap), budget=budget), bool(res.success)


def worker(method: str, task: str, path: str, repeats: int) -> None:
    import resource

    from clientele.budget import allocate

    raw = np.load(path)
    lines = _lines(raw)
    cap = raw["cap"]
    budget = float(cap.sum() / 3)
    seg_cap = float(budget / len(np.unique(raw["segments"])) * 2.5)
    constrained = task == "constrained"
    times, plan, ok = [], None, True
    for _ in range(repeats):
        t0 = time.perf_counter()
        if method == "clientele":
            if constrained:
                plan = allocate(lines, budget, segment_max=seg_cap, current=raw["current"], max_shift=0.2)
            else:
                plan = allocate(lines, budget)
        else:
            plan, ok = _slsqp(lines, budget, cap, seg_cap if constrained else None,
                              raw["current"] if constrained else None, 0.2 * budget if constrained else None)
        times.append(time.perf_counter() - t0)
    S = plan.spend
    violation = max(abs(S.sum() - budget), float(np.max(S - cap, initial=0)))
    if constrained:
        seg = lines.frame["segment"].to_numpy()
        violation = max(violation, max(S[seg == s].sum() - seg_cap for s in np.unique(seg)),
                        np.abs(S - raw["current"]).sum() / 2 - 0.2 * budget)
    print(json.dumps({"seconds": statistics.median(times), "gain": plan.totals["gain"], "violation": float(violation),
                      "success": ok, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run(method: str, task: str, path: Path, repeats: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", method, task, str(path), str(repeats)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=50)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        method, task, path, repeats = args.worker
        worker(method, task, path, int(repeats))
        return
    from _machine import describe

    path = make_data(args.segments, args.draws)
    print(f"Machine: {describe('scipy')}\n")
    print(f"{args.segments} segments x 3 levers = {args.segments * 3} lines, {args.draws} bootstrap draws, "
          f"median of {args.repeats} runs (each method in its own process; times include evaluating the plan at "
          "every draw)\n")
    print("| problem | method | median time (s) | peak memory (MiB) | equity gain | gap to best | "
          "largest constraint violation | solver success |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for task in ("plain", "constrained"):
        results = {m: run(m, task, path, args.repeats) for m in ("clientele", "slsqp")}
        best = max(r["gain"] for r in results.values())
        for method, r in results.items():
            name = "clientele (water-filling)" if task == "plain" else "clientele (cutting planes + HiGHS)"
            label = name if method == "clientele" else "scipy SLSQP (baseline)"
            print(f"| {task} | {label} | {r['seconds']:.3f} | {r['peak_mib']:.0f} | {r['gain']:,.0f} | "
                  f"{best - r['gain']:,.2f} | {r['violation']:.2e} | {r['success']} |")


if __name__ == "__main__":
    main()
