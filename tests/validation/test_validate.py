"""Validation on CDNOW (Fader, Hardie & Lee 2005) and on small hand-checked logs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from clientele.errors import InputError
from clientele.validation import cohort_days, default_calibration_end, validate

CAL, OBS = "1997-09-30", "1998-06-30"


@pytest.fixture(scope="module")
def paper(cdnow_sample):
    return validate(cdnow_sample, calibration_end=CAL, observation_end=OBS)


def test_cdnow_reproduces_the_paper(paper):
    # FHL 2005 table/section 4: r=0.243, alpha=4.414, a=0.793, b=2.426; 2,357 customers;
    # 1,882 actual holdout repeat transactions against about 1,653 expected
    p = paper.model.params_
    assert (round(p["r"], 3), round(p["alpha"], 2), round(p["a"], 3), round(p["b"], 2)) == (0.243, 4.41, 0.793, 2.43)
    e = paper.errors
    assert e["customers"] == 2357
    assert e["actual_holdout_transactions"] == 1882
    assert e["model_holdout_transactions"] == pytest.approx(1653, abs=1.0)
    assert e["total_error_pct"] == pytest.approx(100 * (1653.4 - 1882) / 1882, abs=0.1)
    assert paper.histogram.loc["0", "actual"] == 1411  # customers without repeat purchase in calibration


def test_histogram_sums_and_matches_lifetimes(paper):
    from lifetimes import BetaGeoFitter

    h = paper.histogram
    assert list(h.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert h["actual"].sum() == 2357
    assert h["model"].sum() == pytest.approx(2357)
    assert (h["model"] > 0).all()
    reference = BetaGeoFitter()
    reference.params_ = pd.Series(paper.model.params_)
    T = paper.rfm["T"].to_numpy()
    for x in range(7):
        expected = sum(reference.probability_of_n_purchases_up_to_time(t, x) for t in T)
        assert h.loc[str(x), "model"] == pytest.approx(expected, rel=1e-6)


def test_conditional_expectations_brute_force(paper):
    from lifetimes import BetaGeoFitter

    reference = BetaGeoFitter()
    reference.params_ = pd.Series(paper.model.params_)
    rfm = paper.rfm
    each = reference.conditional_expected_number_of_purchases_up_to_time(
        rfm["duration_holdout"], rfm["frequency"], rfm["recency"], rfm["T"]
    )
    bucket = np.minimum(rfm["frequency"], 7)
    c = paper.conditional
    for k in range(8):
        label = f"{k}+" if k == 7 else str(k)
        mask = (bucket == k).to_numpy()
        assert c.loc[label, "customers"] == mask.sum()
        assert c.loc[label, "actual"] == pytest.approx(rfm["frequency_holdout"][mask].mean())
        assert c.loc[label, "model"] == pytest.approx(np.asarray(each)[mask].mean(), rel=1e-6)


def test_tracking_totals_and_model_at_the_end(paper):
    w, rfm = paper.weekly, paper.rfm
    assert len(w) == 78  # 1997-01-01 .. 1998-06-30 is 546 days
    assert w["start"].iloc[0] == dt.date(1997, 1, 1) and w["end"].iloc[-1] == dt.date(1998, 6, 30)
    assert w["actual_cumulative"].iloc[-1] == rfm["frequency"].sum() + rfm["frequency_holdout"].sum()
    assert (np.diff(w["model_cumulative"]) >= 0).all()
    assert w["actual"].sum() == w["actual_cumulative"].iloc[-1]
    # at the observation end every customer has been watched T + holdout weeks
    brute = paper.model.expected_purchases_new((rfm["T"] + rfm["duration_holdout"]).to_numpy()).sum()
    assert w["model_cumulative"].iloc[-1] == pytest.approx(brute, rel=1e-9)
    # ... and at the calibration end (the end of week 39) T weeks
    at_cal = w.loc[w["end"] == dt.date(1997, 9, 30), "model_cumulative"].iloc[0]
    assert at_cal == pytest.approx(paper.model.expected_purchases_new(rfm["T"].to_numpy()).sum(), rel=1e-9)
    assert set(w["period"]) == {"calibration", "holdout"}


def test_master_cohort_holdout_counts(cdnow_master_cohort):
    result = validate(cdnow_master_cohort, calibration_end=CAL, observation_end=OBS)
    days = cdnow_master_cohort.assign(day=cdnow_master_cohort["timestamp"].dt.normalize())
    days = days.drop_duplicates(["customer_key", "day"])
    holdout = days[(days["day"] > CAL) & (days["day"] <= OBS)]
    assert result.errors["customers"] == cdnow_master_cohort["customer_key"].nunique() == 23570
    assert result.errors["actual_holdout_transactions"] == len(holdout)
    assert 0 < result.errors["mae"] < 2 * result.errors["mean_actual"] + 1


def test_cohort_days_small_log():
    tx = pd.DataFrame(
        {
            "customer_key": ["a", "a", "a", "a", "b", "b", "c", "c"],
            "timestamp": pd.to_datetime(
                ["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-03 00:00", "2024-02-10 00:00", "2024-01-02 00:00", "2024-01-03 00:00", "2024-01-20 00:00", "2024-01-25 00:00"]
            ),
        }
    )
    days = cohort_days(tx, calibration_end=dt.date(2024, 1, 10), observation_end=dt.date(2024, 1, 31))
    assert days.acquisitions.to_dict() == {dt.date(2024, 1, 1): 1, dt.date(2024, 1, 2): 1}  # c comes too late
    assert days.repeats.to_dict() == {dt.date(2024, 1, 3): 2}  # a's 02-10 is after the observation end


def test_weekly_actuals_by_hand():
    tx = pd.DataFrame(
        {
            "customer_key": ["a", "a", "a", "b", "b"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-09", "2024-01-02", "2024-01-20"]),
        }
    )
    result = validate(tx, calibration_end="2024-01-10", observation_end="2024-01-21")
    w = result.weekly
    assert w["actual"].tolist() == [1, 1, 1]  # weeks from 01-01: 01-05 | 01-09 | 01-20
    assert w["end"].tolist() == [dt.date(2024, 1, 7), dt.date(2024, 1, 14), dt.date(2024, 1, 21)]
    assert w["period"].tolist() == ["calibration", "both", "holdout"]
    assert result.errors["actual_holdout_transactions"] == 1


@pytest.mark.parametrize("model", ["mbgnbd", "paretonbd"])
def test_other_models(cdnow_sample, model):
    result = validate(cdnow_sample, calibration_end=CAL, observation_end=OBS, model=model)
    assert result.histogram["model"].sum() == pytest.approx(2357, rel=1e-6)
    assert 1400 < result.errors["model_holdout_transactions"] < 2100


def test_bad_input_is_explained(cdnow_sample):
    with pytest.raises(InputError, match="must be after the calibration end"):
        validate(cdnow_sample, calibration_end=OBS, observation_end=CAL)
    with pytest.raises(InputError, match="bgnbd, mbgnbd, paretonbd"):
        validate(cdnow_sample, calibration_end=CAL, model="nbd")
    with pytest.raises(InputError, match="not a date"):
        validate(cdnow_sample, calibration_end="30/09/1997")
    with pytest.raises(InputError, match="max_frequency"):
        validate(cdnow_sample, calibration_end=CAL, max_frequency=0)
    with pytest.raises(InputError, match="customer_key"):
        validate(cdnow_sample.rename(columns={"customer_key": "id"}), calibration_end=CAL)


def test_default_dates(cdnow_sample):
    assert default_calibration_end(cdnow_sample) == dt.date(1997, 9, 30)  # halfway through 1997-01-01..1998-06-30
    result = validate(cdnow_sample, calibration_end=CAL)
    assert result.observation_end == dt.date(1998, 6, 30)
    payload = result.to_dict()
    assert payload["errors"]["actual_holdout_transactions"] == 1882
    assert len(payload["weekly"]) == 78 and payload["weekly"][0]["start"] == "1997-01-01"
