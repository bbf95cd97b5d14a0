"""Pairwise quality of a resolution against known identities.

A *pair* is two records of one cluster. With ``P`` the predicted pairs (same customer key) and
``T`` the true pairs (same person), pairwise precision is ``|P & T| / |P|`` and recall
``|P & T| / |T|`` (Christen, 2012, *Data Matching*, section 7.3). Counts come from the
contingency table of (key, person) without listing pairs: a group of ``n`` records holds
``n (n - 1) / 2`` pairs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from clientele.errors import InputError


def _pairs(sizes: pd.Series) -> int:
    n = sizes.to_numpy(dtype=np.int64)
    return int((n * (n - 1) // 2).sum())


@dataclass(frozen=True)
class Quality:
    """Pairwise precision and recall of a resolution, and the counts behind them."""

    records: int
    people: int
    customer_keys: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float

    def to_dict(self) -> dict:
        """The fields as a dict."""
        return asdict(self)


def pairwise_quality(keys: pd.DataFrame, truth: pd.DataFrame) -> Quality:
    """Pairwise precision, recall and F1 of ``keys`` against ``truth``.

    Parameters
    ----------
    keys
        ``unique_id, customer_key`` per record.
    truth
        ``unique_id, person_id`` per record (records missing from ``truth`` are ignored).

    Examples
    --------
    >>> keys = pd.DataFrame({"unique_id": list("abcd"), "customer_key": ["k1", "k1", "k1", "k2"]})
    >>> truth = pd.DataFrame({"unique_id": list("abcd"), "person_id": [1, 1, 2, 2]})
    >>> q = pairwise_quality(keys, truth)
    >>> q.predicted_pairs, q.true_pairs, q.correct_pairs, round(q.precision, 3), q.recall
    (3, 2, 1, 0.333, 0.5)
    """
    for frame, col, what in ((keys, "customer_key", "keys"), (truth, "person_id", "truth")):
        missing = [c for c in ("unique_id", col) if c not in frame.columns]
        if missing:
            raise InputError(f"the {what} need columns unique_id and {col}", column=missing[0])
    both = keys[["unique_id", "customer_key"]].merge(truth[["unique_id", "person_id"]], on="unique_id", how="inner")
    both = both.dropna(subset=["person_id"])
    predicted = _pairs(both.groupby("customer_key", sort=False).size())
    true = _pairs(both.groupby("person_id", sort=False).size())
    correct = _pairs(both.groupby(["customer_key", "person_id"], sort=False).size())
    precision = correct / predicted if predicted else 1.0
    recall = correct / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Quality(
        records=len(both),
        people=int(both["person_id"].nunique()),
        customer_keys=int(both["customer_key"].nunique()),
        predicted_pairs=predicted,
        true_pairs=true,
        correct_pairs=correct,
        precision=float(precision),
        recall=float(recall),
        f1=float(f1),
    )
