"""Made-up personal details for the demo company, and the ways two systems write them differently.

Everything here is invented for the demo: small lists of first names (with common nicknames),
family names, towns and e-mail domains (reserved ``example`` domains), plus the variations that
make two records of one person differ: typing errors, nicknames, another e-mail address or phone
number, another way of writing a phone number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: First names and the nicknames people use for them ("" when there is no common one).
FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"), "William": ("Bill", "Will", "Liam"), "James": ("Jim", "Jimmy"),
    "Michael": ("Mike", "Mick"), "Richard": ("Rick", "Rich"), "Thomas": ("Tom", "Tommy"),
    "Jonathan": ("Jon", "Jonny"), "Daniel": ("Dan", "Danny"), "Christopher": ("Chris",),
    "Alexander": ("Alex", "Sandy"), "Matthew": ("Matt",), "Anthony": ("Tony",), "Nicholas": ("Nick",),
    "Joseph": ("Joe", "Joey"), "Edward": ("Ed", "Ted", "Eddie"), "Andrew": ("Andy", "Drew"),
    "Benjamin": ("Ben",), "Timothy": ("Tim",), "Peter": ("Pete",), "Samuel": ("Sam",),
    "Elizabeth": ("Liz", "Beth", "Lizzie"), "Katherine": ("Kate", "Kathy", "Katie"),
    "Margaret": ("Maggie", "Peggy", "Meg"), "Jennifer": ("Jen", "Jenny"), "Samantha": ("Sam", "Sammy"),
    "Victoria": ("Vicky", "Tori"), "Rebecca": ("Becky", "Becca"), "Patricia": ("Pat", "Trish"),
    "Susan": ("Sue", "Suzy"), "Deborah": ("Debbie", "Deb"), "Charlotte": ("Charlie", "Lottie"),
    "Jessica": ("Jess",), "Stephanie": ("Steph",), "Abigail": ("Abby",), "Olivia": ("Liv",),
    "Eleanor": ("Ellie", "Nora"), "Josephine": ("Jo", "Josie"), "Alexandra": ("Alex", "Lexi"),
    "Emma": (), "Noah": (), "Lucas": (), "Mia": (), "Hannah": (), "Laura": (), "Sarah": (),
    "Anna": (), "Julia": (), "Oscar": (), "Leo": (), "Zoe": (), "Grace": (), "Ella": (),
    "Ruby": (), "Isla": (), "Freya": (), "Amir": (), "Priya": (), "Aisha": (), "Omar": (),
    "Mei": (), "Yuki": (), "Lars": (), "Ingrid": (), "Mateo": (), "Lucia": (), "Sofia": (),
    "Chidi": (), "Amara": (), "Ravi": (), "Fatima": (), "Tomasz": (), "Agnieszka": (),
}

FAMILY_NAMES: tuple[str, ...] = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Lewis", "Harris", "Martin", "Cooper", "King", "Lee",
    "Baker", "Hughes", "Edwards", "Turner", "Hill", "Moore", "Clark", "Ward", "Morris",
    "Mitchell", "Campbell", "Kelly", "Novak", "Kowalski", "Jansen", "de Vries", "Rossi",
    "Bianchi", "Garcia", "Fernandez", "Nguyen", "Chen", "Wang", "Kim", "Singh", "Ali",
    "Hussain", "Murphy", "O'Brien", "Fischer", "Weber", "Schmidt", "Dubois", "Laurent",
    "Andersen", "Nielsen", "Larsen", "Kaur", "Okafor", "Mensah", "Silva", "Santos", "Costa",
    "Ferreira", "Ivanova", "Popescu", "Horvath", "Yilmaz", "Demir", "Cohen", "Levi", "Park",
    "Fitzgerald", "Macdonald", "Abernathy", "Blackwood", "Whitmore", "Castellano",
)

#: Towns where the company's customers live, with their relative sizes.
TOWNS: dict[str, float] = {
    "Kingsport": 18, "Riverton": 12, "Millbrook": 9, "Oakhaven": 8, "Stonebridge": 7,
    "Fairview": 7, "Westmere": 6, "Brightwater": 6, "Ashcombe": 5, "Larkfield": 5,
    "Hollins Cross": 4, "Redmarsh": 4, "Elmstead": 3, "Thornbury Vale": 3, "Sallow Bay": 3,
}

#: E-mail domains (reserved ``example`` names) and their relative use.
EMAIL_DOMAINS: dict[str, float] = {
    "example.com": 35, "example.net": 20, "example.org": 15, "mail.example": 20, "post.example": 10,
}


def choice(rng: np.random.Generator, options: dict[str, float] | tuple, n: int) -> np.ndarray:
    """``n`` draws from ``options`` (a tuple: uniform; a dict: proportional to its values)."""
    if isinstance(options, dict):
        keys = np.array(list(options), dtype=object)
        w = np.array(list(options.values()), dtype=float)
        return keys[rng.choice(len(keys), n, p=w / w.sum())]
    keys = np.array(options, dtype=object)
    return keys[rng.integers(0, len(keys), n)]


def email_local(first: pd.Series, last: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Local parts in one of a few habits: ``anna.smith``, ``annasmith``, ``a.smith``,
    ``smith.anna``, ``anna_smith84``."""
    f = _plain(first)
    f1 = f.str.slice(0, 1)
    la = _plain(last)
    n = len(first)
    year = pd.Series(rng.integers(60, 100, n) % 100, index=first.index).astype(str).str.zfill(2)
    forms = [f + "." + la, f + la, f1 + "." + la, la + "." + f, f + "_" + la + year]
    pick = rng.choice(len(forms), n, p=[0.35, 0.2, 0.2, 0.1, 0.15])
    out = forms[0].copy()
    for k in range(1, len(forms)):
        out = out.where(pick != k, forms[k])
    return out


