"""The RFM summary: against lifetimes on CDNOW, the published CDNOW summary, a brute force, errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clientele
from clientele.errors import InputError
from clientele.rfm import TIME_UNITS, export_rfm, rfm_expr, rfm_summary
from clientele.rfm.export import describe
from clientele.rfm.inputs import prepare

lifetimes_utils = pytest.importorskip("lifetimes.utils")
DATASETS = Path(lifetimes_utils.__file__).parent / "datasets"
CAL_PAIRS = [
    ("frequency", "frequency_cal"),
    ("recency", "recency_cal"),
    ("T", "T_cal"),
    ("monetary_value", "monetary_value_cal"),
    ("frequency_holdout", "frequency_holdout"),
    ("monetary_value_holdout", "monetary_value_holdout"),
    ("duration_holdout", "duration_holdout"),
]
TIME_COLUMNS = {"recency", "T", "duration_holdout"}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """CDNOW_master as shipped by lifetimes: customer id, purchase date, CDs, dollars."""
    frame = pd.read_csv(
        DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str}
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


def _cdnow_summary(frame: pd.DataFrame, **kwargs) -> pd.DataFrame:
    return rfm_summary(
        frame, customer_col="customer_id", timestamp_col="date", amount_col="dollar_value", **kwargs
    )


@pytest.mark.parametrize("unit", ["D", "W", "M"])
def test_cdnow_equals_lifetimes_summary(cdnow, unit):
    ours = _cdnow_summary(cdnow, observation_end="1998-06-30", time_unit=unit)
    ref = lifetimes_utils.summary_data_from_transaction_data(
        cdnow, "customer_id", "date", "dollar_value", observation_period_end="1998-06-30", freq="D"
    ).sort_index()
    assert len(ours) == 23_570
    assert ours.index.name == "customer_id"
    assert list(ours.index) == list(ref.index)
    assert list(ours.columns) == ["frequency", "recency", "T", "monetary_value"]
    for column in ours.columns:
        expected = ref[column].to_numpy() / (TIME_UNITS[unit] if column in TIME_COLUMNS else 1.0)
        np.testing.assert_allclose(ours[column].to_numpy(), expected, rtol=0, atol=1e-9, err_msg=column)
    assert ours["frequency"].dtype == np.int64


def test_cdnow_sample_equals_lifetimes_summary():
    sample = pd.read_csv(
        DATASETS / "CDNOW_sample.txt", sep=r"\s+", header=None, names=["master", "id", "date", "cds", "amount"]
    )
    sample["date"] = pd.to_datetime(sample["date"].astype(str), format="%Y%m%d")
    ours = rfm_summary(sample, observation_end="1998-06-30", customer_col="id", timestamp_col="date")
    ref = lifetimes_utils.summary_data_from_transaction_data(
        sample, "id", "date", "amount", observation_period_end="1998-06-30"
    ).sort_index()
    assert len(ours) == 2_357 and list(ours.index) == list(ref.index)
    np.testing.assert_allclose(ours.to_numpy(float), ref[ours.columns].to_numpy(), rtol=0, atol=1e-9)


def test_cdnow_equals_lifetimes_calibration_and_holdout(cdnow):
    ours = _cdnow_summary(cdnow, observation_end="1998-06-30", calibration_end="1997-09-30", time_unit="W")
    ref = lifetimes_utils.calibration_and_holdout_data(
        cdnow, "customer_id", "date", "1997-09-30", "1998-06-30", monetary_value_col="dollar_value"
    ).sort_index()
    assert list(ours.index) == list(ref.index)
    assert list(ours.columns) == [ours_name for ours_name, _ in CAL_PAIRS]
    for ours_name, ref_name in CAL_PAIRS:
        if ours_name == "monetary_value_holdout":
            continue  # lifetimes averages rows, not days: compared on day totals below
        expected = ref[ref_name].to_numpy() / (7.0 if ours_name in TIME_COLUMNS else 1.0)
        np.testing.assert_allclose(ours[ours_name].to_numpy(), expected, rtol=0, atol=1e-9, err_msg=ours_name)

    # With one row per customer-day (same-day purchases summed, as the summary defines a
    # transaction), lifetimes' row mean is the day mean: all columns must agree.
    daily = cdnow.groupby(["customer_id", "date"], as_index=False)["dollar_value"].sum()
    ref_daily = lifetimes_utils.calibration_and_holdout_data(
        daily, "customer_id", "date", "1997-09-30", "1998-06-30", monetary_value_col="dollar_value"
    ).sort_index()
    np.testing.assert_allclose(
        ours["monetary_value_holdout"].to_numpy(), ref_daily["monetary_value_holdout"].to_numpy(), rtol=0, atol=1e-9
    )
    # CDNOW has same-day repeat rows, so the two definitions do differ somewhere.
    assert (np.abs(ours["monetary_value_holdout"].to_numpy() - ref["monetary_value_holdout"].to_numpy()) > 1e-6).any()


@pytest.mark.parametrize("calibration_end", [None, "1997-09-30"])
def test_passes_over_customer_partitions_equal_one_pass(cdnow, monkeypatch, calibration_end):
    """A large log is summarised in several passes over disjoint customers (bounded memory):
    the result must be the one-pass result, row for row and in the same order."""
    import clientele.rfm.summary as summary

    kwargs = dict(observation_end="1998-06-30", calibration_end=calibration_end, time_unit="W")
    one_pass = _cdnow_summary(cdnow, **kwargs)
    real_bounds = summary._range_bounds
    monkeypatch.setattr(summary, "PARTITION_ROWS", 10_000)  # CDNOW's 69,659 rows -> 7 passes
    monkeypatch.setattr(summary, "BITMAP_PARTITION_ROWS", 10_000)
    calls = []
    monkeypatch.setattr(summary, "_range_bounds", lambda *a: calls.append(a) or real_bounds(*a))
    passes = _cdnow_summary(cdnow, **kwargs)
    assert calls and calls[0][1] == 7
    pd.testing.assert_frame_equal(passes, one_pass)
    assert list(passes.index) == sorted(passes.index)


@pytest.mark.parametrize(
    ("calibration_end", "amount_col"), [(None, "dollar_value"), ("1997-09-30", "dollar_value"), ("1997-09-30", None)]
)
def test_day_bitmap_equals_two_level_aggregation(cdnow, calibration_end, amount_col):
    """DuckDB's one-level aggregation (days counted in a bitmap, first-day totals rescanned for
    customers with several purchases on one day) gives the engine-agnostic two-level result."""
    from clientele.rfm import day_bitmap
    from clientele.rfm.inputs import prepare
    from clientele.rfm.summary import request_expr

    request = prepare(
        cdnow, observation_end="1998-06-30", time_unit="W", calibration_end=calibration_end,
        customer_col="customer_id", timestamp_col="date", amount_col=amount_col,
    )
    assert day_bitmap.usable(request.source.backend, request.first_day, request.observation_end)
    backend = request.source.backend
    bitmap = backend.to_pandas(request_expr(request, bitmap=True))
    two_level = backend.to_pandas(request_expr(request, bitmap=False))
    assert list(bitmap.columns) == list(two_level.columns)
    assert bitmap["customer_id"].tolist() == two_level["customer_id"].tolist()
    numbers = [c for c in bitmap.columns if c != "customer_id"]
    np.testing.assert_allclose(bitmap[numbers].to_numpy(float), two_level[numbers].to_numpy(float), rtol=1e-12, atol=1e-9)
    # CDNOW has customers with several purchases on their first day: the rescan was needed
    same_day = cdnow[cdnow["date"] <= (calibration_end or "1998-06-30")].groupby(["customer_id", "date"]).size()
    assert (same_day > 1).any()


def test_day_bitmap_is_for_duckdb_windows_up_to_its_limit():
    from clientele.rfm import day_bitmap

    duck = ibis.duckdb.connect()
    start = dt.date(2000, 1, 1)
    assert day_bitmap.usable(duck, start, start + dt.timedelta(days=day_bitmap.MAX_BITMAP_DAYS - 1))
    assert not day_bitmap.usable(duck, start, start + dt.timedelta(days=day_bitmap.MAX_BITMAP_DAYS))
    assert not day_bitmap.usable(duck, None, start)
    assert not day_bitmap.usable(object(), start, start)


def test_long_window_falls_back_to_two_levels():
    """A window longer than the bitmap's limit is summarised by the two-level aggregation."""
    from clientele.rfm import day_bitmap

    frame = pd.DataFrame(
        {
            "customer_key": [1, 1, 1, 2],
            "timestamp": pd.to_datetime(["1990-01-01 08:00", "1990-01-01 09:00", "2020-06-01 10:00", "2020-06-02 10:00"]),
            "amount": [1.0, 2.0, 5.0, 4.0],
        }
    )
    assert (dt.date(2020, 6, 30) - dt.date(1990, 1, 1)).days >= day_bitmap.MAX_BITMAP_DAYS
    out = rfm_summary(frame, observation_end="2020-06-30")
    assert out.loc[1].tolist() == [1, float((dt.date(2020, 6, 1) - dt.date(1990, 1, 1)).days),
                                   float((dt.date(2020, 6, 30) - dt.date(1990, 1, 1)).days), 5.0]


