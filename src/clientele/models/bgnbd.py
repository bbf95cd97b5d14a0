"""The BG/NBD model of Fader, Hardie & Lee (2005), "Counting your customers the easy way".

While alive, a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``;
after each repeat purchase they drop out with probability ``p ~ Beta(a, b)``. Fitting,
predictions and simulation are shared with MBG/NBD in
:class:`~clientele.models._beta_geometric.BetaGeometricNBD`; this file declares the model.
"""

from __future__ import annotations

from clientele.models._beta_geometric import BetaGeometricNBD


class BGNBD(BetaGeometricNBD):
    """Beta-geometric/NBD model (FHL 2005): parameters ``r, alpha, a, b``.

    Parameters
    ----------
    penalizer_coef
        L2 penalty on the parameters (0 = the paper's maximum likelihood).
    initial_params
        Optional starting point, a dict with keys ``r, alpha, a, b``.

    Examples
    --------
    >>> from clientele.models import BGNBD
    >>> rfm = BGNBD.simulate(dict(r=0.24, alpha=4.4, a=0.79, b=2.4), 20000, T=39.0, seed=1)
    >>> m = BGNBD().fit(rfm)
    >>> round(m.params_["r"], 1)
    0.2
    """

    param_names = ("r", "alpha", "a", "b")
    dropout_at_start = 0
