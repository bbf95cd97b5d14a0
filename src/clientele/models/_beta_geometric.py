"""What BG/NBD and MBG/NBD share: a gamma purchase rate and a beta-geometric dropout.

While alive a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; each
purchase (and, in MBG/NBD, also the first one at time 0) is followed by dropout with
probability ``p ~ Beta(a, b)``. The models differ only by ``k``, the number of dropout
opportunities before the first repeat purchase (``k = 0`` for BG/NBD, Fader, Hardie & Lee 2005,
"Counting your customers the easy way"; ``k = 1`` for MBG/NBD, Batislam, Denizel & Filiztekin
2007), so one class implements both and :mod:`bgnbd` / :mod:`mbgnbd` declare ``k``.

Expectations are computed without the Gauss hypergeometric function of the papers: for a live
customer with gamma parameters ``(r, alpha)`` and dropout ``p ~ Beta(a, b)``, the expected
number of purchases in ``(0, t]`` is

.. math:: h(r, \\alpha, a, b, t) = E_p\\left[\\frac{1 - (1 + p t/\\alpha)^{-r}}{p}\\right]
          = \\frac{a+b-1}{a-1}\\left[1 - \\left(\\frac{\\alpha}{\\alpha+t}\\right)^r
            {}_2F_1\\left(r, b; a+b-1; \\frac{t}{\\alpha+t}\\right)\\right]

(FHL 2005 eq. 7; their eq. 10 is ``P(alive) h(r+x, alpha+T, a, b+x, t)``). The right-hand side
overflows, cancels or divides by zero (``a = 1``, ``a + b < 1``) for parameters real fits
produce, and scipy's ``hyp2f1`` returns NaN or wrong values for large ``x``. The left-hand side is
a one-dimensional integral over ``v = logit(p)`` of a positive, smooth function, evaluated by
the double-exponential (sinh) trapezoidal rule in log space (Takahasi & Mori 1974) centred at
the beta mode: accurate to about 1e-8 relative over the whole parameter range and never NaN.
Weighted sums over horizons (a CLV's discounted purchases) are taken inside the same integral by
:func:`log_discounted_expectation_grid`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import betainc, betaln, digamma, expit, gammaln, log_expit, polygamma, xlogy

from clientele.errors import ModelInputError
from clientele.models._blocks import block_map, block_sums
from clientele.models._inputs import (
    as_float_array,
    columns_from,
    distinct_rows,
    time_unit_of,
    validate_rfm,
    value_codes,
    vdot,
)
from clientele.models.base import CustomerBaseModel

#: largest step of the sinh trapezoidal rule (1e-8 relative or better over 1e-3 <= a, b <= 1e3)
QUAD_STEP = 0.06
#: bounds on the number of nodes per customer (the range in s is 4-12 for most parameters)
QUAD_NODES = (48, 1600)
#: largest step in ``v`` where the bracket turns, for rows whose turn lies beyond ``v = -TURN_FROM``
TURN_STEP = 0.2
TURN_FROM = 6.0
#: rows per block of the quadrature: temporaries hold at most ``QUAD_CHUNK * 400`` floats (8 MB)
QUAD_CHUNK = 2621
#: the rule covers the part of the integrand within exp(-TAIL) of its largest values
TAIL = 50.0


def log_beta_dropout_expectation(r: Any, alpha: Any, a: float, b: Any, t: Any) -> np.ndarray:
    """``log h(r, alpha, a, b, t)``: log of the expected purchases in ``(0, t]`` of a live customer.

    ``h = E[(1 - (1 + p t/alpha)^-r) / p]`` over ``p ~ Beta(a, b)``, the gamma-mixed form of
    ``E[X(t) | lambda, p] = (1 - exp(-lambda p t)) / p`` (FHL 2005, derivation of eq. 7).
    See :func:`log_beta_dropout_expectation_grid` for the method.

    Parameters
    ----------
    r, alpha, b, t
        Arrays broadcast together (one row each); ``t >= 0``.
    a
        Scalar beta parameter.

    Returns
    -------
    ndarray
        ``log h``; ``-inf`` where ``t = 0``.
    """
    r, alpha, b, t = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (r, alpha, b, t)))
    out = log_beta_dropout_expectation_grid(r.ravel(), alpha.ravel(), a, b.ravel(), t.ravel()[:, None])
    return out[:, 0].reshape(r.shape)


def log_beta_dropout_expectation_grid(r: np.ndarray, alpha: np.ndarray, a: float, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``log h`` for ``n`` customers (1-D ``r, alpha, b``) at horizons ``t`` (shape ``(H,)`` or ``(n, H)``).

    With ``v = logit(p)`` the integral is ``int exp(f(v)) dv / B(a, b)`` with
    ``f = (a-1) log p + b log(1-p) + log(1 - (1 + p u)^-r)``, ``u = t/alpha``; substituting
    ``v = v0 + kappa sinh(s)`` (``v0 = log(a/b)``, the mode; ``kappa`` the beta's spread in
    ``v``, at most 2) makes the integrand decay double-exponentially in ``s`` and the trapezoidal
    rule converge geometrically. The range in ``s`` reaches where the integrand has fallen by
    ``exp(-TAIL)``: ``a |v| ~ TAIL`` on the left (plus ``log(u r)`` for the region
    ``p < 1/u`` where the bracket saturates) and ``b v ~ TAIL`` on the right.

    A customer's nodes depend on the longest horizon only, so they are shared by all horizons
    (only the bracket is recomputed) and ``h`` is exactly non-decreasing in ``t`` across them.
    """
    r, alpha, b = (np.asarray(v, dtype=np.float64) for v in (r, alpha, b))
    t = np.broadcast_to(np.asarray(t, dtype=np.float64), (len(r), np.shape(t)[-1]))
    out = np.full(t.shape, -np.inf)
    blocks = block_map(lambda sl: _log_h_block(r[sl], alpha[sl], float(a), b[sl], t[sl]), len(r), QUAD_CHUNK)
    for start, values in zip(range(0, len(r), QUAD_CHUNK), blocks):
        out[start : start + len(values)] = values
    return out


def _quadrature_span(r, alpha, a, b, log_u_max):
    """Each row's sinh-rule range: ``(v0, kappa, s_left, s_right)`` (see :func:`log_beta_dropout_expectation_grid`).

    ``log_u_max`` is each row's ``log(t_max / alpha)`` (``-inf`` where ``t_max = 0``).
    """
    sd = np.sqrt(1.0 / a + 1.0 / b)
    kappa = np.minimum(sd, 2.0)
    v0 = np.log(a) - np.log(b)
    reach_left = np.maximum(TAIL / a, 10.0 * sd) + np.logaddexp(0.0, log_u_max + np.log1p(r)) + np.abs(v0)
    reach_right = np.maximum(TAIL / b, 10.0 * sd) + np.abs(v0)
    return v0, kappa, np.arcsinh(reach_left / kappa), np.arcsinh(reach_right / kappa)


