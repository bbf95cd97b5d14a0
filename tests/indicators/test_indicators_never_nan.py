"""Property tests: the NPS interval and the future-customer value are always finite and ordered."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from clientele.equity.acquisition import future_customer_value
from clientele.indicators import nps_interval

counts = st.integers(min_value=0, max_value=10**6)


@settings(max_examples=200, deadline=None)
@given(counts, counts, counts, st.sampled_from(["wald", "adjusted"]), st.floats(0.5, 0.999))
def test_nps_interval_is_finite_and_ordered(p, q, d, method, level):
    if p + q + d == 0:
        return
    r = nps_interval(p, q, d, level=level, method=method)
    values = np.array([r["nps"], r["std_error"], r["lower"], r["upper"]])
    assert np.all(np.isfinite(values))
    assert -100 <= r["lower"] <= r["upper"] <= 100
    assert r["std_error"] >= 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=48), st.floats(0, 0.1), st.floats(0, 1e4))
def test_future_value_is_finite_and_monotone_in_cost(n, rate, cost):
    n = np.array(n)
    m = np.linspace(100.0, 1.0, len(n))
    value = future_customer_value(n, m, rate, cost)
    assert np.all(np.isfinite(value))
    assert np.all(future_customer_value(n, m, rate, cost + 1.0) <= value + 1e-9)
