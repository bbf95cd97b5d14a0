"""The Gamma-Gamma model of monetary value (Fader, Hardie & Lee 2005, "RFM and CLV: using
iso-value curves for customer base analysis"; Fader & Hardie 2013, "The Gamma-Gamma model of
monetary value").

A customer's transaction values are gamma distributed with shape ``p`` and rate ``nu``;
``nu ~ Gamma(q, gamma)`` across customers. Only the mean ``zbar`` of a customer's ``x`` repeat
transactions enters, and the spend process is assumed independent of the purchase process.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from clientele.errors import ModelInputError
from clientele.models.base import CustomerBaseModel, as_float_array, columns_from, time_unit_of, vdot


class GammaGamma(CustomerBaseModel):
    """Gamma-Gamma spend model: parameters ``p``, ``q``, ``gamma``.

    Parameters
    ----------
    penalizer_coef
        L2 penalty on the parameters (0 = maximum likelihood).
    initial_params
        Optional starting point, a dict with keys ``p, q, gamma``.

    Examples
    --------
    >>> import numpy as np
    >>> from clientele.models import GammaGamma
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(1, 10, 5000)
    >>> nu = rng.gamma(4.0, 1 / 20.0, 5000)
    >>> zbar = rng.gamma(6.0 * x, 1 / (nu * x))
    >>> round(GammaGamma().fit(x, zbar).params_["p"])
    6
    """

    param_names = ("p", "q", "gamma")
    data_names = ("frequency", "monetary_value")

    def fit(self, frequency: Any, monetary_value: Any = None, weights: Any = None) -> GammaGamma:
        """Fit by maximum likelihood on the customers with repeat purchases.

        Rows with ``frequency == 0`` carry no spend information and are left out (the RFM
        summary gives them ``monetary_value`` 0).

        Parameters
        ----------
        frequency, monetary_value
            Repeat purchases ``x`` and mean repeat-transaction value ``zbar`` (arrays or
            Series), or an RFM DataFrame with these columns as the first argument.
        weights
            Optional number of customers per row.
        """
        x, m = self._inputs(frequency, monetary_value)
        w = np.ones(len(x)) if weights is None else as_float_array(weights, "weights")
        if len(w) != len(x):
            raise ModelInputError(f"weights has {len(w)} rows, the data {len(x)}")
        keep = x > 0
        if not np.any(keep):
            raise ModelInputError(
                "no customer has a repeat purchase (every frequency is 0): the Gamma-Gamma model "
                "needs customers with repeat transactions"
            )
        bad = keep & (m <= 0)
        if np.any(bad):
            row = int(np.flatnonzero(bad)[0])
            raise ModelInputError(
                f"monetary_value must be positive for customers with repeat purchases: row {row} has "
                f"frequency={x[row]:g}, monetary_value={m[row]:g}"
            )
        return self._fit({"frequency": x[keep], "monetary_value": m[keep]}, w[keep], time_unit=time_unit_of(frequency))

    def _inputs(self, frequency, monetary_value):
        cols = columns_from(frequency, self.data_names, (monetary_value,))
        x, m = (as_float_array(c, n) for c, n in zip(cols, self.data_names))
        try:
            x, m = np.broadcast_arrays(x, m)
        except ValueError:
            raise ModelInputError(f"frequency and monetary_value differ in length ({len(x)}, {len(m)})") from None
        for bad, rule in (
            ((x < 0) | (x != np.floor(x)), "frequency must be a whole number >= 0"),
            (m < 0, "monetary_value must be non-negative"),
        ):
            if np.any(bad):
                row = int(np.flatnonzero(bad)[0])
                raise ModelInputError(f"{rule}: row {row} has frequency={x[row]:g}, monetary_value={m[row]:g}")
        return x, m

    def _check_data(self, data, weights) -> None:
        used = weights > 0
        if not any(np.any(v[used] != v[used][0]) for v in data.values()):
            raise ModelInputError(
                "all customers have the same (frequency, monetary_value): three parameters cannot be "
                "estimated from one history; fit on customers with varied spend"
            )

    def _default_start(self, data, weights) -> np.ndarray:
        mean_m = float(np.average(data["monetary_value"], weights=weights))
        return np.array([1.0, 2.0, max(mean_m, 1e-6)])

    def _log_likelihood(self, params, data) -> np.ndarray:
        """Log density of ``zbar`` given ``x`` (Fader & Hardie 2013, the marginal of ``zbar``)::

            f(zbar | x) = Gamma(px+q) / (Gamma(px) Gamma(q)) gamma^q zbar^(px-1) x^(px)
                          / (gamma + x zbar)^(px+q)
        """
        p, q, g = (float(v) for v in params)
        x, m = data["frequency"], data["monetary_value"]
        px = p * x
        return (
            gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
            + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * np.log(g + x * m)
        )

    def _gradient(self, params, data) -> np.ndarray:
        """Derivatives of :meth:`_log_likelihood` in ``(p, q, gamma)``."""
        p, q, g = (float(v) for v in params)
        x, m = data["frequency"], data["monetary_value"]
        px = p * x
        log_gm = np.log(g + x * m)
        psi = digamma(px + q)
        grad = np.empty((len(x), 3))
        grad[:, 0] = x * (psi - digamma(px) + np.log(m) + np.log(x) - log_gm)
        grad[:, 1] = psi - digamma(q) + np.log(g) - log_gm
        grad[:, 2] = q / g - (px + q) / (g + x * m)
        return grad

    def _prepare(self, data):
        codes, uniques = pd.factorize(data["frequency"])
        return {**data, "_x_code": codes, "_x_values": np.asarray(uniques, dtype=np.float64),
                "_log_m": np.log(data["monetary_value"])}

    def _weighted_log_likelihood_and_gradient(self, params, data, weights):
        """Weighted sums of :meth:`_log_likelihood` and :meth:`_gradient`.

        The gamma functions depend on ``x`` alone and are summed per distinct ``x``; the only
        per-row work is ``log(gamma + x zbar)`` and its reciprocal.
        """
        if "_x_code" not in data:
            return super()._weighted_log_likelihood_and_gradient(params, data, weights)
        agg = data.get("_agg")
        if agg is None or agg[0] is not weights:
            x, log_m = data["frequency"], data["_log_m"]
            wx = weights * x
            agg = data["_agg"] = (weights, np.bincount(data["_x_code"], weights, len(data["_x_values"])),
                                  wx, float(weights.sum()), vdot(wx, log_m), vdot(weights, log_m))
        _, w_x, wx, w_all, wx_logm, w_logm = agg
        p, q, g = (float(v) for v in params)
        xv = data["_x_values"]
        pxv = p * xv
        lin = g + data["frequency"] * data["monetary_value"]
        log_lin, inv_lin = np.log(lin), 1.0 / lin
        s_log, sx_log = vdot(weights, log_lin), vdot(wx, log_lin)
        s_inv, sx_inv = vdot(weights, inv_lin), vdot(wx, inv_lin)
        psi = digamma(pxv + q)
        ll = (vdot(w_x, gammaln(pxv + q) - gammaln(pxv) + pxv * np.log(xv)) + w_all * (q * np.log(g) - gammaln(q))
              + p * wx_logm - w_logm - p * sx_log - q * s_log)
        grad = np.array([
            vdot(w_x, xv * (psi - digamma(pxv) + np.log(xv))) + wx_logm - sx_log,
            vdot(w_x, psi) - w_all * digamma(q) + w_all * np.log(g) - s_log,
            w_all * q / g - p * sx_inv - q * s_inv,
        ])
        return float(ll), grad

    def expected_spend(self, frequency: Any, monetary_value: Any = None) -> np.ndarray:
        """Expected mean transaction value given ``x`` and ``zbar`` (FHL 2005 "RFM and CLV", eq. 3).

        ``E[M | x, zbar] = p (gamma + x zbar) / (p x + q - 1)``, a weighted mean of the
        population mean ``p gamma / (q - 1)`` and the customer's ``zbar``; for ``x = 0`` it is
        the population mean.

        Raises
        ------
        ModelInputError
            Where ``p x + q <= 1``: the expected spend is infinite (a heavy-tailed fit).
        """
        x, m = self._inputs(frequency, monetary_value)
        p, q, g = self._params()
        denom = p * x + q - 1.0
        if np.any(denom <= 0):
            row = int(np.flatnonzero(denom <= 0)[0])
            raise ModelInputError(
                f"the expected spend is infinite where p*frequency + q <= 1 (q={q:.4g}): row {row} has "
                f"frequency={x[row]:g}; the fitted spend distribution is too heavy-tailed for a mean"
            )
        return p * (g + x * m) / denom
