"""Segments in the store: membership, refresh, persistence and the summary against hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientele.errors import InputError, StoreError
from clientele.indicators import net_promoter_score, surveys_frame
from clientele.segments import (
    create_grid,
    create_segment,
    customer_attributes,
    delete_segment,
    list_segments,
    refresh_segments,
    segment_members,
    segment_membership,
    segment_summary,
    set_owner,
)
from clientele.store import Store


def scores(store) -> pd.DataFrame:
    return store.con.execute("SELECT customer_key, p_alive, clv FROM customer_scores").df().set_index("customer_key")


def test_grid_puts_every_customer_in_exactly_one_cell_and_partitions_equity(scored_store):
    with Store.open(scored_store) as store:
        table = create_grid(store, owners="Ana")
        grid = segment_membership(store, kind="grid")
        s = scores(store)
        summary = segment_summary(store)
    assert len(table) == 16 and (table["owner"] == "Ana").all()
    assert not grid["customer_key"].duplicated().any()
    assert set(grid["customer_key"]) == set(s.index)
    assert table["members"].sum() == len(s)
    cells = summary[summary["kind"] == "grid"]
    assert cells["customers"].sum() == len(s)
    assert cells["equity"].sum() == pytest.approx(s["clv"].sum(), rel=1e-9)
    assert cells["share_of_equity"].sum() == pytest.approx(1.0, rel=1e-9)
    # the top tier is 10% of the customers, by CLV rank
    top = grid[grid["segment"].str.startswith("CLV top 10%")]["customer_key"]
    assert abs(len(top) - 0.1 * len(s)) <= 1
    assert s.loc[top, "clv"].min() >= s.drop(top)["clv"].max()


def test_rule_membership_equals_a_pandas_filter(scored_store):
    with Store.open(scored_store) as store:
        attrs = customer_attributes(store)
        n = create_segment(store, "valuable at risk", "clv > 20 and p_alive < 0.8 or nps is not null and nps <= 6",
                           owner="Rui", description="win back")
        members = segment_members(store, "valuable at risk")
        m2 = create_segment(store, "by city", "city in ('Lisboa', 'Porto') and not frequency = 0", owner="Rui")
        members2 = segment_members(store, "by city")
    expected = attrs.index[((attrs["clv"] > 20) & (attrs["p_alive"] < 0.8)) | (attrs["nps"].notna() & (attrs["nps"] <= 6))]
    assert n == len(expected) > 0
    assert sorted(members["customer_key"]) == sorted(expected)
    expected2 = attrs.index[attrs["city"].isin(["Lisboa", "Porto"]) & ~(attrs["frequency"] == 0)]
    assert m2 == len(expected2) and sorted(members2["customer_key"]) == sorted(expected2)


def test_attributes_match_the_store(scored_store):
    with Store.open(scored_store, read_only=True) as store:
        attrs = customer_attributes(store)
        s = scores(store)
        bought = store.con.execute("SELECT customer_key, count(*) AS n, sum(amount) AS spend FROM purchases "
                                   "GROUP BY customer_key").df().set_index("customer_key")
        answers = surveys_frame(store)
    assert list(attrs.index) == list(s.index)
    assert np.allclose(attrs["clv"], s["clv"])
    assert (attrs["purchases"] == bought["n"].reindex(attrs.index).fillna(0)).all()
    assert np.allclose(attrs["spend"], bought["spend"].reindex(attrs.index).fillna(0))
    latest = answers.sort_values("timestamp", kind="stable").groupby("customer_key")["nps"].last()
    assert attrs["nps"].notna().sum() == latest.index.isin(attrs.index).sum() > 0
    some = latest.index[latest.index.isin(attrs.index)][:20]
    assert (attrs.loc[some, "nps"] == latest.loc[some]).all()
    assert (attrs["tenure_days"] >= 0).all() and (attrs["records"] >= 1).all()
    assert attrs["city"].notna().all() and attrs["acquisition_channel"].notna().all()


def test_summary_numbers_against_hand_computation(scored_store):
    with Store.open(scored_store) as store:
        create_grid(store)
        create_segment(store, "keen", "frequency >= 3", owner="Ana")
        summary = segment_summary(store).set_index("segment")
        s = scores(store)
        members = segment_members(store, "keen")["customer_key"]
        answers = surveys_frame(store)
        purchases = store.con.execute("SELECT customer_key, timestamp FROM purchases").df()
        (end,) = store.con.execute("SELECT max(observation_end) FROM fitted_models").fetchone()
    row = summary.loc["keen"]
    assert row["customers"] == len(members) and row["owner"] == "Ana" and row["kind"] == "rule"
    assert row["equity"] == pytest.approx(s.loc[members, "clv"].sum())
    assert row["share_of_equity"] == pytest.approx(s.loc[members, "clv"].sum() / s["clv"].sum())
    assert row["avg_clv"] == pytest.approx(s.loc[members, "clv"].mean())
    mine = answers[answers["customer_key"].isin(members)]["nps"]
    assert row["nps_responses"] == len(mine) > 0
    assert row["nps"] == pytest.approx(net_promoter_score(mine)["nps"])
    # retention: of the members who bought in the 12 months before the last 12, the share who bought again
    month = pd.to_datetime(purchases["timestamp"]).dt.to_period("M")
    last = pd.Timestamp(end).to_period("M")
    own = purchases["customer_key"].isin(members)
    current = set(purchases.loc[own & (month > last - 12) & (month <= last), "customer_key"])
    base = set(purchases.loc[own & (month > last - 24) & (month <= last - 12), "customer_key"])
    assert len(base) > 0
    assert row["retention_rate"] == pytest.approx(len(base & current) / len(base))


def test_refresh_follows_new_scores_and_flags_stale_segments(scored_store):
    with Store.open(scored_store) as store:
        create_grid(store)
        create_segment(store, "likely gone", "p_alive < 0.3")
        before = segment_members(store, "likely gone")
        assert not list_segments(store)["stale"].any()
        store.con.execute("UPDATE customer_scores SET p_alive = 1 - p_alive, scored_at = scored_at + INTERVAL 1 HOUR")
        assert list_segments(store)["stale"].all()
        sizes = refresh_segments(store)
        after = segment_members(store, "likely gone")
        attrs = customer_attributes(store)
        grid = segment_membership(store, kind="grid")
        assert not list_segments(store)["stale"].any()
    assert sorted(after["customer_key"]) == sorted(attrs.index[attrs["p_alive"] < 0.3])
    assert set(after["customer_key"]) != set(before["customer_key"])
    assert sizes["likely gone"] == len(after)
    assert not grid["customer_key"].duplicated().any() and len(grid) == len(attrs)


def test_segments_persist_across_reopen(scored_store):
    with Store.open(scored_store) as store:
        create_grid(store, owners={"CLV top 10% x P(alive) >= 0.75": "Inês"})
        create_segment(store, "keen", "frequency >= 3", owner="Ana", description="frequent buyers")
        set_owner(store, "keen", "Rui", description="frequent buyers, Rui's now")
        expected = segment_membership(store)
    with Store.open(scored_store, read_only=True) as store:
        listed = list_segments(store).set_index("name")
        again = segment_membership(store)
    assert listed.loc["keen", "owner"] == "Rui" and listed.loc["keen", "description"] == "frequent buyers, Rui's now"
    assert listed.loc["CLV top 10% x P(alive) >= 0.75", "owner"] == "Inês"
    assert pd.isna(listed.loc["CLV 10-30% x P(alive) >= 0.75", "owner"])
    assert '"rule": "frequency >= 3"' in listed.loc["keen", "definition"]
    pd.testing.assert_frame_equal(expected, again)


def test_a_new_grid_replaces_the_old_one_and_keeps_owners(scored_store):
    top = "CLV top 10% x P(alive) >= 0.75"
    with Store.open(scored_store) as store:
        create_grid(store, owners={top: "Inês"})
        again = create_grid(store)  # same cells: the owners stay
        coarse = create_grid(store, alive_bands=(0.5,))
        names = list_segments(store)
        grid = segment_membership(store, kind="grid")
    assert again.set_index("segment").loc[top, "owner"] == "Inês"
    assert len(coarse) == 8 and len(names) == 8 and set(names["name"]) == set(coarse["segment"])
    assert set(grid["segment"]) <= set(coarse["segment"]) and not grid["customer_key"].duplicated().any()


def test_errors_a_person_can_act_on(scored_store, tmp_path):
    with Store.open(scored_store) as store:
        create_grid(store)
        create_segment(store, "keen", "frequency >= 3")
        with pytest.raises(InputError, match="exists already"):
            create_segment(store, "keen", "frequency >= 4")
        assert create_segment(store, "keen", "frequency >= 400", replace=True) == 0
        with pytest.raises(InputError, match="grid cell of that name exists"):
            create_segment(store, "CLV top 10% x P(alive) >= 0.75", "clv > 1", replace=True)
        with pytest.raises(InputError, match="no segment of that name; the segments are: .*'keen'"):
            segment_members(store, "kean")
        with pytest.raises(InputError, match="cannot be deleted alone"):
            delete_segment(store, "CLV top 10% x P(alive) >= 0.75")
        with pytest.raises(InputError, match="column 'name'.*must not be empty"):
            create_segment(store, "  ", "clv > 1")
        with pytest.raises(InputError, match="unknown column 'cvl'"):
            create_segment(store, "typo", "cvl > 1")
        with pytest.raises(InputError, match="not a cell of this grid"):
            create_grid(store, owners={"top": "Ana"})
        with pytest.raises(InputError, match="expected grid or rule"):
            segment_membership(store, kind="cells")
        delete_segment(store, "keen")
        assert "keen" not in set(list_segments(store)["name"])
    with Store.open(scored_store, read_only=True) as store:
        with pytest.raises(StoreError, match="read-only"):
            create_segment(store, "x", "clv > 1")
    with Store.open(tmp_path / "empty.duckdb") as store:
        with pytest.raises(StoreError, match="no customer scores"):
            create_grid(store)
        assert segment_summary(store).empty


def test_scoring_again_refreshes_the_segments(scored_store):
    """Segments are defined on scores: `clientele score` must leave no stale segment behind."""
    from clientele.pipeline import score_store

    with Store.open(scored_store) as store:
        create_segment(store, "cheap", "clv < 20")
        before = set(segment_members(store, "cheap")["customer_key"])
        score_store(store, margin=0.9)  # every CLV triples: fewer customers under 20
        after = set(segment_members(store, "cheap")["customer_key"])
        attrs = customer_attributes(store)
        assert not list_segments(store)["stale"].any()
    assert after == set(attrs.index[attrs["clv"] < 20]) and after < before
