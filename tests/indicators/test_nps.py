"""NPS on a hand example, its variance and interval against simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientele.errors import InputError
from clientele.indicators import net_promoter_score, nps_interval, nps_table


def test_hand_example():
    # 4 promoters (9, 10, 10, 9), 3 passives (7, 8, 8), 3 detractors (0, 5, 6): n = 10
    r = net_promoter_score([9, 10, 7, 8, 0, 5, 10, 6, 8, 9], level=0.95)
    assert (r["promoters"], r["passives"], r["detractors"], r["responses"]) == (4, 3, 3, 10)
    assert r["nps"] == pytest.approx(10.0)
    # Var(pP - pD) = (0.4 + 0.3 - 0.1^2) / 10 = 0.069
    assert r["std_error"] == pytest.approx(100 * np.sqrt(0.069))
    assert r["lower"] == pytest.approx(10 - 1.959963984540054 * 100 * np.sqrt(0.069))
    assert r["upper"] == pytest.approx(10 + 1.959963984540054 * 100 * np.sqrt(0.069))


def test_adjusted_interval_by_hand_and_all_promoters():
    r = nps_interval(10, 0, 0, level=0.95, method="adjusted")
    pp, pd_ = 10.75 / 13, 0.75 / 13
    se = 100 * np.sqrt((pp + pd_ - (pp - pd_) ** 2) / 13)
    assert r["nps"] == 100.0 and r["std_error"] == pytest.approx(se)
    assert r["lower"] == pytest.approx(100 * (pp - pd_) - 1.959963984540054 * se)
    assert r["upper"] == 100.0  # clipped
    wald = nps_interval(10, 0, 0, method="wald")
    assert wald["lower"] == wald["upper"] == 100.0  # the Wald interval collapses


def test_variance_and_coverage_against_simulation():
    rng = np.random.default_rng(42)
    probs, n, reps = np.array([0.45, 0.30, 0.25]), 400, 4000
    counts = rng.multinomial(n, probs, size=reps)
    estimates = 100 * (counts[:, 0] - counts[:, 2]) / n
    theoretical = 100 * np.sqrt((0.45 + 0.25 - 0.2**2) / n)
    assert estimates.std() == pytest.approx(theoretical, rel=0.04)
    truth = 100 * (0.45 - 0.25)
    for method in ("wald", "adjusted"):
        covered = np.mean([
            (lambda r: r["lower"] <= truth <= r["upper"])(nps_interval(*c, level=0.9, method=method)) for c in counts
        ])
        assert covered == pytest.approx(0.90, abs=0.02), method


def test_table_by_group_and_bad_answers():
    surveys = pd.DataFrame({"nps": [10, 0, 9, 7, 3], "segment": ["a", "a", "b", "b", "b"]})
    table = nps_table(surveys, by=["segment"])
    assert table.loc["a", "nps"] == 0.0 and table.loc["b", "nps"] == pytest.approx(0.0)
    assert table["responses"].tolist() == [2, 3]
    assert nps_table(surveys).loc["all", "responses"] == 5
    with pytest.raises(InputError, match="line 2.*value 11.*whole number from 0 to 10"):
        net_promoter_score([3, 11])
    with pytest.raises(InputError, match="method"):
        nps_interval(1, 1, 1, method="exact")
    assert np.isnan(net_promoter_score([])["nps"])
