"""Briefs: a customer manager asks a brand manager for a product or offer meeting a segment's needs.

:mod:`~clientele.briefs.lifecycle` holds the statuses and allowed moves (draft -> sent ->
accepted | declined, accepted -> delivered); :mod:`~clientele.briefs.api` stores briefs and
their history in the customer store. The CLI (``clientele brief``) and any other front end
call these functions only.
"""

from __future__ import annotations

from clientele._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "Brief": "api",
        "NEED_KINDS": "api",
        "accept": "api",
        "brief_history": "api",
        "check_needs": "api",
        "create_brief": "api",
        "decline": "api",
        "deliver": "api",
        "get_brief": "api",
        "list_briefs": "api",
        "segment_stake": "api",
        "send": "api",
        "ACTIONS": "lifecycle",
        "FINAL": "lifecycle",
        "STATUSES": "lifecycle",
        "allowed_actions": "lifecycle",
    },
)
