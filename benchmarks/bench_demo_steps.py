"""What ``clientele demo`` spends its time on, step by step, at the default size.

Run: ``.venv/bin/python benchmarks/bench_demo_steps.py [--customers 50000] [--seed 7]``

Runs the steps of ``clientele demo`` in one fresh process, in the command's order, timing each
(wall clock) and recording the process's peak resident memory after it (``ru_maxrss``):
generate the company, load it into a fresh store under ``benchmarks/data/``, resolve identities
(store the known identities as labels, resolve, evaluate), fit BG/NBD + Gamma-Gamma and score,
then each part of the HTML report (customer equity with its bootstrap interval, equity over
time, indicators, validation, segments, budget, rendering). The pairwise quality of the
resolution is printed beside it. The whole ``clientele demo`` command is then timed as a
subprocess for comparison (``--no-command`` skips it).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def steps(customers: int, seed: int) -> tuple[list[tuple[str, float, float]], object]:
    """(step, seconds, peak MB so far) for each step, and the resolution's quality."""
    from clientele.demo import generate, load
    from clientele.identity import evaluate_store, resolve_store, store_labels
    from clientele.pipeline import fit_store_models, score_store
    from clientele.report import write_report
    from clientele.store import Store

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"demo_steps_{customers}.duckdb"
    for p in (path, path.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    rows: list[tuple[str, float, float]] = []

    def timed(name, fn):
        start = time.perf_counter()
        out = fn()
        rows.append((name, time.perf_counter() - start, _peak_mb()))
        return out

    company = timed("generate the company", lambda: generate(n_customers=customers, seed=seed))
    with Store.open(path) as store:
        timed("load into the store", lambda: load(store, company))

        def resolve():
            store_labels(store, company.truth.identities)
            resolve_store(store)
            return evaluate_store(store)

        quality = timed("resolve identities", resolve)
        timed("fit BG/NBD + Gamma-Gamma and score", lambda: (
            fit_store_models(store, model="bgnbd", time_unit="W", observation_end=company.truth.end),
            score_store(store),
        ))
    with Store.open(path, read_only=True) as store:
        clock = {"part": None, "at": time.perf_counter()}

        def progress(part: str) -> None:
            now = time.perf_counter()
            if clock["part"] is not None:
                rows.append((f"report: {clock['part']}", now - clock["at"], _peak_mb()))
            clock.update(part=part, at=now)

        write_report(store, path.with_suffix(".report.html"), progress=progress)
        progress("done")
        rows[-1] = (rows[-1][0] + " + rendering", rows[-1][1], rows[-1][2])
    return rows, quality


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-command", action="store_true", help="do not also time the whole command")
    args = parser.parse_args()
    rows, quality = steps(args.customers, args.seed)
    command = None
    if not args.no_command:
        store = DATA / f"demo_command_{args.customers}.duckdb"
        for p in (store, store.with_suffix(".duckdb.wal")):
            p.unlink(missing_ok=True)
        start = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "clientele"), "--store", str(store), "demo",
             "--customers", str(args.customers), "--seed", str(args.seed)],
            check=True, capture_output=True,
        )
        command = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    sys.path.insert(0, str(HERE))
    from _machine import describe

    print(f"Machine: {describe('splink')}\n")
    print(f"`clientele demo --customers {args.customers:,} --seed {args.seed}`, step by step (one process):\n")
    print("| step | time (s) | peak memory so far (MB) |")
    print("|---|---:|---:|")
    for name, seconds, mb in rows:
        print(f"| {name} | {seconds:.1f} | {mb:,.0f} |")
    print(f"| **total** | **{sum(r[1] for r in rows):.1f}** | {max(r[2] for r in rows):,.0f} |")
    if command is not None:
        print(f"| the whole `clientele demo` command (subprocess) | {command:.1f} | {peak:,.0f} |")
    print(f"\nResolution quality: pairwise precision {quality.precision:.4f}, recall {quality.recall:.4f} "
          f"({quality.records:,} records of {quality.people:,} people -> {quality.customer_keys:,} keys)")


if __name__ == "__main__":
    main()
