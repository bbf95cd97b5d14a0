"""The customer attributes that segment rules may use: one row per scored customer.

Every customer of ``customer_scores`` (written by ``clientele score``) gets a row, indexed by
``customer_key``. The columns (and their types in the rule language) are :data:`ATTRIBUTES`:

* the scores: ``p_alive``, ``expected_purchases``, ``expected_spend``, ``clv``;
* the RFM summary at the latest fit's observation end, in the fit's time unit: ``frequency``,
  ``recency``, ``T``, ``monetary_value``; and ``purchases`` (count) and ``spend`` (total);
* ``tenure_days``: days from the first purchase to the observation end;
* from the customer records of the key: ``city`` and ``acquisition_channel`` (of the earliest
  record that has one), ``signup_age_days`` (days from the earliest signup date to the
  observation end), ``records`` (source records merged into the key) and ``sources`` (distinct
  source systems);
* ``nps``: the customer's latest survey answer (missing if none); ``surveys``: answers given.

The SQL here is fixed text; no user input is ever part of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientele.errors import StoreError
from clientele.segments.rules import NUMBER, TEXT

#: column -> type in the rule language
ATTRIBUTES: dict[str, str] = {
    "p_alive": NUMBER,
    "expected_purchases": NUMBER,
    "expected_spend": NUMBER,
    "clv": NUMBER,
    "frequency": NUMBER,
    "recency": NUMBER,
    "T": NUMBER,
    "monetary_value": NUMBER,
    "purchases": NUMBER,
    "spend": NUMBER,
    "tenure_days": NUMBER,
    "signup_age_days": NUMBER,
    "records": NUMBER,
    "sources": NUMBER,
    "nps": NUMBER,
    "surveys": NUMBER,
    "city": TEXT,
    "acquisition_channel": TEXT,
    "customer_key": TEXT,
}

_SCORES = "SELECT customer_key, p_alive, expected_purchases, expected_spend, clv FROM customer_scores"

_PURCHASES = """
SELECT customer_key, count(*) AS purchases, sum(amount) AS spend, min(timestamp) AS first_purchase
FROM purchases WHERE CAST(timestamp AS DATE) <= ? GROUP BY customer_key
"""

_RECORDS = """
SELECT i.customer_key,
       first(c.city ORDER BY c.signup_date NULLS LAST, c.source, c.customer_id)
           FILTER (WHERE c.city IS NOT NULL) AS city,
       first(c.acquisition_channel ORDER BY c.signup_date NULLS LAST, c.source, c.customer_id)
           FILTER (WHERE c.acquisition_channel IS NOT NULL) AS acquisition_channel,
       min(c.signup_date) AS signup_date,
       count(DISTINCT i.source || ':' || i.customer_id) AS records,
       count(DISTINCT i.source) AS sources
FROM identities i
JOIN customers c ON c.source = i.source AND c.customer_id = i.customer_id
GROUP BY i.customer_key
"""


def customer_attributes(store: Any) -> pd.DataFrame:
    """One row per scored customer with the columns of :data:`ATTRIBUTES` (index ``customer_key``).

    Raises
    ------
    StoreError
        When the store has no customer scores ("run `clientele fit` and `clientele score`").
    """
    from clientele.indicators import surveys_frame
    from clientele.pipeline import latest_fit
    from clientele.pipeline.fit import store_rfm

    con = store.con
    scores = con.execute(_SCORES).df()
    if scores.empty:
        raise StoreError(
            f"{store.path}: the store has no customer scores; run `clientele fit` and `clientele score` first"
        )
    scores["customer_key"] = scores["customer_key"].astype(str)
    frame = scores.set_index("customer_key")
    fit = latest_fit(store)
    end = pd.Timestamp(fit.observation_end)
    rfm = store_rfm(store, observation_end=fit.observation_end, time_unit=fit.time_unit)
    rfm.index = rfm.index.astype(str)
    frame = frame.join(rfm[["frequency", "recency", "T", "monetary_value"]].astype(np.float64), how="left")

    bought = con.execute(_PURCHASES, [end.date()]).df()
    bought["customer_key"] = bought["customer_key"].astype(str)
    bought = bought.set_index("customer_key")
    frame = frame.join(bought[["purchases", "spend"]].astype(np.float64), how="left")
    first = pd.to_datetime(bought["first_purchase"]).dt.normalize()
    frame["tenure_days"] = ((end - first).dt.days.astype(np.float64)).reindex(frame.index)
    frame[["purchases", "spend"]] = frame[["purchases", "spend"]].fillna(0.0)

    records = con.execute(_RECORDS).df()
    records["customer_key"] = records["customer_key"].astype(str)
    records = records.set_index("customer_key")
    signup = pd.to_datetime(records["signup_date"])
    records["signup_age_days"] = (end - signup).dt.days.astype(np.float64)
    frame = frame.join(records[["city", "acquisition_channel", "signup_age_days", "records", "sources"]], how="left")
    frame[["records", "sources"]] = frame[["records", "sources"]].astype(np.float64).fillna(0.0)
    for column in ("city", "acquisition_channel"):
        frame[column] = frame[column].astype("string")

    answers = surveys_frame(store)
    if len(answers):
        answers = answers.sort_values("timestamp", kind="stable")
        keys = answers["customer_key"].astype(str)
        frame["nps"] = answers.groupby(keys)["nps"].last().astype(np.float64).reindex(frame.index)
        frame["surveys"] = answers.groupby(keys).size().astype(np.float64).reindex(frame.index).fillna(0.0)
    else:
        frame["nps"] = np.nan
        frame["surveys"] = 0.0
    frame["customer_key"] = pd.array(frame.index.to_numpy(dtype=object), dtype="string")
    frame.attrs.update(observation_end=end.date().isoformat(), time_unit=fit.time_unit)
    return frame[list(ATTRIBUTES)]
