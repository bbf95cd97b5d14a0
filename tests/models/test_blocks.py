"""Block-wise sums on the thread pool: equal to one pass, error settings kept, likelihoods unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from clientele.models import BGNBD, MBGNBD, GammaGamma, _blocks


def test_block_sums_equal_one_pass():
    values = np.random.default_rng(3).normal(size=1_003)
    codes = np.arange(1_003) % 5

    def rows(part):
        return float(values[part].sum()), np.bincount(codes[part], values[part], 5), len(values[part])

    total, per_code, count = _blocks.block_sums(rows, len(values), block=64)
    assert count == 1_003
    assert total == pytest.approx(values.sum(), abs=1e-12)
    np.testing.assert_allclose(per_code, np.bincount(codes, values, 5), atol=1e-12)
    # blocks are summed in a fixed order: the same result on every call
    assert _blocks.block_sums(rows, len(values), block=64)[0] == total


def test_block_sums_keep_the_callers_floating_point_settings():
    def rows(part):
        return (float(np.log(np.zeros(part.stop - part.start)).sum()),)

    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        _blocks.block_sums(rows, 200, block=50)
    with np.errstate(divide="ignore"):
        assert _blocks.block_sums(rows, 200, block=50) == (-np.inf,)


def _rfm(n: int, seed: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    T = rng.uniform(1, 100, n).round(1)
    x = rng.poisson(rng.gamma(0.5, 4, n)).astype(float)
    t_x = np.where(x > 0, (rng.uniform(0, 1, n) * T).round(1), 0.0)
    return {"frequency": x, "recency": t_x, "T": T}


@pytest.mark.parametrize("model", [BGNBD(), MBGNBD()])
def test_beta_geometric_blocked_likelihood_equals_row_sums(model, monkeypatch):
    """The block-wise weighted log-likelihood and gradient equal the sums of the per-row ones."""
    monkeypatch.setattr(_blocks, "BLOCK_ROWS", 1_000)
    data = _rfm(20_000)
    weights = np.random.default_rng(1).uniform(0.5, 2, 20_000)
    params = np.array([0.6, 8.0, 0.8, 2.5])
    prepared = model._prepare(data)
    ll, grad = model._weighted_log_likelihood_and_gradient(params, prepared, weights)
    rows_ll, rows_grad = model._log_likelihood_and_gradient(params, data)
    assert ll == pytest.approx(float(weights @ rows_ll), rel=1e-12)
    np.testing.assert_allclose(grad, weights @ rows_grad, rtol=1e-10)


def test_gamma_gamma_blocked_likelihood_equals_row_sums(monkeypatch):
    monkeypatch.setattr(_blocks, "BLOCK_ROWS", 1_000)
    rng = np.random.default_rng(2)
    data = {"frequency": rng.integers(1, 30, 20_000).astype(float), "monetary_value": rng.gamma(4, 10, 20_000)}
    weights = rng.uniform(0.5, 2, 20_000)
    model, params = GammaGamma(), np.array([6.0, 3.5, 15.0])
    ll, grad = model._weighted_log_likelihood_and_gradient(params, model._prepare(data), weights)
    assert ll == pytest.approx(float(weights @ model._log_likelihood(params, data)), rel=1e-12)
    np.testing.assert_allclose(grad, weights @ model._gradient(params, data), rtol=1e-10)


@pytest.mark.parametrize("model", [BGNBD(), MBGNBD()])
def test_beta_geometric_blocked_hessian_equals_one_block(model, monkeypatch):
    """The block-wise analytic Hessian equals the one-block Hessian, and the gradient's slope."""
    data = _rfm(20_000, seed=8)
    weights = np.ones(20_000)
    params = np.array([0.6, 8.0, 0.8, 2.5])
    one_block = model._weighted_log_likelihood_hessian(params, model._prepare(data), weights)
    monkeypatch.setattr(_blocks, "BLOCK_ROWS", 1_000)
    prepared = model._prepare(data)
    blocked = model._weighted_log_likelihood_hessian(params, prepared, weights)
    np.testing.assert_allclose(blocked, one_block, rtol=1e-10)
    step = 1e-6 * params[1]
    up, down = params.copy(), params.copy()
    up[1] += step
    down[1] -= step
    slope = (model._weighted_log_likelihood_and_gradient(up, prepared, weights)[1]
             - model._weighted_log_likelihood_and_gradient(down, prepared, weights)[1]) / (2 * step)
    np.testing.assert_allclose(blocked[:, 1], slope, rtol=1e-5)


