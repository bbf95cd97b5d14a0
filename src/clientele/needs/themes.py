"""What customers say: the terms and phrases that set a segment's survey comments apart.

Comments are lower-cased and split into words; stop words are dropped; the terms are the
remaining words and the pairs of adjacent words that are both kept (bigrams). Each comment counts
a term once. A term's distinctiveness is the log-odds ratio with an informative Dirichlet prior
of Monroe, Colaresi & Quinn (2008, "Fightin' words: lexical feature selection and evaluation for
identifying the content of political conflict", Political Analysis 16(4); their model with an informative Dirichlet prior):

``delta_w = log((y_w + a_w) / (n + a0 - y_w - a_w)) - log((y'_w + a_w) / (n' + a0 - y'_w - a_w))``

with ``y_w`` the segment's comments using the term, ``n = sum_w y_w``, ``y'_w`` and ``n'`` the
same for the other customers' comments, ``a_w = a0 * pi_w`` the prior (``pi_w`` the term's share
of all term uses; ``a0`` by default the number of comments),
and its z-score ``delta_w / sqrt(1 / (y_w + a_w) + 1 / (y'_w + a_w))``. Every
distinctive term comes with the NPS of the segment's answers that use it (with their number) and
example quotes. Nothing is downloaded: the stop word list is part of this module.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import scipy.sparse as sp

from clientele.needs.data import is_member

#: English function words left out of the terms.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each even ever every few for from
    further get got had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up us very was we were what when where which
    while who whom why will with would you your yours yourself yourselves i'm it's don't didn't can't
    won't i've we've that's there's isn't wasn't aren't""".split()
)

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

COLUMNS = [
    "comments", "other_comments", "share", "other_share", "log_odds", "z", "answers", "nps",
    "mean_score", "also", "examples",
]


def terms(comment: str) -> list[str]:
    """The distinct terms of one comment: words and adjacent-word pairs, stop words left out.

    >>> terms("The kids section has everything we need!")
    ['everything', 'kids', 'kids section', 'need', 'section']
    """
    words = _WORD.findall(str(comment).lower())
    kept = [w if w not in STOPWORDS else None for w in words]
    out = {w for w in kept if w}
    out.update(f"{a} {b}" for a, b in zip(kept, kept[1:]) if a and b)
    return sorted(out)


def term_matrix(comments: pd.Series) -> tuple[sp.csr_matrix, pd.Index]:
    """Comments x terms, 1 where the comment uses the term; and the terms (sorted)."""
    per = [terms(c) for c in comments.to_numpy()]
    flat = [t for row in per for t in row]
    vocabulary = pd.Index(sorted(set(flat)), name="term")
    position = {t: i for i, t in enumerate(vocabulary)}
    lengths = np.fromiter((len(r) for r in per), dtype=np.int64, count=len(per))
    cols = np.fromiter((position[t] for t in flat), dtype=np.int64, count=len(flat))
    rows = np.repeat(np.arange(len(per)), lengths)
    matrix = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(per), len(vocabulary)))
    return matrix, vocabulary


def nps(scores: np.ndarray) -> float:
    """Net promoter score: percent of 9-10 minus percent of 0-6 (NaN without scores)."""
    scores = np.asarray(scores)
    if len(scores) == 0:
        return float("nan")
    return float(100 * (np.mean(scores >= 9) - np.mean(scores <= 6)))


def commented(answers: pd.DataFrame) -> tuple[pd.DataFrame, sp.csr_matrix, pd.Index]:
    """The answers with a comment, their :func:`term_matrix` and its terms (compute once, pass as
    ``prepared`` to :func:`distinctive_terms`)."""
    said = answers.loc[answers["comment"].notna() & (answers["comment"].astype(str).str.strip() != "")]
    matrix, vocabulary = term_matrix(said["comment"])
    return said, matrix, vocabulary


