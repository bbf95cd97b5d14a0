"""Customer equity: current customers' CLV plus the customers not yet acquired, with intervals.

* :func:`customer_equity` (explicit fitted models + RFM frame) and :func:`equity_from_store`
  return an :class:`EquityResult` (summary, per-customer CLV intervals, future months, and
  breakdowns by acquisition cohort, channel and segment);
* :func:`equity_over_time` recomputes equity as of each month end from the data available then;
* :mod:`~clientele.equity.uncertainty` documents the parametric bootstrap of the intervals;
* :mod:`~clientele.equity.acquisition` holds the acquisition trend and the Gupta, Lehmann &
  Stuart (2004) value of future customers.
"""

from __future__ import annotations

from clientele.equity.acquisition import (
    AcquisitionTrend,
    fit_trend,
    future_customer_value,
    monthly_acquisitions,
    new_customer_margins,
)
from clientele.equity.customer_equity import NOT_YET_ACQUIRED, EquityResult, customer_equity
from clientele.equity.from_store import equity_from_store
from clientele.equity.inputs import customer_attributes, fit_models, purchases_frame
from clientele.equity.over_time import equity_over_time
from clientele.equity.uncertainty import DEFAULT_DRAWS, DEFAULT_LEVEL, draw_model_pairs

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_LEVEL",
    "NOT_YET_ACQUIRED",
    "AcquisitionTrend",
    "EquityResult",
    "customer_attributes",
    "customer_equity",
    "draw_model_pairs",
    "equity_from_store",
    "equity_over_time",
    "fit_models",
    "fit_trend",
    "future_customer_value",
    "monthly_acquisitions",
    "new_customer_margins",
    "purchases_frame",
]
