"""Exact maximisation of a sum of concave exponential gains under linear budget constraints.

Problem: maximise ``sum_i A_i (1 - exp(-S_i / B_i))`` over spends ``S`` subject to
``sum_i S_i = budget`` (or ``<= budget`` with the spend itself deducted from the objective),
``lo_i <= S_i <= hi_i``, group sums (per segment, per lever) within bounds, and a largest shift
``sum_i |S_i - S0_i| / 2 <= shift`` from a current plan ``S0`` (money moved between lines).

* With line bounds only, :func:`water_fill` solves the Karush-Kuhn-Tucker conditions exactly:
  every line not at a bound has the same marginal return ``lambda``, so
  ``S_i(lambda) = clip(B_i log(A_i / (B_i lambda)), lo_i, hi_i)``, and ``lambda`` is found by
  bisection (in log space, to machine precision) so that the spends add up to the budget
  (Boyd & Vandenberghe 2004, *Convex Optimization*, example 5.2, water-filling).
* With group bounds or a shift limit, :func:`cutting_planes` solves the same concave program
  by Kelley's cutting-plane method: each line's gain is bounded above by its tangents, which
  turns the problem into a linear program (solved by HiGHS); the tangent at the LP's answer is
  added until the LP's bound and the true gain of its answer agree within ``tol`` (relative to the
  largest attainable gain). The LP bound is an upper bound on the optimum, so the stopping rule
  certifies optimality to ``tol`` (or to the LP solver's tolerance, if the LP stops moving first).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from clientele.errors import ConvergenceError, InputError


def _gain(A, B, S):
    return A * -np.expm1(-S / B)


def _marginal(A, B, S):
    return (A / B) * np.exp(-S / B)


def water_fill(
    A: np.ndarray, B: np.ndarray, lo: np.ndarray, hi: np.ndarray, budget: float, *, spend_all: bool = True
) -> np.ndarray:
    """Optimal spends with line bounds only (see the module docstring).

    With ``spend_all=False`` the objective is gain minus spend, so no line is pushed past a
    marginal return of 1 (and less than the budget may be spent).
    """
    A, B = np.asarray(A, float), np.asarray(B, float)
    lo, hi = np.asarray(lo, float), np.minimum(np.asarray(hi, float), budget)  # no line takes more than all
    log_ab = np.log(np.where(A > 0, A, 1.0) / B)

    def spends(log_lambda: float) -> np.ndarray:
        free = np.where(A > 0, B * (log_ab - log_lambda), -np.inf)
        return np.clip(free, lo, hi)

    if lo.sum() > budget * (1 + 1e-12) + 1e-9:
        raise InputError(f"the line minimums add up to {lo.sum():,.2f}, more than the budget {budget:,.2f}")
    if spend_all and hi.sum() < budget * (1 - 1e-12) - 1e-9:
        raise InputError(f"the line maximums add up to {hi.sum():,.2f}, less than the budget {budget:,.2f}")
    floor = 0.0 if not spend_all else -np.inf
    top = float(np.max(np.where(A > 0, log_ab, -np.inf), initial=-np.inf))
    if not np.isfinite(top):  # nothing responds: any feasible plan is optimal; spread over capacity
        return _fill_rest(lo.copy(), hi, budget if spend_all else lo.sum())
    if spends(floor if np.isfinite(floor) else -745.0).sum() <= budget:
        S = spends(floor if np.isfinite(floor) else -745.0)
        return _fill_rest(S, hi, budget) if spend_all else S
    low, high = (floor if np.isfinite(floor) else top - 800.0), top + 1.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if spends(mid).sum() > budget:
            low = mid
        else:
            high = mid
    S = spends(high)
    return _fill_rest(S, hi, budget) if spend_all else S


def _fill_rest(S: np.ndarray, hi: np.ndarray, budget: float) -> np.ndarray:
    """Spread what is left of the budget over the lines' spare capacity (in proportion to it)."""
    rest = budget - S.sum()
    room = hi - S
    if rest > 0 and room.sum() > 0:
        S = S + room * min(rest / room.sum(), 1.0)
    return S


