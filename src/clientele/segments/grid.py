"""The value x risk grid: CLV tiers x P(alive) bands, one cell per customer.

This generalises :func:`clientele.indicators.value_risk_segments` (value tertiles x one
P(alive) threshold) to any number of tiers and bands:

* **CLV tiers** either by *rank* (``clv_by="rank"``: shares of the customers from the most
  valuable down, e.g. ``(0.1, 0.2, 0.3, 0.4)`` = top 10%, the next 20%, the next 30%, the
  bottom 40%; ties are broken by order so that no tier is emptied by ties) or by *value*
  (``clv_by="value"``: ascending CLV thresholds, e.g. ``(100, 500)`` = below 100, 100 to 500,
  500 and more);
* **P(alive) bands** by ascending thresholds inside (0, 1), e.g. ``(0.25, 0.5, 0.75)``; a
  customer at a threshold belongs to the band above it.

The value ranked is ``clv`` (default) or ``value_if_alive`` = CLV / P(alive)
(:func:`clientele.indicators.value_if_alive`), the basis of ``value_risk_segments``: with
``value="value_if_alive"``, tiers ``(1/3, 1/3, 1/3)`` and bands ``(0.5,)`` the grid is the
same partition as ``value_risk_segments``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientele.errors import InputError

DEFAULT_CLV_TIERS = (0.10, 0.20, 0.30, 0.40)
DEFAULT_ALIVE_BANDS = (0.25, 0.50, 0.75)
VALUES = ("clv", "value_if_alive")


def _num(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Grid:
    """A checked grid definition (see the module docstring); :meth:`cells` names its cells."""

    clv_tiers: tuple[float, ...] = DEFAULT_CLV_TIERS
    alive_bands: tuple[float, ...] = DEFAULT_ALIVE_BANDS
    clv_by: str = "rank"
    value: str = "clv"

    @classmethod
    def of(cls, clv_tiers: Any = None, alive_bands: Any = None, clv_by: str = "rank", value: str = "clv") -> Grid:
        """Check the settings and build the grid; ``None`` means the default tiers or bands.

        Raises
        ------
        InputError
            Rank tiers that are not positive shares summing to 1, value thresholds or bands
            that are not strictly increasing (bands inside (0, 1)), an unknown ``clv_by`` or
            ``value``.
        """
        if clv_by not in ("rank", "value"):
            raise InputError("expected rank or value", column="clv_by", value=clv_by)
        if value not in VALUES:
            raise InputError(f"expected one of {VALUES}", column="value", value=value)
        if clv_tiers is None:
            if clv_by == "value":
                raise InputError("value tiers need their CLV thresholds, e.g. 100,500", column="clv_tiers")
            clv_tiers = DEFAULT_CLV_TIERS
        tiers = _floats(clv_tiers, "clv_tiers")
        if clv_by == "rank":
            if len(tiers) < 1 or any(s <= 0 for s in tiers) or abs(sum(tiers) - 1.0) > 1e-6:
                raise InputError("rank tiers are shares of the customers from the top, each > 0, summing to 1 "
                                 "(e.g. 0.1,0.2,0.3,0.4)", column="clv_tiers", value=list(tiers))
        elif len(tiers) < 1 or any(b <= a for a, b in zip(tiers, tiers[1:])):
            raise InputError("value tiers are strictly increasing CLV thresholds (e.g. 100,500)",
                             column="clv_tiers", value=list(tiers))
        bands = _floats(DEFAULT_ALIVE_BANDS if alive_bands is None else alive_bands, "alive_bands")
        if any(not 0.0 < b < 1.0 for b in bands) or any(b <= a for a, b in zip(bands, bands[1:])):
            raise InputError("P(alive) bands are strictly increasing thresholds between 0 and 1 (e.g. 0.25,0.5,0.75)",
                             column="alive_bands", value=list(bands))
        if len(tiers) * (len(bands) + 1) > 100:
            raise InputError("a grid may have at most 100 cells", column="clv_tiers", value=list(tiers))
        return cls(tiers, bands, clv_by, value)

    @classmethod
    def from_dict(cls, definition: dict[str, Any]) -> Grid:
        """The grid stored in a segment's definition."""
        return cls.of(definition.get("clv_tiers"), definition.get("alive_bands"),
                      definition.get("clv_by", "rank"), definition.get("value", "clv"))

    def to_dict(self) -> dict[str, Any]:
        return {"clv_tiers": list(self.clv_tiers), "alive_bands": list(self.alive_bands),
                "clv_by": self.clv_by, "value": self.value}

    # ---------------------------------------------------------------- names
    def tier_labels(self) -> list[str]:
        """Tier names, most valuable first."""
        if self.clv_by == "rank":
            labels, start = [], 0.0
            for i, share in enumerate(self.clv_tiers):
                end = start + share
                if len(self.clv_tiers) == 1:
                    labels.append("CLV all")
                elif i == 0:
                    labels.append(f"CLV top {_num(round(end * 100, 4))}%")
                elif i == len(self.clv_tiers) - 1:
                    labels.append(f"CLV bottom {_num(round(share * 100, 4))}%")
                else:
                    labels.append(f"CLV {_num(round(start * 100, 4))}-{_num(round(end * 100, 4))}%")
                start = end
            return [label.replace("CLV", "value", 1) if self.value != "clv" else label for label in labels]
        t = self.clv_tiers
        name = "CLV" if self.value == "clv" else "value"
        low_to_high = [f"{name} < {_num(t[0])}"]
        low_to_high += [f"{name} {_num(a)}-{_num(b)}" for a, b in zip(t, t[1:])]
        low_to_high.append(f"{name} >= {_num(t[-1])}")
        return low_to_high[::-1]

    def band_labels(self) -> list[str]:
        """P(alive) band names, most likely alive first."""
        b = self.alive_bands
        low_to_high = [f"P(alive) < {_num(b[0])}"]
        low_to_high += [f"P(alive) {_num(x)}-{_num(y)}" for x, y in zip(b, b[1:])]
        low_to_high.append(f"P(alive) >= {_num(b[-1])}")
        return low_to_high[::-1]

    def cells(self) -> list[tuple[str, str, str]]:
        """``(segment name, tier, band)`` of every cell: tiers from the top, bands from the most alive."""
        return [(f"{tier} x {band}", tier, band) for tier in self.tier_labels() for band in self.band_labels()]

    # ---------------------------------------------------------------- assignment
    def assign(self, customers: pd.DataFrame) -> pd.DataFrame:
        """Each customer's cell: ``segment``, ``tier``, ``band`` (index of ``customers``).

        ``customers`` has ``clv`` and ``p_alive`` (one row per customer).

        Examples
        --------
        >>> grid = Grid.of((0.5, 0.5), (0.5,))
        >>> frame = pd.DataFrame({"clv": [10.0, 300.0, 40.0, 5.0], "p_alive": [0.9, 0.2, 0.6, 0.1]})
        >>> grid.assign(frame)["segment"].tolist()  # doctest: +NORMALIZE_WHITESPACE
        ['CLV bottom 50% x P(alive) >= 0.5', 'CLV top 50% x P(alive) < 0.5',
         'CLV top 50% x P(alive) >= 0.5', 'CLV bottom 50% x P(alive) < 0.5']
        """
        from clientele.indicators import value_if_alive

        missing = [c for c in ("clv", "p_alive") if c not in customers.columns]
        if missing:
            raise InputError(f"the customers lack column(s) {missing}", column=missing[0])
        p = customers["p_alive"].to_numpy(np.float64)
        v = customers["clv"].to_numpy(np.float64) if self.value == "clv" else value_if_alive(customers)
        tiers = self.tier_labels()
        if self.clv_by == "rank":
            # rank ascending, ties by order (as value_risk_segments); tier counted from the bottom
            pct = pd.Series(v).rank(method="first", pct=True).to_numpy()
            from_bottom = np.cumsum(self.clv_tiers[::-1])
            level = np.searchsorted(from_bottom + 1e-12, pct, side="left").clip(0, len(tiers) - 1)
        else:
            level = np.searchsorted(np.array(self.clv_tiers), v, side="right")
        bands = self.band_labels()
        band_index = np.searchsorted(np.array(self.alive_bands), p, side="right")
        # cells() lists tiers from the top and, within a tier, bands from the most alive
        top_tier = len(tiers) - 1 - np.asarray(level, dtype=np.int64)
        top_band = len(bands) - 1 - band_index
        names = np.array([c[0] for c in self.cells()], dtype=object)
        return pd.DataFrame({"segment": names[top_tier * len(bands) + top_band],
                             "tier": np.array(tiers, dtype=object)[top_tier],
                             "band": np.array(bands, dtype=object)[top_band]}, index=customers.index)


def _floats(values: Any, column: str) -> tuple[float, ...]:
    if isinstance(values, str):
        values = [v for v in values.replace(";", ",").split(",") if v.strip()]
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise InputError("expected numbers separated by commas, e.g. 0.25,0.5,0.75", column=column,
                         value=values if isinstance(values, (str, int, float)) else list(values)) from None
    if not all(np.isfinite(out)):
        raise InputError("expected finite numbers", column=column, value=list(out))
    return out
