"""Sensitivity of a plan to each response estimate: one at a time, low and high end (a tornado).

For each line, its response curve is set to the low (then the high) end of its interval while
every other curve stays at its estimate, and the budget is allocated again under the same
constraints. The low (high) end is the bootstrap draw of the curve whose gain at the plan's
spend is at the lower (upper) quantile of the interval (for a line the plan leaves unfunded:
whose marginal return at zero is), so ``a`` and ``b`` move together as the data allow. The
table reports the re-optimised total gain and ROI, and the money the
re-optimised plan moves away from the base plan (``sum |S - S*| / 2``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientele.budget.allocate import Plan, allocate
from clientele.budget.lines import BudgetLines


def end_draws(lines: BudgetLines, spend: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each line, the index of the draw at the low and at the high end of its gain interval."""
    draws = lines.gain_draws(spend)  # (lines, draws)
    # a line the plan leaves unfunded gains 0 in every draw: rank its draws by the marginal
    # return at its spend instead (what decides whether it would be funded)
    slope = (lines.A_draws / lines.B_draws) * np.exp(-np.asarray(spend, float)[:, None] / lines.B_draws)
    key = np.where((np.asarray(spend, float) > 0)[:, None], draws, slope)
    order = np.argsort(key, axis=1, kind="stable")
    n = draws.shape[1]
    tail = (1.0 - lines.level) / 2.0
    k_lo = int(np.clip(round(tail * (n - 1)), 0, n - 1))
    k_hi = int(np.clip(round((1.0 - tail) * (n - 1)), 0, n - 1))
    return order[:, k_lo], order[:, k_hi]


def sensitivity(lines: BudgetLines, plan: Plan, budget: float, **constraints: Any) -> pd.DataFrame:
    """The tornado table of ``plan`` (made by ``allocate(lines, budget, **constraints)``).

    Returns
    -------
    pandas.DataFrame
        One row per line, widest swing first: ``segment``, ``lever``, ``gain_low``,
        ``gain_high`` (total gain of the re-optimised plan), ``roi_low``, ``roi_high``,
        ``moved_low``, ``moved_high`` (money moved from the base plan), ``spend_low``,
        ``spend_high`` (the line's own spend in each re-optimised plan).
    """
    base = plan.spend
    lo_idx, hi_idx = end_draws(lines, base)
    rows = []
    for i in range(len(lines)):
        row = {"segment": lines.frame["segment"].iat[i], "lever": lines.frame["lever"].iat[i],
               "spend": float(base[i])}
        for end, idx in (("low", lo_idx[i]), ("high", hi_idx[i])):
            varied = lines.with_curve(i, float(lines.A_draws[i, idx]), float(lines.B_draws[i, idx]))
            again = allocate(varied, budget, **constraints)
            row[f"gain_{end}"] = again.totals["gain"]
            row[f"roi_{end}"] = again.totals["roi"]
            row[f"moved_{end}"] = round(float(np.abs(again.spend - base).sum() / 2.0), 2)
            row[f"spend_{end}"] = float(again.spend[i])
        rows.append(row)
    table = pd.DataFrame(rows)
    table["swing"] = (table["gain_high"] - table["gain_low"]).abs()
    return table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
