"""What customer equity needs from the customer store, read as data frames.

* :func:`purchases_frame`: the ``purchases`` view (returns excluded), one row per purchase with
  ``customer_key``, ``timestamp``, ``amount``;
* :func:`customer_attributes`: one row per customer key with its acquisition ``cohort`` (month of
  the first purchase), ``first_purchase`` and acquisition ``channel`` (the channel of the key's
  earliest-signed-up record; ``"unknown"`` where no record has one);
* :func:`fit_models`: a purchase model and the Gamma-Gamma spend model fitted on an RFM frame,
  optionally warm-started from earlier fits.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from clientele.errors import InputError, ModelInputError, StoreError
from clientele.models import BGNBD, MBGNBD, GammaGamma, ParetoNBD

#: purchase models :func:`fit_models` accepts by name
PURCHASE_MODELS = {"bgnbd": BGNBD, "mbgnbd": MBGNBD, "paretonbd": ParetoNBD}
UNKNOWN = "unknown"


def as_day(value: Any, name: str) -> pd.Timestamp:
    """``value`` as a day (midnight timestamp), or an :class:`InputError` naming ``name``."""
    try:
        day = pd.Timestamp(value)
    except (TypeError, ValueError):
        day = pd.NaT
    if pd.isna(day):
        raise InputError("expected a date such as 2025-06-30", column=name, value=value)
    return day.normalize()


def purchases_frame(store: Any, until: Any = None) -> pd.DataFrame:
    """The store's purchases (``customer_key``, ``timestamp``, ``amount``), up to the day ``until``."""
    until = None if until is None else as_day(until, "until")
    sql = "SELECT customer_key, timestamp, amount FROM purchases"
    params: list[Any] = []
    if until is not None:
        sql += " WHERE CAST(timestamp AS DATE) <= ?"
        params.append(until.date())
    frame = store.con.execute(sql + " ORDER BY customer_key, timestamp", params).df()
    if frame.empty:
        raise StoreError(f"{store.path}: the store has no purchases{' up to ' + str(until) if until else ''}; load transactions first")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def customer_attributes(purchases: pd.DataFrame, store: Any = None) -> pd.DataFrame:
    """Acquisition cohort and channel of every customer key that has purchased.

    Parameters
    ----------
    purchases
        ``customer_key``, ``timestamp`` rows (:func:`purchases_frame`).
    store
        Optional store: the acquisition channel comes from its ``customers`` records (joined to
        keys through the ``identities`` view). Without it the channel is ``"unknown"``.

    Returns
    -------
    DataFrame
        Indexed by ``customer_key``: ``first_purchase`` (date), ``cohort`` (``YYYY-MM``),
        ``channel``.
    """
    first = purchases.groupby("customer_key")["timestamp"].min().dt.normalize()
    out = pd.DataFrame({"first_purchase": first, "cohort": first.dt.strftime("%Y-%m")})
    out["channel"] = UNKNOWN
    if store is not None:
        names = store.table_names()
        join = "identities" if "identities" in names else None
        key = "i.customer_key" if join else "c.source || ':' || c.customer_id"
        sql = (
            f"SELECT {key} AS customer_key, c.acquisition_channel AS channel, c.signup_date FROM customers c"
            + (" JOIN identities i ON i.source = c.source AND i.customer_id = c.customer_id" if join else "")
            + " WHERE c.acquisition_channel IS NOT NULL ORDER BY customer_key, c.signup_date NULLS LAST, channel"
        )
        channels = store.con.execute(sql).df()
        if not channels.empty:
            chosen = channels.drop_duplicates("customer_key").set_index("customer_key")["channel"]
            out["channel"] = chosen.reindex(out.index).fillna(UNKNOWN).astype(str)
    return out


def fit_models(
    rfm: pd.DataFrame,
    purchase_model: str = "bgnbd",
    warm_start: tuple[Any, Any] | None = None,
    penalizer_coef: float = 0.0,
) -> tuple[Any, Any]:
    """Fit a purchase model (by name) and the Gamma-Gamma spend model on ``rfm``.

    Parameters
    ----------
    rfm
        An RFM frame (:func:`clientele.rfm.rfm_summary`).
    purchase_model
        ``"bgnbd"`` (default), ``"mbgnbd"`` or ``"paretonbd"``.
    warm_start
        Earlier fitted (purchase, spend) models whose parameters start the optimiser: refits on
        slightly more data then take a few iterations.
    penalizer_coef
        L2 penalty of both models (0: maximum likelihood).
    """
    try:
        cls = PURCHASE_MODELS[str(purchase_model).lower().replace("/", "").replace("_", "")]
    except KeyError:
        raise ModelInputError(
            f"unknown purchase model {purchase_model!r}; expected one of {', '.join(PURCHASE_MODELS)}"
        ) from None
    start_p = dict(warm_start[0].params_) if warm_start is not None else None
    start_s = dict(warm_start[1].params_) if warm_start is not None else None
    pm = cls(penalizer_coef=penalizer_coef, initial_params=start_p).fit(rfm)
    repeaters = rfm[rfm["frequency"] > 0]
    if len(repeaters) < 2:
        raise ModelInputError(
            f"only {len(repeaters)} customer(s) with a repeat purchase: the spend model needs repeat customers"
        )
    sm = GammaGamma(penalizer_coef=penalizer_coef, initial_params=start_s).fit(repeaters)
    return pm, sm
