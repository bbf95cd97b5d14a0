"""``clientele score``: CLV of every customer from the store's latest fit, written to ``customer_scores``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientele.clv import score_customers
from clientele.errors import ModelInputError
from clientele.pipeline.fit import latest_fit, store_rfm


@dataclass
class ScoreResult:
    """Totals of one scoring run (the per-customer rows are in ``scores`` and the store)."""

    fit_id: int
    scores: pd.DataFrame
    horizon_months: int
    discount_rate: float
    margin: float

    def totals(self) -> dict[str, Any]:
        s = self.scores
        return {
            "fit_id": self.fit_id,
            "customers": len(s),
            "horizon_months": self.horizon_months,
            "discount_rate": self.discount_rate,
            "margin": self.margin,
            "expected_alive": float(s["p_alive"].sum()),
            "expected_purchases": float(s["expected_purchases"].sum()),
            "total_clv": float(s["clv"].sum()),
            "mean_clv": float(s["clv"].mean()) if len(s) else 0.0,
        }


def score_store(
    store: Any,
    horizon_months: int = 12,
    discount_rate: float = 0.10,
    margin: float = 0.30,
    rfm: pd.DataFrame | None = None,
) -> ScoreResult:
    """Score every customer with the store's latest fit and replace ``customer_scores``.

    The RFM summary is recomputed at the fit's observation end (all purchases up to it, also
    when the fit used a calibration end), so every customer of the store gets a row. CLV is
    :func:`clientele.clv.score_customers` (FHL 2005, "RFM and CLV", eq. 2-3 with discounting);
    customers without repeat purchases get the Gamma-Gamma population mean spend
    ``p gamma / (q - 1)`` (eq. 3 with ``x = 0``).

    Raises
    ------
    StoreError
        When the store has no fitted models ("run `clientele fit` first").
    """
    if not 0.0 <= margin <= 1.0:
        raise ModelInputError(f"margin must be a share between 0 and 1, got {margin!r}")
    fit = latest_fit(store)
    if rfm is None:
        rfm = store_rfm(store, observation_end=fit.observation_end, time_unit=fit.time_unit)
    scores = score_customers(
        fit.purchase_model, fit.spend_model, rfm, horizon_months=horizon_months,
        discount_rate=discount_rate, margin=margin, time_unit=fit.time_unit,
    )
    values = scores[["p_alive", "expected_purchases", "expected_spend", "clv"]].to_numpy()
    if not np.isfinite(values).all():
        bad = scores.index[~np.isfinite(values).all(axis=1)][0]
        raise ModelInputError(f"customer {bad}: the score is not finite ({scores.loc[bad].to_dict()}); refit the models")
    frame = scores.reset_index().rename(columns={scores.index.name or "index": "customer_key"})
    frame = frame[["customer_key", "p_alive", "expected_purchases", "expected_spend", "clv"]]
    frame["customer_key"] = frame["customer_key"].astype(str)
    frame["horizon_months"] = int(horizon_months)
    frame["discount_rate"] = float(discount_rate)
    frame["margin"] = float(margin)
    frame["scored_at"] = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    frame["fit_id"] = fit.fit_id
    con = store.con
    con.register("_new_scores", frame)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM customer_scores")
        con.execute("INSERT INTO customer_scores SELECT * FROM _new_scores")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_new_scores")
    # segments are defined on scores: their members move with them (a no-op without segments)
    from clientele.segments import refresh_segments

    refresh_segments(store)
    return ScoreResult(fit.fit_id, scores, int(horizon_months), float(discount_rate), float(margin))
