"""clientele: the software of a company's customer department.

One customer store where every source system's data lands checked and lossless, the per-customer
summary the customer-base models consume, the models themselves, CLV and customer equity.
"""

from __future__ import annotations

from clientele.rfm import rfm_expr, rfm_summary

__version__ = "0.1.0"
