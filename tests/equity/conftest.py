"""Fixtures of the equity tests: fitted models on simulated customers with known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientele.models import BGNBD, GammaGamma

TRUE_BGNBD = dict(r=0.24, alpha=4.4, a=0.79, b=2.4)


def simulated_rfm(n: int, seed: int, T=None) -> pd.DataFrame:
    """BG/NBD histories (weeks) with Gamma-Gamma spend, indexed by customer key ``c0000``..."""
    rng = np.random.default_rng(seed)
    ages = T if T is not None else rng.uniform(8.0, 78.0, n).round(1)
    rfm = BGNBD.simulate(TRUE_BGNBD, n, T=ages, seed=seed)
    x = rfm["frequency"].to_numpy()
    nu = rng.gamma(4.0, 1 / 20.0, n)
    zbar = np.where(x > 0, rng.gamma(6.0 * np.maximum(x, 1), 1 / (nu * np.maximum(x, 1))), 0.0)
    rfm["monetary_value"] = zbar
    rfm.index = pd.Index([f"c{i:05d}" for i in range(n)], name="customer_key")
    rfm.attrs["time_unit"] = "W"
    return rfm


def fit(rfm: pd.DataFrame):
    pm = BGNBD().fit(rfm)
    sm = GammaGamma().fit(rfm[rfm["frequency"] > 0])
    return pm, sm


@pytest.fixture(scope="module")
def large():
    rfm = simulated_rfm(4000, seed=11)
    return (*fit(rfm), rfm)


@pytest.fixture(scope="module")
def small():
    rfm = simulated_rfm(400, seed=12)
    return (*fit(rfm), rfm)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """A small demo company loaded into a store (path)."""
    from clientele.demo import generate, load
    from clientele.store import Store

    path = tmp_path_factory.mktemp("equity") / "demo.duckdb"
    with Store.open(path) as store:
        load(store, generate(n_customers=1500, seed=5))
    return path