def test_cdnow_calibration_excludes_later_first_purchases(cdnow):
    ours = _cdnow_summary(cdnow, observation_end="1997-12-31", calibration_end="1997-02-15")
    first = cdnow.groupby("customer_id")["date"].min()
    assert set(ours.index) == set(first[first <= "1997-02-15"].index)
    assert len(ours) < cdnow["customer_id"].nunique()


def test_published_cdnow_calibration_summary(cdnow):
    """Fader and Hardie's 2,357-customer CDNOW sample, 39 weeks to 1997-09-30, 2 decimals.

    The sample's customers are a 1/10 draw of the Q1-1997 cohort in CDNOW_master (every
    CDNOW_master customer first buys in 1997-01-01..1997-03-31); CDNOW_sample.txt maps
    master ids to the published ids 1..2357. T counts days to 1997-09-30 (not to its end) / 7.
    """
    sample = pd.read_csv(
        DATASETS / "CDNOW_sample.txt", sep=r"\s+", header=None, names=["master", "id", "date", "cds", "amount"]
    )
    ids = sample.drop_duplicates("master").set_index("master")["id"]
    master = cdnow.assign(master=cdnow["customer_id"].astype(int))
    assert master.groupby("master")["date"].min().between("1997-01-01", "1997-03-31").all()
    cohort = master[master["master"].isin(ids.index)].assign(id=lambda f: f["master"].map(ids))
    ours = rfm_summary(
        cohort, observation_end="1997-09-30", time_unit="W", customer_col="id", timestamp_col="date",
        amount_col="dollar_value",
    )
    published = pd.read_csv(DATASETS / "cdnow_customers_summary.csv").set_index("ID")
    with_spend = pd.read_csv(DATASETS / "cdnow_customers_summary_with_transactions.csv").set_index("ID")
    assert len(ours) == len(published) == 2_357
    assert list(ours.index) == list(published.index)
    assert (ours["frequency"] == published["frequency"]).all()
    for ours_name, published_col in [("recency", published["recency"]), ("T", published["T"]),
                                     ("monetary_value", with_spend["zbar"])]:
        np.testing.assert_allclose(ours[ours_name], published_col, rtol=0, atol=0.005 + 1e-9, err_msg=ours_name)
    assert ours["T"].max() == pytest.approx(272 / 7)  # 1997-01-01 .. 1997-09-30


