"""Intermediate indicators: activity and retention, value at risk, NPS, referrals and referral value.

Every function returns data frames (or plain dicts of totals); :func:`indicators_from_store`
computes them all from the customer store as of a day.
"""

from __future__ import annotations

from clientele.indicators.from_store import Indicators, indicators_from_store
from clientele.indicators.inputs import referrals_frame, surveys_frame
from clientele.indicators.nps import net_promoter_score, nps_counts, nps_interval, nps_table
from clientele.indicators.referrals import (
    DEFAULT_INCREMENTAL_SHARE,
    credited_referrals,
    referral_summary,
    referral_value,
    referrals_by_month,
)
from clientele.indicators.retention import cohort_repeat_rates, monthly_activity
from clientele.indicators.value_at_risk import value_at_risk, value_at_risk_of, value_if_alive, value_risk_segments

__all__ = [
    "DEFAULT_INCREMENTAL_SHARE",
    "Indicators",
    "cohort_repeat_rates",
    "credited_referrals",
    "indicators_from_store",
    "monthly_activity",
    "net_promoter_score",
    "nps_counts",
    "nps_interval",
    "nps_table",
    "referral_summary",
    "referral_value",
    "referrals_by_month",
    "referrals_frame",
    "surveys_frame",
    "value_at_risk",
    "value_at_risk_of",
    "value_if_alive",
    "value_risk_segments",
]
