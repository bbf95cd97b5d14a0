"""The demo company's campaign history (randomised, with known true effects) and product budget.

:func:`generate_campaigns` simulates what a marketing department that tests its spend would
have on file: for every hidden segment (:data:`clientele.demo.segments.SEGMENTS`) and lever,

* **retention** and **cross_sell**: waves of a campaign, each reaching customers of the segment
  drawn at random; every customer is randomly given one of the spend levels (0 = control) and
  the outcome in the 90 days after is drawn from the true response curve
  ``y = c + a (1 - exp(-s / b))`` (:mod:`clientele.budget.response`): retained ~ Bernoulli,
  purchases ~ Poisson, revenue = purchases x the person's mean spend;
* **acquisition**: region x channel cells, each wave giving every cell a random spend level;
  new customers ~ Poisson(true curve).

The true ``(a, b, c)`` per segment x lever are in the returned truth, so the estimates can be
checked against them. The records carry the targeted segment's name (the campaign targeted the
segment) and the customer's primary account, and load through ``Store.load("campaigns", ...)``.

The current budget is product-centric: every category (product line) has a brand manager who
spends on the three levers in fixed proportions, reaching that category's buyers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clientele.errors import InputError

if TYPE_CHECKING:
    from clientele.demo.company import DemoCompany

#: Spend levels per customer (retention, cross_sell) or per cell (acquisition); 0 = control.
SPEND_LEVELS: dict[str, tuple[float, ...]] = {
    "retention": (0.0, 5.0, 10.0, 20.0, 40.0),
    "cross_sell": (0.0, 2.0, 5.0, 10.0, 20.0),
    "acquisition": (0.0, 1000.0, 2500.0, 5000.0, 10000.0),
}

#: True response ``(a, b, c)`` by segment and lever: largest effect, spend scale, control level.
TRUE_RESPONSES: dict[tuple[str, str], tuple[float, float, float]] = {
    ("young families", "retention"): (0.10, 8.0, 0.62),
    ("young families", "cross_sell"): (0.50, 4.0, 1.10),
    ("young families", "acquisition"): (40.0, 3000.0, 12.0),
    ("gadget lovers", "retention"): (0.06, 15.0, 0.55),
    ("gadget lovers", "cross_sell"): (0.30, 6.0, 0.60),
    ("gadget lovers", "acquisition"): (25.0, 2500.0, 8.0),
    ("bargain hunters", "retention"): (0.04, 10.0, 0.70),
    ("bargain hunters", "cross_sell"): (0.20, 3.0, 1.40),
    ("bargain hunters", "acquisition"): (60.0, 4000.0, 20.0),
    ("style seekers", "retention"): (0.14, 12.0, 0.50),
    ("style seekers", "cross_sell"): (0.45, 8.0, 0.80),
    ("style seekers", "acquisition"): (30.0, 2000.0, 10.0),
}

REGIONS = ("north", "south", "east", "west", "centre", "coast", "mountains", "capital")
CHANNELS = ("search", "social", "tv", "radio", "print")
WINDOW_DAYS = 90
#: Share of the product-centric budget each category manager spends on each lever.
PRODUCT_LEVER_SHARES = {"retention": 0.45, "cross_sell": 0.35, "acquisition": 0.20}


def generate_campaigns(
    company: DemoCompany,
    seed: int = 0,
    *,
    per_level: int = 1000,
    waves: int = 3,
    budget_per_customer: float = 2.0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Campaign records, the product-centric current budget and the true responses.

    Parameters
    ----------
    company
        :func:`clientele.demo.generate`'s company.
    seed
        Seed of the campaign draws.
    per_level
        Customer records per spend level of each segment x lever (over all waves).
    waves
        Campaign waves (acquisition: times each cell is tested).
    budget_per_customer
        Size of the current budget per person of the company.

    Returns
    -------
    campaigns : pandas.DataFrame
        ``source`` (``crm``) plus the columns of the store's ``campaigns`` table.
    current_budget : pandas.DataFrame
        ``product_line``, ``manager``, ``lever``, ``spend``.
    truth : pandas.DataFrame
        ``segment``, ``lever``, ``a``, ``b``, ``c`` and ``cells`` (acquisition cells).
    """
    if isinstance(per_level, bool) or not isinstance(per_level, (int, np.integer)) or per_level < 20:
        raise InputError("per_level must be a whole number of at least 20", value=per_level)
    if isinstance(waves, bool) or not isinstance(waves, (int, np.integer)) or waves < 1:
        raise InputError("waves must be a whole number of at least 1", value=waves)
    rng = np.random.default_rng([int(seed), 20261127])
    truth = company.truth
    people = truth.people
    primary = truth.identities[truth.identities["role"] == "primary"].set_index("person_id")
    end = pd.Timestamp(truth.end)
    first_wave = end - pd.Timedelta(days=WINDOW_DAYS + 30 * waves + 30)
    frames = []
    for (segment, lever), (a, b, c) in TRUE_RESPONSES.items():
        levels = np.array(SPEND_LEVELS[lever])
        if lever == "acquisition":
            frames.append(_acquisition(rng, segment, levels, (a, b, c), waves, first_wave))
            continue
        members = people.loc[(people["segment"] == segment) & (people["acquired_at"] < first_wave)]
        if members.empty:
            raise InputError(f"the demo company has no customer of segment {segment!r} before the campaigns; "
                             "generate more customers", value=len(people))
        n = per_level * len(levels)
        who = members.iloc[rng.integers(0, len(members), n)]
        spend = levels[rng.permutation(np.arange(n) % len(levels))]
        mean = c + a * -np.expm1(-spend / b)
        wave = rng.integers(0, waves, n)
        account = primary.loc[who["person_id"].to_numpy()]
        frame = pd.DataFrame({
            "campaign_id": [f"{lever[:3].upper()}-{segment.split()[0][:4].upper()}-{w + 1}" for w in wave],
            "customer_id": account["customer_id"].to_numpy(),
            "customer_source": account["source"].to_numpy(),
            "cell": None,
            "segment": segment,
            "lever": lever,
            "treated": spend > 0,
            "spend": spend,
            "timestamp": first_wave + pd.to_timedelta(wave * 30 + rng.integers(0, 7, n), unit="D"),
            "window_days": WINDOW_DAYS,
        })
        if lever == "retention":
            retained = rng.random(n) < mean
            purchases = np.where(retained, 1 + rng.poisson(0.5, n), 0)
        else:
            purchases = rng.poisson(mean)
            retained = purchases > 0
        frame["retained"] = retained
        frame["purchases"] = purchases.astype(np.int64)
        frame["revenue"] = np.round(purchases * who["mean_spend"].to_numpy(), 2)
        frame["new_customers"] = pd.array([pd.NA] * n, dtype="Int64")
        frames.append(frame)
    campaigns = pd.concat(frames, ignore_index=True)
    campaigns.insert(0, "source", "crm")
    budget = _product_budget(company, budget_per_customer)
    true = pd.DataFrame([{"segment": s, "lever": lev, "a": a, "b": b, "c": c,
                          "cells": len(REGIONS) * len(CHANNELS) if lev == "acquisition" else None}
                         for (s, lev), (a, b, c) in TRUE_RESPONSES.items()])
    return campaigns, budget, true


