"""`clientele segments`: list, create, grid, members, owner, refresh, delete, columns; one-line errors."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from clientele import cli

runner = CliRunner()


def invoke(store, *args):
    return runner.invoke(cli.app, ["--store", str(store), *args], catch_exceptions=False)


def run_main(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["clientele", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    return exit_info.value.code, capsys.readouterr()


def test_grid_create_list_members_and_json(scored_store):
    empty = invoke(scored_store, "segments")
    assert empty.exit_code == 0 and "No segments yet" in empty.output
    grid = invoke(scored_store, "segments", "grid", "--clv-tiers", "0.2,0.8", "--p-alive-bands", "0.5",
                  "--owner", "Inês", "--json")
    cells = json.loads(grid.output)
    assert [c["segment"] for c in cells] == ["CLV top 20% x P(alive) >= 0.5", "CLV top 20% x P(alive) < 0.5",
                                             "CLV bottom 80% x P(alive) >= 0.5", "CLV bottom 80% x P(alive) < 0.5"]
    created = invoke(scored_store, "segments", "create", "valuable at risk", "--rule", "clv > 20 and p_alive < 0.8",
                     "--owner", "Ana", "--description", "win them back")
    assert created.exit_code == 0 and "segment 'valuable at risk':" in created.output
    listed = invoke(scored_store, "segments", "--json")
    rows = {r["segment"]: r for r in json.loads(listed.output)}
    assert set(rows) == {c["segment"] for c in cells} | {"valuable at risk"}
    assert rows["valuable at risk"]["owner"] == "Ana" and rows["valuable at risk"]["kind"] == "rule"
    assert sum(r["customers"] for r in rows.values() if r["kind"] == "grid") == sum(c["members"] for c in cells)
    assert abs(sum(r["share_of_equity"] for r in rows.values() if r["kind"] == "grid") - 1.0) < 1e-9
    table = invoke(scored_store, "segments")
    assert table.exit_code == 0 and table.output.startswith("Segments") and "Ana" in table.output
    members = invoke(scored_store, "segments", "members", "valuable at risk", "--json")
    keys = json.loads(members.output)
    assert len(keys) == rows["valuable at risk"]["customers"] > 0
    assert all(k["clv"] > 20 and k["p_alive"] < 0.8 for k in keys)
    shown = invoke(scored_store, "segments", "members", "valuable at risk", "--limit", "2")
    assert "top 2 by CLV" in shown.output
    owner = invoke(scored_store, "segments", "owner", "valuable at risk", "Rui")
    assert "owned by Rui" in owner.output
    refreshed = json.loads(invoke(scored_store, "segments", "refresh", "--json").output)
    assert refreshed["valuable at risk"] == len(keys)
    assert "deleted" in invoke(scored_store, "segments", "delete", "valuable at risk").output
    columns = json.loads(invoke(scored_store, "segments", "columns", "--json").output)
    assert columns["clv"] == "number" and columns["city"] == "text"


@pytest.mark.parametrize("args, message", [
    (["segments", "create", "x", "--rule", "clv >> 3"], "at position 6 found '>', expected a column"),
    (["segments", "create", "x", "--rule", "clv > 1; DROP TABLE segments"], "found ';'"),
    (["segments", "create", "x", "--rule", "__import__('os')"], "at position 11 found '('"),
    (["segments", "members", "nobody"], "no segment of that name"),
    (["segments", "grid", "--clv-tiers", "0.5,0.6"], "summing to 1"),
    (["segments", "grid", "--by", "median"], "expected rank or value"),
])
def test_user_errors_are_one_line(monkeypatch, capsys, scored_store, args, message):
    code, out = run_main(monkeypatch, capsys, "--store", str(scored_store), *args)
    assert code == 1
    assert message in out.err
    assert "Traceback" not in out.err and len(out.err.strip().splitlines()) == 1
