"""On the demo company the needs analysis recovers what the generator hid in each segment.

Membership comes from the generator's truth (each record's person, each person's hidden segment),
not from the data; the expected answers come from the generator's parameters.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from clientele.demo import CATEGORIES, THEMES, generate, load
from clientele.needs import NeedsInputs, needs_for_segments, terms
from clientele.store import Store

N_CUSTOMERS = 5000


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    company = generate(n_customers=N_CUSTOMERS, seed=11)
    path = tmp_path_factory.mktemp("needs") / "demo.duckdb"
    with Store.open(path) as store:
        load(store, company)
        keys = store.con.execute("SELECT source, customer_id, customer_key FROM identities").df()
        membership = truth_membership(company, keys)
        inputs = NeedsInputs.from_store(store)
        needs = needs_for_segments(store, membership, n_draws=50)
    return company, path, membership, inputs, needs


def truth_membership(company, keys: pd.DataFrame) -> pd.DataFrame:
    """customer_key -> person -> hidden segment (a key spanning people takes its most common one)."""
    ids = keys.merge(company.truth.identities[["source", "customer_id", "person_id"]], on=["source", "customer_id"])
    ids = ids.merge(company.truth.people[["person_id", "segment"]], on="person_id")
    return ids.groupby("customer_key")["segment"].agg(lambda s: s.mode().iloc[0]).reset_index()


def expected_lifts(company) -> pd.DataFrame:
    """Segments x categories: lift of the segments' category preferences against the base's mix.

    A purchase's amount does not depend on its category in the generator, so a segment's expected
    share of spend in a category is its preference; the base's share is the preferences averaged
    with each segment's share of all spend as weight.
    """
    seg = company.truth.segments.set_index("segment")
    pref = seg[[f"pref_{c}" for c in CATEGORIES]].set_axis(list(CATEGORIES), axis=1)
    weight = company.truth.people.groupby("segment")["spend"].sum().reindex(pref.index)
    base = (pref.mul(weight / weight.sum(), axis=0)).sum()
    return pref / base


def test_each_segment_top_two_categories_by_lift_are_the_generated_ones(demo):
    company, _, _, _, needs = demo
    expected = expected_lifts(company)
    for name, row in expected.iterrows():
        want = row.sort_values(ascending=False)
        got = needs[name].category_affinity
        assert set(got.index[:2]) == set(want.index[:2]), (name, got["lift"].round(2).to_dict(), want.round(2).to_dict())
        if want.iloc[0] > 1.15 * want.iloc[1]:  # clearly ordered in the generator: same order
            assert got.index[0] == want.index[0], name
        top = got.iloc[:2]
        assert (top["lift_lower"] > 1).all() and not top["small"].any(), name


def test_each_segment_distinctive_comment_terms_come_from_its_own_themes(demo):
    company, _, _, _, needs = demo
    for _, seg in company.truth.segments.iterrows():
        own = {t: {term for phrase in THEMES[t].phrases for term in terms(phrase)} for t in seg["themes"]}
        vocabulary = set().union(*own.values())
        found = needs[seg["segment"]].themes.head(6)
        assert len(found) >= 4, seg["segment"]
        covered = set()
        for term, row in found.iterrows():
            for t in [term, *row["also"]]:
                assert t in vocabulary, (seg["segment"], t)
            covered |= {name for name, words in own.items() if term in words}
        assert len(covered) >= 2, (seg["segment"], covered)


def test_theme_nps_follows_the_theme_polarity(demo):
    company, _, _, _, needs = demo
    checked = 0
    for _, seg in company.truth.segments.iterrows():
        own = {t: {term for phrase in THEMES[t].phrases for term in terms(phrase)} for t in seg["themes"]}
        for term, row in needs[seg["segment"]].themes.iterrows():
            themes_of = [t for t, words in own.items() if term in words]
            if len(themes_of) != 1 or THEMES[themes_of[0]].polarity == 0 or row["answers"] < 5:
                continue
            assert np.sign(row["nps"]) == THEMES[themes_of[0]].polarity, (seg["segment"], term, row["nps"])
            checked += 1
    assert checked >= 8


def test_next_best_product_beats_popularity_on_the_holdout(demo):
    _, _, _, inputs, _ = demo
    ev = inputs.evaluation
    assert ev is not None and ev.customers > 1000
    m = ev.metrics
    for method in ("co_purchase", "category_profile"):
        assert m.loc[method, "hit_rate"] > m.loc["popularity", "hit_rate"], m
        assert ev.beats_baseline(method), m
        assert m.loc[method, "coverage"] > m.loc["popularity", "coverage"]
    rates = m[["hit_rate", "precision", "recall", "coverage"]].to_numpy()
    assert ((rates >= 0) & (rates <= 1)).all()


def test_evidence_is_plain_json_with_every_kind(demo):
    _, _, _, _, needs = demo
    for n in needs.values():
        evidence = n.as_evidence(top=2)
        assert {e["kind"] for e in evidence} >= {"affinity", "theme", "next_best_product"}
        json.dumps(evidence)
        json.dumps(n.to_dict())
        recs = n.next_best
        assert recs.groupby("customer_key").size().max() == 5
        assert set(recs["customer_key"]) <= set(n.next_best["customer_key"])
    gadget = needs["gadget lovers"]
    gap_categories = {e["evidence"]["category"] for e in gadget.as_evidence(top=6) if e["kind"] == "gap"}
    expected = expected_lifts(demo[0]).loc["gadget lovers"]
    assert gap_categories and gap_categories <= set(expected.index[expected < 1])


def test_recommendations_never_repeat_a_bought_product(demo):
    _, _, _, inputs, needs = demo
    recs = needs["style seekers"].next_best
    bought = inputs.lines[["customer_key", "product_id"]].drop_duplicates()
    clash = recs.merge(bought, on=["customer_key", "product_id"])
    assert clash.empty
