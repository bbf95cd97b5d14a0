"""The life of a brief: its statuses and the moves between them.

::

    draft --send--> sent --accept--> accepted --deliver--> delivered
                         \\-decline--> declined (a reason is required)

``declined`` and ``delivered`` are final. Any other move is refused with an
:class:`~clientele.errors.InputError` naming the brief's status and the moves it allows.
"""

from __future__ import annotations

from clientele.errors import InputError

STATUSES = ("draft", "sent", "accepted", "declined", "delivered")
FINAL = ("declined", "delivered")

#: action -> (status it starts from, status it leads to)
ACTIONS: dict[str, tuple[str, str]] = {
    "send": ("draft", "sent"),
    "accept": ("sent", "accepted"),
    "decline": ("sent", "declined"),
    "deliver": ("accepted", "delivered"),
}


def allowed_actions(status: str) -> list[str]:
    """The actions possible from ``status`` (none from a final status)."""
    return [action for action, (start, _) in ACTIONS.items() if start == status]


def next_status(brief_id: int, status: str, action: str) -> str:
    """The status ``action`` leads to from ``status``; InputError if the move is not allowed.

    Examples
    --------
    >>> next_status(7, "sent", "accept")
    'accepted'
    >>> next_status(7, "draft", "deliver")
    Traceback (most recent call last):
    ...
    clientele.errors.InputError: column 'status': value 'draft': brief 7 cannot be delivered; it can only be sent
    """
    if action not in ACTIONS:
        raise InputError(f"unknown action; expected one of {', '.join(ACTIONS)}", column="action", value=action)
    start, end = ACTIONS[action]
    if status != start:
        allowed = allowed_actions(status)
        can = f"it can only be {' or '.join(_past(a) for a in allowed)}" if allowed else "that status is final"
        raise InputError(f"brief {brief_id} cannot be {_past(action)}; {can}", column="status", value=status)
    return end


def _past(action: str) -> str:
    return {"send": "sent", "accept": "accepted", "decline": "declined", "deliver": "delivered"}[action]
