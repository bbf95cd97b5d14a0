"""Fitting safeguards shared by the BG/BB and sBG models (a mixin over the base class's optimiser).

Two failure modes of maximum likelihood on these models return numbers that look like a fit but
are not one, and the base class's box of ``exp(+-30)`` lets them through:

* a poor ``initial_params`` can leave L-BFGS-B on a flat plateau far from the optimum;
* data without heterogeneity (one distinct history, a perfectly geometric cohort) have their
  supremum at the boundary (``alpha + beta -> inf``), where the optimiser stops at some huge,
  meaningless value.
"""

from __future__ import annotations

import math

import numpy as np

from clientele.errors import ConvergenceError

# Parameters beyond [1e-5, 1e5] mean a boundary solution for these Beta-mixing models.
MAX_ABS_LOG_PARAM = math.log(1e5)


class SafeguardedFitMixin:
    """Also optimise from the default start when the user gave one; reject boundary solutions."""

    def _optimise(self, data, weights, start):
        tried = []
        first_error = None
        for s in (start, None):
            if s is None:
                if self.initial_params is None:
                    break
                s = np.log(np.asarray(self._default_start(data, weights), dtype=np.float64))
            try:
                tried.append(super()._optimise(data, weights, s))
            except ConvergenceError as exc:
                first_error = first_error or exc
        if not tried:
            raise first_error
        best = min(tried, key=lambda r: r.fun)
        far = [(p, math.exp(x)) for p, x in zip(self.param_names, best.x) if abs(x) > MAX_ABS_LOG_PARAM]
        if far:
            shown = ", ".join(f"{p}={v:.3g}" for p, v in far)
            raise ConvergenceError(
                f"{type(self).__name__}: the fit ran to the edge of the parameter space ({shown}): "
                "the data show no heterogeneity or have too few distinct histories to identify the "
                "model (e.g. every customer identical). Fit more varied data, or regularise with "
                "penalizer_coef=0.01."
            )
        return best
