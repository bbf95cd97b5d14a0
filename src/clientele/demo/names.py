"""Made-up personal details for the demo company, and the ways two systems write them differently.

Everything here is invented for the demo (no third-party name data): first names typed out in a
rough order of popularity (with the nicknames people use for them), family names typed out or
composed from English place-name elements and from word endings of other languages, towns
composed from place-name elements, e-mail domains (reserved ``example`` names), plus the
variations that make two records of one person differ: typing errors, nicknames, another e-mail
address or phone number, another way of writing a phone number.

How often a name occurs follows a power law in its popularity rank, as real name frequencies do
(Zipf's law; for surnames see e.g. Fox & Lasker 1983, "The distribution of surname frequencies",
*International Statistical Review* 51(1), 81-87). The exponents are set so that the chance that two
random people share a first name (about 1 in 180), a family name (about 1 in 940) and a town
(about 1 in 90) is of the order seen in real customer bases; at 50,000 customers about one person
in 300 then has a namesake in their own town. That is what makes name, town and dates usable
but not conclusive evidence for identity resolution, as in real data.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

#: First names (most common first) and the nicknames people use for them (empty when none is
#: common). Nicknames are drawn only from these tuples.
FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "James": ("Jim", "Jimmy", "Jamie"), "Olivia": ("Liv", "Livvy"), "William": ("Bill", "Will", "Liam"),
    "Sarah": (), "Robert": ("Bob", "Rob", "Bobby"), "Emma": (), "Michael": ("Mike", "Mick"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"), "David": ("Dave", "Davey"), "Emily": ("Em", "Emmy"),
    "John": ("Jack", "Johnny"), "Sophie": (), "Thomas": ("Tom", "Tommy"), "Jessica": ("Jess",),
    "Daniel": ("Dan", "Danny"), "Hannah": (), "Richard": ("Rick", "Rich"), "Charlotte": ("Charlie", "Lottie"),
    "Christopher": ("Chris",), "Laura": (), "Matthew": ("Matt",), "Rebecca": ("Becky", "Becca"),
    "Joseph": ("Joe", "Joey"), "Katherine": ("Kate", "Kathy", "Katie"), "Andrew": ("Andy", "Drew"),
    "Amelia": (), "Peter": ("Pete",), "Grace": (), "Benjamin": ("Ben",), "Lucy": (), "Samuel": ("Sam",),
    "Margaret": ("Maggie", "Peggy", "Meg"), "Jonathan": ("Jon", "Jonny"), "Anna": (),
    "Anthony": ("Tony",), "Chloe": (), "Edward": ("Ed", "Ted", "Eddie"), "Jennifer": ("Jen", "Jenny"),
    "Nicholas": ("Nick",), "Victoria": ("Vicky", "Tori"), "Alexander": ("Alex", "Sandy"),
    "Alexandra": ("Alex", "Lexi"), "Timothy": ("Tim",), "Samantha": ("Sam", "Sammy"),
    "Stephen": ("Steve",), "Patricia": ("Pat", "Trish"), "Oliver": ("Ollie",), "Susan": ("Sue", "Suzy"),
    "Harry": (), "Deborah": ("Debbie", "Deb"), "George": (), "Eleanor": ("Ellie", "Nora"),
    "Jacob": ("Jake",), "Abigail": ("Abby",), "Charles": ("Charlie",), "Stephanie": ("Steph",),
    "Henry": ("Harry",), "Josephine": ("Jo", "Josie"), "Frederick": ("Fred", "Freddie"),
    "Isabella": ("Bella", "Izzy"), "Theodore": ("Theo", "Ted"), "Sophia": ("Sophie",),
    "Joshua": ("Josh",), "Christine": ("Chris", "Tina"), "Patrick": ("Pat", "Paddy"),
    "Catherine": ("Cathy", "Kate"), "Philip": ("Phil",), "Barbara": ("Barb",), "Gregory": ("Greg",),
    "Angela": ("Angie",), "Kenneth": ("Ken", "Kenny"), "Dorothy": ("Dot", "Dolly"),
    "Leonard": ("Len", "Lenny"), "Judith": ("Judy",), "Geoffrey": ("Geoff",), "Valerie": ("Val",),
    "Vincent": ("Vince",), "Kathleen": ("Kathy",), "Zachary": ("Zach",), "Matilda": ("Tilly",),
    "Douglas": ("Doug",), "Frances": ("Fran",), "Lawrence": ("Larry",), "Joanna": ("Jo",),
    "Donald": ("Don",), "Cynthia": ("Cindy",), "Walter": ("Walt",), "Gabriella": ("Gabby",),
    "Ronald": ("Ron", "Ronnie"), "Sandra": ("Sandy",), "Alfred": ("Alf", "Alfie"),
    "Nathaniel": ("Nate", "Nat"), "Arthur": ("Art",), "Dominic": ("Dom",), "Albert": ("Bert",),
    "Bernard": ("Bernie",), "Gabriel": ("Gabe",), "Christina": ("Tina",),
    "Jack": (), "Mia": (), "Noah": (), "Isla": (), "Leo": (), "Ava": (), "Oscar": (), "Ella": (),
    "Lucas": (), "Freya": (), "Ethan": (), "Ruby": (), "Adam": (), "Zoe": (), "Ryan": (), "Julia": (),
    "Luke": (), "Megan": (), "Mark": (), "Rachel": (), "Paul": (), "Claire": (), "Simon": (),
    "Helen": (), "Ian": (), "Louise": (), "Gary": (), "Nicola": (), "Kevin": (), "Natalie": (),
    "Martin": (), "Amy": (), "Neil": (), "Karen": (), "Carl": (), "Julie": (), "Lee": (),
    "Alison": (), "Jason": (), "Gemma": (), "Scott": (), "Kelly": (), "Craig": (), "Donna": (),
    "Dean": (), "Lisa": (), "Wayne": (), "Tracey": (), "Graham": (), "Joanne": (), "Keith": (),
    "Diane": (), "Colin": (), "Carol": (), "Brian": (), "Janet": (), "Alan": (), "Gillian": (),
    "Trevor": (), "Wendy": (), "Derek": (), "Pauline": (), "Nigel": (), "Sharon": (), "Roger": (),
    "Linda": (), "Barry": (), "Maureen": (), "Malcolm": (), "Shirley": (), "Raymond": (), "Brenda": (),
    "Harvey": (), "Evie": (), "Finley": (), "Poppy": (), "Toby": (), "Phoebe": (), "Archie": (),
    "Imogen": (), "Reuben": (), "Niamh": (), "Callum": (), "Erin": (), "Connor": (), "Caitlin": (),
    "Declan": (), "Siobhan": (), "Rhys": (), "Ffion": (), "Dylan": (), "Cerys": (), "Owen": (),
    "Bethan": (), "Gareth": (), "Sian": (), "Euan": (), "Eilidh": (), "Angus": (), "Morag": (),
    "Fraser": (), "Kirsty": (), "Hamish": (), "Fiona": (), "Ewan": (), "Shona": (),
    "Mohammed": (), "Aisha": (), "Omar": (), "Fatima": (), "Ali": (), "Zainab": (), "Yusuf": (),
    "Maryam": (), "Ibrahim": (), "Amina": (), "Hassan": (), "Layla": (), "Bilal": (), "Noor": (),
    "Tariq": (), "Samira": (), "Karim": (), "Yasmin": (), "Hamza": (), "Leila": (),
    "Ravi": (), "Priya": (), "Arjun": (), "Ananya": (), "Rohan": (), "Kavya": (), "Vikram": (),
    "Deepa": (), "Sanjay": (), "Meera": (), "Rahul": (), "Pooja": (), "Amit": (), "Neha": (),
    "Harpreet": (), "Gurpreet": (), "Manpreet": (), "Jaspreet": (), "Sunil": (), "Anjali": (),
    "Wei": (), "Mei": (), "Jun": (), "Lin": (), "Hao": (), "Xiu": (), "Yuki": (), "Hiroshi": (),
    "Sakura": (), "Kenji": (), "Minh": (), "Linh": (), "Thanh": (), "Hoa": (), "Jin": (), "Soo": (),
    "Chidi": (), "Amara": (), "Emeka": (), "Ngozi": (), "Kwame": (), "Ama": (), "Kofi": (),
    "Abena": (), "Tunde": (), "Folake": (), "Sipho": (), "Thandiwe": (), "Jelani": (), "Zuri": (),
    "Tomasz": (), "Agnieszka": (), "Piotr": (), "Katarzyna": (), "Krzysztof": (), "Magdalena": (),
    "Pawel": (), "Marek": (), "Ewa": (), "Andrzej": (), "Monika": (),
    "Jakub": (), "Zofia": (), "Lukasz": (), "Aleksandra": (),
    "Mateo": (), "Lucia": (), "Sofia": (), "Diego": (), "Carmen": (), "Javier": (), "Elena": (),
    "Pablo": (), "Isabel": (), "Alejandro": (), "Marta": (), "Carlos": (), "Rosa": (), "Miguel": (),
    "Ines": (), "Joao": (), "Beatriz": (), "Rui": (), "Mariana": (), "Tiago": (),
    "Giulia": (), "Marco": (), "Francesca": (), "Luca": (), "Chiara": (), "Matteo": (),
    "Alessandra": (), "Giovanni": (), "Federica": (), "Lorenzo": (), "Valentina": (), "Stefano": (),
    "Lars": (), "Ingrid": (), "Sven": (), "Astrid": (), "Nils": (), "Sigrid": (), "Erik": (),
    "Freja": (), "Magnus": (), "Linnea": (), "Anders": (), "Karin": (), "Jens": (), "Maja": (),
    "Pieter": (), "Anouk": (), "Daan": (), "Femke": (), "Sander": (), "Lotte": (), "Joost": (),
    "Klaus": (), "Heike": (), "Jurgen": (), "Ute": (), "Stefan": (), "Petra": (), "Florian": (),
    "Katrin": (), "Matthias": (), "Anke": (), "Tobias": (), "Silke": (),
    "Pierre": (), "Amelie": (), "Julien": (), "Camille": (), "Mathieu": (), "Margaux": (),
    "Antoine": (), "Celine": (), "Olivier": (), "Manon": (),
    "Dmitri": (), "Natasha": (), "Sergei": (), "Olga": (), "Ivan": (), "Irina": (), "Andrei": (),
    "Svetlana": (), "Bogdan": (), "Ioana": (), "Mihai": (), "Andreea": (), "Ferenc": (), "Zsofia": (),
    "Mehmet": (), "Elif": (), "Emre": (), "Zeynep": (), "Burak": (), "Ayse": (),
    "Kai": (), "Nova": (), "Rowan": (), "Willow": (), "Jude": (), "Iris": (), "Felix": (), "Ivy": (),
    "Hugo": (), "Esme": (), "Rory": (), "Orla": (), "Seb": (), "Maisie": (), "Ezra": (), "Aurora": (),
    "Jasper": (), "Clara": (), "Miles": (), "Hazel": (), "Elliot": (), "Florence": (), "Ralph": (),
    "Edith": (), "Stanley": (), "Mabel": (), "Bernadette": (), "Cecil": (), "Gwen": (), "Rupert": (),
}

#: Common family names, typed out, most common first; :data:`FAMILY_NAMES` adds composed ones.
COMMON_FAMILY_NAMES: tuple[str, ...] = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
    "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
    "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
    "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy",
    "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh",
    "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali",
    "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight",
    "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
    "Graham", "Pearson", "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart",
    "Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West",
    "Lawrence", "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien",
    "Watts", "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees",
    "Hayes", "Hart", "Hudson", "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe",
    "Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone", "Reid", "Holland",
    "Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed", "Kennedy", "Williamson", "Bird",
    "Gardner", "Shah", "Dean", "Lane", "Cooke", "Bates", "Henderson", "Parry", "Burgess", "Bishop",
    "Walton", "Burns", "Nicholson", "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren", "Nicholls",
    "Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson", "Robson", "Curtis", "Hopkins", "O'Connor",
    "Nguyen", "Chen", "Wang", "Kim", "Park", "Zhang", "Liu", "Tran", "Le", "Pham",
    "Garcia", "Fernandez", "Rodriguez", "Lopez", "Martinez", "Gonzalez", "Silva", "Santos", "Costa", "Ferreira",
    "Rossi", "Russo", "Bianchi", "Romano", "Colombo", "Ricci", "Okafor", "Mensah", "Adeyemi", "Okonkwo",
    "Boateng", "Osei", "Mbeki", "Dlamini", "Yilmaz", "Demir", "Kaya", "Cohen", "Levi", "Friedman",
    "Nowak", "Kowalski", "Wisniewski", "Horvath", "Popescu", "Ivanova", "Petrov", "Jansen", "de Vries", "van Dijk",
    "Muller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Dubois", "Laurent",
    "Moreau", "Lefebvre", "Andersen", "Nielsen", "Hansen", "Larsen", "Johansson", "Lindqvist", "Virtanen", "Korhonen",
    "Fitzgerald", "Macdonald", "MacLeod", "Fraser", "McKenzie", "O'Sullivan", "Gallagher", "Doherty", "Quinn", "Sheridan",
)

#: First and second elements of English place names, used to compose family names and towns
#: (``Ash`` + ``ford``, ``Black`` + ``wood``).
_PLACE_HEADS: tuple[str, ...] = (
    "Ash", "Bar", "Beck", "Birch", "Black", "Bram", "Brad", "Bright", "Brook", "Burn", "Cal", "Carl",
    "Chad", "Chester", "Clay", "Cold", "Corn", "Crab", "Crow", "Dal", "Dun", "East", "Elder", "Elm",
    "Fair", "Farn", "Fel", "Fern", "Finch", "Fox", "Glen", "Gold", "Gras", "Green", "Hal", "Ham",
    "Hart", "Haw", "Hay", "Heath", "Hol", "Horn", "Kel", "Kings", "Lang", "Lark", "Lin", "Lock",
    "Long", "Mar", "Mel", "Mid", "Mill", "Moor", "Nether", "New", "North", "Oak", "Old", "Pen",
    "Pid", "Red", "Ring", "Rock", "Ros", "Rush", "Sal", "Sand", "Shel", "Silver", "South", "Stan",
    "Stock", "Stone", "Sum", "Thorn", "Thurs", "Up", "Wal", "War", "Wes", "Whit", "Wick", "Willow",
    "Win", "Wolver", "Wood", "Wor", "Wy", "Yar",
)
_PLACE_TAILS: tuple[str, ...] = (
    "ford", "ley", "ton", "worth", "wood", "field", "by", "ham", "well", "more", "combe", "dale",
    "bury", "stone", "wick", "croft", "shaw", "low", "brook", "ridge", "hurst", "bridge", "thorpe",
    "stead", "mere", "den", "cott", "holme", "gate", "hill",
)
#: Stems and endings of family names from other languages, composed the same way
#: (``Kowal`` + ``czyk``, ``Bern`` + ``stein``).
_FOREIGN_NAMES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("Kowal", "Nowa", "Lewand", "Zielin", "Wozni", "Kamin", "Dabrow", "Mazur", "Krawc", "Jablon",
      "Grabow", "Pawlow", "Sadow", "Witkow", "Sobcz"), ("ski", "ska", "czyk", "iak", "ewicz")),
    (("Bern", "Gold", "Rosen", "Eisen", "Wein", "Stern", "Lowen", "Grun", "Blum", "Hoff", "Lichten",
      "Morgen", "Falken", "Linden", "Stein"), ("stein", "berg", "feld", "mann", "thal", "bach")),
    (("Bell", "Mar", "Ross", "Ferr", "Gall", "Card", "Mor", "Sant", "Bon", "Fior", "Giord", "Cost",
      "Lomb", "Ven", "Bar"), ("elli", "etti", "ini", "ucci", "one", "ano")),
    (("Petr", "Ivan", "Smirn", "Kuzn", "Sokol", "Volk", "Orl", "Lebed", "Kozl", "Nikol", "Pavl", "Bel",
      "Moroz", "Vasil", "Fedor"), ("ov", "ova", "enko", "ich", "in")),
    (("Fernand", "Rodrig", "Gonzal", "Hernand", "Mart", "Sanch", "Ram", "Dom", "Vasqu", "Benit",
      "Alvar", "Gutierr", "Ord", "Nun", "Suar"), ("ez", "es", "o", "ero")),
    (("Oka", "Ade", "Olu", "Obi", "Eze", "Nwa", "Chukwu", "Ife", "Ola", "Ngu", "Afo", "Agu", "Uche",
      "Ojo", "Ama"), ("for", "yemi", "wale", "gbe", "nna", "kwe", "mide", "chi")),
    (("Yil", "Dem", "Cel", "Ars", "Kar", "Oz", "Ayd", "Kil", "Cak", "Erd", "Gun", "Tas", "Bul", "Kor",
      "Sah"), ("maz", "ir", "ik", "lan", "demir", "gul", "soy", "can")),
)

#: Names of the composed lists are fixed: this seed orders them (not the demo's seed).
_LIST_SEED = 19_830_101


def _place_names() -> list[str]:
    """Every ``head + tail`` of the place-name elements, except doubled ones (``Stonestone``)."""
    return [h + t for h, t in itertools.product(_PLACE_HEADS, _PLACE_TAILS) if not h.lower().endswith(t)]


def _composed_family_names() -> tuple[str, ...]:
    """Every ``head + tail`` of the place-name elements and of each foreign stem list, in a fixed
    shuffled order (so that popularity does not follow the alphabet), without the typed ones."""
    english = _place_names()
    foreign = [h + t for stems, ends in _FOREIGN_NAMES for h, t in itertools.product(stems, ends)]
    typed = {n.lower() for n in COMMON_FAMILY_NAMES}
    names = list(dict.fromkeys(n for n in english + foreign if n.lower() not in typed))
    order = np.random.default_rng(_LIST_SEED).permutation(len(names))
    return tuple(names[i] for i in order)


def _towns(n: int = 240) -> tuple[str, ...]:
    """``n`` town names composed from the place-name elements (a fixed choice)."""
    rng = np.random.default_rng(_LIST_SEED + 1)
    pairs = _place_names()
    picked = [pairs[i] for i in rng.choice(len(pairs), n, replace=False)]
    prefixes = ("", "", "", "", "", "", "Great ", "Little ", "Upper ", "Lower ")
    suffixes = ("", "", "", "", "", "", "", " on Sea", " Vale", " Bay", " Cross", " Green")
    pre = rng.integers(0, len(prefixes), n)
    suf = rng.integers(0, len(suffixes), n)
    suf = np.where(pre > 5, 0, suf)  # "Great Ashford" or "Ashford Vale", not both
    return tuple(prefixes[a] + name + suffixes[b] for name, a, b in zip(picked, pre, suf))


def zipf_weights(n: int, exponent: float, offset: float) -> np.ndarray:
    """Relative frequencies ``(rank + offset) ** -exponent`` of ranks ``1..n`` (summing to 1)."""
    w = (np.arange(1, n + 1) + offset) ** -float(exponent)
    return w / w.sum()


#: Family names: the typed common ones first, then the composed ones.
FAMILY_NAMES: tuple[str, ...] = COMMON_FAMILY_NAMES + _composed_family_names()

#: Towns where the company's customers live, with their relative sizes.
TOWNS: dict[str, float] = dict(zip(_towns(), zipf_weights(240, 1.0, 6.0)))

#: Relative popularity of each first name and family name (same order as the lists).
FIRST_NAME_WEIGHTS: dict[str, float] = dict(zip(FIRST_NAMES, zipf_weights(len(FIRST_NAMES), 1.0, 15.0)))
FAMILY_NAME_WEIGHTS: dict[str, float] = dict(zip(FAMILY_NAMES, zipf_weights(len(FAMILY_NAMES), 1.0, 50.0)))

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
