"""The store pipeline: fit the customer-base models on the store and score every customer."""

from clientele.pipeline.fit import FitResult, fit_store_models, latest_fit
from clientele.pipeline.score import ScoreResult, score_store

__all__ = ["FitResult", "ScoreResult", "fit_store_models", "latest_fit", "score_store"]
