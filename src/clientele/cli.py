"""The ``clientele`` command line: thin commands that parse, call one library function, print.

Each command prints a rich table by default and JSON with ``--json``. Errors caused by the
user's input (:class:`clientele.errors.ClienteleError`) print as one line on stderr and exit 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from clientele.errors import ClienteleError

DEFAULT_STORE = "clientele.duckdb"

app = typer.Typer(
    name="clientele",
    help="clientele: the customer department's store, models, CLV and customer equity.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _global_options(
    ctx: typer.Context,
    store: Path = typer.Option(
        None,
        "--store",
        envvar="CLIENTELE_STORE",
        help=f"The customer store (a DuckDB file). Default: ./{DEFAULT_STORE}.",
    ),
) -> None:
    ctx.obj = {"store": Path(store) if store else Path(DEFAULT_STORE)}


def store_path(ctx: typer.Context) -> Path:
    """The store path chosen by ``--store``, ``CLIENTELE_STORE`` or the default."""
    return (ctx.obj or {}).get("store", Path(DEFAULT_STORE))


def print_json(payload: Any) -> None:
    """Print ``payload`` as JSON on stdout (dates and numpy scalars as strings/numbers)."""
    sys.stdout.write(json.dumps(payload, indent=2, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """Print rows as a rich table with right-aligned numbers."""
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(columns):
        numeric = bool(rows) and all(isinstance(r[i], (int, float)) for r in rows if r[i] is not None)
        table.add_column(name, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*[_cell(v) for v in row])
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main() -> None:
    """Entry point of the ``clientele`` script."""
    try:
        app()
    except ClienteleError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("Interrupted; the store is unchanged by the interrupted step.")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
