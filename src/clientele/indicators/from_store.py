"""All intermediate indicators of the customer store as of a day, in one call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from clientele.clv import score_customers
from clientele.equity.from_store import last_purchase_day, rfm_as_of
from clientele.equity.inputs import as_day, fit_models, purchases_frame
from clientele.indicators.inputs import referrals_frame, surveys_frame
from clientele.indicators.nps import nps_table
from clientele.indicators.referrals import DEFAULT_INCREMENTAL_SHARE, referral_summary, referral_value, referrals_by_month
from clientele.indicators.retention import cohort_repeat_rates, monthly_activity
from clientele.indicators.value_at_risk import value_at_risk, value_risk_segments


@dataclass
class Indicators:
    """The indicators of :func:`indicators_from_store`.

    Attributes
    ----------
    headline
        The figures of the last complete picture: active customers and retention rate at the
        ``as_of`` month, expected alive customers, value at risk, NPS with interval and
        responses, referrals and customer referral value.
    monthly
        :func:`~clientele.indicators.retention.monthly_activity` by month and segment, with
        ``referrals`` (all segments row) joined.
    cohorts
        :func:`~clientele.indicators.retention.cohort_repeat_rates`.
    nps
        NPS by month and segment (:func:`~clientele.indicators.nps.nps_table`).
    value_at_risk
        :func:`~clientele.indicators.value_at_risk.value_at_risk` by segment.
    referrals
        :func:`~clientele.indicators.referrals.referral_value` per referrer.
    scores
        Each customer's ``p_alive``, ``clv`` and ``segment``.
    """

    headline: dict[str, Any]
    monthly: pd.DataFrame
    cohorts: pd.DataFrame
    nps: pd.DataFrame
    value_at_risk: pd.DataFrame
    referrals: pd.DataFrame
    scores: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)


def indicators_from_store(
    store: Any,
    *,
    as_of: Any = None,
    segments: Any = None,
    window_months: int = 12,
    purchase_model: str = "bgnbd",
    horizon_months: int = 36,
    discount_rate: float = 0.10,
    margin: float = 0.30,
    incremental_share: float = DEFAULT_INCREMENTAL_SHARE,
    acquisition_cost: float = 0.0,
    level: float = 0.9,
    models: tuple[Any, Any] | None = None,
) -> Indicators:
    """Activity, retention, value at risk, NPS and referral value of the store as of a day.

    Parameters
    ----------
    store
        An open :class:`clientele.store.Store`.
    as_of
        Only data up to this day is used (default: the last purchase day).
    segments
        Customer key -> segment mapping; default: the value x risk grid of
        :func:`~clientele.indicators.value_at_risk.value_risk_segments`.
    window_months
        The activity and retention window (see :mod:`clientele.indicators.retention`).
    purchase_model, horizon_months, discount_rate, margin
        The models (fitted on the data up to ``as_of`` unless ``models`` is given, weeks) and
        CLV settings behind P(alive), CLV and value at risk.
    incremental_share, acquisition_cost
        Referral value settings (:mod:`clientele.indicators.referrals`). A referee's value is
        the margin of their purchases so far plus their CLV.
    level
        NPS interval level.
    """
    as_of = None if as_of is None else as_day(as_of, "as_of")
    purchases = purchases_frame(store, until=as_of)
    day = last_purchase_day(purchases) if as_of is None else as_day(as_of, "as_of")
    rfm = rfm_as_of(purchases, day)
    pm, sm = models if models is not None else fit_models(rfm, purchase_model)
    scores = score_customers(pm, sm, rfm, horizon_months=horizon_months, discount_rate=discount_rate,
                             margin=margin, time_unit=rfm.attrs["time_unit"])
    if segments is None:
        labels = value_risk_segments(scores)
    else:
        from clientele.equity.customer_equity import _segments

        labels = _segments(segments, scores.index)
    scores = scores.assign(segment=labels.to_numpy())
    mapping = scores["segment"]

    monthly = monthly_activity(purchases, window_months=window_months, segments=mapping, until=day)
    referrals = referrals_frame(store, until=day)
    per_month = referrals_by_month(referrals)
    monthly = monthly.join(per_month.rename_axis("month").to_frame().assign(segment="all").set_index("segment", append=True))
    monthly["referrals"] = monthly["referrals"].fillna(0).astype("int64")
    cohorts = cohort_repeat_rates(purchases, until=day)

    surveys = surveys_frame(store, until=day)
    surveys = surveys.assign(month=surveys["timestamp"].dt.to_period("M"),
                             segment=mapping.reindex(surveys["customer_key"]).fillna("(unassigned)").to_numpy())
    nps_by = pd.concat([
        nps_table(surveys.assign(segment="all"), by=["month", "segment"], level=level),
        nps_table(surveys, by=["month", "segment"], level=level),
    ]).sort_index() if len(surveys) else pd.DataFrame()
    overall = nps_table(surveys, level=level).iloc[0]

    spent = purchases.groupby("customer_key")["amount"].sum()
    value = margin * spent.reindex(scores.index).fillna(0.0) + scores["clv"]
    crv = referral_value(referrals, value, incremental_share=incremental_share, acquisition_cost=acquisition_cost)
    risk = value_at_risk(scores, mapping)

    this_month = monthly.xs("all", level="segment").iloc[-1]
    headline = {
        "as_of": day.date().isoformat(),
        "customers": int(len(rfm)),
        f"active_customers_{window_months}m": int(this_month["active"]),
        f"retention_rate_{window_months}m": float(this_month["retention_rate"]),
        "expected_alive": float(scores["p_alive"].sum()),
        "value_at_risk": float(risk.loc["all", "value_at_risk"]),
        "churn_weighted": float(risk.loc["all", "churn_weighted"]),
        "nps": float(overall["nps"]),
        "nps_lower": float(overall["lower"]),
        "nps_upper": float(overall["upper"]),
        "nps_responses": int(overall["responses"]),
        **{f"referral_{k}": v for k, v in referral_summary(crv).items()},
    }
    settings = {"window_months": window_months, "purchase_model": purchase_model, "horizon_months": horizon_months,
                "discount_rate": discount_rate, "margin": margin, "incremental_share": incremental_share,
                "acquisition_cost": acquisition_cost, "level": level}
    return Indicators(headline, monthly, cohorts, nps_by, risk, crv, scores, settings)
