"""Campaigns through the store's ingestion, outcomes measured from purchases, plans stored and approved,
and the demo's two plans end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientele.budget import (
    allocate,
    approve_plan,
    campaign_records,
    list_plans,
    load_plan,
    save_plan,
)
from clientele.budget.demo import CUSTOMER_PLAN, PRODUCT_PLAN, demo_budget
from clientele.errors import InputError
from clientele.store import Store

CAMPAIGNS = """campaign_id,customer_id,segment,lever,treated,spend,timestamp,window_days,retained,purchases
R1,c1,vip,retention,true,10,2024-03-01,30,,
R1,c2,vip,retention,false,0,2024-03-01,30,,
R1,c3,vip,retention,maybe,10,2024-03-01,30,,
R1,c4,vip,retention,true,ten,2024-03-01,30,,
R1,c5,vip,retention,true,5,not a date,30,,
R1,c6,vip,retention,true,5,2024-03-01,30,true,4
"""

PURCHASES = """transaction_id,customer_id,timestamp,amount
t1,c1,2024-03-05,20
t2,c1,2024-03-20,30
t3,c1,2024-05-01,40
t4,c2,2024-02-01,10
"""


def test_campaigns_load_losslessly_with_bad_rows_quarantined(store_path, tmp_path):
    path = tmp_path / "campaigns.csv"
    path.write_text(CAMPAIGNS)
    with Store.open(store_path) as store:
        result = store.load("campaigns", path, source="crm")
        assert (result.rows_read, result.loaded, result.quarantined) == (6, 3, 3)
        reasons = store.con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()
        assert [line for line, _ in reasons] == [4, 5, 6]
        assert "treated" in reasons[0][1] and "spend" in reasons[1][1] and "timestamp" in reasons[2][1]
        again = store.load("campaigns", path, source="crm")
        assert again.loaded == 0 and again.already_present == 3


def test_missing_outcomes_are_measured_from_purchases_in_the_window(store_path, tmp_path):
    (tmp_path / "c.csv").write_text(CAMPAIGNS)
    (tmp_path / "t.csv").write_text(PURCHASES)
    with Store.open(store_path) as store:
        store.load("campaigns", tmp_path / "c.csv", source="crm")
        store.load("transactions", tmp_path / "t.csv", source="crm")
        records = campaign_records(store).set_index("customer_id")
    # c1: two purchases within 30 days after 2024-03-01 (the May one is outside); c2: none after
    assert records.loc["c1", "purchases"] == 2 and bool(records.loc["c1", "retained"])
    assert records.loc["c1", "revenue"] == pytest.approx(50.0)
    assert records.loc["c2", "purchases"] == 0 and not bool(records.loc["c2", "retained"])
    assert records.loc["c6", "purchases"] == 4  # carried in the file: kept
    assert records.loc["c1", "customer_key"] == "crm:c1"


@pytest.mark.parametrize("row,match", [
    ("R9,c7,vip,loyalty,true,5,2024-03-01,30,true,1", "expected one of retention"),
    ("R9,c7,vip,retention,false,5,2024-03-01,30,true,1", "control record"),
    ("R9,c7,vip,retention,true,-5,2024-03-01,30,true,1", "spend of 0 or more"),
    ("R9,,vip,retention,true,5,2024-03-01,30,true,1", "needs the customer_id"),
])
def test_records_breaking_a_budget_rule_are_named(store_path, tmp_path, row, match):
    header = CAMPAIGNS.splitlines()[0]
    (tmp_path / "c.csv").write_text(f"{header}\n{row}\n")
    with Store.open(store_path) as store:
        store.load("campaigns", tmp_path / "c.csv", source="crm")
        with pytest.raises(InputError, match=match) as info:
            campaign_records(store)
    assert "campaigns from crm, line 2" in str(info.value)


def _plan():
    from clientele.budget import BudgetLines

    frame = pd.DataFrame({"segment": ["a", "b"], "lever": ["retention", "cross_sell"], "owner": ["Ann", "Bob"],
                          "reach": 10, "value": 1.0, "A": [500.0, 300.0], "B": [100.0, 40.0],
                          "max_spend": [1e9, 1e9]})
    lines = BudgetLines(frame, frame[["A"]].to_numpy() * np.ones((1, 20)), frame[["B"]].to_numpy() * np.ones((1, 20)))
    return allocate(lines, 200.0, line_min=10.0)


def test_plans_are_stored_with_inputs_and_approved_once(store_path):
    plan = _plan()
    with Store.open(store_path) as store:
        assert save_plan(store, plan, "Q1 2026") == "Q1 2026"
        with pytest.raises(InputError, match="exists"):
            save_plan(store, plan, "Q1 2026")
        save_plan(store, plan, "Q1 2026", replace=True)
        stored = load_plan(store, "Q1 2026")
        assert stored["status"] == "draft" and stored["inputs"]["budget"] == 200.0
        assert stored["inputs"]["line_min"] == 10.0
        assert stored["lines"]["spend"].sum() == pytest.approx(200.0)
        assert stored["lines"]["gain"].to_numpy() == pytest.approx(plan.lines.sort_values(["segment", "lever"])
                                                                   ["gain"].to_numpy())
        approved = approve_plan(store, "Q1 2026", "Chief Customer Officer")
        assert approved["status"] == "approved" and approved["approved_by"] == "Chief Customer Officer"
        with pytest.raises(InputError, match="already approved"):
            approve_plan(store, "Q1 2026", "someone else")
        with pytest.raises(InputError, match="approved and cannot be replaced"):
            save_plan(store, plan, "Q1 2026", replace=True)
        with pytest.raises(InputError, match="no plan of this name"):
            approve_plan(store, "nope", "x")
        with pytest.raises(InputError, match="plan name"):
            save_plan(store, plan, "")
        assert list(list_plans(store)["name"]) == ["Q1 2026"]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from clientele.demo import generate, load
    from clientele.pipeline import fit_store_models, score_store

    company = generate(n_customers=1200, seed=4)
    path = tmp_path_factory.mktemp("budget") / "demo.duckdb"
    with Store.open(path) as store:
        load(store, company)
        fit_store_models(store, model="bgnbd", time_unit="W", observation_end=company.truth.end)
        score_store(store)
        out = demo_budget(store, company, n_draws=200)
    return path, company, out


def test_demo_budget_builds_and_stores_both_plans(demo_store):
    path, _, out = demo_store
    assert out["load"]["quarantined"] == 0 and out["load"]["loaded"] == out["load"]["rows_read"]
    assert out["plans"] == [PRODUCT_PLAN, CUSTOMER_PLAN]
    assert out["product"]["spend"] == pytest.approx(out["customer"]["spend"])  # the same money
    # the optimum under the same curves is never worse than the product plan (point and every draw pair)
    assert out["difference"]["gain"] >= -1e-6
    assert out["difference"]["lower"] <= out["difference"]["gain"] <= out["difference"]["upper"]
    assert len(out["tornado"]) == 12
    with Store.open(path, read_only=True) as store:
        plans = list_plans(store).set_index("name")
        customer = load_plan(store, CUSTOMER_PLAN)
    assert set(plans.index) == {PRODUCT_PLAN, CUSTOMER_PLAN}
    assert set(customer["lines"]["owner"]) <= {"Maya Okafor", "Jonas Berg", "Lucia Ferreira", "Amir Haddad"}


def test_the_report_shows_both_plans_side_by_side(demo_store):
    from clientele.report.budget_section import budget_sections, collect_budget
    from clientele.report.page import render_page

    path, _, out = demo_store
    with Store.open(path, read_only=True) as store:
        budget = collect_budget(store)
    assert budget["customer"]["name"] == CUSTOMER_PLAN and budget["product"]["name"] == PRODUCT_PLAN
    [section] = budget_sections(budget)
    assert section.missing is None and len(section.figures) == 3  # spend, gain, tornado
    page = render_page("t", "s", [], [section], "f")
    assert "product-centric: demo product plan (draft)" in page and "difference (paired draws)" in page
    assert f"{out['difference']['gain']:,.0f}" in page
    assert budget_sections(None) == []  # a store without plans: no section
    [note] = budget_sections(None, "Not shown. budget: could not read")
    assert note.missing.startswith("Not shown")
