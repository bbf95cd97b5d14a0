"""Repeated ids within one input are found however the ids arrive (sorted or not, any batch size).

The loader streams the ids in Arrow batches and skips grouping when they arrive strictly
increasing; these tests compare its verdicts with a brute-force walk over the lines.
"""

from __future__ import annotations

import random

import pandas as pd
import pytest

from clientele.store import Store, ingest


def brute_force(rows):
    """Expected (loaded lines, present lines, quarantined lines) by walking the lines in order."""
    loaded, present, quarantined = set(), set(), set()
    first = {}
    for line, row in enumerate(rows, start=1):
        tid, cid = row[0], row[1]
        if cid is None:
            quarantined.add(line)
        elif tid is None:
            loaded.add(line)
        elif tid not in first:
            first[tid] = row
            loaded.add(line)
        elif first[tid] == row:
            present.add(line)
        else:
            quarantined.add(line)
    return loaded, present, quarantined


def make_rows(seed, *, ordered):
    rng = random.Random(seed)
    ids = [f"T{i:04d}" for i in range(12)]
    rows = []
    for _ in range(40):
        tid = None if rng.random() < 0.15 else rng.choice(ids)
        cid = None if rng.random() < 0.1 else f"C{rng.randint(1, 3)}"
        amount = float(rng.choice([5, 7]))
        rows.append((tid, cid, "2024-01-02", amount))
        if rng.random() < 0.2:
            rows.append(rows[-1])  # an exact repeat
    if ordered:
        rows.sort(key=lambda r: (r[0] is None, r[0] or ""))
    return rows


@pytest.mark.parametrize("batch", [1, 2, 3, 1 << 20])
@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_repeated_ids_match_brute_force(store_path, monkeypatch, batch, ordered, seed):
    monkeypatch.setattr(ingest, "KEY_BATCH_ROWS", batch)
    rows = make_rows(seed, ordered=ordered)
    frame = pd.DataFrame(rows, columns=["transaction_id", "customer_id", "timestamp", "amount"])
    loaded, present, quarantined = brute_force(rows)
    with Store.open(store_path) as store:
        result = store.load("transactions", frame, source="s")
        assert (result.loaded, result.already_present, result.quarantined) == (
            len(loaded),
            len(present),
            len(quarantined),
        )
        got = {r[0] for r in store.con.execute("SELECT line FROM transactions").fetchall()}
        assert got == loaded
        assert set(store.quarantine()["line"]) == quarantined


@pytest.mark.parametrize("batch", [1, 2, 1 << 20])
def test_strictly_increasing_ids_across_batches_all_land(store_path, monkeypatch, batch):
    monkeypatch.setattr(ingest, "KEY_BATCH_ROWS", batch)
    frame = pd.DataFrame(
        {
            "transaction_id": ["a", "b", None, "c", "d", None],
            "customer_id": ["x"] * 6,
            "timestamp": ["2024-01-02"] * 6,
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 3.0],
        }
    )
    with Store.open(store_path) as store:
        result = store.load("transactions", frame, source="s")
        assert (result.loaded, result.already_present, result.quarantined) == (6, 0, 0)
        # the two rows without an id differ only by line: both land, keyed by content
        keys = store.con.execute(
            "SELECT row_key FROM transactions WHERE transaction_id IS NULL ORDER BY line"
        ).fetchall()
        assert keys[0][0].endswith(":1") and keys[1][0].endswith(":2")
        again = store.load("transactions", frame, source="s")
        assert (again.loaded, again.already_present, again.quarantined) == (0, 6, 0)


def test_a_repeat_split_across_two_batches_is_found(store_path, monkeypatch):
    monkeypatch.setattr(ingest, "KEY_BATCH_ROWS", 2)
    frame = pd.DataFrame(
        {
            "transaction_id": ["a", "b", "b", "c"],
            "customer_id": ["x"] * 4,
            "timestamp": ["2024-01-02"] * 4,
            "amount": [1.0, 2.0, 9.0, 4.0],
        }
    )
    with Store.open(store_path) as store:
        result = store.load("transactions", frame, source="s")
        assert (result.loaded, result.already_present, result.quarantined) == (3, 0, 1)
        reason = store.quarantine()["reason"].iloc[0]
        assert "transaction_id 'b' is also on line 2" in reason and "amount" in reason
