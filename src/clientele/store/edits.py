"""Small checks shared by the modules that let people edit the store (segments, briefs, plans)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clientele.errors import InputError, StoreError

#: longest free text (a description, a request, a note) accepted by default
MAX_TEXT = 2000


def utc_now() -> dt.datetime:
    """The current UTC time without a time zone, as the store's TIMESTAMP columns hold it."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def require_writable(store: Any, what: str) -> None:
    """Raise :class:`StoreError` when ``store`` is open read-only (``what`` names the change)."""
    if store.read_only:
        raise StoreError(f"{store.path}: the store is open read-only; open it without read_only to change {what}")


def clean_text(value: Any, column: str, *, required: bool, limit: int = MAX_TEXT) -> str | None:
    """``value`` stripped, or ``None`` when empty and not required.

    Raises :class:`InputError` naming ``column`` for a missing required value, a non-string,
    text longer than ``limit`` or control characters (newlines and tabs are allowed).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError("must not be empty", column=column, value=value)
        return None
    if not isinstance(value, str):
        raise InputError("expected text", column=column, value=value)
    text = value.strip()
    if len(text) > limit:
        raise InputError(f"at most {limit} characters", column=column, value=text[:60] + "...")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise InputError("control characters are not allowed", column=column, value=text[:60])
    return text
