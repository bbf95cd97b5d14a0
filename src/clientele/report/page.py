"""The report's HTML page: one self-contained file (plotly.js inline, once; no network at all).

Layout: a headline of big numbers, then sections, each with a short caption, figures and
tables. A tiny script records script errors (``window.onerror``) in a hidden element
``#report-errors`` and each figure sets ``data-rendered="1"`` on its div once plotly has drawn
it, so a headless browser can check that the page works (see ``tests/report``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; color: #222; margin: 0; background: #f5f6f8; }
header { background: #1f3b57; color: #fff; padding: 28px 40px 22px; }
header h1 { margin: 0 0 6px; font-size: 26px; }
header p { margin: 0; opacity: 0.85; }
main { max-width: 1180px; margin: 0 auto; padding: 18px 24px 40px; }
.cards { display: flex; flex-wrap: wrap; gap: 14px; margin: 18px 0 8px; }
.card { background: #fff; border-radius: 8px; padding: 14px 18px; min-width: 200px; flex: 1;
        box-shadow: 0 1px 3px rgba(0,0,0,0.12); }
.card .label { font-size: 13px; color: #5b6570; text-transform: uppercase; letter-spacing: 0.04em; }
.card .value { font-size: 28px; font-weight: bold; margin: 4px 0; color: #1f3b57; }
.card .note { font-size: 13px; color: #5b6570; }
section { background: #fff; border-radius: 8px; padding: 16px 22px; margin: 18px 0;
          box-shadow: 0 1px 3px rgba(0,0,0,0.12); }
section h2 { margin: 4px 0 6px; font-size: 20px; color: #1f3b57; }
p.caption { color: #444; max-width: 900px; line-height: 1.45; }
.grid2 { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
.grid2 > .figure, .grid1 > .figure { min-width: 0; }
@media (max-width: 900px) { .grid2 { grid-template-columns: minmax(0, 1fr); } }
table.data { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
table.data th, table.data td { padding: 4px 10px; border-bottom: 1px solid #e3e6ea; }
table.data th { text-align: left; background: #f0f2f5; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
.missing { color: #8a5a00; background: #fff6e0; padding: 8px 12px; border-radius: 6px; }
footer { color: #777; font-size: 12px; text-align: center; padding: 16px; }
"""

# recorded before any other script runs
_ERROR_TRAP = """
window.__reportErrors = [];
function __reportError(message) {
  window.__reportErrors.push(String(message));
  var box = document.getElementById('report-errors');
  if (box) { box.textContent = window.__reportErrors.join('\\n'); box.setAttribute('data-count', window.__reportErrors.length); }
}
window.onerror = function (message, source, line) { __reportError(message + ' (line ' + line + ')'); };
window.addEventListener('unhandledrejection', function (e) { __reportError('unhandled rejection: ' + e.reason); });
"""

_MARK_RENDERED = (
    "var el = document.getElementById('{plot_id}');"
    "if (el && el.querySelector('.main-svg')) { el.setAttribute('data-rendered', '1'); }"
)


@dataclass
class Card:
    """A headline figure: label, big value, small note (e.g. the interval)."""

    label: str
    value: str
    note: str = ""


@dataclass
class Section:
    """A titled part of the report: a caption, then figures (two per row) and tables (HTML)."""

    title: str
    caption: str
    figures: list[go.Figure] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    missing: str | None = None


def fmt(value: Any, digits: int = 0) -> str:
    """A number with thousands separators (``-`` for missing values)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, (int, float)) or hasattr(value, "item"):
        return f"{float(value):,.{digits}f}"
    return str(value)


def table_html(frame: pd.DataFrame, digits: dict[str, int] | None = None, index: bool = True) -> str:
    """An escaped HTML table; numbers right-aligned and formatted (``digits`` per column, default 0)."""
    digits = digits or {}
    shown = frame.reset_index() if index else frame
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for record in shown.itertuples(index=False):
        cells = []
        for column, value in zip(shown.columns, record):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<td class="num">{html.escape(fmt(value, digits.get(str(column), 0)))}</td>')
            else:
                cells.append(f"<td>{html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _figure_html(fig: go.Figure, number: int) -> str:
    return pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        div_id=f"figure-{number}",
        post_script=_MARK_RENDERED,
        config={"displaylogo": False, "responsive": True},
    )


def render_page(title: str, subtitle: str, cards: list[Card], sections: list[Section], footer: str) -> str:
    """The whole page as one HTML string (plotly.js inline in the head, once)."""
    counter = 0
    body = [_cards_html(cards)]
    for section in sections:
        parts = [f"<section><h2>{html.escape(section.title)}</h2>", f'<p class="caption">{html.escape(section.caption)}</p>']
        if section.missing:
            parts.append(f'<p class="missing">{html.escape(section.missing)}</p>')
        if section.cards:
            parts.append(_cards_html(section.cards))
        if section.figures:
            parts.append('<div class="grid2">' if len(section.figures) > 1 else '<div class="grid1">')
            for fig in section.figures:
                counter += 1
                parts.append(f'<div class="figure">{_figure_html(fig, counter)}</div>')
            parts.append("</div>")
        parts.extend(section.tables)
        parts.append("</section>")
        body.append("".join(parts))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style>'
        f"<script>{_ERROR_TRAP}</script>"
        f'<script type="text/javascript">{get_plotlyjs()}</script>'
        "</head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f'<main data-figures="{counter}">{"".join(body)}</main>'
        f'<pre id="report-errors" data-count="0" hidden></pre>'
        f"<footer>{html.escape(footer)}</footer></body></html>\n"
    )


def _cards_html(cards: list[Card]) -> str:
    if not cards:
        return ""
    items = "".join(
        f'<div class="card"><div class="label">{html.escape(c.label)}</div><div class="value">{html.escape(c.value)}</div>'
        f'<div class="note">{html.escape(c.note)}</div></div>'
        for c in cards
    )
    return f'<div class="cards">{items}</div>'
