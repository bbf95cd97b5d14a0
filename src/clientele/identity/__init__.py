"""Identity resolution (record linkage) and the customer 360.

>>> from clientele.identity import resolve_store, customer_360   # doctest: +SKIP

Modules: :mod:`~clientele.identity.nicknames` (first-name short forms),
:mod:`~clientele.identity.normalize` (records -> comparable columns),
:mod:`~clientele.identity.settings` (the editable model settings),
:mod:`~clientele.identity.model` (Splink training and scoring),
:mod:`~clientele.identity.clusters` (links + overrides -> clusters),
:mod:`~clientele.identity.keys` (stable keys and the change log),
:mod:`~clientele.identity.resolve` (a run against the store; overrides),
:mod:`~clientele.identity.evaluate` and :mod:`~clientele.identity.labels` (pairwise quality),
:mod:`~clientele.identity.customer360` (everything known about one person),
:mod:`~clientele.identity.schema` (the store tables, created by store migration 2).
"""

from __future__ import annotations

from clientele.identity.customer360 import Customer360, customer_360
from clientele.identity.evaluate import Quality, pairwise_quality
from clientele.identity.labels import evaluate_store, read_labels, store_labels
from clientele.identity.resolve import (
    ResolveResult,
    key_changes,
    link_records,
    parse_record,
    resolve_store,
    split_record,
)
from clientele.identity.settings import check_settings, default_settings, load_settings, save_settings

__all__ = [
    "Customer360",
    "Quality",
    "ResolveResult",
    "check_settings",
    "customer_360",
    "default_settings",
    "evaluate_store",
    "key_changes",
    "link_records",
    "load_settings",
    "pairwise_quality",
    "parse_record",
    "read_labels",
    "resolve_store",
    "save_settings",
    "split_record",
    "store_labels",
]
