"""The demo company: a fictional retailer with two source systems and the truth behind them.

>>> from clientele.demo import generate
>>> company = generate(n_customers=500, seed=1)
>>> sorted(company.customers["source"].unique())
['stores', 'webshop']
>>> int(company.truth.identities.groupby("person_id")["source"].nunique().max())
2
>>> company.truth.person_of("webshop", company.customers["customer_id"].iloc[-1]).startswith("H")
True

What is generated (:func:`generate`), for ``n_customers`` people over a window of days:

* **People** in hidden segments (:data:`~clientele.demo.segments.SEGMENTS`): young families,
  gadget lovers, bargain hunters, style seekers. Each segment has its own BG/NBD purchase
  process, Gamma-Gamma spend, category preferences, preferred channel and comment themes.
* **Acquisition** spread over the window with a growing trend, a Black Friday / Christmas peak and
  busy Saturdays; about 8% of people are referred by an earlier customer of the same system.
* **Two source systems**: ``webshop`` accounts (``W000001``...) and ``stores`` loyalty cards
  (``L000001``...). About 20% of people are in both; their second record differs the way real
  records do (nicknames, typing errors, another e-mail address or phone number, other phone
  formats, capitals at the till, missing fields). About 0.6% have a duplicate account in one
  system, most of them exact copies.
* **Transactions**: the first purchase at acquisition, repeat purchases by BG/NBD, spend by
  Gamma-Gamma, a category from the person's preferences, a product by popularity; web orders land
  on the web account, store purchases on the loyalty card; some purchases are returned later
  (negative amounts).
* **Support interactions** after some purchases and returns, **surveys** (NPS 0-10 with a comment
  whose theme depends on the segment and whose score depends on the theme), **referrals**.

:func:`load` writes it into a store through the same ingestion users use (``Store.load``).
Everything the data does not show is in ``company.truth`` (:class:`DemoTruth`): each person's
segment and true parameters, which record belongs to whom, the segments' parameters, the
survey themes.
"""

from __future__ import annotations

from clientele.demo.company import COLUMNS, LOAD_ORDER, DemoCompany, DemoTruth, generate, load
from clientele.demo.segments import CATEGORIES, SEGMENTS, THEMES, TIME_UNIT, Segment, Theme

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "LOAD_ORDER",
    "SEGMENTS",
    "THEMES",
    "TIME_UNIT",
    "DemoCompany",
    "DemoTruth",
    "Segment",
    "Theme",
    "generate",
    "load",
]
