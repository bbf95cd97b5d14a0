"""The canonical tables of the customer store: their columns, types and input rules.

This module is the single description of what each kind of input may contain. The loader
(:mod:`clientele.store.ingest`) validates against it; the migrations
(:mod:`clientele.store.migrations`) create the tables it describes (a test checks the two agree).

Conventions
-----------
* Identifiers (``customer_id``, ``transaction_id``, ...) are stored as ``VARCHAR`` exactly as the
  source system writes them (leading zeros kept), trimmed of surrounding blanks.
* Timestamps are stored as naive ``TIMESTAMP``. A timestamp written without a UTC offset is stored
  as written (the source system's wall-clock time); one written with an offset
  (``2024-03-01T10:00:00+02:00``, ``...Z``) is converted to UTC and stored without the offset.
* Amounts are ``DOUBLE`` in the currency of the source. Negative amounts are returns or refunds:
  kept, flagged ``is_return`` and left out of the ``purchases`` view.
* Every row carries its ``source`` system, the ``load_id`` of the load that wrote it, the ``line``
  of the input it came from (header = line 1; 1-based row for Parquet and frames), the ``extra``
  input columns that have no canonical place (JSON, or NULL) and its ``row_key`` (see below).

Row keys (idempotent loads)
---------------------------
A row's identity within its source is its identifier where it has one (``customer_id`` of
customers, ``product_id`` of products, ``transaction_id`` of transactions that carry one; then
``row_key`` is NULL). A row without one is identified by ``row_key = '#' || md5(content) || ':' ||
n`` where ``n`` numbers the identical rows of one input in line order, so two genuinely identical
purchases in one file both land and loading the file again adds nothing. :func:`key_sql` gives
the key of a stored row.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Parsers (see :mod:`clientele.store.parsing`) by name.
PARSERS = ("id", "text", "email", "timestamp", "date", "amount", "integer", "nps", "boolean")

_SQL_TYPES = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "email": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "amount": "DOUBLE",
    "integer": "BIGINT",
    "nps": "TINYINT",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class Field:
    """One canonical column.

    Parameters
    ----------
    name
        Column name in the store and the canonical input header.
    parser
        How input text is checked and converted (one of :data:`PARSERS`).
    required
        Whether every input row must have a value (and every input file the column).
    doc
        What the column means.
    """

    name: str
    parser: str
    required: bool = False
    doc: str = ""

    @property
    def sql_type(self) -> str:
        """The DuckDB type the column is stored as."""
        return _SQL_TYPES[self.parser]


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its fields, the identifier column (if any) and its time column."""

    name: str
    fields: tuple[Field, ...]
    key: str | None
    key_required: bool
    time_column: str | None
    doc: str

    @property
    def columns(self) -> list[str]:
        """Canonical column names in order."""
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        """Names of the columns every input must have."""
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


#: Bookkeeping columns every canonical table has, after its canonical columns.
BOOKKEEPING = (
    ("source", "VARCHAR NOT NULL"),
    ("row_key", "VARCHAR"),
    ("load_id", "INTEGER NOT NULL"),
    ("line", "BIGINT"),
    ("extra", "JSON"),
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "customers",
            (
                Field("customer_id", "id", True, "the customer's id in the source system"),
                Field("name", "text"),
                Field("email", "email"),
                Field("phone", "text"),
                Field("city", "text"),
                Field("signup_date", "date", doc="the day the customer signed up"),
                Field("acquisition_channel", "text", doc="how the customer was acquired"),
            ),
            key="customer_id",
            key_required=True,
            time_column="signup_date",
            doc="customers as each source system knows them (one row per source and customer_id)",
        ),
        TableSpec(
            "products",
            (
                Field("product_id", "id", True),
                Field("category", "text"),
                Field("brand", "text"),
            ),
            key="product_id",
            key_required=True,
            time_column=None,
            doc="the product catalogue (one row per source and product_id)",
        ),
        TableSpec(
            "transactions",
            (
                Field("transaction_id", "id", doc="the order or line id, if the source has one"),
                Field("customer_id", "id", True),
                Field("timestamp", "timestamp", True, "when the purchase or return happened"),
                Field("amount", "amount", True, "money received; negative for returns and refunds"),
                Field("product_id", "id"),
                Field("category", "text"),
                Field("brand", "text"),
                Field("quantity", "integer"),
                Field("channel", "text", doc="sales channel (web, store, phone, ...)"),
            ),
            key="transaction_id",
            key_required=False,
            time_column="timestamp",
            doc="purchases, returns and refunds (is_return marks negative amounts)",
        ),
        TableSpec(
            "interactions",
            (
                Field("customer_id", "id", True),
                Field("timestamp", "timestamp", True),
                Field("channel", "text", doc="phone, e-mail, chat, ..."),
                Field("topic", "text"),
                Field("resolved", "boolean"),
            ),
            key=None,
            key_required=False,
            time_column="timestamp",
            doc="support contacts",
        ),
        TableSpec(
            "surveys",
            (
                Field("customer_id", "id", True),
                Field("timestamp", "timestamp", True),
                Field("nps", "nps", True, "likelihood to recommend, 0-10"),
                Field("comment", "text"),
            ),
            key=None,
            key_required=False,
            time_column="timestamp",
            doc="survey answers (net promoter score)",
        ),
        TableSpec(
            "referrals",
            (
                Field("referrer_id", "id", True, "the customer who referred"),
                Field("referee_id", "id", True, "the customer who was referred"),
                Field("timestamp", "timestamp"),
            ),
            key=None,
            key_required=False,
            time_column="timestamp",
            doc="who referred whom",
        ),
        TableSpec(
            "campaigns",
            (
                Field("campaign_id", "id", True, "the campaign (or test) the record belongs to"),
                Field("customer_id", "id", doc="the customer reached (empty for acquisition cells)"),
                Field("customer_source", "text", doc="source system of customer_id (default: the load's source)"),
                Field("cell", "text", doc="region/channel cell of an acquisition test"),
                Field("segment", "text", doc="the segment the campaign targeted, if recorded"),
                Field("lever", "text", True, "retention, cross_sell or acquisition"),
                Field("treated", "boolean", True, "true if treated, false if in the control group"),
                Field("spend", "amount", True, "money spent on this customer (or cell)"),
                Field("timestamp", "timestamp", True, "when the campaign reached the customer (or cell)"),
                Field("window_days", "integer", doc="days after timestamp the outcome is measured over"),
                Field("retained", "boolean", doc="outcome: purchased again within the window"),
                Field("purchases", "integer", doc="outcome: purchases within the window"),
                Field("revenue", "amount", doc="outcome: money spent within the window"),
                Field("new_customers", "integer", doc="outcome of an acquisition cell: customers acquired"),
            ),
            key=None,
            key_required=False,
            time_column="timestamp",
            doc="marketing campaign records: treated vs control, spend and outcomes (clientele allocate)",
        ),
    )
}

#: The kinds of input :meth:`clientele.store.Store.load` accepts (= canonical table names).
KINDS: tuple[str, ...] = tuple(TABLES)


def key_sql(table: TableSpec, alias: str = "") -> str:
    """SQL for the key of a stored row of ``table`` (unique per source)."""
    prefix = f"{alias}." if alias else ""
    if table.key is None:
        return f"{prefix}row_key"
    return f'coalesce({prefix}"{table.key}", {prefix}row_key)'


def spec(kind: str) -> TableSpec:
    """The table spec of ``kind``, or a :class:`~clientele.errors.InputError` naming the kinds."""
    from clientele.errors import InputError

    try:
        return TABLES[kind]
    except KeyError:
        raise InputError(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}", value=None) from None
