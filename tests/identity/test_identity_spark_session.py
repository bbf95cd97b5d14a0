"""Splink's similarity functions work on clientele's Spark session even when the process ran
another Spark session first (its JVM started without Splink's jar)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.spark
pyspark_sql = pytest.importorskip("pyspark.sql")


def test_jaro_winkler_is_available_after_a_session_without_the_jar():
    from splink.internals.spark.jar_location import get_scala_udfs

    from clientele.identity.spark import local_session

    other = pyspark_sql.SparkSession.builder.master("local[1]").appName("someone-else").getOrCreate()
    other.sparkContext.setLogLevel("ERROR")
    other.stop()
    session = local_session()
    try:
        for udf in get_scala_udfs():  # as Splink's SparkAPI registers them
            session.udf.registerJavaFunction(*udf)
        ((similarity,),) = session.sql("SELECT JARO_WINKLER('martha', 'marhta')").collect()
    finally:
        session.stop()
    assert similarity == pytest.approx(0.9611, abs=1e-4)  # the textbook Jaro-Winkler example
