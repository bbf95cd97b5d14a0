"""The model on Spark (local mode) links what DuckDB links."""

from __future__ import annotations

import duckdb
import pytest
from synthetic import people_and_records

from clientele.identity.model import predict_links
from clientele.identity.normalize import normalised_records
from clientele.identity.settings import default_settings

pytestmark = pytest.mark.spark
pytest.importorskip("pyspark.sql")


@pytest.fixture(scope="module")
def spark():
    from clientele.identity.spark import local_session

    session = local_session()
    yield session
    session.stop()


def test_spark_and_duckdb_find_the_same_links(spark):
    customers, _ = people_and_records(300, seed=8)
    con = duckdb.connect()
    con.register("customers", customers)
    records = normalised_records(con)
    settings = {**default_settings(), "u_max_pairs": 50_000}
    on_duckdb = predict_links(records, settings)
    on_spark = predict_links(records, settings, engine="spark", spark=spark)
    a = set(zip(on_duckdb.links["unique_id_l"], on_duckdb.links["unique_id_r"]))
    b = set(zip(on_spark.links["unique_id_l"], on_spark.links["unique_id_r"]))
    # u comes from each engine's own random sample, so borderline pairs may differ
    assert len(a) > 30
    assert len(a & b) >= 0.9 * max(len(a), len(b))
