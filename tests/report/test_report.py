"""The report page: content, self-containment (offline), and the CLI commands."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from clientele.cli import app
from clientele.errors import InputError
from clientele.report import write_report
from clientele.store import Store

runner = CliRunner()


def test_all_parts_computed(report_data):
    assert report_data.notes == {}
    assert report_data.equity is not None and report_data.history is not None
    assert report_data.indicators is not None and report_data.validation is not None
    assert len(report_data.history) == 3


def test_page_is_self_contained(report_file):
    page = report_file.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", page, re.IGNORECASE)
    assert not re.search(r"<(link|img|iframe)[^>]+(href|src)=[\"']?https?:", page, re.IGNORECASE)
    assert page.count("Plotly.newPlot(") >= 10
    assert page.count("plotly.js v") <= 2  # the library's banner: one inline copy
    figures = re.findall(r'<div class="figure">', page)
    main = re.search(r'<main data-figures="(\d+)"', page)
    assert main and int(main.group(1)) == len(figures) == 11
    for heading in ("Customer equity", "Equity over time", "Where the value is", "Indicators by segment and month",
                    "How well the model predicts", "Most valuable customers at risk of leaving"):
        assert f"<h2>{heading}</h2>" in page
    assert "interval" in page and 'class="missing"' not in page
    assert len(page) < 6_000_000  # plotly.js (~4.7 MB) plus aggregated data only


def test_report_without_equity_parts_says_why(report_data):
    from clientele.report import render

    partial = type(report_data)(as_of=report_data.as_of, first_day=report_data.first_day,
                                validation=report_data.validation, notes={"equity": "not available (test)"})
    page = render(partial)
    assert page.count('<div class="figure">') == 4
    assert "Not shown. equity: not available (test)" in page


def test_write_report_checks_the_path(demo_store, tmp_path):
    with Store.open(demo_store, read_only=True) as store:
        with pytest.raises(InputError, match="ending in .html"):
            write_report(store, tmp_path / "report.pdf")
        with pytest.raises(InputError, match="does not exist"):
            write_report(store, tmp_path / "missing" / "report.html")
        with pytest.raises(InputError, match="as_of"):
            write_report(store, tmp_path / "r.html", as_of="1990-01-01")


def test_cli_validate_json_and_table(demo_store):
    result = runner.invoke(app, ["--store", str(demo_store), "validate", "--calibration-end", "2024-12-31", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["model"] == "bgnbd" and payload["calibration_end"] == "2024-12-31"
    assert sum(r["actual"] for r in payload["histogram"]) == payload["errors"]["customers"]
    table = runner.invoke(app, ["--store", str(demo_store), "validate", "--calibration-end", "2024-12-31"])
    assert table.exit_code == 0 and "error of the total" in table.output


def test_cli_errors_are_one_line(demo_store):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", "from clientele.cli import main; main()", "--store", str(demo_store),
         "validate", "--calibration-end", "2030-01-01"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    assert "must be after the calibration end" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_report(demo_store, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(
        app, ["--store", str(demo_store), "report", "--out", str(out), "--draws", "0", "--months", "2", "--top", "5"]
    )
    assert result.exit_code == 0, result.output
    assert "report written" in result.output and out.exists()
    assert out.read_text(encoding="utf-8").count('<div class="figure">') == 11


def test_demo_ends_with_the_report(tmp_path):
    store = tmp_path / "demo.duckdb"
    result = runner.invoke(app, ["--store", str(store), "demo", "--customers", "400", "--seed", "3"])
    assert result.exit_code == 0, result.output
    report = tmp_path / "demo.report.html"
    assert report.exists()
    assert f"report written: {report.resolve()}" in result.output.replace("\n", "")
    page = report.read_text(encoding="utf-8")
    # the 11 charts of the equity report, the needs' lift heatmap, and the budget's
    # spend and gain by segment (both plans) and tornado: the demo now segments and plans
    assert page.count('<div class="figure">') == 11 + 1 + 3
    for heading in ("What each segment needs", "Budget"):
        assert heading in page
