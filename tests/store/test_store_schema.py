"""The store's schema: documented tables and types, the purchases view, versioned migrations."""

from __future__ import annotations

import duckdb
import pytest

from clientele.errors import StoreError
from clientele.store import KINDS, TABLES, Store, migrations
from clientele.store.schema import BOOKKEEPING

#: The schema version of this release (later releases append migrations).
N = migrations.latest_version()


def _columns(con, table):
    return {
        name: dtype
        for name, dtype in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
    }


def test_kinds_are_the_documented_tables():
    assert KINDS == ("customers", "products", "transactions", "interactions", "surveys", "referrals", "campaigns")


@pytest.mark.parametrize("kind", KINDS)
def test_tables_match_the_schema_description(store_path, kind):
    with Store.open(store_path) as store:
        actual = _columns(store.con, kind)
    expected = {f.name: f.sql_type for f in TABLES[kind].fields}
    expected.update({name: ddl.split()[0] for name, ddl in BOOKKEEPING})
    if kind == "transactions":
        expected["is_return"] = "BOOLEAN"
    assert actual == expected


def test_purchases_view_columns_and_types(store_path):
    with Store.open(store_path) as store:
        assert _columns(store.con, "purchases") == {
            "customer_key": "VARCHAR",
            "source": "VARCHAR",
            "customer_id": "VARCHAR",
            "timestamp": "TIMESTAMP",
            "amount": "DOUBLE",
        }


def test_open_creates_and_records_the_version(store_path):
    with Store.open(store_path) as store:
        assert store.path == store_path
        assert isinstance(store.con, duckdb.DuckDBPyConnection)
        assert store.schema_version == migrations.latest_version() == len(migrations.MIGRATIONS)
        rows = store.con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        assert rows == [(m.version,) for m in migrations.MIGRATIONS]
    assert store.con is None  # closed by the context manager
    with Store.open(store_path) as again:  # reopening does not migrate twice
        assert again.con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == N


def test_default_path_from_env_and_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLIENTELE_STORE", raising=False)
    with Store.open() as store:
        assert store.path.name == "clientele.duckdb"
    assert (tmp_path / "clientele.duckdb").exists()
    monkeypatch.setenv("CLIENTELE_STORE", str(tmp_path / "other.duckdb"))
    with Store.open() as store:
        assert store.path == tmp_path / "other.duckdb"


def _add_v2(monkeypatch, apply):
    """Pretend the next release adds migration N + 1."""
    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        migrations.MIGRATIONS + [migrations.Migration(N + 1, "test: loyalty tier", apply)],
    )


def test_store_at_version_n_opens_under_n_plus_1_and_keeps_its_rows(store_path, monkeypatch):
    import pandas as pd

    frame = pd.DataFrame(
        {"customer_id": ["a", "b"], "timestamp": ["2024-01-01", "2024-02-01"], "amount": [10.0, -2.0]}
    )
    with Store.open(store_path) as store:
        store.load("transactions", frame, source="shop")
        before = store.con.execute("SELECT * FROM transactions ORDER BY line").fetchall()

    _add_v2(monkeypatch, lambda con: con.execute("ALTER TABLE customers ADD COLUMN tier VARCHAR"))
    with Store.open(store_path) as store:
        assert store.schema_version == N + 1
        assert store.con.execute("SELECT * FROM transactions ORDER BY line").fetchall() == before
        assert "tier" in _columns(store.con, "customers")
        versions = store.con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        assert [v for (v,) in versions] == list(range(1, N + 2))
        assert store.con.execute("SELECT count(*) FROM purchases").fetchone()[0] == 1


def test_failed_migration_leaves_the_store_as_it_was(store_path, monkeypatch):
    with Store.open(store_path) as store:
        store.load("customers", _customers(), source="crm")

    def broken(con):
        con.execute("ALTER TABLE customers ADD COLUMN tier VARCHAR")
        raise duckdb.InvalidInputException("boom")

    _add_v2(monkeypatch, broken)
    with pytest.raises(StoreError, match="upgrading the store schema failed"):
        Store.open(store_path)
    monkeypatch.undo()
    with Store.open(store_path) as store:
        assert store.schema_version == N
        assert "tier" not in _columns(store.con, "customers")
        assert store.con.execute("SELECT count(*) FROM customers").fetchone()[0] == 2


def test_store_from_a_newer_release_is_refused(store_path):
    with Store.open(store_path) as store:
        store.con.execute("INSERT INTO schema_version VALUES (99, now()::TIMESTAMP, 'future')")
    with pytest.raises(StoreError, match=f"schema version 99 .* knows versions up to {N}"):
        Store.open(store_path)


