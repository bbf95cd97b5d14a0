"""Customer records of the two source systems and the truth of whose record is whose.

Every person has a *primary* account in the system that acquired them (web shop account or store
loyalty card). People in both systems also have a *secondary* account in the other one, opened
with their first purchase there (or, if they never bought there, some time after joining); the
secondary record is the same person written differently: a nickname or a typing error in the
name, another e-mail address or phone number, a phone number in the other system's format. A few
people opened a second account in their primary system (a *duplicate*), mostly with identical
details.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clientele.demo.clock import Window
from clientele.demo.names import (
    EMAIL_DOMAINS,
    FAMILY_NAME_WEIGHTS,
    FIRST_NAME_WEIGHTS,
    TOWNS,
    choice,
    email_local,
    format_phones,
    nicknames,
    phone_numbers,
    typos,
    unique_emails,
)
from clientele.demo.people import SOURCES

#: How each system records people: phone formats (styles of :func:`format_phones`), how often
#: e-mail and phone are missing, how often the name is typed in capitals, acquisition channels.
SYSTEM = {
    "webshop": {
        "phone_styles": (0.55, 0.25, 0.12, 0.04, 0.04),
        "email_missing": 0.0,
        "phone_missing": 0.35,
        "upper_name": 0.0,
        "channels": {"search": 35, "social": 25, "email": 10, "affiliate": 15, "direct": 15},
    },
    "stores": {
        "phone_styles": (0.04, 0.46, 0.42, 0.05, 0.03),
        "email_missing": 0.30,
        "phone_missing": 0.08,
        "upper_name": 0.15,
        "channels": {"walk-in": 60, "flyer": 18, "event": 10, "partner": 12},
    },
}

#: Chances of each variation between a person's primary and secondary record.
NICKNAME = 0.25  # among names that have a nickname
NAME_TYPO = 0.15
EMAIL_CHANGED = 0.20
EMAIL_CAPITALISED = 0.05
PHONE_CHANGED = 0.15
MOVED = 0.05
#: Share of duplicate accounts that carry a typing error (the rest are exact copies).
DUPLICATE_TYPO = 0.3
#: Mean days from joining to opening the other system's account, when no purchase opened it.
SECONDARY_DELAY_DAYS = 60.0
DUPLICATE_DELAY_DAYS = 120.0


def person_details(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Each person's true details: first and family name, town, e-mail (two addresses, the
    second used when they change it), mobile number (two)."""
    first = pd.Series(choice(rng, FIRST_NAME_WEIGHTS, n), dtype=object)
    last = pd.Series(choice(rng, FAMILY_NAME_WEIGHTS, n), dtype=object)
    local = pd.concat([email_local(first, last, rng), email_local(first, last, rng)], ignore_index=True)
    domain = pd.Series(choice(rng, EMAIL_DOMAINS, 2 * n), dtype=object)
    email = unique_emails(local, domain, rng)
    phones = phone_numbers(rng, 2 * n)
    return pd.DataFrame(
        {
            "first": first,
            "last": last,
            "city": choice(rng, TOWNS, n),
            "email": email.iloc[:n].to_numpy(),
            "email_alt": email.iloc[n:].to_numpy(),
            "phone": phones[:n],
            "phone_alt": phones[n:],
        }
    )


def build_accounts(
    rng: np.random.Generator, people: pd.DataFrame, purchases: pd.DataFrame, window: Window
) -> tuple[pd.DataFrame, np.ndarray]:
    """The accounts of both systems, and for each purchase the row of the account it lands on.

    Returns
    -------
    accounts
        One row per account: ``source, customer_id, name, email, phone, city, signup_date,
        acquisition_channel`` (as the system holds them) and the truth ``person`` (row of
        ``people``), ``role`` (primary, secondary, duplicate), ``signup_day``,
        ``name_variation`` (none, nickname, typo, capitals), ``email_variation`` (same, changed,
        capitalised, missing), ``phone_variation`` (same, changed, missing), ``moved``.
    account_of_purchase
        Row of ``accounts`` for each row of ``purchases``.
    """
    n = len(people)
    details = person_details(rng, n)
    web_purchase = purchases["web"].to_numpy()
    pperson = purchases["person"].to_numpy()
    t = purchases["t"].to_numpy()
    primary_web = people["primary_source"].to_numpy() == "webshop"
    acquired = people["acquired_day"].to_numpy()

    # when each account opens
    sec = np.flatnonzero(people["in_both"].to_numpy())
    first_other = np.full(n, np.inf)
    other = web_purchase != primary_web[pperson]
    np.minimum.at(first_other, pperson[other], t[other])
    sec_day = first_other[sec]
    never = ~np.isfinite(sec_day)
    gap = acquired[sec][never] + rng.exponential(SECONDARY_DELAY_DAYS, int(never.sum()))
    late = gap >= window.days
    gap[late] = acquired[sec][never][late] + rng.random(int(late.sum())) * (window.days - acquired[sec][never][late])
    sec_day[never] = gap
    dup = np.flatnonzero(people["has_duplicate"].to_numpy())
    dup_day = acquired[dup] + rng.exponential(DUPLICATE_DELAY_DAYS, len(dup))
    late = dup_day >= window.days
    dup_day[late] = acquired[dup][late] + rng.random(int(late.sum())) * (window.days - acquired[dup][late])

    person = np.concatenate([np.arange(n), sec, dup])
    role = np.repeat(np.array(["primary", "secondary", "duplicate"], dtype=object), [n, len(sec), len(dup)])
    is_web = np.concatenate([primary_web, ~primary_web[sec], primary_web[dup]])
    accounts = pd.DataFrame(
        {
            "person": person,
            "role": role,
            "source": np.where(is_web, SOURCES[0], SOURCES[1]).astype(object),
            "signup_day": np.concatenate([acquired, sec_day, dup_day]),
        }
    )
    _write_details(rng, accounts, details, people)
    _number_accounts(accounts)

    # purchases land on the person's account in the purchase's system (a duplicate account,
    # once opened, takes half of the purchases in its system)
    main = {True: np.full(n, -1), False: np.full(n, -1)}
    for web in (True, False):
        rows = np.flatnonzero((accounts["role"].to_numpy() != "duplicate") & (is_web == web))
        main[web][person[rows]] = rows
    target = np.where(web_purchase, main[True][pperson], main[False][pperson])
    dup_row = np.full(n, -1)
    dup_open = np.full(n, np.inf)
    dup_rows = np.flatnonzero(role == "duplicate")
    dup_row[person[dup_rows]] = dup_rows
    dup_open[person[dup_rows]] = accounts["signup_day"].to_numpy()[dup_rows]
    to_dup = (
        (dup_row[pperson] >= 0)
        & (web_purchase == primary_web[pperson])
        & (t >= dup_open[pperson])
        & (rng.random(len(t)) < 0.5)
    )
    target = np.where(to_dup, dup_row[pperson], target)
    return accounts, target


