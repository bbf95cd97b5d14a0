"""Shared fitting machinery of the customer-base models.

A model file declares its parameter names, a starting point, the per-row log-likelihood and
(where it pays) its analytic gradient; :class:`CustomerBaseModel` owns the rest, after the
design of lifelines' fitters and scikit-learn's estimator contract:

* ``__init__`` stores hyperparameters only; ``fit`` validates, sets attributes ending in ``_``
  and returns ``self``; predictions before ``fit`` raise :class:`~clientele.errors.NotFittedError`.
* identical data rows are compressed into weights before the likelihood is evaluated, so the
  optimiser's cost grows with the number of *distinct* histories, not customers;
* all parameters are positive and optimised on the log scale (L-BFGS-B with the analytic
  gradient mapped by the chain rule ``d/d(log p) = p * d/dp``); a large data set is first fitted
  on a subsample, whose estimate and Hessian start a few Newton-type steps on the full data;
* standard errors come from the observed information (the Hessian of the total log-likelihood:
  the model's analytic one, or forward differences of the analytic gradient at the optimum);
* ``summary()``, ``__repr__`` and JSON ``save``/``load`` (no pickle).
"""

from __future__ import annotations

import json
import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import optimize

from clientele.errors import ConvergenceError, ModelInputError, NotFittedError
from clientele.models._blocks import submit
from clientele.models._inputs import as_float_array, compress, vdot, weighted_draw

# Log-scale box for every parameter: exp(-30) ~ 1e-13 and exp(30) ~ 1e13. An optimum on this
# box means the data cannot identify the parameter and is reported as a convergence failure.
LOG_PARAM_BOUND = 30.0
Z_95 = 1.959963984540054
#: largest gradient of the mean log-likelihood (log-scale parameters) accepted as an optimum
GRADIENT_TOLERANCE = 1e-7
#: fits with more distinct rows than this start from the estimate on a subsample (see ``_warm_start``)
WARM_START_ROWS = 200_000
#: customers in that subsample, and its seed
WARM_START_SAMPLE = 50_000
WARM_START_SEED = 20_050_101
#: L-BFGS-B's ``gtol`` on that subsample: its estimate is only a starting point, a sampling
#: error (gradient ~1e-2 on the full data) away from the full data's optimum, so converging it
#: further (where L-BFGS-B's line search often stalls on rounding) would buy nothing
WARM_START_GTOL = 1e-5
#: the polish after a warm start stops once the gradient (as for :data:`GRADIENT_TOLERANCE`) is
#: below this, L-BFGS-B's own ``gtol``
POLISH_TOLERANCE = 1e-9
#: quasi-Newton steps the polish may take before it hands over to L-BFGS-B
POLISH_STEPS = 12
#: the polish measures the full data's Hessian for its last Newton steps (and the standard
#: errors) once the gradient is below this
POLISH_REFINE = 1e-6
#: step of the forward differences of the gradient that give the Hessian, relative to ``max(1, |log p|)``
HESSIAN_STEP = 1e-6

_REGISTRY: dict[str, type[CustomerBaseModel]] = {}


