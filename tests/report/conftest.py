"""A small demo company in a store, and its report (built once per test module)."""

from __future__ import annotations

import pytest

from clientele.demo import generate, load
from clientele.report import collect, render
from clientele.store import Store

PEOPLE, SEED = 1500, 11


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "demo.duckdb"
    with Store.open(path) as store:
        load(store, generate(n_customers=PEOPLE, seed=SEED))
    return path


@pytest.fixture(scope="module")
def report_data(demo_store):
    with Store.open(demo_store, read_only=True) as store:
        return collect(store, n_draws=20, months=3)


@pytest.fixture(scope="module")
def report_file(report_data, tmp_path_factory):
    path = tmp_path_factory.mktemp("page") / "report.html"
    path.write_text(render(report_data, top=15), encoding="utf-8")
    return path
