"""The shifted-beta-geometric (sBG) model of contractual (subscription) retention.

Fader, P. S. & Hardie, B. G. S. (2007), "How to project customer retention", *Journal of
Interactive Marketing* 21(1), 76-90 (FH 2007), and Fader, P. S. & Hardie, B. G. S. (2010),
"Customer-base valuation in a contractual setting: the perils of ignoring heterogeneity",
*Marketing Science* 29(1), 85-93 (FH 2010).

Equation numbers are not quoted for these two papers (we could not check them against the
printed articles); each formula names the expression it implements.

Each customer churns at the end of any period with probability ``theta`` (so her lifetime ``T``
is geometric on 1, 2, ...), and ``theta ~ Beta(alpha, beta)`` across customers. Periods are
counted from acquisition: ``S(t) = P(T > t)`` is the share still active after ``t`` periods
(after ``t`` renewals).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, roots_legendre

from clientele.errors import ModelInputError
from clientele.models._safeguards import SafeguardedFitMixin
from clientele.models._inputs import as_float_array
from clientele.models.base import CustomerBaseModel

# composite Gauss-Legendre rule used by `discounted_survival_sum`
_PANELS = 96
_NODES, _WEIGHTS = roots_legendre(10)


def discounted_survival_sum(c1: np.ndarray, shape: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``2F1(1, c1 + 1 - shape; c1 + 1; 1/(1+d))`` for ``c1 > 0``, ``shape > 0``, ``d > 0``.

    This Gauss hypergeometric function is the sum ``sum_k (b)_k/(c)_k z^k`` with ``b = c1+1-shape``,
    ``c = c1 + 1``, ``z = 1/(1+d)``: the discounted sum of survival ratios behind DEL and DERL
    (FH 2010, the DEL and DERL expressions). scipy's ``hyp2f1`` returns NaN for large ``b`` and ``z`` near 1, so
    it is evaluated through the integral (from Euler's integral with ``t = z exp(-s)``)

    ``2F1 = c1 (1+d)/d * int_0^inf exp(-c1 s) [1 + (1 - exp(-s))/d]^(-shape) ds``

    by a composite 10-point Gauss-Legendre rule in ``v = log s`` over a range chosen per row so
    that the neglected ends are below 1e-16 of the total; every feature of the integrand is
    about one unit wide in ``v``, so 96 panels give close to machine precision over many orders
    of magnitude of the arguments (the tests check against brute-force sums).
    """
    c1, shape, d = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (c1, shape, d)))
    s_star = np.minimum(np.minimum(d / np.maximum(shape, 1.0), 1.0 / c1), 1.0)
    v_lo = np.log(1e-17 * s_star)
    v_hi = np.log((45.0 + np.maximum(0.0, -np.log(c1 * s_star))) / c1)
    width = (v_hi - v_lo) / _PANELS
    # nodes: (rows, panels, nodes)
    centres = v_lo[..., None] + width[..., None] * (np.arange(_PANELS) + 0.5)
    v = centres[..., None] + (width / 2)[..., None, None] * _NODES
    s = np.exp(v)
    cc, sh, dd = c1[..., None, None], shape[..., None, None], d[..., None, None]
    log_f = v - cc * s - sh * np.log1p(-np.expm1(-s) / dd)
    integral = (np.exp(log_f) * _WEIGHTS).sum(axis=(-1, -2)) * width / 2
    return c1 * (1.0 + d) / d * integral