def _node_count(s_left, s_right, r=None, v0=None, kappa=None, log_u_max=None) -> int:
    """Nodes that give every row a step of at most :data:`QUAD_STEP` (within :data:`QUAD_NODES`).

    With ``r`` (and the span's ``v0, kappa`` and ``log_u_max``), rows whose bracket
    ``1 - (1 + p u)^-r`` turns from ``r p u`` to 1 far out in the left tail, at
    ``v* = -log(u (1 + r))``, get a finer step: for ``r > 1`` that turn is as sharp as
    ``1 - exp(-r p u)`` (a Gumbel curve in ``v``), which the sinh rule resolves to 1e-8 when
    its step in ``v`` there, ``kappa cosh(s) ds ~ (|v* - v0| + kappa) ds``, is at most
    :data:`TURN_STEP`. Without it the error reached 1e-4 at ``r = 1000``, ``alpha = 1e-3``.
    """
    width = np.max(s_left + s_right) if np.size(s_left) else 0.0
    step = QUAD_STEP
    if r is not None:
        far = (r > 1.0) & (log_u_max + np.log1p(r) > TURN_FROM)
        if np.any(far):
            reach = np.abs(-(log_u_max[far] + np.log1p(r[far])) - v0[far]) + kappa[far]
            step = min(step, float(np.min(TURN_STEP / reach)))
    return int(np.clip(np.ceil(width / step) + 1, *QUAD_NODES))


def _quadrature_nodes(v0, kappa, s_left, s_right, nodes):
    """``(v, log_dv, log_step)``: ``nodes`` nodes per row in ``v = v0 + kappa sinh(s)``, equally
    spaced in ``s`` over ``[-s_left, s_right]``; ``log(dv/ds)`` at each node; ``log`` of each row's step.
    """
    step = (s_left + s_right) / (nodes - 1)
    s = -s_left[:, None] + step[:, None] * np.arange(nodes)
    v = v0[:, None] + kappa[:, None] * np.sinh(s)
    return v, np.log(kappa[:, None] * np.cosh(s)), np.log(step)


def _log_h_block(r, alpha, a, b, t):
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        log_u = np.log(t) - np.log(alpha)[:, None]  # (n, H); -inf where t = 0
        log_u_max = np.max(log_u, axis=1)
        span = _quadrature_span(r, alpha, a, b, log_u_max)
        v, log_dv, log_step = _quadrature_nodes(*span, _node_count(span[2], span[3], r, span[0], span[1], log_u_max))
        log_p = log_expit(v)
        base = log_dv + (a - 1.0) * log_p + b[:, None] * log_expit(-v)
        base += (log_step - betaln(a, b))[:, None]
        log_r = np.log(r)[:, None]
        log_r_pos = np.maximum(log_r, 0.0)
        p = np.exp(log_p)  # 0 only where log p < -745, where the bracket's log form takes over
        r_col = r[:, None]
        out = np.full(t.shape, -np.inf)
        for j in range(t.shape[1]):
            live = np.isfinite(log_u[:, j])
            if not np.any(live):
                continue
            # bracket 1 - (1 + p u)^-r = -expm1(-y) with y = r log1p(p u); where p u and r p u are
            # tiny, y ~ r p u and log(bracket) ~ log r + log p + log u (to a relative (r+1) p u / 2),
            # exact in log form
            u = np.exp(log_u[live, j])[:, None]
            z = log_p[live] + log_u[live, j][:, None]
            y = r_col[live] * np.log1p(p[live] * u)
            log_bracket = np.where(z + log_r_pos[live] < -30.0, log_r[live] + z, np.log(-np.expm1(-y)))
            f = base[live] + log_bracket
            peak = f.max(axis=1)
            safe = np.where(np.isfinite(peak), peak, 0.0)
            out[live, j] = np.where(np.isfinite(peak), safe + np.log(np.exp(f - safe[:, None]).sum(axis=1)), peak)
        return out


def log_discounted_expectation_grid(r: Any, alpha: Any, a: float, b: Any, t_grid: Any, weights: Any) -> np.ndarray:
    """``log sum_h w_h h(r, alpha, a, b, t_h)``: log of a weighted sum over horizons of the expected
    purchases of a live customer, for ``n`` rows (1-D ``r, alpha, b``) and shared horizons ``t_grid``.

    With the discount weights of :mod:`clientele.clv` (non-negative after summation by parts)
    this is the discounted expected number of purchases of FHL 2005 "RFM and CLV", section 4, for
    a customer alive at ``T``; FHL 2005 eq. 10 multiplies it by ``P(alive)``.

    The rule and its nodes are those of :func:`log_beta_dropout_expectation_grid` (same blocks of
    :data:`QUAD_CHUNK` rows and the same longest horizon, so the same nodes), but the weighted sum
    is taken inside the integral: ``sum_h w_h h(t_h) = E_p[sum_h w_h (1 - (1 + p u_h)^-r) / p]``,
    ``u_h = t_h/alpha``. The terms are all non-negative, so summing them over horizons loses
    nothing, and the integral over the nodes is then one weighted sum per row (no log per node and
    horizon). Where ``p u`` is small the sum over horizons is a binomial series in ``p`` whose
    coefficients hold the horizons (a few multiply-adds per node); elsewhere each horizon costs a
    ``log1p`` and an ``exp`` or ``expm1`` (see :func:`_log_weighted_h_block`). Where
    ``p u_max < e^-500`` the bracket over ``p`` is ``r u_h`` (to within a relative
    ``(r+1) p u_h / 2``), which needs no ``p`` (it underflows to 0 in the far left tail when ``a``
    is small). Nodes of the right tail whose integrand is bounded below ``e^-45`` of the sum are
    skipped. The result agrees with the weighted sum of :func:`log_beta_dropout_expectation_grid`
    to about 1e-12 relative.

    Parameters
    ----------
    r, alpha, b
        1-D arrays of one length (gamma shape and rate, beta ``b``, one row per history).
    a
        Scalar beta parameter.
    t_grid
        Horizons ``t_h >= 0``, shape ``(H,)``.
    weights
        ``w_h >= 0``: shape ``(H,)``, or ``(K, H)`` for ``K`` weighted sums at once.

    Returns
    -------
    ndarray
        Shape ``(n,)`` (or ``(n, K)``); ``-inf`` where the sum is 0 (all weights or horizons 0).
    """
    r, alpha, b = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (r, alpha, b))
    t = np.asarray(t_grid, dtype=np.float64).ravel()
    w = np.asarray(weights, dtype=np.float64)
    single = w.ndim == 1
    w = np.atleast_2d(w)
    if w.ndim != 2 or w.shape[1] != len(t):
        raise ModelInputError(f"weights must have shape ({len(t)},) or (K, {len(t)}), one per horizon; got {np.shape(weights)}")
    if not (np.all(np.isfinite(w)) and np.all(w >= 0) and np.all(np.isfinite(t)) and np.all(t >= 0)):
        raise ModelInputError("horizons and weights must be finite and non-negative")
    out = np.full((len(r), len(w)), -np.inf)
    used = (t > 0) & np.any(w > 0, axis=0)  # the other horizons add nothing
    sums = np.flatnonzero(np.any(w[:, used] > 0, axis=1))  # the other sums are 0
    if len(sums):
        # the nodes depend on the longest horizon given, used or not, as in log_beta_dropout_expectation_grid
        t_max = float(t.max())
        t, w = t[used], w[np.ix_(sums, used)]
        blocks = block_map(
            lambda sl: _log_weighted_h_block(r[sl], alpha[sl], float(a), b[sl], t, w, t_max), len(r), QUAD_CHUNK
        )
        for start, values in zip(range(0, len(r), QUAD_CHUNK), blocks):
            out[start : start + len(values), sums] = values
    return out[:, 0] if single else out


