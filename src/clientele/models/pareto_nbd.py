"""The Pareto/NBD model of Schmittlein, Morrison & Colombo (1987).

While alive, a customer buys as a Poisson process with rate ``lambda``; the lifetime is
exponential with rate ``mu``; across customers ``lambda ~ Gamma(r, alpha)`` and
``mu ~ Gamma(s, beta)`` (shape, rate). Formulas follow Fader & Hardie (2005), "A Note on
Deriving the Pareto/NBD Model and Related Expressions" (below: *F&H note*). The likelihood, whose
Gauss hypergeometric terms overflow when evaluated naively, lives in
:mod:`clientele.models._pareto_likelihood`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln, logsumexp

from clientele.errors import ConvergenceError, ModelInputError
from clientele.models._pareto_likelihood import layout, pareto_nbd_log_likelihood, pareto_nbd_total
from clientele.models._special import concave_quadrature
from clientele.models._inputs import as_float_array, columns_from, time_unit_of, validate_rfm
from clientele.models.base import CustomerBaseModel

__all__ = ["ParetoNBD", "pareto_nbd_log_likelihood"]

_DATA = ("frequency", "recency", "T")
#: a fitted gamma shape (r or s) above this is a run to the no-heterogeneity boundary
MAX_SHAPE = 1e4
MIN_SHAPE = 1e-6


def rfm_arrays(frequency: Any, recency: Any, T: Any, broadcast: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frequency, recency and T as float arrays (from arrays or an RFM DataFrame), validated.

    With ``broadcast`` (predictions), a scalar stands for every customer.
    """
    x, t_x, age = (as_float_array(v, n) for v, n in zip(columns_from(frequency, _DATA, (recency, T)), _DATA))
    try:
        if not broadcast and not len(x) == len(t_x) == len(age):
            raise ValueError
        x, t_x, age = (np.ascontiguousarray(v) for v in np.broadcast_arrays(x, t_x, age))
    except ValueError:
        raise ModelInputError(f"frequency, recency and T differ in length ({len(x)}, {len(t_x)}, {len(age)})") from None
    validate_rfm(x, t_x, age)
    return x, t_x, age


