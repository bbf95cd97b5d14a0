"""Customer equity straight from the customer store: purchases -> RFM -> models -> equity."""

from __future__ import annotations

from typing import Any

import pandas as pd

from clientele.equity.customer_equity import EquityResult, customer_equity
from clientele.equity.inputs import as_day, customer_attributes, fit_models, purchases_frame
from clientele.rfm import rfm_summary

#: time unit of recency and T used when clientele fits the models itself (weeks, as FHL 2005)
TIME_UNIT = "W"


def last_purchase_day(purchases: pd.DataFrame) -> pd.Timestamp:
    """The day of the last purchase: the default ``as_of``."""
    return pd.Timestamp(purchases["timestamp"].max()).normalize()


def rfm_as_of(purchases: pd.DataFrame, as_of: Any, time_unit: str = TIME_UNIT) -> pd.DataFrame:
    """The RFM summary of ``purchases`` up to the day ``as_of`` (``attrs["time_unit"]`` set)."""
    rfm = rfm_summary(purchases, observation_end=pd.Timestamp(as_of).date(), time_unit=time_unit)
    rfm.attrs["time_unit"] = time_unit
    return rfm


def equity_from_store(
    store: Any,
    *,
    as_of: Any = None,
    purchase_model: str = "bgnbd",
    segments: Any = None,
    models: tuple[Any, Any] | None = None,
    **options: Any,
) -> EquityResult:
    """Customer equity of the store's customers as of a day.

    Parameters
    ----------
    store
        An open :class:`clientele.store.Store`.
    as_of
        Only purchases up to this day are used. Default: the day of the last purchase.
    purchase_model
        The purchase model fitted when ``models`` is not given (``bgnbd``, ``mbgnbd``,
        ``paretonbd``); the spend model is Gamma-Gamma.
    segments
        Optional customer key -> segment mapping (see :func:`customer_equity`).
    models
        Already fitted (purchase, spend) models, e.g. from the scoring pipeline; they must
        have been fitted on data up to ``as_of`` in weeks.
    **options
        Passed to :func:`customer_equity` (horizon_months, discount_rate, margin,
        acquisition_cost, n_draws, level, seed, ...).
    """
    as_of = None if as_of is None else as_day(as_of, "as_of")
    purchases = purchases_frame(store, until=as_of)
    day = last_purchase_day(purchases) if as_of is None else as_day(as_of, "as_of")
    rfm = rfm_as_of(purchases, day)
    pm, sm = models if models is not None else fit_models(rfm, purchase_model)
    attributes = customer_attributes(purchases, store)
    return customer_equity(pm, sm, rfm, as_of=day, attributes=attributes, segments=segments, **options)
