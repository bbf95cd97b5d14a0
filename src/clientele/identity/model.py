"""Train the record-linkage model and score candidate pairs with Splink (DuckDB or Spark).

:func:`predict_links` takes the normalised records (:mod:`clientele.identity.normalize`) and a
settings document (:mod:`clientele.identity.settings`) and returns the pairs whose match
probability reaches the threshold, plus the trained model. Training follows Splink's recommended
sequence: the prior (probability that two random records match) from deterministic rules with an
assumed recall, u probabilities from a seeded random sample of pairs, then m probabilities by
expectation maximisation, one session per training blocking rule (each session estimates the
comparisons its rule does not use). Then the u probabilities are corrected for the matches the
random sample holds (:func:`correct_u`) and EM runs once more with the corrected u. See
Fellegi & Sunter (1969) for the model and Splink's documentation ("Estimating model
parameters") for the training sequence.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from clientele.errors import InputError, ModelInputError
from clientele.identity.exclusivity import exclusive_probability

#: Splink logs its progress at INFO; resolution runs it quietly (steps go to ``progress``).
_SPLINK_LOGGERS = ("splink",)

#: Columns of the scored pairs.
LINK_COLUMNS = ("unique_id_l", "unique_id_r", "match_probability")


@dataclass
class Prediction:
    """Pairs at or above the threshold and the model that scored them.

    Attributes
    ----------
    links
        ``unique_id_l, unique_id_r, match_probability, model_probability``
        (``unique_id_l < unique_id_r``): ``model_probability`` is Splink's, ``match_probability``
        the same after competing candidates shared it (:mod:`clientele.identity.exclusivity`,
        if the settings' ``one_to_one`` is on); links are kept when ``match_probability``
        reaches the threshold.
    model
        The trained Splink settings (with m and u probabilities), as a dict.
    candidate_pairs
        Scored pairs at or above the settings' ``candidate_floor`` (-1 if unknown).
    """

    links: pd.DataFrame
    model: dict[str, Any]
    candidate_pairs: int = -1


class _Quiet:
    """Raise Splink's loggers to ERROR for the duration (restored afterwards)."""

    def __enter__(self) -> None:
        self.saved = {name: logging.getLogger(name).level for name in _SPLINK_LOGGERS}
        for name in _SPLINK_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        for name, level in self.saved.items():
            logging.getLogger(name).setLevel(level)


def _empty_links() -> pd.DataFrame:
    return pd.DataFrame({"unique_id_l": pd.Series(dtype=object), "unique_id_r": pd.Series(dtype=object),
                         "match_probability": pd.Series(dtype=float), "model_probability": pd.Series(dtype=float)})


def predict_links(
    records: pa.Table,
    settings: dict[str, Any],
    *,
    engine: str = "duckdb",
    threads: int | None = None,
    memory_limit: str | None = None,
    spark=None,
    progress=None,
) -> Prediction:
    """Train the model on ``records`` and return the linked pairs.

    Parameters
    ----------
    records
        Normalised records (:func:`clientele.identity.normalize.normalised_records`).
    settings
        A checked settings document (:func:`clientele.identity.settings.check_settings`).
    engine
        ``"duckdb"`` (an in-memory DuckDB database, so Splink's working tables never touch the
        store) or ``"spark"`` (a local or given Spark session, for stores too large for one
        machine's DuckDB).
    threads
        DuckDB threads (default: DuckDB's choice).
    memory_limit
        DuckDB's memory limit for Splink's working tables, e.g. ``"1GB"`` (default: DuckDB's
        choice, 80% of the RAM); beyond it DuckDB spills to disk. On a million records a limit of
        1GB cut the peak memory of the process from 2.5 to 1.5 GB for about 15% more time
        (``benchmarks/bench_resolve.py``); the links are the same.
    spark
        A ``pyspark.sql.SparkSession`` for ``engine="spark"`` (default: a local session).
    progress
        Called with the name of each step.

    Raises
    ------
    InputError
        The settings are not a valid Splink model, or the engine is unknown or not installed.
    ModelInputError
        The records are too few, or share too little, to train the model.
    """
    step = progress or (lambda _s: None)
    if engine not in ("duckdb", "spark"):
        raise InputError("the engine must be 'duckdb' or 'spark'", column="engine", value=engine)
    if records.num_rows < 2:
        return Prediction(_empty_links(), copy.deepcopy(settings["splink"]), 0)
    if engine == "duckdb":
        con = duckdb.connect()
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            try:
                con.execute("SET memory_limit = ?", [str(memory_limit)])
            except duckdb.Error as exc:
                con.close()
                raise InputError(
                    "the memory limit must be an amount such as 1GB or 500MB", column="memory_limit", value=memory_limit
                ) from exc
        con.register("__records_arrow", records)
        con.execute("CREATE TABLE customer_records AS SELECT * FROM __records_arrow")
        con.unregister("__records_arrow")
        from splink import DuckDBAPI

        db_api = DuckDBAPI(connection=con)
        table: Any = "customer_records"
        try:
            return _run(table, db_api, settings, step, dialect="duckdb")
        finally:
            con.close()
    try:
        from clientele.identity.spark import spark_api

        db_api, table = spark_api(records, spark)
    except ImportError as exc:
        raise InputError(
            f"the spark engine needs PySpark and Java ({exc}); install them with pip install 'clientele[spark]'",
            column="engine",
            value=engine,
        ) from exc
    return _run(table, db_api, settings, step, dialect="spark")


def _splink_settings(settings: dict[str, Any], dialect: str) -> dict[str, Any]:
    if dialect == "spark":
        from clientele.identity.spark import spark_settings

        return spark_settings(settings["splink"])
    splink = copy.deepcopy(settings["splink"])
    for rule in splink["blocking_rules_to_generate_predictions"]:
        if isinstance(rule, dict):
            rule["sql_dialect"] = dialect
    return splink


def _rules(rules: list[str], dialect: str) -> list[str]:
    if dialect == "spark":
        from clientele.identity.spark import to_spark_sql

        return [to_spark_sql(r) for r in rules]
    return list(rules)


def _run(table: Any, db_api, settings: dict[str, Any], step, *, dialect: str) -> Prediction:
    from splink import Linker

    splink_settings = _splink_settings(settings, dialect)
    with _Quiet():
        try:
            linker = Linker(table, splink_settings, db_api, set_up_basic_logging=False)
        except Exception as exc:  # Splink raises several types for invalid settings
            raise InputError(f"the Splink settings are not valid: {_first_line(exc)}", column="splink") from exc
        try:
            step("estimating the prior")
            linker.training.estimate_probability_two_random_records_match(
                _rules(settings["prior_rules"], dialect), recall=float(settings["prior_recall"])
            )
            step("estimating u by random sampling")
            linker.training.estimate_u_using_random_sampling(
                max_pairs=float(settings["u_max_pairs"]), seed=int(settings["seed"])
            )
            trained = _train_m(linker, _rules(settings["training_rules"], dialect), step, "")
            if not trained:
                raise ModelInputError(_TOO_FEW)
            model = _neutralise_untrained(linker.misc.save_model_to_json(), step)
            step("correcting u for the matches in the random sample")
            model = correct_u(model, float(settings["u_max_pairs"]))
            linker = Linker(table, model, db_api, set_up_basic_logging=False)
            _train_m(linker, trained, step, " (corrected u)")
            step("scoring candidate pairs")
            floor = min(float(settings["candidate_floor"]), float(settings["threshold"]))
            scored = linker.inference.predict(threshold_match_probability=floor)
            links = scored.as_pandas_dataframe()
        except (InputError, ModelInputError):
            raise
        except Exception as exc:
            if type(exc).__name__ in ("EMTrainingException", "SplinkException"):
                raise ModelInputError(_TOO_FEW + f" ({_first_line(exc)})") from exc
            if _is_sql_error(exc):
                raise InputError(
                    f"a rule or comparison of the settings failed to run: {_first_line(exc)}", column="splink"
                ) from exc
            raise
        model = linker.misc.save_model_to_json()
    links = links.loc[:, list(LINK_COLUMNS)].copy()
    swap = links["unique_id_l"] > links["unique_id_r"]
    links.loc[swap, ["unique_id_l", "unique_id_r"]] = links.loc[swap, ["unique_id_r", "unique_id_l"]].to_numpy()
    candidates = len(links)
    links["model_probability"] = links["match_probability"]
    if settings["one_to_one"]:
        links["match_probability"] = exclusive_probability(links, float(settings["threshold"])).to_numpy()
    links = links.loc[links["match_probability"] >= float(settings["threshold"])]
    links = links.sort_values(["unique_id_l", "unique_id_r"], kind="stable").reset_index(drop=True)
    return Prediction(links, model, candidates)


_TOO_FEW = (
    "cannot train the matching model on these customer records: it needs record pairs that share "
    "an e-mail address, a phone number or a surname and town (a few hundred at least); load more "
    "customers, or link records by hand (clientele resolve --link SRC:ID SRC:ID)"
)


def _train_m(linker, rules: list[str], step, suffix: str) -> list[str]:
    """EM sessions, one per rule; rules that produce no pairs are skipped. Returns those used."""
    used = []
    for rule in rules:
        step(f"EM on {rule}{suffix}")
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        except Exception as exc:
            if type(exc).__name__ != "EMTrainingException":
                raise
            step(f"skipped {rule}: no record pairs")
            continue
        used.append(rule)
    return used


def _neutralise_untrained(model: dict[str, Any], step) -> dict[str, Any]:
    """A comparison EM could not train (e.g. a column empty in every record) weighs nothing:
    its m probabilities are set to its u probabilities (Bayes factor 1)."""
    for comparison in model.get("comparisons", []):
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        if all(lv.get("m_probability") is None for lv in levels):
            step(f"no evidence to train {comparison.get('output_column_name', '?')}: it is ignored")
            for lv in levels:
                lv["m_probability"] = lv.get("u_probability") or 1.0 / len(levels)
                lv["u_probability"] = lv["m_probability"]
    return model


#: Smallest m probability of a level: no level is impossible for a true match.
M_FLOOR = 1e-5


def correct_u(model: dict[str, Any], sampled_pairs: float) -> dict[str, Any]:
    """Remove the true matches' share from u probabilities estimated by random sampling.

    A random pair is a match with probability ``lam`` (the prior), so the share of sampled pairs
    at a comparison level is the mixture ``u_obs = lam * m + (1 - lam) * u`` (Fellegi & Sunter,
    1969, eq. for the marginal of the comparison vector), not ``u``. When ``u`` is tiny (a full
    name and town shared by two strangers) the matches in the sample dominate ``u_obs`` and
    understate the evidence by orders of magnitude on small or name-diverse data. Solving for
    ``u`` gives ``u = (u_obs - lam * m) / (1 - lam)``, floored at half a pair of the sample
    (``0.5 / sampled_pairs``) and renormalised over the comparison's levels. ``m`` values are
    floored at :data:`M_FLOOR` (then renormalised), so that no level excludes a match outright.

    Parameters
    ----------
    model
        A trained Splink model (``Linker.misc.save_model_to_json()``), changed in place.
    sampled_pairs
        The number of random pairs the u probabilities came from (``u_max_pairs``).

    Returns
    -------
    dict
        ``model``.

    Examples
    --------
    >>> model = {"probability_two_random_records_match": 0.01, "comparisons": [{"comparison_levels": [
    ...     {"sql_condition": "a IS NULL", "is_null_level": True},
    ...     {"sql_condition": "a_l = a_r", "m_probability": 0.9, "u_probability": 0.01098},
    ...     {"sql_condition": "ELSE", "m_probability": 0.1, "u_probability": 0.98902}]}]}
    >>> levels = correct_u(model, 1e6)["comparisons"][0]["comparison_levels"]
    >>> round(levels[1]["u_probability"], 6), round(levels[2]["u_probability"], 6)
    (0.002, 0.998)
    """
    lam = float(model.get("probability_two_random_records_match") or 0.0)
    floor = 0.5 / max(float(sampled_pairs), 1.0)
    for comparison in model.get("comparisons", []):
        levels = [lv for lv in comparison.get("comparison_levels", []) if not lv.get("is_null_level")]
        if any(lv.get("u_probability") is None or lv.get("m_probability") is None for lv in levels):
            ms = [lv.get("m_probability") for lv in levels]
            if all(v is None for v in ms):
                continue
        for lv in levels:
            m = lv.get("m_probability")
            u = lv.get("u_probability")
            if m is None:
                lv["m_probability"] = m = M_FLOOR
            if u is None:
                lv["u_probability"] = u = floor
            lv["u_probability"] = max((u - lam * m) / (1.0 - lam), floor)
            lv["m_probability"] = max(m, M_FLOOR)
        for key in ("u_probability", "m_probability"):
            total = sum(lv[key] for lv in levels)
            if total > 0:
                for lv in levels:
                    lv[key] = lv[key] / total
    return model


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_sql_error(exc: BaseException) -> bool:
    name = type(exc).__name__
    return isinstance(exc, duckdb.Error) or "Sql" in name or "SQL" in name or "Analysis" in name