def _horizon(values: Any, name: str) -> np.ndarray:
    """A time span (scalar or array, shape kept), finite and non-negative, or a clear error."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelInputError(f"{name} must be a number of time units, got {values!r}") from None
    bad = ~np.isfinite(arr) | (arr < 0)
    if np.any(bad):
        raise ModelInputError(f"{name} must be finite and non-negative, got {arr[bad].flat[0]!r}")
    return arr


def _expm1_ratio(c: float | np.ndarray, length: np.ndarray) -> np.ndarray:
    """``(1 - exp(-c*L)) / c``, continuous at ``c = 0`` (where it is ``L``)."""
    c = np.asarray(c, dtype=np.float64)
    small = np.abs(c) < 1e-12
    safe = np.where(small, 1.0, c)
    return np.where(small, length, -np.expm1(-safe * length) / safe)


class ParetoNBD(CustomerBaseModel):
    """Pareto/NBD model (Schmittlein, Morrison & Colombo 1987; Fader & Hardie 2005 note).

    Parameters
    ----------
    penalizer_coef, initial_params
        See :class:`~clientele.models.base.CustomerBaseModel`.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (purchase-rate gamma shape and rate), ``s``, ``beta`` (dropout-rate
        gamma shape and rate).
    log_likelihood_, standard_errors_, covariance_
        As in the base class.

    Examples
    --------
    >>> from clientele.models import ParetoNBD
    >>> m = ParetoNBD()
    >>> rfm = ParetoNBD.simulate(dict(r=0.55, alpha=10.6, s=0.61, beta=11.7), 5000, T=39.0, seed=1)
    >>> round(m.fit(rfm).params_["r"], 1)
    0.5
    """

    param_names = ("r", "alpha", "s", "beta")
    data_names = ("frequency", "recency", "T")

    # ------------------------------------------------------------------ fitting
    def fit(self, frequency: Any, recency: Any = None, T: Any = None, weights: Any = None) -> ParetoNBD:
        """Fit by maximum likelihood (F&H note eq. 18).

        Parameters
        ----------
        frequency, recency, T
            Repeat purchases, time of the last purchase and age of each customer (arrays or
            Series), or an RFM DataFrame with these columns as the first argument.
        weights
            Optional number of customers per row.
        """
        x, t_x, age = rfm_arrays(frequency, recency, T)
        return self._fit({"frequency": x, "recency": t_x, "T": age}, weights, time_unit=time_unit_of(frequency))

    def _check_data(self, data, weights) -> None:
        used = weights > 0
        if not np.any(data["frequency"][used] > 0):
            raise ModelInputError(
                "no customer has a repeat purchase (every frequency is 0): the Pareto/NBD purchase "
                "rate cannot be estimated; fit on a longer period or more customers"
            )
        if all(np.ptp(data[k][used]) == 0 for k in _DATA):  # one distinct history
            raise ModelInputError(
                "all customers have the same (frequency, recency, T): four parameters cannot be "
                "estimated from one history; fit on customers with varied histories"
            )

    def _optimise(self, data, weights, start):
        result = super()._optimise(data, weights, start)
        shapes = {name: float(np.exp(v)) for name, v in zip(self.param_names, result.x) if name in ("r", "s")}
        flat = {k: v for k, v in shapes.items() if v > MAX_SHAPE}
        if flat:
            shown = ", ".join(f"{k}={v:.3g}" for k, v in flat.items())
            raise ConvergenceError(
                f"ParetoNBD: the fit ran towards no heterogeneity ({shown}; a gamma shape above "
                f"{MAX_SHAPE:g} means every customer has the same rate), where the model is not "
                "identified: the data have too few distinct histories or repeat buyers. Fit more "
                "varied data, or regularise with penalizer_coef=0.01."
            )
        spiked = {k: v for k, v in shapes.items() if v < MIN_SHAPE}
        if spiked:
            shown = ", ".join(f"{k}={v:.3g}" for k, v in spiked.items())
            raise ConvergenceError(
                f"ParetoNBD: the fit ran towards a degenerate gamma ({shown}; a shape below "
                f"{MIN_SHAPE:g} puts almost every customer's rate at 0): the data cannot identify "
                "the model; fit on more customers with repeat purchases."
            )
        return result

    def _prepare(self, data):
        return {**data, **layout(data["frequency"], data["recency"], data["T"])}

    def _default_start(self, data, weights) -> np.ndarray:
        """Moment-style start: purchase rate ``r/alpha`` from mean frequency over mean age."""
        mean_x = max(float(np.average(data["frequency"], weights=weights)), 1e-3)
        mean_T = max(float(np.average(data["T"], weights=weights)), 1e-3)
        return np.array([1.0, mean_T / mean_x, 1.0, mean_T])

    def _log_likelihood_and_gradient(self, params, data):
        ll, grad, _ = pareto_nbd_log_likelihood(params, data["frequency"], data["recency"], data["T"], codes=data)
        return ll, grad

    def _weighted_log_likelihood_and_gradient(self, params, data, weights):
        return pareto_nbd_total(params, data["frequency"], data["recency"], data["T"], weights, codes=data)

    def _log_likelihood(self, params, data) -> np.ndarray:
        return pareto_nbd_log_likelihood(params, data["frequency"], data["recency"], data["T"], False, codes=data)[0]

    def _gradient(self, params, data) -> np.ndarray:
        return self._log_likelihood_and_gradient(params, data)[1]

    # ------------------------------------------------------------------ predictions
    def _history(self, frequency, recency, T):
        return rfm_arrays(frequency, recency, T, broadcast=True)

    def p_alive(self, frequency: Any, recency: Any = None, T: Any = None) -> np.ndarray:
        """Probability that a customer with history ``(x, t_x, T)`` is still alive at ``T`` (F&H note eq. 36)."""
        params = self._params()
        x, t_x, age = self._history(frequency, recency, T)
        _, _, log_alive = pareto_nbd_log_likelihood(params, x, t_x, age, gradient=False)
        return np.clip(np.exp(log_alive), 0.0, 1.0)

    def expected_purchases(self, t: Any, frequency: Any, recency: Any = None, T: Any = None) -> np.ndarray:
        """Expected purchases in ``(T, T+t]`` given the history (F&H note eq. 41).

        ``E[Y(t) | x, t_x, T] = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive)``,
        evaluated as ``(r+x)(beta+T)/(alpha+T) * (1 - exp(-(s-1) log1p(t/(beta+T))))/(s-1)``,
        continuous at ``s = 1``.
        """
        r, alpha, s, beta = self._params()
        x, t_x, age = self._history(frequency, recency, T)
        t = _horizon(t, "t")
        alive = self.p_alive(x, t_x, age)
        growth = _expm1_ratio(s - 1.0, np.log1p(t / (beta + age)))
        return (r + x) * (beta + age) / (alpha + age) * growth * alive

    def discounted_expected_purchases(
        self, horizons: Any, weights: Any, frequency: Any, recency: Any = None, T: Any = None, *, given_alive: bool = False
    ) -> np.ndarray:
        """Weighted sums over horizons of :meth:`expected_purchases`: ``sum_h w_h E[Y(t_h) | x, t_x, T]``.

        F&H note eq. 41 factorises as ``P(alive) (r+x)(beta+T)/(alpha+T) g(T, t)`` with
        ``g = (1 - ((beta+T)/(beta+T+t))^(s-1))/(s-1)``, so the sum is
        ``P(alive) (r+x)(beta+T)/(alpha+T) sum_h w_h g(T, t_h)``; the last factor is computed once
        per distinct ``T``. With the discount weights of :func:`clientele.clv.score_customers` it
        is the discounted expected purchases of Fader, Hardie & Lee (2005), "RFM and CLV", section 4.

        Parameters
        ----------
        horizons
            Horizons ``t_h >= 0``, shape ``(H,)``.
        weights
            ``w_h >= 0``, shape ``(H,)``, or ``(K, H)`` for ``K`` sums at once.
        frequency, recency, T
            The customers' histories (or an RFM DataFrame as the first argument).
        given_alive
            Leave out ``P(alive)``: the sums for customers known to be alive at ``T``.

        Returns
        -------
        ndarray
            Shape ``(n_customers,)`` (or ``(n_customers, K)``).
        """
        r, alpha, s, beta = self._params()
        x, t_x, age = self._history(frequency, recency, T)
        horizons = _horizon(horizons, "horizons").ravel()
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim not in (1, 2) or w.shape[-1] != len(horizons) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ModelInputError(
                f"weights must be finite, non-negative and of shape ({len(horizons)},) or (K, {len(horizons)}); "
                f"got shape {w.shape}"
            )
        t_codes, ages = pd.factorize(age)
        ages = np.asarray(ages, dtype=np.float64)[:, None]
        growth = _expm1_ratio(s - 1.0, np.log1p(horizons / (beta + ages)))  # (distinct T, H)
        factor = (r + x) * (beta + age) / (alpha + age)
        if not given_alive:
            factor *= self.p_alive(x, t_x, age)
        if w.ndim == 1:
            return (growth @ w)[t_codes] * factor
        sums = growth @ w.T  # (distinct T, K)
        out = np.empty((len(x), len(w)), order="F")  # columns contiguous
        for j, column in enumerate(sums.T):
            np.multiply(column[t_codes], factor, out=out[:, j])
        return out

    def expected_purchases_new(self, t: Any) -> np.ndarray:
        """Expected purchases of a new customer in ``(0, t]`` (F&H note eq. 27).

        ``E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]``.
        """
        r, alpha, s, beta = self._params()
        t = _horizon(t, "t")
        return r * beta / alpha * _expm1_ratio(s - 1.0, np.log1p(t / beta))

    def p_purchases(self, n: Any, t: Any) -> np.ndarray:
        """Probability that a new customer makes exactly ``n`` purchases in ``(0, t]``.

        Fader & Hardie, "Deriving an Expression for P(X(t)=x) Under the Pareto/NBD Model"
        (brucehardie.com note 012) split ``P(X(t) = n)`` into the customer being alive at ``t``
        with ``n`` purchases, and dying at ``tau < t`` after ``n`` purchases in ``(0, tau]``;
        integrating ``lambda`` and ``mu`` out of each part gives

        ``P = Gamma(r+n) alpha^r / (Gamma(r) n!) [ t^n (alpha+t)^-(r+n) (beta/(beta+t))^s
        + s beta^s int_0^t tau^n (alpha+tau)^-(r+n) (beta+tau)^-(s+1) dtau ]``.

        The note writes the integral with :math:`{}_2F_1`; here it is computed by concave
        quadrature in ``log tau``, which cannot overflow.
        """
        r, alpha, s, beta = self._params()
        n, t = _horizon(n, "n"), _horizon(t, "t")
        if np.any(n != np.round(n)):
            raise ModelInputError(f"n must be whole numbers >= 0, got {n[n != np.round(n)].flat[0]:g}")
        try:
            n, t = np.broadcast_arrays(n, t)
        except ValueError:
            raise ModelInputError(f"n and t have shapes {n.shape} and {t.shape} that do not broadcast") from None
        shape = n.shape
        n, t = n.ravel(), t.ravel()
        out = np.where(n == 0, 1.0, 0.0)
        pos = np.flatnonzero(t > 0)
        if pos.size:
            nn, tt = n[pos], t[pos]
            k = len(pos)
            _, log_w = concave_quadrature(
                nn + 1.0,
                np.column_stack([r + nn, np.full(k, s + 1.0)]),
                np.column_stack([np.full(k, alpha), np.full(k, beta)]),
                np.full(k, -np.inf),
                np.log(tt),
            )
            log_alive = nn * np.log(tt) - (r + nn) * np.log(alpha + tt) + s * (np.log(beta) - np.log(beta + tt))
            log_dead = np.log(s) + s * np.log(beta) + logsumexp(log_w, axis=1)
            front = gammaln(r + nn) - gammaln(r) - gammaln(nn + 1.0) + r * np.log(alpha)
            out[pos] = np.exp(front + np.logaddexp(log_alive, log_dead))
        return np.clip(out, 0.0, 1.0).reshape(shape)

    # ------------------------------------------------------------------ simulation
    def sample(self, n_customers: int, T: Any, seed: int | None = None) -> pd.DataFrame:
        """Simulate ``n_customers`` customers observed for ``T`` from the fitted parameters."""
        self._check_fitted()
        return self.simulate(self.params_, n_customers, T, seed)

    @staticmethod
    def simulate(params: dict, n_customers: int, T: Any, seed: int | None = None) -> pd.DataFrame:
        """Draw RFM summaries from the Pareto/NBD process with ``params`` (r, alpha, s, beta).

        Each customer draws ``lambda ~ Gamma(r, alpha)``, ``mu ~ Gamma(s, beta)`` and a lifetime
        ``~ Exp(mu)``; purchases are Poisson on ``(0, min(lifetime, T)]``; the last of ``x``
        uniform purchase times is ``window * U^(1/x)``.
        """
        if int(n_customers) != n_customers or n_customers < 1:
            raise ModelInputError(f"n_customers must be a positive whole number, got {n_customers!r}")
        n_customers = int(n_customers)
        try:
            age = np.broadcast_to(np.asarray(T, dtype=np.float64), (n_customers,)).copy()
        except (TypeError, ValueError):
            raise ModelInputError(f"T must be a number or one number per customer ({n_customers}), got {T!r}") from None
        if not np.all(np.isfinite(age)) or np.any(age < 0):
            raise ModelInputError("T must be finite and non-negative (a scalar or one value per customer)")
        r, alpha, s, beta = (float(params[k]) for k in ("r", "alpha", "s", "beta"))
        rng = np.random.default_rng(seed)
        lam = rng.gamma(r, 1.0 / alpha, n_customers)
        mu = rng.gamma(s, 1.0 / beta, n_customers)
        with np.errstate(divide="ignore"):
            lifetime = rng.exponential(1.0, n_customers) / mu
        window = np.minimum(lifetime, age)
        x = rng.poisson(lam * window).astype(np.float64)
        u = rng.random(n_customers)
        with np.errstate(divide="ignore"):
            recency = np.where(x > 0, window * np.exp(np.log(u) / np.maximum(x, 1.0)), 0.0)
        return pd.DataFrame({"frequency": x, "recency": recency, "T": age})
