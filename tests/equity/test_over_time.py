"""Equity over time uses only the data available at each month end; equity from the store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientele.equity import customer_attributes, equity_from_store, equity_over_time, purchases_frame
from clientele.equity.over_time import month_ends
from clientele.errors import InputError, StoreError
from clientele.store import Store


def test_later_transactions_do_not_change_earlier_months(demo_store):
    with Store.open(demo_store, read_only=True) as store:
        purchases = purchases_frame(store, until="2025-10-31")
    before = equity_over_time(purchases, months=3, until="2025-10-31", horizon_months=12)
    assert before.index.strftime("%Y-%m-%d").tolist() == ["2025-08-31", "2025-09-30", "2025-10-31"]
    rng = np.random.default_rng(0)
    keys = purchases["customer_key"].drop_duplicates().sample(200, random_state=1).tolist() + [f"new:{i}" for i in range(50)]
    future = pd.DataFrame({
        "customer_key": keys,
        "timestamp": pd.Timestamp("2025-11-01") + pd.to_timedelta(rng.integers(0, 60, len(keys)), unit="D"),
        "amount": rng.uniform(5, 500, len(keys)),
    })
    after = equity_over_time(pd.concat([purchases, future], ignore_index=True), months=3, until="2025-10-31",
                             horizon_months=12)
    pd.testing.assert_frame_equal(before, after)
    # and with the extra months included, the old month ends are still unchanged
    longer = equity_over_time(pd.concat([purchases, future], ignore_index=True), months=4, until="2025-12-31",
                              horizon_months=12)
    assert longer.index[-1] == pd.Timestamp("2025-12-31")
    pd.testing.assert_frame_equal(longer.loc[before.index[1:]], before.iloc[1:], check_freq=False)


def test_over_time_rows_are_consistent(demo_store):
    with Store.open(demo_store, read_only=True) as store:
        purchases = purchases_frame(store)
    table = equity_over_time(purchases, months=2, horizon_months=12, n_draws=20)
    assert (table["customers"].diff().dropna() >= 0).all()
    assert (table["expected_alive"] <= table["customers"]).all()
    np.testing.assert_allclose(table["customer_equity"], table["current_customers"] + table["future_customers"])
    assert ((table["lower"] < table["customer_equity"]) & (table["customer_equity"] < table["upper"])).all()


def test_month_ends_are_complete_months():
    purchases = pd.DataFrame({"timestamp": pd.to_datetime(["2024-01-15", "2024-06-14"])})
    assert [d.strftime("%Y-%m-%d") for d in month_ends(purchases, 3)] == ["2024-03-31", "2024-04-30", "2024-05-31"]
    assert len(month_ends(purchases, 24)) == 5  # January to May: none before the first purchase


def test_equity_from_store_by_channel_and_hidden_segment(demo_store):
    from clientele.demo import generate

    truth = generate(n_customers=1500, seed=5).truth
    ids = truth.identities.merge(truth.people[["person_id", "segment"]], on="person_id")
    segments = pd.Series(ids["segment"].to_numpy(), index=(ids["source"] + ":" + ids["customer_id"]).to_numpy())
    with Store.open(demo_store, read_only=True) as store:
        result = equity_from_store(store, as_of="2025-12-31", segments=segments, n_draws=30, horizon_months=12)
        attributes = customer_attributes(purchases_frame(store), store)
    channels = result.by("channel")
    assert "unknown" not in channels.index  # every demo customer has an acquisition channel
    assert channels["customers"].drop("(not yet acquired)").sum() == len(result.customers)
    seg = result.by("segment")
    assert {"young families", "gadget lovers", "bargain hunters", "style seekers"} <= set(seg.index)
    # the cohort is the month of the first purchase
    assert (result.customers["cohort"] == attributes.loc[result.customers.index, "cohort"]).all()


def test_store_errors(demo_store):
    with Store.open(demo_store, read_only=True) as store:
        with pytest.raises(StoreError, match="no purchases up to"):
            equity_from_store(store, as_of="2020-01-01")
        with pytest.raises(InputError, match="expected a date"):
            equity_from_store(store, as_of="not a day")
