"""Errors a person can act on.

Every exception that a user's mistake can raise derives from :class:`ClienteleError`. The CLI
prints such errors as one line (no traceback) and exits with status 1; anything else is a bug.
"""

from __future__ import annotations


class ClienteleError(Exception):
    """Base class of the errors caused by input, configuration or data, not by a bug."""


class InputError(ClienteleError):
    """Bad input data: names the file, the line (or row), the column, the value and what was expected.

    Parameters
    ----------
    message
        What was expected, in words (e.g. ``"a date such as 2024-03-31"``).
    file, line, column, value
        Where the problem is, as far as known. ``line`` is the 1-based line of a text file
        (the header is line 1) or the 1-based row of a frame.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
        hint: str | None = None,
    ) -> None:
        self.reason = message
        self.file = file
        self.line = line
        self.column = column
        self.value = value
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where)
        if self.value is not None:
            text += f"{': ' if text else ''}value {self.value!r}"
        text = f"{text}: {self.reason}" if text else self.reason
        if self.hint:
            text += f" ({self.hint})"
        return text


class StoreError(ClienteleError):
    """The customer store cannot be opened, migrated or queried as asked."""


class NotFittedError(ClienteleError, AttributeError):
    """A model was used for prediction before ``fit`` was called."""


class ConvergenceError(ClienteleError):
    """Fitting did not converge; the message says what to try."""


class ModelInputError(ClienteleError, ValueError):
    """Data given to a model breaks one of the model's rules (the message names the rule)."""
