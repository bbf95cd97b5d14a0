"""The customer store: a DuckDB file with canonical, versioned tables and lossless ingestion.

>>> from clientele.store import Store, KINDS
>>> KINDS
('customers', 'products', 'transactions', 'interactions', 'surveys', 'referrals', 'campaigns')

Modules: :mod:`~clientele.store.schema` (what the tables hold), :mod:`~clientele.store.migrations`
(schema versions), :mod:`~clientele.store.sources` (reading files and frames),
:mod:`~clientele.store.parsing` (value checks as SQL), :mod:`~clientele.store.ingest` (the load),
:mod:`~clientele.store.status` (what the store holds), :mod:`~clientele.store.store` (the API).
"""

from __future__ import annotations

from clientele.store.results import LoadResult
from clientele.store.schema import KINDS, TABLES
from clientele.store.status import StoreStatus
from clientele.store.store import Store, default_path

__all__ = ["KINDS", "TABLES", "LoadResult", "Store", "StoreStatus", "default_path"]
