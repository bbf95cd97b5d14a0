"""Surveys and referrals read from the customer store, with customer keys."""

from __future__ import annotations

from typing import Any

import pandas as pd


def _key(store: Any, alias: str, id_col: str) -> tuple[str, str]:
    """SQL for the customer key of ``alias.id_col`` and the join that provides it."""
    if "identities" in store.table_names():
        join = f" LEFT JOIN identities k_{id_col} ON k_{id_col}.source = {alias}.source AND k_{id_col}.customer_id = {alias}.{id_col}"
        return f"coalesce(k_{id_col}.customer_key, {alias}.source || ':' || {alias}.{id_col})", join
    return f"{alias}.source || ':' || {alias}.{id_col}", ""


def surveys_frame(store: Any, until: Any = None) -> pd.DataFrame:
    """Survey answers: ``customer_key``, ``timestamp``, ``nps`` (up to the day ``until``)."""
    key, join = _key(store, "s", "customer_id")
    sql = f"SELECT {key} AS customer_key, s.timestamp, s.nps FROM surveys s{join}"
    params: list[Any] = []
    if until is not None:
        sql += " WHERE CAST(s.timestamp AS DATE) <= ?"
        params.append(pd.Timestamp(until).date())
    frame = store.con.execute(sql + " ORDER BY s.timestamp", params).df()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def referrals_frame(store: Any, until: Any = None) -> pd.DataFrame:
    """Referrals: ``referrer``, ``referee`` (customer keys), ``timestamp`` (up to the day ``until``)."""
    referrer, join_a = _key(store, "r", "referrer_id")
    referee, join_b = _key(store, "r", "referee_id")
    sql = f"SELECT {referrer} AS referrer, {referee} AS referee, r.timestamp FROM referrals r{join_a}{join_b}"
    params: list[Any] = []
    if until is not None:
        sql += " WHERE r.timestamp IS NULL OR CAST(r.timestamp AS DATE) <= ?"
        params.append(pd.Timestamp(until).date())
    frame = store.con.execute(sql + " ORDER BY r.timestamp", params).df()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame
