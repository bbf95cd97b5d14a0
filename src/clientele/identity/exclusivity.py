"""Competing candidates share their evidence: one record per person per source system.

A person normally has one record in each source system, so when a record ``x`` has several
candidate partners in one other system, at most one of them is right. With ``o_y = p_y / (1 -
p_y)`` the model's odds that ``x`` and candidate ``y`` match, the probability that ``y`` is *the*
partner among the candidates ``C`` of ``x`` in that system (or none of them) is

    p'(x, y) = o_y / (1 + sum_{z in C} o_z)

(the posterior of a one-of-``|C| + 1`` choice with prior odds proportional to the pairwise
odds; cf. the one-to-one assignment step of Jaro, 1989, JASA 84(406), 414-420, here in its soft
form). A pair's adjusted probability is the smaller of its two directions, so a name twin that
competes with the real partner drops below the threshold while a lone candidate keeps its
probability. Pairs within one source (duplicate accounts) are left as the model scored them,
and duplicate accounts do not compete with each other: records of one source linked at the
threshold form one candidate (its odds the largest of its members').
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _source(ids: pd.Series) -> pd.Series:
    return ids.str.split(":", n=1).str[0]


def exclusive_probability(links: pd.DataFrame, threshold: float = 0.5) -> pd.Series:
    """Adjusted match probability of each link (aligned with ``links``).

    Parameters
    ----------
    links
        ``unique_id_l, unique_id_r, match_probability`` (ids are ``source:customer_id``).
    threshold
        Same-source links at or above it join duplicate accounts into one candidate.

    Examples
    --------
    >>> links = pd.DataFrame({"unique_id_l": ["w:1", "w:1", "w:2"], "unique_id_r": ["s:1", "s:2", "w:3"],
    ...                       "match_probability": [0.9, 0.9, 0.9]})
    >>> exclusive_probability(links).round(3).tolist()     # two equal candidates of w:1 compete
    [0.474, 0.474, 0.9]
    >>> dup = pd.concat([links, pd.DataFrame({"unique_id_l": ["s:1"], "unique_id_r": ["s:2"],
    ...                                       "match_probability": [0.99]})], ignore_index=True)
    >>> exclusive_probability(dup).round(3).tolist()       # ... unless they are one person's accounts
    [0.9, 0.9, 0.9, 0.99]
    """
    from clientele.identity.clusters import cluster_records

    p = links["match_probability"].to_numpy(dtype=float)
    out = p.copy()
    src_l = _source(links["unique_id_l"])
    src_r = _source(links["unique_id_r"])
    cross = (src_l != src_r).to_numpy()
    if not cross.any():
        return pd.Series(out, index=links.index)
    same = links.loc[~cross & (p >= threshold)]
    ids = pd.Series(pd.unique(pd.concat([links["unique_id_l"], links["unique_id_r"]])), dtype=object)
    group = pd.Series(cluster_records(ids, same).to_numpy(), index=ids)
    odds = np.clip(p, 0.0, 1.0 - 1e-12)
    odds = odds / (1.0 - odds)
    frame = pd.DataFrame(
        {
            "l": links["unique_id_l"].to_numpy(),
            "r": links["unique_id_r"].to_numpy(),
            "gl": group.reindex(links["unique_id_l"]).to_numpy(),
            "gr": group.reindex(links["unique_id_r"]).to_numpy(),
            "src_l": src_l.to_numpy(),
            "src_r": src_r.to_numpy(),
            "odds": odds,
        }
    )[cross]
    adjusted = []
    for me, other, other_src in (("l", "gr", "src_r"), ("r", "gl", "src_l")):
        # each candidate group of ``me`` in the other system counts once, with its best odds
        best = frame.groupby([me, other])["odds"].transform("max")
        per_group = frame.drop_duplicates([me, other]).assign(best=best[~frame.duplicated([me, other])])
        total = per_group.groupby([me, other_src])["best"].sum()
        denom = 1.0 + total.reindex(pd.MultiIndex.from_arrays([frame[me], frame[other_src]])).to_numpy()
        adjusted.append(best.to_numpy() / denom)
    # a link's own odds, capped by its group's share
    share = np.minimum(adjusted[0], adjusted[1])
    own = frame["odds"].to_numpy()
    out[cross] = np.minimum(share, own / (1.0 + own))
    return pd.Series(out, index=links.index)