def distinctive_terms(
    answers: pd.DataFrame,
    members: pd.Index,
    top: int = 15,
    min_comments: int = 3,
    z_min: float = 1.96,
    prior_strength: float | None = None,
    n_examples: int = 3,
    prepared: tuple[pd.DataFrame, sp.csr_matrix, pd.Index] | None = None,
) -> pd.DataFrame:
    """The terms that set the segment's comments apart from the other customers'.

    Parameters
    ----------
    answers
        Survey answers: ``customer_key``, ``nps``, ``comment`` (:func:`clientele.needs.data.survey_answers`).
    members
        The segment's customer keys.
    top
        Terms returned at most.
    min_comments
        A term must appear in at least this many of the segment's comments.
    z_min
        Smallest z-score kept (1.96: two-sided 5% level).
    prior_strength
        ``a0`` of the informative Dirichlet prior (default: the number of comments).
    n_examples
        Example quotes per term (the segment's comments using it, shortest first).
    prepared
        :func:`commented` of the same ``answers``, if already computed.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``term``, highest z first: ``comments``/``other_comments`` using it,
        ``share``/``other_share`` of the comments, ``log_odds``, ``z``, ``answers`` (the
        segment's answers using it), their ``nps`` and ``mean_score``, ``also`` (terms used by
        exactly the same comments, folded into this one: the longest is kept) and ``examples``
        (a list of quotes).
    """
    said, matrix, vocabulary = commented(answers) if prepared is None else prepared
    empty = pd.DataFrame(columns=COLUMNS, index=pd.Index([], name="term"))
    inside = is_member(said["customer_key"], members)
    if not inside.any():
        return empty
    if (~inside).sum() == 0 or len(vocabulary) < 2:  # nobody to contrast with, or nothing to rank
        return empty
    y = np.asarray(matrix[inside].sum(axis=0)).ravel()
    y_other = np.asarray(matrix[~inside].sum(axis=0)).ravel()
    n_docs, n_docs_other = int(inside.sum()), int((~inside).sum())
    n, n_other = y.sum(), y_other.sum()
    a0 = float(n_docs + n_docs_other) if prior_strength is None else float(prior_strength)
    pi = (y + y_other) / (n + n_other)
    a = a0 * pi
    delta = np.log((y + a) / (n + a0 - y - a)) - np.log((y_other + a) / (n_other + a0 - y_other - a))
    z = delta / np.sqrt(1.0 / (y + a) + 1.0 / (y_other + a))
    out = pd.DataFrame(
        {
            "comments": y.astype(np.int64),
            "other_comments": y_other.astype(np.int64),
            "share": y / n_docs,
            "other_share": y_other / n_docs_other,
            "log_odds": delta,
            "z": z,
        },
        index=vocabulary,
    )
    out = out.loc[(out["comments"] >= min_comments) & (out["z"] >= z_min)]
    out = out.sort_values(["z", "comments"], ascending=False, kind="stable")
    mine = said.loc[inside]
    use = matrix[inside][:, vocabulary.get_indexer(out.index)].tocsc()
    # terms used by exactly the same comments say one thing: keep the longest, list the others
    signature = [hash(use[:, j].indices.tobytes()) for j in range(use.shape[1])]
    words = np.array([t.count(" ") + 1 for t in out.index])
    order = pd.DataFrame({"sig": signature, "words": -words, "pos": np.arange(len(out))}).sort_values(["sig", "words", "pos"])
    keep_pos = order.drop_duplicates("sig")["pos"].to_numpy()
    same = order.assign(term=out.index.to_numpy()[order["pos"].to_numpy()]).groupby("sig")["term"].agg(list)
    also = {terms_[0]: terms_[1:] for terms_ in same}
    keep_pos = np.sort(keep_pos)[:top]
    out = out.iloc[keep_pos].copy()
    use = use[:, keep_pos]
    out["also"] = [also.get(t, []) for t in out.index]
    scores = mine["nps"].to_numpy()
    quotes = mine["comment"].astype(str).to_numpy()
    answers_n, nps_v, mean_v, examples = [], [], [], []
    for j in range(len(out)):
        rows = use[:, j].indices
        answers_n.append(len(rows))
        nps_v.append(nps(scores[rows]))
        mean_v.append(float(np.mean(scores[rows])) if len(rows) else float("nan"))
        distinct = pd.unique(quotes[rows])
        examples.append(sorted(distinct, key=len)[:n_examples])
    out["answers"] = np.asarray(answers_n, dtype=np.int64)
    out["nps"] = nps_v
    out["mean_score"] = mean_v
    out["examples"] = examples
    return out[COLUMNS]
