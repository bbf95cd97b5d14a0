"""Customer-level bootstrap of ratios of sums, for intervals around lifts and gap indices.

Resampling customers (not purchases) keeps each customer's purchases together, so a segment
whose spend in a category comes from a handful of big buyers gets the wide interval it deserves.
The Poisson bootstrap (each customer weighted by an independent Poisson(1) count; Hanley &
MacGibbon 2006, "Creating non-parametric bootstrap samples using Poisson frequencies", Computer
Methods and Programs in Biomedicine 83(1)) turns each draw into a matrix product. The Poisson
counts are drawn by inverting the Poisson(1) distribution function on uniform numbers (exact up to
counts of 15, whose tail probability is below 1e-13), about twice as fast as numpy's sampler.
"""

from __future__ import annotations

import math

import numpy as np

#: Customers' weights are drawn in blocks of this many draws (bounds the memory to block x customers).
_BLOCK = 50

#: Distribution function of Poisson(1) at 0, 1, ..., 15.
_POISSON_CDF = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(16)])


def poisson_weights(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Independent Poisson(1) counts (as floats) by inversion of the distribution function."""
    return np.searchsorted(_POISSON_CDF, rng.random(shape), side="right").astype(float)


def ratio_interval(
    numerator: np.ndarray,
    denominator: np.ndarray,
    n_draws: int = 200,
    level: float = 0.90,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of ``numerator.sum(0) / denominator.sum(0)`` over customer resamples.

    Parameters
    ----------
    numerator, denominator
        ``(customers, k)`` arrays: each customer's contribution to the k ratios.
    n_draws
        Bootstrap draws; 0 gives NaN intervals.
    level
        Coverage of the two-sided percentile interval.
    seed
        Seed of the draws.

    Returns
    -------
    lower, upper
        Arrays of length k (NaN where a ratio is undefined in too many draws).
    """
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    k = numerator.shape[1]
    if n_draws <= 0 or numerator.shape[0] == 0:
        return np.full(k, np.nan), np.full(k, np.nan)
    rng = np.random.default_rng(seed)
    ratios = np.empty((n_draws, k))
    for start in range(0, n_draws, _BLOCK):
        b = min(_BLOCK, n_draws - start)
        w = poisson_weights(rng, (b, numerator.shape[0]))
        num = w @ numerator
        den = w @ denominator
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios[start:start + b] = np.where(den > 0, num / den, np.nan)
    tail = (1 - level) / 2
    lower = np.full(k, np.nan)
    upper = np.full(k, np.nan)
    ok = np.isfinite(ratios).mean(axis=0) >= 0.95
    if ok.any():
        lower[ok] = np.nanquantile(ratios[:, ok], tail, axis=0)
        upper[ok] = np.nanquantile(ratios[:, ok], 1 - tail, axis=0)
    return lower, upper
