"""Budget lines: a response curve turned into customer equity bought per money spent.

A line is one segment x lever. Spending ``S`` on it spreads ``s = S / N`` over its ``N`` units
(the segment's customers for retention and cross-sell; the acquisition cells for acquisition),
each of which then changes its outcome by ``a (1 - exp(-s / b))``
(:mod:`clientele.budget.response`); each unit of outcome is worth ``v`` of customer equity. The
line's expected equity gain is therefore

.. math:: G(S) = N v a \\, (1 - e^{-S / (N b)}) = A (1 - e^{-S / B}), \\quad A = N v a, \\; B = N b,

concave and increasing in ``S``, with marginal return ``G'(S) = (A / B) e^{-S / B}``. This is the
change in customer equity a spend buys, the numerator of return on marketing in Rust, Lemon &
Zeithaml (2004, *Return on marketing: using customer equity to focus marketing strategy*,
Journal of Marketing 68(1), eq. 9: ``ROI = (delta CE - E) / E``).

Value of one unit of outcome (assumptions)
------------------------------------------
* **retention** (outcome: the customer is retained, 0/1): a customer kept who would have been
  lost is worth the segment's mean CLV if alive (``clv / p_alive``, the value the customer base
  model gives a customer known to be alive).
* **cross_sell** (outcome: extra purchases in the window): each extra purchase is worth
  ``margin x`` the segment's mean expected spend per purchase (Gamma-Gamma ``expected_spend``);
  it is assumed not to change later purchasing.
* **acquisition** (outcome: new customers in a cell): each new customer is worth the expected CLV
  of a new customer (:func:`clientele.equity.new_customer_margins`, discounted).
* Values are point estimates: the intervals of a line carry the response curve's uncertainty,
  not that of the CLV model.
* Spend per unit is capped at the largest spend tested (no extrapolation beyond the data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clientele.budget.response import ResponseSet
from clientele.errors import InputError


@dataclass
class BudgetLines:
    """Lines with their curves ``G(S) = A (1 - exp(-S / B))``, point estimate and draws.

    Attributes
    ----------
    frame
        One row per line: ``segment``, ``lever``, ``owner``, ``reach`` (N), ``value`` (v per
        unit of outcome), ``A``, ``B``, ``max_spend`` (N x the largest tested spend per unit).
    A_draws, B_draws
        ``(lines, draws)`` bootstrap draws of ``A`` and ``B``.
    level
        Coverage of the intervals.
    """

    frame: pd.DataFrame
    A_draws: np.ndarray
    B_draws: np.ndarray
    level: float = 0.9

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def A(self) -> np.ndarray:
        return self.frame["A"].to_numpy(np.float64)

    @property
    def B(self) -> np.ndarray:
        return self.frame["B"].to_numpy(np.float64)

    def gain(self, spend: np.ndarray) -> np.ndarray:
        """Expected equity gain of each line at ``spend`` (point estimate)."""
        return gain(self.A, self.B, np.asarray(spend, dtype=np.float64))

    def gain_draws(self, spend: np.ndarray) -> np.ndarray:
        """``(lines, draws)`` equity gain of each line at ``spend`` for every draw."""
        return gain(self.A_draws, self.B_draws, np.asarray(spend, dtype=np.float64)[:, None])

    def marginal(self, spend: np.ndarray) -> np.ndarray:
        """Equity bought by one more unit of money on each line, ``G'(S)``."""
        return marginal(self.A, self.B, np.asarray(spend, dtype=np.float64))

    def index(self) -> pd.MultiIndex:
        return pd.MultiIndex.from_frame(self.frame[["segment", "lever"]])

    def with_curve(self, i: int, A: float, B: float) -> BudgetLines:
        """A copy with line ``i``'s point curve replaced (for sensitivity analysis)."""
        frame = self.frame.copy()
        frame.loc[frame.index[i], ["A", "B"]] = [A, B]
        return BudgetLines(frame, self.A_draws, self.B_draws, self.level)


