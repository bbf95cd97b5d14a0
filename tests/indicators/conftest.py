"""Fixtures of the indicator tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """A small demo company loaded into a store (path)."""
    from clientele.demo import generate, load
    from clientele.store import Store

    path = tmp_path_factory.mktemp("indicators") / "demo.duckdb"
    with Store.open(path) as store:
        load(store, generate(n_customers=1500, seed=5))
    return path
