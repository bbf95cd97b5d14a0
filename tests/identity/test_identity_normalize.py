"""Normalised records: names, nicknames, e-mail, phone digits, towns."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientele.identity.nicknames import SHORT_FORMS, name_forms
from clientele.identity.normalize import RECORD_COLUMNS, normalised_records


def _normalise(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in ("source", "customer_id", "name", "email", "phone", "city"):
        if col not in frame:
            frame[col] = None
        frame[col] = frame[col].astype(object)
    if "signup_date" not in frame:
        frame["signup_date"] = pd.NaT
    frame["signup_date"] = pd.to_datetime(frame["signup_date"])
    con = duckdb.connect()
    con.register("customers", frame)
    return normalised_records(con).to_pandas()


def test_columns_and_unique_id():
    out = _normalise([{"source": "shop", "customer_id": "007", "name": "Ann Lee"}])
    assert list(out.columns) == list(RECORD_COLUMNS)
    assert out.loc[0, "unique_id"] == "shop:007"


@pytest.mark.parametrize(
    "phone",
    ["+44 7700 900123", "07700 900123", "07700900123", "(07700) 900-123", "0044 7700900123", "+44 (0)7700 900123"],
)
def test_phone_formats_become_the_same_national_digits(phone):
    out = _normalise([{"source": "s", "customer_id": "1", "phone": phone}])
    assert out.loc[0, "phone"] == "7700900123"


@pytest.mark.parametrize("phone", [None, "", "n/a", "12-34"])
def test_unusable_phones_are_missing(phone):
    out = _normalise([{"source": "s", "customer_id": "1", "phone": phone}])
    assert pd.isna(out.loc[0, "phone"])


def test_names_accents_punctuation_capitals():
    out = _normalise(
        [
            {"source": "s", "customer_id": "1", "name": "  ZOË  O'Brien-Smith "},
            {"source": "s", "customer_id": "2", "name": "Ana de Vries"},
            {"source": "s", "customer_id": "3", "name": "Madonna"},
        ]
    ).set_index("customer_id")
    assert (out.loc["1", "first_name"], out.loc["1", "surname"]) == ("zoe", "obriensmith")
    assert (out.loc["2", "first_name"], out.loc["2", "surname"]) == ("ana", "devries")
    assert out.loc["3", "first_name"] == "madonna" and pd.isna(out.loc["3", "surname"])
    assert pd.isna(out.loc["3", "name_city"])


def test_email_parts_and_invalid_addresses():
    out = _normalise(
        [
            {"source": "s", "customer_id": "1", "email": " Anna.Smith+shop@Example.COM "},
            {"source": "s", "customer_id": "2", "email": "not an address"},
            {"source": "s", "customer_id": "3", "email": "a@b@c"},
        ]
    ).set_index("customer_id")
    assert out.loc["1", "email"] == "anna.smith+shop@example.com"
    assert out.loc["1", "email_local"] == "annasmith"
    assert out.loc["1", "email_domain"] == "example.com"
    assert pd.isna(out.loc["2", "email"]) and pd.isna(out.loc["3", "email"])


def test_city_and_name_city():
    out = _normalise([{"source": "s", "customer_id": "1", "name": "Bob Smith", "city": "Hollins Cross"}])
    assert out.loc[0, "city"] == "hollinscross"
    assert out.loc[0, "name_city"] == "bob smith hollinscross"


def test_nickname_forms():
    out = _normalise(
        [
            {"source": "s", "customer_id": "1", "name": "Bob Smith"},
            {"source": "s", "customer_id": "2", "name": "Robert Smith"},
            {"source": "s", "customer_id": "3", "name": "Sam Lee"},
            {"source": "s", "customer_id": "4", "name": "Xavi Lee"},
        ]
    ).set_index("customer_id")
    assert list(out.loc["1", "name_forms"]) == ["robert"] == list(out.loc["2", "name_forms"])
    assert list(out.loc["3", "name_forms"]) == ["samantha", "samuel"]
    assert list(out.loc["4", "name_forms"]) == ["xavi"]


def test_nickname_table_is_consistent():
    forms = name_forms()
    for full, shorts in SHORT_FORMS.items():
        assert full in forms[full]
        assert full == full.lower() and full.isascii()
        for short in shorts:
            assert full in forms[short]
            assert short == short.lower() and short.isalpha()
    # a full name never stands for another full name that is not its own short form
    assert forms["patricia"] == ("patricia",)
    assert "patrick" not in forms["patricia"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "name": st.one_of(st.none(), st.text(max_size=30)),
                "email": st.one_of(st.none(), st.text(max_size=30)),
                "phone": st.one_of(st.none(), st.text(max_size=20)),
                "city": st.one_of(st.none(), st.text(max_size=20)),
            }
        ),
        min_size=1,
        max_size=8,
    )
)
def test_hostile_text_never_breaks_normalisation(rows):
    for i, row in enumerate(rows):
        row.update(source="s", customer_id=str(i))
    out = _normalise(rows)
    assert len(out) == len(rows)
    phones = out["phone"].dropna()
    assert phones.str.fullmatch(r"[1-9][0-9]{5,}").all()
    names = pd.concat([out["first_name"].dropna(), out["surname"].dropna()])
    assert names.str.fullmatch(r"[a-z]+").all()
    assert out["email"].dropna().str.count("@").eq(1).all()
