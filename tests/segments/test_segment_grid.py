"""The value x risk grid: a partition of the customers, by rank or by value, matching value_risk_segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientele.errors import InputError
from clientele.indicators import value_risk_segments
from clientele.segments import Grid


def customers(clv, p):
    return pd.DataFrame({"clv": np.asarray(clv, float), "p_alive": np.asarray(p, float)},
                        index=[f"c{i}" for i in range(len(clv))])


_shares = st.lists(st.integers(1, 9), min_size=1, max_size=5).map(lambda w: tuple(x / sum(w) for x in w))
_bands = st.lists(st.integers(1, 99), min_size=1, max_size=4, unique=True).map(lambda b: tuple(sorted(x / 100 for x in b)))
_frame = st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.lists(st.sampled_from([0.0, 1.0, 2.5, 2.5, 10.0, 40.0, 100.0]) | st.floats(0, 500), min_size=n, max_size=n),
    st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]) | st.floats(0, 1), min_size=n, max_size=n),
))


@settings(max_examples=100, deadline=None)
@given(shares=_shares, bands=_bands, data=_frame)
def test_rank_grid_partitions_the_customers(shares, bands, data):
    grid = Grid.of(shares, bands)
    frame = customers(*data)
    cells = grid.assign(frame)
    names = [c[0] for c in grid.cells()]
    assert cells.index.equals(frame.index)
    assert cells["segment"].isin(names).all()  # exactly one known cell per customer
    assert len(names) == len(set(names)) == len(shares) * (len(bands) + 1)
    # tiers hold their share of the customers (to one customer), ties broken by order
    n = len(frame)
    for tier, share in zip(grid.tier_labels(), shares):
        assert abs((cells["tier"] == tier).sum() - share * n) <= 1.0 + 1e-9
    # a more valuable tier never holds a customer with a lower CLV than a less valuable tier
    order = {t: i for i, t in enumerate(grid.tier_labels())}
    level = cells["tier"].map(order).to_numpy()
    clv = frame["clv"].to_numpy()
    for i in range(len(order) - 1):
        upper, lower = clv[level == i], clv[level > i]
        if len(upper) and len(lower):
            assert upper.min() >= lower.max()
    # bands: lower edge included, upper edge excluded
    edges = [0.0, *bands, np.inf]
    band_of = {label: k for k, label in enumerate(grid.band_labels()[::-1])}
    k = cells["band"].map(band_of).to_numpy()
    p = frame["p_alive"].to_numpy()
    assert np.all(p >= np.take(edges, k)) and np.all(p < np.take(edges, k + 1))


@settings(max_examples=100, deadline=None)
@given(data=_frame, thresholds=st.lists(st.integers(1, 400), min_size=1, max_size=3, unique=True))
def test_value_grid_uses_the_thresholds(data, thresholds):
    edges = sorted(float(t) for t in thresholds)
    grid = Grid.of(edges, (0.5,), clv_by="value")
    frame = customers(*data)
    cells = grid.assign(frame)
    expected = np.searchsorted(edges, frame["clv"].to_numpy(), side="right")
    labels = np.array(grid.tier_labels()[::-1], dtype=object)[expected]
    assert (cells["tier"].to_numpy() == labels).all()


@settings(max_examples=100, deadline=None)
@given(data=_frame.filter(lambda d: len(d[0]) >= 3))
def test_the_grid_generalises_value_risk_segments(data):
    clv, p = data
    frame = customers(clv, [min(max(x, 0.01), 1.0) for x in p])
    theirs = value_risk_segments(frame)
    ours = Grid.of((1 / 3, 1 / 3, 1 / 3), (0.5,), value="value_if_alive").assign(frame)
    level = {"value top 33.3333%": "high value", "value 33.3333-66.6667%": "mid value",
             "value bottom 33.3333%": "low value"}
    risk = {"P(alive) >= 0.5": "active", "P(alive) < 0.5": "at risk"}
    mapped = ours["tier"].map(level) + ", " + ours["band"].map(risk)
    assert (mapped == theirs).all()


def test_default_grid_names():
    grid = Grid.of()
    assert grid.tier_labels() == ["CLV top 10%", "CLV 10-30%", "CLV 30-60%", "CLV bottom 40%"]
    assert grid.band_labels() == ["P(alive) >= 0.75", "P(alive) 0.5-0.75", "P(alive) 0.25-0.5", "P(alive) < 0.25"]
    assert grid.cells()[0][0] == "CLV top 10% x P(alive) >= 0.75"
    assert Grid.of((100, 500), clv_by="value").tier_labels() == ["CLV >= 500", "CLV 100-500", "CLV < 100"]
    assert Grid.from_dict(grid.to_dict()) == grid
    assert Grid.of("0.5, 0.5", "0.5") == Grid.of((0.5, 0.5), (0.5,))


@pytest.mark.parametrize("kwargs, fragment", [
    ({"clv_tiers": (0.5, 0.4)}, "summing to 1"),
    ({"clv_tiers": (1.2, -0.2)}, "each > 0"),
    ({"clv_tiers": (500, 100), "clv_by": "value"}, "strictly increasing"),
    ({"clv_by": "value"}, "need their CLV thresholds"),
    ({"alive_bands": (0.5, 0.25)}, "strictly increasing"),
    ({"alive_bands": (0.0, 0.5)}, "between 0 and 1"),
    ({"alive_bands": "a,b"}, "numbers separated by commas"),
    ({"clv_tiers": "0.5,nan"}, "finite"),
    ({"clv_by": "median"}, "expected rank or value"),
    ({"value": "spend"}, "expected one of"),
    ({"clv_tiers": [0.01] * 100}, "at most 100 cells"),
])
def test_bad_grid_settings(kwargs, fragment):
    with pytest.raises(InputError) as info:
        Grid.of(**kwargs)
    assert fragment in str(info.value)
