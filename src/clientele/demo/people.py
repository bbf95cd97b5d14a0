"""The demo company's people: hidden segment, true purchase and spend parameters, when they join,
which systems know them, and who referred whom."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clientele.demo.clock import Window, acquisition_days, time_of_day
from clientele.demo.segments import CATEGORIES, PREFERENCE_CONCENTRATION, SEGMENTS, Segment

#: Share of people with both a web shop account and a loyalty card.
BOTH_SHARE = 0.20
#: Share of people with a second account in the system that acquired them (a duplicate).
DUPLICATE_SHARE = 0.006
#: Share of people acquired by a referral (among those acquired after the first weeks).
REFERRAL_SHARE = 0.08
#: Referrals start after this many days (the programme needs customers who can refer).
REFERRAL_START_DAY = 14

SOURCES = ("webshop", "stores")


def draw_people(
    rng: np.random.Generator, window: Window, n: int, segments: tuple[Segment, ...] = SEGMENTS
) -> pd.DataFrame:
    """One row per person: segment and the true parameters of the processes that drive them.

    Columns: ``person_id`` (``"H0000001"``...), ``segment_id``, ``segment``, ``lambda`` (purchases
    per week while alive) and ``p`` (dropout chance after each repeat purchase) of the BG/NBD
    model (Fader, Hardie & Lee 2005, assumptions i-iv), ``nu`` and ``mean_spend = p_gg / nu``
    of the Gamma-Gamma model (Fader & Hardie 2013, eq. 1-2), ``pref_<category>``, ``web_share``,
    ``acquired_day`` (float days since the window start), ``acquired_at``, ``primary_source``,
    ``in_both``, ``has_duplicate``, ``referred`` (bool; the referrer is set by
    :func:`draw_referrers`).
    """
    shares = np.array([s.share for s in segments])
    seg = rng.choice(len(segments), n, p=shares / shares.sum())
    col = {name: np.array([getattr(s, name) for s in segments])[seg] for name in ("r", "alpha", "a", "b", "q", "gamma")}
    lam = rng.gamma(col["r"], 1.0 / col["alpha"])
    p = rng.beta(col["a"], col["b"])
    nu = rng.gamma(col["q"], 1.0 / col["gamma"])
    pref_seg = np.array([s.categories for s in segments])[seg]
    g = rng.gamma(PREFERENCE_CONCENTRATION * pref_seg)
    pref = g / g.sum(axis=1, keepdims=True)
    web_share = np.array([s.web_share for s in segments])[seg]

    primary_web = rng.random(n) < web_share
    referred = rng.random(n) < REFERRAL_SHARE
    day = np.where(
        referred,
        acquisition_days(rng, window, n, earliest=REFERRAL_START_DAY),
        acquisition_days(rng, window, n),
    )
    acquired_day = day + time_of_day(rng, primary_web)

    people = pd.DataFrame(
        {
            "person_id": _ids("H", n),
            "segment_id": seg,
            "segment": np.array([s.name for s in segments], dtype=object)[seg],
            "lambda": lam,
            "p": p,
            "nu": nu,
            "mean_spend": np.array([s.p for s in segments])[seg] / nu,
        }
    )
    for k, c in enumerate(CATEGORIES):
        people[f"pref_{c}"] = pref[:, k]
    people["web_share"] = web_share
    people["acquired_day"] = acquired_day
    people["acquired_at"] = window.timestamps(acquired_day)
    people["primary_source"] = np.where(primary_web, SOURCES[0], SOURCES[1]).astype(object)
    people["in_both"] = rng.random(n) < BOTH_SHARE
    people["has_duplicate"] = rng.random(n) < DUPLICATE_SHARE
    people["referred"] = referred
    return people


def draw_referrers(rng: np.random.Generator, people: pd.DataFrame, segments: tuple[Segment, ...] = SEGMENTS) -> np.ndarray:
    """Row number of each referred person's referrer (-1 for people not referred).

    The referrer is someone acquired by the same system on an earlier day, chosen with chance
    proportional to their segment's ``referral_weight``. A referred person with nobody eligible
    (acquired on the first day of their system) stays unreferred.
    """
    n = len(people)
    referrer = np.full(n, -1, dtype=np.int64)
    weight_seg = np.array([s.referral_weight for s in segments])
    day = np.floor(people["acquired_day"].to_numpy())
    referred = people["referred"].to_numpy()
    for source in SOURCES:
        members = np.flatnonzero(people["primary_source"].to_numpy() == source)
        order = members[np.argsort(day[members], kind="stable")]
        cum = np.cumsum(weight_seg[people["segment_id"].to_numpy()[order]])
        targets = members[referred[members]]
        eligible = np.searchsorted(day[order], day[targets], side="left")  # acquired strictly earlier
        ok = eligible > 0
        u = rng.random(len(targets)) * np.where(ok, cum[np.maximum(eligible - 1, 0)], 0.0)
        pick = np.minimum(np.searchsorted(cum, u, side="right"), np.maximum(eligible - 1, 0))
        referrer[targets[ok]] = order[pick[ok]]
    return referrer


def _ids(prefix: str, n: int, width: int = 7) -> np.ndarray:
    width = max(width, len(str(n)))
    return (prefix + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)).to_numpy(dtype=object)
