"""Customer referral value credited on a small hand-made referral graph."""

from __future__ import annotations

import pandas as pd
import pytest

from clientele.errors import InputError
from clientele.indicators import credited_referrals, referral_summary, referral_value, referrals_by_month

# A refers B (Jan) and C (Feb); B refers D (Mar); D refers B (Apr: B was already referred by A);
# E refers E (a self-referral); F refers G, who never purchased (no value).
GRAPH = pd.DataFrame({
    "referrer": ["A", "A", "B", "D", "E", "F"],
    "referee": ["B", "C", "D", "B", "E", "G"],
    "timestamp": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-03-03", "2025-04-01", "2025-04-02", "2025-04-09"]),
})
VALUE = pd.Series({"A": 500.0, "B": 100.0, "C": 50.0, "D": 20.0, "E": 70.0, "F": 1.0})


def test_crv_by_hand():
    crv = referral_value(GRAPH, VALUE, incremental_share=0.4, acquisition_cost=10.0)
    # A: 0.4 (100 + 50) + 0.6 * 10 * 2 = 72; B: 0.4 * 20 + 0.6 * 10 = 14; F: 0.4 * 0 + 6 = 6
    assert crv["crv"].to_dict() == pytest.approx({"A": 72.0, "B": 14.0, "F": 6.0})
    assert crv.index.tolist() == ["A", "B", "F"]  # largest first; D and E credited nothing
    assert crv.loc["A", "referrals"] == 2 and crv.loc["A", "referee_value"] == 150.0
    assert referral_summary(crv) == {"referrers": 3, "referrals": 4, "referee_value": 170.0, "crv": pytest.approx(92.0)}


def test_extreme_shares():
    everything = referral_value(GRAPH, VALUE, incremental_share=1.0, acquisition_cost=10.0)
    assert everything.loc["A", "crv"] == 150.0  # all referees would not have joined otherwise
    savings = referral_value(GRAPH, VALUE, incremental_share=0.0, acquisition_cost=10.0)
    assert savings["crv"].tolist() == [20.0, 10.0, 10.0]  # only the saved acquisition costs


def test_each_referee_credited_once_to_the_earliest_referrer():
    credited = credited_referrals(GRAPH)
    assert sorted(zip(credited["referrer"], credited["referee"])) == [("A", "B"), ("A", "C"), ("B", "D"), ("F", "G")]
    assert referrals_by_month(GRAPH).to_dict() == {pd.Period("2025-01"): 1, pd.Period("2025-02"): 1,
                                                   pd.Period("2025-03"): 1, pd.Period("2025-04"): 1}


def test_bad_inputs():
    with pytest.raises(InputError, match="referee"):
        referral_value(GRAPH.drop(columns="referee"), VALUE)
    with pytest.raises(InputError, match="incremental_share"):
        referral_value(GRAPH, VALUE, incremental_share=1.5)
    with pytest.raises(InputError, match="line 2.*both customers"):
        referral_value(pd.DataFrame({"referrer": ["A", None], "referee": ["B", "C"]}), VALUE)
