"""Customer equity: the value of the current customers plus the customers not yet acquired.

.. math:: CE = \\sum_{c} CLV_c + \\sum_{k=1}^{H} \\frac{n_k}{(1+i)^k}
          \\Big[ \\sum_{j=0}^{H-k} \\frac{m_j}{(1+i)^j} - c \\Big]

The first term sums each current customer's CLV over the horizon (:mod:`clientele.clv`, after
Fader, Hardie & Lee 2005, "RFM and CLV", section 4); the second is the value of future
acquisitions after Gupta, Lehmann & Stuart (2004), "Valuing customers", JMR 41(1), eq. 2 (see
:mod:`clientele.equity.acquisition`). Both use the same horizon ``H`` (months), margin and
monthly discount rate ``i = (1 + d)^(1/12) - 1`` for the annual rate ``d``.

Intervals come from a parametric bootstrap over the models' parameter uncertainty
(:mod:`clientele.equity.uncertainty`) and, for the future term, the uncertainty of the
acquisition trend's coefficients (drawn from their OLS normal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clientele.clv import DAYS_PER_MONTH, _resolve_time_unit, score_customers
from clientele.equity.bootstrap import clv_draws as bootstrap_clv
from clientele.equity.acquisition import (
    AcquisitionTrend,
    fit_trend,
    future_customer_value,
    monthly_acquisitions,
    new_customer_margins,
)
from clientele.equity.inputs import as_day
from clientele.equity.uncertainty import DEFAULT_DRAWS, DEFAULT_LEVEL, check_level, draw_model_pairs, interval
from clientele.errors import ModelInputError

#: label of the customers not yet acquired in the channel and segment breakdowns
NOT_YET_ACQUIRED = "(not yet acquired)"
UNASSIGNED = "(unassigned)"
_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": DAYS_PER_MONTH}


@dataclass
class EquityResult:
    """Customer equity with its parts, breakdowns and intervals.

    Attributes
    ----------
    summary
        Indexed by ``component`` (``current_customers``, ``future_customers``,
        ``acquisition_cost``, ``customer_equity``) with ``estimate``, ``lower``, ``upper``
        (``lower``/``upper`` NaN without draws); ``acquisition_cost`` is the discounted
        cost of the projected acquisitions, already deducted in ``future_customers``.
    customers
        One row per current customer (indexed like the RFM frame): ``p_alive``,
        ``expected_purchases``, ``expected_spend``, ``clv``, ``clv_lower``, ``clv_upper``, and the
        ``cohort``, ``channel``, ``segment`` used in the breakdowns.
    future
        One row per future month: ``month``, ``new_customers`` (projected), ``value`` (that
        month's cohort, discounted, net of acquisition cost), ``lower``, ``upper``.
    breakdowns
        ``"cohort"``, ``"channel"``, ``"segment"`` -> frame with ``customers``, ``value``,
        ``lower``, ``upper``, ``share`` (of customer equity); the cohort frame has projected
        future months (``projected`` True), the others a ``(not yet acquired)`` row.
    settings
        The arguments used (horizon, rates, margin, cost, draws, level, seed, trend).
    draws
        The customer-equity total of every bootstrap draw (empty without draws).
    models
        The (purchase, spend) models used.
    """

    summary: pd.DataFrame
    customers: pd.DataFrame
    future: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame]
    settings: dict[str, Any]
    trend: AcquisitionTrend | None = None
    draws: np.ndarray = field(default_factory=lambda: np.empty(0))
    models: tuple[Any, Any] | None = None

    @property
    def equity(self) -> float:
        """The point estimate of customer equity."""
        return float(self.summary.loc["customer_equity", "estimate"])

    def by(self, name: str) -> pd.DataFrame:
        """The breakdown ``"cohort"``, ``"channel"`` or ``"segment"``."""
        if name not in self.breakdowns:
            raise ModelInputError(f"no breakdown {name!r}; available: {', '.join(self.breakdowns)}")
        return self.breakdowns[name]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the summary, future months and breakdowns."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            clean = frame.reset_index().astype(object)
            return clean.where(clean.notna(), None).to_dict(orient="records")

        return {
            "settings": self.settings,
            "summary": records(self.summary),
            "future": records(self.future),
            "breakdowns": {k: records(v) for k, v in self.breakdowns.items()},
        }


def customer_equity(
    purchase_model: Any,
    spend_model: Any,
    rfm: pd.DataFrame,
    *,
    as_of: Any = None,
    acquisitions: pd.Series | None = None,
    attributes: pd.DataFrame | None = None,
    segments: Any = None,
    horizon_months: int = 36,
    discount_rate: float = 0.10,
    margin: float = 0.30,
    acquisition_cost: float = 0.0,
    include_future: bool = True,
    trend_months: int = 12,
    trend: str = "linear",
    n_draws: int = DEFAULT_DRAWS,
    level: float = DEFAULT_LEVEL,
    seed: int | None = 0,
    days_per_month: float = DAYS_PER_MONTH,
    time_unit: str | None = None,
) -> EquityResult:
    """Customer equity of the current customers and the projected new ones, with intervals.

    Parameters
    ----------
    purchase_model, spend_model
        Fitted purchase model (BG/NBD, MBG/NBD, Pareto/NBD: ``expected_purchases``, ``p_alive``,
        ``expected_purchases_new``) and Gamma-Gamma spend model, both with ``covariance_``.
    rfm
        One row per current customer (index: customer key) with ``frequency``, ``recency``,
        ``T``, ``monetary_value``, as of ``as_of``.
    as_of
        The date the RFM frame describes (its observation end). Needed for the future term
        when ``acquisitions`` and ``attributes`` are not given (first purchases are then
        ``as_of - T``). When ``as_of`` is not a month end, its month is left out of the trend
        fit and only its remaining days count as future acquisitions.
    acquisitions
        New customers per month (``Period[M]`` index), e.g. from
        :func:`~clientele.equity.acquisition.monthly_acquisitions`. Default: counted from
        ``attributes["first_purchase"]``, else from ``as_of - T``.
    attributes
        Optional frame indexed by customer key with ``cohort`` (label) and/or ``channel``
        and/or ``first_purchase`` (:func:`~clientele.equity.inputs.customer_attributes`).
        Without it the cohort is derived from ``as_of - T`` and the channel is ``unknown``.
    segments
        Optional customer key -> segment mapping: a Series, a dict, or a DataFrame with a
        ``segment`` column (indexed by key, or with a ``customer_key`` column). Customers
        without a segment are ``(unassigned)``.
    horizon_months
        ``H``: months of future value counted, for current and future customers alike.
    discount_rate
        Annual discount rate ``d`` (monthly ``(1+d)^(1/12) - 1``).
    margin
        Share of revenue that is profit.
    acquisition_cost
        Cost ``c`` per new customer, paid when acquired. Default 0: the future term is then the
        gross value of the customers the trend brings, not a return on acquisition spending.
    include_future
        ``False`` values the current customers only.
    trend_months, trend
        Months of recent acquisitions the trend is fitted to, and ``"linear"`` or
        ``"constant"`` (see :func:`~clientele.equity.acquisition.fit_trend`).
    n_draws
        Bootstrap draws for the intervals (0: point estimates only). Memory: one float per
        customer and draw (50,000 customers x 200 draws = 80 MB).
    level
        Interval level (0.9: the 5% and 95% quantiles of the draws).
    seed
        Seed of the draws: the same seed gives the same intervals.
    days_per_month, time_unit
        As in :func:`clientele.clv.score_customers`.

    Returns
    -------
    EquityResult
    """
    check_level(level)
    if int(n_draws) != n_draws or n_draws < 0:
        raise ModelInputError(f"n_draws must be a whole number >= 0, got {n_draws!r}")
    if not np.isfinite(acquisition_cost) or acquisition_cost < 0:
        raise ModelInputError(f"acquisition_cost must be a finite number >= 0, got {acquisition_cost!r}")
    unit = _resolve_time_unit(purchase_model, rfm, time_unit)
    as_of_ts = None if as_of is None else as_day(as_of, "as_of")
    clv_args = dict(horizon_months=horizon_months, discount_rate=discount_rate, margin=margin,
                    days_per_month=days_per_month, time_unit=unit)
    scores = score_customers(purchase_model, spend_model, rfm, **clv_args)
    monthly_rate = (1.0 + discount_rate) ** (1.0 / 12.0) - 1.0

    labels = _labels(rfm, attributes, segments, as_of_ts, unit)
    trend_fit = None
    future = pd.DataFrame(columns=["month", "new_customers", "value", "lower", "upper"])
    future_value, cost_value = 0.0, 0.0
    if include_future:
        counts = _acquisitions(acquisitions, labels, as_of_ts)
        complete = as_of_ts is None or (as_of_ts + pd.Timedelta(days=1)).day == 1
        trend_fit = fit_trend(counts, trend_months=trend_months, trend=trend, complete_last=complete)
        new = trend_fit.project(horizon_months)
        if not complete:  # the as_of month is partly observed: only its remaining days are future
            new[0] *= remaining_share(as_of_ts)
        margins = new_customer_margins(purchase_model, spend_model, horizon_months, margin, unit, days_per_month)
        per_month = future_customer_value(new, margins, monthly_rate, acquisition_cost)
        k = np.arange(1, int(horizon_months) + 1)
        cost_value = float(np.sum(new * acquisition_cost * (1.0 + monthly_rate) ** (-k)))
        future_value = float(per_month.sum())
        start = (trend_fit.last_month + 1) if trend_fit.last_month is not None else None
        months = ([str(start + i) for i in range(int(horizon_months))] if start is not None
                  else [f"+{i}" for i in k])
        future = pd.DataFrame({"month": months, "new_customers": new, "value": per_month,
                               "lower": np.nan, "upper": np.nan})

    current_value = float(scores["clv"].sum())
    clv_draws = np.empty((len(rfm), 0))
    future_draws = np.empty((0, int(horizon_months)))
    totals = np.empty(0)
    if n_draws:
        pairs = draw_model_pairs(purchase_model, spend_model, int(n_draws), seed)
        clv_draws = bootstrap_clv(pairs, rfm, **clv_args)
        if include_future:
            rng = np.random.default_rng(None if seed is None else [int(seed), 1])
            coefficients = trend_fit.draw(int(n_draws), rng)
            new_draws = trend_fit.project(horizon_months, coefficients)
            if not complete:
                new_draws[:, 0] *= remaining_share(as_of_ts)
            margin_draws = np.vstack([
                new_customer_margins(p, s, horizon_months, margin, unit, days_per_month) for p, s in pairs
            ])
            future_draws = future_customer_value(new_draws, margin_draws, monthly_rate, acquisition_cost)
            lo, hi = interval(future_draws, level, axis=0)
            future["lower"], future["upper"] = lo, hi
        totals = clv_draws.sum(axis=0) + (future_draws.sum(axis=1) if include_future else 0.0)

    customers = scores.copy()
    if n_draws:
        customers["clv_lower"], customers["clv_upper"] = interval(clv_draws, level, axis=1)
    else:
        customers["clv_lower"] = customers["clv_upper"] = np.nan
    customers = customers.join(labels[["cohort", "channel", "segment"]])

    rows = {
        "current_customers": (current_value, clv_draws.sum(axis=0)),
        "future_customers": (future_value, future_draws.sum(axis=1)),
        "customer_equity": (current_value + future_value, totals),
    }
    summary = []
    for name, (estimate, draws) in rows.items():
        lo, hi = interval(draws, level) if len(draws) else (np.nan, np.nan)
        summary.append({"component": name, "estimate": estimate, "lower": float(lo), "upper": float(hi)})
    summary.insert(2, {"component": "acquisition_cost", "estimate": 0.0 - cost_value, "lower": np.nan, "upper": np.nan})
    summary_frame = pd.DataFrame(summary).set_index("component")

    equity = current_value + future_value
    breakdowns = {
        name: _breakdown(customers, name, clv_draws, future, future_draws, equity, level)
        for name in ("cohort", "channel", "segment")
    }
    settings = {
        "as_of": None if as_of_ts is None else as_of_ts.date().isoformat(),
        "horizon_months": int(horizon_months), "discount_rate": discount_rate, "margin": margin,
        "acquisition_cost": acquisition_cost, "include_future": include_future, "trend": trend,
        "trend_months": trend_months, "n_draws": int(n_draws), "level": level, "seed": seed,
        "time_unit": unit, "customers": int(len(rfm)),
    }
    return EquityResult(summary_frame, customers, future, breakdowns, settings, trend_fit, totals,
                        (purchase_model, spend_model))


def remaining_share(as_of: pd.Timestamp) -> float:
    """Share of ``as_of``'s month after the day ``as_of`` (0 on the month's last day)."""
    return float((as_of.days_in_month - as_of.day) / as_of.days_in_month)


def _labels(rfm: pd.DataFrame, attributes: pd.DataFrame | None, segments: Any,
            as_of: pd.Timestamp | None, unit: str) -> pd.DataFrame:
    """Cohort, channel, segment and first purchase of every customer of ``rfm``."""
    out = pd.DataFrame(index=rfm.index)
    attrs = attributes if attributes is not None else pd.DataFrame(index=rfm.index)
    if "first_purchase" in attrs.columns:
        out["first_purchase"] = pd.to_datetime(attrs["first_purchase"]).reindex(rfm.index)
    elif as_of is not None:
        days = np.rint(rfm["T"].to_numpy(np.float64) * _UNIT_DAYS[unit]).astype("int64")
        out["first_purchase"] = as_of - pd.to_timedelta(days, unit="D")
    else:
        out["first_purchase"] = pd.NaT
    if "cohort" in attrs.columns:
        out["cohort"] = attrs["cohort"].reindex(rfm.index).astype(object)
    else:
        out["cohort"] = out["first_purchase"].dt.strftime("%Y-%m")
    out["cohort"] = out["cohort"].fillna("unknown").astype(str)
    if "channel" in attrs.columns:
        out["channel"] = attrs["channel"].reindex(rfm.index).fillna("unknown").astype(str)
    else:
        out["channel"] = "unknown"
    out["segment"] = _segments(segments, rfm.index)
    return out


def _segments(segments: Any, index: pd.Index) -> pd.Series:
    if segments is None:
        return pd.Series(UNASSIGNED, index=index)
    if isinstance(segments, dict):
        segments = pd.Series(segments)
    if isinstance(segments, pd.DataFrame):
        frame = segments.set_index("customer_key") if "customer_key" in segments.columns else segments
        if "segment" not in frame.columns:
            raise ModelInputError(f"the segments frame needs a 'segment' column; it has {list(frame.columns)}")
        segments = frame["segment"]
    if not isinstance(segments, pd.Series):
        raise ModelInputError(
            f"segments must map customer keys to segments (Series, dict or DataFrame), got {type(segments).__name__}"
        )
    if segments.index.has_duplicates:
        dup = segments.index[segments.index.duplicated()][0]
        raise ModelInputError(f"segments: customer key {dup!r} has more than one segment")
    return segments.reindex(index).astype(object).where(lambda s: s.notna(), UNASSIGNED).astype(str)


def _acquisitions(acquisitions: pd.Series | None, labels: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.Series:
    if acquisitions is not None:
        counts = pd.Series(acquisitions).astype("float64")
        if not isinstance(counts.index, pd.PeriodIndex):
            counts.index = pd.PeriodIndex(counts.index, freq="M")
        if (counts < 0).any() or not np.all(np.isfinite(counts)):
            raise ModelInputError("acquisitions must be finite counts >= 0 per month")
        return counts.sort_index()
    if labels["first_purchase"].isna().all():
        raise ModelInputError(
            "the future customers need the acquisition history: pass as_of (the RFM frame's "
            "observation end), attributes with first_purchase, or acquisitions; or include_future=False"
        )
    end = as_of if as_of is not None else labels["first_purchase"].max()
    return monthly_acquisitions(labels["first_purchase"], end)


def _breakdown(customers: pd.DataFrame, name: str, clv_draws: np.ndarray, future: pd.DataFrame,
               future_draws: np.ndarray, equity: float, level: float) -> pd.DataFrame:
    """Current value by ``name`` (plus the future customers), with bootstrap intervals."""
    codes, groups = pd.factorize(customers[name], sort=True)
    value = np.bincount(codes, weights=customers["clv"].to_numpy(), minlength=len(groups))
    frame = pd.DataFrame({name: groups.astype(str), "customers": np.bincount(codes, minlength=len(groups)),
                          "value": value})
    if clv_draws.shape[1]:
        sums = pd.DataFrame(clv_draws).groupby(codes).sum().reindex(range(len(groups)), fill_value=0.0).to_numpy()
        frame["lower"], frame["upper"] = interval(sums, level, axis=1)
    else:
        frame["lower"] = frame["upper"] = np.nan
    if name == "cohort":
        frame["projected"] = False
    if len(future):
        if name == "cohort":
            extra = pd.DataFrame({"cohort": future["month"].astype(str), "customers": future["new_customers"],
                                  "value": future["value"], "lower": future["lower"], "upper": future["upper"],
                                  "projected": True})
        else:
            lo, hi = interval(future_draws.sum(axis=1), level) if future_draws.size else (np.nan, np.nan)
            extra = pd.DataFrame({name: [NOT_YET_ACQUIRED], "customers": [float(future["new_customers"].sum())],
                                  "value": [float(future["value"].sum())], "lower": [lo], "upper": [hi]})
        frame = pd.concat([frame, extra], ignore_index=True)
    frame["share"] = frame["value"] / equity if equity else np.nan
    return frame.set_index(name)