#: rows per pass of the weighted rule. Its temporaries (nodes x rows, about 1 MB at 1,024 rows)
#: stay within a core's L2 cache, and the passes are long enough that the pool's threads seldom
#: wait for each other's Python steps between NumPy calls: on 2 cores the 22,075 (x, T) pairs
#: of a million daily customers take 83 ms at 960-1,280 rows against 104-130 ms at 320 (on one
#: thread 127 against 138 ms).
WEIGHTED_ROWS = 1024
#: terms of the binomial series used at nodes where ``p u`` is small (see :func:`_log_weighted_h_block`)
SERIES_TERMS = 24
#: numbers of terms for which each row's nodes are sorted into those the series covers
SERIES_STEPS = np.array([1, 2, 3, 4, 6, 8, 12, 16, 20, 24])
#: bound on the relative truncation error of that series
SERIES_TOL = 1e-17
#: nodes whose integrand is below ``e^-NEGLIGIBLE`` of the integral are skipped
NEGLIGIBLE = 45.0
#: smallest ``r log1p(p u)`` where the bracket ``1 - (1 + p u)^-r`` is formed with ``exp`` rather than ``expm1``
EXP_FORM_MIN = 1e-3
#: nodes with ``log(p u_max)`` below this use the small-``p`` limit ``r u`` of the bracket over ``p``
LOG_TINY_PU = -500.0


def _log_weighted_h_block(r, alpha, a, b, t, w, t_max):
    """:func:`log_discounted_expectation_grid` for one block of rows (all ``t > 0``; every horizon and
    every sum with some ``w > 0``).

    Arrays are laid out ``(nodes, rows)`` so per-row factors broadcast along contiguous memory.
    At the nodes where ``q = p t_max / alpha`` is small, a sum over several horizons of the
    bracket over ``p`` is the binomial series

    .. math:: \\sum_h w_h \\frac{1 - (1 + p u_h)^{-r}}{p} = \\frac{t_{max}}{\\alpha}
              \\sum_{k \\ge 1} (-1)^{k+1} \\frac{(r)_k}{k!} m_k q^{k-1},
              \\quad m_k = \\sum_h w_h (t_h / t_{max})^k,

    whose horizon sums ``m_k`` are numbers, so a node costs a few multiply-adds instead of a
    ``log1p`` and an ``expm1`` per horizon. The ratio of consecutive terms is at most
    ``rho_k = q (r+k)/(k+1)``; with ``q <= min(1/(r+1), 1/2)`` every ``rho_k <= 1/2``, the series
    alternates with decreasing terms, its sum is at least half its first term, and stopping after
    ``K`` terms errs by less than ``2 prod_{k<=K} rho_k`` relative, which the cut on ``q`` keeps
    under :data:`SERIES_TOL` (for ``K`` up to :data:`SERIES_TERMS`). Each row's nodes are
    increasing in ``p``, so a prefix of them needs at most ``K`` terms; Horner's scheme starts the
    nodes needing fewer terms later. Rows are processed in order of their prefix's length so that
    rows processed together share most of it. A sum over one horizon is cheaper in closed form,
    ``u (1 - (1 + q)^-r) / q``, on the prefix too. Past the prefix, :func:`_direct_bracket_sums`.
    """
    n, n_sums = len(r), len(w)
    out = np.empty((n, n_sums))
    terms = SERIES_TERMS
    single = np.count_nonzero(w, axis=1) == 1  # sums over one horizon: closed form throughout
    dense = np.flatnonzero(~single)
    single_h = np.argmax(w > 0, axis=1)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        log_u_max = np.log(t_max) - np.log(alpha)
        v0, kappa, s_left, s_right = _quadrature_span(r, alpha, a, b, log_u_max)
        nodes = _node_count(s_left, s_right, r, v0, kappa, log_u_max)  # for the whole block, as log_beta_dropout_expectation_grid
        step = (s_left + s_right) / (nodes - 1)
        log_norm = np.log(step * kappa) - betaln(a, b)
        u_max = t_max / alpha
        tiny_below = np.maximum(LOG_TINY_PU - log_u_max, -700.0)
        limit = (r / alpha)[None, :] * (w @ t)[:, None]  # r sum_h w_h u_h, the bracket over p as p -> 0
        w_sum = w.sum(axis=1)
        by_t = np.argsort(t, kind="stable")  # the shortest horizon first

        if len(dense):
            # the series: for K in SERIES_STEPS, how many of each row's first nodes K terms suffice for
            k = np.arange(1.0, terms + 1.0)[:, None]
            growth = np.log(_cumprod_rows((r + k) / (k + 1.0))[SERIES_STEPS - 1])  # log prod_{i<=K} (r+i)/(i+1)
            log_q_cut = np.minimum(-np.log1p(np.maximum(r, 1.0)), (np.log(SERIES_TOL / 2.0) - growth) / SERIES_STEPS[:, None])
            log_p_cut = log_q_cut - log_u_max
            v_cut = np.where(log_p_cut < 0.0, log_p_cut - np.log1p(-np.exp(log_p_cut)), np.inf)  # logit
            s_cut = np.arcsinh((v_cut - v0) / kappa)
            enough = np.clip(np.floor((s_cut + s_left) / step) + 1.0, 0.0, nodes).astype(np.int64)
            enough = np.maximum.accumulate(enough, axis=0)  # more terms do wherever fewer do
            # coefficients in z = q c, c = max(r, 1) + 1 (z <= 1): F_K = (-1)^(K+1) m_K (r)_K / (K! c^(K-1))
            scale = np.maximum(r, 1.0) + 1.0
            factors = np.empty((terms, n))
            factors[0] = r
            factors[1:] = -(r + k[1:] - 1.0) / (k[1:] * scale)
            moments = w[dense] @ (t[:, None] / t_max) ** k.T  # (n_dense, terms)
            coef = moments[:, :, None] * _cumprod_rows(factors)  # (n_dense, terms, n)
        else:  # no series
            enough = np.zeros((len(SERIES_STEPS), n), dtype=np.int64)
        # nodes from need[i] on need more than i terms (need[0] = 0): K terms do where K' <= K do
        need_index = np.searchsorted(SERIES_STEPS, np.arange(terms), side="right") - 1  # -1: none

        order = np.argsort(enough[-1], kind="stable")
        grid = np.arange(nodes, dtype=np.float64)[:, None]
        for start in range(0, n, WEIGHTED_ROWS):
            rows = order[start:start + WEIGHTED_ROWS]
            enough_rows = enough[:, rows].min(axis=1)
            need = np.where(need_index >= 0, enough_rows[need_index], 0)  # nodes from need[i] on need > i terms
            cut = int(enough_rows[-1])  # the series covers nodes [0, cut)

            # nodes and log integration weights: log(dv/ds step / B(a, b)) + a log p + b log(1 - p)
            s = grid * step[rows] - s_left[rows]
            v = v0[rows] + kappa[rows] * np.sinh(s)
            base = np.log(np.cosh(s))
            soft = np.log1p(np.exp(-np.abs(v)))  # log(1 - p) = -max(v, 0) - soft
            log_p = np.minimum(v, 0.0) - soft
            base += a * log_p
            base -= b[rows] * (np.maximum(v, 0.0) + soft)
            base += log_norm[rows]
            p = np.exp(log_p)
            peak = base.max(axis=0)  # weights scaled by each row's largest
            base -= peak
            bound = base[cut:] - log_p[cut:]  # log(weight / p), for the tail test below
            weight = np.exp(base, out=base)

            total = np.zeros((n_sums, len(rows)))
            if cut > 0:  # the series for sums over several horizons
                z = p[:cut] * (u_max[rows] * scale[rows])
                coef_rows = coef[:, :, rows]
                for j, sum_j in enumerate(dense):
                    acc = np.zeros(z.shape)
                    for i in range(terms - 1, -1, -1):  # Horner from F_terms down to F_1
                        lo = int(need[i])
                        if lo < cut:
                            part = acc[lo:]
                            part *= z[lo:]
                            part += coef_rows[j, i]
                    total[sum_j] = np.einsum("ij,ij->j", acc, weight[:cut]) * u_max[rows]
                for sum_j in np.flatnonzero(single):  # u (1 - (1 + q)^-r) / q, r u where q -> 0
                    u = t[single_h[sum_j]] / alpha[rows]
                    q = p[:cut] * u
                    ratio = np.expm1(np.log1p(q) * -r[rows])
                    ratio /= q
                    ratio = np.where(q < 1e-200, r[rows], -ratio)
                    total[sum_j] = np.einsum("ij,ij->j", ratio, weight[:cut]) * (w[sum_j, single_h[sum_j]] * u)
            stop = nodes
            if 0 < cut < nodes:
                # the right tail where weight * sum_h w_h / p (a bound on the integrand) is below
                # e^-NEGLIGIBLE of the sum so far, for every row and sum, adds nothing
                with_mass = np.any(bound >= (np.log(np.min(total / w_sum[:, None], axis=0)) - NEGLIGIBLE), axis=1)
                stop = cut + (int(np.flatnonzero(with_mass)[-1]) + 1 if np.any(with_mass) else 0)
            if cut < stop:  # log1p and expm1 (or exp) per horizon
                total += _direct_bracket_sums(
                    p[cut:stop], log_p[cut:stop] < tiny_below[rows], weight[cut:stop], r[rows], alpha[rows],
                    t[by_t], w[:, by_t], w_sum, limit[:, rows],
                )
            out[rows] = (peak + np.log(total)).T
    return out


