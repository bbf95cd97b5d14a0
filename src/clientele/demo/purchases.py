"""Purchases and returns of the demo company's people.

Purchase times follow the BG/NBD process (Fader, Hardie & Lee 2005, "Counting your customers the
easy way", Marketing Science 24(2), section 2): a person's first purchase is at acquisition
(time 0); while alive, purchases arrive as a Poisson process with rate ``lambda``; after each
repeat purchase the person drops out for good with probability ``p``. Over ``(0, T]`` a person
therefore makes ``min(N, J)`` repeat purchases, ``N ~ Poisson(lambda T)`` the events of the
process and ``J ~ Geometric(p)`` the repeat purchase after which they drop out; the purchases are
the first ``min(N, J)`` of ``N`` uniform order statistics on ``(0, T]``.

Spend per purchase follows the Gamma-Gamma model (Fader & Hardie 2013, "The Gamma-Gamma model of
monetary value", eq. 1): ``z ~ Gamma(p, rate=nu)`` with the person's ``nu``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clientele.demo.catalog import RETURN_RATE, pick_products
from clientele.demo.clock import Window, time_of_day
from clientele.demo.segments import CATEGORIES, SEGMENTS, Segment

#: Mean days between a purchase and its return.
RETURN_DELAY_DAYS = 6.0
#: Share of returns that give back the whole purchase (the rest return part of the quantity).
FULL_RETURN_SHARE = 0.7


def purchase_times(rng: np.random.Generator, people: pd.DataFrame, window: Window) -> tuple[pd.DataFrame, dict]:
    """Every purchase of every person by the BG/NBD process, in days since the window start.

    Returns
    -------
    purchases
        ``person`` (row of ``people``), ``k`` (0 for the first purchase, then 1, 2, ... for repeat
        purchases), ``t`` (float days since the window start, before the time-of-day adjustment).
    truth
        Per person arrays: ``repeat_purchases`` (x), ``T_weeks`` (the person's time from
        acquisition to the end of the window), ``alive_at_end``, ``dropout_day`` (NaN if alive).
    """
    n = len(people)
    acquired = people["acquired_day"].to_numpy()
    T_days = window.days - acquired
    T = T_days / 7.0
    lam = people["lambda"].to_numpy()
    N = rng.poisson(lam * T)
    J = rng.geometric(np.clip(people["p"].to_numpy(), 1e-12, 1.0))
    x = np.minimum(N, J)
    person = np.repeat(np.arange(n), x)
    # the first x of N uniform order statistics: U_(i) = S_i / (S_x + G), S_i partial sums of
    # standard exponentials and G ~ Gamma(N + 1 - x) the rest of the N + 1 spacings
    cum = np.concatenate([[0.0], np.cumsum(rng.standard_exponential(len(person)))])
    starts = np.cumsum(x) - x
    S = cum[1:] - np.repeat(cum[starts], x)
    last = cum[starts + x] - cum[starts]
    total = last + rng.gamma(np.maximum(N + 1 - x, 1).astype(float))
    u = S / total[person]
    k = np.arange(len(person)) - np.repeat(starts, x) + 1
    repeat_t = acquired[person] + u * T_days[person]

    purchases = pd.DataFrame(
        {
            "person": np.concatenate([np.arange(n), person]),
            "k": np.concatenate([np.zeros(n, dtype=np.int64), k]),
            "t": np.concatenate([acquired, repeat_t]),
        }
    ).sort_values(["person", "k"], kind="stable", ignore_index=True)
    dropped = J <= N
    dropout_day = np.full(n, np.nan)
    dropout_day[dropped] = repeat_t[np.cumsum(x)[dropped] - 1]
    truth = {"repeat_purchases": x, "T_weeks": T, "alive_at_end": ~dropped, "dropout_day": dropout_day}
    return purchases, truth


def dress_purchases(
    rng: np.random.Generator,
    purchases: pd.DataFrame,
    people: pd.DataFrame,
    products: pd.DataFrame,
    window: Window,
    segments: tuple[Segment, ...] = SEGMENTS,
) -> pd.DataFrame:
    """Add channel, time of day, spend, category, product and quantity to the purchases.

    People with both a web account and a loyalty card buy online with their segment's
    ``web_share`` (their first purchase is in the system that acquired them); everybody else buys
    only through the system that knows them. The purchase day stays the one of the BG/NBD
    process; the time of day follows the channel's busy hours (never before the acquisition).
    """
    person = purchases["person"].to_numpy()
    m = len(person)
    first = purchases["k"].to_numpy() == 0
    primary_web = people["primary_source"].to_numpy()[person] == "webshop"
    both = people["in_both"].to_numpy()[person]
    web = np.where(first | ~both, primary_web, rng.random(m) < people["web_share"].to_numpy()[person])

    t = purchases["t"].to_numpy()
    acquired = people["acquired_day"].to_numpy()[person]
    repeat_t = np.floor(t) + time_of_day(rng, web)
    repeat_t = np.clip(np.maximum(repeat_t, acquired + 60 / 86_400), None, window.days - 1 / 86_400)
    t = np.where(first, t, repeat_t)

    p_gg = np.array([s.p for s in segments])[people["segment_id"].to_numpy()[person]]
    amount = np.maximum(np.round(rng.gamma(p_gg, 1.0 / people["nu"].to_numpy()[person]), 2), 0.01)

    pref = people[[f"pref_{c}" for c in CATEGORIES]].to_numpy()
    cum = np.cumsum(pref, axis=1)[person]
    category = np.minimum((rng.random(m)[:, None] > cum).sum(axis=1), len(CATEGORIES) - 1)
    product = pick_products(products, category, rng.random(m))
    price = products["list_price"].to_numpy()[product]
    quantity = np.clip(np.rint(amount / price), 1, 99).astype(np.int64)

    out = purchases.assign(t=t, web=web, amount=amount, category_id=category, product=product, quantity=quantity)
    return out


def draw_returns(rng: np.random.Generator, purchases: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Returns of some purchases (chance by category, :data:`~clientele.demo.catalog.RETURN_RATE`).

    A return is a later row of the same account with a negative amount: the whole purchase, or
    part of its quantity at the same unit price. Returns that would fall after the window are not
    made (the goods are still at home).
    """
    rate = np.array([RETURN_RATE[c] for c in CATEGORIES])[purchases["category_id"].to_numpy()]
    m = len(purchases)
    chosen = rng.random(m) < rate
    ret = purchases.loc[chosen].copy()
    delay = 1.0 + rng.exponential(RETURN_DELAY_DAYS, len(ret))
    ret["t"] = ret["t"].to_numpy() + delay
    q = ret["quantity"].to_numpy()
    full = (rng.random(len(ret)) < FULL_RETURN_SHARE) | (q == 1)
    back = np.where(full, q, 1 + np.floor(rng.random(len(ret)) * (q - 1)).astype(np.int64))
    ret["amount"] = -np.round(ret["amount"].to_numpy() * back / q, 2)
    ret["quantity"] = -back
    ret["returned_purchase"] = ret.index.to_numpy()
    return ret.loc[ret["t"].to_numpy() < window.days]