class ShiftedBetaGeometric(SafeguardedFitMixin, CustomerBaseModel):
    """Shifted-beta-geometric retention model (FH 2007), with DEL and DERL from FH 2010.

    Fit either from a cohort's active counts per period (:meth:`fit_survival`) or from
    individual data (:meth:`fit`).

    Examples
    --------
    >>> m = ShiftedBetaGeometric().fit_survival([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(m.params_["alpha"], 3), round(m.params_["beta"], 3)
    (0.704, 1.182)
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta")
    data_names: ClassVar[tuple[str, ...]] = ("t", "churned")

    # ------------------------------------------------------------------ fitting
    def fit(self, periods_observed: Any, churned: Any = None, weights: Any = None) -> ShiftedBetaGeometric:
        """Fit from individual data (FH 2007: the sBG likelihood, one factor per customer).

        Parameters
        ----------
        periods_observed
            Periods each customer was observed, counted from acquisition (or a DataFrame
            with columns ``periods_observed`` and ``churned``).
        churned
            1 if the customer churned at the end of her last observed period, 0 if she is
            still active (right-censored).
        weights
            Number of customers sharing each row.
        """
        if isinstance(periods_observed, pd.DataFrame) and churned is None:
            frame = periods_observed
            missing = [c for c in ("periods_observed", "churned") if c not in frame.columns]
            if missing:
                raise ModelInputError(f"the DataFrame lacks column(s) {missing}; it has {list(frame.columns)}")
            periods_observed, churned = frame["periods_observed"], frame["churned"]
            if weights is None and "weights" in frame.columns:
                weights = frame["weights"]
        if churned is None:
            raise ModelInputError("missing input: churned (1 = churned at the end of the last period, 0 = still active)")
        t = as_float_array(periods_observed, "periods_observed")
        c = as_float_array(churned, "churned")
        if len(t) != len(c):
            raise ModelInputError(f"periods_observed has {len(t)} rows, churned {len(c)}")
        rules = [
            ((t < 0) | (t != np.round(t)), "periods_observed must be a non-negative whole number", t),
            ((c != 0) & (c != 1), "churned must be 0 (still active) or 1 (churned)", c),
            ((c == 1) & (t < 1), "a churned customer must have been observed for at least one period", t),
        ]
        for bad, rule, values in rules:
            if np.any(bad):
                row = int(np.flatnonzero(bad)[0])
                raise ModelInputError(f"{rule}; row {row} has {values[row]:g}")
        w = np.ones(len(t)) if weights is None else as_float_array(weights, "weights")
        if len(w) != len(t):
            raise ModelInputError(f"weights has {len(w)} rows, the data {len(t)}")
        keep = w != 0  # rows without customers carry no information
        return self._fit({"t": t[keep], "churned": c[keep]}, w[keep])

    def fit_survival(self, active_counts: Any) -> ShiftedBetaGeometric:
        """Fit from one cohort's active counts (FH 2007: the cohort log-likelihood).

        ``active_counts[t]`` customers are still active after ``t`` periods; the first entry is
        the cohort size. The ``n_{t-1} - n_t`` customers lost in period ``t`` contribute
        ``P(T = t)`` each, the survivors at the last period contribute ``S(t_last)`` each
        (right-censored).
        """
        n = as_float_array(active_counts, "active_counts")
        if len(n) < 3:
            raise ModelInputError(f"active_counts needs at least 3 entries (the cohort size and two periods) "
                                  f"to identify the sBG, got {len(n)}")
        if n[0] <= 0 or np.any(n < 0):
            bad = 0 if n[0] <= 0 else int(np.flatnonzero(n < 0)[0])
            raise ModelInputError(f"active_counts must be non-negative with a positive cohort size; entry {bad} is {n[bad]:g}")
        rises = np.flatnonzero(np.diff(n) > 0)
        if len(rises):
            i = int(rises[0]) + 1
            raise ModelInputError(f"active_counts must not increase (a cohort only loses customers); entry {i} "
                                  f"is {n[i]:g} after {n[i - 1]:g}")
        periods = np.arange(1, len(n), dtype=np.float64)
        t = np.concatenate([periods, [periods[-1]]])
        churned = np.concatenate([np.ones(len(periods)), [0.0]])
        weights = np.concatenate([n[:-1] - n[1:], [n[-1]]])
        return self.fit(t, churned, weights)

    def _check_data(self, data: Mapping[str, np.ndarray], weights: np.ndarray) -> None:
        t, c = data["t"], data["churned"]
        if not np.any(c == 1):
            raise ModelInputError("no customer churned: the sBG cannot estimate a churn probability")
        if not np.any(t >= 2):
            raise ModelInputError("every customer was observed for at most one period: the sBG needs "
                                  "retention over at least two periods to separate churn from heterogeneity")

    def _default_start(self, data: Mapping[str, np.ndarray], weights: np.ndarray) -> np.ndarray:
        return np.ones(2)

    def _log_likelihood(self, params: np.ndarray, data: Mapping[str, np.ndarray]) -> np.ndarray:
        """Per-row log-likelihood (FH 2007, the sBG pmf and survivor function).

        ``log P(T = t) = log B(a+1, b+t-1) - log B(a, b)`` for a churn, ``log S(t)`` for a customer
        still active after ``t`` periods (right-censored).
        """
        a, b = params
        t, churned = data["t"], data["churned"]
        return np.where(churned == 1, betaln(a + 1.0, b + t - 1.0), betaln(a, b + t)) - betaln(a, b)

    def _gradient(self, params: np.ndarray, data: Mapping[str, np.ndarray]) -> np.ndarray:
        a, b = params
        t, churned = data["t"], data["churned"]
        psi_ab = digamma(a + b)
        z = digamma(a + b + t)
        da = np.where(churned == 1, 1.0 / a, 0.0) + psi_ab - z
        db = np.where(churned == 1, digamma(b + t - 1.0), digamma(b + t)) - z - digamma(b) + psi_ab
        return np.stack([da, db], axis=1)

    # ------------------------------------------------------------------ predictions
    def survival(self, t: Any) -> np.ndarray:
        """``S(t) = B(a, b+t) / B(a, b)``, the share still active after ``t`` periods (FH 2007, sBG survivor function)."""
        a, b = self._params()
        t = _periods(t, "t", minimum=0)
        return np.exp(betaln(a, b + t) - betaln(a, b))

    def churn_probability(self, t: Any) -> np.ndarray:
        """``P(T = t) = B(a+1, b+t-1) / B(a, b)``, the probability of churning in period ``t`` (FH 2007, sBG pmf)."""
        a, b = self._params()
        t = _periods(t, "t", minimum=1)
        return np.exp(betaln(a + 1.0, b + t - 1.0) - betaln(a, b))

    def retention_rate(self, t: Any) -> np.ndarray:
        """``r_t = S(t)/S(t-1) = (b + t - 1) / (a + b + t - 1)`` (FH 2007, the sBG retention rate); increases with ``t``."""
        a, b = self._params()
        t = _periods(t, "t", minimum=1)
        return (b + t - 1.0) / (a + b + t - 1.0)

    def expected_residual_lifetime(self, periods_survived: Any, discount_rate: Any = 0.0) -> np.ndarray:
        """Discounted expected residual lifetime (DERL) of a customer who has made ``n`` renewals (FH 2010, DERL via 2F1).

        The customer is active after ``n = periods_survived`` periods and about to decide on her
        next renewal; each future period she is active counts ``1/(1+d)^k`` (the first, ``k = 0``,
        undiscounted):

        ``DERL(d | a, b, n) = sum_{t>n} S(t)/S(n) (1+d)^{-(t-n-1)}
        = (b+n)/(a+b+n) 2F1(1, b+n+1; a+b+n+1; 1/(1+d))``.

        FH 2010 state it for a customer with ``n-1`` renewals; here ``n`` counts renewals made.
        With ``discount_rate = 0`` the sum is ``(b+n)/(a-1)`` when ``a > 1`` and infinite otherwise.
        """
        a, b = self._params()
        n = _periods(periods_survived, "periods_survived", minimum=0)
        d = _rate(discount_rate)
        n, d = np.broadcast_arrays(n, d)
        out = np.empty(n.shape)
        undiscounted = d == 0
        out[undiscounted] = (b + n[undiscounted]) / (a - 1.0) if a > 1.0 else np.inf
        if np.any(~undiscounted):
            # one quadrature per distinct (tenure, rate): tenures repeat heavily across customers
            tn, td = n[~undiscounted], d[~undiscounted]
            pair = pd.factorize(pd.factorize(tn)[0].astype(np.int64) * (len(tn) + 1) + pd.factorize(td)[0])
            inverse, first = pair[0], np.unique(pair[0], return_index=True)[1]
            kn, kd = tn[first], td[first]
            values = np.concatenate([
                discounted_survival_sum(a + b + kn[i:i + 4096], a, kd[i:i + 4096])
                for i in range(0, len(kn), 4096)
            ]) * (b + kn) / (a + b + kn)
            out[~undiscounted] = values[inverse]
        return out

    def expected_lifetime(self, discount_rate: Any = 0.0) -> np.ndarray | float:
        """Discounted expected lifetime (DEL) of a new customer (FH 2010, E(DEL) via 2F1).

        ``DEL(d | a, b) = sum_{t>=0} S(t)/(1+d)^t = 2F1(1, b; a+b; 1/(1+d)) = 1 + DERL(d | a, b, 0)/(1+d)``;
        without discounting it is the expected number of periods ``E[T] = (a+b-1)/(a-1)`` (infinite
        when ``a <= 1``).
        """
        d = _rate(discount_rate)
        value = 1.0 + self.expected_residual_lifetime(np.zeros(d.shape), d) / (1.0 + d)
        return float(value) if value.ndim == 0 else value

    def sample(self, n_customers: int, n_periods: int, seed: int | None = None) -> pd.DataFrame:
        """Simulate a cohort observed for ``n_periods`` periods (the model of FH 2007).

        Returns a DataFrame with ``periods_observed`` and ``churned`` per customer.
        """
        a, b = self._params()
        if int(n_customers) != n_customers or n_customers < 1:
            raise ModelInputError(f"n_customers must be a positive whole number, got {n_customers!r}")
        horizon = float(_periods(n_periods, "n_periods", minimum=1))
        rng = np.random.default_rng(seed)
        theta = rng.beta(a, b, int(n_customers))
        with np.errstate(all="ignore"):
            lifetime = 1.0 + np.floor(np.log1p(-rng.random(theta.size)) / np.log1p(-theta))
        lifetime = np.nan_to_num(lifetime, nan=np.inf)
        churned = lifetime <= horizon
        return pd.DataFrame({"periods_observed": np.minimum(lifetime, horizon).astype(np.int64),
                             "churned": churned.astype(np.int64)})


def _periods(values: Any, name: str, minimum: int) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < minimum) or np.any(arr != np.round(arr)):
        raise ModelInputError(f"{name} must be a whole number of periods >= {minimum}, got {values!r}")
    return arr


def _rate(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ModelInputError(f"discount_rate must be a non-negative number (e.g. 0.1 for 10% per period), got {values!r}")
    return arr
