"""Shared fixtures for the test suite."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture
def store_path(tmp_path):
    """A fresh store location inside the test's temporary folder."""
    return tmp_path / "test.duckdb"


@pytest.fixture(scope="session")
def scored_demo(tmp_path_factory):
    """Path of a store with a 1,500-customer demo company, fitted and scored (do not modify)."""
    from clientele.demo import generate, load
    from clientele.pipeline import fit_store_models, score_store
    from clientele.store import Store

    path = tmp_path_factory.mktemp("scored") / "scored.duckdb"
    with Store.open(path) as store:
        load(store, generate(n_customers=1500, seed=11))
        fit_store_models(store)
        score_store(store)
    return path


@pytest.fixture
def scored_store(scored_demo, tmp_path):
    """A private copy of :func:`scored_demo` that a test may change (path)."""
    path = tmp_path / "store.duckdb"
    shutil.copy(scored_demo, path)
    return path
