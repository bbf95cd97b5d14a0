"""The customer 360: everything the store knows about one person, across all sources.

:func:`customer_360` looks up a customer key (or one of its records, ``SOURCE:ID``) and returns a
:class:`Customer360`: the person's records in every source system, their transactions,
support interactions, surveys, the referrals they gave and received, and their scores
(P(alive), expected purchases, CLV) from the ``customer_scores`` table when the store has one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from clientele.errors import InputError
from clientele.identity.resolve import parse_record

#: The frames of a customer 360, in display order.
SECTIONS = ("identities", "transactions", "interactions", "surveys", "referrals_given", "referrals_received", "scores")


@dataclass
class Customer360:
    """Everything known about one customer key.

    Attributes
    ----------
    customer_key
        The key.
    identities
        The key's customer records: ``source, customer_id, name, email, phone, city,
        signup_date, acquisition_channel``.
    transactions, interactions, surveys
        The rows of those tables for the key's records (oldest first), with ``source`` and
        ``customer_id``.
    referrals_given, referrals_received
        Referrals where one of the key's records is the referrer (referee) with the other
        side's customer key.
    scores
        The key's rows of ``customer_scores`` (None if the store has no such table).
    scores_note
        Why ``scores`` is None or empty, in words ("" when there are scores).
    summary
        Headline numbers: records, sources, purchases, spend, returns, first and last purchase,
        interactions, surveys and mean NPS, referrals given and received.
    """

    customer_key: str
    identities: pd.DataFrame
    transactions: pd.DataFrame
    interactions: pd.DataFrame
    surveys: pd.DataFrame
    referrals_given: pd.DataFrame
    referrals_received: pd.DataFrame
    scores: pd.DataFrame | None
    scores_note: str = ""
    summary: dict[str, Any] = field(default_factory=dict)

    def frames(self) -> dict[str, pd.DataFrame | None]:
        """The sections as ``{name: DataFrame}``."""
        return {name: getattr(self, name) for name in SECTIONS}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the key, summary, scores note and each section as a list of row dicts."""
        out: dict[str, Any] = {"customer_key": self.customer_key, "summary": self.summary}
        for name, frame in self.frames().items():
            out[name] = None if frame is None else _records(frame)
        out["scores_note"] = self.scores_note
        return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict(orient="records")


def find_key(store, key: str) -> str:
    """The customer key named by ``key``: a customer key, or a record ``SOURCE:ID`` of one.

    Raises
    ------
    InputError
        If no customer key or record matches.
    """
    con = store.con
    if not isinstance(key, str) or not key.strip():
        raise InputError("give a customer key or a record as SOURCE:CUSTOMER_ID, e.g. webshop:W000123", value=key)
    key = key.strip()
    hit = con.execute("SELECT customer_key FROM identities WHERE customer_key = ? LIMIT 1", [key]).fetchone()
    if hit:
        return hit[0]
    try:
        source, customer_id = parse_record(key)
    except InputError:
        source, customer_id = None, None
    if source is not None:
        hit = con.execute(
            "SELECT customer_key FROM identities WHERE source = ? AND customer_id = ?", [source, customer_id]
        ).fetchone()
        if hit:
            return hit[0]
    raise InputError(
        "no customer key or customer record of that name in the store (keys look like "
        "SOURCE:CUSTOMER_ID, e.g. webshop:W000123; see `clientele resolve`)",
        value=key,
    )