def _cumprod_rows(x: np.ndarray) -> np.ndarray:
    """``np.cumprod(x, axis=0)`` for a few long rows, a vectorised product per row (``cumprod``
    runs element by element)."""
    out = np.array(x, dtype=np.float64)
    for i in range(1, len(out)):
        out[i] *= out[i - 1]
    return out


def _direct_bracket_sums(p, tiny, weight, r, alpha, t, w, w_sum, limit):
    """``sum_nodes weight * sum_h w_h (1 - (1 + p t_h/alpha)^-r) / p`` per row and sum, node by node.

    ``p``, ``tiny``, ``weight``: ``(nodes, rows)``; ``t`` increasing. Where ``tiny`` the bracket
    over ``p`` is its limit ``r sum_h w_h t_h / alpha``. Per horizon ``y = r log1p(p u_h)``; the
    bracket is ``-expm1(-y)``, or ``1 - exp(-y)`` summed as ``sum_h w_h - sum_h w_h exp(-y_h)``
    when ``y >= EXP_FORM_MIN`` at every node of the shortest horizon (then the relative rounding
    error is below ``4 eps / EXP_FORM_MIN``): ``exp`` is cheaper than ``expm1``.
    """
    n_sums = len(w)
    neg_inv_p = np.where(tiny, 0.0, -1.0 / p)
    p_over_alpha = np.where(tiny, 0.0, p / alpha)
    neg_r = -r
    acc = np.zeros((n_sums,) + p.shape)
    bracket, tmp = np.empty(p.shape), np.empty(p.shape)
    exp_form = False
    for h in range(len(t)):
        np.multiply(p_over_alpha, t[h], out=bracket)
        np.log1p(bracket, out=bracket)
        np.multiply(bracket, neg_r, out=bracket)  # -y
        if h == 0:
            exp_form = bool(bracket.max() <= -EXP_FORM_MIN)
        if exp_form:
            np.exp(bracket, out=bracket)  # (1 + p u_h)^-r
        else:
            np.expm1(bracket, out=bracket)  # -(1 - (1 + p u_h)^-r)
        for j in range(n_sums):
            if w[j, h] > 0:
                np.multiply(bracket, w[j, h], out=tmp)
                acc[j] += tmp
    if exp_form:  # sum_h w_h (1 - (1 + p u_h)^-r) = w_sum - acc
        acc -= w_sum[:, None, None]
    acc *= neg_inv_p
    return np.einsum("ij,kij->kj", weight, np.where(tiny, limit[:, None, :], acc))


