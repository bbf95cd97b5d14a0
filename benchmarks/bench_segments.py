"""Segment rules and the value x risk grid on many customers, side by side with baselines.

* rule evaluation: clientele's parsed, vectorised rule vs ``pandas.DataFrame.query`` (an
  ``eval``-based engine, not safe for user text, used here only as a speed baseline) vs the same
  condition written by hand as DuckDB SQL over the frame;
* grid assignment: ``clientele.segments.Grid.assign`` (4 CLV tiers x 4 P(alive) bands) vs
  ``clientele.indicators.value_risk_segments`` (3 x 2, the older grid).

Each measurement runs in its own subprocess (median of 5 runs after one warm-up); peak memory is
that subprocess's maximum resident set size (``load only``: the data and libraries alone). Data is generated into ``benchmarks/data/``.

Run: ``.venv/bin/python benchmarks/bench_segments.py [n_customers ...]``
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"
RULE = "clv > 150 and p_alive < 0.5 or city in ('Lisboa', 'Porto') and frequency >= 3 and not nps < 7"
QUERY = "clv > 150 and p_alive < 0.5 or city in ('Lisboa', 'Porto') and frequency >= 3 and not (nps < 7)"
SQL = ("SELECT count(*) FROM frame WHERE (clv > 150 AND p_alive < 0.5) OR (city IN ('Lisboa', 'Porto') "
       "AND frequency >= 3 AND NOT coalesce(nps < 7, false))")


def make_data(n: int) -> Path:
    import numpy as np
    import pandas as pd

    path = DATA / f"segments_{n}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    nps = rng.integers(0, 11, n).astype(float)
    nps[rng.random(n) < 0.8] = np.nan
    frame = pd.DataFrame({
        "customer_key": [f"shop:{i:08d}" for i in range(n)],
        "clv": rng.gamma(1.2, 80.0, n),
        "p_alive": rng.beta(2.0, 1.2, n),
        "frequency": rng.poisson(2.0, n).astype(float),
        "nps": nps,
        "city": rng.choice(["Lisboa", "Porto", "Braga", "Faro", "Coimbra"], n),
    })
    frame.to_parquet(path)
    return path


CHILD = r"""
import json, resource, statistics, sys, time
import numpy as np, pandas as pd
method, path = sys.argv[1], sys.argv[2]
frame = pd.read_parquet(path)
RULE, QUERY, SQL = json.loads(sys.argv[3])
if method == "clientele rule":
    from clientele.segments import compile_rule
    from clientele.segments.rules import NUMBER, TEXT
    cols = {"clv": NUMBER, "p_alive": NUMBER, "frequency": NUMBER, "nps": NUMBER, "city": TEXT}
    run = lambda: int(compile_rule(RULE, cols).evaluate(frame).sum())
elif method == "pandas query":
    run = lambda: len(frame.query(QUERY))
elif method == "duckdb SQL":
    import duckdb
    con = duckdb.connect()
    con.register("frame", frame)
    run = lambda: con.execute(SQL).fetchone()[0]
elif method == "clientele grid 4x4":
    from clientele.segments import Grid
    grid = Grid.of()
    run = lambda: grid.assign(frame)["segment"].nunique()
elif method == "value_risk_segments 3x2":
    from clientele.indicators import value_risk_segments
    run = lambda: value_risk_segments(frame).nunique()
elif method == "load only":
    run = lambda: len(frame)
result = run()
times = []
for _ in range(5):
    t = time.perf_counter(); result = run(); times.append(time.perf_counter() - t)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
print(json.dumps({"median": statistics.median(times), "result": int(result), "peak_mb": peak}))
"""


def measure(method: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, method, str(path), json.dumps([RULE, QUERY, SQL])],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    import duckdb
    import numpy as np
    import pandas as pd

    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}, pandas {pd.__version__}, duckdb {duckdb.__version__}\n")
    print(f"Rule: `{RULE}`\n")
    print("| customers | method | median time (s) | peak RSS (MB) | result |")
    print("| ---: | --- | ---: | ---: | ---: |")
    methods = ["load only", "clientele rule", "pandas query", "duckdb SQL", "clientele grid 4x4",
               "value_risk_segments 3x2"]
    for n in sizes:
        path = make_data(n)
        for method in methods:
            s = measure(method, path)
            print(f"| {n:,} | {method} | {s['median']:.4f} | {s['peak_mb']:.0f} | {s['result']:,} |", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
