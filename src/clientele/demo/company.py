"""The demo company: generate its source data (and the truth behind it), and load it into a store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clientele.demo.accounts import build_accounts
from clientele.demo.catalog import make_products
from clientele.demo.clock import Window
from clientele.demo.feedback import draw_interactions, draw_surveys
from clientele.demo.frames import (
    COLUMNS,
    add_person_truth,
    customers_frame,
    event_frame,
    event_truth,
    identities_frame,
    products_frame,
    referrals_frame,
    transactions_frame,
)
from clientele.demo.people import SOURCES, draw_people, draw_referrers
from clientele.demo.purchases import draw_returns, dress_purchases, purchase_times
from clientele.demo.segments import SEGMENTS, TIME_UNIT, segments_frame
from clientele.errors import InputError

if TYPE_CHECKING:
    from clientele.store import LoadResult, Store

#: The canonical kinds in the order they are loaded (customers before what refers to them).
LOAD_ORDER = ("customers", "products", "transactions", "interactions", "surveys", "referrals")
#: The product catalogue is the same whatever the seed (companies of other seeds share it).
CATALOGUE_SEED = 20240101


@dataclass
class DemoTruth:
    """What the generator knows and the source data does not show.

    Attributes
    ----------
    people
        One row per person: ``person_id``, ``segment_id``, ``segment``, BG/NBD ``lambda`` (per
        week) and ``p``, Gamma-Gamma ``nu`` and ``mean_spend``, ``pref_<category>``,
        ``web_share``, ``acquired_at``, ``primary_source``, ``in_both``, ``has_duplicate``,
        ``referred``, ``referrer_person_id``, ``T_weeks`` (acquisition to window end),
        ``purchases`` (all, the first included), ``repeat_purchases``, ``returns``, ``spend``,
        ``alive_at_end``, ``dropout_at`` (NaT if alive at the end).
    identities
        One row per customer record: ``source``, ``customer_id``, ``person_id``, ``role``
        (primary, secondary, duplicate), ``name_variation``, ``email_variation``,
        ``phone_variation``, ``moved``.
    segments
        One row per hidden segment (:func:`~clientele.demo.segments.segments_frame`).
    products
        The catalogue with ``list_price`` and ``popularity`` within its category.
    surveys
        Aligned row by row with ``DemoCompany.surveys``: ``person_id``, ``segment``, ``theme``,
        ``second_theme``, ``commented``.
    interactions
        Aligned row by row with ``DemoCompany.interactions``: ``person_id``, ``segment``.
    transactions
        Aligned row by row with ``DemoCompany.transactions``: ``person_id``, ``segment``,
        ``repeat`` (0 for the first purchase, k for the k-th repeat purchase; -1 for returns).
    start, end
        The observation window (``end`` is the last day, included).
    time_unit
        Unit of the BG/NBD parameters (``"W"``: weeks).
    seed
        The seed the company was generated with.
    """

    people: pd.DataFrame
    identities: pd.DataFrame
    segments: pd.DataFrame
    products: pd.DataFrame
    surveys: pd.DataFrame
    interactions: pd.DataFrame
    transactions: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    time_unit: str = TIME_UNIT
    seed: int = 0

    def person_of(self, source: str | pd.Series, customer_id: str | pd.Series | None = None):
        """The person behind customer records: ``person_of("webshop", "W000123")`` or, for many,
        ``person_of(frame["source"], frame["customer_id"])`` (a Series of person ids)."""
        key = self.identities.set_index(["source", "customer_id"])["person_id"]
        if isinstance(source, str) and isinstance(customer_id, str):
            return key.loc[(source, customer_id)]
        index = pd.MultiIndex.from_arrays([pd.Series(source).to_numpy(), pd.Series(customer_id).to_numpy()])
        return pd.Series(key.reindex(index).to_numpy(), index=pd.Series(customer_id).index, name="person_id")


@dataclass
class DemoCompany:
    """A fictional retailer's source data (frames in the store's canonical columns plus
    ``source``) and the truth behind it (:class:`DemoTruth`)."""

    customers: pd.DataFrame
    products: pd.DataFrame
    transactions: pd.DataFrame
    interactions: pd.DataFrame
    surveys: pd.DataFrame
    referrals: pd.DataFrame
    truth: DemoTruth = field(repr=False)

    def frames(self) -> Iterator[tuple[str, str, pd.DataFrame]]:
        """``(kind, source, frame)`` for every input, in :data:`LOAD_ORDER`, without ``source``."""
        for kind in LOAD_ORDER:
            frame = getattr(self, kind)
            for source in SOURCES:
                part = frame.loc[frame["source"] == source, COLUMNS[kind]]
                if len(part):
                    yield kind, source, part.reset_index(drop=True)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(getattr(self, k)):,}" for k in LOAD_ORDER)
        return f"DemoCompany({len(self.truth.people):,} people; {sizes})"


def generate(
    n_customers: int = 50_000,
    seed: int = 7,
    start: str | date = "2024-01-01",
    end: str | date = "2025-12-31",
) -> DemoCompany:
    """Generate the demo company: ``n_customers`` people over the days ``start`` to ``end``.

    The same arguments always give identical frames. See :mod:`clientele.demo` for what is
    generated and how.

    Raises
    ------
    InputError
        ``n_customers`` is not a whole number of at least 10, ``seed`` is not a non-negative
        whole number, a date cannot be read, the window is shorter than four weeks, or ``end`` is
        not before today (the store rejects future dates).
    """
    window = _check(n_customers, seed, start, end)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(10)]

    products = make_products(np.random.default_rng(CATALOGUE_SEED))
    people = draw_people(streams[1], window, n_customers)
    referrer = draw_referrers(streams[2], people)
    people["referred"] = referrer >= 0
    purchases, bgnbd = purchase_times(streams[3], people, window)
    purchases = dress_purchases(streams[4], purchases, people, products, window)
    accounts, account_of = build_accounts(streams[5], people, purchases, window)
    purchases["account"] = account_of
    returns = draw_returns(streams[6], purchases, window)
    interactions = draw_interactions(streams[7], purchases, returns, people, window.days)
    surveys = draw_surveys(streams[8], purchases, people, window.days)

    people["referrer_person_id"] = np.where(
        referrer >= 0, people["person_id"].to_numpy()[np.maximum(referrer, 0)], None
    )
    add_person_truth(people, purchases, returns, bgnbd, window)
    transactions, tx_truth = transactions_frame(streams[9], purchases, returns, accounts, products, window, people)
    truth = DemoTruth(
        people=people.drop(columns=["acquired_day"]),
        identities=identities_frame(accounts, people),
        segments=segments_frame(SEGMENTS),
        products=products.drop(columns=["category_id"]),
        surveys=event_truth(surveys, people, ["theme", "second_theme", "commented"]),
        interactions=event_truth(interactions, people, []),
        transactions=tx_truth,
        start=window.start,
        end=window.end,
        seed=int(seed),
    )
    return DemoCompany(
        customers=customers_frame(accounts, window),
        products=products_frame(products),
        transactions=transactions,
        interactions=event_frame(interactions, accounts, window, COLUMNS["interactions"][2:]),
        surveys=event_frame(surveys, accounts, window, COLUMNS["surveys"][2:]),
        referrals=referrals_frame(people, referrer, accounts, window),
        truth=truth,
    )


def load(
    store: Store, company: DemoCompany, progress: Callable[[str, str], None] | None = None
) -> list[LoadResult]:
    """Load every frame of ``company`` into ``store`` through :meth:`clientele.store.Store.load`.

    Parameters
    ----------
    store
        An open :class:`clientele.store.Store`.
    company
        What :func:`generate` returned.
    progress
        Called with ``(kind, source)`` before each load.

    Returns
    -------
    list of clientele.store.LoadResult
        One per (kind, source), in :data:`LOAD_ORDER`. Loading the same company again loads
        nothing new (every row is ``already_present``).
    """
    results = []
    for kind, source, frame in company.frames():
        if progress is not None:
            progress(kind, source)
        results.append(store.load(kind, frame, source=source, file_label=f"demo {kind} ({source})"))
    return results


# -- checks -------------------------------------------------------------------------------------


def _check(n_customers, seed, start, end) -> Window:
    if isinstance(n_customers, bool) or not isinstance(n_customers, (int, np.integer)) or n_customers < 10:
        raise InputError("the number of customers must be a whole number of at least 10", value=n_customers)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError("the seed must be a whole number of 0 or more", value=seed)
    bounds = []
    for name, value in (("start", start), ("end", end)):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            ts = pd.NaT
        if pd.isna(ts) or ts != ts.normalize():
            raise InputError(f"the {name} of the window must be a day such as 2024-01-01", value=value)
        bounds.append(ts)
    first, last = bounds
    if (last - first).days < 27:
        raise InputError(
            f"the window must be at least four weeks long; it starts on {first.date()}", value=end
        )
    if last.date() >= date.today():
        raise InputError(
            f"the last day must be before today ({date.today()}); the store rejects future dates",
            value=end,
        )
    return Window(first, last)
