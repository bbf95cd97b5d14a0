"""Run the matching model on Spark: the settings' DuckDB SQL translated, and a session with
Splink's similarity functions.

The settings document is written in DuckDB SQL (:mod:`clientele.identity.settings`). For Spark
each comparison condition and blocking rule is transpiled with sqlglot, and the functions Spark
lacks are mapped: ``jaro_winkler_similarity`` -> Splink's ``jaro_winkler`` UDF (from the jar
shipped with Splink), ``list_has_any`` -> ``arrays_overlap``, ``hamming`` -> ``levenshtein``
(the same test for strings of equal length, which the settings check first),
``date_diff('day', a, b)`` -> ``datediff(b, a)``. List indexes become 0-based.
"""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
import pyarrow as pa


def to_spark_sql(sql: str) -> str:
    """One DuckDB SQL condition or blocking rule in Spark SQL.

    >>> to_spark_sql('list_has_any("name_forms_l", "name_forms_r")')
    'ARRAYS_OVERLAP(`name_forms_l`, `name_forms_r`)'
    >>> to_spark_sql("abs(date_diff('day', \\"d_l\\", \\"d_r\\")) <= 7")
    'ABS(DATEDIFF(`d_r`, `d_l`)) <= 7'
    >>> to_spark_sql('jaro_winkler_similarity("a_l", "a_r") >= 0.9')
    'JARO_WINKLER(`a_l`, `a_r`) >= 0.9'
    >>> to_spark_sql("l.name_forms[1] = r.name_forms[1]")
    'l.name_forms[0] = r.name_forms[0]'
    """
    import sqlglot
    from sqlglot import exp

    if sql.strip().upper() == "ELSE":
        return sql
    tree = sqlglot.parse_one(sql, read="duckdb")

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ArrayOverlaps):
            return exp.Anonymous(this="ARRAYS_OVERLAP", expressions=[node.this, node.expression])
        if isinstance(node, exp.DateDiff):
            return exp.Anonymous(this="DATEDIFF", expressions=[node.this, node.expression])
        if isinstance(node, exp.Anonymous) and node.name.upper() == "JARO_WINKLER_SIMILARITY":
            return exp.Anonymous(this="JARO_WINKLER", expressions=node.expressions)
        if isinstance(node, getattr(exp, "JarowinklerSimilarity", ())):
            return exp.Anonymous(this="JARO_WINKLER", expressions=[node.this, node.expression])
        if isinstance(node, exp.Anonymous) and node.name.upper() == "HAMMING":
            return exp.Anonymous(this="LEVENSHTEIN", expressions=node.expressions)
        return node

    return tree.transform(rename).sql(dialect="spark")


def spark_settings(splink_settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Splink settings dict with every SQL condition and rule in Spark SQL."""
    out = copy.deepcopy(splink_settings)
    for rule in out.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, dict):
            rule["blocking_rule"] = to_spark_sql(rule["blocking_rule"])
            rule["sql_dialect"] = "spark"
    for comparison in out.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            level["sql_condition"] = to_spark_sql(level["sql_condition"])
    return out


def local_session():
    """A local Spark session (all cores) with Splink's similarity UDF jar.

    Where the process already runs a Spark session (or ran one: the JVM outlives it), the
    builder returns or rebuilds it on the JVM's first class path and ``spark.jars`` is not
    applied; the jar is then added to the session, otherwise Splink could not register its
    functions and every comparison using ``jaro_winkler`` would fail.
    """
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    jar = similarity_jar_location()
    session = (
        SparkSession.builder.master("local[*]")
        .appName("clientele-resolve")
        .config("spark.jars", jar)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    with_jar(session, jar)
    return session


def with_jar(session, jar: str) -> None:
    """Put ``jar`` on ``session``'s class path for SQL functions.

    ``LIST JARS`` is no guide: a context rebuilt on an old JVM lists the jar of ``spark.jars``
    (it ships it to executors) while the driver still cannot load its classes. ``ADD JAR``
    adds it to the session's class loader; for a jar the context already has, Spark only logs
    that it is there.
    """
    session.sql(f"ADD JAR '{jar}'")


def spark_api(records: pa.Table, spark=None):
    """``(SparkAPI, input DataFrame)`` for ``records`` on ``spark`` (default: a local session)."""
    from splink import SparkAPI

    session = spark or local_session()
    pdf = records.to_pandas()
    ddl = []
    for field in records.schema:
        if pa.types.is_list(field.type):
            pdf[field.name] = pdf[field.name].map(lambda v: None if v is None else [str(x) for x in v])
            ddl.append(f"`{field.name}` array<string>")
        elif pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            pdf[field.name] = pd.to_datetime(pdf[field.name]).dt.date.astype(object).where(pdf[field.name].notna(), None)
            ddl.append(f"`{field.name}` date")
        else:
            pdf[field.name] = pdf[field.name].astype(object).where(pdf[field.name].notna(), None)
            ddl.append(f"`{field.name}` string")
    frame = session.createDataFrame(pdf, schema=", ".join(ddl))
    api = SparkAPI(spark_session=session, break_lineage_method="persist")
    return api, frame
