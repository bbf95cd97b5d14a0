"""Open the report in headless Chromium: every chart rendered, no script error.

Skipped (with the reason) only when Chromium is absent outside CI; under CI (``CI`` set) a
missing Chromium fails, since ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture
def browser() -> str:
    """The Chromium executable (checked before the report is built)."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail("Chromium is not installed but CI is set: .ci/run installs it (apt-get install -y chromium)")
    pytest.skip("Chromium is not installed (apt-get install -y chromium); the browser test needs it")


def test_every_chart_renders_without_script_errors(browser, report_file, tmp_path):
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=20000", "--dump-dom",
        report_file.as_uri(),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=180)
    dom = proc.stdout
    assert proc.returncode == 0 and "</html>" in dom, proc.stderr[-2000:]
    expected = int(re.search(r'<main data-figures="(\d+)"', dom).group(1))
    assert expected == 11
    divs = re.findall(r'<div id="figure-\d+"[^>]*>', dom)
    assert len(divs) == expected
    assert all('data-rendered="1"' in d for d in divs), [d for d in divs if 'data-rendered="1"' not in d]
    errors = re.search(r'<pre id="report-errors" data-count="(\d+)"[^>]*>(.*?)</pre>', dom, re.S)
    assert errors and errors.group(1) == "0", errors.group(2) if errors else "error box missing"
    # each rendered figure holds plotly's SVG
    for div_id in re.findall(r'<div id="(figure-\d+)"', dom):
        start = dom.index(f'id="{div_id}"')
        following = dom[start:start + 20000]
        assert 'class="main-svg"' in following, div_id
