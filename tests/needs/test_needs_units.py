"""Affinity, gaps, bootstrap, recommenders and comment terms on small hand-made data (brute force)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientele.errors import InputError, ModelInputError, NotFittedError
from clientele.needs import (
    CategoryProfileRecommender,
    CoPurchaseRecommender,
    PopularityRecommender,
    affinity,
    check_membership,
    distinctive_terms,
    evaluate,
    gaps,
    nps,
    terms,
    value_bands,
)
from clientele.needs.bootstrap import ratio_interval
from clientele.needs.data import members_of


def _lines(rows):
    return pd.DataFrame(rows, columns=["customer_key", "category", "amount"]).assign(brand="b")


def test_affinity_matches_hand_computed_shares_and_lift():
    # members a, b spend 30 on x and 10 on y; non-members c, d spend 10 on x and 50 on y
    pattern = [("a", "x", 20), ("a", "y", 10), ("b", "x", 10), ("c", "x", 10), ("c", "y", 25), ("d", "y", 25)]
    lines = _lines([(f"{k}{i}", c, m) for i in range(10) for k, c, m in pattern])
    members = pd.Index([f"{k}{i}" for i in range(10) for k in "ab"])
    out = affinity(lines, members, n_draws=100, min_customers=11)
    x = out.loc["x"]
    assert x["spend"] == 300 and x["customers"] == 20 and x["purchases"] == 20
    assert x["share"] == pytest.approx(30 / 40)
    assert x["base_share"] == pytest.approx(40 / 100)
    assert x["lift"] == pytest.approx((30 / 40) / (40 / 100))
    assert out.loc["y", "lift"] == pytest.approx((10 / 40) / (60 / 100))
    assert list(out.index) == ["x", "y"]  # sorted by lift
    assert x["reach"] == 1.0 and x["base_reach"] == pytest.approx(3 / 4)
    assert not x["small"] and out.loc["y", "small"]  # only ten members bought y
    assert x["lift_lower"] <= x["lift"] <= x["lift_upper"]


def test_affinity_of_a_segment_without_purchases_is_zero_not_nan_counts():
    lines = _lines([("a", "x", 5.0), ("b", "y", 5.0)])
    out = affinity(lines, pd.Index(["nobody"]), n_draws=10)
    assert (out["customers"] == 0).all() and (out["spend"] == 0).all()
    assert out["small"].all()


def test_ratio_interval_is_exact_for_identical_customers_and_nan_without_draws():
    num = np.tile([[2.0, 1.0]], (50, 1))
    den = np.tile([[4.0, 4.0]], (50, 1))
    lo, hi = ratio_interval(num, den, n_draws=40)
    assert lo == pytest.approx([0.5, 0.25]) and hi == pytest.approx([0.5, 0.25])
    lo, hi = ratio_interval(num, den, n_draws=0)
    assert np.isnan(lo).all() and np.isnan(hi).all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.01, 1e4), min_size=5, max_size=60), st.integers(1, 10))
def test_value_bands_are_ordered_and_balanced(values, n_bands):
    value = pd.Series(values, index=[f"k{i}" for i in range(len(values))])
    band = value_bands(value, n_bands)
    assert band.min() >= 1 and band.max() == min(n_bands, len(values))
    counts = band.value_counts()
    assert counts.max() - counts.min() <= 1
    ordered = band.loc[value.sort_values(kind="stable").index].to_numpy()
    assert (np.diff(ordered) >= 0).all()


def test_gaps_match_a_brute_force_indirect_standardisation():
    rng = np.random.default_rng(3)
    keys = [f"c{i}" for i in range(40)]
    rows = []
    for k in keys:
        for _ in range(rng.integers(1, 5)):
            rows.append((k, rng.choice(["x", "y", "z"]), float(rng.integers(1, 50))))
    lines = _lines(rows)
    value = lines.groupby("customer_key")["amount"].sum()
    members = pd.Index(keys[:12])
    out = gaps(lines, members, value, n_bands=4, n_draws=0)

    band = value_bands(value, 4)
    spend = lines.pivot_table(index="customer_key", columns="category", values="amount", aggfunc="sum", fill_value=0)
    expected = dict.fromkeys(spend.columns, 0.0)
    for k in members:
        others = [o for o in spend.index if o not in members and band[o] == band[k]]
        ref = spend.loc[others].sum()
        for c in spend.columns:
            expected[c] += spend.loc[k].sum() * ref[c] / ref.sum()
    for c in spend.columns:
        assert out.loc[c, "expected_spend"] == pytest.approx(expected[c])
        assert out.loc[c, "spend"] == pytest.approx(spend.loc[members, c].sum())
        assert out.loc[c, "money_gap"] == pytest.approx(expected[c] - spend.loc[members, c].sum())
    assert out["expected_spend"].sum() == pytest.approx(out["spend"].sum())  # shares add up in every band
    assert (np.diff(out["money_gap"].to_numpy()) <= 0).all()


def _baskets():
    # people who buy A also buy B; C is bought by many on its own (the popular product)
    rows = [(f"p{i}", "A") for i in range(6)] + [(f"p{i}", "B") for i in range(5)]
    rows += [(f"q{i}", "C") for i in range(8)] + [("q0", "D"), ("q1", "D")]
    out = pd.DataFrame(rows, columns=["customer_key", "product_id"])
    out["category"] = out["product_id"].map({"A": "toys", "B": "toys", "C": "food", "D": "food"})
    return out


def test_co_purchase_similarity_is_the_shrunk_rule_confidence():
    lines = _baskets()
    model = CoPurchaseRecommender(shrinkage=1.0, activity_power=0.0).fit(lines)
    s = pd.DataFrame(model.similarity_.toarray(), index=model.products_, columns=model.products_)
    assert s.loc["A", "B"] == pytest.approx(5 / (6 + 1))  # 5 bought both, 6 bought A
    assert s.loc["B", "A"] == pytest.approx(5 / (5 + 1))
    assert s.loc["C", "D"] == pytest.approx(2 / (8 + 1))
    assert s.loc["A", "C"] == 0 and s.loc["A", "A"] == 0
    # the customers who bought both bought two products each: each counts 1 / sqrt(2)
    model = CoPurchaseRecommender(shrinkage=1.0, activity_power=0.5).fit(lines)
    s = pd.DataFrame(model.similarity_.toarray(), index=model.products_, columns=model.products_)
    assert s.loc["A", "B"] == pytest.approx(5 / np.sqrt(2) / (6 + 1))


def test_recommendations_follow_co_purchase_skip_bought_and_fall_back_to_popularity():
    lines = _baskets()
    model = CoPurchaseRecommender().fit(lines)
    recs = model.recommend(["p5", "unknown"], n=2)
    p5 = recs.loc[recs["customer_key"] == "p5"]
    assert p5["product_id"].tolist()[0] == "B"  # bought A only: B, not the more popular C
    assert "A" not in p5["product_id"].tolist()
    unknown = recs.loc[recs["customer_key"] == "unknown", "product_id"].tolist()
    assert unknown == ["C", "A"]  # most customers: C (8), then A (6)
    pop = PopularityRecommender().fit(lines).recommend(["p5"], n=2)
    assert pop["product_id"].tolist() == ["C", "B"]
    cat = CategoryProfileRecommender(prior_strength=1.0).fit(lines).recommend(["p5"], n=1)
    assert cat["product_id"].tolist() == ["B"]


def test_recommenders_raise_before_fit_and_on_bad_input():
    with pytest.raises(NotFittedError):
        CoPurchaseRecommender().recommend(["a"])
    with pytest.raises(ModelInputError, match="product_id"):
        CoPurchaseRecommender().fit(pd.DataFrame({"customer_key": ["a"]}))
    with pytest.raises(ModelInputError, match="no purchase names a product"):
        CoPurchaseRecommender().fit(pd.DataFrame({"customer_key": ["a"], "product_id": [None]}))


def test_evaluate_counts_hits_by_hand():
    t0, t1 = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-06-01")
    lines = _baskets().assign(timestamp=t0)
    # in the holdout p5 buys B (a co-purchase hit, also popular's 2nd) and q2 buys D
    lines = pd.concat([lines, pd.DataFrame({"customer_key": ["p5", "q2"], "product_id": ["B", "D"],
                                            "category": ["toys", "food"], "timestamp": [t1, t1]})])
    ev = evaluate(lines, calibration_end="2024-03-01", k=1)
    assert ev.customers == 2
    # k=1: co-purchase gives p5 B (hit) and q2 D (hit); popularity gives both their most popular unbought
    assert ev.metrics.loc["co_purchase", "hit_rate"] == 1.0
    assert ev.metrics.loc["popularity", "hit_rate"] == 0.0  # p5 gets C, q2 gets A
    assert ev.metrics.loc["co_purchase", "recall"] == 1.0
    json.dumps(ev.to_dict())
    with pytest.raises(ModelInputError, match="move the calibration end"):
        evaluate(lines, calibration_end="2025-01-01")


def test_terms_drop_stop_words_and_pair_adjacent_words():
    assert terms("Could never get a delivery slot that suits us") == ["delivery", "delivery slot", "never", "slot", "suits"]
    assert terms("The kids' section: GREAT!") == ["great", "kids", "kids section", "section", "section great"]
    assert terms("") == []


def test_nps_is_promoters_minus_detractors():
    assert nps(np.array([10, 9, 8, 7, 6, 0])) == pytest.approx(100 * (2 / 6 - 2 / 6))
    assert nps(np.array([10, 10])) == 100.0
    assert np.isnan(nps(np.array([])))


def test_distinctive_terms_log_odds_by_hand():
    answers = pd.DataFrame({
        "customer_key": ["m1", "m2", "m3", "m4", "o1", "o2", "o3", "o4", "o5", "o6"],
        "nps": [2, 3, 9, 1, 9, 10, 9, 8, 10, 9],
        "comment": ["long queues", "long queues again", "long queues but nice", "queues", "nice staff",
                    "nice staff", "friendly staff", "staff nice", "great prices", None],
    })
    out = distinctive_terms(answers, pd.Index(["m1", "m2", "m3", "m4"]), min_comments=2, z_min=-np.inf,
                            prior_strength=10.0)
    # "queues" is used by 4 member comments and no other; n, n' count all term uses
    per = [set(terms(c)) for c in answers["comment"].dropna()]
    member_terms, other_terms = per[:4], per[4:]
    n, n_o = sum(map(len, member_terms)), sum(map(len, other_terms))
    y, y_o = 4, 0
    a = 10.0 * sum("queues" in p for p in per) / (n + n_o)
    delta = np.log((y + a) / (n + 10 - y - a)) - np.log((y_o + a) / (n_o + 10 - y_o - a))
    row = out.loc["queues"]
    assert row["log_odds"] == pytest.approx(delta)
    assert row["z"] == pytest.approx(delta / np.sqrt(1 / (y + a) + 1 / (y_o + a)))
    assert out.index[0] in {"queues", "long queues"}
    assert out.loc["long queues", "also"] == ["long"]  # same comments: folded in
    assert out.loc["long queues", "answers"] == 3
    assert out.loc["long queues", "nps"] == pytest.approx(nps(np.array([2, 3, 9])))
    assert out.loc["long queues", "examples"][0] == "long queues"


def test_membership_errors_name_the_column_row_and_known_segments():
    with pytest.raises(InputError, match="no segment column"):
        check_membership(pd.DataFrame({"customer_key": ["a"]}))
    with pytest.raises(InputError, match="line 2.*needs a segment"):
        check_membership(pd.DataFrame({"customer_key": ["a", "b"], "segment": ["s", None]}))
    ok = check_membership(pd.DataFrame({"customer_key": ["a", "a"], "segment": ["s", "s"]}))
    assert len(ok) == 1
    with pytest.raises(InputError, match="expected one of: s"):
        members_of(ok, "t")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=80)), min_size=1, max_size=30),
       st.lists(st.integers(0, 10), min_size=30, max_size=30))
def test_hostile_comments_never_crash_or_give_nan_scores(comments, scores):
    answers = pd.DataFrame({
        "customer_key": [f"k{i % 7}" for i in range(len(comments))],
        "nps": scores[: len(comments)],
        "comment": comments,
    })
    out = distinctive_terms(answers, pd.Index(["k0", "k1", "k2"]), min_comments=1, z_min=-np.inf)
    assert np.isfinite(out["z"].to_numpy(dtype=float)).all()
    assert np.isfinite(out["log_odds"].to_numpy(dtype=float)).all()
    assert (out["comments"] >= 1).all()
    for text in comments:
        assert all(t == t.strip() and t for t in terms(text or ""))


def test_poisson_weights_have_the_poisson_one_distribution():
    import math

    from clientele.needs.bootstrap import poisson_weights

    w = poisson_weights(np.random.default_rng(1), (400, 1000))
    assert w.mean() == pytest.approx(1.0, abs=0.01) and w.var() == pytest.approx(1.0, abs=0.02)
    for k in range(4):
        assert np.mean(w == k) == pytest.approx(math.exp(-1) / math.factorial(k), abs=0.003)