# --------------------------------------------------------------------------- brute force

START = dt.datetime(2024, 1, 1)


def _brute_force(rows, observation_end: dt.date, calibration_end: dt.date | None, unit: float) -> pd.DataFrame:
    """Direct transcription of the definitions, one customer at a time."""
    summary_end = calibration_end or observation_end
    by_customer: dict[int, dict[dt.date, float]] = {}
    for customer, when, amount in rows:
        day = when.date()
        if day <= observation_end:
            days = by_customer.setdefault(customer, {})
            days[day] = days.get(day, 0.0) + amount
    out = {}
    for customer, days in by_customer.items():
        cal = {d: v for d, v in days.items() if d <= summary_end}
        if not cal:
            continue
        ordered = sorted(cal)
        repeat = [cal[d] for d in ordered[1:]]
        record = {
            "frequency": len(repeat),
            "recency": (ordered[-1] - ordered[0]).days / unit,
            "T": (summary_end - ordered[0]).days / unit,
            "monetary_value": sum(repeat) / len(repeat) if repeat else 0.0,
        }
        if calibration_end is not None:
            hold = [v for d, v in days.items() if d > calibration_end]
            record["frequency_holdout"] = len(hold)
            record["monetary_value_holdout"] = sum(hold) / len(hold) if hold else 0.0
            record["duration_holdout"] = (observation_end - calibration_end).days / unit
        out[customer] = record
    return pd.DataFrame.from_dict(out, orient="index").sort_index()