class CustomerBaseModel(ABC):
    """Base class: maximum-likelihood fitting of a model with positive parameters.

    Subclasses set ``param_names`` and implement :meth:`_default_start`,
    :meth:`_log_likelihood` and, optionally, :meth:`_gradient`. Their public ``fit`` validates
    their own inputs and calls :meth:`_fit` with a mapping of named data columns.

    Parameters
    ----------
    penalizer_coef
        L2 penalty ``penalizer_coef * sum(params**2)`` added to the negative mean
        log-likelihood (as in lifetimes), to stabilise fits on small or degenerate data.
        0 gives the maximum-likelihood estimate of the papers.
    initial_params
        Optional starting point (dict of parameter -> positive value).
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    data_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, penalizer_coef: float = 0.0, initial_params: Mapping[str, float] | None = None):
        self.penalizer_coef = penalizer_coef
        self.initial_params = initial_params

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.param_names:
            _REGISTRY[cls.__name__] = cls

    # ------------------------------------------------------------------ model declaration
    def _default_start(self, data: Mapping[str, np.ndarray], weights: np.ndarray) -> np.ndarray:
        """A data-driven starting point (natural scale)."""
        return np.ones(len(self.param_names))

    @abstractmethod
    def _log_likelihood(self, params: np.ndarray, data: Mapping[str, np.ndarray]) -> np.ndarray:
        """Per-row log-likelihood at ``params`` (natural scale)."""

    def _gradient(self, params: np.ndarray, data: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """Per-row gradient of :meth:`_log_likelihood`, shape ``(n_rows, n_params)``; ``None`` = numerical."""
        return None

    def _check_data(self, data: Mapping[str, np.ndarray], weights: np.ndarray) -> None:
        """Raise :class:`ModelInputError` when the data cannot identify the model."""

    def _compress(self, data: dict[str, np.ndarray], weights: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
        """The rows the likelihood is evaluated on, their weights, and the number of distinct rows.

        The default collapses identical rows (:func:`compress`). A model whose per-row
        likelihood costs less than the hashing may keep the rows as they are, but must still
        count the distinct ones (``n_distinct_``; the count may be a ``Future`` of it).
        """
        compressed, summed = compress(data, weights)
        return compressed, summed, len(summed)

    def _rows_to_fit(self, data: dict[str, np.ndarray], weights: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
        """:meth:`_compress`, then :meth:`_prepare`: the rows, their weights, the number of distinct rows."""
        compressed, summed, n_distinct = self._compress(data, weights)
        return self._prepare(compressed), summed, n_distinct

    def _prepare(self, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Add data-only bookkeeping (e.g. codes of distinct values) to the compressed data.

        Called once per fit, after compression; the returned mapping is what the likelihood
        receives. The default adds nothing.
        """
        return data

    def _log_likelihood_and_gradient(self, params: np.ndarray, data: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-row log-likelihood and gradient in one pass (override to share intermediate work)."""
        return self._log_likelihood(params, data), self._gradient(params, data)

    def _weighted_log_likelihood_hessian(
        self, params: np.ndarray, data: Mapping[str, np.ndarray], weights: np.ndarray
    ) -> np.ndarray | None:
        """Hessian (natural scale) of the total weighted log-likelihood, ``(n_params, n_params)``.

        ``None`` (the default) = obtained by differentiating the analytic gradient numerically.
        """
        return None

    def _weighted_log_likelihood_and_gradient(
        self, params: np.ndarray, data: Mapping[str, np.ndarray], weights: np.ndarray
    ) -> tuple[float, np.ndarray | None]:
        """Total weighted log-likelihood and its gradient (natural scale), what the optimiser needs.

        The default sums the per-row values; a model may override it to aggregate terms that
        depend on few distinct values (e.g. ``x`` alone) before summing.
        """
        ll, grad = self._log_likelihood_and_gradient(params, data)
        return vdot(weights, ll), (None if grad is None else weights @ grad)

    # ------------------------------------------------------------------ fitting
    def _fit(self, data: Mapping[str, Any], weights: Any = None, *, time_unit: str | None = None):
        arrays = {name: as_float_array(data[name], name) for name in self.data_names}
        n = len(next(iter(arrays.values())))
        if any(len(a) != n for a in arrays.values()):
            sizes = {k: len(v) for k, v in arrays.items()}
            raise ModelInputError(f"inputs differ in length: {sizes}")
        if n == 0:
            raise ModelInputError("no customers to fit: the inputs are empty")
        w = np.ones(n) if weights is None else as_float_array(weights, "weights")
        if len(w) != n:
            raise ModelInputError(f"weights has {len(w)} rows, the data {n}")
        if np.any(w < 0) or w.sum() <= 0:
            raise ModelInputError("weights must be non-negative and not all zero")
        self._check_data(arrays, w)
        hessian = None
        if self.initial_params is None and n > WARM_START_ROWS:
            # the rows are collapsed on a second core while the warm start fits a subsample;
            # its result is used when the collapsed data are still large enough to need it
            start = self._starting_point(arrays, w)
            pending = submit(self._rows_to_fit, arrays, w)
            try:
                warm = self._warm_start(arrays, w, start)
            finally:
                compressed, cw, n_distinct = pending.result()
            if len(cw) > WARM_START_ROWS:
                start, hessian = warm
        else:
            compressed, cw, n_distinct = self._rows_to_fit(arrays, w)
            start = self._starting_point(compressed, cw)
        # the subsample's Hessian lets _optimise polish the warm start with Newton-type steps
        with self._optimise_hints(polish=None if hessian is None else (start, hessian)):
            result = self._optimise(compressed, cw, start)
        objective = result.get("objective") or self._objective(compressed, cw)
        params = np.exp(result.x)
        self.params_ = dict(zip(self.param_names, (float(p) for p in params)))
        ll_total = objective.evaluate(result.x)[2]  # computed by the optimiser's last step
        if not np.isfinite(ll_total):
            ll_total = vdot(cw, self._log_likelihood(params, compressed))
        self.log_likelihood_ = float(ll_total)
        measured = result.get("information")  # (point, information) from the polish
        self.covariance_ = self._covariance(result.x, compressed, cw, objective, None if measured is None else measured[1])
        se = np.sqrt(np.clip(np.diag(self.covariance_), 0.0, None))
        self.standard_errors_ = dict(zip(self.param_names, (float(s) for s in se)))
        self.n_customers_ = float(w.sum())
        # a model may count its distinct rows on the pool meanwhile (a future of the count)
        self.n_distinct_ = int(n_distinct.result() if isinstance(n_distinct, Future) else n_distinct)
        self.time_unit_ = time_unit
        self.data_summary_ = {
            "n_customers": self.n_customers_,
            "n_distinct_rows": self.n_distinct_,
            **{f"mean_{k}": float(np.average(v, weights=w)) for k, v in arrays.items()},
            **{f"max_{k}": float(v.max()) for k, v in arrays.items()},
        }
        return self

    def _warm_start(self, arrays: Mapping[str, np.ndarray], weights: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The estimate on a random subsample of customers, as the full fit's starting point,
        and the Hessian of the subsample's objective there.

        On a large data set most of the optimiser's steps are spent getting near the optimum;
        taking them on :data:`WARM_START_SAMPLE` customers first (a fixed seed, so fits stay
        reproducible) leaves the full data a few steps of polish. The subsample is drawn with
        replacement in proportion to the weights, so its mean log-likelihood, and the Hessian
        of it, estimate the full data's: the polish takes quasi-Newton steps with that Hessian
        (see :meth:`_polish`). The result is the full-data optimum all the same: only the path
        to it changes. Falls back to ``(start, None)`` when the subsample cannot be fitted (e.g.
        it happens to hold no repeat buyer).
        """
        rows = weighted_draw(weights, WARM_START_SAMPLE, WARM_START_SEED)
        sub = {name: column[rows] for name, column in arrays.items()}
        try:
            self._check_data(sub, np.ones(len(rows)))
            compressed, cw, _ = self._compress(sub, np.ones(len(rows)))
            compressed = self._prepare(compressed)
            with self._optimise_hints(gtol=WARM_START_GTOL):
                result = self._optimise(compressed, cw, start)
        except (ConvergenceError, ModelInputError):
            return start, None
        objective = result.get("objective") or self._objective(compressed, cw)
        hessian = self._information(objective, result.x) / objective.total
        return result.x, (hessian if np.all(np.isfinite(hessian)) else None)

    @contextmanager
    def _optimise_hints(self, **hints: Any):
        """Pass hints to :meth:`_optimise` (which subclasses extend with its signature unchanged)
        for the duration of one call: ``polish=(start, hessian)`` from a warm start,
        ``gtol=`` for L-BFGS-B."""
        self._hints = hints
        try:
            yield
        finally:
            self.__dict__.pop("_hints", None)

    def _starting_point(self, data: Mapping[str, np.ndarray], weights: np.ndarray) -> np.ndarray:
        if self.initial_params is not None:
            missing = set(self.param_names) - set(self.initial_params)
            if missing:
                raise ModelInputError(f"initial_params lacks {sorted(missing)}")
            start = np.array([float(self.initial_params[p]) for p in self.param_names])
            if not np.all(np.isfinite(start)) or np.any(start <= 0):
                raise ModelInputError(f"initial_params must be positive and finite, got {dict(self.initial_params)}")
        else:
            start = np.asarray(self._default_start(data, weights), dtype=np.float64)
        return np.log(start)

    def _objective(self, data: Mapping[str, np.ndarray], weights: np.ndarray) -> _Objective:
        return _Objective(self, data, weights)

    def _optimise(self, data, weights, start: np.ndarray):
        f = self._objective(data, weights)
        value0, _ = f(start)
        if value0 >= 1e300:
            raise ConvergenceError(
                f"{type(self).__name__}: the log-likelihood is not finite at the starting point "
                f"{dict(zip(self.param_names, np.exp(start).round(6)))}; pass other initial_params"
            )
        bounds = [(-LOG_PARAM_BOUND, LOG_PARAM_BOUND)] * len(start)
        best = None
        hints = self.__dict__.get("_hints", {})
        polish = hints.get("polish")
        origin = start
        if polish is not None and np.array_equal(polish[0], start):
            best, origin = self._polish(f, start, polish[1])
        if best is None:
            starts = [origin, start + 1.0, start - 1.0, np.zeros_like(start)]
            for s in starts:
                res = optimize.minimize(f, s, jac=True, method="L-BFGS-B", bounds=bounds,
                                        options={"maxiter": 2000, "ftol": 1e-14, "gtol": hints.get("gtol", 1e-9)})
                if best is None or res.fun < best.fun:
                    best = res
                # L-BFGS-B often ends "ABNORMAL" when the line search cannot improve on rounding
                # noise at the optimum; a vanishing gradient there is convergence all the same
                stationary = res.success or bool(np.max(np.abs(res.jac)) < GRADIENT_TOLERANCE)
                if stationary and np.all(np.abs(res.x) < LOG_PARAM_BOUND - 1e-3):
                    break
        assert best is not None
        best["objective"] = f
        at_bound = [p for p, x in zip(self.param_names, best.x) if abs(x) >= LOG_PARAM_BOUND - 1e-3]
        if at_bound:
            raise ConvergenceError(
                f"{type(self).__name__}: parameter(s) {', '.join(at_bound)} ran to the edge of the "
                f"parameter space ({dict(zip(self.param_names, np.exp(best.x)))}): the data cannot "
                "identify them. Check that the data has repeat purchases and varied histories, or "
                "try penalizer_coef=0.001."
            )
        if not best.success and (best.fun >= 1e300 or np.max(np.abs(best.jac)) > 1e-3):
            raise ConvergenceError(
                f"{type(self).__name__}: the optimiser failed ({best.message}); try other "
                "initial_params or penalizer_coef=0.001"
            )
        return best

    def _polish(self, f: _Objective, start: np.ndarray, hessian: np.ndarray) -> tuple[optimize.OptimizeResult | None, np.ndarray]:
        """Newton-type steps from a warm start, beginning with the subsample's Hessian.

        The subsample's mean objective has about the full data's curvature, so quasi-Newton
        steps with its Hessian (BFGS-updated with the full data's gradients as they come)
        converge in a few evaluations where L-BFGS-B, which must learn the curvature, takes a
        dozen or more. Once the largest gradient is below :data:`POLISH_REFINE`, the full data's
        Hessian is measured (:meth:`_information`: analytic, or ``k`` more gradients) for the
        last steps, which then converge quadratically; the result keeps that information for the
        standard errors (it is taken a step of ~1e-7 or less from the optimum, which moves them
        by less than the differences' own error).

        The polish stops when the largest gradient is below :data:`POLISH_TOLERANCE` (L-BFGS-B's
        ``gtol``, stricter than :data:`GRADIENT_TOLERANCE`). A step is taken if it lowers the
        objective beyond rounding, or if it does not raise it beyond rounding and shrinks the
        largest gradient; a step that does neither (after two halvings), one that leaves the
        box, or too many steps end the polish: the result is then ``None`` with the best point
        reached, from which L-BFGS-B takes over.
        """
        x = np.asarray(start, dtype=np.float64)
        fx, gx = f(x)
        try:
            np.linalg.cholesky(hessian)
        except np.linalg.LinAlgError:
            return None, x
        B = np.array(hessian, dtype=np.float64)
        measured = None  # (point, information) of the full data's Hessian, once measured
        for step_count in range(POLISH_STEPS + 1):
            gmax = float(np.max(np.abs(gx)))
            if gmax <= POLISH_TOLERANCE:
                result = optimize.OptimizeResult(
                    x=x, fun=fx, jac=gx, success=True, status=0, nit=step_count,
                    message="polished with Newton-type steps from the warm start",
                )
                if measured is not None:
                    result["information"] = measured
                return result, x
            if step_count == POLISH_STEPS or fx >= 1e300:
                break
            if measured is None and gmax <= POLISH_REFINE:
                measured = (x.copy(), self._information(f, x))
                B = measured[1] / f.total
            try:
                step = -np.linalg.solve(B, gx)
            except np.linalg.LinAlgError:
                break
            slack = 1e-12 * max(1.0, abs(fx))
            for _ in range(3):
                x_new = x + step
                if not np.all(np.isfinite(x_new)) or np.any(np.abs(x_new) >= LOG_PARAM_BOUND - 1e-3):
                    return None, x
                f_new, g_new = f(x_new)
                if f_new < fx - slack or (f_new <= fx + slack and np.max(np.abs(g_new)) < gmax):
                    break
                step = step / 2
            else:
                return None, (x_new if f_new < fx else x)
            s_k, y_k = x_new - x, g_new - gx
            sy = float(s_k @ y_k)
            if sy > 0:
                Bs = B @ s_k
                B = B - np.outer(Bs, Bs) / float(s_k @ Bs) + np.outer(y_k, y_k) / sy
            x, fx, gx = x_new, f_new, g_new
        return None, x

    def _analytic_information(self, objective: _Objective, log_params: np.ndarray) -> np.ndarray | None:
        """:meth:`_information` from the model's analytic Hessian; ``None`` if it has none."""
        p = np.exp(log_params)
        with np.errstate(all="ignore"):
            analytic = self._weighted_log_likelihood_hessian(p, objective.data, objective.weights)
        grad0 = objective.evaluate(log_params)[3]
        if analytic is None or grad0 is None:
            return None
        hessian = np.asarray(analytic, dtype=np.float64) * np.outer(p, p) + np.diag(grad0 * p)
        hessian = (hessian + hessian.T) / 2
        if self.penalizer_coef:
            hessian -= np.diag(4 * self.penalizer_coef * objective.total * p**2)
        return -hessian

    def _information(self, objective: _Objective, log_params: np.ndarray) -> np.ndarray:
        """Observed information on the log scale: minus the Hessian of the (penalised) total
        log-likelihood at ``log_params``.

        From the model's analytic Hessian where it has one; otherwise by forward differences of
        the analytic gradient (``k`` gradients: the one at ``log_params`` is known from the
        optimiser), or central differences of a numerical gradient. With steps of
        :data:`HESSIAN_STEP` the forward differences' standard errors agree with central
        differences' to about 1e-5 (relative) on CDNOW and on a million customers.
        """
        information = self._analytic_information(objective, log_params)
        if information is not None:
            return information
        k = len(log_params)
        p = np.exp(log_params)
        data, weights = objective.data, objective.weights
        grad0 = objective.evaluate(log_params)[3]
        if grad0 is not None:
            hessian = np.empty((k, k))
            base = grad0 * p
            for i in range(k):
                h = HESSIAN_STEP * max(1.0, abs(log_params[i]))
                step = np.zeros(k)
                step[i] = h
                lp = log_params + step
                hessian[:, i] = (objective.evaluate(lp)[3] * np.exp(lp) - base) / h
        else:
            def total_grad(lp: np.ndarray) -> np.ndarray:
                with np.errstate(all="ignore"):
                    return optimize.approx_fprime(lp, lambda z: float(np.dot(weights, self._log_likelihood(np.exp(z), data))), 1e-6)

            hessian = np.empty((k, k))
            for i in range(k):
                h = 1e-5 * max(1.0, abs(log_params[i]))
                step = np.zeros(k)
                step[i] = h
                hessian[:, i] = (total_grad(log_params + step) - total_grad(log_params - step)) / (2 * h)
        hessian = (hessian + hessian.T) / 2
        if self.penalizer_coef:
            hessian -= np.diag(4 * self.penalizer_coef * objective.total * p**2)
        return -hessian

    def _covariance(self, log_params: np.ndarray, data, weights, objective: _Objective | None = None,
                    information: np.ndarray | None = None) -> np.ndarray:
        """Covariance of the estimates from the observed information (natural scale).

        The Hessian is taken on the log scale, where it is well conditioned (see
        :meth:`_information`; ``information`` if given, e.g. measured by the polish's last
        Newton step a hair from ``log_params``); at the optimum the log-scale covariance maps
        to the natural scale as ``diag(p) C diag(p)`` (delta method).
        """
        k = len(log_params)
        if information is None:
            information = self._information(objective or self._objective(data, weights), log_params)
        try:
            cov_log = np.linalg.inv(information)
        except np.linalg.LinAlgError:
            warnings.warn(f"{type(self).__name__}: the information matrix is singular; standard errors are NaN", stacklevel=3)
            return np.full((k, k), np.nan)
        scale = np.exp(log_params)
        return cov_log * np.outer(scale, scale)

    # ------------------------------------------------------------------ fitted state
    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "params_")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call fit(...) before using it."
            )

    def _params(self) -> tuple[float, ...]:
        self._check_fitted()
        return tuple(self.params_[p] for p in self.param_names)

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals.

        The intervals are Wald intervals on the log scale, ``exp(log p +- 1.96 se/p)``, which
        keep positive parameters positive.
        """
        self._check_fitted()
        rows = []
        for name in self.param_names:
            est, se = self.params_[name], self.standard_errors_[name]
            half = Z_95 * se / est if est > 0 else math.nan
            rows.append({
                "parameter": name,
                "estimate": est,
                "std_error": se,
                "lower_95": est * math.exp(-half) if math.isfinite(half) else math.nan,
                "upper_95": est * math.exp(half) if math.isfinite(half) else math.nan,
            })
        return pd.DataFrame(rows).set_index("parameter")

    def __repr__(self) -> str:
        name = type(self).__name__
        if not self.is_fitted:
            hyper = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{name}({hyper})"
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{name}({params}; fitted on {self.n_customers_:,.0f} customers, log-likelihood {self.log_likelihood_:,.2f})"

    def get_params(self) -> dict[str, Any]:
        """Hyperparameters, as scikit-learn's ``get_params``."""
        return {"penalizer_coef": self.penalizer_coef, "initial_params": self.initial_params}

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the fitted model."""
        self._check_fitted()
        from clientele import __version__

        return {
            "model": type(self).__name__,
            "clientele_version": __version__,
            "hyperparameters": self.get_params(),
            "params": self.params_,
            "standard_errors": self.standard_errors_,
            "covariance": np.asarray(self.covariance_).tolist(),
            "log_likelihood": self.log_likelihood_,
            "time_unit": self.time_unit_,
            "data_summary": self.data_summary_,
        }

    def save(self, path: str | Path) -> None:
        """Write the fitted model as plain JSON (no pickle)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, allow_nan=True))

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> CustomerBaseModel:
        """Rebuild a fitted model from :meth:`to_dict` output."""
        name = payload.get("model")
        target = _REGISTRY.get(name) if cls is CustomerBaseModel else cls
        if target is None or (cls is not CustomerBaseModel and name != cls.__name__):
            raise ModelInputError(f"not a saved {cls.__name__}: the file holds model {name!r}")
        model = target(**payload.get("hyperparameters", {}))
        model.params_ = {k: float(v) for k, v in payload["params"].items()}
        model.standard_errors_ = {k: float(v) for k, v in payload["standard_errors"].items()}
        model.covariance_ = np.asarray(payload["covariance"], dtype=np.float64)
        model.log_likelihood_ = float(payload["log_likelihood"])
        model.time_unit_ = payload.get("time_unit")
        model.data_summary_ = dict(payload.get("data_summary", {}))
        model.n_customers_ = float(model.data_summary_.get("n_customers", math.nan))
        model.n_distinct_ = int(model.data_summary_.get("n_distinct_rows", 0))
        return model

    @classmethod
    def load(cls, path: str | Path) -> CustomerBaseModel:
        """Read a model written by :meth:`save`."""
        try:
            payload = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelInputError(f"{path}: cannot read a saved model ({exc})") from None
        return cls.from_dict(payload)


