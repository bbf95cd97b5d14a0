"""The report section of segment needs, and the package's docstring examples."""

from __future__ import annotations

import doctest
import importlib

import pandas as pd
import pytest

from clientele.demo import generate, load
from clientele.needs import needs_for_segments
from clientele.needs.report import evidence_table, lift_matrix, needs_section
from clientele.report.page import Section
from clientele.store import Store

MODULES = ["affinity", "bootstrap", "data", "gaps", "needs", "recommend", "report", "themes"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"clientele.needs.{name}")
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE).failed == 0


@pytest.fixture(scope="module")
def needs(tmp_path_factory):
    company = generate(n_customers=1500, seed=4)
    with Store.open(tmp_path_factory.mktemp("needs_report") / "s.duckdb") as store:
        load(store, company)
        keys = store.con.execute("SELECT source, customer_id, customer_key FROM identities").df()
        ids = keys.merge(company.truth.identities, on=["source", "customer_id"]).merge(
            company.truth.people[["person_id", "segment"]], on="person_id")
        return needs_for_segments(store, ids[["customer_key", "segment"]], n_draws=20)


def test_section_has_the_lift_heatmap_and_one_evidence_table_per_segment(needs):
    section = needs_section(needs)
    assert isinstance(section, Section) and section.missing is None
    assert len(section.figures) == 1
    z = pd.DataFrame(section.figures[0].data[0].z)
    assert z.shape == lift_matrix(needs).shape
    names = [n for n in needs]
    assert sum(any(f"<h3>{n} (" in t for t in section.tables) for n in names) == len(names)
    assert "holdout check" in section.tables[-1]


def test_evidence_table_says_each_need_in_words(needs):
    table = evidence_table(needs["gadget lovers"], top=2)
    assert list(table.columns) == ["need", "what", "evidence"]
    assert "category electronics" in table["what"].tolist()
    assert table.loc[table["need"] == "affinity", "evidence"].str.contains("lift").all()


def test_section_without_segments_says_what_to_do():
    section = needs_section({})
    assert "clientele segments grid" in section.missing and not section.figures
