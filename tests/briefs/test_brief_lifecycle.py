"""Briefs: every allowed and refused move, the history, the needs and the equity at stake."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import numpy as np
import pytest

from clientele import briefs as B
from clientele.briefs.lifecycle import next_status
from clientele.errors import InputError, StoreError
from clientele.segments import create_grid, create_segment
from clientele.store import Store

DUE = "2099-06-30"
NEEDS = [
    {"kind": "affinity", "label": "category beauty", "evidence": {"category": "beauty", "lift": 1.4, "customers": 80}},
    {"kind": "gap", "label": "buys less kids", "evidence": {"category": "kids", "money_gap": 1200.0}},
    {"kind": "theme", "label": 'customers say "slow delivery"', "evidence": {"phrase": "slow delivery",
                                                                           "examples": ["so slow"], "nps": -40.0}},
    {"kind": "next_best_product", "label": "offer P1", "evidence": {"product_id": "P1", "hit_rate_at_5": 0.2}},
]
#: the actions leading from draft to each status
PATHS = {"draft": [], "sent": ["send"], "accepted": ["send", "accept"], "declined": ["send", "decline"],
         "delivered": ["send", "accept", "deliver"]}


@pytest.fixture
def store(scored_store):
    with Store.open(scored_store) as s:
        create_grid(s, owners="Inês")
        create_segment(s, "keen", "frequency >= 3", owner="Rui")
        yield s


def act(store, brief_id, action, by="Marta"):
    if action == "decline":
        return B.decline(store, brief_id, "no budget this quarter", by=by)
    return getattr(B, action)(store, brief_id, by=by, note=f"{action} note")


def brief_in(store, status):
    brief = B.create_brief(store, "keen", "A loyalty offer", "Marta", due_date=DUE, needs=NEEDS)
    for action in PATHS[status]:
        brief = act(store, brief.brief_id, action)
    assert brief.status == status
    return brief


def test_lifecycle_table_is_the_documented_one():
    for status, action in itertools.product(B.STATUSES, B.ACTIONS):
        start, end = B.ACTIONS[action]
        if status == start:
            assert next_status(1, status, action) == end
        else:
            with pytest.raises(InputError, match="brief 1 cannot be"):
                next_status(1, status, action)
    assert [s for s in B.STATUSES if not B.allowed_actions(s)] == list(B.FINAL)
    with pytest.raises(InputError, match="unknown action"):
        next_status(1, "draft", "archive")


@pytest.mark.parametrize("status, action", list(itertools.product(PATHS, B.ACTIONS)))
def test_every_move_from_every_status(store, status, action):
    brief = brief_in(store, status)
    events = len(B.brief_history(store, brief.brief_id))
    start, end = B.ACTIONS[action]
    if status == start:
        moved = act(store, brief.brief_id, action)
        assert moved.status == end
        history = B.brief_history(store, brief.brief_id)
        assert len(history) == events + 1
        last = history.iloc[-1]
        assert (last["from_status"], last["to_status"], last["actor"]) == (status, end, "Marta")
        if action == "decline":
            assert moved.reason == "no budget this quarter" == last["note"]
    else:
        with pytest.raises(InputError) as info:
            act(store, brief.brief_id, action)
        assert f"brief {brief.brief_id} cannot be" in str(info.value) and repr(status) in str(info.value)
        assert B.get_brief(store, brief.brief_id).status == status
        assert len(B.brief_history(store, brief.brief_id)) == events


def test_history_is_complete_and_chained(store):
    brief = B.create_brief(store, "keen", "A loyalty offer", "Marta", due_date=DUE, needs=NEEDS, note="first draft")
    for action in ("send", "accept", "deliver"):
        act(store, brief.brief_id, action, by=f"{action}er")
    history = B.brief_history(store, brief.brief_id)
    assert history["to_status"].tolist() == ["draft", "sent", "accepted", "delivered"]
    assert history["from_status"].iloc[0] is None or np.isnan(history["from_status"].iloc[0])
    assert history["from_status"].iloc[1:].tolist() == history["to_status"].iloc[:-1].tolist()
    assert history["actor"].tolist() == ["Rui", "sender", "accepter", "deliverer"]  # the creator is the owner
    assert history["note"].tolist() == ["first draft", "send note", "accept note", "deliver note"]
    assert history["changed_at"].is_monotonic_increasing
    final = B.get_brief(store, brief.brief_id)
    assert final.updated_at == history["changed_at"].iloc[-1] and final.created_at == history["changed_at"].iloc[0]


def test_decline_needs_a_reason(store):
    brief = brief_in(store, "sent")
    for reason in ("", "   ", None):
        with pytest.raises(InputError, match="column 'reason'.*must not be empty"):
            B.decline(store, brief.brief_id, reason)
    assert B.get_brief(store, brief.brief_id).status == "sent"


def test_brief_records_segment_equity_and_needs(store):
    brief = B.create_brief(store, "keen", "  A loyalty offer  ", "Marta", due_date=dt.date(2099, 1, 2),
                           needs=NEEDS, customer_manager="Ana")
    members = store.con.execute("SELECT customer_key FROM segment_members WHERE segment = 'keen'").df()
    clv = store.con.execute("SELECT customer_key, clv FROM customer_scores").df().set_index("customer_key")["clv"]
    assert brief.equity_at_stake == pytest.approx(clv.loc[members["customer_key"]].sum())
    assert brief.customers == len(members) > 0
    assert brief.needs == NEEDS and brief.request == "A loyalty offer" and brief.customer_manager == "Ana"
    assert brief.due_date == dt.date(2099, 1, 2) and brief.status == "draft"
    payload = brief.to_dict()
    assert json.loads(json.dumps(payload))["due_date"] == "2099-01-02"


def test_needs_are_checked_and_cleaned(store):
    messy = [{"kind": "gap", "label": "x", "evidence": {"share": np.float64(0.25), "n": np.int64(3),
                                                       "lift": float("nan"), "list": [np.float32(1.5), float("inf")]}}]
    brief = B.create_brief(store, "keen", "offer", "Marta", needs=messy)
    assert brief.needs[0]["evidence"] == {"share": 0.25, "n": 3, "lift": None, "list": [1.5, None]}
    cases = [
        ({"kind": "gap"}, "a list"),
        ([["gap"]], "each need is a dict"),
        ([{"kind": "wish", "label": "x", "evidence": {}}], "kind of a need must be one of"),
        ([{"kind": "gap", "label": "", "evidence": {}}], "column 'label'"),
        ([{"kind": "gap", "label": "x", "evidence": [1]}], "evidence of a need is a dict"),
        ([{"kind": "gap", "label": "x", "evidence": {}, "sql": "DROP"}], "unexpected field"),
        ([{"kind": "gap", "label": "x", "evidence": {"f": object()}}], "numbers, text, lists or dicts"),
        ([{"kind": "gap", "label": "x", "evidence": {}}] * (B.api.MAX_NEEDS + 1), "at most"),
    ]
    for needs, fragment in cases:
        with pytest.raises(InputError) as info:
            B.check_needs(needs)
        assert fragment in str(info.value)
    with pytest.raises(InputError, match="line 2"):
        B.check_needs([NEEDS[0], {"kind": "nope", "label": "x", "evidence": {}}])


def test_bad_input_to_create(store):
    with pytest.raises(InputError, match="no segment of that name"):
        B.create_brief(store, "kean", "offer", "Marta")
    with pytest.raises(InputError, match="column 'due_date'.*a day such as"):
        B.create_brief(store, "keen", "offer", "Marta", due_date="31/12/2099")
    with pytest.raises(InputError, match="in the past"):
        B.create_brief(store, "keen", "offer", "Marta", due_date="2000-01-01")
    with pytest.raises(InputError, match="column 'brand_manager'"):
        B.create_brief(store, "keen", "offer", " ")
    with pytest.raises(InputError, match="column 'request'"):
        B.create_brief(store, "keen", "", "Marta")
    with pytest.raises(InputError, match="no such brief"):
        B.get_brief(store, 999)
    with pytest.raises(InputError, match="whole number"):
        B.send(store, "1; DROP TABLE briefs")
    assert B.list_briefs(store).empty


def test_lists_filter_and_persist(scored_store):
    with Store.open(scored_store) as store:
        create_grid(store, owners="Inês")
        a = B.create_brief(store, "CLV top 10% x P(alive) >= 0.75", "early access", "Marta", needs=NEEDS[:1])
        b = B.create_brief(store, "CLV top 10% x P(alive) 0.5-0.75", "win back", "Pedro")
        B.send(store, b.brief_id)
        expected = B.brief_history(store, b.brief_id)
    with Store.open(scored_store, read_only=True) as store:
        listed = B.list_briefs(store)
        assert listed["brief_id"].tolist() == [b.brief_id, a.brief_id]
        assert listed["needs_count"].tolist() == [0, 1]
        assert B.list_briefs(store, status="sent")["brief_id"].tolist() == [b.brief_id]
        assert B.list_briefs(store, brand_manager="Marta")["brief_id"].tolist() == [a.brief_id]
        assert B.list_briefs(store, segment="nope").empty
        assert B.get_brief(store, a.brief_id).needs == NEEDS[:1]
        assert B.get_brief(store, a.brief_id).customer_manager == "Inês"
        assert B.brief_history(store, b.brief_id).equals(expected)
        with pytest.raises(InputError, match="expected one of draft"):
            B.list_briefs(store, status="open")
        with pytest.raises(StoreError, match="read-only"):
            B.send(store, a.brief_id)
