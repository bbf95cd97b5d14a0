"""Customer-base ("buy till you die") models: one file per model, shared machinery in base.py."""

from clientele.models.base import CustomerBaseModel

__all__ = ["CustomerBaseModel"]
