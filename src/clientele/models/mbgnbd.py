"""The MBG/NBD model of Batislam, Denizel & Filiztekin (2007), "Empirical validation and
comparison of models for customer base analysis" (as in lifetimes' ``ModifiedBetaGeoFitter``).

As BG/NBD, except that a customer may also drop out right after the first purchase (time 0),
so a customer without repeat purchases is not certainly alive. Shared machinery:
:class:`~clientele.models._beta_geometric.BetaGeometricNBD` with ``k = 1``.
"""

from __future__ import annotations

from clientele.models._beta_geometric import BetaGeometricNBD


class MBGNBD(BetaGeometricNBD):
    """Modified beta-geometric/NBD model (Batislam et al. 2007): parameters ``r, alpha, a, b``.

    Parameters
    ----------
    penalizer_coef
        L2 penalty on the parameters (0 = maximum likelihood).
    initial_params
        Optional starting point, a dict with keys ``r, alpha, a, b``.

    Examples
    --------
    >>> from clientele.models import MBGNBD
    >>> rfm = MBGNBD.simulate(dict(r=0.5, alpha=6.2, a=0.9, b=1.6), 20000, T=39.0, seed=1)
    >>> round(MBGNBD().fit(rfm).params_["r"], 1)
    0.5
    """

    param_names = ("r", "alpha", "a", "b")
    dropout_at_start = 1
