"""Records -> clusters: connected components of the model's links, with the analyst's overrides.

Overrides are applied in the order they were made, and always win over the model:

* ``split R`` removes every model link of record ``R`` and every earlier forced link of ``R``
  (``R`` is then alone unless a later override links it);
* ``link A B`` adds a forced link between ``A`` and ``B`` (joining their clusters).

A cluster is a connected component of the remaining model links plus the forced links
(``scipy.sparse.csgraph.connected_components``; linear in records + links).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: Columns of an overrides frame, oldest first.
OVERRIDE_COLUMNS = ("kind", "unique_id", "other_unique_id")


def apply_overrides(links: pd.DataFrame, overrides: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """The model links that survive the overrides, the forced links, and the split records.

    Parameters
    ----------
    links
        ``unique_id_l, unique_id_r`` (model links).
    overrides
        ``kind`` (``link`` or ``split``), ``unique_id``, ``other_unique_id`` (links only), in the
        order they were made.
    """
    split: set[str] = set()
    forced: dict[tuple[str, str], None] = {}
    for kind, a, b in overrides.loc[:, list(OVERRIDE_COLUMNS)].itertuples(index=False):
        if kind == "split":
            split.add(a)
            forced = {pair: None for pair in forced if a not in pair}
        else:
            pair = (a, b) if a <= b else (b, a)
            if pair[0] != pair[1]:
                forced[pair] = None
    kept = links
    if split:
        drop = links["unique_id_l"].isin(split) | links["unique_id_r"].isin(split)
        kept = links.loc[~drop]
    forced_frame = pd.DataFrame(list(forced), columns=["unique_id_l", "unique_id_r"], dtype=object)
    return kept, forced_frame, split


def cluster_records(ids: pd.Series, links: pd.DataFrame, overrides: pd.DataFrame | None = None) -> pd.Series:
    """Cluster number of each record (``ids``, unique), 0..k-1 in order of first appearance.

    Parameters
    ----------
    ids
        Every record's ``unique_id``.
    links
        Model links ``unique_id_l, unique_id_r`` (ids not in ``ids`` are ignored).
    overrides
        See :func:`apply_overrides`.

    Examples
    --------
    >>> ids = pd.Series(["a", "b", "c", "d"])
    >>> links = pd.DataFrame({"unique_id_l": ["a", "b"], "unique_id_r": ["b", "c"]})
    >>> cluster_records(ids, links).tolist()
    [0, 0, 0, 1]
    >>> ov = pd.DataFrame({"kind": ["split", "link"], "unique_id": ["b", "b"], "other_unique_id": [None, "d"]})
    >>> cluster_records(ids, links, ov).tolist()
    [0, 1, 2, 1]
    """
    ids = pd.Series(ids, dtype=object).reset_index(drop=True)
    if overrides is not None and len(overrides):
        links, forced, _split = apply_overrides(links, overrides)
        links = pd.concat([links[["unique_id_l", "unique_id_r"]], forced], ignore_index=True)
    n = len(ids)
    if n == 0:
        return pd.Series([], dtype=np.int64)
    index = pd.Index(ids)
    left = index.get_indexer(links["unique_id_l"])
    right = index.get_indexer(links["unique_id_r"])
    ok = (left >= 0) & (right >= 0)
    graph = coo_matrix((np.ones(int(ok.sum()), dtype=np.int8), (left[ok], right[ok])), shape=(n, n))
    _count, labels = connected_components(graph, directed=False)
    # renumber by first appearance so the numbering does not depend on scipy's internals
    _, first = np.unique(labels, return_index=True)
    order = np.empty(len(first), dtype=np.int64)
    order[np.argsort(first)] = np.arange(len(first))
    return pd.Series(order[labels], dtype=np.int64)