class _Objective:
    """What the optimiser minimises: the negative mean weighted log-likelihood plus the penalty,
    as a function of the log-scale parameters, with its gradient.

    It remembers its last few evaluations, so re-evaluating a point is free: L-BFGS-B evaluates
    its starting point again, and the fit reads the log-likelihood and the gradient at the
    optimum (for the Hessian's differences), which the optimiser has already computed.
    """

    MEMORY = 8

    def __init__(self, model: CustomerBaseModel, data: Mapping[str, np.ndarray], weights: np.ndarray):
        self.model, self.data, self.weights = model, data, weights
        self.total = weights.sum()
        self.penalty = model.penalizer_coef
        self._memo: dict[bytes, tuple[float, np.ndarray, float, np.ndarray | None]] = {}

    def evaluate(self, log_params: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray | None]:
        """``(objective, its gradient, total log-likelihood, its gradient in the natural parameters)``.

        The objective is ``1e300`` (gradient 0) where the log-likelihood is not finite.
        """
        log_params = np.asarray(log_params, dtype=np.float64)
        key = log_params.tobytes()
        known = self._memo.get(key)
        if known is not None:
            return known
        model, data, weights, total, penalty = self.model, self.data, self.weights, self.total, self.penalty
        params = np.exp(log_params)
        with np.errstate(all="ignore"):
            ll_total, grad_total = model._weighted_log_likelihood_and_gradient(params, data, weights)
            value = -ll_total / total + penalty * np.sum(params**2)
        if grad_total is None:
            grad = optimize.approx_fprime(log_params, lambda lp: _value_only(model, lp, data, weights, total, penalty), 1e-7)
        else:
            grad = -grad_total / total * params + 2 * penalty * params**2
        if not np.isfinite(value):
            out = (1e300, np.zeros_like(log_params), float(ll_total), grad_total)
        else:
            out = (float(value), np.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0), float(ll_total), grad_total)
        if len(self._memo) >= self.MEMORY:
            del self._memo[next(iter(self._memo))]
        self._memo[key] = out
        return out

    def __call__(self, log_params: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = self.evaluate(log_params)[:2]
        return value, grad.copy()


def _value_only(model: CustomerBaseModel, log_params, data, weights, total, penalty) -> float:
    params = np.exp(log_params)
    with np.errstate(all="ignore"):
        value = -np.dot(weights, model._log_likelihood(params, data)) / total + penalty * np.sum(params**2)
    return float(value) if np.isfinite(value) else 1e300
