"""The demo company's hidden segments and the comment themes their survey answers draw on.

Each segment is a group of people who share a purchase process (BG/NBD, Fader, Hardie & Lee
2005, "Counting your customers the easy way", Marketing Science 24(2), section 2), a spend
process (Gamma-Gamma, Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for customer
base analysis", Journal of Marketing Research 42(4), and Fader & Hardie 2013, "The Gamma-Gamma
model of monetary value", equations 1-2), category preferences, a preferred sales channel and
the themes of their survey comments. The generator never writes a segment into the source data:
segments are the hidden truth that later analyses try to recover.

Time unit of the BG/NBD parameters: weeks (``alpha`` in weeks, purchase rates per week).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Time unit of the BG/NBD parameters (``alpha`` and the purchase rates): weeks of 7 days.
TIME_UNIT = "W"

#: The product categories, in the order of every preference vector.
CATEGORIES: tuple[str, ...] = ("grocery", "kids", "electronics", "fashion", "home", "beauty")


@dataclass(frozen=True)
class Theme:
    """A subject people write about in survey comments.

    Attributes
    ----------
    name
        Short identifier (``"queues"``).
    polarity
        ``+1`` praise, ``-1`` complaint, ``0`` neutral; sets the score distribution of the
        answers with this theme (see :data:`NPS_BY_POLARITY`).
    phrases
        Ways people phrase it; a comment is built from one of them.
    """

    name: str
    polarity: int
    phrases: tuple[str, ...]


THEMES: dict[str, Theme] = {
    t.name: t
    for t in (
        Theme("kids_range", +1, (
            "great choice of children's clothes",
            "the kids section has everything we need",
            "love the toy selection",
            "school uniforms at fair prices",
        )),
        Theme("family_value", +1, (
            "good value for a family budget",
            "family packs save us money every week",
            "the weekly shop for five stays affordable",
        )),
        Theme("delivery_slots", -1, (
            "could never get a delivery slot that suits us",
            "delivery windows are far too wide",
            "the evening delivery slots are always full",
        )),
        Theme("product_expertise", +1, (
            "staff really know their gadgets",
            "detailed product specs online helped me choose",
            "the comparison tool is excellent",
        )),
        Theme("stock_availability", -1, (
            "the model I wanted was out of stock again",
            "new releases sell out on day one",
            "website said in stock but the shop had none",
        )),
        Theme("tech_support", -1, (
            "setup help was impossible to reach",
            "waited a week for an answer about my laptop",
            "nobody could explain the warranty",
        )),
        Theme("low_prices", +1, (
            "prices are the lowest around",
            "cheaper than the competition",
            "price match made the difference",
        )),
        Theme("promotions", 0, (
            "I only come for the weekly deals",
            "the coupons are fine but expire too fast",
            "multi-buy offers are hit and miss",
        )),
        Theme("queues", -1, (
            "long queues at the tills",
            "only two checkouts open on a Saturday",
            "waited twenty minutes to pay",
        )),
        Theme("returns_hassle", -1, (
            "returning an item was a hassle",
            "the refund took weeks",
            "had to print the return label myself",
        )),
        Theme("friendly_staff", +1, (
            "staff are always friendly",
            "helpful assistants in store",
            "the team remembered my name",
        )),
        Theme("quality", +1, (
            "clothes hold up well after many washes",
            "quality has been excellent",
            "the fabrics feel premium",
        )),
        Theme("new_collections", +1, (
            "love the new seasonal collection",
            "always something new to try",
            "the spring range is beautiful",
        )),
        Theme("sizing", -1, (
            "sizes are inconsistent between brands",
            "had to return it for a different size",
            "the size guide is useless",
        )),
    )
}

#: Score distributions (probabilities of 0..10) of survey answers by theme polarity.
NPS_BY_POLARITY: dict[int, np.ndarray] = {
    +1: np.array([0, 0, 0, 0, 0, 0, 0, 2, 15, 35, 48], dtype=float) / 100,
    0: np.array([0, 0, 1, 2, 4, 8, 15, 35, 25, 7, 3], dtype=float) / 100,
    -1: np.array([6, 6, 9, 13, 16, 18, 14, 9, 6, 2, 1], dtype=float) / 100,
}


@dataclass(frozen=True)
class Segment:
    """A hidden customer segment of the demo company.

    Attributes
    ----------
    name
        Readable name (``"young families"``).
    share
        Share of the people who belong to it.
    r, alpha, a, b
        BG/NBD heterogeneity: purchase rate ``lambda ~ Gamma(r, rate=alpha)`` (per week), dropout
        probability ``p ~ Beta(a, b)`` (Fader, Hardie & Lee 2005, section 2, assumptions ii, iv).
    p, q, gamma
        Gamma-Gamma spend: each transaction's value ``z ~ Gamma(p, rate=nu)``, the person's
        ``nu ~ Gamma(q, rate=gamma)`` (Fader & Hardie 2013, equations 1-2); mean spend per
        transaction of the segment ``p * gamma / (q - 1)``.
    categories
        Preference of each category in :data:`CATEGORIES` (sums to one); a person's own
        preferences scatter around it (Dirichlet with concentration :data:`PREFERENCE_CONCENTRATION`).
    web_share
        Share of purchases made online by people who have both a web account and a loyalty
        card; also the chance that a person is first acquired by the web shop.
    themes
        ``{theme name: weight}`` of survey comment themes (weights sum to one).
    referral_weight
        Relative chance of being the one who referred a newly referred customer.
    support_rate
        Chance that a purchase leads to a support contact (before returns' contacts).
    """

    name: str
    share: float
    r: float
    alpha: float
    a: float
    b: float
    p: float
    q: float
    gamma: float
    categories: tuple[float, ...]
    web_share: float
    themes: dict[str, float]
    referral_weight: float
    support_rate: float

    @property
    def mean_spend(self) -> float:
        """Expected spend per transaction, ``p * gamma / (q - 1)`` (Fader & Hardie 2013, eq. 3)."""
        return self.p * self.gamma / (self.q - 1)

    @property
    def mean_rate(self) -> float:
        """Mean purchase rate while alive, ``r / alpha`` per week."""
        return self.r / self.alpha

    @property
    def mean_dropout(self) -> float:
        """Mean dropout probability after a repeat purchase, ``a / (a + b)``."""
        return self.a / (self.a + self.b)


#: How closely a person's category preferences follow the segment's (Dirichlet concentration).
PREFERENCE_CONCENTRATION = 25.0

SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "young families", 0.32, r=0.9, alpha=8.0, a=0.8, b=4.0, p=6.0, q=4.0, gamma=30.0,
        categories=(0.30, 0.40, 0.03, 0.08, 0.14, 0.05), web_share=0.45,
        themes={"kids_range": 0.35, "family_value": 0.25, "delivery_slots": 0.25, "queues": 0.15},
        referral_weight=2.0, support_rate=0.04,
    ),
    Segment(
        "gadget lovers", 0.18, r=0.5, alpha=12.0, a=1.3, b=6.0, p=4.0, q=3.5, gamma=100.0,
        categories=(0.06, 0.03, 0.60, 0.08, 0.17, 0.06), web_share=0.75,
        themes={"product_expertise": 0.35, "stock_availability": 0.30, "tech_support": 0.20, "low_prices": 0.15},
        referral_weight=1.5, support_rate=0.08,
    ),
    Segment(
        "bargain hunters", 0.30, r=0.6, alpha=10.0, a=1.6, b=2.5, p=5.0, q=6.0, gamma=25.0,
        categories=(0.34, 0.10, 0.05, 0.18, 0.24, 0.09), web_share=0.35,
        themes={"low_prices": 0.35, "promotions": 0.30, "queues": 0.20, "returns_hassle": 0.15},
        referral_weight=0.5, support_rate=0.03,
    ),
    Segment(
        "style seekers", 0.20, r=1.2, alpha=6.0, a=0.7, b=5.0, p=5.0, q=4.0, gamma=45.0,
        categories=(0.04, 0.04, 0.04, 0.46, 0.08, 0.34), web_share=0.55,
        themes={"friendly_staff": 0.30, "quality": 0.25, "new_collections": 0.25, "sizing": 0.20},
        referral_weight=3.0, support_rate=0.05,
    ),
)


def segments_frame(segments: tuple[Segment, ...] = SEGMENTS) -> pd.DataFrame:
    """One row per segment: its parameters, category preferences (``pref_<category>``), themes.

    The row index is the segment's number as used in ``truth.people["segment_id"]``.
    """
    rows = []
    for i, s in enumerate(segments):
        row = {
            "segment_id": i,
            "segment": s.name,
            "share": s.share,
            "r": s.r,
            "alpha": s.alpha,
            "a": s.a,
            "b": s.b,
            "p": s.p,
            "q": s.q,
            "gamma": s.gamma,
            "mean_rate": s.mean_rate,
            "mean_dropout": s.mean_dropout,
            "mean_spend": s.mean_spend,
            "web_share": s.web_share,
            "referral_weight": s.referral_weight,
            "support_rate": s.support_rate,
        }
        row.update({f"pref_{c}": w for c, w in zip(CATEGORIES, s.categories)})
        row["themes"] = tuple(s.themes)
        row["theme_weights"] = tuple(s.themes.values())
        rows.append(row)
    return pd.DataFrame(rows).set_index("segment_id")