class BetaGeometricNBD(CustomerBaseModel):
    """Gamma purchase rates with beta-geometric dropout after ``k`` + each purchase (see module doc).

    Subclasses set ``dropout_at_start`` (``k``). Parameters ``r, alpha`` (gamma shape and rate
    of the purchase rate) and ``a, b`` (beta dropout probability).
    """

    param_names = ()
    data_names = ("frequency", "recency", "T")
    #: 0 for BG/NBD (dropout only after repeat purchases), 1 for MBG/NBD (also at time 0)
    dropout_at_start: ClassVar[int] = 0

    # ------------------------------------------------------------------ fitting
    def fit(self, frequency: Any, recency: Any = None, T: Any = None, weights: Any = None):
        """Fit by maximum likelihood.

        Parameters
        ----------
        frequency, recency, T
            Repeat purchases ``x``, time of the last purchase ``t_x`` and age ``T`` of each
            customer (arrays or Series), or an RFM DataFrame with these columns as the first
            argument (its ``attrs["time_unit"]`` is kept as ``time_unit_``).
        weights
            Optional number of customers per row.

        Returns
        -------
        self
        """
        x, t_x, age = self._history(frequency, recency, T)
        return self._fit({"frequency": x, "recency": t_x, "T": age}, weights, time_unit=time_unit_of(frequency))

    def _check_data(self, data, weights) -> None:
        used = weights > 0
        every = bool(used.all())  # the usual case: no copies of the columns

        def rows(column: np.ndarray) -> np.ndarray:
            return column if every else column[used]

        if not np.any(rows(data["frequency"]) > 0):
            raise ModelInputError(
                f"no customer has a repeat purchase (every frequency is 0): {type(self).__name__} "
                "cannot estimate purchase rates or dropout; fit on a longer period or more customers"
            )
        if not any(np.any(v != v[0]) for v in map(rows, data.values())):
            raise ModelInputError(
                "all customers have the same (frequency, recency, T): four parameters cannot be "
                "estimated from one history; fit on customers with varied histories"
            )

    def _default_start(self, data, weights) -> np.ndarray:
        mean_x = max(float(np.average(data["frequency"], weights=weights)), 1e-2)
        mean_T = max(float(np.average(data["T"], weights=weights)), 1e-2)
        return np.array([1.0, mean_T / mean_x, 1.0, 1.0])

    def _prepare(self, data):
        out = dict(data)
        for key, column in (("_x", "frequency"), ("_T", "T"), ("_tx", "recency")):
            out[f"{key}_code"], out[f"{key}_values"] = value_codes(data[column])
        return out

    def _weighted_log_likelihood_and_gradient(self, params, data, weights):
        """Total weighted log-likelihood and gradient, the sums of :meth:`_evaluate`'s rows.

        Terms depending on ``x`` alone or on ``T`` alone are summed per distinct value (weights
        aggregated once per data set), so each row costs a few gathers, one ``logaddexp`` and
        one exponential per evaluation.
        """
        if "_T_code" not in data:
            return super()._weighted_log_likelihood_and_gradient(params, data, weights)
        agg = data.get("_agg")
        if agg is None or agg[0] is not weights:
            xc, Tc, x = data["_x_code"], data["_T_code"], data["frequency"]
            # rows whose second likelihood term can be non-zero; for BG/NBD those with x > 0
            rows = np.flatnonzero(x > 0) if self.dropout_at_start == 0 else np.arange(len(x))
            active = {key: data[key][rows] for key in ("_x_code", "_T_code", "_tx_code", "frequency")}
            agg = data["_agg"] = (
                weights,
                np.bincount(xc, weights, len(data["_x_values"])),
                np.bincount(Tc, weights, len(data["_T_values"])),
                np.bincount(Tc, weights * x, len(data["_T_values"])),
                float(weights.sum()),
                active,
                weights[rows],
            )
        _, w_x, w_T, wx_T, w_all, active, weights = agg
        r, alpha, a, b = (float(v) for v in params)
        xv, code, x = data["_x_values"], active["_x_code"], active["frequency"]
        bx, log_ratio, inv_b = self._dropout_terms(a, b, xv)
        x_terms = gammaln(r + xv) - gammaln(r) + betaln(a, bx) - betaln(a, b)
        log_aT_u = np.log(alpha + data["_T_values"])
        log_atx_u = np.log(alpha + data["_tx_values"])
        inv_aT_u, inv_atx_u = 1.0 / (alpha + data["_T_values"]), 1.0 / (alpha + data["_tx_values"])
        Tc, txc = active["_T_code"], active["_tx_code"]

        def bracket_sums(part: slice) -> tuple[Any, ...]:
            """The rows' bracket terms: sums of ``log(1 + e^D)`` and of ``P(dead)`` times ``D``'s
            derivatives, and ``P(dead)`` summed per distinct ``x``."""
            tc, txcode, xcode, w = Tc[part], txc[part], code[part], weights[part]
            rx = r + x[part]
            diff = log_aT_u[tc] - log_atx_u[txcode]
            D = log_ratio[xcode] + rx * diff
            soft = np.logaddexp(0.0, D)
            wd = w * np.exp(D - soft)  # weights * P(dead | data)
            return (vdot(w, soft), vdot(wd, diff), vdot(wd * rx, inv_aT_u[tc] - inv_atx_u[txcode]), wd.sum(),
                    np.bincount(xcode, wd, len(xv)))

        soft_sum, dead_diff, dead_alpha, dead, wd_x = block_sums(bracket_sums, len(code))
        ll = vdot(w_x, x_terms) + r * np.log(alpha) * w_all - vdot(r * w_T + wx_T, log_aT_u) + soft_sum
        psi_ab, psi_abx = digamma(a + b), digamma(a + bx)
        grad = np.empty(4)
        grad[0] = vdot(w_x, digamma(r + xv) - digamma(r)) + w_all * np.log(alpha) - vdot(w_T, log_aT_u) + dead_diff
        grad[1] = w_all * r / alpha - vdot(r * w_T + wx_T, inv_aT_u) + dead_alpha
        grad[2] = vdot(w_x, psi_ab - psi_abx) + dead / a
        grad[3] = vdot(w_x, digamma(bx) - psi_abx - digamma(b) + psi_ab) - vdot(wd_x, inv_b)
        return float(ll), grad

    def _dropout_terms(self, a: float, b: float, xv: np.ndarray):
        """Per distinct ``x``: ``b + x + k``, the log of the bracket's ratio ``a / (b+x+k-1)`` and
        ``1 / (b+x+k-1)`` (``-inf`` and 0 where the second term is absent: ``x = 0`` in BG/NBD)."""
        bx = b + xv + self.dropout_at_start
        has_second = (xv > 0) | (self.dropout_at_start > 0)
        safe = np.where(has_second, bx - 1.0, 1.0)
        log_ratio = np.where(has_second, np.log(a) - np.log(safe), -np.inf)
        return bx, log_ratio, np.where(has_second, 1.0 / safe, 0.0)

    def _weighted_log_likelihood_hessian(self, params, data, weights):
        """Second derivatives of the total of :meth:`_evaluate`'s log-likelihood in ``(r, alpha, a, b)``.

        With ``D`` the log-odds of the bracket's second term and ``w = expit(D)``, the bracket's
        ``softplus(D)`` contributes ``w (1 - w) D_i D_j + w D_ij``: ``D_r = log((alpha+T)/(alpha+t_x))``,
        ``D_alpha = (r+x) (1/(alpha+T) - 1/(alpha+t_x))``, ``D_a = 1/a``, ``D_b = -1/(b+x+k-1)``;
        ``D_r,alpha = 1/(alpha+T) - 1/(alpha+t_x)``, ``D_alpha,alpha = (r+x) (1/(alpha+t_x)^2 -
        1/(alpha+T)^2)``, ``D_aa = -1/a^2``, ``D_bb = 1/(b+x+k-1)^2``. The gamma and beta function terms
        (trigammas) depend on ``x`` alone and are summed per distinct ``x``, the powers of
        ``alpha + T`` per distinct ``T``.
        """
        if "_T_code" not in data:
            return None
        agg = data.get("_agg")
        if agg is None or agg[0] is not weights:
            self._weighted_log_likelihood_and_gradient(params, data, weights)
            agg = data["_agg"]
        _, w_x, w_T, wx_T, w_all, active, wt = agg
        r, alpha, a, b = (float(v) for v in params)
        xv, code, x = data["_x_values"], active["_x_code"], active["frequency"]
        bx, log_ratio, inv_b = self._dropout_terms(a, b, xv)
        inv_aT_u, inv_atx_u = 1.0 / (alpha + data["_T_values"]), 1.0 / (alpha + data["_tx_values"])
        Tc, txc = active["_T_code"], active["_tx_code"]
        log_aT_u, log_atx_u = np.log(alpha + data["_T_values"]), np.log(alpha + data["_tx_values"])
        n_x = len(xv)

        def bracket_sums(part: slice) -> tuple[Any, ...]:
            """The rows' second-order bracket terms, summed (and summed per distinct ``x``)."""
            tc, txcode, xcode = Tc[part], txc[part], code[part]
            rx = r + x[part]
            diff = log_aT_u[tc] - log_atx_u[txcode]
            w = expit(log_ratio[xcode] + rx * diff)  # P(dead | data)
            i_T, i_tx = inv_aT_u[tc], inv_atx_u[txcode]
            d_alpha = rx * (i_T - i_tx)  # dD/dalpha
            ww = wt[part] * w
            uu = ww * (1.0 - w)  # weights * w (1 - w)
            u_r, u_alpha = uu * diff, uu * d_alpha
            return (
                vdot(u_r, diff), vdot(u_r, d_alpha) + vdot(ww, i_T - i_tx), u_r.sum(),
                vdot(u_alpha, d_alpha) + vdot(ww * rx, i_tx * i_tx - i_T * i_T), u_alpha.sum(),
                np.bincount(xcode, uu, n_x), np.bincount(xcode, ww, n_x),
                np.bincount(xcode, u_r, n_x), np.bincount(xcode, u_alpha, n_x),
            )

        rr, r_alpha, r_sum, alpha_alpha, alpha_sum, u_x, w_dead_x, u_r_x, u_alpha_x = block_sums(bracket_sums, len(code))
        tri_ab, tri_abx = float(polygamma(1, a + b)), polygamma(1, a + bx)
        h = np.empty((4, 4))
        h[0, 0] = vdot(w_x, polygamma(1, r + xv) - polygamma(1, r)) + rr
        h[0, 1] = w_all / alpha - vdot(w_T, inv_aT_u) + r_alpha
        h[0, 2] = r_sum / a
        h[0, 3] = -vdot(u_r_x, inv_b)
        h[1, 1] = -w_all * r / alpha**2 + vdot(r * w_T + wx_T, inv_aT_u * inv_aT_u) + alpha_alpha
        h[1, 2] = alpha_sum / a
        h[1, 3] = -vdot(u_alpha_x, inv_b)
        h[2, 2] = vdot(w_x, tri_ab - tri_abx) + (u_x.sum() - w_dead_x.sum()) / a**2
        h[2, 3] = vdot(w_x, tri_ab - tri_abx) - vdot(u_x, inv_b) / a
        h[3, 3] = vdot(w_x, polygamma(1, bx) - tri_abx - polygamma(1, b) + tri_ab) + vdot(u_x + w_dead_x, inv_b * inv_b)
        return np.triu(h) + np.triu(h, 1).T

    def _log_likelihood(self, params, data) -> np.ndarray:
        return self._evaluate(params, data, gradient=False)[0]

    def _gradient(self, params, data) -> np.ndarray:
        return self._evaluate(params, data, gradient=True)[1]

    def _log_likelihood_and_gradient(self, params, data):
        return self._evaluate(params, data, gradient=True)

    def _evaluate(self, params, data, gradient: bool):
        """Per-row log-likelihood and its gradient in ``(r, alpha, a, b)``.

        FHL 2005 eq. 6 (BG/NBD, ``k = 0``) and the MBG/NBD likelihood of Batislam et al. 2007 in
        the form lifetimes' ``ModifiedBetaGeoFitter`` implements (``k = 1``; the second term is
        present for ``x = 0`` too, cf. the Wagner & Hoppe 2008 erratum)::

            L = B(a, b+x+k)/B(a, b) Gamma(r+x) alpha^r / Gamma(r) (alpha+T)^-(r+x)
                * [1 + d a/(b+x+k-1) ((alpha+T)/(alpha+t_x))^(r+x)]

        with ``d = 1`` when ``x > 0`` or ``k = 1`` (``d = 0`` otherwise). The bracket is
        ``1 + exp(D)``; its log is ``logaddexp(0, D)`` and ``w = expit(D)`` = P(dead | data)
        weights the second term in the gradient. Terms that depend on ``x`` alone are
        computed once per distinct ``x``.
        """
        r, alpha, a, b = (float(v) for v in params)
        k = self.dropout_at_start
        x, t_x, T = data["frequency"], data["recency"], data["T"]
        if "_x_code" in data and len(data["_x_code"]) == len(x):
            code, xv = data["_x_code"], data["_x_values"]
        else:
            code, xv = pd.factorize(x)
            xv = np.asarray(xv, dtype=np.float64)
        bx = b + xv + k
        has_second = (xv > 0) | (k > 0)
        log_ratio = np.where(has_second, np.log(a) - np.log(np.where(has_second, bx - 1.0, 1.0)), -np.inf)
        x_terms = gammaln(r + xv) - gammaln(r) + betaln(a, bx) - betaln(a, b)
        log_aT, log_atx = np.log(alpha + T), np.log(alpha + t_x)
        rx = r + x
        D = log_ratio[code] + rx * (log_aT - log_atx)
        ll = x_terms[code] + r * np.log(alpha) - rx * log_aT + np.logaddexp(0.0, D)
        if not gradient:
            return ll, None
        w = expit(D)
        inv_b = np.where(has_second, 1.0 / np.where(has_second, bx - 1.0, 1.0), 0.0)
        psi_ab, psi_abx = digamma(a + b), digamma(a + bx)
        grad = np.empty((len(x), 4))
        grad[:, 0] = (digamma(r + xv) - digamma(r))[code] + np.log(alpha) - log_aT + w * (log_aT - log_atx)
        grad[:, 1] = r / alpha - rx / (alpha + T) + w * rx * (1.0 / (alpha + T) - 1.0 / (alpha + t_x))
        grad[:, 2] = (psi_ab - psi_abx)[code] + w / a
        grad[:, 3] = (digamma(bx) - psi_abx - digamma(b) + psi_ab)[code] - w * inv_b[code]
        return ll, grad

    # ------------------------------------------------------------------ predictions
    def _history(self, frequency, recency, T):
        cols = columns_from(frequency, self.data_names, (recency, T))
        x, t_x, age = (as_float_array(c, n) for c, n in zip(cols, self.data_names))
        try:
            x, t_x, age = np.broadcast_arrays(x, t_x, age)
        except ValueError:
            raise ModelInputError(
                f"frequency, recency and T differ in length ({len(x)}, {len(t_x)}, {len(age)})"
            ) from None
        validate_rfm(x, t_x, age)
        return x, t_x, age

    def _log_odds_dead(self, x, t_x, T) -> np.ndarray:
        """``D = log P(dead | x, t_x, T) - log P(alive | x, t_x, T)``.

        Fader, Hardie & Lee (2008), "Computing P(alive) using the BG/NBD model", eq. 2: the
        ratio of the likelihood's two terms (FHL 2005 eq. 6), the second being death at ``t_x``.
        """
        r, alpha, a, b = self._params()
        k = self.dropout_at_start
        shape = np.broadcast_shapes(np.shape(x), np.shape(t_x), np.shape(T))
        d, tmp = np.empty(shape), np.empty(shape)  # in place from here: 1M rows cost ~1 ms a pass
        with np.errstate(divide="ignore", invalid="ignore"):
            np.log(np.add(T, alpha, out=d), out=d)
            d -= np.log(np.add(t_x, alpha, out=tmp), out=tmp)
            d *= np.add(x, r, out=tmp)
            # + log a - log(b+x+k-1) where the second term exists (x > 0 or k = 1); x = 0 rows of
            # BG/NBD get log(b) here and -inf below
            np.maximum(x, 1.0 - k, out=tmp)
            tmp += b + k - 1.0
            d -= np.log(tmp, out=tmp)
            d += np.log(a)
            if k == 0:
                d.reshape(-1)[np.flatnonzero(np.broadcast_to(x == 0, shape))] = -np.inf
            return d

    def p_alive(self, frequency: Any, recency: Any = None, T: Any = None) -> np.ndarray:
        """Probability that each customer is still alive at ``T`` (Fader, Hardie & Lee 2008, eq. 2).

        ``P(alive) = 1 / (1 + d a/(b+x+k-1) ((alpha+T)/(alpha+t_x))^(r+x))``, computed as
        ``expit(-D)``.
        """
        x, t_x, age = self._history(frequency, recency, T)
        with np.errstate(over="ignore"):
            odds = np.exp(self._log_odds_dead(x, t_x, age))  # inf where P(alive) underflows to 0
        odds += 1.0
        return np.reciprocal(odds, out=odds)

    def expected_purchases(self, t: Any, frequency: Any, recency: Any = None, T: Any = None) -> np.ndarray:
        """Expected purchases in ``(T, T+t]`` given each customer's history (FHL 2005 eq. 10).

        ``E[Y(t) | x, t_x, T] = P(alive) h(r+x, alpha+T, a, b+x+k, t)`` with ``h`` of
        :func:`log_beta_dropout_expectation`: a live customer's posterior is
        ``Gamma(r+x, alpha+T)`` for the rate and ``Beta(a, b+x+k)`` for the dropout.

        ``t`` is a scalar or an array broadcast against the customers.
        """
        x, t_x, age = self._history(frequency, recency, T)
        t = self._horizon(t)
        r, alpha, a, b = self._params()
        x, t_x, age, t = np.broadcast_arrays(x, t_x, age, t)
        log_alive = log_expit(-self._log_odds_dead(x, t_x, age))
        # h depends on (x, T, t) only: evaluate it once per distinct triple
        frame = pd.DataFrame({"x": x.ravel(), "T": age.ravel(), "t": t.ravel()})
        codes, uniques = _factorize_rows(frame)
        log_h = log_beta_dropout_expectation(
            r + uniques["x"].to_numpy(), alpha + uniques["T"].to_numpy(), a,
            b + uniques["x"].to_numpy() + self.dropout_at_start, uniques["t"].to_numpy(),
        )
        return np.exp(log_h[codes].reshape(x.shape) + log_alive)

    def expected_purchases_new(self, t: Any) -> np.ndarray:
        """Expected purchases in ``(0, t]`` of a new customer (FHL 2005 eq. 7; for MBG/NBD the same
        derivation with dropout possible at time 0).

        ``E[X(t)] = B(a, b+k)/B(a, b) h(r, alpha, a, b+k, t)``: with ``k = 1`` the customer may
        drop out at time 0, which the factor ``b/(a+b)`` accounts for.
        """
        t = self._horizon(t)
        r, alpha, a, b = self._params()
        k = self.dropout_at_start
        flat = t.ravel()
        log_h = log_beta_dropout_expectation_grid(np.array([r]), np.array([alpha]), a, np.array([b + k]), flat[None, :])
        return np.exp(log_h[0] + betaln(a, b + k) - betaln(a, b)).reshape(t.shape)

    def expected_purchases_by_horizon(self, horizons: Any, frequency: Any, recency: Any = None, T: Any = None) -> np.ndarray:
        """:meth:`expected_purchases` at several horizons at once: an ``(n_customers, H)`` array.

        Each distinct ``(x, T)`` gets one set of quadrature nodes for all horizons, which makes
        CLV over many months cheap and each row exactly non-decreasing in the horizon.
        """
        x, t_x, age = self._history(frequency, recency, T)
        horizons = self._horizon(horizons).ravel()
        r, alpha, a, b = self._params()
        log_alive = log_expit(-self._log_odds_dead(x, t_x, age))
        codes, ux, uT = _distinct_pairs(x, age)
        log_h = log_beta_dropout_expectation_grid(r + ux, alpha + uT, a, b + ux + self.dropout_at_start, horizons)
        return np.exp(log_h[codes] + log_alive[:, None])

    def discounted_expected_purchases(
        self, horizons: Any, weights: Any, frequency: Any, recency: Any = None, T: Any = None, *, given_alive: bool = False
    ) -> np.ndarray:
        """Weighted sums over horizons of :meth:`expected_purchases`: ``sum_h w_h E[Y(t_h) | x, t_x, T]``.

        By FHL 2005 eq. 10, ``E[Y(t) | x, t_x, T] = P(alive) h(r+x, alpha+T, a, b+x+k, t)``, so the
        sum is ``P(alive) sum_h w_h h(t_h)``; the second factor depends on ``(x, T)`` only and is
        computed once per distinct pair by :func:`log_discounted_expectation_grid`, the weighted
        sum taken inside the quadrature (no ``(n_customers, H)`` array). With the discount weights
        of :func:`clientele.clv.score_customers` it is the discounted expected purchases of FHL 2005
        "RFM and CLV", section 4.

        Parameters
        ----------
        horizons
            Horizons ``t_h >= 0``, shape ``(H,)``.
        weights
            ``w_h >= 0``, shape ``(H,)``, or ``(K, H)`` for ``K`` sums at once.
        frequency, recency, T
            The customers' histories (or an RFM DataFrame as the first argument).
        given_alive
            Leave out ``P(alive)``: the sums for customers known to be alive at ``T``.

        Returns
        -------
        ndarray
            Shape ``(n_customers,)`` (or ``(n_customers, K)``).
        """
        x, t_x, age = self._history(frequency, recency, T)
        horizons = self._horizon(horizons).ravel()
        r, alpha, a, b = self._params()
        codes, ux, uT = _distinct_pairs(x, age)
        log_sum = log_discounted_expectation_grid(r + ux, alpha + uT, a, b + ux + self.dropout_at_start, horizons, weights)
        log_alive = 0.0 if given_alive else log_expit(-self._log_odds_dead(x, t_x, age))
        if log_sum.ndim == 1:
            return np.exp(log_sum[codes] + log_alive)
        out = np.empty((len(x), log_sum.shape[1]), order="F")  # columns contiguous
        for j, column in enumerate(log_sum.T):
            np.exp(column[codes] + log_alive, out=out[:, j])
        return out

    def p_purchases(self, n: Any, t: Any) -> np.ndarray:
        """Probability of exactly ``n`` purchases in ``(0, t]`` for a new customer (FHL 2005 eq. 8).

        ``P(X(t)=n) = B(a, b+n+k)/B(a, b) NB(n; r, alpha/(alpha+t))
        + d B(a+1, b+n+k-1)/B(a, b) P(NB >= n)``: alive through all ``n+k`` dropout
        opportunities with ``n`` purchases, or dropped at the last one after the ``n``-th
        purchase came before ``t``. ``d = 1`` when ``n > 0`` or ``k = 1``. The negative
        binomial tail is the regularised incomplete beta function ``I_{t/(alpha+t)}(n, r)``.
        """
        n = as_float_array(n, "n")
        t = self._horizon(t)
        if np.any(n < 0) or np.any(n != np.floor(n)):
            bad = int(np.flatnonzero((n < 0) | (n != np.floor(n)))[0])
            raise ModelInputError(f"n must be a whole number of purchases >= 0; row {bad} is {n[bad]:g}")
        n, t = np.broadcast_arrays(n, t)
        r, alpha, a, b = self._params()
        k = self.dropout_at_start
        with np.errstate(divide="ignore", invalid="ignore"):
            z = t / (alpha + t)
            log_nb = gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * (np.log(alpha) - np.log(alpha + t)) + xlogy(n, z)
            first = betaln(a, b + n + k) - betaln(a, b) + log_nb
            has_second = (n > 0) | (k > 0)
            tail = np.where(n > 0, np.log(betainc(np.maximum(n, 1.0), r, z)), 0.0)
            second = np.where(
                has_second, betaln(a + 1.0, np.where(has_second, b + n + k - 1.0, 1.0)) - betaln(a, b) + tail, -np.inf
            )
            return np.exp(np.logaddexp(first, second))

    @staticmethod
    def _horizon(t: Any) -> np.ndarray:
        arr = np.asarray(t, dtype=np.float64)
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ModelInputError(f"the prediction horizon t must be finite and >= 0, got {t!r}")
        return arr

    # ------------------------------------------------------------------ simulation
    def sample(self, n_customers: int, T: Any, seed: int | None = None) -> pd.DataFrame:
        """Simulate ``n_customers`` customers from the fitted parameters (see :meth:`simulate`)."""
        self._check_fitted()
        out = self.simulate(self.params_, n_customers, T, seed)
        out.attrs["time_unit"] = self.time_unit_
        return out

    @classmethod
    def simulate(cls, params: dict, n_customers: int, T: Any, seed: int | None = None) -> pd.DataFrame:
        """Simulate customers observed for ``T`` (scalar or one value per customer).

        Each customer draws ``lambda ~ Gamma(r, 1/alpha)`` and ``p ~ Beta(a, b)``. The number
        of dropout opportunities survived before dropping out is geometric; with ``N(T)``
        Poisson purchases, the repeat purchases are ``x = min(N(T), K)`` where ``K`` counts
        the purchases up to dropout (``K >= 1`` for BG/NBD; ``K >= 0`` with ``k = 1`` for MBG/NBD,
        whose customer may drop out at time 0). Given ``N(T)``, purchase times are uniform order
        statistics, so the last observed purchase is ``t_x = T Beta(x, N(T) - x + 1)``.

        Returns
        -------
        DataFrame
            Columns ``frequency``, ``recency``, ``T``.
        """
        if int(n_customers) != n_customers or n_customers < 1:
            raise ModelInputError(f"n_customers must be a positive whole number, got {n_customers!r}")
        missing = {"r", "alpha", "a", "b"} - set(params)
        if missing:
            raise ModelInputError(f"params lacks {sorted(missing)}")
        n = int(n_customers)
        try:
            age = np.broadcast_to(as_float_array(T, "T"), (n,)).astype(np.float64)
        except ValueError:
            raise ModelInputError(f"T must be one number or one per customer ({n}), got {np.size(T)} values") from None
        if np.any(age < 0):
            raise ModelInputError("T must be non-negative")
        rng = np.random.default_rng(seed)
        lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
        p = rng.beta(params["a"], params["b"], n)
        purchases = rng.poisson(lam * age)
        # p below 1e-15 never drops out within any realistic number of purchases
        until_dropout = rng.geometric(np.clip(p, 1e-15, 1.0)) - cls.dropout_at_start
        x = np.minimum(purchases, until_dropout)
        t_x = np.zeros(n)
        some = x > 0
        t_x[some] = age[some] * rng.beta(x[some], purchases[some] - x[some] + 1)
        return pd.DataFrame({"frequency": x.astype(np.int64), "recency": t_x, "T": age})


