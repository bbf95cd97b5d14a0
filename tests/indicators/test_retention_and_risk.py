"""Activity, retention and cohort repeat rates by hand and brute force; value at risk by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clientele.indicators import cohort_repeat_rates, monthly_activity, value_at_risk, value_risk_segments


def _purchases(rows):
    return pd.DataFrame(rows, columns=["customer_key", "timestamp"]).assign(timestamp=lambda f: pd.to_datetime(f["timestamp"]))


HAND = _purchases([
    ("a", "2025-01-05"), ("a", "2025-02-10"), ("b", "2025-01-20"), ("c", "2025-02-02"), ("c", "2025-03-30"),
])


def test_monthly_retention_by_hand():
    t = monthly_activity(HAND, window_months=1).xs("all", level="segment")
    assert t["active"].tolist() == [2, 2, 1]  # Jan {a, b}, Feb {a, c}, Mar {c}
    assert t["new_customers"].tolist() == [2, 1, 0]
    # Feb: of {a, b} (Jan) a buys again; Mar: of {a, c} (Feb) c buys again
    assert np.isnan(t["retention_rate"].iloc[0])
    assert t["retention_rate"].iloc[1:].tolist() == [0.5, 0.5]


def test_monthly_activity_against_brute_force():
    rng = np.random.default_rng(3)
    n = 300
    frame = _purchases(list(zip(rng.choice([f"k{i}" for i in range(60)], n),
                                pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"))))
    segments = pd.Series({f"k{i}": "odd" if i % 2 else "even" for i in range(60)})
    w = 3
    table = monthly_activity(frame, window_months=w, segments=segments)
    months = frame["timestamp"].dt.to_period("M")
    for month in pd.period_range(months.min(), months.max(), freq="M"):
        current = set(frame.loc[(months > month - w) & (months <= month), "customer_key"])
        previous = set(frame.loc[(months > month - 2 * w) & (months <= month - w), "customer_key"])
        row = table.loc[(month, "all")]
        assert row["active"] == len(current) and row["base"] == len(previous)
        assert row["retained"] == len(current & previous)
        odd = {k for k in current if segments[k] == "odd"}
        assert table.loc[(month, "odd"), "active"] == len(odd)


def test_cohort_repeat_rates_by_hand():
    frame = _purchases([
        ("a", "2025-01-05"), ("a", "2025-01-05"), ("a", "2025-03-01"),  # same-day purchase is no repeat
        ("b", "2025-01-20"), ("b", "2025-06-01"),
        ("c", "2025-01-31"),
        ("d", "2025-05-15"), ("d", "2025-05-16"),
    ])
    rates = cohort_repeat_rates(frame, within_months=(3, 6), until="2025-08-31")
    jan = rates.loc[pd.Period("2025-01")]
    assert jan["customers"] == 3
    assert jan["repeat_3m"] == pytest.approx(1 / 3) and jan["repeat_6m"] == pytest.approx(2 / 3)
    may = rates.loc[pd.Period("2025-05")]
    assert may["repeat_3m"] == 1.0
    assert np.isnan(may["repeat_6m"])  # not yet observed for 6 months


def test_value_at_risk_by_hand():
    scores = pd.DataFrame({"p_alive": [0.5, 1.0, 0.0], "clv": [10.0, 20.0, 0.0]}, index=["x", "y", "z"])
    risk = value_at_risk(scores, segments={"x": "s1", "y": "s2", "z": "s1"})
    # value if alive: 20, 20, 0; at risk (1 - p) V: 10, 0, 0
    assert risk.loc["all", "value_at_risk"] == 10.0 and risk.loc["all", "churn_weighted"] == 0.25
    assert risk.loc["s1", "value_at_risk"] == 10.0 and risk.loc["s2", "value_at_risk"] == 0.0
    assert risk.loc["all", "expected_alive"] == 1.5


def test_value_risk_grid_has_balanced_value_levels():
    rng = np.random.default_rng(0)
    scores = pd.DataFrame({"p_alive": rng.uniform(0, 1, 300), "clv": rng.gamma(2, 10, 300)})
    labels = value_risk_segments(scores)
    levels = labels.str.split(",").str[0].value_counts()
    assert levels.to_dict() == {"low value": 100, "mid value": 100, "high value": 100}
    assert (labels.str.endswith("at risk") == (scores["p_alive"] < 0.5)).all()
