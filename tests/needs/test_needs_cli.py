"""``clientele needs``: the segment's needs as tables and JSON; one-line errors."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from clientele import cli
from clientele.demo import generate, load
from clientele.needs import needs as needs_module
from clientele.store import Store

runner = CliRunner()


@pytest.fixture(scope="module")
def store_with_demo(tmp_path_factory):
    company = generate(n_customers=800, seed=5)
    path = tmp_path_factory.mktemp("needs_cli") / "demo.duckdb"
    with Store.open(path) as store:
        load(store, company)
        keys = store.con.execute("SELECT customer_key FROM identities ORDER BY customer_key").df()
    membership = pd.DataFrame({"customer_key": keys["customer_key"],
                               "segment": ["even" if i % 2 == 0 else "odd" for i in range(len(keys))]})
    return path, membership


def run_main(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["clientele", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    return exit_info.value.code, capsys.readouterr()


def test_without_stored_segments_the_error_says_to_make_the_grid(monkeypatch, capsys, store_with_demo):
    path, _ = store_with_demo

    def none(store):
        from clientele.errors import InputError

        raise InputError("the store has no segments yet", hint="run `clientele segments grid` first")

    monkeypatch.setattr(needs_module, "stored_membership", none)
    code, out = run_main(monkeypatch, capsys, "--store", str(path), "needs", "even")
    assert code == 1
    assert "no segments yet" in out.err and "clientele segments grid" in out.err
    assert "Traceback" not in out.err


def test_needs_prints_tables_and_json(monkeypatch, store_with_demo):
    path, membership = store_with_demo
    monkeypatch.setattr(needs_module, "stored_membership", lambda store: membership)
    result = runner.invoke(cli.app, ["--store", str(path), "needs", "even", "--draws", "20", "--top", "3"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for heading in ("Affinity by category", "Affinity by brand", "Gaps against", "Next best products",
                    "Holdout check", "What customers say"):
        assert heading in result.output
    result = runner.invoke(cli.app, ["--store", str(path), "needs", "odd", "--json", "--draws", "20"],
                           catch_exceptions=False)
    payload = json.loads(result.output)
    assert payload["segment"] == "odd"
    assert payload["members"] == int((membership["segment"] == "odd").sum())
    assert len(payload["category_affinity"]) <= 5
    kinds = {e["kind"] for e in payload["evidence"]}
    assert "next_best_product" in kinds and kinds <= {"affinity", "gap", "theme", "next_best_product"}


def test_unknown_segment_and_bad_top_are_one_line_errors(monkeypatch, capsys, store_with_demo):
    path, membership = store_with_demo
    monkeypatch.setattr(needs_module, "stored_membership", lambda store: membership)
    code, out = run_main(monkeypatch, capsys, "--store", str(path), "needs", "nope")
    assert code == 1 and "no such segment; expected one of: even, odd" in out.err
    code, out = run_main(monkeypatch, capsys, "--store", str(path), "needs", "odd", "--top", "0")
    assert code == 1 and "--top" in out.err
