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
from scipy.special import digamma, gammaln, polygamma

from clientele.errors import ModelInputError
from clientele.models import base
from clientele.models._blocks import block_sums, row_blocks, submit
from clientele.models._inputs import as_float_array, columns_from, time_unit_of, vdot
from clientele.models.base import CustomerBaseModel


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
        for block in row_blocks(len(x)):  # blocks: the masks stay in cache, no page faults
            xb, mb = x[block], m[block]
            for bad, rule in (
                ((xb < 0) | (xb != np.floor(xb)), "frequency must be a whole number >= 0"),
                (mb < 0, "monetary_value must be non-negative"),
            ):
                if np.any(bad):
                    row = block.start + int(np.flatnonzero(bad)[0])
                    raise ModelInputError(f"{rule}: row {row} has frequency={x[row]:g}, monetary_value={m[row]:g}")
        return x, m

    def _check_data(self, data, weights) -> None:
        used = weights > 0
        first = int(np.argmax(used))
        if not any(np.any((v != v[first]) & used) for v in data.values()):
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

    def _compress(self, data, weights):
        """On large data (more than :data:`~clientele.models.base.WARM_START_ROWS` rows) the rows
        as they are: the likelihood's per-row work, one ``log`` and one reciprocal, costs less
        than hashing the spends, which are nearly all distinct. The distinct ``(x, zbar)`` rows
        are still counted (:func:`_count_distinct`, on the thread pool while the fit goes on).
        Smaller data are compressed as by the other models (cheap there, and their fits are
        unchanged).
        """
        x, m = data["frequency"], data["monetary_value"]
        if len(x) <= base.WARM_START_ROWS:
            return super()._compress(data, weights)
        codes, uniques = pd.factorize(x)
        if len(uniques) > np.iinfo(np.int16).max:  # not the few values of a purchase count
            return super()._compress(data, weights)
        rows = {"frequency": x, "monetary_value": m, "_x_code": codes, "_x_values": np.asarray(uniques, dtype=np.float64)}
        # the count is only reported, so it runs on the pool while the optimiser works
        return rows, weights, submit(_count_distinct, codes, len(uniques), m)

    def _prepare(self, data):
        if "_x_code" in data:
            codes, uniques = data["_x_code"], data["_x_values"]
        else:
            codes, uniques = pd.factorize(data["frequency"])
        return {**data, "_x_code": codes, "_x_values": np.asarray(uniques, dtype=np.float64),
                "_log_m": np.log(data["monetary_value"]), "_xm": data["frequency"] * data["monetary_value"]}

    def _aggregates(self, data, weights):
        """Weighted sums that depend on the data alone, computed once per data set and weights."""
        agg = data.get("_agg")
        if agg is None or agg[0] is not weights:
            x, log_m = data["frequency"], data["_log_m"]
            wx = weights * x
            agg = data["_agg"] = (weights, np.bincount(data["_x_code"], weights, len(data["_x_values"])),
                                  wx, float(weights.sum()), vdot(wx, log_m), vdot(weights, log_m))
        return agg

    def _weighted_log_likelihood_and_gradient(self, params, data, weights):
        """Weighted sums of :meth:`_log_likelihood` and :meth:`_gradient`.

        The gamma functions depend on ``x`` alone and are summed per distinct ``x``; the only
        per-row work is ``log(gamma + x zbar)`` and its reciprocal.
        """
        if "_x_code" not in data:
            return super()._weighted_log_likelihood_and_gradient(params, data, weights)
        _, w_x, wx, w_all, wx_logm, w_logm = self._aggregates(data, weights)
        p, q, g = (float(v) for v in params)
        xv = data["_x_values"]
        pxv = p * xv
        s_log, sx_log, s_inv, sx_inv = _spend_sums(g, data["_xm"], weights, wx, (np.log, np.reciprocal))
        psi = digamma(pxv + q)
        ll = (vdot(w_x, gammaln(pxv + q) - gammaln(pxv) + pxv * np.log(xv)) + w_all * (q * np.log(g) - gammaln(q))
              + p * wx_logm - w_logm - p * sx_log - q * s_log)
        grad = np.array([
            vdot(w_x, xv * (psi - digamma(pxv) + np.log(xv))) + wx_logm - sx_log,
            vdot(w_x, psi) - w_all * digamma(q) + w_all * np.log(g) - s_log,
            w_all * q / g - p * sx_inv - q * s_inv,
        ])
        return float(ll), grad

    def _weighted_log_likelihood_hessian(self, params, data, weights):
        """Second derivatives of the total of :meth:`_log_likelihood` in ``(p, q, gamma)``.

        With ``L = gamma + x zbar``: ``d2/dp2 = x^2 (psi'(px+q) - psi'(px))``,
        ``d2/dp dq = x psi'(px+q)``, ``d2/dq2 = psi'(px+q) - psi'(q)``, ``d2/dp dgamma = -x/L``,
        ``d2/dq dgamma = 1/gamma - 1/L``, ``d2/dgamma2 = -q/gamma^2 + (px+q)/L^2``; the
        trigamma terms are summed per distinct ``x``.
        """
        if "_x_code" not in data:
            return None
        _, w_x, wx, w_all, _, _ = self._aggregates(data, weights)
        p, q, g = (float(v) for v in params)
        xv = data["_x_values"]
        pxv = p * xv
        s_inv, sx_inv, s_sq, sx_sq = _spend_sums(g, data["_xm"], weights, wx, (np.reciprocal, _inverse_square))
        tri = polygamma(1, pxv + q)
        h_pp = vdot(w_x, xv * xv * (tri - polygamma(1, pxv)))
        h_pq = vdot(w_x, xv * tri)
        h_qq = vdot(w_x, tri) - w_all * float(polygamma(1, q))
        h_pg = -sx_inv
        h_qg = w_all / g - s_inv
        h_gg = -w_all * q / g**2 + p * sx_sq + q * s_sq
        return np.array([[h_pp, h_pq, h_pg], [h_pq, h_qq, h_qg], [h_pg, h_qg, h_gg]])

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
        denom = np.multiply(x, p)  # p x + q - 1, in place
        denom += q
        denom -= 1.0
        if np.any(denom <= 0):
            row = int(np.flatnonzero(denom <= 0)[0])
            raise ModelInputError(
                f"the expected spend is infinite where p*frequency + q <= 1 (q={q:.4g}): row {row} has "
                f"frequency={x[row]:g}; the fitted spend distribution is too heavy-tailed for a mean"
            )
        spend = np.multiply(x, m)  # p (gamma + x zbar) / (p x + q - 1), in place
        spend += g
        spend *= p
        spend /= denom
        return spend


