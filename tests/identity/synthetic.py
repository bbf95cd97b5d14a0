"""A synthetic customer base whose names identify people: a few thousand invented surnames, the
nickname table's first names, fifty towns (equally likely; the demo company's frequencies follow
a power law instead). Second
records vary the way the demo's do (nicknames, typing errors, changed or missing e-mail and phone,
other phone formats, capitals, a move), at the demo's rates. Vectorised: a million people take a
few seconds. Used by the tests and by ``benchmarks/bench_resolve.py``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clientele.identity.nicknames import SHORT_FORMS

_SYLLABLES = ("bar", "ken", "dal", "mor", "vin", "tesh", "lor", "gan", "pel", "rud", "sor", "wick",
              "ham", "ley", "ton", "ford", "stein", "berg", "ov", "ski", "ez", "son", "man", "ard")


def _surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    parts = [rng.choice(_SYLLABLES, n) for _ in range(3)]
    third = np.where(rng.random(n) < 0.5, parts[2], "")
    names = pd.unique(pd.Series(parts[0] + parts[1] + third).str.capitalize())
    return np.asarray(names, dtype=object)


def _swap_typo(names: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Swap two neighbouring letters inside the surname (never the first letter)."""
    first, _, last = names.str.partition(" ").iloc[:, 0], None, names.str.partition(" ").iloc[:, 2]
    n = len(names)
    length = last.str.len().to_numpy()
    at = 1 + (rng.random(n) * np.maximum(length - 2, 1)).astype(int)
    out = [s[:i] + s[i + 1] + s[i] + s[i + 2:] if len(s) >= 4 and i + 1 < len(s) else s for s, i in zip(last, at)]
    return first + " " + pd.Series(out, index=names.index)


def people_and_records(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``customers`` (source, customer_id, name, email, phone, city, signup_date) and ``truth``
    (source, customer_id, person_id) for ``n`` people, about 20% of them in both systems."""
    rng = np.random.default_rng(seed)
    firsts = np.array([f.capitalize() for f in SHORT_FORMS], dtype=object)
    surnames = _surnames(rng, 4000)
    towns = np.array([f"Town{k:02d}" for k in range(50)], dtype=object)
    first = pd.Series(rng.choice(firsts, n))
    last = pd.Series(rng.choice(surnames, n))
    town = rng.choice(towns, n)
    local = first.str.lower() + "." + last.str.lower() + pd.Series(rng.integers(1, 999, n)).astype(str)
    email = (local + "@example.com").to_numpy(dtype=object)
    alt_email = (local + "x@example.net").to_numpy(dtype=object)
    phone = (7_000_000_000 + rng.choice(999_999_999, n, replace=False)).astype(str).astype(object)
    alt_phone = (7_000_000_000 + rng.choice(999_999_999, n, replace=False)).astype(str).astype(object)
    signup = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    web = rng.random(n) < 0.6
    person = np.arange(n)

    primary = pd.DataFrame({
        "person": person,
        "source": np.where(web, "webshop", "stores"),
        "name": (first + " " + last).to_numpy(dtype=object),
        "email": np.where(web | (rng.random(n) > 0.3), email, None),
        "phone": np.where(~web | (rng.random(n) > 0.35), "+44 " + phone, None),
        "city": town,
        "signup_date": signup,
    })

    both = np.flatnonzero(rng.random(n) < 0.2)
    k = len(both)
    other_web = ~web[both]
    f = first.iloc[both].reset_index(drop=True)
    shorts = f.str.lower().map(lambda x: SHORT_FORMS.get(x, ()))
    pick = (rng.random(k) * shorts.map(len).clip(lower=1)).astype(int)
    nick = pd.Series([s[i].capitalize() if s else x for s, i, x in zip(shorts, pick, f)])
    use_nick = (shorts.map(len) > 0).to_numpy() & (rng.random(k) < 0.25)
    f = f.where(~use_nick, nick)
    name = f + " " + last.iloc[both].reset_index(drop=True)
    typo = rng.random(k) < 0.15
    name[typo] = _swap_typo(name[typo], rng)
    upper = ~other_web & (rng.random(k) < 0.15)
    name[upper] = name[upper].str.upper()
    e = np.where(rng.random(k) < 0.2, alt_email[both], email[both])
    e = np.where(~other_web & (rng.random(k) < 0.3), None, e)
    ph = np.where(rng.random(k) < 0.15, alt_phone[both], phone[both])
    ph = np.where(rng.random(k) < np.where(other_web, 0.35, 0.08), None, "0" + ph.astype(str))
    city = np.where(rng.random(k) < 0.05, rng.choice(towns, k), town[both])
    secondary = pd.DataFrame({
        "person": both,
        "source": np.where(other_web, "webshop", "stores"),
        "name": name.to_numpy(dtype=object),
        "email": e,
        "phone": ph,
        "city": city,
        "signup_date": signup[both] + pd.to_timedelta(rng.exponential(60, k).astype(int), unit="D"),
    })
    frame = pd.concat([primary, secondary], ignore_index=True)
    number = frame.groupby("source").cumcount().astype(str).str.zfill(7)
    frame["customer_id"] = np.where(frame["source"] == "webshop", "W", "L") + number
    truth = frame[["source", "customer_id"]].assign(person_id="P" + frame["person"].astype(str))
    customers = frame[["source", "customer_id", "name", "email", "phone", "city", "signup_date"]]
    return customers, truth