class _Infeasible(Exception):
    """The LP has no feasible point (turned into an InputError naming the constraints)."""


def cutting_planes(
    A: np.ndarray,
    B: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    budget: float,
    *,
    groups: list[tuple[np.ndarray, float, float, str]] = (),
    current: np.ndarray | None = None,
    shift: float | None = None,
    spend_all: bool = True,
    tol: float = 1e-9,
    max_rounds: int = 500,
) -> np.ndarray:
    """Optimal spends under group bounds and a shift limit (see the module docstring).

    Parameters
    ----------
    groups
        ``(mask, minimum, maximum, name)``: the lines in ``mask`` together get between
        ``minimum`` and ``maximum``.
    current, shift
        The current plan and the most money that may move away from it.
    tol
        Gap between the LP bound and the achieved gain at which to stop, relative to the largest
        attainable gain (the LP is solved to feasibility tolerances of 1e-10).

    Notes
    -----
    The LP is solved in units of the budget (spend) and of the largest attainable gain (equity),
    so its tolerances mean the same whatever the currency and size of the budget.
    """
    A, B = np.asarray(A, float), np.asarray(B, float)
    lo, hi = np.asarray(lo, float), np.minimum(np.asarray(hi, float), budget)  # no line takes more than all
    s = float(budget) if budget > 1e-6 else 1.0  # a budget below a millionth is money of no consequence
    g = float(np.sum(_gain(A, B, np.maximum(hi, 0.0))))
    g = g if g > 1e-9 else 1.0
    scaled_groups = [(m, gmin / s, gmax / s, name) for m, gmin, gmax, name in groups]
    try:
        S = _cutting_planes(A / g, B / s, lo / s, hi / s, budget / s, groups=scaled_groups,
                            current=None if current is None else np.asarray(current, float) / s,
                            shift=None if shift is None else shift / s, spend_all=spend_all, spend_cost=s / g,
                            tol=tol, max_rounds=max_rounds)
    except _Infeasible:
        raise InputError(_infeasible_message(lo, hi, budget, groups, current is not None and shift is not None,
                                             shift)) from None
    return np.clip(S * s, lo, hi)


