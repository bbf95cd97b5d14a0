"""Next best product: item-to-item co-purchase recommendations and a popularity baseline.

The recommender follows the item-to-item idea of Linden, Smith & York (2003, "Amazon.com
recommendations: item-to-item collaborative filtering", IEEE Internet Computing 7(1)): products
bought by the same customers are related. Relatedness is the confidence of the association rule
``i -> j`` (Agrawal, Imielinski & Swami 1993), shrunk towards zero for rarely bought ``i``:

``S(i, j) = n(i, j) / (n(i) + lambda)``, ``n(i, j)`` customers who bought both, ``n(i)`` who bought ``i``,

where each customer counts in ``n(i, j)`` with weight ``1 / b_u ** w``, ``b_u`` the number of
products they bought (``w = 0.5`` by default, as if their basket row were scaled to unit length:
the row normalisation of Deshpande & Karypis 2004), so that heavy buyers, who co-buy everything, do not make
every pair look related,

and a customer's score of product ``j`` is ``sum_{i in basket} S(i, j)`` (Deshpande & Karypis
2004, "Item-based top-N recommendation algorithms", ACM TOIS 22(1): their conditional-probability
similarity without the damping of popular products). Products the customer has
already bought are not recommended; customers unknown to the model get the most popular products.

A second model, :class:`CategoryProfileRecommender`, scores a product by the customer's category
mix, smoothed towards the base's (a Dirichlet prior, as in additive smoothing of multinomial
probabilities), times the product's popularity within its category:

``score_u(j) = (n_u(c) + beta * s(c)) / (n_u + beta) * n(j) / n(c)``, ``c`` the category of ``j``,

``n_u(c)`` the customer's purchases in ``c``, ``s(c)`` the base's share of product-buyers in ``c``.
Both are checked on a holdout period against the popularity baseline (:func:`evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from clientele.errors import ModelInputError, NotFittedError

#: Customers scored at once (bounds the dense block of scores to block x products).
_BLOCK = 4096


class CoPurchaseRecommender:
    """Item-to-item co-purchase recommender (scikit-learn style: ``fit`` then ``recommend``).

    Parameters
    ----------
    shrinkage
        ``lambda`` of ``S(i, j) = n(i, j) / (n(i) + lambda)``: damps rules from rarely bought items.
    activity_power
        ``w``: a customer who bought ``b`` products counts ``1 / b ** w`` in the co-purchase counts.
    popularity_weight
        Weight of the product's popularity added to every score; small values only break ties.
    """

    def __init__(self, shrinkage: float = 20.0, activity_power: float = 0.5, popularity_weight: float = 1e-6) -> None:
        self.shrinkage = shrinkage
        self.activity_power = activity_power
        self.popularity_weight = popularity_weight

    def fit(self, lines: pd.DataFrame) -> CoPurchaseRecommender:
        """Learn the product-to-product rules from purchases (``customer_key``, ``product_id``).

        Raises
        ------
        ModelInputError
            A column is missing, or no purchase names a product.
        """
        for column in ("customer_key", "product_id"):
            if column not in lines.columns:
                raise ModelInputError(f"the purchases need a {column} column to learn co-purchases")
        known = lines.loc[lines["product_id"].notna(), ["customer_key", "product_id"]]
        if known.empty:
            raise ModelInputError("no purchase names a product: co-purchases cannot be learnt")
        self.products_ = pd.Index(np.sort(known["product_id"].astype(str).unique()), name="product_id")
        self.customers_ = pd.Index(known["customer_key"].astype(str).unique(), name="customer_key")
        basket = _basket(known, self.customers_, self.products_)
        self.basket_ = basket
        bought = np.asarray(basket.sum(axis=0)).ravel()
        self.popularity_ = bought / len(self.customers_)
        size = np.asarray(basket.sum(axis=1)).ravel()
        co = (basket.T @ (sp.diags(size ** -self.activity_power) @ basket)).tocsr().astype(float)
        co.setdiag(0.0)
        co.eliminate_zeros()
        self.similarity_ = sp.diags(1.0 / (bought + self.shrinkage)) @ co
        return self

    def recommend(self, customers: pd.Index | list[str], n: int = 5) -> pd.DataFrame:
        """The ``n`` best products for each customer that they have not bought yet.

        Returns
        -------
        pandas.DataFrame
            ``customer_key``, ``rank`` (1 = best), ``product_id``, ``score``; ``n`` rows per customer
            (fewer if they have bought nearly everything). Customers unknown to the model score
            only the tie-breaking popularity term, so they get the most popular products.
        """
        _check_fitted(self)
        keys = pd.Index(pd.Index(customers).astype(str).unique(), name="customer_key")
        rows = self.customers_.get_indexer(keys)
        basket = _rows(self.basket_, rows)
        tie = self.popularity_weight * self.popularity_
        similarity = self.similarity_

        def scores(a: int, b: int) -> np.ndarray:
            return (basket[a:b] @ similarity).toarray() + tie

        return _top(keys, basket, scores, self.products_, n)


class PopularityRecommender:
    """The baseline: the most popular products (by customers buying them) not yet bought."""

    def fit(self, lines: pd.DataFrame) -> PopularityRecommender:
        """Count the customers buying each product; same input and errors as the co-purchase model."""
        model = CoPurchaseRecommender().fit(lines)
        self.products_, self.customers_ = model.products_, model.customers_
        self.basket_, self.popularity_ = model.basket_, model.popularity_
        return self

    def recommend(self, customers: pd.Index | list[str], n: int = 5) -> pd.DataFrame:
        """The ``n`` most popular products each customer has not bought (same columns as above)."""
        _check_fitted(self)
        keys = pd.Index(pd.Index(customers).astype(str).unique(), name="customer_key")
        basket = _rows(self.basket_, self.customers_.get_indexer(keys))
        pop = self.popularity_
        return _top(keys, basket, lambda a, b: np.tile(pop, (b - a, 1)), self.products_, n)


class CategoryProfileRecommender:
    """The customer's smoothed category mix times each product's popularity in its category.

    Parameters
    ----------
    prior_strength
        ``beta``: purchases' worth of the base's category mix added to each customer's own.
    """

    def __init__(self, prior_strength: float = 5.0) -> None:
        self.prior_strength = prior_strength

    def fit(self, lines: pd.DataFrame) -> CategoryProfileRecommender:
        """Learn category mixes and within-category popularity (``customer_key``, ``product_id``,
        ``category``; a product's category is the one most of its purchases name)."""
        if "category" not in lines.columns:
            raise ModelInputError("the purchases need a category column for category profiles")
        model = PopularityRecommender().fit(lines)
        self.products_, self.customers_ = model.products_, model.customers_
        self.basket_, self.popularity_ = model.basket_, model.popularity_
        named = lines.loc[lines["product_id"].notna()].astype({"product_id": str})
        category = named.groupby("product_id")["category"].agg(lambda c: c.astype(str).mode().iloc[0])
        self.categories_ = pd.Index(np.sort(category.unique()), name="category")
        self.category_of_ = self.categories_.get_indexer(category.reindex(self.products_))
        bought = self.popularity_ * len(self.customers_)
        in_category = np.bincount(self.category_of_, weights=bought, minlength=len(self.categories_))
        self.within_ = bought / in_category[self.category_of_]
        self.base_mix_ = in_category / in_category.sum()
        counts = sp.csr_matrix(
            (np.ones(len(named)), (self.customers_.get_indexer(named["customer_key"].astype(str)),
                                   self.category_of_[self.products_.get_indexer(named["product_id"])])),
            shape=(len(self.customers_), len(self.categories_)),
        )
        self.category_counts_ = counts
        return self

    def recommend(self, customers: pd.Index | list[str], n: int = 5) -> pd.DataFrame:
        """The ``n`` best unbought products per customer (same columns as the co-purchase model)."""
        _check_fitted(self)
        keys = pd.Index(pd.Index(customers).astype(str).unique(), name="customer_key")
        rows = self.customers_.get_indexer(keys)
        basket = _rows(self.basket_, rows)
        counts = _rows(self.category_counts_, rows)
        beta = self.prior_strength

        def scores(a: int, b: int) -> np.ndarray:
            c = counts[a:b].toarray()
            mix = (c + beta * self.base_mix_) / (c.sum(axis=1, keepdims=True) + beta)
            return mix[:, self.category_of_] * self.within_

        return _top(keys, basket, scores, self.products_, n)


@dataclass
class Evaluation:
    """Holdout check of the recommender against the popularity baseline.

    Attributes
    ----------
    calibration_end
        Purchases up to this time train the models; later ones are the holdout.
    customers
        Customers evaluated: a purchase in calibration and a product new to them in the holdout.
    metrics
        Indexed by method (``co_purchase``, ``category_profile``, ``popularity``): ``hit_rate``
        (share of customers buying at least one of their k recommendations), ``precision``,
        ``recall``, ``coverage`` (share of the catalogue recommended to anybody), at ``k``;
        ``difference`` (hit rate minus the popularity baseline's) and ``difference_se`` (its
        standard error, paired over the same customers).
    k
        Recommendations per customer.
    """

    calibration_end: pd.Timestamp
    customers: int
    metrics: pd.DataFrame
    k: int = 5
    settings: dict = field(default_factory=dict)

    def beats_baseline(self, method: str = "co_purchase") -> bool:
        """Whether ``method``'s hit rate is above the baseline's by more than two standard errors."""
        row = self.metrics.loc[method]
        return bool(row["difference"] > 2 * row["difference_se"])

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {
            "calibration_end": self.calibration_end.isoformat(),
            "customers": self.customers,
            "k": self.k,
            "metrics": {
                m: {k: (None if pd.isna(v) else float(v)) for k, v in row.items()} for m, row in self.metrics.iterrows()
            },
            "beats_baseline": {m: self.beats_baseline(m) for m in ("co_purchase", "category_profile")},
        }


def default_calibration_end(lines: pd.DataFrame, holdout_share: float = 0.25) -> pd.Timestamp:
    """The day after which the last ``holdout_share`` of the purchases' time span lies."""
    first, last = lines["timestamp"].min(), lines["timestamp"].max()
    return (first + (last - first) * (1 - holdout_share)).normalize()


def evaluate(
    lines: pd.DataFrame,
    calibration_end: str | pd.Timestamp | None = None,
    k: int = 5,
    customers: pd.Index | None = None,
    shrinkage: float = 20.0,
    prior_strength: float = 5.0,
) -> Evaluation:
    """Train both recommenders on the calibration period and score them on the holdout period.

    Parameters
    ----------
    lines
        Purchases: ``customer_key``, ``timestamp``, ``product_id``.
    calibration_end
        Last time of the calibration period (default: :func:`default_calibration_end`).
    k
        Recommendations per customer.
    customers
        Evaluate only these customers (e.g. a segment's members); default all.
    shrinkage
        Passed to :class:`CoPurchaseRecommender`.
    prior_strength
        Passed to :class:`CategoryProfileRecommender`.

    Raises
    ------
    ModelInputError
        Nobody bought before and a new product after ``calibration_end``.
    """
    end = pd.Timestamp(calibration_end) if calibration_end is not None else default_calibration_end(lines)
    named = lines.loc[lines["product_id"].notna()]
    calib = named.loc[named["timestamp"] <= end]
    hold = named.loc[named["timestamp"] > end]
    pairs = ["customer_key", "product_id"]
    fresh = hold[pairs].drop_duplicates().merge(calib[pairs].drop_duplicates(), on=pairs, how="left", indicator=True)
    fresh = fresh.loc[fresh["_merge"] == "left_only", pairs]
    keys = pd.Index(fresh["customer_key"].unique()).intersection(pd.Index(calib["customer_key"].unique()))
    if customers is not None:
        keys = keys.intersection(pd.Index(customers))
    if calib.empty or keys.empty:
        raise ModelInputError(
            f"no customer bought both up to and after {end.date()} (a new product): move the calibration end"
        )
    truth = fresh.loc[fresh["customer_key"].isin(keys)]
    relevant = truth.groupby("customer_key").size().reindex(keys).to_numpy()
    rows, hits = {}, {}
    models = {
        "co_purchase": CoPurchaseRecommender(shrinkage=shrinkage),
        "category_profile": CategoryProfileRecommender(prior_strength=prior_strength),
        "popularity": PopularityRecommender(),
    }
    for name, model in models.items():
        recs = model.fit(calib).recommend(keys, n=k)
        hit = recs.merge(truth[["customer_key", "product_id"]], on=["customer_key", "product_id"], how="inner")
        per = hit.groupby("customer_key").size().reindex(keys, fill_value=0).to_numpy()
        hits[name] = per > 0
        rows[name] = {
            "hit_rate": float(np.mean(per > 0)),
            "precision": float(np.mean(per / k)),
            "recall": float(np.mean(per / relevant)),
            "coverage": recs["product_id"].nunique() / len(model.products_),
        }
    metrics = pd.DataFrame(rows).T.rename_axis("method")
    diff = np.column_stack([hits[m].astype(float) - hits["popularity"] for m in ("co_purchase", "category_profile")])
    se = diff.std(axis=0, ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.full(2, np.nan)
    metrics["difference"] = [*diff.mean(axis=0), 0.0]
    metrics["difference_se"] = [*se, np.nan]
    return Evaluation(
        calibration_end=end, customers=len(keys), metrics=metrics, k=k,
        settings={"shrinkage": shrinkage, "prior_strength": prior_strength},
    )


# -- helpers ------------------------------------------------------------------------------------


def _basket(lines: pd.DataFrame, customers: pd.Index, products: pd.Index) -> sp.csr_matrix:
    """Customers x products, 1 where the customer bought the product."""
    r = customers.get_indexer(lines["customer_key"].astype(str))
    c = products.get_indexer(lines["product_id"].astype(str))
    m = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(customers), len(products)))
    m.data[:] = 1.0  # duplicates summed by the constructor: back to bought / not bought
    return m