def test_read_only_store_that_needs_an_upgrade(store_path, monkeypatch):
    Store.open(store_path).close()
    _add_v2(monkeypatch, lambda con: None)
    with pytest.raises(StoreError, match="needs upgrading"):
        Store.open(store_path, read_only=True)


def test_read_only_store_refuses_loads(store_path):
    Store.open(store_path).close()
    with Store.open(store_path, read_only=True) as store:
        with pytest.raises(StoreError, match="read-only"):
            store.load("customers", _customers(), source="crm")


def test_bad_store_files(tmp_path):
    junk = tmp_path / "junk.duckdb"
    junk.write_text("this is not a database\n" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store.open(junk)
    with pytest.raises(StoreError, match="is a folder"):
        Store.open(tmp_path)
    with pytest.raises(StoreError, match="no store here"):
        Store.open(tmp_path / "missing.duckdb", read_only=True)


def test_ibis_and_table(store_path):
    with Store.open(store_path) as store:
        store.load("customers", _customers(), source="crm")
        t = store.table("customers")
        assert t.count().execute() == 2
        assert store.ibis().table("purchases").count().execute() == 0
        with pytest.raises(StoreError, match="no table or view 'nope'"):
            store.table("nope")


def test_status_on_an_empty_store(store_path):
    with Store.open(store_path) as store:
        status = store.status()
    assert status.tables == [] and status.quarantine == [] and status.loads == 0
    assert status.to_dict()["schema_version"] == N


def _customers():
    import pandas as pd

    return pd.DataFrame({"customer_id": ["1", "2"], "email": ["a@x.com", "b@y.org"]})


def _id_compression(store) -> list[tuple[str]]:
    store.con.execute("CHECKPOINT")
    return store.con.execute(
        "SELECT DISTINCT compression FROM pragma_storage_info('transactions') "
        "WHERE column_name = 'transaction_id' AND segment_type = 'VARCHAR'"
    ).fetchall()


@pytest.mark.parametrize("held", [False, True], ids=["empty table", "table with rows"])
def test_migration_6_zstd_ids_where_the_table_is_empty_and_every_row_kept(store_path, monkeypatch, held):
    import pandas as pd

    frame = pd.DataFrame(
        {
            "transaction_id": [f"T{i:07d}" for i in range(3000, 0, -1)],  # not in id order
            "customer_id": [f"c{i % 97}" for i in range(3000)],
            "timestamp": pd.date_range("2024-01-01", periods=3000, freq="h"),
            "amount": [(-1.0) ** i * i for i in range(3000)],
            "extra_column": ["x"] * 3000,
        }
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:5])
    with Store.open(store_path) as store:
        assert store.schema_version == 5
        if held:
            store.load("transactions", frame, source="shop")
        before = store.con.execute("SELECT * FROM transactions").fetchall()
        purchases = store.con.execute("SELECT * FROM purchases ORDER BY timestamp").fetchall()
        ddl = store.con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'transactions'").fetchone()[0]
    assert "ZSTD" not in ddl
    monkeypatch.undo()

    with Store.open(store_path) as store:
        assert store.schema_version == N >= 6
        assert store.con.execute("SELECT * FROM transactions").fetchall() == before  # same rows, same order
        assert store.con.execute("SELECT * FROM purchases ORDER BY timestamp").fetchall() == purchases
        ddl = store.con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'transactions'").fetchone()[0]
        assert ("USING COMPRESSION ZSTD" in ddl) is not held  # a table holding rows keeps its layout
        loaded = store.load("transactions", frame, source="shop")
        if not held:
            assert _id_compression(store) == [("ZSTD",)]
    assert (loaded.loaded, loaded.already_present) == ((0, 3000) if held else (3000, 0))


@pytest.mark.parametrize("read_only", [False, True])
def test_a_duckdb_file_of_something_else_is_refused_and_left_as_it_was(tmp_path, read_only):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE transactions (x INTEGER)")
        con.execute("INSERT INTO transactions VALUES (1)")
        con.execute("CREATE VIEW recent AS SELECT * FROM transactions")
    with pytest.raises(StoreError, match="is a DuckDB database but not a clientele store .*recent, transactions"):
        Store.open(path, read_only=read_only)
    with duckdb.connect(str(path)) as con:
        assert con.execute("SELECT table_name FROM duckdb_tables()").fetchall() == [("transactions",)]
        assert con.execute("SELECT * FROM transactions").fetchall() == [(1,)]


def test_an_empty_duckdb_file_becomes_a_store(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with Store.open(path) as store:
        assert store.schema_version == N
