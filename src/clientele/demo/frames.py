"""The demo company's frames in the store's canonical columns, and the truth frames beside them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clientele.demo.clock import Window
from clientele.demo.people import SOURCES

#: Columns of each frame (besides ``source``), as the store's canonical tables name them.
COLUMNS = {
    "customers": ["customer_id", "name", "email", "phone", "city", "signup_date", "acquisition_channel"],
    "products": ["product_id", "category", "brand"],
    "transactions": [
        "transaction_id", "customer_id", "timestamp", "amount", "product_id", "category", "brand",
        "quantity", "channel",
    ],
    "interactions": ["customer_id", "timestamp", "channel", "topic", "resolved"],
    "surveys": ["customer_id", "timestamp", "nps", "comment"],
    "referrals": ["referrer_id", "referee_id", "timestamp"],
}

#: Share of web shop purchases made in the app (the rest on the website).
APP_SHARE = 0.3


def add_person_truth(
    people: pd.DataFrame, purchases: pd.DataFrame, returns: pd.DataFrame, bgnbd: dict, window: Window
) -> None:
    """Add what happened to each person: ``T_weeks``, ``purchases``, ``repeat_purchases``,
    ``returns``, ``spend``, ``alive_at_end``, ``dropout_at``."""
    n = len(people)
    pp = purchases["person"].to_numpy()
    people["T_weeks"] = bgnbd["T_weeks"]
    people["purchases"] = np.bincount(pp, minlength=n)
    people["repeat_purchases"] = bgnbd["repeat_purchases"]
    people["returns"] = np.bincount(returns["person"].to_numpy(), minlength=n)
    people["spend"] = np.round(np.bincount(pp, weights=purchases["amount"].to_numpy(), minlength=n), 2)
    people["alive_at_end"] = bgnbd["alive_at_end"]
    dropout = bgnbd["dropout_day"]
    people["dropout_at"] = pd.Series(window.timestamps(np.nan_to_num(dropout))).where(~np.isnan(dropout))


def customers_frame(accounts: pd.DataFrame, window: Window) -> pd.DataFrame:
    """The customer records of both systems, by source and customer id."""
    signup = window.timestamps(accounts["signup_day"].to_numpy()).astype("datetime64[D]").astype("datetime64[s]")
    out = accounts.assign(signup_date=signup)
    return out[["source", *COLUMNS["customers"]]].sort_values(["source", "customer_id"], ignore_index=True)


def products_frame(products: pd.DataFrame) -> pd.DataFrame:
    """The catalogue as both systems hold it (the same product ids in each)."""
    parts = [products[COLUMNS["products"]].assign(source=s) for s in SOURCES]
    return pd.concat(parts, ignore_index=True)[["source", *COLUMNS["products"]]]


def transactions_frame(
    rng: np.random.Generator,
    purchases: pd.DataFrame,
    returns: pd.DataFrame,
    accounts: pd.DataFrame,
    products: pd.DataFrame,
    window: Window,
    people: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Purchases and returns in time order, with order ids per system (web orders ``WO...``, web
    returns ``WR...``, store receipts ``ST...``, store returns ``SR...``), and beside them the
    truth: ``person_id``, ``segment``, ``repeat`` (0 first purchase, k k-th repeat, -1 return)."""
    rows = pd.concat(
        [purchases.assign(repeat=purchases["k"]), returns.assign(repeat=-1)], ignore_index=True
    ).sort_values(["t", "account"], kind="stable", ignore_index=True)
    acct = rows["account"].to_numpy()
    source = accounts["source"].to_numpy()[acct]
    is_return = rows["amount"].to_numpy() < 0
    web = rows["web"].to_numpy()
    channel = np.where(web, np.where(rng.random(len(rows)) < APP_SHARE, "app", "web"), "store").astype(object)
    tid = np.empty(len(rows), dtype=object)
    for (src, ret), prefix in {
        ("webshop", False): "WO", ("webshop", True): "WR", ("stores", False): "ST", ("stores", True): "SR"
    }.items():
        mask = (source == src) & (is_return == ret)
        tid[mask] = (prefix + pd.Series(np.arange(1, int(mask.sum()) + 1)).astype(str).str.zfill(8)).to_numpy()
    prod = rows["product"].to_numpy()
    frame = pd.DataFrame(
        {
            "source": source,
            "transaction_id": tid,
            "customer_id": accounts["customer_id"].to_numpy()[acct],
            "timestamp": window.timestamps(rows["t"].to_numpy()),
            "amount": rows["amount"].to_numpy(),
            "product_id": products["product_id"].to_numpy()[prod],
            "category": products["category"].to_numpy()[prod],
            "brand": products["brand"].to_numpy()[prod],
            "quantity": rows["quantity"].to_numpy(),
            "channel": channel,
        }
    )
    truth = event_truth(rows, people, ["repeat"])
    return frame, truth


def event_frame(events: pd.DataFrame, accounts: pd.DataFrame, window: Window, columns: list[str]) -> pd.DataFrame:
    """``source, customer_id, timestamp`` of each event's account, then ``columns`` of ``events``."""
    acct = events["account"].to_numpy()
    frame = pd.DataFrame(
        {
            "source": accounts["source"].to_numpy()[acct],
            "customer_id": accounts["customer_id"].to_numpy()[acct],
            "timestamp": window.timestamps(events["t"].to_numpy()),
        }
    )
    for c in columns:
        frame[c] = events[c].to_numpy()
    return frame


def referrals_frame(people: pd.DataFrame, referrer: np.ndarray, accounts: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Referrals as the referee's system records them; both ids are primary accounts there."""
    referee = np.flatnonzero(referrer >= 0)
    primary_id = accounts["customer_id"].to_numpy()[: len(people)]  # rows 0..n-1: primary accounts
    return pd.DataFrame(
        {
            "source": people["primary_source"].to_numpy()[referee],
            "referrer_id": primary_id[referrer[referee]],
            "referee_id": primary_id[referee],
            "timestamp": window.timestamps(people["acquired_day"].to_numpy()[referee]),
        }
    )


def event_truth(events: pd.DataFrame, people: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Row by row beside an event frame: the ``person_id`` and ``segment`` behind each event,
    then ``columns`` of ``events``."""
    person = events["person"].to_numpy()
    truth = pd.DataFrame(
        {"person_id": people["person_id"].to_numpy()[person], "segment": people["segment"].to_numpy()[person]}
    )
    for c in columns:
        truth[c] = events[c].to_numpy()
    return truth


def identities_frame(accounts: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Whose record is whose: ``source, customer_id, person_id, role`` and the variations."""
    out = pd.DataFrame(
        {
            "source": accounts["source"].to_numpy(),
            "customer_id": accounts["customer_id"].to_numpy(),
            "person_id": people["person_id"].to_numpy()[accounts["person"].to_numpy()],
        }
    )
    for c in ("role", "name_variation", "email_variation", "phone_variation", "moved"):
        out[c] = accounts[c].to_numpy()
    return out.sort_values(["source", "customer_id"], ignore_index=True)