def _cutting_planes(
    A: np.ndarray,
    B: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    budget: float,
    *,
    groups: list[tuple[np.ndarray, float, float, str]] = (),
    current: np.ndarray | None = None,
    shift: float | None = None,
    spend_all: bool = True,
    spend_cost: float = 1.0,
    tol: float = 1e-9,
    max_rounds: int = 500,
) -> np.ndarray:
    """Kelley's cutting planes on the scaled problem (see :func:`cutting_planes`)."""
    n = len(A)
    use_shift = current is not None and shift is not None
    nv = 2 * n + (2 * n if use_shift else 0)  # S, t, [d_plus, d_minus]
    cost = np.zeros(nv)
    cost[n:2 * n] = -1.0
    if not spend_all:
        cost[:n] = spend_cost
    eq_rows, eq_rhs, ub_rows, ub_rhs = [], [], [], []
    total = sparse.hstack([sparse.csr_matrix(np.ones((1, n))), sparse.csr_matrix((1, nv - n))])
    (eq_rows if spend_all else ub_rows).append(total)
    (eq_rhs if spend_all else ub_rhs).append(budget)
    for mask, gmin, gmax, _name in groups:
        row = sparse.hstack([sparse.csr_matrix(mask.astype(float)[None, :]), sparse.csr_matrix((1, nv - n))])
        if np.isfinite(gmax):
            ub_rows.append(row)
            ub_rhs.append(gmax)
        if gmin > 0:
            ub_rows.append(-row)
            ub_rhs.append(-gmin)
    if use_shift:
        eye = sparse.identity(n, format="csr")
        eq_rows.append(sparse.hstack([eye, sparse.csr_matrix((n, n)), -eye, eye]))
        eq_rhs.extend(np.asarray(current, float).tolist())
        ub_rows.append(sparse.hstack([sparse.csr_matrix((1, 2 * n)), sparse.csr_matrix(np.ones((1, 2 * n)))]))
        ub_rhs.append(2.0 * shift)
    bounds = [(lo[i], hi[i]) for i in range(n)] + [(None, None)] * n
    if use_shift:
        bounds += [(0, None)] * (2 * n)
    # initial tangents: spread over each line's range, denser near the bottom where curves bend
    points = lo[:, None] + (hi - lo)[:, None] * (np.linspace(0.0, 1.0, 12) ** 2)[None, :]
    cut_line: list[np.ndarray] = []
    cut_x: list[np.ndarray] = []
    line_ids = np.arange(n)
    for k in range(points.shape[1]):
        cut_line.append(line_ids)
        cut_x.append(points[:, k])
    best_s, best_val, previous = None, -np.inf, None
    for _ in range(max_rounds):
        lines = np.concatenate(cut_line)
        xs = np.concatenate(cut_x)
        slope = _marginal(A[lines], B[lines], xs)
        icept = _gain(A[lines], B[lines], xs) - slope * xs
        m = len(lines)
        # t_i - slope * S_i <= icept
        cuts = sparse.csr_matrix(
            (np.concatenate([np.ones(m), -slope]), (np.tile(np.arange(m), 2), np.concatenate([n + lines, lines]))),
            shape=(m, nv),
        )
        a_ub = sparse.vstack([cuts, *ub_rows]).tocsr()
        b_ub = np.concatenate([icept, np.asarray(ub_rhs, float)])
        a_eq = sparse.vstack(eq_rows).tocsr() if eq_rows else None
        res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=np.asarray(eq_rhs, float) if eq_rows else None,
                      bounds=bounds, method="highs",
                      options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
        if res.status == 2:
            raise _Infeasible
        if res.status != 0:
            raise ConvergenceError(f"the allocation LP failed ({res.message}); try looser constraints")
        S = np.clip(res.x[:n], lo, hi)
        t = res.x[n:2 * n]
        true = _gain(A, B, S)
        value = true.sum() - (0.0 if spend_all else spend_cost * S.sum())
        if value > best_val:
            best_s, best_val = S, value
        bound = -res.fun
        if bound - value <= tol * max(1.0, abs(bound)):
            return best_s
        gap = t - true
        add = np.flatnonzero(gap > tol * max(1.0, abs(bound)) / n)
        if len(add) == 0 or (previous is not None and np.max(np.abs(S - previous)) <= 1e-10):
            # every cut is tight, or the LP returns the same answer again: the remaining gap is
            # the LP's own tolerance, which no further cut can close
            return best_s
        previous = S
        cut_line.append(add)
        cut_x.append(S[add])
    raise ConvergenceError("the allocation did not converge in "
                           f"{max_rounds} rounds; try fewer constraints or a coarser tolerance")


def _infeasible_message(lo, hi, budget, groups, use_shift, shift) -> str:
    if lo.sum() > budget:
        return f"the line minimums add up to {lo.sum():,.2f}, more than the budget {budget:,.2f}"
    for mask, gmin, gmax, name in groups:
        if gmin > gmax:
            return f"{name}: the minimum {gmin:,.2f} is above the maximum {gmax:,.2f}"
        if gmin > hi[mask].sum():
            return f"{name}: the minimum {gmin:,.2f} is more than its lines can take ({hi[mask].sum():,.2f})"
        if gmax < lo[mask].sum():
            return f"{name}: the maximum {gmax:,.2f} is below its lines' minimums ({lo[mask].sum():,.2f})"
    text = "the budget, the minimums and maximums"
    if use_shift:
        text += f" and the largest shift from the current plan ({shift:,.2f})"
    return f"{text} cannot all hold at once; loosen one of them"