transaction_rows = st.lists(
    st.tuples(
        st.integers(1, 6),
        st.integers(0, 60 * 24 * 40).map(lambda minutes: START + dt.timedelta(minutes=minutes)),
        st.integers(1, 50_000).map(lambda cents: cents / 100),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=transaction_rows,
    end_offset=st.integers(0, 45),
    cal_offset=st.one_of(st.none(), st.integers(0, 44)),
    unit=st.sampled_from(sorted(TIME_UNITS)),
)
def test_matches_brute_force(rows, end_offset, cal_offset, unit):
    frame = pd.DataFrame(rows, columns=["customer_key", "timestamp", "amount"])
    first_day = frame["timestamp"].min().date()
    observation_end = START.date() + dt.timedelta(days=end_offset)
    calibration_end = None if cal_offset is None else START.date() + dt.timedelta(days=cal_offset)
    bad_calibration = calibration_end is not None and not first_day <= calibration_end < observation_end
    if observation_end < first_day or bad_calibration:
        with pytest.raises(InputError):
            rfm_summary(frame, observation_end=observation_end, calibration_end=calibration_end, time_unit=unit)
        return
    ours = rfm_summary(frame, observation_end=observation_end, calibration_end=calibration_end, time_unit=unit)
    expected = _brute_force(rows, observation_end, calibration_end, TIME_UNITS[unit])
    assert list(ours.index) == list(expected.index)
    assert list(ours.columns) == list(expected.columns)
    np.testing.assert_allclose(ours.to_numpy(float), expected.to_numpy(float), rtol=0, atol=1e-9)
    assert np.isfinite(ours.to_numpy(float)).all()
    assert (ours["recency"] <= ours["T"]).all() and (ours["frequency"] >= 0).all()
    assert ((ours["frequency"] == 0) == (ours["recency"] == 0)).all()


# --------------------------------------------------------------------------- inputs


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_key": [1, 1, 1, 1, 2, 3, 3],
            "timestamp": pd.to_datetime(
                ["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-08 10:00", "2024-01-15 23:59",
                 "2024-01-10 12:00", "2024-01-02 08:00", "2024-02-20 08:00"]
            ),
            "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 3.0, 99.0],
        }
    )


