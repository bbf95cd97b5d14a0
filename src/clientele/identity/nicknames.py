"""First names and the short forms people use for them, for matching (a table of our own making).

:func:`name_forms` maps every name of the table to the full names it can stand for: a full name
stands for itself, a short form for every full name it shortens (``bob`` -> ``robert``; ``sam``
-> ``samantha`` and ``samuel``). Two first names are *nickname-compatible* when their forms
overlap: ``bob`` and ``robert`` are, ``bob`` and ``rob`` are, ``patricia`` and ``paddy`` are not
(``pat`` is compatible with both). The matching model uses this as a level of its own between
"identical first name" and "similar spelling".
"""

from __future__ import annotations

from functools import lru_cache

#: Full first name -> short forms, lower case, ASCII (names are compared after
#: :mod:`clientele.identity.normalize` has stripped accents).
SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "abigail": ("abby", "abbie", "gail"),
    "albert": ("al", "bert", "bertie"),
    "alexander": ("alex", "alec", "sandy", "xander", "lex"),
    "alexandra": ("alex", "lexi", "lexie", "sandra", "sasha"),
    "alfred": ("alf", "alfie", "fred"),
    "andrew": ("andy", "drew", "andie"),
    "angela": ("angie",),
    "anthony": ("tony", "ant"),
    "arthur": ("art", "artie"),
    "barbara": ("barb", "barbie", "babs"),
    "benjamin": ("ben", "benny", "benji"),
    "bernard": ("bernie",),
    "catherine": ("cathy", "cath", "kate", "katie", "cat"),
    "charles": ("charlie", "chuck", "chas"),
    "charlotte": ("charlie", "lottie", "lotte"),
    "christina": ("chris", "tina", "christie"),
    "christine": ("chris", "chrissie", "tina"),
    "christopher": ("chris", "kit", "topher"),
    "cynthia": ("cindy",),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davey"),
    "deborah": ("debbie", "deb", "debby"),
    "dominic": ("dom",),
    "donald": ("don", "donnie"),
    "dorothy": ("dot", "dottie", "dolly"),
    "douglas": ("doug",),
    "edward": ("ed", "eddie", "ted", "teddy", "ned"),
    "eleanor": ("ellie", "nora", "nell", "elle"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby", "bess"),
    "emily": ("em", "emmy"),
    "frances": ("fran", "frankie"),
    "francis": ("frank", "frankie"),
    "frederick": ("fred", "freddie", "freddy"),
    "gabriel": ("gabe",),
    "gabriella": ("gabby", "ella"),
    "geoffrey": ("geoff", "jeff"),
    "gregory": ("greg",),
    "harold": ("harry", "hal"),
    "henry": ("harry", "hank", "hal"),
    "isabella": ("bella", "izzy", "isa"),
    "jacob": ("jake", "jack"),
    "james": ("jim", "jimmy", "jamie"),
    "jennifer": ("jen", "jenny", "jenn"),
    "jessica": ("jess", "jessie"),
    "john": ("jack", "johnny", "jon"),
    "jonathan": ("jon", "jonny", "john"),
    "joseph": ("joe", "joey", "jos"),
    "josephine": ("jo", "josie", "jojo"),
    "joanna": ("jo", "jojo"),
    "joshua": ("josh",),
    "judith": ("judy", "jude"),
    "katherine": ("kate", "kathy", "katie", "kat", "kay"),
    "kathleen": ("kathy", "kate", "katie"),
    "kenneth": ("ken", "kenny"),
    "lawrence": ("larry", "laurie"),
    "leonard": ("leo", "len", "lenny"),
    "margaret": ("maggie", "peggy", "meg", "madge", "greta"),
    "matilda": ("tilly", "mattie"),
    "matthew": ("matt", "matty"),
    "michael": ("mike", "mick", "mickey", "mikey"),
    "nathaniel": ("nate", "nat", "nathan"),
    "nicholas": ("nick", "nicky", "nico"),
    "olivia": ("liv", "livvy", "ollie"),
    "oliver": ("ollie", "olly"),
    "patricia": ("pat", "patty", "trish", "tricia"),
    "patrick": ("pat", "paddy"),
    "peter": ("pete",),
    "philip": ("phil", "pip"),
    "rebecca": ("becky", "becca", "bex"),
    "richard": ("rick", "rich", "dick", "ricky", "richie"),
    "robert": ("bob", "rob", "bobby", "robbie", "bert"),
    "ronald": ("ron", "ronnie"),
    "samantha": ("sam", "sammy", "sammie"),
    "samuel": ("sam", "sammy"),
    "sandra": ("sandy",),
    "sophia": ("sophie",),
    "stephanie": ("steph", "stephie"),
    "stephen": ("steve", "stevie"),
    "steven": ("steve", "stevie"),
    "susan": ("sue", "suzy", "susie"),
    "theodore": ("theo", "ted", "teddy"),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "valerie": ("val",),
    "victoria": ("vicky", "tori", "vic", "vikki"),
    "vincent": ("vince", "vinny"),
    "walter": ("walt", "wally"),
    "william": ("bill", "will", "billy", "willie", "liam"),
    "zachary": ("zach", "zack"),
}


@lru_cache(maxsize=1)
def name_forms() -> dict[str, tuple[str, ...]]:
    """Every name of :data:`SHORT_FORMS` (full or short) -> the full names it can stand for, sorted.

    >>> forms = name_forms()
    >>> forms["bob"], forms["robert"]
    (('robert',), ('robert',))
    >>> forms["sam"]
    ('samantha', 'samuel')
    >>> forms["charlie"]
    ('charles', 'charlotte')
    """
    out: dict[str, set[str]] = {}
    for full, shorts in SHORT_FORMS.items():
        out.setdefault(full, set()).add(full)
        for short in shorts:
            out.setdefault(short, set()).add(full)
    return {name: tuple(sorted(fulls)) for name, fulls in out.items()}