def _acquisition(rng, segment, levels, abc, waves, first_wave) -> pd.DataFrame:
    a, b, c = abc
    cells = [f"{r}/{ch}" for r in REGIONS for ch in CHANNELS]
    rows = len(cells) * waves
    wave = np.repeat(np.arange(waves), len(cells))
    # each wave gives the levels to the cells in equal numbers, at random
    spend = np.concatenate([levels[rng.permutation(np.arange(len(cells)) % len(levels))] for _ in range(waves)])
    new = rng.poisson(c + a * -np.expm1(-spend / b))
    return pd.DataFrame({
        "campaign_id": [f"ACQ-{segment.split()[0][:4].upper()}-{w + 1}" for w in wave],
        "customer_id": None,
        "customer_source": None,
        "cell": cells * waves,
        "segment": segment,
        "lever": "acquisition",
        "treated": spend > 0,
        "spend": spend,
        "timestamp": first_wave + pd.to_timedelta(wave * 30, unit="D"),
        "window_days": WINDOW_DAYS,
        "retained": pd.array([pd.NA] * rows, dtype="boolean"),
        "purchases": pd.array([pd.NA] * rows, dtype="Int64"),
        "revenue": np.full(rows, np.nan),
        "new_customers": pd.array(new, dtype="Int64"),
    })


def _product_budget(company: DemoCompany, per_customer: float) -> pd.DataFrame:
    """Each category's manager spends in proportion to the category's sales, split over the levers."""
    sales = company.transactions.loc[company.transactions["amount"] > 0].groupby("category")["amount"].sum()
    share = sales / sales.sum()
    total = per_customer * len(company.truth.people)
    rows = []
    for category, w in share.sort_index().items():
        for lever, lw in PRODUCT_LEVER_SHARES.items():
            rows.append({"product_line": category, "manager": f"{category} brand manager", "lever": lever,
                         "spend": round(float(total * w * lw), 2)})
    return pd.DataFrame(rows)
