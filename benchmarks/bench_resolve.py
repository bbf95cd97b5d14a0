"""Benchmark: identity resolution of 100k to 1M customer records on this machine.

Run: ``.venv/bin/python benchmarks/bench_resolve.py [--sizes 100000,250000,1000000] [--demo 50000]``

For each size a synthetic customer base with known identities is generated
(``tests/identity/synthetic.py``: thousands of surnames, nicknames, typing errors, changed and
missing e-mail addresses and phone numbers, 20% of people in both systems) and loaded into a
fresh store under ``benchmarks/data/`` (not timed). ``--demo`` adds the customer records of the
demo company (:func:`clientele.demo.generate`, seed 7) with that many people, whose known
identities give the pairwise quality the issue asks for (precision >= 0.98, recall >= 0.95). Then, each in its own process (so peak
memory is per method):

* ``clientele``: :func:`clientele.identity.resolve_store` (Splink on DuckDB: training, scoring,
  clustering, stable keys, writing the key tables);
* ``clientele-1GB``: the same with ``memory_limit="1GB"`` (DuckDB spills beyond it);
* ``baseline``: deterministic linkage, the usual first attempt: records with the same e-mail,
  the same phone or the same full name and town are one customer (connected components of those
  links, in DuckDB SQL and scipy).

Reported: wall time (median of ``--repeat`` runs), peak resident memory of the process
(``ru_maxrss``), pairwise precision and recall against the known identities.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
sys.path.insert(0, str(ROOT / "tests" / "identity"))


def _paths(case: str) -> tuple[Path, Path]:
    return DATA / f"resolve_{case}.duckdb", DATA / f"resolve_{case}_truth.parquet"


def prepare(case: str, seed: int = 2024) -> int:
    """Load the customer records of ``case`` into a fresh store (kept for later runs).

    ``case`` is a number of records (the synthetic base) or ``demo<people>`` (the demo company's
    customers). Returns the number of records.
    """
    from clientele.store import Store

    store_path, truth_path = _paths(case)
    if store_path.exists() and truth_path.exists():
        import duckdb

        with duckdb.connect(str(store_path), read_only=True) as con:
            return int(con.execute("SELECT count(*) FROM customers").fetchone()[0])
    DATA.mkdir(parents=True, exist_ok=True)
    store_path.unlink(missing_ok=True)
    if case.startswith("demo"):
        from clientele.demo import generate

        company = generate(n_customers=int(case[4:]), seed=7)
        customers = company.customers.drop(columns="acquisition_channel")
        truth = company.truth.identities[["source", "customer_id", "person_id"]]
    else:
        from synthetic import people_and_records

        customers, truth = people_and_records(int(int(case) / 1.2), seed)
    truth.to_parquet(truth_path)
    with Store.open(store_path) as store:
        for source, part in customers.groupby("source"):
            store.load("customers", part.drop(columns="source").reset_index(drop=True), source=source)
    return len(customers)


def _quality(con, truth_path: Path, keys_sql: str) -> dict:
    import pandas as pd

    from clientele.identity.evaluate import pairwise_quality

    truth = pd.read_parquet(truth_path)
    truth = pd.DataFrame({"unique_id": truth["source"] + ":" + truth["customer_id"], "person_id": truth["person_id"]})
    keys = con.execute(keys_sql).df()
    q = pairwise_quality(keys, truth)
    return {"precision": q.precision, "recall": q.recall}


def worker(method: str, case: str) -> dict:
    """One timed run in this process; returns seconds, peak memory and quality."""
    import shutil

    from clientele.store import Store

    store_path, truth_path = _paths(case)
    work = DATA / f"resolve_{case}_{method}.duckdb"
    shutil.copyfile(store_path, work)
    try:
        with Store.open(work) as store:
            start = time.perf_counter()
            if method.startswith("clientele"):
                from clientele.identity import resolve_store

                resolve_store(store, memory_limit="1GB" if method == "clientele-1GB" else None)
                keys_sql = "SELECT source || ':' || customer_id AS unique_id, customer_key FROM identities"
            else:
                _deterministic(store.con)
                keys_sql = "SELECT unique_id, customer_key FROM baseline_keys"
            seconds = time.perf_counter() - start
            quality = _quality(store.con, truth_path, keys_sql)
    finally:
        work.unlink(missing_ok=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, **quality}


def _deterministic(con) -> None:
    """Baseline: exact e-mail, exact phone digits or exact name + town -> one customer."""
    import pandas as pd

    from clientele.identity.clusters import cluster_records
    from clientele.identity.normalize import records_sql

    con.execute(f"CREATE TEMP TABLE recs AS {records_sql()}")
    links = con.execute(
        " UNION ".join(
            f"SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r FROM recs l JOIN recs r "
            f"ON l.{col} = r.{col} AND l.unique_id < r.unique_id"
            for col in ("email", "phone", "name_city")
        )
    ).df()
    ids = con.execute("SELECT unique_id FROM recs ORDER BY unique_id").df()["unique_id"]
    labels = cluster_records(ids, links)
    keys = pd.DataFrame({"unique_id": ids, "customer_key": labels.astype(str)})
    con.register("__bk", keys)
    con.execute("CREATE TEMP TABLE baseline_keys AS SELECT * FROM __bk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,250000,1000000")
    parser.add_argument("--demo", default="", help="demo company sizes (people), e.g. 5000,50000")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--worker", nargs=2, metavar=("METHOD", "RECORDS"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1])))
        return
    rows = []
    cases = [f"demo{int(s)}" for s in args.demo.split(",") if s] + [str(int(s)) for s in args.sizes.split(",") if s]
    for case in cases:
        t = time.perf_counter()
        records = prepare(case)
        print(f"# prepared {case}: {records:,} records in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
        for method in ("clientele", "clientele-1GB", "baseline"):
            runs = []
            for _ in range(args.repeat):
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", method, case],
                    check=True, capture_output=True, text=True,
                )
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            row = {
                "data": f"demo company, {int(case[4:]):,} people" if case.startswith("demo") else "synthetic",
                "records": records,
                "method": method,
                "seconds": statistics.median(r["seconds"] for r in runs),
                "peak_mb": max(r["peak_mb"] for r in runs),
                "precision": runs[-1]["precision"],
                "recall": runs[-1]["recall"],
            }
            rows.append(row)
            print(f"# {row}", file=sys.stderr, flush=True)
    sys.path.insert(0, str(HERE))
    from _machine import describe

    print(f"Machine: {describe('splink')}; median of {args.repeat} run(s)\n")
    print("| data | records | method | time (s) | peak memory (MB) | precision | recall |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['data']} | {r['records']:,} | {r['method']} | {r['seconds']:.1f} | {r['peak_mb']:,.0f} | "
              f"{r['precision']:.4f} | {r['recall']:.4f} |")


if __name__ == "__main__":
    main()