def customer_360(store, key: str) -> Customer360:
    """Everything the store knows about the person behind ``key``.

    Parameters
    ----------
    store
        An open :class:`clientele.store.Store` (read-only is fine).
    key
        A customer key, or any record ``SOURCE:CUSTOMER_ID`` of the person.
    """
    con = store.con
    customer_key = find_key(store, key)
    members = con.execute(
        "SELECT source, customer_id FROM identities WHERE customer_key = ? ORDER BY source, customer_id",
        [customer_key],
    ).df()
    con.register("__c360_members", members)
    try:
        q = lambda sql: con.execute(sql).df()  # noqa: E731
        identities = q(
            "SELECT c.source, c.customer_id, c.name, c.email, c.phone, c.city, c.signup_date, c.acquisition_channel "
            "FROM customers c JOIN __c360_members m USING (source, customer_id) ORDER BY c.signup_date, c.source, c.customer_id"
        )
        transactions = q(
            "SELECT t.timestamp, t.source, t.customer_id, t.transaction_id, t.amount, t.is_return, t.product_id, "
            "t.category, t.brand, t.quantity, t.channel FROM transactions t JOIN __c360_members m USING (source, customer_id) "
            "ORDER BY t.timestamp, t.source, t.transaction_id"
        )
        interactions = q(
            "SELECT i.timestamp, i.source, i.customer_id, i.channel, i.topic, i.resolved FROM interactions i "
            "JOIN __c360_members m USING (source, customer_id) ORDER BY i.timestamp, i.source"
        )
        surveys = q(
            "SELECT s.timestamp, s.source, s.customer_id, s.nps, s.comment FROM surveys s "
            "JOIN __c360_members m USING (source, customer_id) ORDER BY s.timestamp, s.source"
        )
        given = q(
            "SELECT r.timestamp, r.source, r.referrer_id, r.referee_id, "
            "coalesce(k.customer_key, r.source || ':' || r.referee_id) AS referee_key FROM referrals r "
            "JOIN __c360_members m ON m.source = r.source AND m.customer_id = r.referrer_id "
            "LEFT JOIN identities k ON k.source = r.source AND k.customer_id = r.referee_id ORDER BY r.timestamp"
        )
        received = q(
            "SELECT r.timestamp, r.source, r.referrer_id, r.referee_id, "
            "coalesce(k.customer_key, r.source || ':' || r.referrer_id) AS referrer_key FROM referrals r "
            "JOIN __c360_members m ON m.source = r.source AND m.customer_id = r.referee_id "
            "LEFT JOIN identities k ON k.source = r.source AND k.customer_id = r.referrer_id ORDER BY r.timestamp"
        )
    finally:
        con.unregister("__c360_members")
    scores, note = _scores(store, customer_key)
    return Customer360(
        customer_key=customer_key,
        identities=identities,
        transactions=transactions,
        interactions=interactions,
        surveys=surveys,
        referrals_given=given,
        referrals_received=received,
        scores=scores,
        scores_note=note,
        summary=_summary(identities, transactions, interactions, surveys, given, received),
    )


def _scores(store, customer_key: str) -> tuple[pd.DataFrame | None, str]:
    con = store.con
    cols = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'customer_scores' "
            "AND table_schema = 'main' ORDER BY ordinal_position"
        ).fetchall()
    ]
    if not cols:
        return None, "no scores: the store has no customer_scores table yet (fit a model and score customers first)"
    if "customer_key" not in cols:
        return None, "no scores: the customer_scores table has no customer_key column"
    if con.execute("SELECT count(*) FROM customer_scores").fetchone()[0] == 0:
        return None, "no scores yet: the customer_scores table is empty (run `clientele fit` and `clientele score`)"
    frame = con.execute("SELECT * FROM customer_scores WHERE customer_key = ?", [customer_key]).df()
    if frame.empty:
        return frame, "no scores for this customer key (scored before it was created or merged?)"
    return frame, ""


def _summary(identities, transactions, interactions, surveys, given, received) -> dict[str, Any]:
    buys = transactions.loc[~transactions["is_return"].astype(bool)] if len(transactions) else transactions
    rets = transactions.loc[transactions["is_return"].astype(bool)] if len(transactions) else transactions
    return {
        "records": int(len(identities)),
        "sources": sorted(identities["source"].unique().tolist()),
        "purchases": int(len(buys)),
        "spend": float(buys["amount"].sum()) if len(buys) else 0.0,
        "returns": int(len(rets)),
        "returned_amount": float(-rets["amount"].sum()) if len(rets) else 0.0,
        "first_purchase": buys["timestamp"].min() if len(buys) else None,
        "last_purchase": buys["timestamp"].max() if len(buys) else None,
        "interactions": int(len(interactions)),
        "surveys": int(len(surveys)),
        "mean_nps": float(surveys["nps"].mean()) if len(surveys) else None,
        "referrals_given": int(len(given)),
        "referrals_received": int(len(received)),
    }
