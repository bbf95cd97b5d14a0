"""Model validation speed and memory: clientele.validation against lifetimes, side by side.

Run: ``.venv/bin/python benchmarks/bench_validate.py [--copies 10] [--repeats 3]``

Data: the CDNOW 1997 Q1 cohort from lifetimes' ``CDNOW_master.txt`` (23,570 customers), and
the same log with every customer copied ``--copies`` times under new ids (written to
benchmarks/data/ as Parquet). Each case runs in a fresh subprocess: median wall time of the
call and the process's peak resident memory (``ru_maxrss``). The same work is done on both
sides: split into calibration (to 1997-09-30) and holdout (to 1998-06-30), fit BG/NBD in
weeks, the calibration histogram (0..6, 7+), the conditional expectations by frequency and the
per-customer holdout expectations, and the weekly cumulative tracking (lifetimes:
``summary_data_from_transaction_data`` plus pandas for the holdout counts, ``BetaGeoFitter``, ``probability_of_n_purchases_up_to_time``,
``conditional_expected_number_of_purchases_up_to_time``, ``utils.expected_cumulative_transactions``).
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
CAL, OBS = "1997-09-30", "1998-06-30"


def generate(copies: int) -> list[Path]:
    import lifetimes
    import pandas as pd

    DATA.mkdir(parents=True, exist_ok=True)
    paths = [DATA / "cdnow_cohort_1.parquet", DATA / f"cdnow_cohort_{copies}.parquet"]
    if all(p.exists() for p in paths):
        return paths
    source = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_master.txt"
    frame = pd.read_csv(source, sep=r"\s+", header=None, skiprows=1, names=["customer_key", "date", "quantity", "amount"],
                        dtype={"customer_key": str, "date": str})
    frame["timestamp"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    first = frame.groupby("customer_key")["timestamp"].transform("min")
    cohort = frame.loc[first <= "1997-03-31", ["customer_key", "timestamp", "amount"]].reset_index(drop=True)
    cohort.to_parquet(paths[0])
    big = pd.concat([cohort.assign(customer_key=cohort["customer_key"] + f"-{i}") for i in range(copies)], ignore_index=True)
    big.to_parquet(paths[1])
    return paths


def run_case(side: str, path: str) -> dict:
    import resource
    import time

    import numpy as np
    import pandas as pd

    frame = pd.read_parquet(path)
    start = time.perf_counter()
    if side == "clientele":
        from clientele.validation import validate

        result = validate(frame, calibration_end=CAL, observation_end=OBS)
        total = result.errors["model_holdout_transactions"]
    else:
        from lifetimes import BetaGeoFitter
        from lifetimes.utils import expected_cumulative_transactions, summary_data_from_transaction_data

        # lifetimes' calibration_and_holdout_data fails under pandas 3: its calibration summary,
        # then the holdout counts with pandas, in days, then weeks by hand
        cal = summary_data_from_transaction_data(frame, "customer_key", "timestamp", observation_period_end=CAL, freq="D")
        holdout = frame[(frame["timestamp"] > CAL) & (frame["timestamp"] <= OBS)]
        holdout = holdout.assign(day=holdout["timestamp"].dt.normalize()).drop_duplicates(["customer_key", "day"])
        rfm = pd.DataFrame({
            "frequency_cal": cal["frequency"], "recency_cal": cal["recency"] / 7.0, "T_cal": cal["T"] / 7.0,
            "frequency_holdout": holdout.groupby("customer_key").size().reindex(cal.index, fill_value=0),
            "duration_holdout": (pd.Timestamp(OBS) - pd.Timestamp(CAL)).days / 7.0,
        })
        model = BetaGeoFitter().fit(rfm["frequency_cal"], rfm["recency_cal"], rfm["T_cal"])
        ages, counts = np.unique(rfm["T_cal"].to_numpy(), return_counts=True)  # lifetimes takes a scalar t
        _ = [sum(c * model.probability_of_n_purchases_up_to_time(t, x) for t, c in zip(ages, counts)) for x in range(7)]
        expected = model.conditional_expected_number_of_purchases_up_to_time(
            rfm["duration_holdout"], rfm["frequency_cal"], rfm["recency_cal"], rfm["T_cal"])
        _ = pd.DataFrame({"f": np.minimum(rfm["frequency_cal"], 7), "e": expected}).groupby("f")["e"].mean()
        cohort = frame[frame["timestamp"] <= OBS]
        days = (pd.Timestamp(OBS) - cohort["timestamp"].min()).days + 1
        _ = expected_cumulative_transactions(model, cohort, "timestamp", "customer_key", t=days, freq="D", freq_multiplier=7)
        total = float(np.sum(expected))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, "holdout_model": total}


def measure(side: str, path: Path, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, __file__, "--case", side, str(path)], capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "holdout_model": runs[0]["holdout_model"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", nargs=2)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(*args.case)))
        return
    import pandas as pd

    print(f"machine: {platform.platform()}, {os.cpu_count()} cpus, python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}; median of {args.repeats} runs, each in a fresh process\n")
    print("| data | customers | transactions | clientele s | lifetimes s | clientele peak MB | lifetimes peak MB | model holdout (clientele / lifetimes) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for path in generate(args.copies):
        frame = pd.read_parquet(path)
        c = measure("clientele", path, args.repeats)
        b = measure("lifetimes", path, args.repeats)
        print(f"| {path.stem} | {frame['customer_key'].nunique():,} | {len(frame):,} | {c['seconds']:.2f} | {b['seconds']:.2f} | "
              f"{c['peak_mb']:.0f} | {b['peak_mb']:.0f} | {c['holdout_model']:,.0f} / {b['holdout_model']:,.0f} |")


if __name__ == "__main__":
    main()
