"""Segments owned by customer managers: the value x risk grid and rule segments.

* :mod:`~clientele.segments.grid`: CLV tiers x P(alive) bands, one cell per customer;
* :mod:`~clientele.segments.rules`: the safe rule language of user-defined segments;
* :mod:`~clientele.segments.attributes`: the customer attributes rules may use;
* :mod:`~clientele.segments.registry`: segments and membership stored in the customer store;
* :mod:`~clientele.segments.summary`: size, equity, CLV, retention and NPS per segment.
"""

from __future__ import annotations

from clientele._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "ATTRIBUTES": "attributes",
        "customer_attributes": "attributes",
        "DEFAULT_ALIVE_BANDS": "grid",
        "DEFAULT_CLV_TIERS": "grid",
        "Grid": "grid",
        "create_grid": "registry",
        "create_segment": "registry",
        "delete_segment": "registry",
        "get_segment": "registry",
        "list_segments": "registry",
        "refresh_segments": "registry",
        "segment_members": "registry",
        "segment_membership": "registry",
        "segment_names": "registry",
        "set_owner": "registry",
        "Rule": "rules",
        "compile_rule": "rules",
        "segment_summary": "summary",
    },
)
