"""Value at risk: the CLV-weighted expected churn, from 1 - P(alive).

A customer's CLV is ``P(alive) V`` where ``V`` is the discounted expected margin *if alive*
(FHL 2005 eq. 10 factors the expected purchases as ``P(alive)`` times the live customer's
expectation). The value at risk is what the customers have probably already been lost for:

.. math:: VaR = \\sum_c (1 - P_c(alive)) V_c, \\qquad
          \\text{churn}_{CLV} = VaR / \\sum_c V_c

so ``churn_weighted`` is the expected churn rate with each customer weighted by the value they
would bring if still active. ``V_c = CLV_c / P_c(alive)`` (0 where ``P(alive) = 0``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientele.errors import ModelInputError

#: labels of :func:`value_risk_segments`
VALUE_LEVELS = ("low value", "mid value", "high value")


def _check(customers: pd.DataFrame) -> None:
    missing = [c for c in ("p_alive", "clv") if c not in customers.columns]
    if missing:
        raise ModelInputError(f"the customer scores lack column(s) {missing}; they have {list(customers.columns)}")


def value_if_alive(customers: pd.DataFrame) -> np.ndarray:
    """``V = CLV / P(alive)``, each customer's value if still alive (0 where P(alive) = 0)."""
    _check(customers)
    p = customers["p_alive"].to_numpy(np.float64)
    clv = customers["clv"].to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, clv / np.where(p > 0, p, 1.0), 0.0)


def value_at_risk_of(customers: pd.DataFrame) -> dict[str, float]:
    """Totals: ``customers``, ``expected_alive``, ``clv``, ``value_if_alive``, ``value_at_risk``, ``churn_weighted``.

    Examples
    --------
    >>> import pandas as pd
    >>> risk = value_at_risk_of(pd.DataFrame({"p_alive": [0.5, 1.0], "clv": [10.0, 20.0]}))
    >>> risk["value_at_risk"], risk["churn_weighted"]
    (10.0, 0.25)
    """
    v = value_if_alive(customers)
    p = customers["p_alive"].to_numpy(np.float64)
    risk = float(np.sum((1.0 - p) * v))
    total = float(v.sum())
    return {
        "customers": int(len(customers)),
        "expected_alive": float(p.sum()),
        "clv": float(customers["clv"].sum()),
        "value_if_alive": total,
        "value_at_risk": risk,
        "churn_weighted": risk / total if total > 0 else float("nan"),
    }


def value_at_risk(customers: pd.DataFrame, segments: Any = None) -> pd.DataFrame:
    """Value at risk in total and by segment.

    Parameters
    ----------
    customers
        One row per customer (index: customer key) with ``p_alive`` and ``clv``, e.g.
        ``EquityResult.customers`` or :func:`clientele.clv.score_customers`.
    segments
        Optional key -> segment mapping (Series, dict, or DataFrame with ``segment``).

    Returns
    -------
    DataFrame
        Indexed by ``segment`` (``all`` first) with the columns of :func:`value_at_risk_of`.
    """
    from clientele.equity.customer_equity import _segments

    rows = [{"segment": "all", **value_at_risk_of(customers)}]
    if segments is not None:
        labels = _segments(segments, customers.index)
        for name, part in customers.groupby(labels.to_numpy(), sort=True):
            rows.append({"segment": str(name), **value_at_risk_of(part)})
    return pd.DataFrame(rows).set_index("segment")


def value_risk_segments(customers: pd.DataFrame, alive_threshold: float = 0.5) -> pd.Series:
    """A value x risk grid: CLV-if-alive tertile x (P(alive) below ``alive_threshold`` = at risk).

    Labels such as ``"high value, at risk"``; a segmentation for when no other exists (the
    demo uses it). Tertiles are by rank, so ties do not empty a level.
    """
    if not 0.0 < alive_threshold < 1.0:
        raise ModelInputError(f"alive_threshold must be between 0 and 1, got {alive_threshold!r}")
    v = pd.Series(value_if_alive(customers), index=customers.index)
    ranks = v.rank(method="first", pct=True).to_numpy()
    level = (np.ceil(ranks * 3).astype(int) - 1).clip(0, 2)
    risk = np.where(customers["p_alive"].to_numpy() < alive_threshold, "at risk", "active")
    names = np.array(VALUE_LEVELS, dtype=object)[level]
    return pd.Series([f"{n}, {r}" for n, r in zip(names, risk)], index=customers.index, name="segment")
