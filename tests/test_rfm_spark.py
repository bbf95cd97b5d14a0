"""The same Ibis RFM expression on PySpark (local mode) gives DuckDB's results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clientele.rfm import export_rfm, rfm_summary

pytestmark = pytest.mark.spark
pyspark_sql = pytest.importorskip("pyspark.sql")
ibis = pytest.importorskip("ibis")
lifetimes_utils = pytest.importorskip("lifetimes.utils")
DATASETS = Path(lifetimes_utils.__file__).parent / "datasets"


@pytest.fixture(scope="module")
def spark():
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("clientele-rfm-test")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    frame = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d").astype("datetime64[us]")
    return frame[["customer_id", "date", "dollar_value"]]


@pytest.fixture(scope="module")
def spark_table(spark, cdnow):
    con = ibis.pyspark.connect(spark)
    spark.createDataFrame(cdnow).createOrReplaceTempView("cdnow")
    return con.table("cdnow")


COLUMNS = {"customer_col": "customer_id", "timestamp_col": "date", "amount_col": "dollar_value"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"observation_end": "1998-06-30", "time_unit": "W"},
        {"observation_end": "1998-06-30", "calibration_end": "1997-09-30", "time_unit": "M"},
    ],
    ids=["summary", "calibration-holdout"],
)
def test_spark_equals_duckdb_on_cdnow(spark_table, cdnow, kwargs):
    on_spark = rfm_summary(spark_table, **COLUMNS, **kwargs)
    on_duckdb = rfm_summary(cdnow, **COLUMNS, **kwargs)
    assert len(on_spark) == 23_570
    assert list(on_spark.index) == list(on_duckdb.index)
    assert list(on_spark.columns) == list(on_duckdb.columns)
    assert (on_spark.dtypes == on_duckdb.dtypes).all()
    for column in on_spark.columns:
        np.testing.assert_allclose(on_spark[column], on_duckdb[column], rtol=0, atol=1e-9, err_msg=column)


def test_spark_export_and_errors(spark_table, cdnow, tmp_path):
    out = tmp_path / "rfm.parquet"
    stats = export_rfm(spark_table, out, observation_end="1997-12-31", time_unit="D", **COLUMNS)
    expected = rfm_summary(cdnow, observation_end="1997-12-31", time_unit="D", **COLUMNS)
    written = pd.read_parquet(out).set_index("customer_id")
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    assert stats["customers"] == 23_570
    assert stats["transactions"] == int((cdnow["date"] <= "1997-12-31").sum())
    from clientele.errors import InputError

    with pytest.raises(InputError, match=r"observation_end 1996-12-31 is before the first transaction \(1997-01-01\)"):
        rfm_summary(spark_table, observation_end="1996-12-31", **COLUMNS)
