"""Allocation: optimal against brute force, constraints always hold, ROI arithmetic, sensitivity."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientele.budget import BudgetLines, allocate, evaluate, sensitivity
from clientele.budget.solver import cutting_planes, water_fill
from clientele.errors import InputError


def make_lines(A, B, cap=None, segments=None, levers=None, draws=50, seed=0):
    n = len(A)
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "segment": segments or [f"s{i}" for i in range(n)],
        "lever": levers or ["retention"] * n,
        "owner": "o",
        "reach": 100,
        "value": 1.0,
        "A": np.asarray(A, float),
        "B": np.asarray(B, float),
        "max_spend": np.full(n, np.inf) if cap is None else np.asarray(cap, float),
    })
    noise = rng.lognormal(0, 0.1, (n, draws))
    return BudgetLines(frame, frame["A"].to_numpy()[:, None] * noise, frame["B"].to_numpy()[:, None] * noise)


def total_gain(A, B, S):
    return float(np.sum(np.asarray(A) * (1 - np.exp(-np.asarray(S) / np.asarray(B)))))


def brute_force(A, B, budget, step, feasible=lambda S: True):
    best, arg = -np.inf, None
    n = len(A)
    grid = np.arange(0.0, budget + step / 2, step)
    for head in itertools.product(grid, repeat=n - 1):
        last = budget - sum(head)
        if last < -1e-9:
            continue
        S = np.array([*head, max(last, 0.0)])
        if not feasible(S):
            continue
        value = total_gain(A, B, S)
        if value > best:
            best, arg = value, S
    return best, arg


@pytest.mark.parametrize("A,B,budget", [
    ([1000.0, 600.0], [300.0, 100.0], 500.0),
    ([800.0, 500.0, 900.0], [200.0, 50.0, 400.0], 600.0),
    ([100.0, 5000.0, 50.0], [10.0, 4000.0, 5.0], 300.0),
])
def test_water_filling_is_optimal_against_a_grid(A, B, budget):
    S = water_fill(np.array(A), np.array(B), np.zeros(len(A)), np.full(len(A), np.inf), budget)
    assert S.sum() == pytest.approx(budget)
    best, arg = brute_force(A, B, budget, budget / 200)
    assert total_gain(A, B, S) >= best - 1e-9
    # the optimum is unique (strictly concave): the grid's best is within a grid step
    assert np.max(np.abs(arg - S)) <= 2 * budget / 200 + 1e-9


def test_cutting_planes_match_the_grid_under_group_and_shift_constraints():
    A, B = np.array([1000.0, 600.0, 900.0]), np.array([300.0, 100.0, 250.0])
    budget, current, shift = 600.0, np.array([0.0, 0.0, 600.0]), 150.0
    mask = np.array([True, True, False])
    S = cutting_planes(A, B, np.zeros(3), np.full(3, np.inf), budget,
                       groups=[(mask, 0.0, 120.0, "segment x")], current=current, shift=shift)
    feasible = (lambda S: S[:2].sum() <= 120.0 + 1e-9 and np.abs(S - current).sum() / 2 <= shift + 1e-9)
    best, _ = brute_force(A, B, budget, 2.0, feasible)
    assert S.sum() == pytest.approx(budget)
    assert S[:2].sum() <= 120.0 + 1e-6 and np.abs(S - current).sum() / 2 <= shift + 1e-6
    assert total_gain(A, B, S) >= best - 1e-6


def test_both_solvers_agree_without_group_constraints():
    rng = np.random.default_rng(3)
    A, B = rng.uniform(100, 2000, 20), rng.uniform(10, 500, 20)
    lo, hi = rng.uniform(0, 20, 20), rng.uniform(200, 400, 20)
    wf = water_fill(A, B, lo, hi, 3000.0)
    cp = cutting_planes(A, B, lo, hi, 3000.0, groups=[(np.ones(20, bool), 0.0, 1e9, "all")])
    assert total_gain(A, B, cp) == pytest.approx(total_gain(A, B, wf), rel=1e-8)
    assert np.allclose(wf, cp, atol=1e-3 * 3000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 6),
    seed=st.integers(0, 10_000),
    budget=st.one_of(st.just(0.0), st.floats(1.0, 5000.0)),  # money: no sub-unit budgets
    lo_scale=st.one_of(st.just(0.0), st.floats(1.0, 400.0)),
    hi_scale=st.floats(10.0, 2000.0),
    seg_max=st.one_of(st.none(), st.floats(0.0, 4000.0)),
    shift=st.one_of(st.none(), st.floats(0.0, 1.0)),
)
def test_plans_respect_every_constraint_or_say_why_not(n, seed, budget, lo_scale, hi_scale, seg_max, shift):
    rng = np.random.default_rng(seed)
    A, B = rng.uniform(0, 3000, n), rng.uniform(5, 800, n)
    A[rng.random(n) < 0.2] = 0.0  # some lines do not respond at all
    lines = make_lines(A, B, segments=[f"s{i % 2}" for i in range(n)],
                       levers=[["retention", "cross_sell", "acquisition"][i % 3] for i in range(n)])
    keys = list(zip(lines.frame["segment"], lines.frame["lever"]))
    lo = {k: float(v) for k, v in zip(keys, rng.uniform(0, lo_scale, n))}
    hi = {(s, l): float(v) for s, l, v in zip(lines.frame["segment"], lines.frame["lever"],
                                              np.array(list(lo.values())) + rng.uniform(0, hi_scale, n))}
    current = rng.dirichlet(np.ones(n)) * budget
    try:
        plan = allocate(lines, budget, line_min=lo, line_max=hi, segment_max=seg_max, current=current,
                        max_shift=shift)
    except InputError as exc:
        # only when no plan can satisfy everything (checked by an independent LP)
        assert not feasible(budget, np.array(list(lo.values())), np.array(list(hi.values())),
                            lines.frame["segment"].to_numpy(), seg_max, current, shift), str(exc)
        return
    S = plan.spend
    assert np.isfinite(plan.lines[["spend", "gain", "lower", "upper", "marginal_roi"]].to_numpy()).all()
    assert S.sum() == pytest.approx(budget, rel=1e-7, abs=1e-6)
    assert (S >= np.array(list(lo.values())) - 1e-6).all() and (S <= np.array(list(hi.values())) + 1e-6).all()
    if seg_max is not None:
        for seg in ("s0", "s1"):
            assert S[(lines.frame["segment"] == seg).to_numpy()].sum() <= seg_max + 1e-6
    if shift is not None:
        assert np.abs(S - current).sum() / 2 <= shift * budget + 1e-6 * max(1.0, budget)


def feasible(budget, lo, hi, segments, seg_max, current, shift):
    """Whether some spend satisfies every constraint: an LP over (S, d+, d-) with a zero objective."""
    from scipy.optimize import linprog

    n = len(lo)
    a_eq = [np.r_[np.ones(n), np.zeros(2 * n)]]
    b_eq = [budget]
    a_ub, b_ub = [], []
    if seg_max is not None:
        for seg in np.unique(segments):
            a_ub.append(np.r_[(segments == seg).astype(float), np.zeros(2 * n)])
            b_ub.append(seg_max)
    if shift is not None:
        a_eq.extend(np.r_[np.eye(n)[i], -np.eye(n)[i], np.eye(n)[i]] for i in range(n))
        b_eq.extend(current)
        a_ub.append(np.r_[np.zeros(n), np.ones(2 * n)])
        b_ub.append(2 * shift * budget)
    res = linprog(np.zeros(3 * n), A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None, A_eq=np.array(a_eq),
                  b_eq=b_eq, bounds=[(l, h) for l, h in zip(lo, hi)] + [(0, None)] * (2 * n), method="highs")
    return res.status == 0


def test_infeasible_constraints_name_the_problem():
    lines = make_lines([100.0, 200.0], [10.0, 20.0])
    with pytest.raises(InputError, match="line minimums add up"):
        allocate(lines, 100.0, line_min=60.0)
    with pytest.raises(InputError, match="line maximums add up"):
        allocate(lines, 100.0, line_max=40.0)
    with pytest.raises(InputError, match="segment 's0'"):
        allocate(lines, 100.0, segment_min={"s0": 90.0}, line_max=50.0)
    with pytest.raises(InputError, match="needs the current plan"):
        allocate(lines, 100.0, max_shift=0.1)
    with pytest.raises(InputError, match="budget"):
        allocate(lines, -5.0)
    with pytest.raises(InputError, match="no budget line"):
        allocate(lines, 100.0, segment_max={"nobody": 5.0})


def test_roi_and_marginal_roi_arithmetic():
    lines = make_lines([1000.0, 300.0], [200.0, 50.0])
    plan = evaluate(lines, np.array([100.0, 0.0]))
    g = 1000.0 * (1 - np.exp(-0.5))
    row = plan.lines.iloc[0]
    assert row["gain"] == pytest.approx(g)
    assert row["roi"] == pytest.approx((g - 100.0) / 100.0)
    h = 1e-4
    numeric = (1000.0 * (1 - np.exp(-(100.0 + h) / 200.0)) - 1000.0 * (1 - np.exp(-(100.0 - h) / 200.0))) / (2 * h)
    assert row["marginal_roi"] == pytest.approx(numeric - 1.0, rel=1e-6)
    assert np.isnan(plan.lines.iloc[1]["roi"])  # nothing spent: no ROI
    assert plan.totals["roi"] == pytest.approx((g - 100.0) / 100.0)
    assert plan.lines.iloc[0]["lower"] <= g * 1.5 and plan.lines.iloc[0]["upper"] >= g / 1.5


def test_optimal_plan_equalises_marginal_returns_and_stops_at_break_even():
    lines = make_lines([1000.0, 600.0, 900.0], [300.0, 100.0, 250.0])
    plan = allocate(lines, 400.0)
    m = plan.lines["marginal_roi"].to_numpy()
    spent = plan.spend > 1e-9
    assert np.ptp(m[spent]) < 1e-8
    thrifty = allocate(lines, 1e6, spend_all=False)
    assert thrifty.spend.sum() < 1e6
    assert np.allclose(thrifty.lines["marginal_roi"], 0.0, atol=1e-8)  # each line stops where G' = 1


def test_sensitivity_moves_with_each_estimate():
    lines = make_lines([1000.0, 600.0, 900.0], [300.0, 100.0, 250.0], draws=200)
    plan = allocate(lines, 500.0)
    table = sensitivity(lines, plan, 500.0)
    assert len(table) == 3
    assert (table["gain_low"] <= plan.totals["gain"] + 1e-9).all()
    assert (table["gain_high"] >= plan.totals["gain"] - 1e-9).all()
    assert (table["swing"].diff().dropna() <= 1e-12).all()  # widest first
