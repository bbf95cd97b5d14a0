"""Aggregates behind the report's grid and tables: computed here, server-side, so the page stays small."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clientele.errors import ModelInputError

#: CLV tiers by rank (share of customers, from the most valuable down)
CLV_TIERS = (("top 10%", 0.10), ("next 20%", 0.20), ("middle 30%", 0.30), ("bottom 40%", 0.40))
#: P(alive) bands (lower edges; the last band includes 1)
ALIVE_BANDS = (0.0, 0.25, 0.5, 0.75)


def _check(customers: pd.DataFrame) -> None:
    missing = [c for c in ("p_alive", "clv") if c not in customers.columns]
    if missing:
        raise ModelInputError(f"the customer scores lack column(s) {missing}; they have {list(customers.columns)}")


def band_labels() -> list[str]:
    """Labels of the P(alive) bands, e.g. ``"0.25-0.50"``."""
    edges = [*ALIVE_BANDS, 1.0]
    return [f"{lo:.2f}-{hi:.2f}" for lo, hi in zip(edges[:-1], edges[1:])]


def clv_tiers(clv: pd.Series) -> pd.Series:
    """Each customer's CLV tier (``CLV_TIERS``) by rank; ties are broken by order, so no tier is empty."""
    n = len(clv)
    order = np.argsort(-clv.to_numpy(np.float64), kind="stable")
    bounds = np.round(np.cumsum([share for _, share in CLV_TIERS]) * n).astype(int)
    tier_of_rank = np.searchsorted(bounds, np.arange(n), side="right")
    labels = np.empty(n, dtype=object)
    labels[order] = np.array([name for name, _ in CLV_TIERS], dtype=object)[np.minimum(tier_of_rank, len(CLV_TIERS) - 1)]
    return pd.Series(labels, index=clv.index, name="clv_tier")


def value_risk_grid(customers: pd.DataFrame) -> pd.DataFrame:
    """Customers and equity in each CLV tier x P(alive) band.

    Parameters
    ----------
    customers
        One row per customer with ``clv`` and ``p_alive`` (e.g. ``EquityResult.customers``).

    Returns
    -------
    DataFrame
        One row per (``clv_tier``, ``alive_band``), all combinations, tiers from the top:
        ``customers``, ``equity`` (sum of CLV), ``share_of_equity``.
    """
    _check(customers)
    p = customers["p_alive"].to_numpy(np.float64)
    band_index = np.clip(np.searchsorted(ALIVE_BANDS, p, side="right") - 1, 0, len(ALIVE_BANDS) - 1)
    frame = pd.DataFrame(
        {
            "clv_tier": clv_tiers(customers["clv"]).to_numpy(),
            "alive_band": np.array(band_labels(), dtype=object)[band_index],
            "clv": customers["clv"].to_numpy(np.float64),
        }
    )
    grid = frame.groupby(["clv_tier", "alive_band"]).agg(customers=("clv", "size"), equity=("clv", "sum"))
    full = pd.MultiIndex.from_product([[t for t, _ in CLV_TIERS], band_labels()], names=["clv_tier", "alive_band"])
    grid = grid.reindex(full, fill_value=0)
    grid["customers"] = grid["customers"].astype(np.int64)
    total = float(grid["equity"].sum())
    grid["share_of_equity"] = grid["equity"] / total if total else 0.0
    return grid.reset_index()


def most_valuable_at_risk(customers: pd.DataFrame, n: int = 20, alive_threshold: float = 0.5) -> pd.DataFrame:
    """The ``n`` customers with the most value at risk among those with P(alive) below the threshold.

    A customer's value if alive is ``V = CLV / P(alive)`` and their value at risk
    ``(1 - P(alive)) V``: what is lost if they have in fact left (the quantity summed by
    :func:`clientele.indicators.value_at_risk`).

    Returns
    -------
    DataFrame
        Indexed like ``customers``, sorted by ``value_at_risk`` descending: ``p_alive``, ``clv``,
        ``value_if_alive``, ``value_at_risk`` and, when present, ``segment``, ``channel``, ``cohort``.
    """
    _check(customers)
    if not 0.0 < alive_threshold <= 1.0:
        raise ModelInputError(f"alive_threshold must be in (0, 1], got {alive_threshold!r}")
    p = customers["p_alive"].to_numpy(np.float64)
    clv = customers["clv"].to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if_alive = np.where(p > 0, clv / np.where(p > 0, p, 1.0), 0.0)
    table = pd.DataFrame(
        {"p_alive": p, "clv": clv, "value_if_alive": if_alive, "value_at_risk": (1.0 - p) * if_alive},
        index=customers.index,
    )
    for extra in ("segment", "channel", "cohort"):
        if extra in customers.columns:
            table[extra] = customers[extra].astype(str).to_numpy()
    at_risk = table[p < alive_threshold]
    return at_risk.sort_values("value_at_risk", ascending=False, kind="stable").head(int(n))


def clv_histogram(clv: pd.Series, bins: int = 40, clip_quantile: float = 0.99) -> pd.DataFrame:
    """The CLV distribution as counts per bin (aggregated here, not in the browser).

    Bins are equal-width from 0 (or the minimum, if negative) to the ``clip_quantile`` quantile;
    customers above it are counted in a last open bin, so one extreme value cannot squash the
    chart.

    Returns
    -------
    DataFrame
        ``low``, ``high`` (bin edges; ``high`` is ``inf`` for the open bin), ``customers``, ``equity``.
    """
    values = clv.to_numpy(np.float64)
    if len(values) == 0:
        return pd.DataFrame(columns=["low", "high", "customers", "equity"])
    top = float(np.quantile(values, clip_quantile))
    low = min(0.0, float(values.min()))
    if top <= low:
        top = low + 1.0
    edges = np.linspace(low, top, bins + 1)
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    index[values > top] = bins  # the open bin above the quantile
    customers = np.bincount(index, minlength=bins + 1)
    equity = np.bincount(index, weights=values, minlength=bins + 1)
    frame = pd.DataFrame(
        {"low": edges, "high": np.append(edges[1:], np.inf), "customers": customers, "equity": equity}
    )
    return frame if frame["customers"].iloc[-1] else frame.iloc[:-1]
