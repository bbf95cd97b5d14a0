"""What a segment needs, with the evidence: affinity, gaps, next best products, what customers say.

:func:`segment_needs` reads the store once, runs the four analyses for one segment and returns a
:class:`Needs`; :func:`needs_for_segments` does it for many segments sharing the reading and the
recommender. ``Needs.as_evidence()`` gives the plain dicts that briefs store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clientele.errors import InputError, ModelInputError
from clientele.needs.affinity import affinity, base_affinity
from clientele.needs.data import (
    check_membership,
    customer_values,
    is_member,
    members_of,
    purchase_lines,
    survey_answers,
)
from clientele.needs.gaps import gaps, spend_matrix
from clientele.needs.recommend import CategoryProfileRecommender, CoPurchaseRecommender, Evaluation, evaluate
from clientele.needs.themes import commented, distinctive_terms

if TYPE_CHECKING:
    from clientele.store import Store

#: Products recommended per customer.
N_PRODUCTS = 5

#: Recommenders :func:`segment_needs` can use for the next best products.
METHODS = {"co_purchase": CoPurchaseRecommender, "category_profile": CategoryProfileRecommender}


@dataclass
class Needs:
    """A segment's needs and the evidence behind each.

    Attributes
    ----------
    segment
        The segment's name.
    members, buyers
        Customer keys in the segment, and how many of them have purchases.
    category_affinity, brand_affinity
        :func:`clientele.needs.affinity.affinity` by category and by brand.
    gaps
        :func:`clientele.needs.gaps.gaps` by category (largest money gap first).
    next_best
        Each buying member's best products not bought yet: ``customer_key, rank, product_id,
        score, category, brand``.
    next_best_products
        The products recommended to the members: ``customers`` (members they are recommended
        to), ``share`` of the buying members, ``base_share`` (share of all buying customers they
        are recommended to), ``excess`` (members beyond what the base's share would give,
        ``customers - base_share * buyers``; the order, largest first: what this segment in
        particular should be offered), ``mean_rank``, ``category``, ``brand``.
    recommender
        Holdout check of the recommenders on the whole base (:func:`clientele.needs.recommend.evaluate`),
        or None when the store's purchases do not allow one.
    themes
        :func:`clientele.needs.themes.distinctive_terms` of the members' survey comments.
    settings
        How it was computed (value basis of the gaps, method, draws, ...).
    """

    segment: str
    members: int
    buyers: int
    category_affinity: pd.DataFrame
    brand_affinity: pd.DataFrame
    gaps: pd.DataFrame
    next_best: pd.DataFrame
    next_best_products: pd.DataFrame
    recommender: Evaluation | None
    themes: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def as_evidence(self, top: int = 3) -> list[dict]:
        """The needs as plain dicts ``{"kind", "label", "evidence"}`` (JSON-ready), ``top`` per kind.

        Kinds: ``affinity`` (categories, then brands, that the segment over-indexes on with an
        interval above 1 and enough buyers), ``gap`` (categories bought less than similar-value
        customers do, the interval below 1), ``theme`` (distinctive comment terms with their NPS)
        and ``next_best_product`` (products recommended to more members than the base's rate
        would give, with the recommender's holdout hit rate against the popularity baseline).
        """
        out: list[dict] = []
        for by, frame in (("category", self.category_affinity), ("brand", self.brand_affinity)):
            strong = frame.loc[(frame["lift"] > 1) & frame["significant"] & ~frame["small"]].head(top)
            for name, r in strong.iterrows():
                out.append(_item("affinity", f"{by} {name}", {by: name, **_numbers(r, [
                    "lift", "lift_lower", "lift_upper", "share", "base_share", "customers", "purchases", "spend",
                    "reach", "base_reach"])}))
        under = self.gaps.loc[(self.gaps["money_gap"] > 0) & self.gaps["significant"]].head(top)
        for name, r in under.iterrows():
            out.append(_item("gap", f"buys less {name} than customers of similar value", {"category": name, **_numbers(r, [
                "share", "expected_share", "index", "index_lower", "index_upper", "spend", "expected_spend",
                "money_gap", "customers"])}))
        for term, r in self.themes.head(top).iterrows():
            evidence = _numbers(r, ["comments", "other_comments", "share", "other_share", "z", "answers", "nps", "mean_score"])
            evidence.update({"phrase": term, "also": list(r["also"]), "examples": list(r["examples"])})
            out.append(_item("theme", f'customers say "{term}"', evidence))
        check = self.recommender.to_dict() if self.recommender is not None else None
        for pid, r in self.next_best_products.loc[self.next_best_products["excess"] > 0].head(top).iterrows():
            evidence = {"product_id": pid, "category": r["category"], "brand": r["brand"],
                        **_numbers(r, ["customers", "share", "base_share", "excess", "mean_rank"])}
            if check is not None:
                m = check["metrics"]
                evidence.update({
                    "method": self.settings.get("method"), "holdout_customers": check["customers"],
                    "hit_rate_at_5": m[self.settings["method"]]["hit_rate"],
                    "popularity_hit_rate_at_5": m["popularity"]["hit_rate"],
                })
            out.append(_item("next_best_product", f"offer {pid} ({r['category']}, {r['brand']})", evidence))
        return out

    def to_dict(self, top: int = 10) -> dict:
        """JSON-ready: the counts, the first ``top`` rows of each table and the recommender check."""
        return {
            "segment": self.segment,
            "members": self.members,
            "buyers": self.buyers,
            "settings": self.settings,
            "category_affinity": _records(self.category_affinity, top),
            "brand_affinity": _records(self.brand_affinity, top),
            "gaps": _records(self.gaps, top),
            "themes": _records(self.themes, top),
            "next_best_products": _records(self.next_best_products, top),
            "recommender": self.recommender.to_dict() if self.recommender is not None else None,
            "evidence": self.as_evidence(),
        }


@dataclass
class NeedsInputs:
    """What every segment's analysis shares: purchases, survey answers, values, the recommender."""

    lines: pd.DataFrame
    answers: pd.DataFrame
    value: pd.Series
    recommender: Any
    evaluation: Evaluation | None
    method: str
    base_recommendations: pd.Series

    @cached_property
    def category_base(self) -> pd.DataFrame:
        """The base's side of the category affinity (computed once)."""
        return base_affinity(self.lines, "category")

    @cached_property
    def brand_base(self) -> pd.DataFrame:
        """The base's side of the brand affinity (computed once)."""
        return base_affinity(self.lines, "brand")

    @cached_property
    def category_spend(self) -> pd.DataFrame:
        """Customers x categories spend for the gaps (computed once)."""
        return spend_matrix(self.lines, "category")

    @cached_property
    def comments(self) -> tuple:
        """The commented answers and their term matrix (computed once)."""
        return commented(self.answers)

    @classmethod
    def from_store(cls, store: Store, method: str = "auto", calibration_end: str | None = None) -> NeedsInputs:
        """Read the store, check the recommenders on a holdout period and fit ``method`` on all purchases.

        ``method="auto"`` takes the recommender with the higher holdout hit rate (co-purchase when
        no holdout check is possible); its reported hit rate is then slightly optimistic.
        """
        if method not in (*METHODS, "auto"):
            raise InputError(f"expected auto or one of {', '.join(METHODS)}", column="method", value=method)
        lines = purchase_lines(store)
        if lines.empty:
            raise InputError("the store has no purchases: load transactions first (clientele load transactions ...)")
        try:
            evaluation = evaluate(lines, calibration_end=calibration_end)
        except ModelInputError:
            evaluation = None
        if method == "auto":
            hits = evaluation.metrics["hit_rate"] if evaluation is not None else None
            method = "co_purchase" if hits is None else str(hits.loc[list(METHODS)].idxmax())
        try:
            model = METHODS[method]().fit(lines)
        except ModelInputError:
            model = None
        buyers = pd.Index(lines["customer_key"].unique())
        if model is not None:
            recs = model.recommend(buyers, n=N_PRODUCTS)
            base = recs.groupby("product_id")["customer_key"].nunique() / len(buyers)
        else:
            base = pd.Series(dtype=float)
        return cls(lines, survey_answers(store), customer_values(store, lines), model, evaluation, method,
                   base.rename("base_share"))


def segment_needs(
    store: Store,
    segment: str,
    membership: pd.DataFrame | None = None,
    *,
    inputs: NeedsInputs | None = None,
    method: str = "auto",
    top_terms: int = 15,
    n_draws: int = 200,
    seed: int = 0,
    calibration_end: str | None = None,
) -> Needs:
    """What ``segment`` needs: affinity, gaps, next best products and what its customers say.

    Parameters
    ----------
    store
        An open store.
    segment
        The segment's name in the membership.
    membership
        ``customer_key, segment`` rows (a customer may be in several segments); default: the
        segments stored in the store (:func:`clientele.segments.segment_membership`).
    inputs
        Pre-read inputs shared between segments (:meth:`NeedsInputs.from_store`).
    method
        Next-best-product model: ``co_purchase`` (item-to-item), ``category_profile``, or
        ``auto`` (the one with the higher hit rate on the holdout check).
    top_terms
        Distinctive comment terms kept.
    n_draws, seed
        Bootstrap draws (and seed) of the lift and gap intervals.
    calibration_end
        Split of the recommender's holdout check (default: the last quarter of the purchases' span).

    Raises
    ------
    InputError
        The membership is malformed, the segment is unknown, no segments are stored, or the store
        has no purchases.
    """
    membership = check_membership(membership if membership is not None else stored_membership(store))
    members = members_of(membership, segment)
    inputs = inputs or NeedsInputs.from_store(store, method=method, calibration_end=calibration_end)
    lines = inputs.lines
    buyers = pd.Index(lines.loc[is_member(lines["customer_key"], members), "customer_key"].unique())
    boot = dict(n_draws=n_draws, seed=seed)
    if inputs.recommender is not None and len(buyers):
        recs = inputs.recommender.recommend(buyers, n=N_PRODUCTS)
    else:
        recs = pd.DataFrame(columns=["customer_key", "rank", "product_id", "score"])
    catalogue = lines.dropna(subset=["product_id"]).groupby("product_id")[["category", "brand"]].first()
    recs = recs.join(catalogue, on="product_id")
    summary = recs.groupby("product_id").agg(customers=("customer_key", "nunique"), mean_rank=("rank", "mean"))
    summary["share"] = summary["customers"] / max(len(buyers), 1)
    summary = summary.join(inputs.base_recommendations).fillna({"base_share": 0.0})
    summary["excess"] = summary["customers"] - summary["base_share"] * len(buyers)
    summary = summary.join(catalogue).sort_values(["excess", "customers"], ascending=False)
    return Needs(
        segment=str(segment),
        members=len(members),
        buyers=len(buyers),
        category_affinity=affinity(lines, members, by="category", base=inputs.category_base, **boot),
        brand_affinity=affinity(lines, members, by="brand", base=inputs.brand_base, **boot),
        gaps=gaps(lines, members, inputs.value, by="category", spend=inputs.category_spend, **boot),
        next_best=recs,
        next_best_products=summary[["customers", "share", "base_share", "excess", "mean_rank", "category", "brand"]],
        recommender=inputs.evaluation,
        themes=distinctive_terms(inputs.answers, members, top=top_terms, prepared=inputs.comments),
        settings={"value_basis": inputs.value.attrs.get("source"), "method": inputs.method, "n_draws": n_draws,
                  "seed": seed, "n_products": N_PRODUCTS},
    )


def needs_for_segments(
    store: Store, membership: pd.DataFrame | None = None, segments: list[str] | None = None, **options: Any
) -> dict[str, Needs]:
    """:func:`segment_needs` for several segments (default: all in the membership), reading once."""
    membership = check_membership(membership if membership is not None else stored_membership(store))
    names = segments if segments is not None else sorted(membership["segment"].unique())
    inputs = NeedsInputs.from_store(
        store, method=options.pop("method", "auto"), calibration_end=options.pop("calibration_end", None)
    )
    return {name: segment_needs(store, name, membership, inputs=inputs, **options) for name in names}


def demo_needs(store: Store) -> dict[str, Needs]:
    """The needs of every stored segment (for ``clientele demo``, after the grid segments exist)."""
    return needs_for_segments(store)


def stored_membership(store: Store) -> pd.DataFrame:
    """The stored segments' membership (``customer_key, segment``).

    Raises
    ------
    InputError
        No segments are stored yet.
    """
    try:
        from clientele.segments import segment_membership
    except ImportError:
        membership = None
    else:
        membership = segment_membership(store)
    if membership is None or len(membership) == 0:
        raise InputError("the store has no segments yet", hint="run `clientele segments grid` first")
    return membership


# -- helpers ------------------------------------------------------------------------------------


def _item(kind: str, label: str, evidence: dict) -> dict:
    return {"kind": kind, "label": label, "evidence": evidence}


def _numbers(row: pd.Series, names: list[str]) -> dict:
    return {n: _plain(row[n]) for n in names if n in row.index}


def _plain(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value


def _records(frame: pd.DataFrame, top: int) -> list[dict]:
    shown = frame.head(top).reset_index()
    return [{k: _plain(v) for k, v in row.items()} for row in shown.to_dict(orient="records")]
