"""Clusters, overrides, stable keys, pairwise quality, competing candidates, settings files."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientele.errors import InputError
from clientele.identity.clusters import cluster_records
from clientele.identity.evaluate import pairwise_quality
from clientele.identity.exclusivity import exclusive_probability
from clientele.identity.keys import assign_keys
from clientele.identity.model import correct_u
from clientele.identity.settings import check_settings, default_settings, load_settings, save_settings


def _links(pairs):
    return pd.DataFrame(pairs, columns=["unique_id_l", "unique_id_r"], dtype=object)


def _records(ids, days):
    return pd.DataFrame({"unique_id": ids, "signup_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")})


EMPTY = pd.DataFrame(columns=["unique_id", "customer_key", "key_since"])


# -- clusters and overrides -----------------------------------------------------------------------


def _components_brute_force(ids, edges):
    parent = {i: i for i in ids}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        if a in parent and b in parent:
            parent[find(a)] = find(b)
    return [find(i) for i in ids]


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 12).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=20))))
def test_clusters_are_the_connected_components(case):
    n, edges = case
    ids = [f"s:{i}" for i in range(n)]
    pairs = [(ids[a], ids[b]) for a, b in edges if a != b]
    got = cluster_records(pd.Series(ids), _links(pairs)).tolist()
    want = _components_brute_force(ids, pairs)
    for i, j in itertools.combinations(range(n), 2):
        assert (got[i] == got[j]) == (want[i] == want[j])
    assert got[0] == 0  # numbered by first appearance


def test_overrides_apply_in_order_and_beat_the_model():
    ids = pd.Series(["a", "b", "c", "d"])
    links = _links([("a", "b"), ("b", "c")])
    ov = pd.DataFrame({"kind": ["split"], "unique_id": ["b"], "other_unique_id": [None]})
    assert cluster_records(ids, links, ov).tolist() == [0, 1, 2, 3]  # b's model links are gone
    ov = pd.DataFrame({"kind": ["link", "split"], "unique_id": ["a", "a"], "other_unique_id": ["d", None]})
    assert cluster_records(ids, links, ov).tolist() == [0, 1, 1, 2]  # the later split undoes the link
    ov = pd.DataFrame({"kind": ["split", "link"], "unique_id": ["a", "a"], "other_unique_id": [None, "d"]})
    assert cluster_records(ids, links, ov).tolist() == [0, 1, 1, 0]


# -- stable keys --------------------------------------------------------------------------------


def test_first_run_keys_are_the_oldest_records_fallback_keys():
    recs = _records(["s:1", "s:2", "w:1", "w:2"], [5, 1, 3, 9])
    a = assign_keys(recs, pd.Series([0, 0, 0, 1]), EMPTY)
    assert a.keys["customer_key"].tolist() == ["s:2", "s:2", "s:2", "w:2"]
    assert a.merges.empty
    assert sorted(a.changes["unique_id"]) == ["s:1", "w:1"]
    assert set(a.changes["reason"]) == {"linked"}


def test_rerun_with_same_clusters_changes_nothing():
    recs = _records(["s:1", "s:2", "w:1"], [5, 1, 3])
    first = assign_keys(recs, pd.Series([0, 0, 1]), EMPTY)
    again = assign_keys(recs, pd.Series([0, 0, 1]), first.keys)
    assert again.changes.empty and again.merges.empty
    assert again.keys["customer_key"].tolist() == first.keys["customer_key"].tolist()


def test_merge_keeps_the_older_key_and_records_the_merge():
    recs = _records(["s:1", "s:2", "w:1", "w:2"], [5, 1, 3, 0])
    first = assign_keys(recs, pd.Series([0, 0, 1, 1]), EMPTY)
    assert first.keys["customer_key"].tolist() == ["s:2", "s:2", "w:2", "w:2"]
    second = assign_keys(recs, pd.Series([0, 0, 0, 0]), first.keys)
    assert second.keys["customer_key"].tolist() == ["w:2"] * 4  # w:2 signed up first
    assert second.merges.values.tolist() == [["s:2", "w:2"]]
    assert second.changes["reason"].str.startswith("merge: key s:2 merged into the older key w:2").all()
    assert sorted(second.changes["unique_id"]) == ["s:1", "s:2"]


def test_new_record_joins_an_existing_key_or_gets_its_own():
    recs = _records(["s:1", "w:1"], [1, 2])
    first = assign_keys(recs, pd.Series([0, 0]), EMPTY)
    grown = _records(["s:1", "w:1", "w:7", "w:8"], [1, 2, 30, 40])
    second = assign_keys(grown, pd.Series([0, 0, 0, 1]), first.keys)
    assert second.keys["customer_key"].tolist() == ["s:1", "s:1", "s:1", "w:8"]
    reasons = dict(zip(second.changes["unique_id"], second.changes["reason"]))
    assert reasons == {"w:7": "new record joined key s:1"}


def test_an_older_new_record_joins_the_existing_key():
    recs = _records(["s:5"], [10])
    first = assign_keys(recs, pd.Series([0]), EMPTY)
    grown = _records(["s:1", "s:5"], [1, 10])  # s:1 signed up earlier but arrives later
    second = assign_keys(grown, pd.Series([0, 0]), first.keys)
    assert second.keys["customer_key"].tolist() == ["s:5", "s:5"] and second.merges.empty


def test_split_leaves_the_key_with_its_founding_record():
    recs = _records(["s:1", "w:1", "w:2"], [1, 2, 3])
    first = assign_keys(recs, pd.Series([0, 0, 0]), EMPTY)
    second = assign_keys(recs, pd.Series([0, 1, 1]), first.keys, split_ids={"w:1"})
    assert second.keys["customer_key"].tolist() == ["s:1", "w:1", "w:1"]
    reasons = dict(zip(second.changes["unique_id"], second.changes["reason"]))
    assert reasons == {"w:1": "override split", "w:2": "split: no longer linked to key s:1"}


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 10).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 400), min_size=n, max_size=n),
            st.lists(st.integers(0, 3), min_size=n, max_size=n),
            st.lists(st.integers(0, 3), min_size=n, max_size=n),
        )
    )
)
def test_key_invariants(case):
    days, c1, c2 = case
    ids = [f"s:{i}" for i in range(len(days))]
    recs = _records(ids, days)
    first = assign_keys(recs, pd.Series(c1), EMPTY)
    second = assign_keys(recs, pd.Series(c2), first.keys)
    for a in (first, second):
        keys = a.keys.assign(cluster=c1 if a is first else c2)
        # one key per cluster, one cluster per key
        assert keys.groupby("cluster")["customer_key"].nunique().eq(1).all()
        assert keys.groupby("customer_key")["cluster"].nunique().eq(1).all()
    # a cluster that is unchanged keeps its key
    k1 = dict(zip(ids, first.keys["customer_key"]))
    k2 = dict(zip(ids, second.keys["customer_key"]))
    g1 = pd.Series(c1, index=ids).groupby(c1).groups
    g2 = pd.Series(c2, index=ids).groupby(c2).groups
    for members in g1.values():
        if any(set(members) == set(m) for m in g2.values()):
            assert {k2[m] for m in members} == {k1[m] for m in members}
    # every record whose key changed is logged, and only those
    changed = {i for i in ids if k1[i] != k2[i]}
    assert set(second.changes["unique_id"]) == changed
    # a merged key is younger than the key it merged into
    since = dict(zip(first.keys["customer_key"], first.keys["key_since"]))
    for merged, into in second.merges.itertuples(index=False):
        assert (since[merged], merged) >= (since[into], into)


# -- pairwise quality ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=25))
def test_pairwise_quality_matches_brute_force(rows):
    ids = [f"r{i}" for i in range(len(rows))]
    keys = pd.DataFrame({"unique_id": ids, "customer_key": [f"k{k}" for k, _ in rows]})
    truth = pd.DataFrame({"unique_id": ids, "person_id": [f"p{p}" for _, p in rows]})
    q = pairwise_quality(keys, truth)
    pred = {(a, b) for a, b in itertools.combinations(range(len(rows)), 2) if rows[a][0] == rows[b][0]}
    true = {(a, b) for a, b in itertools.combinations(range(len(rows)), 2) if rows[a][1] == rows[b][1]}
    assert (q.predicted_pairs, q.true_pairs, q.correct_pairs) == (len(pred), len(true), len(pred & true))
    if pred:
        assert q.precision == pytest.approx(len(pred & true) / len(pred))
    if true:
        assert q.recall == pytest.approx(len(pred & true) / len(true))


# -- competing candidates and the u correction ----------------------------------------------------


def test_competing_candidates_share_probability():
    links = pd.DataFrame(
        {
            "unique_id_l": ["w:1", "w:1", "w:5", "w:2"],
            "unique_id_r": ["s:1", "s:2", "s:9", "w:3"],
            "match_probability": [0.9, 0.5, 0.99, 0.8],
        }
    )
    adj = exclusive_probability(links).to_numpy()
    o1, o2 = 9.0, 1.0
    assert adj[0] == pytest.approx(o1 / (1 + o1 + o2))
    assert adj[1] == pytest.approx(o2 / (1 + o1 + o2))
    assert adj[2] == pytest.approx(0.99)  # a lone candidate keeps its probability
    assert adj[3] == pytest.approx(0.8)  # same-source pairs are left alone
    assert (adj <= links["match_probability"].to_numpy() + 1e-12).all()


def test_u_correction_inverts_the_mixture():
    lam, m, u = 0.001, np.array([0.7, 0.2, 0.1]), np.array([1e-5, 1e-3, 1 - 1e-5 - 1e-3])
    observed = lam * m + (1 - lam) * u
    model = {
        "probability_two_random_records_match": lam,
        "comparisons": [
            {
                "comparison_levels": [{"sql_condition": "x", "is_null_level": True}]
                + [{"sql_condition": str(i), "m_probability": float(mi), "u_probability": float(oi)} for i, (mi, oi) in enumerate(zip(m, observed))]
            }
        ],
    }
    levels = correct_u(model, 1e9)["comparisons"][0]["comparison_levels"][1:]
    assert [lv["u_probability"] for lv in levels] == pytest.approx(u.tolist(), rel=1e-9)


# -- settings files -------------------------------------------------------------------------------


def test_settings_round_trip_and_edit(tmp_path):
    path = save_settings(default_settings(), tmp_path / "s.json")
    doc = json.loads(path.read_text())
    doc["threshold"] = 0.8
    path.write_text(json.dumps(doc))
    assert load_settings(path)["threshold"] == 0.8
    assert load_settings(path)["splink"]["comparisons"] == default_settings()["splink"]["comparisons"]


@pytest.mark.parametrize(
    "change, column",
    [
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": "high"}, "threshold"),
        ({"seed": 1.5}, "seed"),
        ({"one_to_one": "yes"}, "one_to_one"),
        ({"country_code": "+44"}, "country_code"),
        ({"training_rules": []}, "training_rules"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path, change, column):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**default_settings(), **change}))
    with pytest.raises(InputError) as info:
        load_settings(path)
    assert str(path) in str(info.value) and repr(column) in str(info.value)


def test_settings_file_that_is_not_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"threshold": 0.5,\n  oops}')
    with pytest.raises(InputError, match=r"bad.json, line 2: not valid JSON"):
        load_settings(path)
    with pytest.raises(InputError, match="no such settings file"):
        load_settings(tmp_path / "missing.json")


def test_splink_part_is_checked():
    bad = default_settings()
    bad["splink"]["link_type"] = "link_only"
    with pytest.raises(InputError, match="dedupe_only"):
        check_settings(bad)
