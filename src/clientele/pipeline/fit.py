"""``clientele fit``: RFM summary of the store's purchases -> purchase model + Gamma-Gamma, saved in the store."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from clientele.errors import ModelInputError, StoreError
from clientele.models import BGNBD, MBGNBD, CustomerBaseModel, GammaGamma, ParetoNBD

#: purchase models ``clientele fit --model`` accepts
PURCHASE_MODELS: dict[str, type[CustomerBaseModel]] = {"bgnbd": BGNBD, "mbgnbd": MBGNBD, "paretonbd": ParetoNBD}
_CLASSES = {cls.__name__: cls for cls in (*PURCHASE_MODELS.values(), GammaGamma)}


@dataclass
class FitResult:
    """The models of one fit and what they were fitted on."""

    fit_id: int
    purchase_model: CustomerBaseModel
    spend_model: GammaGamma
    time_unit: str
    observation_end: dt.date
    calibration_end: dt.date | None
    n_customers: int
    n_repeaters: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "fit_id": self.fit_id,
            "time_unit": self.time_unit,
            "observation_end": self.observation_end.isoformat(),
            "calibration_end": self.calibration_end.isoformat() if self.calibration_end else None,
            "customers": self.n_customers,
            "repeat_customers": self.n_repeaters,
            "purchase_model": self.purchase_model.to_dict(),
            "spend_model": self.spend_model.to_dict(),
        }


def store_rfm(store: Any, *, observation_end: Any, time_unit: str, calibration_end: Any = None) -> pd.DataFrame:
    """RFM summary of the store's ``purchases`` view, with a clear error for an empty store."""
    from clientele.rfm import rfm_summary

    (count,) = store.con.execute("SELECT count(*) FROM purchases").fetchone()
    if count == 0:
        raise StoreError(
            f"{store.path}: the store holds no purchases; load transactions first "
            "(`clientele load transactions FILE`) or try `clientele demo`"
        )
    return rfm_summary(store, observation_end=observation_end, time_unit=time_unit, calibration_end=calibration_end)


def default_observation_end(store: Any) -> dt.date:
    """The day of the store's last purchase."""
    (last,) = store.con.execute("SELECT max(timestamp) FROM purchases").fetchone()
    if last is None:
        raise StoreError(
            f"{store.path}: the store holds no purchases; load transactions first "
            "(`clientele load transactions FILE`) or try `clientele demo`"
        )
    return last.date() if isinstance(last, dt.datetime) else last


def fit_store_models(
    store: Any,
    model: str = "bgnbd",
    time_unit: str = "W",
    observation_end: Any = None,
    calibration_end: Any = None,
    rfm: pd.DataFrame | None = None,
) -> FitResult:
    """Fit a purchase model and the Gamma-Gamma spend model on the store and save both in it.

    Parameters
    ----------
    store
        An open, writable :class:`clientele.store.Store`.
    model
        ``"bgnbd"`` (Fader, Hardie & Lee 2005, "Counting your customers the easy way"),
        ``"mbgnbd"`` (Batislam, Denizel & Filiztekin 2007) or ``"paretonbd"`` (Schmittlein,
        Morrison & Colombo 1987).
    time_unit
        ``"D"``, ``"W"`` or ``"M"``: unit of recency and T.
    observation_end
        Last day observed; by default the day of the last purchase in the store.
    calibration_end
        Fit only on purchases up to this day (holdout validation is ``clientele validate``'s job).
    rfm
        A precomputed RFM summary of the same store (skips recomputing it).

    Returns
    -------
    FitResult
        The fitted models; they are also inserted in ``fitted_models`` under a new ``fit_id``.
    """
    key = str(model).lower().replace("/", "").replace("-", "").replace("_", "")
    if key not in PURCHASE_MODELS:
        raise ModelInputError(f"unknown model {model!r}; expected one of {sorted(PURCHASE_MODELS)}")
    if observation_end is None:
        observation_end = default_observation_end(store)
    if rfm is None:
        rfm = store_rfm(store, observation_end=observation_end, time_unit=time_unit, calibration_end=calibration_end)
    if len(rfm) == 0:
        raise StoreError(f"{store.path}: no customer purchased before the calibration end {calibration_end}")
    repeaters = int((rfm["frequency"] > 0).sum())
    if repeaters == 0:
        raise StoreError(
            f"{store.path}: none of the {len(rfm):,} customers purchased twice up to "
            f"{calibration_end or observation_end}; the models need repeat purchases "
            "(choose a later --observation-end / --calibration-end or load more history)"
        )
    purchase = PURCHASE_MODELS[key]().fit(rfm)
    spend = GammaGamma().fit(rfm)
    obs = pd.Timestamp(rfm.attrs.get("observation_end", observation_end)).date()
    cal = pd.Timestamp(calibration_end).date() if calibration_end is not None else None
    unit = str(rfm.attrs.get("time_unit", time_unit))
    con = store.con
    (fit_id,) = con.execute("SELECT coalesce(max(fit_id), 0) + 1 FROM fitted_models").fetchone()
    (model_id,) = con.execute("SELECT coalesce(max(model_id), 0) FROM fitted_models").fetchone()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for offset, (role, fitted) in enumerate((("purchase", purchase), ("spend", spend)), start=1):
        con.execute(
            "INSERT INTO fitted_models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                model_id + offset, role, type(fitted).__name__, json.dumps(fitted.to_dict()), now, unit,
                obs, cal, int(round(fitted.n_customers_)), float(fitted.log_likelihood_), fit_id,
            ],
        )
    return FitResult(int(fit_id), purchase, spend, unit, obs, cal, len(rfm), repeaters)


def latest_fit(store: Any) -> FitResult:
    """The models of the store's most recent ``clientele fit``."""
    rows = store.con.execute(
        "SELECT role, model_class, payload, time_unit, observation_end, calibration_end, n_customers, fit_id "
        "FROM fitted_models WHERE fit_id = (SELECT max(fit_id) FROM fitted_models)"
    ).fetchall()
    if not rows:
        raise StoreError(f"{store.path}: no fitted models in the store; run `clientele fit` first")
    models = {role: _CLASSES[cls].from_dict(json.loads(payload)) for role, cls, payload, *_ in rows}
    _, _, _, unit, obs, cal, _, fit_id = rows[0]
    return FitResult(int(fit_id), models["purchase"], models["spend"], unit, obs, cal,
                     int(round(models["purchase"].n_customers_)), int(round(models["spend"].n_customers_)))
