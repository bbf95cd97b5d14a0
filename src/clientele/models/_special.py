"""Stable log-space evaluation of the special functions behind the Pareto/NBD model.

The Pareto/NBD likelihood and its predictions need integrals of products of shifted powers,

.. math:: \\int (\\alpha+\\tau)^{-p} (\\beta+\\tau)^{-q} \\,\\tau^{k}\\, d\\tau,

which the papers write with the Gauss hypergeometric function :math:`{}_2F_1` (Fader & Hardie
2005, "A Note on Deriving the Pareto/NBD Model and Related Expressions", eqs. 19-20). Evaluated
naively, :math:`{}_2F_1` and the powers in front of it overflow for frequent buyers. This module
gives two vectorised, overflow-free evaluators:

* :func:`hyp2f1_1b` -- the series of :math:`{}_2F_1(1, b; c; z)` for ``0 < b < c`` and
  ``0 <= z < 1`` (all terms positive, so no cancellation), with its derivatives in ``b``, ``c``
  and ``z`` accumulated in the same pass. It converges geometrically and is used when ``z`` is
  not close to 1.
* :func:`concave_quadrature` -- composite Gauss-Legendre quadrature of ``exp(g(y))`` where
  ``g(y) = c0*y - sum_j p_j log(d_j + e^y)`` is concave. The window where the integrand is
  within ``exp(-WINDOW)`` of its peak is located by bisection, so the rule adapts to integrands
  as sharp as ``x = 10,000`` purchases need. Nodes and log-weights are returned so a caller can
  form the integral and expectations under it (gradients) without leaving log space.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: the quadrature keeps the part of the integrand within exp(-WINDOW) of its peak
WINDOW = 48.0
_BISECTIONS = 60
#: z above each edge needs about twice the terms (to 1e-16) of z below it
_GROUP_EDGES = np.array([1e-8, 1e-4, 1e-2, 0.1, 0.3, 0.55, 0.75, 0.87, 0.93, 0.965, 0.983])


@lru_cache(maxsize=8)
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return nodes, weights


def _terms_needed(z_max: float, gap_min: float, c_max: float, tol: float) -> int:
    """Terms after which ``(N+2) t_N / (1-z)^2 <= tol`` for every row of a group.

    ``t_N <= prod_{k<N} z_max (1 - gap_min/(c_max+k))``, with ``gap = c - b > 0``.
    """
    limit = tol * (1.0 - z_max) ** 2
    bound, n = 1.0, 0
    while n < 100_000:
        bound *= z_max * (1.0 - gap_min / (c_max + n))
        n += 1
        if bound * (n + 2) <= limit:
            break
    return n


def hyp2f1_1b(b: np.ndarray, c: np.ndarray, z: np.ndarray, tol: float = 1e-16):
    """Series of :math:`{}_2F_1(1, b; c; z) = \\sum_n (b)_n/(c)_n z^n` with derivatives.

    Requires ``0 < b < c`` and ``0 <= z < 1``: every term is positive and the ratio of
    consecutive terms, ``z (b+n)/(c+n)``, is below ``z``, so the tail after a term ``t_N`` is
    below ``t_N/(1-z)`` (``(N+2) t_N/(1-z)^2`` for the ``z``-derivative). Rows are grouped by
    the number of terms ``z`` alone would need; each group sums the number of terms that a
    bound on its largest term ratio proves enough, so rows with small ``z`` cost a few terms
    only (Abramowitz & Stegun 15.1.1).

    Returns
    -------
    s, ds_db, ds_dc, ds_dz : ndarray
        The sum (>= 1) and its partial derivatives.
    """
    z = np.atleast_1d(np.asarray(z, dtype=np.float64))
    n = z.size
    # b is a scalar (s+1) in one case of Pareto/NBD: keep it so, and skip per-row work for it
    scalar_b = np.ndim(b) == 0 or bool(np.all(np.asarray(b) == np.asarray(b).flat[0]))
    b = float(np.asarray(b).flat[0]) if scalar_b else np.broadcast_to(np.asarray(b, np.float64), (n,))
    c = np.broadcast_to(np.asarray(c, dtype=np.float64), (n,))
    # groups of rows whose z need about the same number of terms (z-only bound: 2, 4, 8, ...)
    groups = np.searchsorted(_GROUP_EDGES, z)
    present = np.flatnonzero(np.bincount(groups, minlength=len(_GROUP_EDGES) + 1))
    out = (np.empty(n), np.empty(n), np.empty(n), np.empty(n)) if len(present) > 1 else None
    for g in present:
        idx = np.flatnonzero(groups == g) if len(present) > 1 else slice(None)
        bb, cc, zz = (b if scalar_b else b[idx]), c[idx], z[idx]
        m = zz.size
        s, sb, sc, sz = np.ones(m), np.zeros(m), np.zeros(m), np.zeros(m)
        term, dlb, dlc = np.ones(m), np.zeros(m), np.zeros(m)
        ck, tmp = np.empty(m), np.empty(m)
        bk = bb if scalar_b else np.empty(m)
        dlb = 0.0 if scalar_b else dlb
        for k in range(_terms_needed(float(zz.max()), float(np.min(cc - bb)), float(cc.max()), tol)):
            # term_{k+1} = term_k * z (b+k)/(c+k); d log term/db += 1/(b+k), d/dc -= 1/(c+k)
            if scalar_b:
                bk = bb + k
                dlb += 1.0 / bk
            else:
                np.add(bb, k, out=bk)
                np.divide(1.0, bk, out=tmp)
                dlb += tmp
            np.add(cc, k, out=ck)
            np.divide(1.0, ck, out=tmp)
            dlc -= tmp
            term *= bk
            term *= tmp  # coefficient_{k+1} z^k
            np.multiply(term, k + 1, out=tmp)
            sz += tmp
            term *= zz
            s += term
            np.multiply(term, dlb, out=tmp)
            sb += tmp
            np.multiply(term, dlc, out=tmp)
            sc += tmp
        if out is None:
            return s, sb, sc, sz
        for arr, part in zip(out, (s, sb, sc, sz)):
            arr[idx] = part
    return out


def concave_quadrature(
    c0: np.ndarray,
    p: np.ndarray,
    d: np.ndarray,
    y0: np.ndarray,
    y1: np.ndarray,
    *,
    panels: int = 24,
    nodes: int = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and log-weights for :math:`\\int_{y_0}^{y_1} e^{g(y)} dy` with a concave ``g``.

    ``g(y) = c0*y - sum_j p[:, j] * log(d[:, j] + exp(y))`` with ``p >= 0`` and ``d >= 0``;
    ``g'' <= 0``, so the integrand is unimodal. Its peak on ``[y0, y1]`` and the window where
    ``g >= g(peak) - WINDOW`` are found by bisection (``g'`` is monotone); the window is split
    into ``panels`` equal panels of ``nodes`` Gauss-Legendre points each. ``y0`` may be
    ``-inf`` when ``c0 > 0`` (the integrand then vanishes like ``exp(c0*y)``).

    Returns
    -------
    y, log_w : ndarray, shape (n, panels*nodes)
        Nodes and ``log(weight) + g(node)``; ``logsumexp(log_w, axis=1)`` is the log-integral
        and ``softmax(log_w)`` the normalised integrand at the nodes.
    """
    c0 = np.asarray(c0, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    d = np.asarray(d, dtype=np.float64)
    p = p[:, None] if p.ndim == 1 else p
    d = d[:, None] if d.ndim == 1 else d
    with np.errstate(divide="ignore"):
        log_d = np.log(d)  # d = 0 gives -inf: log(0 + e^y) = y
    y0 = np.asarray(y0, dtype=np.float64).copy()
    y1 = np.asarray(y1, dtype=np.float64)

    def g(y):
        return c0 * y - np.sum(p * np.logaddexp(log_d, y[:, None]), axis=1)

    def slope(y):
        share = np.exp(y[:, None] - np.logaddexp(log_d, y[:, None]))
        return c0 - np.sum(p * share, axis=1)

    logd_min = np.min(log_d, axis=1)
    # where every share e^y/(d+e^y) is below e^-12 / sum(p), the slope is c0 to 1e-5
    far_left = np.minimum(logd_min, y1) - np.log1p(p.sum(axis=1)) - 12.0
    far_left = np.where(np.isfinite(far_left), far_left, y1 - 60.0)
    infinite_start = ~np.isfinite(y0)
    if np.any(infinite_start):
        y0[infinite_start] = (far_left - 2.0 * WINDOW / np.maximum(c0, 1e-300))[infinite_start]

    # the peak: g' is decreasing
    lo, hi = y0.copy(), y1.copy()
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        up = slope(mid) > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    peak = np.where(slope(y0) <= 0, y0, np.where(slope(y1) >= 0, y1, 0.5 * (lo + hi)))
    top = g(peak)
    level = top - WINDOW

    def edge(a, b, rising):
        # g is monotone on [a, b]; find where it crosses `level` (or return the end itself)
        lo, hi = a.copy(), b.copy()
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo + hi)
            above = g(mid) > level
            if rising:
                lo, hi = np.where(above, lo, mid), np.where(above, mid, hi)
            else:
                lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        return lo if rising else hi

    left = np.where(g(y0) >= level, y0, edge(y0, peak, rising=True))
    right = np.where(g(y1) >= level, y1, edge(peak, y1, rising=False))

    x, w = _gauss_legendre(nodes)
    width = (right - left) / panels
    starts = left[:, None] + width[:, None] * np.arange(panels)[None, :]
    y = (starts[:, :, None] + 0.5 * width[:, None, None] * (x[None, None, :] + 1.0)).reshape(len(c0), -1)
    log_w = np.log(0.5 * width)[:, None] + np.tile(np.log(w), panels)[None, :]
    gy = c0[:, None] * y - np.sum(p[:, :, None] * np.logaddexp(log_d[:, :, None], y[:, None, :]), axis=1)
    return y, log_w + gy