def _count_distinct(codes: np.ndarray, n_codes: int, spends: np.ndarray) -> int:
    """Number of distinct ``(x, zbar)`` rows, ``x`` given by its ``codes``: the rows are grouped
    by ``x`` (a counting sort of its few values) and the distinct spends counted per group, in
    hash tables small enough to stay in cache."""
    order = np.argsort(codes.astype(np.int16), kind="stable")  # radix sort
    bits = (spends + 0.0).view(np.int64)[order]  # equal values, equal bits (-0.0 folded into 0.0)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=n_codes))])
    return sum(len(pd.unique(bits[lo:hi])) for lo, hi in zip(bounds[:-1], bounds[1:]))


def _inverse_square(values: np.ndarray) -> np.ndarray:
    return 1.0 / (values * values)


def _spend_sums(g: float, xm: np.ndarray, weights: np.ndarray, wx: np.ndarray, terms) -> tuple[float, ...]:
    """``sum_i w_i f(L_i)`` and ``sum_i w_i x_i f(L_i)`` for each ``f`` of ``terms``, with
    ``L = gamma + x zbar``: the only per-row work of the likelihood and its derivatives, taken
    in blocks (:func:`~clientele.models._blocks.block_sums`)."""

    def rows(part: slice) -> tuple[float, ...]:
        lin, w, w_times_x = g + xm[part], weights[part], wx[part]
        sums: list[float] = []
        for term in terms:
            values = term(lin)
            sums += [vdot(w, values), vdot(w_times_x, values)]
        return tuple(sums)

    return block_sums(rows, len(xm))