def unique_emails(local: pd.Series, domain: pd.Series, rng: np.random.Generator) -> pd.Series:
    """``local@domain``, adding one to three digits to repeats until every address is unique."""
    email = local + "@" + domain
    for width in (100, 1000, 10_000, 100_000):
        dup = email.duplicated(keep="first")
        if not dup.any():
            return email
        digits = pd.Series(rng.integers(1, width, int(dup.sum())), index=email.index[dup]).astype(str)
        email[dup] = local[dup] + digits + "@" + domain[dup]
    dup = email.duplicated(keep="first").to_numpy()
    row = pd.Series(np.flatnonzero(dup), index=email.index[dup]).astype(str)
    email[dup] = local[dup] + "." + row + "x@" + domain[dup]
    return email


def _plain(name: pd.Series) -> pd.Series:
    return name.str.lower().str.replace(r"[^a-z]", "", regex=True)


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct mobile numbers as their 10 national digits (``7`` then nine digits)."""
    numbers = 7_000_000_000 + rng.choice(1_000_000_000, size=n, replace=False)
    return numbers.astype(np.int64)


def format_phones(digits: np.ndarray, style: np.ndarray) -> pd.Series:
    """Write 10-digit national numbers in a style per row.

    Styles: 0 ``+44 7700 900123``, 1 ``07700 900123``, 2 ``07700900123``, 3 ``(07700) 900-123``,
    4 ``0044 7700900123``.
    """
    s = pd.Series(digits.astype(np.int64)).astype(str)
    head, tail = s.str.slice(0, 4), s.str.slice(4)
    forms = [
        "+44 " + head + " " + tail,
        "0" + head + " " + tail,
        "0" + s,
        "(0" + head + ") " + tail.str.slice(0, 3) + "-" + tail.str.slice(3),
        "0044 " + s,
    ]
    out = forms[0].copy()
    for k in range(1, len(forms)):
        out = out.where(style != k, forms[k])
    return out


def nicknames(first: pd.Series, rng: np.random.Generator) -> tuple[pd.Series, np.ndarray]:
    """A nickname for each first name that has one; returns the names and which ones changed."""
    options = first.map(lambda f: FIRST_NAMES.get(f, ()))
    has = options.map(len).to_numpy() > 0
    pick = (rng.random(len(first)) * np.maximum(options.map(len).to_numpy(), 1)).astype(int)
    nick = [opts[k] if opts else f for opts, k, f in zip(options, pick, first)]
    return pd.Series(nick, index=first.index, dtype=object), has


def typos(text: pd.Series, rng: np.random.Generator) -> pd.Series:
    """One typing error per value: two neighbouring letters swapped, a letter dropped or doubled,
    or a neighbouring key hit instead. Names shorter than four characters are left alone."""
    kind = rng.integers(0, 4, len(text))
    at = rng.random(len(text))
    out = [_typo(t, k, a) for t, k, a in zip(text, kind, at)]
    return pd.Series(out, index=text.index, dtype=object)


_KEYBOARD = "qwertyuiop asdfghjkl zxcvbnm".split()


def _neighbour(ch: str) -> str:
    lower = ch.lower()
    for row in _KEYBOARD:
        i = row.find(lower)
        if i >= 0:
            j = i + 1 if i + 1 < len(row) else i - 1
            return row[j].upper() if ch.isupper() else row[j]
    return ch


def _typo(text: str, kind: int, at: float) -> str:
    if len(text) < 4:
        return text
    # never touch the first letter (people rarely mistype it) nor the separator between names
    positions = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i + 1].isalpha()]
    if not positions:
        return text
    i = positions[int(at * len(positions))]
    if kind == 0 and text[i] != text[i + 1]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if kind == 0:  # swapping equal letters changes nothing: drop one instead
        return text[:i] + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i + 1:]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    return text[:i] + _neighbour(text[i]) + text[i + 1:]
