"""Stable customer keys: clusters of records -> ``customer_key`` per record, and the changes.

Rules (vectorised over records with pandas; no Python loop over records):

* Before any resolution each record ``(source, customer_id)`` is its own key
  ``source:customer_id`` (the *fallback key*), which is also what the ``purchases`` view uses for
  records without a stored key. A key is always born as the fallback key of its *founding*
  record, and its age is the founding record's signup date (then the key's text, for ties).
* Only stored keys compete for a cluster that holds any; the fallback keys of records without a
  stored key compete only in clusters made of such records alone (so a new record joins an
  existing key, even if it is older).
* A key stays with the cluster that holds its founding record; if the founding record is gone
  from the key's records, with the cluster holding most of the key's records (ties: the cluster
  of the key's oldest record).
* A cluster keeps the oldest of the keys that stay with it; the other keys merge into it
  (``merge``: the older key survives).
* A cluster with no staying key (new records only, or records split off) gets a new key: the
  fallback key of its oldest record (so a record split off gets its own key back), unless
  another cluster holds that text as its key (then ``~<run>`` is appended).
* Every record whose key differs from its previous key (stored, else fallback) is a change with
  its reason: ``linked`` (the model joined records), ``merge``, ``split``, ``override link``,
  ``override split``, ``new record``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Columns of the assigned keys.
KEY_COLUMNS = ("unique_id", "customer_key", "key_since")
#: Columns of the key changes.
CHANGE_COLUMNS = ("unique_id", "old_key", "new_key", "reason")


@dataclass
class Assignment:
    """The outcome of :func:`assign_keys`.

    Attributes
    ----------
    keys
        ``unique_id, customer_key, key_since`` for every record.
    changes
        ``unique_id, old_key, new_key, reason`` for every record whose key changed.
    merges
        ``merged_key, into_key`` for every stored key that merged into an older one.
    """

    keys: pd.DataFrame
    changes: pd.DataFrame
    merges: pd.DataFrame


def assign_keys(
    records: pd.DataFrame,
    cluster: pd.Series,
    previous: pd.DataFrame,
    *,
    run_id: int = 1,
    override_ids: set[str] | frozenset[str] = frozenset(),
    split_ids: set[str] | frozenset[str] = frozenset(),
) -> Assignment:
    """Give each record a customer key, keeping existing keys for existing people.

    Parameters
    ----------
    records
        ``unique_id`` and ``signup_date`` of every record (aligned with ``cluster``).
    cluster
        Cluster number of each record (:func:`clientele.identity.clusters.cluster_records`).
    previous
        The stored keys: ``unique_id, customer_key, key_since`` (may be empty).
    run_id
        The resolution run, appended to a new key whose text another cluster holds.
    override_ids, split_ids
        Records named by an analyst's link or split override (for the reasons).

    Examples
    --------
    >>> recs = pd.DataFrame({"unique_id": ["s:1", "s:2", "w:9"],
    ...                      "signup_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2023-06-01"])})
    >>> prev = pd.DataFrame(columns=["unique_id", "customer_key", "key_since"])
    >>> a = assign_keys(recs, pd.Series([0, 0, 1]), prev)
    >>> a.keys["customer_key"].tolist()
    ['s:1', 's:1', 'w:9']
    >>> a.changes[["unique_id", "old_key", "new_key", "reason"]].values.tolist()
    [['s:2', 's:2', 's:1', 'linked']]
    >>> b = assign_keys(recs, pd.Series([0, 0, 0]), a.keys)   # w:9 is older: its key survives
    >>> b.keys["customer_key"].tolist(), b.merges.values.tolist()
    (['w:9', 'w:9', 'w:9'], [['s:1', 'w:9']])
    """
    rec = pd.DataFrame(
        {
            "unique_id": records["unique_id"].to_numpy(dtype=object),
            "signup": pd.to_datetime(records["signup_date"]).to_numpy(),
            "cluster": np.asarray(cluster, dtype=np.int64),
        }
    )
    prev = previous.loc[:, list(KEY_COLUMNS)].drop_duplicates("unique_id").set_index("unique_id")
    stored_key = prev["customer_key"].reindex(rec["unique_id"]).to_numpy(dtype=object)
    rec["had_key"] = pd.notna(stored_key)
    rec["old_key"] = np.where(rec["had_key"], stored_key, rec["unique_id"].to_numpy(dtype=object))
    stored_since = pd.to_datetime(prev["key_since"].reindex(rec["unique_id"])).to_numpy()
    rec["old_since"] = np.where(rec["had_key"], stored_since, rec["signup"].to_numpy())
    rec["old_since"] = pd.to_datetime(rec["old_since"])

    # -- which cluster each old key stays with -------------------------------------------------
    # a record's fallback key competes only in clusters without any stored key: a new record
    # joins an existing key rather than taking it over
    has_stored = rec.groupby("cluster")["had_key"].transform("any")
    candidates = rec.loc[rec["had_key"] | ~has_stored]
    per = candidates.groupby(["old_key", "cluster"], sort=False).agg(
        n=("unique_id", "size"), oldest=("signup", "min"), since=("old_since", "min")
    ).reset_index()
    founder = candidates.loc[candidates["unique_id"] == candidates["old_key"], ["old_key", "cluster"]].rename(
        columns={"cluster": "founder_cluster"}
    )
    per = per.merge(founder, on="old_key", how="left")
    per["has_founder"] = per["cluster"] == per["founder_cluster"]
    per = per.sort_values(
        ["old_key", "has_founder", "n", "oldest", "cluster"],
        ascending=[True, False, False, True, True],
        kind="stable",
        na_position="last",
    )
    stays = per.drop_duplicates("old_key", keep="first").loc[:, ["old_key", "cluster", "since"]]

    # -- each cluster keeps its oldest staying key ----------------------------------------------
    stays = stays.sort_values(["cluster", "since", "old_key"], kind="stable", na_position="last")
    kept = stays.drop_duplicates("cluster", keep="first").set_index("cluster")
    merged = stays.loc[stays.duplicated("cluster", keep="first"), ["old_key", "cluster"]]
    # only stored keys merge; a record that never had a stored key is simply linked
    merged = merged.loc[merged["old_key"].isin(set(prev["customer_key"]))]
    merges = pd.DataFrame(
        {
            "merged_key": merged["old_key"].to_numpy(dtype=object),
            "into_key": kept["old_key"].reindex(merged["cluster"]).to_numpy(dtype=object),
        }
    )

    # -- new keys for clusters without one -------------------------------------------------------
    clusters = pd.Index(np.unique(rec["cluster"].to_numpy()))
    missing = clusters.difference(kept.index)
    new_keys = pd.DataFrame(columns=["customer_key", "key_since"])
    if len(missing):
        cand = rec.loc[rec["cluster"].isin(missing)].copy()
        cand = cand.sort_values(["cluster", "signup", "unique_id"], kind="stable", na_position="last")
        cand = cand.drop_duplicates("cluster")
        text = cand["unique_id"].to_numpy(dtype=object)
        taken = np.isin(text, np.array(sorted(set(kept["old_key"])), dtype=object))
        text = np.where(taken, text + f"~{run_id}", text)
        new_keys = pd.DataFrame(
            {"customer_key": text, "key_since": cand["signup"].to_numpy()}, index=cand["cluster"].to_numpy()
        )
    cluster_key = pd.concat(
        [kept.rename(columns={"old_key": "customer_key", "since": "key_since"})[["customer_key", "key_since"]], new_keys]
    )
    rec["customer_key"] = cluster_key["customer_key"].reindex(rec["cluster"]).to_numpy(dtype=object)
    rec["key_since"] = pd.to_datetime(cluster_key["key_since"].reindex(rec["cluster"]).to_numpy())

    # -- changes and their reasons ---------------------------------------------------------------
    changed = rec["customer_key"] != rec["old_key"]
    ch = rec.loc[changed].copy()
    merged_into = dict(zip(merges["merged_key"], merges["into_key"]))
    is_merge = ch["old_key"].map(lambda k: merged_into.get(k)).to_numpy(dtype=object) == ch["customer_key"].to_numpy(dtype=object)
    old_key_alive = ch["old_key"].isin(set(cluster_key["customer_key"]))
    reason = np.where(
        is_merge & ch["had_key"].to_numpy(),
        "merge: key " + ch["old_key"].astype(str) + " merged into the older key " + ch["customer_key"].astype(str),
        np.where(
            ch["had_key"].to_numpy() & old_key_alive.to_numpy(),
            "split: no longer linked to key " + ch["old_key"].astype(str),
            np.where(ch["had_key"].to_numpy(), "split: key " + ch["old_key"].astype(str) + " retired", "linked"),
        ),
    )
    reason = pd.Series(reason, index=ch.index, dtype=object)
    new_record = ~ch["had_key"] & (len(prev) > 0)
    reason[new_record & (reason == "linked")] = "new record joined key " + ch.loc[new_record & (reason == "linked"), "customer_key"].astype(str)
    reason[ch["unique_id"].isin(set(override_ids))] = "override link: " + reason[ch["unique_id"].isin(set(override_ids))]
    reason[ch["unique_id"].isin(set(split_ids))] = "override split"
    changes = pd.DataFrame(
        {
            "unique_id": ch["unique_id"].to_numpy(dtype=object),
            "old_key": ch["old_key"].to_numpy(dtype=object),
            "new_key": ch["customer_key"].to_numpy(dtype=object),
            "reason": reason.to_numpy(dtype=object),
        }
    )
    keys = rec.loc[:, list(KEY_COLUMNS)].reset_index(drop=True)
    return Assignment(keys=keys, changes=changes.reset_index(drop=True), merges=merges)