def gain(A: np.ndarray, B: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """``A (1 - exp(-S / B))``."""
    return A * -np.expm1(-spend / B)


def marginal(A: np.ndarray, B: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """``(A / B) exp(-S / B)``."""
    return (A / B) * np.exp(-spend / B)


def segment_values(
    scores: pd.DataFrame,
    membership: pd.DataFrame,
    *,
    margin: float | None = None,
) -> pd.DataFrame:
    """Per segment: customers, mean CLV if alive and margin x mean expected spend per purchase.

    Parameters
    ----------
    scores
        ``customer_key`` (column or index), ``p_alive``, ``expected_spend``, ``clv`` (the
        ``customer_scores`` table); ``margin`` too unless given.
    membership
        ``customer_key``, ``segment``: one segment per customer.
    margin
        Share of revenue that is profit (default: the scores' ``margin`` column).
    """
    s = scores.reset_index() if "customer_key" not in scores.columns else scores
    for column in ("customer_key", "p_alive", "expected_spend", "clv"):
        if column not in s.columns:
            raise InputError("customer scores lack a column (run `clientele score`)", column=column)
    if not {"customer_key", "segment"} <= set(membership.columns):
        raise InputError("segment membership needs the columns customer_key and segment")
    if membership["customer_key"].duplicated().any():
        dup = membership.loc[membership["customer_key"].duplicated(), "customer_key"].iloc[0]
        raise InputError("a customer is in two segments of the membership", column="customer_key", value=dup)
    if margin is None:
        margin = float(s["margin"].iloc[0]) if "margin" in s.columns and len(s) else 0.30
    joined = membership[["customer_key", "segment"]].merge(s, on="customer_key", how="inner")
    p = joined["p_alive"].to_numpy(np.float64)
    joined["value_if_alive"] = np.where(p > 0, joined["clv"].to_numpy(np.float64) / np.where(p > 0, p, 1.0), 0.0)
    joined["purchase_value"] = float(margin) * joined["expected_spend"].to_numpy(np.float64)
    g = joined.groupby("segment")
    return pd.DataFrame({"customers": g.size(), "value_if_alive": g["value_if_alive"].mean(),
                         "purchase_value": g["purchase_value"].mean(), "clv": g["clv"].sum()})


def build_lines(
    responses: ResponseSet,
    values: pd.DataFrame,
    *,
    new_customer_value: float,
    acquisition_cells: dict[str, int] | int | None = None,
    owners: dict[str, str] | None = None,
) -> BudgetLines:
    """Turn every response curve into a budget line (see the module docstring for the values).

    Parameters
    ----------
    responses
        The fitted curves.
    values
        :func:`segment_values` (indexed by segment).
    new_customer_value
        Expected customer equity of one new customer (acquisition lever).
    acquisition_cells
        Cells an acquisition line spends over (per segment or one number; default: the cells of
        the acquisition records, stored in the curve's settings, else 1).
    owners
        Segment -> owner (customer manager); missing segments are owned by ``"(unassigned)"``.
    """
    rows, a_draws, b_draws = [], [], []
    owners = owners or {}
    for (segment, lever), curve in responses.curves.items():
        if lever == "acquisition":
            if isinstance(acquisition_cells, dict):
                reach = acquisition_cells.get(segment, responses.settings.get("cells", {}).get(segment, 1))
            elif acquisition_cells is not None:
                reach = acquisition_cells
            else:
                reach = responses.settings.get("cells", {}).get(segment, 1)
            value = float(new_customer_value)
        else:
            if segment not in values.index:
                raise InputError(f"segment {segment!r} of the campaign records has no customers in the "
                                 "segment membership", column="segment", value=segment)
            reach = int(values.loc[segment, "customers"])
            value = float(values.loc[segment, "value_if_alive" if lever == "retention" else "purchase_value"])
        reach = max(int(reach), 1)
        rows.append({"segment": segment, "lever": lever, "owner": owners.get(segment, "(unassigned)"),
                     "reach": reach, "value": value, "A": reach * value * curve.a, "B": reach * curve.b,
                     "max_spend": reach * curve.max_spend})
        a_draws.append(reach * value * curve.a_draws)
        b_draws.append(reach * curve.b_draws)
    if not rows:
        raise InputError("there are no response curves to build budget lines from")
    return BudgetLines(pd.DataFrame(rows), np.vstack(a_draws), np.vstack(b_draws), responses.level)
