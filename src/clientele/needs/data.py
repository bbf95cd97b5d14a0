"""What the needs analysis reads from the store, and the checks on a segment membership.

Purchases and survey answers are read by customer key (``customer_keys`` after identity
resolution, else ``source:customer_id``, the same rule as the store's ``purchases`` view).
Category and brand come from the transaction, or else from the product catalogue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clientele.errors import InputError

if TYPE_CHECKING:
    from clientele.store import Store

#: Label of purchases whose category or brand is unknown.
UNKNOWN = "(unknown)"

_LINES = f"""
SELECT coalesce(k.customer_key, t.source || ':' || t.customer_id) AS customer_key,
       t.timestamp,
       t.amount,
       t.product_id,
       coalesce(t.category, p.category, '{UNKNOWN}') AS category,
       coalesce(t.brand, p.brand, '{UNKNOWN}') AS brand
FROM transactions t
LEFT JOIN customer_keys k ON k.source = t.source AND k.customer_id = t.customer_id
LEFT JOIN (SELECT product_id, any_value(category) AS category, any_value(brand) AS brand
           FROM products GROUP BY product_id) p ON p.product_id = t.product_id
WHERE NOT t.is_return AND t.amount > 0
ORDER BY t.timestamp, customer_key
"""

_ANSWERS = """
SELECT coalesce(k.customer_key, s.source || ':' || s.customer_id) AS customer_key,
       s.timestamp,
       s.nps,
       s.comment
FROM surveys s
LEFT JOIN customer_keys k ON k.source = s.source AND k.customer_id = s.customer_id
ORDER BY s.timestamp, customer_key
"""


def purchase_lines(store: Store) -> pd.DataFrame:
    """Every purchase (returns left out): ``customer_key, timestamp, amount, product_id, category, brand``."""
    return store.con.execute(_LINES).df()


def survey_answers(store: Store) -> pd.DataFrame:
    """Every survey answer: ``customer_key, timestamp, nps, comment`` (comment may be missing)."""
    return store.con.execute(_ANSWERS).df()


def customer_values(store: Store, lines: pd.DataFrame) -> pd.Series:
    """Each buying customer's value, used to match customers of similar value.

    The CLV of the store's scoring (``customer_scores``, see :func:`clientele.pipeline.score_store`)
    when every buying customer has one; otherwise (no scoring yet, or purchases loaded after it)
    the customer's total spend. Returns a Series named ``value`` indexed by customer key, with
    ``attrs["source"]`` set to ``"clv"`` or ``"spend"``.
    """
    spend = lines.groupby("customer_key")["amount"].sum()
    scores = store.con.execute(
        "SELECT customer_key, any_value(clv) AS clv FROM customer_scores "
        "GROUP BY customer_key"
    ).df()
    clv = scores.set_index("customer_key")["clv"].reindex(spend.index)
    if len(scores) and clv.notna().all():
        value, source = clv, "clv"
    else:
        value, source = spend, "spend"
    value = value.rename("value")
    value.attrs["source"] = source
    return value


def is_member(keys: pd.Series | pd.Index, members: pd.Index) -> np.ndarray:
    """Boolean array: which of ``keys`` are in ``members`` (hashing as Python objects, which is
    several times faster than ``isin`` on Arrow-backed strings)."""
    return pd.Index(keys).astype(object).isin(pd.Index(members).astype(object))


def check_membership(membership: pd.DataFrame) -> pd.DataFrame:
    """A membership frame with string ``customer_key`` and ``segment``; duplicates dropped.

    Raises
    ------
    InputError
        Not a DataFrame, a column is missing, or a key or segment is missing (names the row).
    """
    if not isinstance(membership, pd.DataFrame):
        raise InputError("the membership must be a table with columns customer_key and segment",
                         value=type(membership).__name__)
    for column in ("customer_key", "segment"):
        if column not in membership.columns:
            raise InputError(
                f"the membership has no {column} column; expected columns customer_key and segment",
                column=column, value=list(map(str, membership.columns)),
            )
        missing = membership[column].isna().to_numpy()
        if missing.any():
            row = int(missing.argmax()) + 1
            raise InputError(f"every membership row needs a {column}", line=row, column=column)
    out = membership[["customer_key", "segment"]].astype({"customer_key": str, "segment": str})
    return out.drop_duplicates(ignore_index=True)


def members_of(membership: pd.DataFrame, segment: str) -> pd.Index:
    """The customer keys in ``segment``.

    Raises
    ------
    InputError
        The segment is not in the membership (the message lists the known segments).
    """
    keys = membership.loc[membership["segment"] == str(segment), "customer_key"]
    if keys.empty:
        known = sorted(membership["segment"].unique())
        shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        raise InputError(f"no such segment; expected one of: {shown or '(none)'}", column="segment", value=segment)
    return pd.Index(keys.unique(), name="customer_key")
