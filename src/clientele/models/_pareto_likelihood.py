"""The Pareto/NBD log-likelihood and its gradient, overflow-free for any history.

Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions"
(*F&H note*), eq. 18 writes the likelihood of a customer with ``x`` repeat purchases, the last at
``t_x``, observed until ``T``, as

``L = Gamma(r+x) alpha^r beta^s / Gamma(r) [ (alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A_0 ]``

with ``A_0`` a difference of Gauss hypergeometric functions (eqs. 19-20). Here ``s/(r+s+x) A_0``
is evaluated as the integral it stands for (the customer dies at ``u`` in ``(t_x, T]``),

``I = int_{t_x}^T (alpha+u)^-(r+x) (beta+u)^-(s+1) du = F(t_x) - F(T)``,

in log space: ``F`` by the positive-term series of
:func:`~clientele.models._special.hyp2f1_1b` after Euler's transformation when its argument is
at most :data:`SERIES_MAX_Z`, else ``I`` directly by
:func:`~clientele.models._special.concave_quadrature`. Both carry analytic derivatives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, logsumexp

from clientele.models._special import concave_quadrature, hyp2f1_1b
from clientele.models._inputs import vdot

#: rows whose 2F1 argument exceeds this use quadrature instead of the series
SERIES_MAX_Z = 0.8
#: rows per quadrature batch (each row holds a few hundred nodes)
QUAD_CHUNK = 8192


def _log_tail(t: np.ndarray, x: np.ndarray, r: float, alpha: float, s: float, beta: float):
    """``log F(t)`` and its gradient in ``(r, alpha, s, beta)``, ``F(t) = int_t^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du``.

    F&H note eqs. 19-20 write ``F(t) = 2F1(a, b; a+1; z) / (a (max(alpha,beta)+t)^a)`` with
    ``a = r+s+x``; Euler's transformation ``2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a,c-b;c;z)``
    (Abramowitz & Stegun 15.3.3) turns it into ``2F1(1, b'; a+1; z)`` whose series has positive
    terms only.
    """
    a = r + s + x
    la, lb = np.log(alpha + t), np.log(beta + t)
    grad = np.empty((4, len(t)))  # one contiguous row per parameter
    if alpha >= beta:
        z = (alpha - beta) / (alpha + t)
        S, Sb, Sc, Sz = hyp2f1_1b(r + x, a + 1.0, z)
        log_f = -(r + x) * la - np.log(a) - s * lb + np.log(S)
        grad[0] = -la - 1.0 / a + (Sb + Sc) / S
        grad[1] = -(r + x) / (alpha + t) + Sz / S * (beta + t) / (alpha + t) ** 2
        grad[2] = -1.0 / a - lb + Sc / S
        grad[3] = -s / (beta + t) - Sz / S / (alpha + t)
    else:
        z = (beta - alpha) / (beta + t)
        S, Sb, Sc, Sz = hyp2f1_1b(s + 1.0, a + 1.0, z)
        log_f = -(s + 1) * lb - np.log(a) + (1 - r - x) * la + np.log(S)
        grad[0] = -1.0 / a - la + Sc / S
        grad[1] = (1 - r - x) / (alpha + t) - Sz / S / (beta + t)
        grad[2] = -lb - 1.0 / a + (Sb + Sc) / S
        grad[3] = -(s + 1) / (beta + t) + Sz / S * (alpha + t) / (beta + t) ** 2
    return log_f, grad


def _log_death_integral_quad(x, t_x, T, r, alpha, s, beta):
    """``log int_{t_x}^T (alpha+u)^-(r+x) (beta+u)^-(s+1) du`` and the gradient of the integral over itself.

    Substituting ``y = log(min(alpha, beta) + u)`` makes the log-integrand concave in ``y``;
    see :func:`~clientele.models._special.concave_quadrature`. Rows go in chunks of
    :data:`QUAD_CHUNK`, which bounds the memory of the node arrays.
    """
    if len(x) > QUAD_CHUNK:
        parts = [
            _log_death_integral_quad(x[i : i + QUAD_CHUNK], t_x[i : i + QUAD_CHUNK], T[i : i + QUAD_CHUNK], r, alpha, s, beta)
            for i in range(0, len(x), QUAD_CHUNK)
        ]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts], axis=1)
    m, delta = min(alpha, beta), abs(alpha - beta)
    n = len(x)
    log_i, ratio = np.full(n, -np.inf), np.zeros((4, n))
    y0, y1 = np.log(m + t_x), np.log(m + T)
    keep = np.flatnonzero(y1 > y0)  # T so close to t_x that m + T == m + t_x: the integral is 0
    if keep.size == 0:
        return log_i, ratio
    x = x[keep]
    p_alpha, p_beta = r + x, np.full(len(x), s + 1.0)
    p_min, p_max = (p_alpha, p_beta) if alpha < beta else (p_beta, p_alpha)
    y, log_w = concave_quadrature(1.0 - p_min, p_max, np.full(len(x), delta), y0[keep], y1[keep])
    log_i[keep] = logsumexp(log_w, axis=1)
    weight = np.exp(log_w - log_i[keep, None])
    log_m_tau = y
    log_big_tau = np.logaddexp(np.log(delta) if delta > 0 else -np.inf, y)
    log_a_tau, log_b_tau = (log_m_tau, log_big_tau) if alpha < beta else (log_big_tau, log_m_tau)
    ratio[0, keep] = -np.sum(weight * log_a_tau, axis=1)
    ratio[1, keep] = -p_alpha * np.sum(weight * np.exp(-log_a_tau), axis=1)
    ratio[2, keep] = -np.sum(weight * log_b_tau, axis=1)
    ratio[3, keep] = -(s + 1.0) * np.sum(weight * np.exp(-log_b_tau), axis=1)
    return log_i, ratio


def layout(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> dict[str, np.ndarray]:
    """Data-only bookkeeping that makes repeated likelihood evaluations cheap.

    The expensive parts of the likelihood depend on a customer's ``x`` alone (gamma
    functions) or on a pair ``(x, t)`` with ``t`` in ``{t_x, T}`` (the 2F1 tails). Customers
    share those far more often than whole histories, so each is computed once per distinct
    value and gathered back through these codes.
    """
    n = len(x)
    codes, uniques = pd.factorize(np.concatenate([x, x]) + 1j * np.concatenate([t_x, T]))
    x_codes, x_values = pd.factorize(x)
    return {
        "pair_x": np.ascontiguousarray(uniques.real),
        "pair_t": np.ascontiguousarray(uniques.imag),
        "pair_of_tx": codes[:n],
        "pair_of_T": codes[n:],
        "x_values": np.asarray(x_values, dtype=np.float64),
        "x_code": x_codes,
    }


def _pieces(params, x, t_x, T, lay):
    """The per-customer terms shared by the per-row and the weighted-total likelihood."""
    r, alpha, s, beta = (float(v) for v in params)
    n = len(x)
    q = {"r": r, "alpha": alpha, "s": s, "beta": beta}
    q["log_a_T"], q["log_b_T"] = np.log(alpha + T), np.log(beta + T)
    log_e1 = -(r + x) * q["log_a_T"] - s * q["log_b_T"]
    z = np.abs(alpha - beta) / (max(alpha, beta) + t_x)
    series = z <= SERIES_MAX_Z
    quad = ~series & (T > t_x)
    log_i = np.full(n, -np.inf)
    q["series"] = q["quad"] = None
    if np.any(series):
        # 2F1 tails on the distinct (x, t) pairs; a series row's T-pair has a smaller z
        pz = np.abs(alpha - beta) / (max(alpha, beta) + lay["pair_t"])
        ok = np.flatnonzero(pz <= SERIES_MAX_Z)
        pair_lf = np.full(len(pz), np.nan)
        pair_dlf = np.zeros((4, len(pz)))  # one contiguous row per parameter
        pair_lf[ok], pair_dlf[:, ok] = _log_tail(lay["pair_t"][ok], lay["pair_x"][ok], r, alpha, s, beta)
        si = np.flatnonzero(series) if not np.all(series) else slice(None)
        cx, cT = lay["pair_of_tx"][si], lay["pair_of_T"][si]
        lf_x = pair_lf[cx]
        rho = np.exp(np.minimum(pair_lf[cT] - lf_x, 0.0))
        with np.errstate(divide="ignore"):
            log_i[si] = lf_x + np.log1p(-rho)
        q["series"] = (si, cx, cT, lf_x, rho, pair_dlf)
    if np.any(quad):
        qi = np.flatnonzero(quad)
        log_iq, d_quad = _log_death_integral_quad(x[qi], t_x[qi], T[qi], r, alpha, s, beta)
        log_i[qi] = log_iq
        q["quad"] = (qi, d_quad)
    q["log_b"] = np.log(s) + log_i
    q["log_l"] = np.logaddexp(log_e1, q["log_b"])
    q["log_alive"] = log_e1 - q["log_l"]
    return q


def pareto_nbd_log_likelihood(params, x, t_x, T, gradient: bool = True, codes: dict[str, np.ndarray] | None = None):
    """Per-customer log-likelihood (F&H note eq. 18) and, optionally, its gradient.

    ``L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [ (alpha+T)^-(r+x) (beta+T)^-s
    + s int_{t_x}^T (alpha+u)^-(r+x) (beta+u)^-(s+1) du ]``.

    Returns
    -------
    ll : ndarray (n,)
    grad : ndarray (n, 4) or None
        Derivatives in ``(r, alpha, s, beta)``.
    log_alive : ndarray (n,)
        ``log P(alive | x, t_x, T)`` (F&H note eq. 36), a by-product.
    """
    lay = codes if codes is not None else layout(x, t_x, T)
    q = _pieces(params, x, t_x, T, lay)
    r, alpha, s, beta = q["r"], q["alpha"], q["s"], q["beta"]
    x_terms = gammaln(r + lay["x_values"]) - gammaln(r)
    ll = x_terms[lay["x_code"]] + (r * np.log(alpha) + s * np.log(beta)) + q["log_l"]
    if not gradient:
        return ll, None, q["log_alive"]
    w1 = np.exp(q["log_alive"])
    w2 = np.exp(q["log_b"] - q["log_l"])
    grad = np.empty((4, len(x)))  # one contiguous row per parameter; returned transposed
    dig = digamma(r + lay["x_values"]) - digamma(r)
    grad[0] = dig[lay["x_code"]] + np.log(alpha) - w1 * q["log_a_T"]
    grad[1] = r / alpha - w1 * (r + x) / (alpha + T)
    grad[2] = np.log(beta) - w1 * q["log_b_T"] + w2 / s
    grad[3] = s / beta - w1 * s / (beta + T)
    if q["series"] is not None:
        # series rows: w2 * dI/I = s F(t_x)/L * (dF(t_x) - rho dF(T)), free of 0/0 when t_x = T
        si, cx, cT, lf_x, rho, pair_dlf = q["series"]
        v = np.exp(np.log(s) + lf_x - q["log_l"][si])
        grad[:, si] += v * (pair_dlf[:, cx] - rho * pair_dlf[:, cT])
    if q["quad"] is not None:
        qi, d_quad = q["quad"]
        grad[:, qi] += w2[qi] * d_quad
    return ll, grad.T, q["log_alive"]


def pareto_nbd_total(params, x, t_x, T, weights, codes: dict[str, np.ndarray] | None = None):
    """Weighted total of :func:`pareto_nbd_log_likelihood` and of its gradient, aggregated early.

    Terms that depend on ``x`` alone are summed over the distinct ``x`` values, and the 2F1
    tails' derivatives over the distinct ``(x, t)`` pairs (by ``bincount``), so no per-row
    gradient matrix is formed. Sums avoid BLAS (see :func:`~clientele.models.base.vdot`).
    """
    lay = codes if codes is not None else layout(x, t_x, T)
    q = _pieces(params, x, t_x, T, lay)
    r, alpha, s, beta = q["r"], q["alpha"], q["s"], q["beta"]
    total_w = weights.sum()
    w_by_x = np.bincount(lay["x_code"], weights, minlength=len(lay["x_values"]))
    x_terms = gammaln(r + lay["x_values"]) - gammaln(r)
    total = vdot(x_terms, w_by_x) + (r * np.log(alpha) + s * np.log(beta)) * total_w + vdot(weights, q["log_l"])
    ww1 = weights * np.exp(q["log_alive"])
    sum_w2 = vdot(weights, np.exp(q["log_b"] - q["log_l"]))
    dig = digamma(r + lay["x_values"]) - digamma(r)
    grad = np.array([
        vdot(dig, w_by_x) + np.log(alpha) * total_w - vdot(ww1, q["log_a_T"]),
        r / alpha * total_w - vdot(ww1, (r + x) / (alpha + T)),
        np.log(beta) * total_w - vdot(ww1, q["log_b_T"]) + sum_w2 / s,
        s / beta * total_w - s * vdot(ww1, 1.0 / (beta + T)),
    ])
    if q["series"] is not None:
        si, cx, cT, lf_x, rho, pair_dlf = q["series"]
        wv = weights[si] * np.exp(np.log(s) + lf_x - q["log_l"][si])
        n_pairs = pair_dlf.shape[1]
        on_pairs = np.bincount(cx, wv, minlength=n_pairs) - np.bincount(cT, wv * rho, minlength=n_pairs)
        grad += np.einsum("ij,j->i", pair_dlf, on_pairs)
    if q["quad"] is not None:
        qi, d_quad = q["quad"]
        grad += np.einsum("ij,j->i", d_quad, weights[qi] * np.exp(q["log_b"][qi] - q["log_l"][qi]))
    return float(total), grad