def _write_details(rng: np.random.Generator, accounts: pd.DataFrame, details: pd.DataFrame, people: pd.DataFrame) -> None:
    """Fill each account's name, e-mail, phone, city, signup date and channel, with variations."""
    m = len(accounts)
    d = details.iloc[accounts["person"].to_numpy()].reset_index(drop=True)
    role = accounts["role"].to_numpy()
    secondary = role == "secondary"
    duplicate = role == "duplicate"

    first = d["first"].copy()
    name_var = np.full(m, "none", dtype=object)
    nick, has_nick = nicknames(first, rng)
    use_nick = secondary & has_nick & (rng.random(m) < NICKNAME)
    first[use_nick] = nick[use_nick]
    name_var[use_nick] = "nickname"
    name = first + " " + d["last"]
    typo = (secondary & ~use_nick & (rng.random(m) < NAME_TYPO)) | (
        duplicate & (rng.random(m) < DUPLICATE_TYPO)
    )
    name[typo] = typos(name[typo], rng)
    name_var[typo] = "typo"

    email = d["email"].copy()
    email_var = np.full(m, "same", dtype=object)
    changed = secondary & (rng.random(m) < EMAIL_CHANGED)
    email[changed] = d["email_alt"][changed]
    email_var[changed] = "changed"
    caps = secondary & ~changed & (rng.random(m) < EMAIL_CAPITALISED)
    email[caps] = email[caps].str.capitalize()
    email_var[caps] = "capitalised"

    phone = d["phone"].to_numpy().copy()
    phone_var = np.full(m, "same", dtype=object)
    pchanged = secondary & (rng.random(m) < PHONE_CHANGED)
    phone[pchanged] = d["phone_alt"].to_numpy()[pchanged]
    phone_var[pchanged] = "changed"

    city = d["city"].to_numpy().copy()
    moved = secondary & (rng.random(m) < MOVED)
    city[moved] = choice(rng, TOWNS, int(moved.sum()))

    channel = np.empty(m, dtype=object)
    styles = np.empty(m, dtype=np.int64)
    source = accounts["source"].to_numpy()
    for name_sys, sys in SYSTEM.items():
        mask = source == name_sys
        k = int(mask.sum())
        channel[mask] = choice(rng, sys["channels"], k)
        styles[mask] = rng.choice(5, k, p=np.array(sys["phone_styles"]))
        upper = mask & (rng.random(m) < sys["upper_name"])
        name[upper] = name[upper].str.upper()
        name_var[upper & (name_var == "none")] = "capitals"
        no_email = mask & (rng.random(m) < sys["email_missing"])
        email[no_email] = None
        email_var[no_email] = "missing"
        no_phone = mask & (rng.random(m) < sys["phone_missing"])
        phone_var[no_phone] = "missing"
        styles[no_phone] = -1
    referred = people["referred"].to_numpy()[accounts["person"].to_numpy()]
    channel[(role == "primary") & referred] = "referral"
    phones = format_phones(phone, styles).where(styles >= 0, None)

    accounts["name"] = name.to_numpy()
    accounts["email"] = email.to_numpy()
    accounts["phone"] = phones.to_numpy(dtype=object)
    accounts["city"] = city
    accounts["acquisition_channel"] = channel
    accounts["name_variation"] = name_var
    accounts["email_variation"] = email_var
    accounts["phone_variation"] = phone_var
    accounts["moved"] = moved
    # exact duplicates: the same record as the primary account (rows 0..n-1 are the primaries)
    exact = np.flatnonzero(duplicate & ~typo)
    same = accounts["person"].to_numpy()[exact]
    for col in ("name", "email", "phone", "city", "name_variation", "email_variation", "phone_variation"):
        accounts.loc[exact, col] = accounts[col].to_numpy()[same]


def _number_accounts(accounts: pd.DataFrame) -> None:
    """Customer ids in order of sign-up within each system: ``W000001``... and ``L000001``..."""
    ids = np.empty(len(accounts), dtype=object)
    for source, prefix in zip(SOURCES, ("W", "L")):
        rows = np.flatnonzero(accounts["source"].to_numpy() == source)
        order = rows[np.argsort(accounts["signup_day"].to_numpy()[rows], kind="stable")]
        width = max(6, len(str(len(rows))))
        ids[order] = (prefix + pd.Series(np.arange(1, len(rows) + 1)).astype(str).str.zfill(width)).to_numpy()
    accounts["customer_id"] = ids
