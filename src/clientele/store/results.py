"""What a load did: counts a person (and a script) can check."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class LoadResult:
    """The outcome of one :meth:`clientele.store.Store.load`.

    Every row read is accounted for: ``loaded + already_present + quarantined == rows_read``.

    Attributes
    ----------
    kind, source, file
        What was loaded, from which source system, from which file (or frame label).
    load_id
        The row of the ``loads`` table recording this load.
    rows_read
        Data rows in the input (the header and blank lines are not rows).
    loaded
        Rows added to the store.
    already_present
        Rows the store already held (same source and key, same values), including repeats of a
        row earlier in the same input.
    quarantined
        Rows put into (or already in) the ``quarantine`` table, each with its reason.
    returns
        Of the rows loaded, transactions with a negative amount (kept and flagged ``is_return``).
    """

    kind: str
    source: str
    file: str
    load_id: int
    rows_read: int
    loaded: int
    already_present: int
    quarantined: int
    returns: int = 0

    def to_dict(self) -> dict:
        """The result as a plain dict (for ``--json``)."""
        return asdict(self)