def _rows(matrix: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    """Rows of ``matrix`` (an all-zero row where ``rows`` is -1)."""
    known = rows >= 0
    pick = sp.csr_matrix((np.ones(known.sum()), (np.flatnonzero(known), rows[known])), shape=(len(rows), matrix.shape[0]))
    return (pick @ matrix).tocsr()


def _top(keys, basket, block_scores, products, n) -> pd.DataFrame:
    """The ``n`` best unbought products per customer; ``block_scores(start, stop)`` gives the dense
    scores of customers ``start:stop`` (scored in blocks to bound memory)."""
    n = int(min(n, len(products)))
    picks = np.empty((len(keys), n), dtype=np.int64)
    best = np.empty((len(keys), n))
    for start in range(0, len(keys), _BLOCK):
        stop = min(start + _BLOCK, len(keys))
        s = np.array(block_scores(start, stop), dtype=float)
        s[basket[start:stop].toarray() > 0] = -np.inf
        part = np.argpartition(-s, n - 1, axis=1)[:, :n] if n < s.shape[1] else np.tile(np.arange(n), (len(s), 1))
        order = np.argsort(-np.take_along_axis(s, part, axis=1), axis=1, kind="stable")
        picks[start:stop] = np.take_along_axis(part, order, axis=1)
        best[start:stop] = np.take_along_axis(s, picks[start:stop], axis=1)
    out = pd.DataFrame(
        {
            "customer_key": np.repeat(keys.to_numpy(), n),
            "rank": np.tile(np.arange(1, n + 1), len(keys)),
            "product_id": products.to_numpy()[picks.ravel()],
            "score": np.where(np.isfinite(best.ravel()), best.ravel(), np.nan),
        }
    )
    return out.loc[out["score"].notna()].reset_index(drop=True)


def _check_fitted(model) -> None:
    if not hasattr(model, "similarity_") and not hasattr(model, "popularity_"):
        raise NotFittedError(f"{type(model).__name__} is not fitted yet: call fit(purchases) first")
