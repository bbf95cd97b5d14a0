"""Settings of identity resolution: a JSON document a user can read, edit and pass back.

``clientele resolve --write-settings FILE`` writes :func:`default_settings`;
``clientele resolve --settings FILE`` runs with an edited copy. The document has two parts:

* clientele's own keys: ``country_code`` (phone normalisation), ``threshold`` (the match
  probability at and above which two records are linked), ``one_to_one`` (competing candidates
  in one source system share their probability: :mod:`clientele.identity.exclusivity`),
  ``candidate_floor`` (pairs scored below it are not kept as competitors), ``seed`` and ``u_max_pairs`` (random
  sampling of record pairs for the u probabilities), ``prior_rules`` and ``prior_recall`` (the
  deterministic rules and their assumed recall that estimate the probability that two random
  records match), ``training_rules`` (one EM session per blocking rule);
* ``splink``: a Splink 4 settings dictionary (link type, prediction blocking rules, comparisons
  with their levels as SQL conditions over the normalised columns of
  :mod:`clientele.identity.normalize`). Any valid Splink comparison may be added or changed.

The model follows Fellegi & Sunter (1969), "A theory for record linkage", JASA 64(328),
1183-1210: each comparison level has an m probability (share of true matches at that level) and a
u probability (share of non-matches); a pair's match weight is the sum of ``log2(m/u)`` over its
comparisons plus the prior's, and its match probability ``2**w / (1 + 2**w)``. As Splink
recommends, u is estimated by random sampling of pairs (almost all random pairs are non-matches)
and m by expectation maximisation (EM) on blocked pairs.

The default threshold is 0.5, the Bayes decision for equal costs: two records are linked when,
after competing candidates have shared their probability (``one_to_one``), a match is more
likely than not. The model's probabilities are close to calibrated on the demo company. Measured
pairwise precision / recall at 0.5 (``clientele resolve --evaluate``; ``tests/identity``;
``benchmarks/bench_resolve.py --demo``): demo company, 5,000 people, seeds 1, 3, 11: 0.999 /
0.985, 0.998 / 0.980, 0.997 / 0.985; demo company, 50,000 people (the default size), seeds 3 and
7: 0.996 / 0.970, 0.997 / 0.972; a synthetic base whose names identify people
(``tests/identity/synthetic.py``), 5,000 people: 0.99 / 0.98.

What limits recall on the demo company: about 22% of its people with records in both systems
share neither an e-mail address nor a phone number between their two records, so only name,
city and dates link them. At 50,000 people about 290 of the 10,150 people with several records
keep two keys; of their second records about 80% have a changed or missing e-mail address, 70%
a changed or missing phone number, 60% a nickname or typing error in the name and a third another
town: the evidence left is weak or contradictory. Name twins (two people with the same name in the
same town) are what precision pays for; the demo's name and town frequencies
(:mod:`clientele.demo.names`) are of the order of real ones.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from clientele.errors import InputError

FORMAT = "clientele-resolve-settings/1"


def _null(col: str) -> dict[str, Any]:
    return {
        "sql_condition": f'"{col}_l" IS NULL OR "{col}_r" IS NULL',
        "label_for_charts": f"{col} missing",
        "is_null_level": True,
    }


def _level(sql: str, label: str) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label}


_ELSE = {"sql_condition": "ELSE", "label_for_charts": "all other comparisons"}


def _comparisons() -> list[dict[str, Any]]:
    jw = "jaro_winkler_similarity"
    first_close = f'{jw}("first_name_l", "first_name_r") >= 0.92'
    surname_close = f'{jw}("surname_l", "surname_r") >= 0.92'
    nickname = 'list_has_any("name_forms_l", "name_forms_r")'
    same_city = '"city_l" = "city_r"'
    full_exact = '"first_name_l" = "first_name_r" AND "surname_l" = "surname_r"'
    return [
        {
            "output_column_name": "name_city",
            "comparison_description": (
                "name and city together (name twins in one town are common, so the full name and "
                "city are judged jointly rather than as independent pieces of evidence)"
            ),
            "comparison_levels": [
                {
                    "sql_condition": '"surname_l" IS NULL OR "surname_r" IS NULL OR "first_name_l" IS NULL OR "first_name_r" IS NULL',
                    "label_for_charts": "name missing",
                    "is_null_level": True,
                },
                _level('"name_city_l" = "name_city_r"', "same full name, same city"),
                _level(f"{full_exact}", "same full name, other city"),
                _level(f'{nickname} AND "surname_l" = "surname_r" AND {same_city}', "nickname, same surname and city"),
                _level(
                    f'(("surname_l" = "surname_r" AND {first_close}) OR ("first_name_l" = "first_name_r" AND {surname_close})) AND {same_city}',
                    "one name misspelt, same city",
                ),
                _level(
                    f'({nickname} OR {first_close}) AND ("surname_l" = "surname_r" OR {surname_close})',
                    "similar names, other city",
                ),
                _level(f'"surname_l" = "surname_r" AND {same_city}', "same surname and city"),
                _level(
                    f'{jw}("first_name_l", "first_name_r") >= 0.8 AND {jw}("surname_l", "surname_r") >= 0.8',
                    "names alike (Jaro-Winkler >= 0.8)",
                ),
                _ELSE,
            ],
        },
        {
            "output_column_name": "email",
            "comparison_description": "e-mail: identical",
            "comparison_levels": [
                _null("email"),
                {
                    "sql_condition": '"email_l" = "email_r"',
                    "label_for_charts": "identical",
                },
                _ELSE,
            ],
        },
        {
            "output_column_name": "phone",
            "comparison_description": "phone (national digits): identical, one digit differs",
            "comparison_levels": [
                _null("phone"),
                _level('"phone_l" = "phone_r"', "identical"),
                _level(
                    'CASE WHEN length("phone_l") = length("phone_r") THEN hamming("phone_l", "phone_r") <= 1 '
                    'ELSE FALSE END',
                    "one digit differs",
                ),
                _ELSE,
            ],
        },
        {
            "output_column_name": "source",
            "comparison_description": "source system: other or same (duplicates within one system are rarer)",
            "comparison_levels": [
                _level('"source_l" <> "source_r"', "other system"),
                _ELSE,
            ],
        },
        {
            "output_column_name": "signup_date",
            "comparison_description": "signup dates within 7 / 60 / 365 days",
            "comparison_levels": [
                _null("signup_date"),
                _level('abs(date_diff(\'day\', "signup_date_l", "signup_date_r")) <= 7', "within 7 days"),
                _level('abs(date_diff(\'day\', "signup_date_l", "signup_date_r")) <= 60', "within 60 days"),
                _level('abs(date_diff(\'day\', "signup_date_l", "signup_date_r")) <= 365', "within a year"),
                _ELSE,
            ],
        },
    ]


#: Blocking rules generating the candidate pairs (a pair is compared if any rule holds).
PREDICTION_RULES = (
    "l.email = r.email",
    "l.phone = r.phone",
    "l.name_forms[1] = r.name_forms[1] AND l.surname = r.surname",
    "l.surname = r.surname AND l.city = r.city AND substr(l.first_name, 1, 1) = substr(r.first_name, 1, 1)",
    "l.first_name = r.first_name AND l.city = r.city AND substr(l.surname, 1, 1) = substr(r.surname, 1, 1)",
)


def default_settings() -> dict[str, Any]:
    """The default settings document (a fresh copy each call)."""
    return {
        "format": FORMAT,
        "country_code": "44",
        "threshold": 0.5,
        "one_to_one": True,
        "candidate_floor": 0.01,
        "seed": 20240101,
        "u_max_pairs": 2_000_000,
        "prior_rules": ["l.email = r.email", "l.phone = r.phone"],
        "prior_recall": 0.7,
        "training_rules": [
            "l.surname = r.surname AND l.city = r.city",
            "l.email = r.email",
            "l.phone = r.phone",
        ],
        "splink": {
            "link_type": "dedupe_only",
            "unique_id_column_name": "unique_id",
            "blocking_rules_to_generate_predictions": [
                {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in PREDICTION_RULES
            ],
            "comparisons": _comparisons(),
            "retain_matching_columns": False,
            "retain_intermediate_calculation_columns": False,
            "additional_columns_to_retain": [],
            "em_convergence": 0.0001,
            "max_iterations": 25,
        },
    }


_CHECKS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "country_code": (str, "the calling code's digits, e.g. \"44\""),
    "threshold": ((int, float), "a match probability between 0 and 1, e.g. 0.5"),
    "one_to_one": (bool, "true or false"),
    "candidate_floor": ((int, float), "a match probability between 0 and 1, e.g. 0.01"),
    "seed": (int, "a whole number"),
    "u_max_pairs": ((int, float), "a number of pairs of at least 1000, e.g. 2000000"),
    "prior_rules": (list, "a list of SQL blocking rules such as \"l.email = r.email\""),
    "prior_recall": ((int, float), "a share between 0 and 1, e.g. 0.7"),
    "training_rules": (list, "a list of SQL blocking rules such as \"l.email = r.email\""),
    "splink": (dict, "a Splink 4 settings dictionary"),
}


def check_settings(settings: Any, file: str | None = None) -> dict[str, Any]:
    """Check a settings document; return it (missing clientele keys filled from the defaults).

    Raises
    ------
    InputError
        Naming the file, the key, the value and what was expected.
    """
    if not isinstance(settings, dict):
        raise InputError("the settings must be a JSON object (see --write-settings)", file=file, value=type(settings).__name__)
    if settings.get("format", FORMAT) != FORMAT:
        raise InputError(f"unknown settings format; expected {FORMAT!r}", file=file, column="format", value=settings.get("format"))
    out = default_settings()
    unknown = sorted(set(settings) - set(out))
    if unknown:
        raise InputError(
            f"unknown settings key; known keys: {', '.join(sorted(out))}", file=file, column=unknown[0]
        )
    out.update(copy.deepcopy(settings))
    for key, (kind, expected) in _CHECKS.items():
        value = out[key]
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            raise InputError(f"expected {expected}", file=file, column=key, value=value)
    if not out["country_code"].isdigit():
        raise InputError("expected the calling code's digits, e.g. \"44\"", file=file, column="country_code", value=out["country_code"])
    if not 0.0 < out["threshold"] < 1.0:
        raise InputError("expected a match probability strictly between 0 and 1", file=file, column="threshold", value=out["threshold"])
    if not 0.0 < out["candidate_floor"] < 1.0:
        raise InputError("expected a match probability strictly between 0 and 1", file=file, column="candidate_floor", value=out["candidate_floor"])
    if not 0.0 < out["prior_recall"] <= 1.0:
        raise InputError("expected a share in (0, 1]", file=file, column="prior_recall", value=out["prior_recall"])
    if out["u_max_pairs"] < 1000:
        raise InputError("expected at least 1000 pairs", file=file, column="u_max_pairs", value=out["u_max_pairs"])
    for key in ("prior_rules", "training_rules"):
        if not out[key] or not all(isinstance(r, str) and r.strip() for r in out[key]):
            raise InputError("expected a non-empty list of SQL blocking rules", file=file, column=key, value=out[key])
    splink = out["splink"]
    for key in ("comparisons", "blocking_rules_to_generate_predictions"):
        if not isinstance(splink.get(key), list) or not splink[key]:
            raise InputError("expected a non-empty list", file=file, column=f"splink.{key}", value=splink.get(key))
    if splink.get("unique_id_column_name", "unique_id") != "unique_id":
        raise InputError("records are identified by 'unique_id'", file=file, column="splink.unique_id_column_name", value=splink.get("unique_id_column_name"))
    if splink.get("link_type", "dedupe_only") != "dedupe_only":
        raise InputError("records of all sources are one table: use 'dedupe_only'", file=file, column="splink.link_type", value=splink.get("link_type"))
    return out


def load_settings(path: str | Path) -> dict[str, Any]:
    """Read and check a settings file written by :func:`save_settings` (perhaps edited)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such settings file (write one with --write-settings)", file=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the settings file ({exc})", file=str(p)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON at column {exc.colno}: {exc.msg}", file=str(p), line=exc.lineno) from None
    return check_settings(data, file=str(p))


def save_settings(settings: dict[str, Any], path: str | Path) -> Path:
    """Write ``settings`` (checked) as indented JSON; returns the path."""
    p = Path(path)
    checked = check_settings(settings, file=str(p))
    p.write_text(json.dumps(checked, indent=2) + "\n", encoding="utf-8")
    return p