def _distinct_pairs(x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code of each ``(x, T)`` pair among the distinct pairs, and the pairs' ``x`` and ``T``, in
    order of first appearance (as :func:`~clientele.models.base.distinct_rows`).

    ``x`` holds whole numbers ``>= 0`` (validated histories), so ``x * n_T + code(T)`` is an
    exact integer key, where ``code(T)`` is ``T - min(T)`` when the ages are whole numbers in a
    short range (ages in days or weeks) and ``T``'s factorisation code otherwise: one or two hash
    passes over the customers.
    """
    if len(x) == 0:
        return np.zeros(0, dtype=np.intp), x.astype(np.float64), T.astype(np.float64)
    low, high = float(T.min()), float(T.max())
    if high - low < 2.0**20 and np.array_equal(T, np.floor(T)):
        t_codes, n_T, t_values = (T - low).astype(np.int64), int(high - low) + 1, None
    else:
        t_codes, t_values = pd.factorize(T)
        n_T = max(len(t_values), 1)
    if float(x.max()) >= 2.0**62 / n_T:  # the key could overflow: combine the columns by hashing
        codes, (ux, uT) = distinct_rows(x, T)
        return codes, ux, uT
    key = x.astype(np.int64) * n_T + t_codes
    # a 32-bit hash table where the keys fit: about half the time of a 64-bit one
    codes, keys = pd.factorize(key.astype(np.int32) if float(x.max()) * n_T < 2.0**31 else key)
    keys = keys.astype(np.int64)
    t_keys = keys % n_T
    uT = t_keys + low if t_values is None else np.asarray(t_values, dtype=np.float64)[t_keys]
    return codes, (keys // n_T).astype(np.float64), uT.astype(np.float64)


def _factorize_rows(frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Codes of each row among the distinct rows of ``frame``, and those distinct rows."""
    codes, uniques = distinct_rows(*(frame[c].to_numpy() for c in frame.columns))
    return codes, pd.DataFrame(dict(zip(frame.columns, uniques)))