def test_small_by_hand(small):
    weeks = rfm_summary(small, observation_end="2024-01-29", time_unit="W")
    # customer 1: days 01-01 (15), 01-08 (20), 01-15 (40): x = 2, t_x = 14 d, T = 28 d, zbar = 30
    # customer 3: the 02-20 purchase is after observation_end and is ignored
    assert weeks.loc[1].tolist() == [2, 2.0, 4.0, 30.0]
    assert weeks.loc[2].tolist() == [0, 0.0, 19 / 7, 0.0]
    assert weeks.loc[3].tolist() == [0, 0.0, 27 / 7, 0.0]
    months = rfm_summary(small, observation_end="2024-01-29", time_unit="m")
    assert months.loc[1, "T"] == pytest.approx(28 / 30.4375, abs=1e-12)


def test_later_transactions_are_ignored(small):
    later = pd.concat([small, small.assign(timestamp=small["timestamp"] + pd.Timedelta(days=400))])
    pd.testing.assert_frame_equal(
        rfm_summary(small, observation_end="2024-01-29"), rfm_summary(later, observation_end="2024-01-29")
    )


def test_holdout_by_hand(small):
    out = rfm_summary(small, observation_end="2024-02-29", calibration_end="2024-01-08", time_unit="D")
    assert list(out.index) == [1, 3]  # customer 2 first buys on 01-10, after calibration
    assert out.loc[1].tolist() == [1, 7.0, 7.0, 20.0, 1, 40.0, 52.0]
    assert out.loc[3].tolist() == [0, 0.0, 6.0, 0.0, 1, 99.0, 52.0]


def test_input_kinds_agree(small, tmp_path):
    polars = pytest.importorskip("polars")
    expected = rfm_summary(small, observation_end="2024-01-29")
    assert_same = pd.testing.assert_frame_equal
    assert_same(rfm_summary(polars.from_pandas(small), observation_end="2024-01-29"), expected)
    assert_same(rfm_summary(small.set_index("customer_key"), observation_end="2024-01-29"), expected)
    con = ibis.duckdb.connect(tmp_path / "t.duckdb")
    table = con.create_table("tx", small)
    assert_same(rfm_summary(table, observation_end=dt.date(2024, 1, 29)), expected)
    assert_same(clientele.rfm_summary(ibis.memtable(small), observation_end=pd.Timestamp("2024-01-29 13:00")), expected)
    # a DATE column and DECIMAL amounts give the same summary
    con.raw_sql(
        "CREATE TABLE typed AS SELECT customer_key, CAST(timestamp AS DATE) AS timestamp, "
        "CAST(amount AS DECIMAL(18, 2)) AS amount FROM tx"
    )
    assert_same(rfm_summary(con.table("typed"), observation_end="2024-01-29"), expected)
    con.disconnect()


def test_without_amount(small):
    out = rfm_summary(small, observation_end="2024-01-29", amount_col=None)
    assert list(out.columns) == ["frequency", "recency", "T"]
    held = rfm_summary(small.drop(columns="amount"), observation_end="2024-02-29", calibration_end="2024-01-08",
                       amount_col=None)
    assert list(held.columns) == ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"]


