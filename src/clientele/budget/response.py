"""Diminishing-returns response curves estimated from randomised campaign records.

For one segment and lever, customers (or, for acquisition, region/channel cells) were randomly
given one of several spend levels ``s_k`` (``0`` = the control group). The mean outcome at each
level is modelled by the modified exponential response function

.. math:: E[y \\mid s] = c + a \\, (1 - e^{-s / b}), \\qquad a \\ge 0, \\; b > 0,

the concave "diminishing returns" curve of the marketing-mix literature (Hanssens, Parsons &
Schultz 2001, *Market Response Models*, 2nd ed., section 3.2, the modified exponential model;
used for customer-equity spending by Rust, Lemon & Zeithaml 2004, *Return on marketing*,
Journal of Marketing 68(1), section "Projecting the return"). ``c`` is the control group's
outcome, ``a`` the largest effect any spend can buy and ``b`` the spend per customer at which
``1 - 1/e`` (63%) of it is bought. The treatment effect of spend ``s`` is ``a (1 - exp(-s/b))``.

Estimation (weighted least squares on the level means)
-------------------------------------------------------
For a fixed ``b`` the model is linear in ``(c, a)``, so it is solved in closed form by weighted
least squares with weights ``n_k / v_k`` (``v_k`` the outcome's variance at level ``k``); ``b`` is
profiled over a fine logarithmic grid and refined by a parabola through the best three grid
points (in log ``b``). A negative ``a`` (spend that hurts) is set to ``0``: the estimate is then
"no effect", and the curve stays concave.

Uncertainty (bootstrap of the level means)
------------------------------------------
Customers are randomised within levels, so the level means are independent with standard
errors ``sqrt(v_k / n_k)``. Each bootstrap draw replaces every level mean by a normal draw around
it (the large-sample distribution of a resampled mean, i.e. the bootstrap over customers within
levels without the resampling cost) and refits the curve: the draws of ``(a, b)`` give the
percentile intervals of the parameters and of the effect at any spend. With fewer than about 30
customers per level the normal approximation is rough; the fit refuses fewer than 5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clientele.errors import InputError

#: The levers and the outcome each one moves.
OUTCOMES: dict[str, str] = {"retention": "retained", "cross_sell": "purchases", "acquisition": "new_customers"}
LEVERS: tuple[str, ...] = tuple(OUTCOMES)
DEFAULT_DRAWS = 1000
DEFAULT_LEVEL = 0.9
MIN_PER_LEVEL = 5
_GRID = 400


@dataclass
class ResponseCurve:
    """The fitted response of one segment x lever: ``y(s) = c + a (1 - exp(-s / b))``.

    Attributes
    ----------
    segment, lever
        The cell.
    a, b, c
        Point estimates (largest effect, spend scale, control outcome).
    a_draws, b_draws
        Bootstrap draws of ``a`` and ``b`` (same length; draw ``d`` of every curve is one
        joint draw of the whole response set).
    levels
        One row per spend level: ``spend``, ``n``, ``mean``, ``se``.
    level
        Coverage of the intervals (0.9: 5% and 95% quantiles of the draws).
    """

    segment: str
    lever: str
    a: float
    b: float
    c: float
    a_draws: np.ndarray
    b_draws: np.ndarray
    levels: pd.DataFrame
    level: float = DEFAULT_LEVEL

    @property
    def max_spend(self) -> float:
        """The largest spend per customer (or cell) tested; allocation does not go beyond it."""
        return float(self.levels["spend"].max())

    def effect(self, spend: float | np.ndarray) -> np.ndarray:
        """Point estimate of the treatment effect ``a (1 - exp(-s / b))`` at spend ``s``."""
        return self.a * -np.expm1(-np.asarray(spend, dtype=np.float64) / self.b)

    def effect_draws(self, spend: float | np.ndarray) -> np.ndarray:
        """The effect at each spend (last axis) for each draw (first axis)."""
        s = np.asarray(spend, dtype=np.float64)
        return self.a_draws[:, None] * -np.expm1(-s.reshape(1, -1) / self.b_draws[:, None])

    def interval(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Percentile interval of draws along the first axis."""
        tail = (1.0 - self.level) / 2.0
        lo, hi = np.quantile(values, [tail, 1.0 - tail], axis=0)
        return lo, hi

    def summary(self) -> dict[str, float | str]:
        """Parameters with their intervals."""
        a_lo, a_hi = self.interval(self.a_draws)
        b_lo, b_hi = self.interval(self.b_draws)
        return {"segment": self.segment, "lever": self.lever, "a": self.a, "a_lower": float(a_lo),
                "a_upper": float(a_hi), "b": self.b, "b_lower": float(b_lo), "b_upper": float(b_hi),
                "c": self.c, "max_spend": self.max_spend, "n": int(self.levels["n"].sum())}


