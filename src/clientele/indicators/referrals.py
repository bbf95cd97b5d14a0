"""Customer referral value (CRV) after Kumar, Petersen & Leone (2007), "How valuable is word of
mouth?", Harvard Business Review 85(10).

A referral is worth what it brings that the firm would not have had otherwise. For each
referred customer (referee) the referrer is credited

.. math:: s \\, V_{referee} + (1 - s) \\, c

where ``s`` (``incremental_share``) is the probability that the referee would not have joined
without the referral -- then the referee's whole value ``V`` is owed to the referrer -- and
otherwise only the acquisition cost ``c`` the referral saved. A referrer's CRV is the sum over
their referees. Kumar et al. estimate ``s`` by asking referred customers whether they would have
joined anyway; clientele's default ``s = 0.5`` is an assumption (no published constant), to be
replaced by such a survey's answer.

Each referee is credited once, to the referrer of their earliest referral; self-referrals are
ignored. A referee without a value (e.g. never purchased) brings ``V = 0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientele.errors import InputError

DEFAULT_INCREMENTAL_SHARE = 0.5


def credited_referrals(referrals: pd.DataFrame) -> pd.DataFrame:
    """The referrals that are credited: one per referee (the earliest), no self-referrals.

    ``referrals`` has columns ``referrer`` and ``referee`` (customer keys) and optionally
    ``timestamp``.
    """
    missing = [c for c in ("referrer", "referee") if c not in referrals.columns]
    if missing:
        raise InputError(f"the referrals lack column(s) {missing}; they have {list(referrals.columns)}",
                         column=missing[0])
    for col in ("referrer", "referee"):
        if referrals[col].isna().any():
            row = int(np.flatnonzero(referrals[col].isna().to_numpy())[0])
            raise InputError("a referral needs both customers", column=col, line=row + 1, value=None)
    frame = referrals[referrals["referrer"] != referrals["referee"]].copy()
    order = ["timestamp"] if "timestamp" in frame.columns else []
    frame = frame.sort_values(order + ["referee", "referrer"], kind="stable", na_position="last")
    return frame.drop_duplicates("referee", keep="first")


def referral_value(
    referrals: pd.DataFrame,
    value: pd.Series,
    incremental_share: float = DEFAULT_INCREMENTAL_SHARE,
    acquisition_cost: float = 0.0,
) -> pd.DataFrame:
    """Each referrer's customer referral value (see the module docstring).

    Parameters
    ----------
    referrals
        ``referrer``, ``referee`` (customer keys), optional ``timestamp``.
    value
        Each customer's value ``V`` (index: customer key), e.g. past margin plus CLV.
    incremental_share
        ``s``: probability that a referee would not have joined without the referral.
    acquisition_cost
        ``c``: what acquiring a customer otherwise costs.

    Returns
    -------
    DataFrame
        Indexed by ``referrer``, largest CRV first: ``referrals`` (credited), ``referee_value``
        (sum of ``V``), ``crv``.

    Examples
    --------
    >>> import pandas as pd
    >>> graph = pd.DataFrame({"referrer": ["ann", "ann"], "referee": ["bob", "cy"]})
    >>> referral_value(graph, pd.Series({"bob": 100.0, "cy": 50.0}), incremental_share=0.4,
    ...                acquisition_cost=10.0)["crv"].tolist()
    [72.0]
    """
    if not (0.0 <= float(incremental_share) <= 1.0):
        raise InputError("incremental_share must be a probability between 0 and 1", value=incremental_share)
    if not np.isfinite(acquisition_cost) or acquisition_cost < 0:
        raise InputError("acquisition_cost must be a finite number >= 0", value=acquisition_cost)
    credited = credited_referrals(referrals)
    v = pd.Series(value, dtype="float64")
    referee_value = v.reindex(credited["referee"]).fillna(0.0).to_numpy()
    credit = incremental_share * referee_value + (1.0 - incremental_share) * acquisition_cost
    frame = pd.DataFrame({"referrer": credited["referrer"].to_numpy(), "referee_value": referee_value, "crv": credit})
    out = frame.groupby("referrer").agg(referrals=("crv", "size"), referee_value=("referee_value", "sum"),
                                        crv=("crv", "sum"))
    return out.sort_values(["crv", "referrals"], ascending=False)


def referrals_by_month(referrals: pd.DataFrame) -> pd.Series:
    """Credited referrals per calendar month of their timestamp (undated ones are left out)."""
    credited = credited_referrals(referrals)
    if "timestamp" not in credited.columns:
        return pd.Series(dtype="int64", name="referrals")
    months = pd.to_datetime(credited["timestamp"]).dropna().dt.to_period("M")
    return months.value_counts().sort_index().rename("referrals")


def referral_summary(crv: pd.DataFrame) -> dict[str, Any]:
    """Totals of a :func:`referral_value` frame: referrers, referrals, referee value, CRV."""
    return {
        "referrers": int(len(crv)),
        "referrals": int(crv["referrals"].sum()) if len(crv) else 0,
        "referee_value": float(crv["referee_value"].sum()) if len(crv) else 0.0,
        "crv": float(crv["crv"].sum()) if len(crv) else 0.0,
    }