def test_rfm_expr_is_lazy_and_equal(small):
    expr = rfm_expr(small, observation_end="2024-01-29", time_unit="W")
    assert isinstance(expr, ibis.expr.types.Table)
    assert expr.columns == ("customer_key", "frequency", "recency", "T", "monetary_value")
    sql = ibis.to_sql(expr, dialect="duckdb")
    assert "GROUP BY" in sql and "OVER" not in sql.upper()  # aggregates only, no window
    unbound = ibis.table({"customer_key": "string", "timestamp": "timestamp", "amount": "float64"}, name="purchases")
    assert "FROM \"purchases\"" in ibis.to_sql(rfm_expr(unbound, observation_end="2024-01-29"), dialect="duckdb")
    frame = ibis.duckdb.connect().to_pandas(expr).set_index("customer_key")
    pd.testing.assert_frame_equal(frame, rfm_summary(small, observation_end="2024-01-29", time_unit="W"),
                                  check_dtype=False)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"time_unit": "Y"}, "time_unit 'Y' is unknown; expected one of D, W, M"),
        ({"observation_end": "2024-13-01"}, "observation_end '2024-13-01' is not a date; expected YYYY-MM-DD"),
        ({"calibration_end": "2024-01-29"}, "calibration_end 2024-01-29 must be before observation_end 2024-01-29"),
        ({"calibration_end": "2024-02-01"}, "calibration_end 2024-02-01 must be before observation_end"),
        ({"observation_end": "2023-12-31"}, "observation_end 2023-12-31 is before the first transaction (2024-01-01)"),
        ({"calibration_end": "2023-06-30"}, "calibration_end 2023-06-30 is before the first transaction"),
        ({"customer_col": "customer_id"},
         "column 'customer_id': no such column in the transactions (set customer_col=); "
         "the columns are: customer_key, timestamp, amount"),
        ({"amount_col": "value"}, "the columns are: customer_key, timestamp, amount"),
    ],
)
def test_argument_errors(small, kwargs, needle):
    arguments = {"observation_end": "2024-01-29", **kwargs}
    with pytest.raises(InputError) as info:
        rfm_summary(small, **arguments)
    assert needle in str(info.value)


def test_data_errors(small):
    with pytest.raises(InputError, match="expected a date or timestamp column, found type string"):
        rfm_summary(small.assign(timestamp=small["timestamp"].dt.strftime("%Y%m%d")), observation_end="2024-01-29")
    with pytest.raises(InputError, match="expected a numeric amount column"):
        rfm_summary(small.assign(amount="12"), observation_end="2024-01-29")
    with pytest.raises(InputError, match=r"column 'customer_key': 1 transaction\(s\) have no value"):
        rfm_summary(small.assign(customer_key=[1, None, 1, 1, 2, 3, 3]), observation_end="2024-01-29")
    with pytest.raises(InputError, match=r"column 'amount': 2 transaction\(s\) have no value"):
        rfm_summary(small.assign(amount=[1.0, np.nan, None, 1, 1, 1, 1]), observation_end="2024-01-29")
    with pytest.raises(InputError, match="no transactions"):
        rfm_summary(small.iloc[:0], observation_end="2024-01-29")
    with pytest.raises(InputError, match="transactions must be an ibis table, .* not list"):
        rfm_summary([(1, "2024-01-01", 3.0)], observation_end="2024-01-29")


@pytest.mark.parametrize(
    ("observation_end", "summarised"),
    [("2024-02-29", 7), ("2024-02-20", 7), ("2024-02-19", 6), ("2024-01-15", 6), ("2024-01-14", 5), ("2024-01-01", 2)],
)
def test_request_counts_the_transactions_up_to_the_end_of_observation(small, observation_end, summarised):
    # the count comes from the file's statistics when every transaction is summarised, and
    # from a filtered count otherwise; a purchase at 23:59 on the last day is summarised
    request = prepare(
        small, observation_end=observation_end, time_unit="D", calibration_end=None,
        customer_col="customer_key", timestamp_col="timestamp", amount_col="amount",
    )
    assert request.transactions == summarised
    assert request.first_day == dt.date(2024, 1, 1)


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_round_trip(small, tmp_path, suffix):
    out = tmp_path / f"rfm{suffix}"
    stats = export_rfm(small, out, observation_end="2024-02-29", calibration_end="2024-01-08", time_unit="W")
    expected = rfm_summary(small, observation_end="2024-02-29", calibration_end="2024-01-08", time_unit="W")
    written = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    pd.testing.assert_frame_equal(written.set_index("customer_key"), expected, check_dtype=False)
    assert list(tmp_path.iterdir()) == [out]  # no partial file left behind
    assert stats["customers"] == 2 and stats["transactions"] == 7
    assert stats["repeaters"] == pytest.approx(0.5)
    assert stats["mean_frequency"] == pytest.approx(0.5)
    assert stats["mean_T"] == pytest.approx((7 + 6) / 2 / 7)
    assert stats["mean_monetary_value"] == pytest.approx(20.0)
    assert stats["mean_frequency_holdout"] == pytest.approx(1.0)
    assert stats["duration_holdout"] == pytest.approx(52 / 7)
    assert stats == {**describe(out, holdout=True), **{k: stats[k] for k in
                     ("transactions", "time_unit", "observation_end", "calibration_end")}}


