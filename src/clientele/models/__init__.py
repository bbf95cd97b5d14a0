"""Customer-base ("buy till you die") models: one file per model, shared machinery in base.py."""

from clientele.models.base import CustomerBaseModel
from clientele.models.bgbb import BGBB
from clientele.models.bgnbd import BGNBD
from clientele.models.gamma_gamma import GammaGamma
from clientele.models.mbgnbd import MBGNBD
from clientele.models.pareto_nbd import ParetoNBD
from clientele.models.sbg import ShiftedBetaGeometric

__all__ = ["BGBB", "BGNBD", "MBGNBD", "ParetoNBD", "CustomerBaseModel", "GammaGamma", "ShiftedBetaGeometric"]
