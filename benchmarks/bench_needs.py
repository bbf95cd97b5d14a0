"""Segment needs: speed, memory and recommender quality on the demo company.

Run: ``.venv/bin/python benchmarks/bench_needs.py [--customers 20000 100000] [--repeats 3]``

Data: the demo company (:func:`clientele.demo.generate`, seed 7) loaded into a store under
benchmarks/data/, with each customer key's hidden segment from the generator's truth as the
membership. Each case runs in a fresh subprocess: median wall time and the process's peak resident
memory (``ru_maxrss``, which includes reading the store).

* ``needs``: :func:`clientele.needs.needs_for_segments` for the four hidden segments (read the
  store, holdout check of the three recommenders, affinity by category and brand and gaps with
  200 bootstrap draws each, next best products per customer, distinctive comment terms).
* co-purchase counts, the core of the item-to-item model: clientele's sparse product
  ``B.T @ B`` against the usual pandas baseline (self-merge of the customer-product pairs on the
  customer, then a group-by count); both give the same counts (checked).
* terms of the survey comments: clientele's tokenizer and sparse matrix against a pure-Python
  ``collections.Counter`` baseline of the same document frequencies (checked equal).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

DATA = Path(__file__).resolve().parent / "data"


def prepare(n: int) -> tuple[Path, Path]:
    from clientele.demo import generate, load
    from clientele.store import Store

    DATA.mkdir(parents=True, exist_ok=True)
    store_path, members_path = DATA / f"needs_{n}.duckdb", DATA / f"needs_{n}_members.parquet"
    if store_path.exists() and members_path.exists():
        return store_path, members_path
    store_path.unlink(missing_ok=True)
    company = generate(n_customers=n, seed=7)
    with Store.open(store_path) as store:
        load(store, company)
        keys = store.con.execute("SELECT source, customer_id, customer_key FROM identities").df()
    ids = keys.merge(company.truth.identities[["source", "customer_id", "person_id"]], on=["source", "customer_id"])
    ids = ids.merge(company.truth.people[["person_id", "segment"]], on="person_id")
    ids[["customer_key", "segment"]].drop_duplicates("customer_key").to_parquet(members_path)
    return store_path, members_path


def run_case(case: str, store_path: str, members_path: str) -> dict:
    import resource
    import time

    import pandas as pd

    from clientele.needs import needs_for_segments, purchase_lines, survey_answers
    from clientele.store import Store

    membership = pd.read_parquet(members_path)
    with Store.open(store_path, read_only=True) as store:
        if case == "needs":
            start = time.perf_counter()
            needs = needs_for_segments(store, membership, n_draws=200)
            seconds = time.perf_counter() - start
            ev = next(iter(needs.values())).recommender
            extra = {"metrics": ev.metrics[["hit_rate", "precision", "recall", "coverage"]].to_dict(orient="index"),
                     "holdout_customers": ev.customers, "method": next(iter(needs.values())).settings["method"]}
        elif case.startswith("cooc"):
            pairs = purchase_lines(store)[["customer_key", "product_id"]].dropna().drop_duplicates()
            start = time.perf_counter()
            counts = _cooc_sparse(pairs) if case == "cooc_sparse" else _cooc_pandas(pairs)
            seconds = time.perf_counter() - start
            extra = {"pairs": int(len(counts)), "checksum": int(counts["n"].sum())}
        else:
            comments = survey_answers(store)["comment"].dropna()
            start = time.perf_counter()
            df = _terms_sparse(comments) if case == "terms_sparse" else _terms_counter(comments)
            seconds = time.perf_counter() - start
            extra = {"terms": len(df), "checksum": int(sum(df.values()))}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, **extra}


def _cooc_sparse(pairs):
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    c, customers = pd.factorize(pairs["customer_key"])
    p, products = pd.factorize(pairs["product_id"])
    products = products.to_numpy()
    basket = sp.csr_matrix((np.ones(len(c)), (c, p)), shape=(len(customers), len(products)))
    co = sp.triu(basket.T @ basket, k=1).tocoo()
    return pd.DataFrame({"a": products[co.row], "b": products[co.col], "n": co.data.astype(np.int64)})


def _cooc_pandas(pairs):
    both = pairs.merge(pairs, on="customer_key")
    both = both.loc[both["product_id_x"] < both["product_id_y"]]
    return both.groupby(["product_id_x", "product_id_y"]).size().rename("n").reset_index()


def _terms_sparse(comments):
    import numpy as np

    from clientele.needs.themes import term_matrix

    matrix, vocabulary = term_matrix(comments)
    return dict(zip(vocabulary, np.asarray(matrix.sum(axis=0)).ravel().astype(int)))


def _terms_counter(comments):
    import re
    from collections import Counter

    from clientele.needs.themes import STOPWORDS

    word = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
    counts: Counter = Counter()
    for text in comments:
        kept = [w if w not in STOPWORDS else None for w in word.findall(text.lower())]
        found = {w for w in kept if w} | {f"{a} {b}" for a, b in zip(kept, kept[1:]) if a and b}
        counts.update(found)
    return dict(counts)


def measure(case: str, paths: tuple[Path, Path], repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, __file__, "--case", case, *map(str, paths)],
                             capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    result = dict(runs[0])
    result["seconds"] = statistics.median(r["seconds"] for r in runs)
    result["peak_mb"] = max(r["peak_mb"] for r in runs)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", nargs=3)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(*args.case)))
        return
    from _machine import describe

    print(f"machine: {describe('scipy')}; median of {args.repeats} runs, each in a fresh process\n")
    speed, quality = [], []
    for n in args.customers:
        paths = prepare(n)
        needs = measure("needs", paths, args.repeats)
        cooc = {side: measure(f"cooc_{side}", paths, args.repeats) for side in ("sparse", "pandas")}
        terms = {side: measure(f"terms_{side}", paths, args.repeats) for side in ("sparse", "counter")}
        assert cooc["sparse"]["checksum"] == cooc["pandas"]["checksum"] and cooc["sparse"]["pairs"] == cooc["pandas"]["pairs"]
        assert terms["sparse"]["checksum"] == terms["counter"]["checksum"] and terms["sparse"]["terms"] == terms["counter"]["terms"]
        speed.append(f"| {n:,} | needs of 4 segments (clientele) | {needs['seconds']:.2f} | {needs['peak_mb']:.0f} | - | - |")
        speed.append(f"| {n:,} | co-purchase counts ({cooc['sparse']['pairs']:,} pairs): sparse vs pandas self-merge | "
                     f"{cooc['sparse']['seconds']:.3f} | {cooc['sparse']['peak_mb']:.0f} | {cooc['pandas']['seconds']:.3f} | {cooc['pandas']['peak_mb']:.0f} |")
        speed.append(f"| {n:,} | comment terms ({terms['sparse']['terms']:,} terms): sparse vs Counter | "
                     f"{terms['sparse']['seconds']:.3f} | {terms['sparse']['peak_mb']:.0f} | {terms['counter']['seconds']:.3f} | {terms['counter']['peak_mb']:.0f} |")
        for method, m in needs["metrics"].items():
            quality.append(f"| {n:,} | {needs['holdout_customers']:,} | {method}{' (chosen)' if method == needs['method'] else ''} | "
                           f"{m['hit_rate']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} | {m['coverage']:.3f} |")
    print("| customers | work | clientele s | clientele peak MB | baseline s | baseline peak MB |")
    print("|---:|---|---:|---:|---:|---:|")
    print("\n".join(speed))
    print("\nNext best product, holdout check at 5 (last quarter of the period):\n")
    print("| customers | holdout customers | method | hit rate | precision | recall | coverage |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    print("\n".join(quality))


if __name__ == "__main__":
    main()