def test_export_errors(small, tmp_path):
    with pytest.raises(InputError, match=r"rfm.xlsx' has an unknown format; expected a name ending in .csv or"):
        export_rfm(small, tmp_path / "rfm.xlsx", observation_end="2024-01-29")
    with pytest.raises(InputError, match="missing' does not exist"):
        export_rfm(small, tmp_path / "missing" / "rfm.csv", observation_end="2024-01-29")
    with pytest.raises(InputError, match="observation_end 2020-01-01 is before the first transaction"):
        export_rfm(small, tmp_path / "rfm.csv", observation_end="2020-01-01")
    assert not any(tmp_path.iterdir())


def test_large_first_purchase_keeps_repeat_mean_exact():
    """The repeat total is total - first day's amount: check it stays exact for money amounts."""
    frame = pd.DataFrame(
        {
            "customer_key": [1, 1, 1],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "amount": [Decimal("1000000000.00"), Decimal("0.01"), Decimal("0.02")],
        }
    )
    con = ibis.duckdb.connect()
    table = con.create_table("tx", frame.astype({"amount": "float64"}),
                             schema=ibis.schema({"customer_key": "int64", "timestamp": "timestamp",
                                                 "amount": "decimal(18, 2)"}))
    out = rfm_summary(table, observation_end="2024-01-03")
    assert out.loc[1, "monetary_value"] == 0.015


# --------------------------------------------------------------------------- store and CLI


@pytest.fixture
def shop_store(tmp_path, small):
    store_module = pytest.importorskip("clientele.store")
    path = tmp_path / "shop.duckdb"
    rows = small.rename(columns={"customer_key": "customer_id"}).astype({"customer_id": str})
    # a return (negative amount) must not count as a purchase
    refund = pd.DataFrame({"customer_id": ["2"], "timestamp": [pd.Timestamp("2024-01-20")], "amount": [-7.0]})
    with store_module.Store.open(path) as store:
        store.load("transactions", pd.concat([rows, refund], ignore_index=True), source="shop")
    return path


