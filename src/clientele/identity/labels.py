"""Known identities (``identity_labels``) and measuring a store's resolution against them."""

from __future__ import annotations

import pandas as pd

from clientele.errors import InputError, StoreError
from clientele.identity.evaluate import Quality, pairwise_quality

LABEL_COLUMNS = ("source", "customer_id", "person_id")


def _check_frame(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    missing = [c for c in LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"known identities need the columns source, customer_id, person_id; found: {', '.join(map(str, frame.columns))}",
            file=label,
            column=missing[0],
        )
    out = frame.loc[:, list(LABEL_COLUMNS)].astype(str)
    blank = out.isin(["", "nan", "None"]).any(axis=1)
    if blank.any():
        row = int(blank.to_numpy().argmax())
        col = next(c for c in LABEL_COLUMNS if out.iloc[row][c] in ("", "nan", "None"))
        raise InputError("a value is missing", file=label, line=row + 2, column=col)
    dup = out.duplicated(["source", "customer_id"], keep=False)
    if dup.any():
        row = int(dup.to_numpy().argmax())
        raise InputError(
            "the record is given twice", file=label, line=row + 2, column="customer_id", value=out.iloc[row]["customer_id"]
        )
    return out


def read_labels(path) -> pd.DataFrame:
    """Read known identities from a CSV or Parquet file with ``source, customer_id, person_id``."""
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise InputError("no such file", file=str(p))
    try:
        frame = pd.read_parquet(p) if p.suffix.lower() == ".parquet" else pd.read_csv(p, dtype=str, keep_default_na=False)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file ({exc})", file=str(p)) from None
    return _check_frame(frame, str(p))


def store_labels(store, frame: pd.DataFrame, label: str = "labels") -> int:
    """Replace the store's known identities with ``frame`` (``source, customer_id, person_id``).

    The demo company's truth is ``company.truth.identities``; storing it lets
    ``clientele resolve --evaluate`` measure the resolution. Returns the rows stored.
    """
    out = _check_frame(frame, label)
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM identity_labels")
        con.register("__labels_frame", out)
        con.execute("INSERT INTO identity_labels SELECT source, customer_id, person_id FROM __labels_frame")
        con.unregister("__labels_frame")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(out)


def evaluate_store(store, labels: pd.DataFrame | None = None) -> Quality:
    """Pairwise precision and recall of the store's customer keys against known identities.

    Parameters
    ----------
    labels
        ``source, customer_id, person_id``; None to use the store's ``identity_labels``.

    Raises
    ------
    StoreError
        If no labels are given and the store holds none.
    """
    con = store.con
    if labels is None:
        labels = con.execute("SELECT source, customer_id, person_id FROM identity_labels").df()
        if labels.empty:
            raise StoreError(
                f"{store.path}: the store holds no known identities to evaluate against; pass --truth FILE "
                "(columns source, customer_id, person_id) or store them with clientele.identity.store_labels"
            )
    labels = _check_frame(labels, "labels")
    keys = con.execute("SELECT source || ':' || customer_id AS unique_id, customer_key FROM identities").df()
    truth = pd.DataFrame(
        {"unique_id": labels["source"] + ":" + labels["customer_id"], "person_id": labels["person_id"]}
    )
    return pairwise_quality(keys, truth)