def test_quadrature_blocks_on_the_pool_equal_one_thread(monkeypatch):
    """The expectation's quadrature runs its row blocks on the pool: the same values as in order."""
    from clientele.models import _beta_geometric as bg

    rng = np.random.default_rng(4)
    n = 3 * bg.QUAD_CHUNK + 17
    r, alpha, b = rng.uniform(0.3, 5, n), rng.uniform(1, 50, n), rng.uniform(0.5, 10, n)
    t = np.array([1.0, 10.0, 52.0])
    weights = np.array([[1.0, 0.5, 0.25], [0.0, 0.0, 1.0]])
    pooled = (bg.log_beta_dropout_expectation_grid(r, alpha, 0.8, b, t), bg.log_discounted_expectation_grid(r, alpha, 0.8, b, t, weights))
    monkeypatch.setattr(_blocks, "MAX_THREADS", 1)
    in_order = (bg.log_beta_dropout_expectation_grid(r, alpha, 0.8, b, t), bg.log_discounted_expectation_grid(r, alpha, 0.8, b, t, weights))
    for got, expected in zip(pooled, in_order):
        np.testing.assert_array_equal(got, expected)


def test_gamma_gamma_blocked_hessian_equals_one_block(monkeypatch):
    rng = np.random.default_rng(6)
    data = {"frequency": rng.integers(1, 30, 20_000).astype(float), "monetary_value": rng.gamma(4, 10, 20_000)}
    weights = rng.uniform(0.5, 2, 20_000)
    model, params = GammaGamma(), np.array([6.0, 3.5, 15.0])
    one_block = model._weighted_log_likelihood_hessian(params, model._prepare(data), weights)
    monkeypatch.setattr(_blocks, "BLOCK_ROWS", 1_000)
    blocked = model._weighted_log_likelihood_hessian(params, model._prepare(data), weights)
    np.testing.assert_allclose(blocked, one_block, rtol=1e-10)


@pytest.mark.parametrize("threads", [1, 4])
def test_submit_returns_the_result_or_raises_the_error(threads, monkeypatch):
    monkeypatch.setattr(_blocks, "MAX_THREADS", threads)
    assert _blocks.submit(lambda a, b: a + b, 2, 3).result() == 5
    with pytest.raises(ZeroDivisionError):
        _blocks.submit(lambda: 1 / 0).result()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_pool():
    """After fork the parent's pool threads do not exist in the child: block sums there must not
    wait for them forever."""
    import os

    values = np.arange(10_000, dtype=float)
    assert _blocks.block_sums(lambda part: (float(values[part].sum()),), len(values), block=100)[0] == values.sum()
    assert _blocks._pool is not None  # the parent's pool is running
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: sum on the pool and report
        try:
            total = _blocks.block_sums(lambda part: (float(values[part].sum()),), len(values), block=100)[0]
            os.write(write, b"ok" if total == values.sum() else b"bad")
        finally:
            os._exit(0)
    os.close(write)
    import signal
    import time

    deadline = time.monotonic() + 30
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:  # still waiting for the parent's threads: a hang, reported as a failure
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("block sums in a forked child waited for the parent's pool threads")
    assert os.read(read, 8) == b"ok" and done[1] == 0


def test_threads_follow_the_cores_and_the_environment_cap(monkeypatch):
    monkeypatch.setattr(_blocks, "MAX_THREADS", 64)
    monkeypatch.delenv(_blocks.THREADS_VARIABLE, raising=False)
    cores = _blocks._threads()
    assert cores >= 1
    monkeypatch.setenv(_blocks.THREADS_VARIABLE, "1")
    assert _blocks._threads() == 1
    monkeypatch.setenv(_blocks.THREADS_VARIABLE, "not a number")  # ignored
    assert _blocks._threads() == cores
