"""Helpers for the ``load`` command: the ``--map`` option and the progress indicator."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from clientele.errors import InputError
from clientele.store.store import Store


def parse_map(items: list[str]) -> dict[str, str]:
    """``["order_date=timestamp", ...]`` -> ``{"order_date": "timestamp", ...}``."""
    mapping: dict[str, str] = {}
    for item in items:
        name, sep, target = item.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise InputError(
                'a column map is FILE_COLUMN=CANONICAL_COLUMN, e.g. --map "order_date=timestamp"',
                value=item,
            )
        if name.strip() in mapping:
            raise InputError("the column is mapped twice", value=name.strip())
        mapping[name.strip()] = target.strip()
    return mapping


@contextmanager
def load_progress(
    store: Store, console: Console, *, interval: float = 0.25
) -> Iterator[Callable[[str], None]]:
    """A rich progress display of a load's steps and of the running query's percentage.

    Yields the ``progress`` callback for :meth:`Store.load`. Shown only on a terminal.
    """
    if not console.is_terminal:
        yield lambda _stage: None
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task("loading", total=100)
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(interval):
            try:
                pct = store.con.query_progress()
            except Exception:  # the connection is between statements or closing
                continue
            if pct is not None and pct >= 0:
                progress.update(task, completed=pct)

    def on_step(stage: str) -> None:
        progress.update(task, description=stage, completed=0)

    with progress:
        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            yield on_step
        finally:
            stop.set()
            thread.join()
