"""What customers say: support contacts after purchases and returns, and survey answers whose
comment themes (and through them the scores) depend on the hidden segment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clientele.demo.clock import time_of_day
from clientele.demo.names import choice
from clientele.demo.segments import NPS_BY_POLARITY, SEGMENTS, THEMES, Segment

#: Topics of support contacts about a purchase, by where it was bought.
WEB_TOPICS = {"delivery": 40, "product question": 25, "billing": 15, "account": 20}
STORE_TOPICS = {"product question": 45, "billing": 25, "complaint": 30}
#: Contact channels, by where the purchase was made.
WEB_CONTACT = {"chat": 40, "email": 35, "phone": 25}
STORE_CONTACT = {"phone": 45, "store desk": 55}
#: Chance that a contact on the topic is resolved.
RESOLVED = {"delivery": 0.80, "product question": 0.90, "billing": 0.85, "account": 0.92, "complaint": 0.70, "return": 0.88}
#: Chance that a return leads to a contact (topic "return").
RETURN_CONTACT = 0.5
#: Mean days from a purchase (or return) to the contact about it.
CONTACT_DELAY_DAYS = 3.0

#: Chance that a purchase is followed by a survey that is answered.
SURVEY_RESPONSE = 0.04
#: Chance that an answer has a comment, and that a comment mentions a second theme.
COMMENTED = 0.8
SECOND_THEME = 0.25
#: Mean days from the purchase to the answer (at least one day).
SURVEY_DELAY_DAYS = 3.0


def draw_interactions(
    rng: np.random.Generator,
    purchases: pd.DataFrame,
    returns: pd.DataFrame,
    people: pd.DataFrame,
    window_days: int,
    segments: tuple[Segment, ...] = SEGMENTS,
) -> pd.DataFrame:
    """Support contacts: ``account`` (row), ``person``, ``t``, ``channel``, ``topic``, ``resolved``.

    A purchase leads to a contact with its segment's ``support_rate``, a return with
    :data:`RETURN_CONTACT`; contacts that would fall after the window are not made.
    """
    rate = np.array([s.support_rate for s in segments])[people["segment_id"].to_numpy()[purchases["person"].to_numpy()]]
    about = purchases.loc[rng.random(len(purchases)) < rate, ["account", "person", "t", "web"]]
    topic = np.where(
        about["web"].to_numpy(),
        choice(rng, WEB_TOPICS, len(about)),
        choice(rng, STORE_TOPICS, len(about)),
    )
    ret = returns.loc[rng.random(len(returns)) < RETURN_CONTACT, ["account", "person", "t", "web"]]
    contacts = pd.concat(
        [about.assign(topic=topic), ret.assign(topic="return")], ignore_index=True
    )
    k = len(contacts)
    web = contacts["web"].to_numpy()
    # on a later day (office hours of the channel), never before what it is about
    after = contacts["t"].to_numpy()
    at = np.floor(after + rng.exponential(CONTACT_DELAY_DAYS, k)) + time_of_day(rng, web)
    contacts["t"] = np.where(at > after, at, after + rng.uniform(0.02, 0.2, k))
    contacts["channel"] = np.where(web, choice(rng, WEB_CONTACT, k), choice(rng, STORE_CONTACT, k))
    p_resolved = contacts["topic"].map(RESOLVED).to_numpy(dtype=float)
    contacts["resolved"] = rng.random(k) < p_resolved
    contacts = contacts.loc[contacts["t"].to_numpy() < window_days].drop(columns="web")
    return contacts.sort_values("t", kind="stable", ignore_index=True)


def draw_surveys(
    rng: np.random.Generator,
    purchases: pd.DataFrame,
    people: pd.DataFrame,
    window_days: int,
    segments: tuple[Segment, ...] = SEGMENTS,
) -> pd.DataFrame:
    """Survey answers after purchases: ``account``, ``person``, ``t``, ``nps``, ``comment`` and the
    truth ``theme``, ``second_theme`` (or None) and ``commented``.

    The theme is drawn from the person's segment's theme weights; the score from the theme's
    polarity (:data:`~clientele.demo.segments.NPS_BY_POLARITY`); the comment from the theme's
    phrases (and, for some, a second theme's).
    """
    answered = purchases.loc[rng.random(len(purchases)) < SURVEY_RESPONSE, ["account", "person", "t"]]
    k = len(answered)
    seg = people["segment_id"].to_numpy()[answered["person"].to_numpy()]
    theme = np.empty(k, dtype=object)
    second = np.empty(k, dtype=object)
    for i, s in enumerate(segments):
        rows = np.flatnonzero(seg == i)
        names = np.array(list(s.themes), dtype=object)
        w = np.array(list(s.themes.values()))
        theme[rows] = names[rng.choice(len(names), len(rows), p=w)]
        second[rows] = names[rng.choice(len(names), len(rows), p=w)]
    has_second = (rng.random(k) < SECOND_THEME) & (second != theme)
    second[~has_second] = None
    polarity = np.array([THEMES[t].polarity for t in theme], dtype=np.int64)
    nps = np.empty(k, dtype=np.int64)
    for pol, probs in NPS_BY_POLARITY.items():
        rows = polarity == pol
        nps[rows] = rng.choice(11, int(rows.sum()), p=probs)
    commented = rng.random(k) < COMMENTED
    comment = _sentences(_phrases(rng, theme))
    extra = _sentences(_phrases(rng, np.where(has_second, second, theme)))
    comment = np.where(has_second, comment + " " + extra, comment).astype(object)
    comment[~commented] = None
    out = answered.assign(
        t=answered["t"].to_numpy() + 1.0 + rng.exponential(SURVEY_DELAY_DAYS, k),
        nps=nps,
        comment=comment,
        theme=theme,
        second_theme=second,
        commented=commented,
    )
    out = out.loc[out["t"].to_numpy() < window_days]
    return out.sort_values("t", kind="stable", ignore_index=True)


def _phrases(rng: np.random.Generator, theme: np.ndarray) -> np.ndarray:
    """One phrase of each row's theme, chosen at random."""
    out = np.empty(len(theme), dtype=object)
    for name, t in THEMES.items():
        rows = np.flatnonzero(theme == name)
        out[rows] = np.array(t.phrases, dtype=object)[rng.integers(0, len(t.phrases), len(rows))]
    return out


def _sentences(phrases: np.ndarray) -> np.ndarray:
    """Phrases as sentences: a capital first letter and a full stop."""
    s = pd.Series(phrases, dtype=object)
    return (s.str.slice(0, 1).str.upper() + s.str.slice(1) + ".").to_numpy(dtype=object)
