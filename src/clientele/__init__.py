"""clientele: the software of a company's customer department.

One customer store where every source system's data lands checked and lossless, one customer
across source systems, the customer-base models, CLV and customer equity, the indicators, the
segments owned by customer managers with their needs and briefs, and the budget by segment.

``clientele.rfm_summary`` and ``clientele.rfm_expr`` are imported on first use, so that
``import clientele`` (and the CLI's start) stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "rfm_expr", "rfm_summary"]

_LAZY = {"rfm_summary": "clientele.rfm", "rfm_expr": "clientele.rfm"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'clientele' has no attribute {name!r}")
