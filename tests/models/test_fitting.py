"""The shared fitting machinery: exact distinct rows, the warm start's draw and polish, the
standard errors' Hessian, and the Gamma-Gamma shortcuts (analytic Hessian, uncompressed rows)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value

from clientele.models import BGNBD, MBGNBD, GammaGamma, ParetoNBD, base
from clientele.models import _blocks
from clientele.models import _inputs as inputs


@pytest.fixture(scope="module")
def cdnow():
    d = load_cdnow_summary_data_with_monetary_value()
    return d[["frequency", "recency", "T", "monetary_value"]].astype(float)


def _general_distinct_rows(*columns):
    """The reference: distinct_rows with the packed key and the one-pass hash switched off."""
    originals = inputs._hashed_distinct_rows, inputs._packed_distinct_rows
    inputs._hashed_distinct_rows = inputs._packed_distinct_rows = lambda arrays: None
    try:
        return inputs.distinct_rows(*columns)
    finally:
        inputs._hashed_distinct_rows, inputs._packed_distinct_rows = originals


@pytest.mark.parametrize("dtype", [float, np.int64])
def test_packed_distinct_rows_equal_the_general_method(dtype):
    rng = np.random.default_rng(21)
    n = 200_000  # several blocks
    cols = [rng.integers(-5, 400, n).astype(dtype), rng.integers(0, 731, n).astype(dtype), rng.integers(3, 731, n).astype(dtype)]
    cols[0][::7] = cols[0][3]  # repeats
    packed = inputs._packed_distinct_rows([np.asarray(c) for c in cols])
    assert packed is not None
    ref_codes, ref_uniques = _general_distinct_rows(*cols)
    np.testing.assert_array_equal(packed[0], ref_codes)
    for u, r in zip(packed[1], ref_uniques):
        np.testing.assert_array_equal(u, r)


def test_packed_distinct_rows_only_for_whole_numbers_in_a_31_bit_key():
    whole = np.array([0.0, 1.0, 2.0, 1.0])
    assert inputs._packed_distinct_rows([whole, whole]) is not None
    assert inputs._packed_distinct_rows([whole, whole + 0.5]) is None  # not whole numbers
    wide = np.array([0.0, 2.0**16, 5.0, 0.0])
    assert inputs._packed_distinct_rows([wide, wide]) is None  # 2^32 combinations: no exact 31-bit key
    assert inputs._packed_distinct_rows([whole, np.array([0.0, np.nan, 1.0, 1.0])]) is None
    assert inputs._packed_distinct_rows([whole.astype(bool), whole]) is None
    codes, uniques = inputs.distinct_rows(wide, wide)  # the other methods still group them
    assert list(codes) == [0, 1, 2, 0]


def test_hashed_distinct_rows_equal_the_general_method():
    rng = np.random.default_rng(11)
    n = 20_000
    cols = [rng.integers(0, 30, n).astype(float), rng.integers(0, 200, n) * 0.5, rng.integers(0, 5, n)]
    cols[0][::13] = -0.0  # -0.0 and 0.0 are one value, as for pd.factorize
    cols[0][::17] = 0.0
    assert inputs._hashed_distinct_rows([np.asarray(c) for c in cols]) is not None
    codes, uniques = inputs.distinct_rows(*cols)
    ref_codes, ref_uniques = _general_distinct_rows(*cols)
    np.testing.assert_array_equal(codes, ref_codes)
    for u, r in zip(uniques, ref_uniques):
        np.testing.assert_array_equal(u, r)
    frame = pd.DataFrame({"a": cols[0], "b": cols[1], "c": cols[2]})
    assert len(uniques[0]) == len(frame.drop_duplicates())


def test_hashed_distinct_rows_fall_back_on_nan_and_collisions(monkeypatch):
    rng = np.random.default_rng(12)
    cols = [rng.integers(0, 4, 3000).astype(float), rng.integers(0, 7, 3000).astype(float)]
    cols[1][::5] = np.nan
    assert inputs._hashed_distinct_rows(cols) is None  # NaN is never equal to itself
    codes, _ = inputs.distinct_rows(*cols)
    grouped = pd.DataFrame({"a": cols[0], "b": cols[1]}).groupby(["a", "b"], sort=False, dropna=False)
    np.testing.assert_array_equal(codes, grouped.ngroup().to_numpy())
    # a hash that maps every row to one value: the check catches it, the result is still exact
    clean = [c[~np.isnan(cols[1])] for c in cols]
    monkeypatch.setattr(inputs, "_MIX", (np.uint64(0),) * 3)
    assert inputs._hashed_distinct_rows(clean) is None
    codes, uniques = inputs.distinct_rows(*clean)
    assert len(uniques[0]) == len(pd.DataFrame({"a": clean[0], "b": clean[1]}).drop_duplicates())


def test_weighted_draw_is_numpy_choice():
    rng = np.random.default_rng(13)
    weights = rng.integers(0, 5, 10_000).astype(float)
    expected = np.random.default_rng(7).choice(len(weights), size=3000, replace=True, p=weights / weights.sum())
    np.testing.assert_array_equal(inputs.weighted_draw(weights, 3000, 7), expected)
    equal = inputs.weighted_draw(np.full(500, 2.0), 3000, 7)
    assert equal.min() >= 0 and equal.max() < 500
    np.testing.assert_array_equal(equal, inputs.weighted_draw(np.full(500, 2.0), 3000, 7))


@pytest.mark.parametrize("model_class", [BGNBD, MBGNBD, ParetoNBD, GammaGamma])
def test_polish_reaches_the_optimum_of_a_cold_fit(model_class, cdnow, monkeypatch):
    cold = model_class().fit(cdnow)
    monkeypatch.setattr(base, "WARM_START_ROWS", 100)
    monkeypatch.setattr(base, "WARM_START_SAMPLE", 2000)
    polished = []
    original = base.CustomerBaseModel._polish

    def spy(self, f, start, hessian):
        result, best = original(self, f, start, hessian)
        polished.append(result)
        return result, best

    monkeypatch.setattr(base.CustomerBaseModel, "_polish", spy)
    warm = model_class().fit(cdnow)
    assert polished and polished[0] is not None, "the polish fell back to L-BFGS-B"
    assert np.max(np.abs(polished[0].jac)) <= base.POLISH_TOLERANCE
    for name, value in cold.params_.items():
        assert warm.params_[name] == pytest.approx(value, rel=2e-6)
        assert warm.standard_errors_[name] == pytest.approx(cold.standard_errors_[name], rel=1e-4)
    assert warm.log_likelihood_ == pytest.approx(cold.log_likelihood_, abs=1e-6)


def test_polish_falls_back_to_lbfgsb(cdnow, monkeypatch):
    cold = BGNBD().fit(cdnow)
    monkeypatch.setattr(base, "WARM_START_ROWS", 100)
    monkeypatch.setattr(base, "WARM_START_SAMPLE", 2000)
    original = base.CustomerBaseModel._polish
    # a Hessian that is not positive definite cannot be used: L-BFGS-B takes over
    monkeypatch.setattr(base.CustomerBaseModel, "_polish", lambda self, f, start, h: original(self, f, start, -np.eye(len(start))))
    bad = BGNBD().fit(cdnow)
    # a Hessian far too flat gives steps that overshoot (out of the box or uphill): L-BFGS-B takes over
    monkeypatch.setattr(base.CustomerBaseModel, "_polish", lambda self, f, start, h: original(self, f, start, 1e-6 * np.eye(len(start))))
    flat = BGNBD().fit(cdnow)
    for fit in (bad, flat):
        for name, value in cold.params_.items():
            assert fit.params_[name] == pytest.approx(value, rel=1e-5)


def _central_standard_errors(model, data):
    """Standard errors by central differences of the gradient (the former method)."""
    arrays = {name: np.asarray(data[name], dtype=float) for name in model.data_names}
    if isinstance(model, GammaGamma):
        keep = arrays["frequency"] > 0
        arrays = {k: v[keep] for k, v in arrays.items()}
    compressed, weights = base.compress(arrays, np.ones(len(arrays["frequency"])))
    objective = base._Objective(model, model._prepare(compressed), weights)
    lp = np.log([model.params_[p] for p in model.param_names])
    k = len(lp)
    hessian = np.empty((k, k))
    for i in range(k):
        step = np.zeros(k)
        step[i] = 1e-5 * max(1.0, abs(lp[i]))
        up, down = lp + step, lp - step
        hessian[:, i] = (objective.evaluate(up)[3] * np.exp(up) - objective.evaluate(down)[3] * np.exp(down)) / (2 * step[i])
    cov = np.linalg.inv(-(hessian + hessian.T) / 2) * np.outer(np.exp(lp), np.exp(lp))
    return np.sqrt(np.diag(cov))


@pytest.mark.parametrize("model_class", [BGNBD, MBGNBD, ParetoNBD, GammaGamma])
def test_standard_errors_agree_with_central_differences(model_class, cdnow):
    model = model_class().fit(cdnow)
    central = _central_standard_errors(model, cdnow)
    np.testing.assert_allclose([model.standard_errors_[p] for p in model.param_names], central, rtol=2e-5)


@pytest.mark.parametrize("model_class", [BGNBD, MBGNBD, ParetoNBD, GammaGamma])
def test_log_likelihood_is_the_sum_over_rows(model_class, cdnow):
    model = model_class().fit(cdnow)
    rows = cdnow[cdnow["frequency"] > 0] if model_class is GammaGamma else cdnow
    params = np.array([model.params_[p] for p in model.param_names])
    data = model._prepare({name: rows[name].to_numpy(float) for name in model.data_names})
    assert model.log_likelihood_ == pytest.approx(float(np.sum(model._log_likelihood(params, data))), rel=1e-12)


@pytest.mark.parametrize(("model_class", "params"), [
    (GammaGamma, [6.2, 3.7, 15.4]),
    (BGNBD, [0.24, 4.4, 0.79, 2.4]),
    (MBGNBD, [0.52, 6.2, 0.89, 1.6]),
])
def test_analytic_hessians_match_differences_of_the_gradient(model_class, params, cdnow):
    """Every model with an analytic Hessian (``_weighted_log_likelihood_hessian``) agrees with
    central differences of its analytic gradient."""
    model = model_class()
    rows = cdnow[cdnow["frequency"] > 0] if model_class is GammaGamma else cdnow
    arrays = {name: rows[name].to_numpy(float) for name in model.data_names}
    data, weights, _ = model._compress(arrays, np.ones(len(rows)))
    data = model._prepare(data)
    params = np.array(params)
    analytic = model._weighted_log_likelihood_hessian(params, data, weights)
    assert analytic is not None, f"{model_class.__name__} lost its analytic Hessian"
    k = len(params)
    numeric = np.empty((k, k))
    for i in range(k):
        h = 1e-6 * params[i]
        up, down = params.copy(), params.copy()
        up[i] += h
        down[i] -= h
        numeric[:, i] = (model._weighted_log_likelihood_and_gradient(up, data, weights)[1]
                         - model._weighted_log_likelihood_and_gradient(down, data, weights)[1]) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9 * np.abs(analytic).max())
    np.testing.assert_allclose(analytic, analytic.T)


def test_gamma_gamma_counts_distinct_rows_without_compressing(monkeypatch):
    monkeypatch.setattr(base, "WARM_START_ROWS", 1000)  # large data: the rows are kept as they are
    kept = []
    original = GammaGamma._compress
    monkeypatch.setattr(GammaGamma, "_compress", lambda self, d, w: kept.append(original(self, d, w)) or kept[-1])
    rng = np.random.default_rng(14)
    x = rng.integers(1, 6, 4000).astype(float)
    m = np.round(rng.gamma(3.0, 10.0, 4000), 0) + 1.0  # many repeated spends
    m[::9] = m[1]  # the same spend at different frequencies: distinct rows
    model = GammaGamma().fit(x, m)
    # the full data's rows (collapsed on the pool, while the warm start's subsample is too): not compressed
    assert len(x) in [len(weights) for _, weights, _ in kept]
    assert model.n_distinct_ == len(pd.DataFrame({"x": x, "m": m}).drop_duplicates())
    weighted = pd.DataFrame({"x": x, "m": m}).groupby(["x", "m"], as_index=False).size()
    again = GammaGamma().fit(weighted["x"], weighted["m"], weights=weighted["size"])
    assert again.n_distinct_ == model.n_distinct_
    for name, value in model.params_.items():
        assert again.params_[name] == pytest.approx(value, rel=1e-6)


def test_value_codes_dense_for_short_whole_ranges_and_factorised_otherwise():
    codes, values = inputs.value_codes(np.array([3.0, 5.0, 3.0, 9.0]))
    np.testing.assert_array_equal(values[codes], [3.0, 5.0, 3.0, 9.0])
    assert list(values) == [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]  # the whole range: 4, 6, 7, 8 get no rows
    for column in (np.array([0.5, 1.5, 0.5]), np.array([0.0, 1e7, 0.0])):  # fractions; a range too long
        codes, values = inputs.value_codes(column)
        np.testing.assert_array_equal(values[codes], column)
        assert len(values) == 2


def test_validate_rfm_names_the_first_bad_row_in_any_block():
    n = 3 * _blocks.BLOCK_ROWS
    x, t_x, T = np.ones(n), np.ones(n), np.full(n, 2.0)
    t_x[2 * _blocks.BLOCK_ROWS + 5] = 3.0  # after T
    with pytest.raises(Exception, match=f"row {2 * _blocks.BLOCK_ROWS + 5} has"):
        inputs.validate_rfm(x, t_x, T)
