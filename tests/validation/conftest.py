"""CDNOW transaction logs shipped with lifetimes (read at test time, not copied into the repo)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

lifetimes = pytest.importorskip("lifetimes")
DATASETS = Path(lifetimes.__file__).parent / "datasets"


def _read(name: str, columns: list[str], skip: int) -> pd.DataFrame:
    frame = pd.read_csv(
        DATASETS / name, sep=r"\s+", header=None, skiprows=skip, names=columns, dtype={"customer_key": str, "date": str}
    )
    frame["timestamp"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame[["customer_key", "timestamp", "amount"]]


@pytest.fixture(scope="session")
def cdnow_sample() -> pd.DataFrame:
    """The 1/10 sample of the 1997 Q1 cohort used by Fader, Hardie & Lee (2005): 2,357 customers."""
    return _read("CDNOW_sample.txt", ["customer_key", "original_id", "date", "quantity", "amount"], 0)


@pytest.fixture(scope="session")
def cdnow_master_cohort() -> pd.DataFrame:
    """CDNOW_master.txt restricted to customers whose first purchase is in 1997-01-01..1997-03-31."""
    frame = _read("CDNOW_master.txt", ["customer_key", "date", "quantity", "amount"], 1)
    first = frame.groupby("customer_key")["timestamp"].transform("min")
    return frame[(first >= "1997-01-01") & (first <= "1997-03-31")].reset_index(drop=True)
