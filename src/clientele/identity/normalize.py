"""Normalised customer records: the columns the matching model compares.

One row per ``(source, customer_id)`` of the store's ``customers`` table, computed in SQL by
DuckDB (vectorised, no Python loop over records):

``unique_id``
    ``source || ':' || customer_id`` (the record's fallback customer key).
``first_name``, ``surname``
    The name lower-cased, accents stripped (``strip_accents``), everything but letters and
    blanks removed; the first word is the first name, the remaining words joined without blanks
    are the surname (``"Ana de Vries"`` -> ``ana`` / ``devries``, ``"O'Brien"`` -> ``obrien``).
``name_forms``
    The full names the first name can stand for (:func:`clientele.identity.nicknames.name_forms`;
    ``bob`` -> ``[robert]``), else ``[first_name]``: a list compared by overlap.
``email``
    Trimmed and lower-cased, NULL unless it has one ``@`` with text on both sides.
``email_local``, ``email_domain``
    The parts of ``email`` (the local part without ``.``, ``_``, ``-`` and ``+tags``).
``phone``
    Digits only; an international prefix (``00`` + country code or ``+`` + country code) and
    then a national trunk ``0`` removed, so ``+44 7700 900123``, ``07700 900123`` and
    ``0044 7700900123`` all become ``7700900123``. NULL if fewer than six digits remain.
``city``
    Lower-cased, accents stripped, letters and digits only.
``name_city``
    ``first_name surname city`` (NULL if any is missing), compared as one value.
``signup_date``
    As stored.
"""

from __future__ import annotations

import warnings

import duckdb
import pyarrow as pa

from clientele.identity.nicknames import name_forms

#: Columns of the normalised records, in order.
RECORD_COLUMNS = (
    "unique_id",
    "source",
    "customer_id",
    "first_name",
    "surname",
    "name_forms",
    "email",
    "email_local",
    "email_domain",
    "phone",
    "city",
    "name_city",
    "signup_date",
)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def nickname_values_sql() -> str:
    """The nickname table as a SQL ``VALUES`` list of ``(name, forms)`` (forms: a VARCHAR list)."""
    rows = ", ".join(
        f"({_sql_text(k)}, [{', '.join(_sql_text(f) for f in v)}])" for k, v in sorted(name_forms().items())
    )
    return f"(VALUES {rows}) AS nick(name, forms)"


def records_sql(table: str = "customers", country_code: str = "44") -> str:
    """SQL selecting the normalised records (:data:`RECORD_COLUMNS`) from ``table``.

    Parameters
    ----------
    table
        A table or view with the store's ``customers`` columns (``source``, ``customer_id``,
        ``name``, ``email``, ``phone``, ``city``, ``signup_date``).
    country_code
        The home country's calling code (digits), removed from international phone numbers.
    """
    if not country_code.isdigit():
        raise ValueError(f"country_code must be digits, got {country_code!r}")
    cc = country_code
    return f"""
    WITH raw AS (
        SELECT source, customer_id,
               regexp_replace(lower(strip_accents(coalesce(name, ''))), '[^a-z\\s]', '', 'g') AS name_clean,
               lower(trim(email)) AS email_raw,
               regexp_replace(coalesce(phone, ''), '[^0-9+]', '', 'g') AS phone_raw,
               nullif(regexp_replace(lower(strip_accents(coalesce(city, ''))), '[^a-z0-9]', '', 'g'), '') AS city,
               signup_date
        FROM {table}
    ), parts AS (
        SELECT *,
               string_split(trim(regexp_replace(name_clean, '\\s+', ' ', 'g')), ' ') AS words,
               CASE WHEN regexp_full_match(coalesce(email_raw, ''), '[^@\\s]+@[^@\\s]+') THEN email_raw END AS email,
               CASE
                   WHEN phone_raw LIKE '+{cc}%' THEN substr(phone_raw, {len(cc) + 2})
                   WHEN phone_raw LIKE '00{cc}%' AND length(phone_raw) > {len(cc) + 9} THEN substr(phone_raw, {len(cc) + 3})
                   ELSE replace(phone_raw, '+', '')
               END AS phone_national
        FROM raw
    )
    SELECT source || ':' || customer_id AS unique_id,
           source,
           customer_id,
           nullif(words[1], '') AS first_name,
           nullif(array_to_string(words[2:], ''), '') AS surname,
           CASE WHEN nullif(words[1], '') IS NOT NULL THEN coalesce(nick.forms, [words[1]]) END AS name_forms,
           email,
           nullif(regexp_replace(split_part(split_part(email, '@', 1), '+', 1), '[._\\-]', '', 'g'), '') AS email_local,
           nullif(split_part(email, '@', 2), '') AS email_domain,
           CASE WHEN length(ltrim(phone_national, '0')) >= 6 THEN ltrim(phone_national, '0') END AS phone,
           city,
           words[1] || ' ' || nullif(array_to_string(words[2:], ''), '') || ' ' || city AS name_city,
           signup_date
    FROM parts LEFT JOIN {nickname_values_sql()} ON nick.name = words[1]
    """


def normalised_records(con: duckdb.DuckDBPyConnection, table: str = "customers", country_code: str = "44") -> pa.Table:
    """The normalised records of ``table`` on ``con`` as an Arrow table, ordered by ``unique_id``."""
    with warnings.catch_warnings():  # DuckDB notes the copy Arrow makes of a DB-API result; it is small
        warnings.simplefilter("ignore", UserWarning)
        reader = con.execute(f"SELECT * FROM ({records_sql(table, country_code)}) ORDER BY unique_id").to_arrow_reader()
    return reader.read_all()
