"""Net promoter score with its confidence interval.

NPS (Reichheld 2003, "The one number you need to grow", HBR): answers 9-10 are promoters, 7-8
passives, 0-6 detractors, and ``NPS = 100 (n_P - n_D) / n``. Each answer counts (a customer who
answered twice counts twice).

The counts are multinomial, so the difference of the two proportions has variance

.. math:: Var(\\hat p_P - \\hat p_D) = \\frac{p_P (1 - p_P) + p_D (1 - p_D) + 2 p_P p_D}{n}
          = \\frac{p_P + p_D - (p_P - p_D)^2}{n}

(the covariance of two multinomial proportions is ``-p_P p_D / n``). The interval is the
normal (Wald) approximation ``NPS +- z 100 sqrt(Var)`` with the plug-in proportions, clipped to
[-100, 100]. Method ``"adjusted"`` is the adjusted Wald interval that Rocks (2016, "Interval
estimation for the net promoter score", The American Statistician 70(4)) found to perform well:
add 3 to ``n`` and 3/4 to each of the promoter and detractor counts (so 3/2 to the passives)
before computing the proportions and the variance, centred on the adjusted difference. Its
coverage stays near the nominal level for small samples and extreme scores, where the Wald
interval collapses (all promoters give a zero-width Wald interval).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from clientele.errors import InputError

METHODS = ("wald", "adjusted")


def nps_counts(scores: Any) -> tuple[int, int, int]:
    """``(promoters, passives, detractors)`` of 0-10 answers; anything else is an :class:`InputError`."""
    values = pd.Series(scores).dropna()
    numeric = pd.to_numeric(values, errors="coerce")
    bad = numeric.isna() | (numeric < 0) | (numeric > 10) | (numeric != np.floor(numeric))
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("an NPS answer must be a whole number from 0 to 10", column="nps", line=pos + 1,
                         value=getattr(values.iloc[pos], "item", lambda: values.iloc[pos])())
    v = numeric.to_numpy()
    return int((v >= 9).sum()), int(((v >= 7) & (v <= 8)).sum()), int((v <= 6).sum())


def nps_interval(promoters: int, passives: int, detractors: int, level: float = 0.9,
                 method: str = "wald") -> dict[str, float]:
    """NPS, its standard error and interval from the three counts (see the module docstring).

    Returns a dict with ``responses``, ``promoters``, ``passives``, ``detractors``, ``nps``,
    ``std_error`` (NPS points), ``lower``, ``upper``.
    """
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}", value=method)
    if not 0.0 < level < 1.0:
        raise InputError("level must be between 0 and 1", value=level)
    n = promoters + passives + detractors
    out = {"responses": n, "promoters": promoters, "passives": passives, "detractors": detractors}
    if n == 0:
        return {**out, "nps": np.nan, "std_error": np.nan, "lower": np.nan, "upper": np.nan}
    nps = 100.0 * (promoters - detractors) / n
    extra = 0.75 if method == "adjusted" else 0.0
    m = n + 4 * extra
    pp, pd_ = (promoters + extra) / m, (detractors + extra) / m
    se = 100.0 * np.sqrt(max(pp + pd_ - (pp - pd_) ** 2, 0.0) / m)
    centre = 100.0 * (pp - pd_)
    z = norm.ppf(0.5 + level / 2.0)
    return {**out, "nps": nps, "std_error": float(se),
            "lower": float(max(centre - z * se, -100.0)), "upper": float(min(centre + z * se, 100.0))}


def net_promoter_score(scores: Any, level: float = 0.9, method: str = "wald") -> dict[str, float]:
    """NPS of a list of 0-10 answers with its interval (see :func:`nps_interval`).

    Examples
    --------
    >>> r = net_promoter_score([10, 9, 9, 8, 7, 6, 3, 10, 9, 0])
    >>> r["promoters"], r["detractors"], r["nps"]
    (5, 3, 20.0)
    """
    return nps_interval(*nps_counts(scores), level=level, method=method)


def nps_table(surveys: pd.DataFrame, by: list[str] | None = None, level: float = 0.9,
              method: str = "wald") -> pd.DataFrame:
    """NPS, response counts and interval per group of ``surveys`` (column ``nps``; ``by`` columns)."""
    if "nps" not in surveys.columns:
        raise InputError(f"the surveys need an 'nps' column; they have {list(surveys.columns)}", column="nps")
    if not by:
        return pd.DataFrame([nps_interval(*nps_counts(surveys["nps"]), level=level, method=method)],
                            index=pd.Index(["all"], name="group"))
    rows = []
    for key, part in surveys.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), **nps_interval(*nps_counts(part["nps"]), level=level, method=method)})
    return pd.DataFrame(rows).set_index(by)
