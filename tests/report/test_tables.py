"""The report's server-side aggregates against brute-force counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientele.errors import ModelInputError
from clientele.report import clv_histogram, clv_tiers, most_valuable_at_risk, value_risk_grid


def _customers(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"p_alive": rng.uniform(0, 1, n), "clv": rng.lognormal(3, 1.2, n)},
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_key"),
    )


def test_grid_cells_by_brute_force():
    customers = _customers(1000)
    grid = value_risk_grid(customers)
    assert len(grid) == 16 and grid["customers"].sum() == 1000
    assert grid["equity"].sum() == pytest.approx(customers["clv"].sum())
    assert grid["share_of_equity"].sum() == pytest.approx(1.0)
    ranked = customers["clv"].rank(ascending=False, method="first")
    top = customers[ranked <= 100]
    cell = grid[(grid["clv_tier"] == "top 10%") & (grid["alive_band"] == "0.75-1.00")].iloc[0]
    mask = top["p_alive"] >= 0.75
    assert cell["customers"] == mask.sum()
    assert cell["equity"] == pytest.approx(top.loc[mask, "clv"].sum())
    sizes = grid.groupby("clv_tier", sort=False)["customers"].sum()
    assert sizes.to_dict() == {"top 10%": 100, "next 20%": 200, "middle 30%": 300, "bottom 40%": 400}


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60))
def test_tiers_are_ordered_and_complete(values):
    clv = pd.Series(values, dtype=float)
    tiers = clv_tiers(clv)
    assert tiers.notna().all()
    order = ["top 10%", "next 20%", "middle 30%", "bottom 40%"]
    rank = tiers.map(order.index)
    # a higher tier never holds a smaller CLV than a lower tier
    for hi in range(3):
        if (rank == hi).any() and (rank > hi).any():
            assert clv[rank == hi].min() >= clv[rank > hi].max()


def test_at_risk_table():
    customers = _customers(500, seed=3).assign(segment="s")
    table = most_valuable_at_risk(customers, n=10)
    assert len(table) == 10 and (table["p_alive"] < 0.5).all()
    assert table["value_at_risk"].is_monotonic_decreasing
    risk = (1 - customers["p_alive"]) * customers["clv"] / customers["p_alive"]
    assert table["value_at_risk"].iloc[0] == pytest.approx(risk[customers["p_alive"] < 0.5].max())
    assert table.index[0] == risk[customers["p_alive"] < 0.5].idxmax()
    assert "segment" in table.columns
    with pytest.raises(ModelInputError, match="lack column"):
        most_valuable_at_risk(customers.drop(columns="clv"))


def test_clv_histogram_counts_everyone():
    customers = _customers(2000, seed=5)
    bins = clv_histogram(customers["clv"], bins=20)
    assert bins["customers"].sum() == 2000
    assert bins["equity"].sum() == pytest.approx(customers["clv"].sum())
    assert np.isinf(bins["high"].iloc[-1]) and bins["customers"].iloc[-1] == 20  # the top 1%
    constant = clv_histogram(pd.Series([5.0] * 10), bins=4)
    assert constant["customers"].sum() == 10
