"""`clientele brief`: create, list, show, send, accept, decline, deliver; one-line errors."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from clientele import cli
from clientele.segments import create_segment
from clientele.store import Store

runner = CliRunner()


def invoke(store, *args):
    return runner.invoke(cli.app, ["--store", str(store), *args], catch_exceptions=False)


def run_main(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["clientele", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    return exit_info.value.code, capsys.readouterr()


@pytest.fixture
def store(scored_store):
    with Store.open(scored_store) as s:
        create_segment(s, "keen", "frequency >= 3", owner="Rui")
    return scored_store


def test_a_brief_from_draft_to_delivered(store, tmp_path):
    needs = tmp_path / "needs.json"
    needs.write_text(json.dumps({"segment": "keen", "evidence": [
        {"kind": "affinity", "label": "category beauty", "evidence": {"category": "beauty", "lift": 1.4}}]}))
    created = invoke(store, "brief", "create", "--segment", "keen", "--request", "A beauty loyalty box",
                     "--brand-manager", "Marta", "--due", "2099-03-31", "--needs", str(needs), "--json")
    brief = json.loads(created.output)
    assert brief["status"] == "draft" and brief["customer_manager"] == "Rui" and brief["equity_at_stake"] > 0
    assert brief["needs"][0]["label"] == "category beauty" and brief["history"][0]["to_status"] == "draft"
    bid = str(brief["brief_id"])
    assert "is sent" in invoke(store, "brief", "send", bid, "--by", "Rui").output
    assert json.loads(invoke(store, "brief", "accept", bid, "--by", "Marta", "--json").output)["status"] == "accepted"
    assert "is delivered" in invoke(store, "brief", "deliver", bid, "--note", "launched in May").output
    shown = invoke(store, "brief", "show", bid)
    assert shown.exit_code == 0 and "launched in May" in shown.output and "category beauty" in shown.output
    history = json.loads(invoke(store, "brief", "show", bid, "--json").output)["history"]
    assert [h["to_status"] for h in history] == ["draft", "sent", "accepted", "delivered"]
    listed = json.loads(invoke(store, "brief", "list", "--json").output)
    assert [b["status"] for b in listed] == ["delivered"]
    table = invoke(store, "brief", "list")
    assert table.exit_code == 0 and table.output.startswith("Briefs") and "Marta" in table.output


def test_decline_with_reason(store):
    bid = str(json.loads(invoke(store, "brief", "create", "--segment", "keen", "--request", "x", "--brand-manager",
                                "Marta", "--json").output)["brief_id"])
    invoke(store, "brief", "send", bid)
    out = json.loads(invoke(store, "brief", "decline", bid, "--reason", "no stock", "--json").output)
    assert out["status"] == "declined" and out["reason"] == "no stock"
    assert json.loads(invoke(store, "brief", "list", "--status", "draft", "--json").output) == []


@pytest.mark.parametrize("args, message", [
    (["brief", "send", "42"], "no such brief"),
    (["brief", "show", "x"], "a brief id is a whole number"),
    (["brief", "create", "--segment", "nobody", "--request", "x", "--brand-manager", "M"], "no segment of that name"),
    (["brief", "create", "--segment", "keen", "--request", "x", "--brand-manager", "M", "--due", "tomorrow"],
     "a day such as"),
    (["brief", "create", "--segment", "keen", "--request", "x", "--brand-manager", "M", "--needs", "missing.json"],
     "cannot read the needs file"),
    (["brief", "list", "--status", "open"], "expected one of draft"),
])
def test_user_errors_are_one_line(monkeypatch, capsys, store, args, message):
    code, out = run_main(monkeypatch, capsys, "--store", str(store), *args)
    assert code == 1 and message in out.err
    assert "Traceback" not in out.err and len(out.err.strip().splitlines()) == 1


def test_refused_move_is_one_line(monkeypatch, capsys, store):
    bid = str(json.loads(invoke(store, "brief", "create", "--segment", "keen", "--request", "x", "--brand-manager",
                                "Marta", "--json").output)["brief_id"])
    code, out = run_main(monkeypatch, capsys, "--store", str(store), "brief", "deliver", bid)
    assert code == 1 and f"brief {bid} cannot be delivered; it can only be sent" in out.err
    code, out = run_main(monkeypatch, capsys, "--store", str(store), "brief", "decline", bid)
    assert code == 2  # --reason is required: typer's usage error
