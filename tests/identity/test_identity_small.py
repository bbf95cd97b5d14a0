"""Small stores: too little to train on is a clear error; a column nobody fills is ignored."""

from __future__ import annotations

import pandas as pd
import pytest

from clientele.errors import ModelInputError
from clientele.identity import resolve_store
from clientele.store import Store


def test_a_store_with_nothing_shared_cannot_train(store_path):
    frame = pd.DataFrame({"customer_id": ["1", "2", "3"], "name": ["Ann Lee", "Bob Ray", "Cy Doe"], "city": ["A", "B", "C"]})
    with Store.open(store_path) as store:
        store.load("customers", frame, source="crm")
        with pytest.raises(ModelInputError, match="cannot train the matching model.*--link"):
            resolve_store(store)
        assert store.con.execute("SELECT count(*) FROM customer_keys").fetchone()[0] == 0


def test_untrainable_comparisons_weigh_nothing(store_path):
    frame = pd.DataFrame(
        {
            "customer_id": ["1", "2", "3", "4", "5"],
            "name": ["Ann Lee", "Ann Lee", "Bob Ray", "Cy Doe", "Di Fox"],
            "email": ["a@x.com", "a@x.com", None, "c@x.com", "d@x.com"],
            "city": ["A", "A", "B", "C", "D"],
        }
    )
    steps: list[str] = []
    with Store.open(store_path) as store:
        store.load("customers", frame, source="crm")
        result = resolve_store(store, progress=steps.append)
        keys = dict(store.con.execute("SELECT customer_id, customer_key FROM customer_keys").fetchall())
    assert any(s.startswith("no evidence to train signup_date") for s in steps)
    assert result.records == 5 and keys["1"] == keys["2"] == "crm:1"
    assert len({keys[k] for k in ("3", "4", "5")}) == 3


def test_known_identity_files_are_checked(tmp_path, store_path):
    from clientele.errors import InputError, StoreError
    from clientele.identity import evaluate_store, read_labels, store_labels

    good = tmp_path / "truth.csv"
    good.write_text("source,customer_id,person_id\ncrm,1,P1\ncrm,2,P1\ncrm,3,P2\n")
    labels = read_labels(good)
    assert labels.values.tolist() == [["crm", "1", "P1"], ["crm", "2", "P1"], ["crm", "3", "P2"]]
    missing = tmp_path / "missing.csv"
    missing.write_text("source,customer_id\ncrm,1\n")
    with pytest.raises(InputError, match=r"missing.csv, column 'person_id'"):
        read_labels(missing)
    twice = tmp_path / "twice.csv"
    twice.write_text("source,customer_id,person_id\ncrm,1,P1\ncrm,1,P2\n")
    with pytest.raises(InputError, match=r"twice.csv, line 2, column 'customer_id': value '1': the record is given twice"):
        read_labels(twice)
    blank = tmp_path / "blank.csv"
    blank.write_text("source,customer_id,person_id\ncrm,1,P1\ncrm,2,\n")
    with pytest.raises(InputError, match=r"blank.csv, line 3, column 'person_id'"):
        read_labels(blank)
    with Store.open(store_path) as store:
        store.load("customers", pd.DataFrame({"customer_id": ["1", "2", "3"]}), source="crm")
        with pytest.raises(StoreError, match="no known identities"):
            evaluate_store(store)
        assert store_labels(store, labels) == 3
        q = evaluate_store(store)  # before any run every record is its own key
        assert (q.true_pairs, q.predicted_pairs, q.recall, q.precision) == (1, 0, 0.0, 1.0)
