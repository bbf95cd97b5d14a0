"""Never NaN: BG/NBD, MBG/NBD and Gamma-Gamma over extreme data and parameters (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientele.models import BGNBD, MBGNBD, GammaGamma

positive = st.floats(-3.0, 3.0).map(lambda e: float(10.0**e))  # 1e-3 .. 1e3


@st.composite
def histories(draw):
    n = draw(st.integers(1, 6))
    T = np.array([draw(st.floats(0.0, 3650.0)) for _ in range(n)])
    x = np.array([draw(st.sampled_from([0, 1, 2, 7, 150, 10_000])) for _ in range(n)], dtype=float)
    share = np.array([draw(st.floats(0.0, 1.0)) for _ in range(n)])
    t_x = np.where(x > 0, share * T, 0.0)
    return x, t_x, T


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD])
@SETTINGS
@given(r=positive, alpha=positive, a=positive, b=positive, data=histories())
def test_purchase_models_are_finite(cls, r, alpha, a, b, data):
    x, t_x, T = data
    model = cls()
    model.params_ = dict(r=r, alpha=alpha, a=a, b=b)
    params = np.array([r, alpha, a, b])
    ll, grad = model._log_likelihood_and_gradient(params, {"frequency": x, "recency": t_x, "T": T})
    assert np.all(np.isfinite(ll)) and np.all(np.isfinite(grad))
    alive = model.p_alive(x, t_x, T)
    assert np.all((alive >= 0) & (alive <= 1))
    horizons = [0.0, 0.5, 30.0, 365.0, 3650.0]
    previous = np.zeros(len(x))
    for t in horizons:
        e = model.expected_purchases(t, x, t_x, T)
        assert np.all(np.isfinite(e)) and np.all(e >= 0)
        # non-decreasing in t, up to the quadrature's relative accuracy
        assert np.all(e >= previous * (1 - 1e-7))
        previous = e
    # weighted sums over horizons (the CLV's discounted purchases) are those sums of the above
    weights = np.vstack([np.linspace(1.0, 0.2, len(horizons)), np.eye(len(horizons))[-1]])
    sums = model.discounted_expected_purchases(horizons, weights, x, t_x, T)
    assert np.all(np.isfinite(sums)) and np.all(sums >= 0)
    each = np.column_stack([model.expected_purchases(t, x, t_x, T) for t in horizons])
    np.testing.assert_allclose(sums, each @ weights.T, rtol=1e-7, atol=1e-300)
    new = model.expected_purchases_new(np.array(horizons))
    assert np.all(np.isfinite(new)) and np.all(np.diff(new) >= -1e-7 * new[1:])
    probs = model.p_purchases(np.array([0, 1, 5, 100, 10_000]), 365.0)
    assert np.all(np.isfinite(probs)) and np.all((probs >= 0) & (probs <= 1 + 1e-12))


@SETTINGS
@given(p=positive, q=positive, g=positive,
       x=st.integers(1, 10_000), m=st.floats(1e-3, 1e6))
def test_gamma_gamma_is_finite(p, q, g, x, m):
    model = GammaGamma()
    model.params_ = dict(p=p, q=q, gamma=g)
    data = {"frequency": np.array([float(x)]), "monetary_value": np.array([m])}
    params = np.array([p, q, g])
    assert np.all(np.isfinite(model._log_likelihood(params, data)))
    assert np.all(np.isfinite(model._gradient(params, data)))
    if p * x + q > 1:
        assert np.isfinite(model.expected_spend([x], [m])[0])
