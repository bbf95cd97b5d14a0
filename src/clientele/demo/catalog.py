"""The demo company's product catalogue: six categories, twenty brands, a few hundred products."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clientele.demo.segments import CATEGORIES

#: Brands and the categories they sell in (made-up names; "Everyday" is the house brand).
BRANDS: dict[str, tuple[str, ...]] = {
    "Everyday": ("grocery", "home", "kids"),
    "Fieldfresh": ("grocery",),
    "Harvest Lane": ("grocery",),
    "Pantry & Co": ("grocery",),
    "Little Sprout": ("kids",),
    "Tumbletots": ("kids",),
    "Kiddo": ("kids", "fashion"),
    "Voltix": ("electronics",),
    "Nordwave": ("electronics",),
    "Pixelon": ("electronics",),
    "Quanta": ("electronics", "home"),
    "Urban Thread": ("fashion",),
    "Maison Lume": ("fashion", "beauty"),
    "Denimora": ("fashion",),
    "Stride": ("fashion",),
    "Hearthstone": ("home",),
    "Casa Nova": ("home",),
    "Glow Theory": ("beauty",),
    "Petal & Pine": ("beauty",),
    "Lumen Skin": ("beauty",),
}

#: Products per category and the median list price of the category.
_PRODUCTS = {"grocery": 70, "kids": 45, "electronics": 50, "fashion": 65, "home": 45, "beauty": 40}
_PRICE = {"grocery": 6.0, "kids": 18.0, "electronics": 120.0, "fashion": 35.0, "home": 25.0, "beauty": 14.0}

#: Zipf exponent of product popularity within a category (a few best sellers, a long tail).
POPULARITY_EXPONENT = 1.1

#: Chance that a purchase in the category is later returned (fully or in part).
RETURN_RATE = {"grocery": 0.005, "kids": 0.04, "electronics": 0.05, "fashion": 0.10, "home": 0.04, "beauty": 0.03}


def make_products(rng: np.random.Generator) -> pd.DataFrame:
    """The catalogue: ``product_id, category, brand, list_price, popularity``, sorted by product_id.

    Products are grouped by category; ``popularity`` sums to one within each category and is the
    chance that a purchase in that category is of this product.
    """
    frames = []
    for c_idx, category in enumerate(CATEGORIES):
        n = _PRODUCTS[category]
        brands = np.array([b for b, cats in BRANDS.items() if category in cats])
        brand = brands[rng.integers(0, len(brands), n)]
        ranks = rng.permutation(n) + 1
        popularity = ranks.astype(float) ** -POPULARITY_EXPONENT
        frames.append(
            pd.DataFrame(
                {
                    "category_id": c_idx,
                    "category": category,
                    "brand": brand,
                    "list_price": np.round(_PRICE[category] * rng.lognormal(0.0, 0.5, n), 2),
                    "popularity": popularity / popularity.sum(),
                }
            )
        )
    products = pd.concat(frames, ignore_index=True)
    products.insert(0, "product_id", [f"P{10001 + i}" for i in range(len(products))])
    return products


def pick_products(products: pd.DataFrame, category_id: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row numbers of ``products`` for purchases in ``category_id``, by popularity.

    ``u`` are uniform(0, 1) draws, one per purchase. Products must be grouped by ``category_id``
    in increasing order (as :func:`make_products` returns them).
    """
    cat = products["category_id"].to_numpy()
    within = products.groupby("category_id")["popularity"].cumsum().to_numpy()
    # category c occupies (c, c + 1] of this increasing scale
    scale = cat + np.minimum(within, 1.0)
    scale[np.r_[cat[1:] != cat[:-1], True]] = cat[np.r_[cat[1:] != cat[:-1], True]] + 1.0
    idx = np.searchsorted(scale, category_id + u * (1 - 1e-12), side="right")
    return np.minimum(idx, len(products) - 1)
