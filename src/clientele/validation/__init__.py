"""Model validation on a calibration / holdout split (Fader, Hardie & Lee 2005, section 4).

:func:`validate` fits a purchase model on the calibration period and returns a
:class:`ValidationResult` with the calibration histogram, weekly and cumulative tracking,
conditional expectations of holdout transactions and the single holdout error figures. The
pieces are in :mod:`~clientele.validation.measures` (model vs actual) and
:mod:`~clientele.validation.data` (per-day facts of the cohort). Plots are in
:mod:`clientele.report`.
"""

from __future__ import annotations

from clientele.validation.data import CohortDays, cohort_days
from clientele.validation.measures import (
    DEFAULT_MAX_FREQUENCY,
    conditional_expectations,
    holdout_errors,
    holdout_expectations,
    period_histogram,
    tracking,
)
from clientele.validation.validate import (
    MODELS,
    ValidationResult,
    date_range,
    default_calibration_end,
    last_day,
    make_model,
    validate,
)

__all__ = [
    "DEFAULT_MAX_FREQUENCY",
    "MODELS",
    "CohortDays",
    "ValidationResult",
    "cohort_days",
    "conditional_expectations",
    "date_range",
    "default_calibration_end",
    "holdout_errors",
    "holdout_expectations",
    "last_day",
    "make_model",
    "period_histogram",
    "tracking",
    "validate",
]