def test_store_summary(shop_store, small):
    from clientele.store import Store

    expected = rfm_summary(small, observation_end="2024-01-29")
    with Store.open(shop_store, read_only=True) as store:
        got = rfm_summary(store, observation_end="2024-01-29")
    assert list(got.index) == ["shop:1", "shop:2", "shop:3"]
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def test_cli_rfm(shop_store, small, tmp_path):
    from typer.testing import CliRunner

    from clientele.cli import app

    out = tmp_path / "rfm.parquet"
    args = ["--store", str(shop_store), "rfm", "--time-unit", "W", "--observation-end", "2024-02-29",
            "--calibration-end", "2024-01-08", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    stats = __import__("json").loads(result.stdout)
    assert stats["customers"] == 2 and stats["path"] == str(out) and stats["time_unit"] == "W"
    written = pd.read_parquet(out).set_index("customer_key")
    expected = rfm_summary(small, observation_end="2024-02-29", calibration_end="2024-01-08", time_unit="W")
    np.testing.assert_allclose(written.to_numpy(float), expected.to_numpy(float), rtol=0, atol=1e-12)

    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "share of repeat customers" in table.stdout and str(out.name) in table.stdout


def test_cli_rfm_errors(shop_store, tmp_path, monkeypatch, capsys):
    from clientele.cli import main

    def run(*args):
        monkeypatch.setattr("sys.argv", ["clientele", "--store", str(shop_store), "rfm", *args])
        with pytest.raises(SystemExit) as info:
            main()
        return info.value.code, capsys.readouterr().err

    code, err = run("--time-unit", "Y", "--observation-end", "2024-02-29", "--out", str(tmp_path / "r.csv"))
    assert code == 1 and "Traceback" not in err
    assert "time_unit 'Y' is unknown" in " ".join(err.split())
    code, err = run("--observation-end", "2023-01-01", "--out", str(tmp_path / "r.csv"))
    assert code == 1 and "before the first transaction" in " ".join(err.split())
    code, err = run("--observation-end", "2024-02-29", "--out", str(tmp_path / "r.json"))
    assert code == 1 and "expected a name ending in .csv or .parquet" in " ".join(err.split())
    assert not (tmp_path / "r.csv").exists()


def test_docstring_examples_run():
    import doctest

    import clientele.rfm.summary

    failed, attempted = doctest.testmod(clientele.rfm.summary, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted >= 3 and failed == 0


def test_duckdb_settings_are_restored_after_the_memory_flush(small):
    """rfm_summary briefly lowers DuckDB's allocator flush thresholds to hand memory back to
    the OS; the caller's connection must end with the settings it had."""
    import ibis

    backend = ibis.duckdb.connect()
    backend.raw_sql("SET allocator_flush_threshold = '64MB'")
    names = ("allocator_flush_threshold", "allocator_bulk_deallocation_flush_threshold")
    query = "SELECT " + ", ".join(f"current_setting('{n}')" for n in names)
    before = backend.con.execute(query).fetchall()
    table = backend.create_table("tx", small)
    summary = rfm_summary(table, observation_end="2024-03-31")
    assert len(summary) == small["customer_key"].nunique()
    assert backend.con.execute(query).fetchall() == before


def test_result_order_is_checked_on_arrow_and_restored(small, monkeypatch):
    """An engine that returns the customers out of order gets them sorted (checked on Arrow,
    chunked or not, string or integer ids)."""
    import pyarrow as pa

    import clientele.rfm.summary as summary

    assert summary._ascending(pa.chunked_array([["a", "b"], ["b", "c"]]))
    assert not summary._ascending(pa.chunked_array([["a", "c"], ["b"]]))
    assert summary._ascending(pa.array([1])) and not summary._ascending(pa.array([2, 1]))
    expected = rfm_summary(small, observation_end="2024-01-29")
    build = summary.request_expr
    monkeypatch.setattr(summary, "request_expr", lambda *a, **k: build(*a, **k).order_by(ibis.desc("customer_key")))
    shuffled = rfm_summary(small, observation_end="2024-01-29")
    pd.testing.assert_frame_equal(shuffled, expected)


def test_bitmap_passes_fit_in_half_of_duckdbs_memory_limit(cdnow, monkeypatch):
    """Under a DuckDB memory limit the bitmap summary takes as many passes as keep each one in
    half of it (instead of spilling), with the same result."""
    import clientele.rfm.summary as summary
    from clientele.rfm.inputs import prepare

    con = ibis.duckdb.connect(memory_limit="100MB")
    table = con.create_table("tx", cdnow)
    kwargs = dict(observation_end="1998-06-30", time_unit="W", customer_col="customer_id", timestamp_col="date",
                  amount_col="dollar_value")
    assert summary._memory_limit(con) == pytest.approx(100e6, rel=0.01)
    one_pass = rfm_summary(table, **kwargs)
    monkeypatch.setattr(summary, "BITMAP_ROW_BYTES", 1_000)  # 50 MB hold 50,000 of CDNOW's 69,659 rows
    request = prepare(table, calibration_end=None, **kwargs)
    assert summary.partitions_for(request, bitmap=True) == 2
    assert summary.partitions_for(request, bitmap=False) == 1
    pd.testing.assert_frame_equal(rfm_summary(table, **kwargs), one_pass)
    assert summary._memory_limit(object()) is None