@dataclass
class ResponseSet:
    """Response curves by ``(segment, lever)`` with the same number of bootstrap draws each."""

    curves: dict[tuple[str, str], ResponseCurve]
    n_draws: int
    level: float = DEFAULT_LEVEL
    settings: dict = field(default_factory=dict)

    def __getitem__(self, key: tuple[str, str]) -> ResponseCurve:
        try:
            return self.curves[key]
        except KeyError:
            raise InputError(f"no response estimate for segment {key[0]!r} and lever {key[1]!r}; "
                             f"estimated cells: {', '.join(f'{s}/{l}' for s, l in self.curves)}") from None

    def __contains__(self, key: object) -> bool:
        return key in self.curves

    def summary(self) -> pd.DataFrame:
        """One row per cell: the parameters and their intervals."""
        return pd.DataFrame([c.summary() for c in self.curves.values()]).set_index(["segment", "lever"])


def fit_curve_to_means(
    spend: np.ndarray, means: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least-squares ``(a, b, c)`` of the modified exponential curve, for many mean vectors.

    Parameters
    ----------
    spend
        ``(K,)`` spend levels (at least three distinct ones, one of them 0).
    means
        ``(D, K)`` level means, one row per fit.
    weights
        ``(K,)`` weights (``n_k / v_k``).

    Returns
    -------
    a, b, c : numpy.ndarray
        ``(D,)`` each.
    """
    s = np.asarray(spend, dtype=np.float64)
    y = np.atleast_2d(np.asarray(means, dtype=np.float64))
    w = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    positive = s[s > 0]
    grid = np.exp(np.linspace(np.log(positive.min() / 20.0), np.log(positive.max() * 20.0), _GRID))
    x = -np.expm1(-s[None, :] / grid[:, None])  # (G, K)
    xbar = x @ w  # (G,)
    xc = x - xbar[:, None]
    sxx = (xc**2) @ w  # (G,)
    ybar = y @ w  # (D,)
    yc = y - ybar[:, None]
    sxy = (yc * w) @ xc.T  # (D, G)
    syy = (yc**2) @ w  # (D,)
    a = np.maximum(sxy / sxx, 0.0)
    rss = syy[:, None] - 2.0 * a * sxy + a**2 * sxx  # (D, G)
    best = np.argmin(rss, axis=1)
    lg = np.log(grid)
    inner = np.clip(best, 1, _GRID - 2)
    r0, r1, r2 = (rss[np.arange(len(y)), inner + k] for k in (-1, 0, 1))
    denom = r0 - 2.0 * r1 + r2
    step = lg[1] - lg[0]
    shift = np.where(denom > 0, 0.5 * (r0 - r2) / np.where(denom > 0, denom, 1.0), 0.0)
    refine = (best == inner) & (np.abs(shift) <= 1.0)
    log_b = np.where(refine, lg[inner] + shift * step, lg[best])
    b = np.exp(log_b)
    xb = -np.expm1(-s[None, :] / b[:, None])  # (D, K)
    xbar_b = np.sum(xb * w, axis=1)
    xcb = xb - xbar_b[:, None]
    a = np.maximum(np.sum(xcb * yc * w, axis=1) / np.sum(xcb**2 * w, axis=1), 0.0)
    c = ybar - a * xbar_b
    return a, b, c


def level_stats(spend: np.ndarray, outcome: np.ndarray) -> pd.DataFrame:
    """``spend``, ``n``, ``mean``, ``se`` of the outcome at each distinct spend level."""
    frame = pd.DataFrame({"spend": np.round(spend, 6), "y": outcome})
    g = frame.groupby("spend")["y"]
    out = pd.DataFrame({"n": g.size(), "mean": g.mean(), "var": g.var(ddof=1)}).reset_index()
    # a level whose outcomes are all equal still has sampling noise: floor the variance at that
    # of one success/event in n (so a 0/1 level with no events does not get infinite weight)
    n = out["n"].to_numpy(np.float64)
    floor = (1.0 / n) * (1.0 - 1.0 / (n + 1.0))
    out["var"] = np.maximum(out["var"].fillna(0.0).to_numpy(), floor)
    out["se"] = np.sqrt(out["var"] / out["n"])
    return out[["spend", "n", "mean", "se", "var"]]


def fit_response(
    segment: str,
    lever: str,
    spend: np.ndarray,
    outcome: np.ndarray,
    *,
    n_draws: int = DEFAULT_DRAWS,
    level: float = DEFAULT_LEVEL,
    rng: np.random.Generator | None = None,
) -> ResponseCurve:
    """Fit one cell's curve and its bootstrap draws (see the module docstring).

    Raises
    ------
    InputError
        Fewer than three spend levels, no control level (spend 0), or fewer than
        :data:`MIN_PER_LEVEL` records at a level.
    """
    stats = level_stats(np.asarray(spend, dtype=np.float64), np.asarray(outcome, dtype=np.float64))
    where = f"segment {segment!r}, lever {lever!r}"
    if len(stats) < 3:
        raise InputError(f"{where}: a response curve needs at least three spend levels (0 = control); "
                         f"the records have {len(stats)}", column="spend", value=stats["spend"].tolist())
    if stats["spend"].iloc[0] != 0.0:
        raise InputError(f"{where}: no control group (records with spend 0 and treated false)", column="spend")
    small = stats[stats["n"] < MIN_PER_LEVEL]
    if len(small):
        raise InputError(f"{where}: at least {MIN_PER_LEVEL} records are needed at each spend level",
                         column="spend", value=float(small["spend"].iloc[0]))
    rng = rng or np.random.default_rng(0)
    s, m, se = stats["spend"].to_numpy(), stats["mean"].to_numpy(), stats["se"].to_numpy()
    weights = 1.0 / se**2
    a, b, c = fit_curve_to_means(s, m[None, :], weights)
    draws = m[None, :] + se[None, :] * rng.standard_normal((int(n_draws), len(s)))
    a_d, b_d, _ = fit_curve_to_means(s, draws, weights)
    return ResponseCurve(segment, lever, float(a[0]), float(b[0]), float(c[0]), a_d, b_d,
                         stats.drop(columns="var"), level)


def fit_responses(
    records: pd.DataFrame,
    *,
    n_draws: int = DEFAULT_DRAWS,
    level: float = DEFAULT_LEVEL,
    seed: int | None = 0,
) -> ResponseSet:
    """Fit a curve to every segment x lever of campaign records.

    Parameters
    ----------
    records
        Columns ``segment``, ``lever``, ``treated``, ``spend`` and the lever's outcome column
        (:data:`OUTCOMES`: ``retained`` for retention, ``purchases`` for cross-sell,
        ``new_customers`` for acquisition); as :func:`clientele.budget.campaigns.campaign_records`
        returns them. Control records (``treated`` false) count as spend 0.
    n_draws
        Bootstrap draws per curve (at least 10).
    level
        Coverage of the intervals.
    seed
        Seed of the draws.
    """
    if not isinstance(n_draws, (int, np.integer)) or n_draws < 10:
        raise InputError("the number of bootstrap draws must be a whole number of at least 10", value=n_draws)
    if not 0.0 < float(level) < 1.0:
        raise InputError("the interval level must be between 0 and 1, e.g. 0.9", value=level)
    missing = [c for c in ("segment", "lever", "treated", "spend") if c not in records.columns]
    if missing:
        raise InputError("campaign records lack columns", column=", ".join(missing))
    if records.empty:
        raise InputError("there are no campaign records to estimate responses from")
    rng = np.random.default_rng(seed)
    curves: dict[tuple[str, str], ResponseCurve] = {}
    for (segment, lever), part in records.groupby(["segment", "lever"], sort=True):
        if lever not in OUTCOMES:
            raise InputError(f"expected one of {', '.join(LEVERS)}", column="lever", value=lever)
        column = OUTCOMES[lever]
        if column not in part.columns or part[column].isna().any():
            raise InputError(f"segment {segment!r}, lever {lever!r}: every record needs the outcome {column!r}",
                             column=column)
        spend = np.where(part["treated"].to_numpy(bool), part["spend"].to_numpy(np.float64), 0.0)
        curves[(str(segment), str(lever))] = fit_response(
            str(segment), str(lever), spend, part[column].to_numpy(np.float64), n_draws=n_draws, level=level, rng=rng
        )
    return ResponseSet(curves, int(n_draws), float(level), {"n_draws": int(n_draws), "level": float(level),
                                                             "seed": seed})
