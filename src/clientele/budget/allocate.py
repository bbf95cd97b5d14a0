"""Allocate a budget over segment x lever to maximise the expected gain in customer equity.

:func:`allocate` checks the constraints, solves exactly (:mod:`clientele.budget.solver`) and
returns a :class:`Plan`: per line the spend, the expected equity gain with its interval (the
gain evaluated at every bootstrap draw of the response curves), the return on marketing
``ROI = (delta CE - spend) / spend`` of Rust, Lemon & Zeithaml (2004, Journal of Marketing 68(1),
eq. 9) and the marginal ROI ``G'(S) - 1`` (what one more unit of money would return).
:func:`evaluate` does the same for a given spend (e.g. the current product-centric plan).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clientele.budget.lines import BudgetLines
from clientele.budget.solver import cutting_planes, water_fill
from clientele.errors import InputError


@dataclass
class Plan:
    """A budget plan: one row per line, totals and the gain of every bootstrap draw.

    Attributes
    ----------
    lines
        ``segment``, ``lever``, ``owner``, ``spend``, ``gain`` (expected change in customer
        equity), ``lower``, ``upper``, ``roi``, ``marginal_roi``.
    totals
        ``budget``, ``spend``, ``gain``, ``lower``, ``upper``, ``roi``.
    draws
        Total gain of the plan at each bootstrap draw (paired across plans of the same lines).
    kind
        ``"customer"`` (allocated to segment owners) or ``"product"`` (the current plan).
    inputs
        Everything the plan was made from (budget, constraints, settings), JSON-ready.
    """

    lines: pd.DataFrame
    totals: dict[str, float]
    draws: np.ndarray
    kind: str = "customer"
    inputs: dict[str, Any] = field(default_factory=dict)
    level: float = 0.9

    @property
    def spend(self) -> np.ndarray:
        return self.lines["spend"].to_numpy(np.float64)

    def by(self, column: str) -> pd.DataFrame:
        """Spend and gain summed by ``owner``, ``segment`` or ``lever`` (intervals not additive: left out)."""
        out = self.lines.groupby(column)[["spend", "gain"]].sum()
        spent = out["spend"].where(out["spend"] > 0)
        out["roi"] = (out["gain"] - out["spend"]) / spent
        return out

    def to_dict(self) -> dict[str, Any]:
        clean = self.lines.astype(object)
        return {"kind": self.kind, "totals": self.totals, "inputs": self.inputs,
                "lines": clean.where(clean.notna(), None).to_dict(orient="records")}


def _per_line(value: Any, lines: BudgetLines, key: str, default: float) -> np.ndarray:
    """A scalar, or a mapping by (segment, lever) / segment / lever, as one number per line."""
    n = len(lines)
    if value is None:
        return np.full(n, default)
    if isinstance(value, Mapping):
        out = np.full(n, default)
        for i, (seg, lev) in enumerate(zip(lines.frame["segment"], lines.frame["lever"])):
            for k in ((seg, lev), seg, lev):
                if k in value:
                    out[i] = float(value[k])
                    break
        return out
    try:
        return np.full(n, float(value))
    except (TypeError, ValueError):
        raise InputError("expected a number", column=key, value=value) from None


def _check_amount(value: Any, name: str, *, allow_none: bool = True) -> float | None:
    if value is None and allow_none:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError("expected an amount of money", column=name, value=value) from None
    if not np.isfinite(number) or number < 0:
        raise InputError("expected a finite amount of 0 or more", column=name, value=value)
    return number


def allocate(
    lines: BudgetLines,
    budget: float,
    *,
    line_min: Any = None,
    line_max: Any = None,
    segment_min: Mapping[str, float] | float | None = None,
    segment_max: Mapping[str, float] | float | None = None,
    lever_min: Mapping[str, float] | None = None,
    lever_max: Mapping[str, float] | None = None,
    current: np.ndarray | pd.Series | None = None,
    max_shift: float | None = None,
    spend_all: bool = True,
) -> Plan:
    """The plan that maximises the expected equity gain of ``budget`` over the lines.

    Parameters
    ----------
    lines
        :func:`clientele.budget.lines.build_lines`.
    budget
        Money to allocate.
    line_min, line_max
        Bounds per line: a number, or a mapping by ``(segment, lever)``, segment or lever.
        ``line_max`` is further capped at each line's largest tested spend.
    segment_min, segment_max, lever_min, lever_max
        Bounds on the total of a segment's (a lever's) lines: a number for every segment, or a
        mapping by name.
    current, max_shift
        The current plan (spend per line, in the lines' order, or a Series indexed by
        ``(segment, lever)``) and the largest share of the budget that may move away from it
        (``sum |S - S0| / 2 <= max_shift * budget``).
    spend_all
        Spend the whole budget (default). If false, stop where the marginal return falls below
        1 (each further unit would buy less equity than it costs).

    Raises
    ------
    InputError
        A bound is negative or not a number, or the constraints cannot all hold (the message
        says which).
    """
    budget = _check_amount(budget, "budget", allow_none=False)
    lo = _per_line(line_min, lines, "line_min", 0.0)
    hi = np.minimum(_per_line(line_max, lines, "line_max", np.inf), lines.frame["max_spend"].to_numpy(float))
    if (lo < 0).any() or not np.isfinite(lo).all():
        raise InputError("line minimums must be finite amounts of 0 or more", column="line_min", value=line_min)
    bad = np.flatnonzero(lo > hi + 1e-9)
    if len(bad):
        i = bad[0]
        row = lines.frame.iloc[i]
        raise InputError(f"the line {row['segment']}/{row['lever']} has a minimum {lo[i]:,.2f} above its "
                         f"maximum {hi[i]:,.2f} (the largest spend its campaign tested)", column="line_min")
    groups = _groups(lines, "segment", segment_min, segment_max) + _groups(lines, "lever", lever_min, lever_max)
    S0 = None
    shift = None
    if max_shift is not None:
        share = _check_amount(max_shift, "max_shift", allow_none=False)
        if share > 1:
            raise InputError("the largest shift is a share of the budget between 0 and 1", column="max_shift",
                             value=max_shift)
        if current is None:
            raise InputError("a largest shift needs the current plan", column="max_shift")
        S0 = _align(current, lines)
        shift = share * budget
    if not groups and S0 is None:
        S = water_fill(lines.A, lines.B, lo, hi, budget, spend_all=spend_all)
    else:
        S = cutting_planes(lines.A, lines.B, lo, hi, budget, groups=groups, current=S0, shift=shift,
                           spend_all=spend_all)
    inputs = {"budget": budget, "line_min": _jsonable(line_min), "line_max": _jsonable(line_max),
              "segment_min": _jsonable(segment_min), "segment_max": _jsonable(segment_max),
              "lever_min": _jsonable(lever_min), "lever_max": _jsonable(lever_max), "max_shift": max_shift,
              "spend_all": spend_all, "current": None if S0 is None else S0.tolist()}
    return evaluate(lines, S, budget=budget, kind="customer", inputs=inputs)


def _groups(lines: BudgetLines, column: str, gmin: Any, gmax: Any) -> list[tuple[np.ndarray, float, float, str]]:
    if gmin is None and gmax is None:
        return []
    out = []
    names = lines.frame[column].to_numpy()
    for name in pd.unique(names):
        lo = gmin.get(name, 0.0) if isinstance(gmin, Mapping) else (gmin or 0.0)
        hi = gmax.get(name, np.inf) if isinstance(gmax, Mapping) else (np.inf if gmax is None else gmax)
        lo = _check_amount(lo, f"{column}_min")
        hi = np.inf if hi is None or hi == np.inf else _check_amount(hi, f"{column}_max")
        if lo > 0 or np.isfinite(hi):
            out.append((names == name, float(lo), float(hi), f"{column} {name!r}"))
    for bounds in (gmin, gmax):
        if isinstance(bounds, Mapping):
            unknown = set(bounds) - set(names)
            if unknown:
                raise InputError(f"no budget line has this {column}", column=f"{column}_min/max",
                                 value=sorted(unknown)[0])
    return out


def _align(current: Any, lines: BudgetLines) -> np.ndarray:
    if isinstance(current, pd.Series):
        aligned = current.reindex(lines.index()).fillna(0.0)
        return aligned.to_numpy(np.float64)
    array = np.asarray(current, dtype=np.float64)
    if array.shape != (len(lines),):
        raise InputError(f"the current plan has {array.size} spends for {len(lines)} lines", column="current")
    return array


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {("/".join(k) if isinstance(k, tuple) else str(k)): float(v) for k, v in value.items()}
    return value


def evaluate(
    lines: BudgetLines, spend: np.ndarray, *, budget: float | None = None, kind: str = "customer",
    inputs: dict[str, Any] | None = None,
) -> Plan:
    """The :class:`Plan` of spending ``spend`` (one amount per line) on ``lines``."""
    S = np.asarray(spend, dtype=np.float64)
    gain = lines.gain(S)
    draws = lines.gain_draws(S)  # (lines, draws)
    tail = (1.0 - lines.level) / 2.0
    lo, hi = np.quantile(draws, [tail, 1.0 - tail], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(S > 0, (gain - S) / S, np.nan)
    frame = lines.frame[["segment", "lever", "owner"]].copy()
    frame["spend"] = S
    frame["gain"] = gain
    frame["lower"] = lo
    frame["upper"] = hi
    frame["roi"] = roi
    frame["marginal_roi"] = lines.marginal(S) - 1.0
    total_draws = draws.sum(axis=0)
    t_lo, t_hi = np.quantile(total_draws, [tail, 1.0 - tail])
    spent = float(S.sum())
    totals = {"budget": float(spent if budget is None else budget), "spend": spent, "gain": float(gain.sum()),
              "lower": float(t_lo), "upper": float(t_hi),
              "roi": float((gain.sum() - spent) / spent) if spent > 0 else float("nan")}
    return Plan(frame.reset_index(drop=True), totals, total_draws, kind, inputs or {}, lines.level)
