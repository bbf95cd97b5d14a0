"""The demo company: determinism, sizes, dates, identities, BG/NBD and Gamma-Gamma behaviour
against the generating parameters, segment signals, loading through the store and the CLI."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import hyp2f1
from typer.testing import CliRunner

from clientele.cli import app
from clientele.demo import CATEGORIES, COLUMNS, LOAD_ORDER, SEGMENTS, THEMES, generate, load
from clientele.demo.names import FIRST_NAMES
from clientele.errors import InputError
from clientele.store import TABLES, Store

N = 3000
SEED = 11


@pytest.fixture(scope="module")
def company():
    return generate(n_customers=N, seed=SEED)


def _observed(company) -> pd.DataFrame:
    """Transactions with the person behind each (through the identities truth)."""
    tx = company.transactions
    person = company.truth.person_of(tx["source"], tx["customer_id"])
    return tx.assign(person_id=person.to_numpy())


def _z(residuals: np.ndarray) -> float:
    """Sum of independent residuals over its standard error (estimated from the residuals)."""
    return float(residuals.sum() / np.sqrt((residuals**2).sum()))


# -- the segment table ---------------------------------------------------------------------------


def test_segments_are_coherent():
    assert abs(sum(s.share for s in SEGMENTS) - 1) < 1e-12
    assert 3 <= len(SEGMENTS) <= 5
    for s in SEGMENTS:
        assert len(s.categories) == len(CATEGORIES) and abs(sum(s.categories) - 1) < 1e-12
        assert abs(sum(s.themes.values()) - 1) < 1e-12 and set(s.themes) <= set(THEMES)
        assert s.q > 1 and s.a != 1
    # every segment has its own favourite category
    assert len({int(np.argmax(s.categories)) for s in SEGMENTS}) >= 3


# -- determinism and shape -------------------------------------------------------------------------


def test_same_seed_same_company_and_other_seed_differs(company):
    again = generate(n_customers=N, seed=SEED)
    for kind in LOAD_ORDER:
        pd.testing.assert_frame_equal(getattr(company, kind), getattr(again, kind))
    for name in ("people", "identities", "segments", "products", "surveys", "interactions", "transactions"):
        pd.testing.assert_frame_equal(getattr(company.truth, name), getattr(again.truth, name))
    other = generate(n_customers=N, seed=SEED + 1)
    assert not company.customers["name"].equals(other.customers["name"])
    # the catalogue is the company's master data: the same for every seed
    pd.testing.assert_frame_equal(company.products, other.products)


def test_frames_have_the_store_columns(company):
    for kind in LOAD_ORDER:
        frame = getattr(company, kind)
        assert list(frame.columns) == ["source", *COLUMNS[kind]]
        assert COLUMNS[kind] == TABLES[kind].columns
        assert set(frame["source"]) == {"webshop", "stores"}
        for column in TABLES[kind].required:
            assert frame[column].notna().all(), (kind, column)


def test_sizes_and_overlap(company):
    truth = company.truth
    assert len(truth.people) == N and truth.people["person_id"].is_unique
    ids = truth.identities
    systems = ids.groupby("person_id")["source"].nunique()
    both = (systems == 2).mean()
    se = np.sqrt(0.2 * 0.8 / N)
    assert abs(both - 0.2) < 4 * se
    assert (systems == 2).sum() == truth.people["in_both"].sum()
    assert 6 <= company.products["category"].nunique() <= 6
    assert 18 <= company.products["brand"].nunique() <= 22
    assert 200 <= company.products["product_id"].nunique() <= 500
    # segment shares within sampling error
    for s in SEGMENTS:
        share = (truth.people["segment"] == s.name).mean()
        assert abs(share - s.share) < 4 * np.sqrt(s.share * (1 - s.share) / N)


def test_identities_truth_is_complete_and_consistent(company):
    ids = company.truth.identities
    customers = company.customers
    assert not customers.duplicated(["source", "customer_id"]).any()
    keyed = customers.merge(ids, on=["source", "customer_id"], how="outer", indicator=True)
    assert (keyed["_merge"] == "both").all()
    assert set(ids["person_id"]) == set(company.truth.people["person_id"])
    roles = ids.groupby("person_id")["role"].apply(lambda r: sorted(r))
    assert roles.map(lambda r: r.count("primary")).eq(1).all()
    # each primary account is in the person's primary system
    primary = ids[ids["role"] == "primary"].merge(company.truth.people, on="person_id")
    assert (primary["source"] == primary["primary_source"]).all()
    # duplicates live in the primary system; a few are exact copies of the primary record
    dup = ids[ids["role"] == "duplicate"]
    assert len(dup) > 0 and (dup["person_id"].isin(primary["person_id"])).all()
    rec = customers.merge(ids, on=["source", "customer_id"])
    first = rec[rec["role"] == "primary"].set_index("person_id")
    d = rec[rec["role"] == "duplicate"].set_index("person_id")
    exact = (d["name"] == first.loc[d.index, "name"]) & (d["email"].fillna("") == first.loc[d.index, "email"].fillna(""))
    assert exact.sum() >= 1
    assert (d["source"] == first.loc[d.index, "source"]).all()


def test_identity_variations_are_realistic(company):
    rec = company.customers.merge(company.truth.identities, on=["source", "customer_id"])
    primary = rec[rec["role"] == "primary"].set_index("person_id")
    sec = rec[rec["role"] == "secondary"].set_index("person_id")
    base = primary.loc[sec.index]
    share = sec["name_variation"].value_counts(normalize=True)
    assert 0.05 < share["nickname"] < 0.25 and 0.05 < share["typo"] < 0.25
    # a nickname replaces a first name with one of its listed nicknames, the family name stays
    nick = sec[sec["name_variation"] == "nickname"]
    for (_, row), (_, orig) in zip(nick.iterrows(), base.loc[nick.index].iterrows()):
        true_first = orig["name"].title().split(" ")[0]
        assert row["name"].title().split(" ")[0] in {n.title() for n in FIRST_NAMES[true_first]}
        assert row["name"].title().split(" ", 1)[1] == orig["name"].title().split(" ", 1)[1]
    # a typo is one edit away (swap, drop, double or neighbouring key) and keeps the first letter
    typo = sec[sec["name_variation"] == "typo"]
    for a, b in zip(typo["name"].str.lower(), base.loc[typo.index, "name"].str.lower()):
        assert a != b and abs(len(a) - len(b)) <= 1 and a[0] == b[0]
        if len(a) == len(b):
            diff = [i for i in range(len(a)) if a[i] != b[i]]
            assert len(diff) in (1, 2)
    # a changed e-mail or phone differs; an unchanged one is the same address or number
    email = sec["email_variation"]
    both_present = sec["email"].notna() & base["email"].notna()
    assert (sec.loc[(email == "changed") & both_present, "email"] != base.loc[(email == "changed") & both_present, "email"]).all()
    same = (email == "same") & both_present
    assert (sec.loc[same, "email"] == base.loc[same, "email"]).all()
    digits = lambda s: s.str.replace(r"\D", "", regex=True).str.replace(r"^(44|0044|0)", "", regex=True)  # noqa: E731
    present = sec["phone"].notna() & base["phone"].notna()
    same_phone = present & (sec["phone_variation"] == "same")
    assert (digits(sec.loc[same_phone, "phone"]) == digits(base.loc[same_phone, "phone"])).all()
    changed = present & (sec["phone_variation"] == "changed")
    assert changed.sum() > 0
    assert (digits(sec.loc[changed, "phone"]) != digits(base.loc[changed, "phone"])).all()
    # the two systems write phone numbers differently
    assert (sec.loc[same_phone, "phone"] != base.loc[same_phone, "phone"]).mean() > 0.4
    # e-mail addresses identify people: no address is shared by two people
    owners = rec.dropna(subset=["email"]).assign(email=lambda f: f["email"].str.lower())
    assert owners.groupby("email")["person_id"].nunique().max() == 1


# -- dates -----------------------------------------------------------------------------------------


def test_all_dates_in_window_and_in_the_past(company):
    start, end_excl = pd.Timestamp("2024-01-01"), pd.Timestamp("2026-01-01")
    for kind, column in [("transactions", "timestamp"), ("interactions", "timestamp"), ("surveys", "timestamp"),
                         ("referrals", "timestamp"), ("customers", "signup_date")]:
        ts = getattr(company, kind)[column]
        assert ts.min() >= start and ts.max() < end_excl, kind
        assert ts.max() < pd.Timestamp(datetime.now()), kind
    # nobody buys before their account exists, nobody is contacted before buying
    tx = company.transactions.merge(company.customers, on=["source", "customer_id"])
    assert (tx["timestamp"].dt.normalize() >= tx["signup_date"]).all()
    first_tx = company.transactions.groupby(["source", "customer_id"])["timestamp"].min()
    for kind in ("interactions", "surveys"):
        ev = getattr(company, kind).join(first_tx.rename("first_tx"), on=["source", "customer_id"])
        assert (ev["timestamp"] > ev["first_tx"]).all(), kind


def test_referees_are_acquired_after_their_referrers(company):
    ref = company.referrals
    people = company.truth.people.set_index("person_id")
    referrer = company.truth.person_of(ref["source"], ref["referrer_id"])
    referee = company.truth.person_of(ref["source"], ref["referee_id"])
    assert referrer.notna().all() and referee.notna().all()
    assert (referrer.to_numpy() != referee.to_numpy()).all()
    assert (people.loc[referrer, "acquired_at"].to_numpy() < people.loc[referee, "acquired_at"].to_numpy()).all()
    assert (people.loc[referee, "referrer_person_id"].to_numpy() == referrer.to_numpy()).all()
    assert 0.05 < len(ref) / N < 0.11
    # the referee's record says how they came
    rec = company.customers.set_index(["source", "customer_id"])
    assert (rec.loc[list(zip(ref["source"], ref["referee_id"])), "acquisition_channel"] == "referral").all()
    # segments with a higher referral weight refer more people per head
    counts = people.loc[referrer, "segment"].value_counts() / people["segment"].value_counts()
    weights = {s.name: s.referral_weight for s in SEGMENTS}
    top, bottom = max(weights, key=weights.get), min(weights, key=weights.get)
    assert counts[top] > 2 * counts[bottom]


def test_acquisition_grows_over_the_window(company):
    acquired = company.truth.people["acquired_at"]
    first_year = (acquired < "2025-01-01").sum()
    assert 0.35 * N < first_year < 0.47 * N  # growth: the second year brings more people


# -- the purchase process ----------------------------------------------------------------------------


def _bgnbd_expected(r, alpha, a, b, t):
    """E[X(t)] of the BG/NBD model (Fader, Hardie & Lee 2005, eq. 9)."""
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def test_repeat_purchases_agree_with_bgnbd_expectation(company):
    obs = _observed(company)
    buys = obs[obs["amount"] > 0].groupby("person_id").size()
    people = company.truth.people.set_index("person_id")
    x = buys.reindex(people.index, fill_value=0) - 1
    assert (x >= 0).all()
    assert (x == people["repeat_purchases"]).all()
    assert (buys.reindex(people.index, fill_value=0) == people["purchases"]).all()
    for s in SEGMENTS:
        members = people["segment"] == s.name
        expected = _bgnbd_expected(s.r, s.alpha, s.a, s.b, people.loc[members, "T_weeks"].to_numpy())
        residual = x[members].to_numpy() - expected
        assert abs(_z(residual)) < 4, (s.name, x[members].mean(), expected.mean())


def test_fixed_window_cohort_agrees_with_bgnbd_expectation(company):
    # people acquired in the first half year, each followed for exactly 52 weeks
    obs = _observed(company)
    people = company.truth.people.set_index("person_id")
    cohort = people[people["acquired_at"] < people["acquired_at"].min() + pd.Timedelta(weeks=26)]
    buys = obs[(obs["amount"] > 0) & obs["person_id"].isin(cohort.index)]
    horizon = cohort["acquired_at"] + pd.Timedelta(weeks=52)
    within = buys[buys["timestamp"].to_numpy() <= horizon.loc[buys["person_id"]].to_numpy()]
    x = within.groupby("person_id").size().reindex(cohort.index, fill_value=0) - 1
    for s in SEGMENTS:
        members = cohort["segment"] == s.name
        assert members.sum() > 40, s.name
        residual = x[members].to_numpy() - _bgnbd_expected(s.r, s.alpha, s.a, s.b, 52.0)
        assert abs(_z(residual)) < 4, (s.name, x[members].mean(), _bgnbd_expected(s.r, s.alpha, s.a, s.b, 52.0))


def test_repeat_purchases_agree_with_each_persons_lambda_and_p(company):
    # E[X(t) | lambda, p] = (1 - exp(-lambda p t)) / p (Fader, Hardie & Lee 2005, eq. 7)
    people = company.truth.people
    lam, p, t = people["lambda"].to_numpy(), people["p"].to_numpy(), people["T_weeks"].to_numpy()
    expected = -np.expm1(-lam * p * t) / p
    assert abs(_z(people["repeat_purchases"].to_numpy() - expected)) < 4
    # alive at the end unless dropout came within the N purchase opportunities of (0, t]:
    # P(alive) = E[(1 - p)^N] = exp(-lambda p t) with N ~ Poisson(lambda t)
    x = people["repeat_purchases"].to_numpy()
    alive = people["alive_at_end"].to_numpy()
    assert abs(_z(alive - np.exp(-lam * p * t))) < 4
    dead = ~alive
    assert (people.loc[dead, "dropout_at"] <= pd.Timestamp("2026-01-01")).all()
    assert people.loc[alive, "dropout_at"].isna().all() and (x[dead] >= 1).all()


def test_true_parameters_follow_the_segment_distributions(company):
    people = company.truth.people
    for s in SEGMENTS:
        p = people[people["segment"] == s.name]
        n = len(p)
        # Gamma(r, alpha) mean r/alpha, sd sqrt(r)/alpha; Beta(a, b) mean a/(a+b)
        assert abs(p["lambda"].mean() - s.r / s.alpha) < 4 * np.sqrt(s.r) / s.alpha / np.sqrt(n)
        sd_p = np.sqrt(s.a * s.b / ((s.a + s.b) ** 2 * (s.a + s.b + 1)))
        assert abs(p["p"].mean() - s.a / (s.a + s.b)) < 4 * sd_p / np.sqrt(n)
        assert abs(p["nu"].mean() - s.q / s.gamma) < 4 * np.sqrt(s.q) / s.gamma / np.sqrt(n)


def test_spend_agrees_with_gamma_gamma(company):
    obs = _observed(company)
    buys = obs[obs["amount"] > 0].merge(company.truth.people[["person_id", "segment"]], on="person_id")
    for s in SEGMENTS:
        seg = buys[buys["segment"] == s.name]
        # E[z] = p gamma / (q - 1) per transaction (Fader & Hardie 2013, eq. 3); residuals are
        # independent between people, not within (a person shares nu), so sum them per person
        per_person = (seg["amount"] - s.mean_spend).groupby(seg["person_id"]).sum().to_numpy()
        assert abs(_z(per_person)) < 4, (s.name, seg["amount"].mean(), s.mean_spend)
    means = buys.groupby("segment")["amount"].mean()
    assert means["gadget lovers"] > 2 * means["bargain hunters"]


def test_category_preferences_show_in_the_data(company):
    obs = _observed(company)
    buys = obs[obs["amount"] > 0].merge(company.truth.people[["person_id", "segment"]], on="person_id")
    shares = pd.crosstab(buys["segment"], buys["category"], normalize="index")
    for s in SEGMENTS:
        for c, w in zip(CATEGORIES, s.categories):
            assert abs(shares.loc[s.name, c] - w) < 0.06, (s.name, c)
        assert shares.loc[s.name].idxmax() == CATEGORIES[int(np.argmax(s.categories))]


def test_channels_belong_to_their_system_and_returns_follow_purchases(company):
    tx = company.transactions
    assert set(tx.loc[tx["source"] == "webshop", "channel"]) <= {"web", "app"}
    assert set(tx.loc[tx["source"] == "stores", "channel"]) == {"store"}
    assert tx["transaction_id"].is_unique
    returns = tx[tx["amount"] < 0]
    assert 0.01 < len(returns) / len(tx) < 0.08
    assert (returns["quantity"] < 0).all() and (tx.loc[tx["amount"] > 0, "quantity"] > 0).all()
    buys = tx[tx["amount"] > 0]
    earlier = returns.merge(buys, on=["source", "customer_id", "product_id"], suffixes=("", "_buy"))
    earlier = earlier[earlier["timestamp_buy"] < earlier["timestamp"]]
    assert set(returns["transaction_id"]) == set(earlier["transaction_id"])
    # fashion is returned far more often than groceries
    rate = returns["category"].value_counts() / buys["category"].value_counts()
    assert rate["fashion"] > 5 * rate["grocery"]


# -- what customers say --------------------------------------------------------------------------------


def test_survey_comments_follow_segment_themes_and_scores_follow_themes(company):
    surveys = company.surveys
    truth = company.truth.surveys
    assert len(truth) == len(surveys)
    assert surveys["nps"].between(0, 10).all()
    segment_themes = {s.name: set(s.themes) for s in SEGMENTS}
    assert all(t in segment_themes[s] for t, s in zip(truth["theme"], truth["segment"]))
    commented = surveys["comment"].notna()
    assert (commented == truth["commented"]).all()
    for text, theme in zip(surveys.loc[commented, "comment"], truth.loc[commented, "theme"]):
        assert any(p.lower() in text.lower() for p in THEMES[theme].phrases)
    # the person behind each answer is the truth's
    person = company.truth.person_of(surveys["source"], surveys["customer_id"])
    assert (person.to_numpy() == truth["person_id"].to_numpy()).all()
    polarity = truth["theme"].map(lambda t: THEMES[t].polarity)
    mean = surveys["nps"].groupby(polarity.to_numpy()).mean()
    assert mean[1] > 8.5 and mean[-1] < 5 and mean[-1] < mean[0] < mean[1]


def test_interactions(company):
    inter = company.interactions
    assert set(inter["topic"]) >= {"delivery", "return", "product question"}
    assert inter["resolved"].dtype == bool and 0.7 < inter["resolved"].mean() < 0.95
    person = company.truth.person_of(inter["source"], inter["customer_id"])
    assert (person.to_numpy() == company.truth.interactions["person_id"].to_numpy()).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(10, 400),
    seed=st.integers(0, 2**32 - 1),
    start=st.dates(dt.date(2015, 1, 1), dt.date(2025, 6, 1)),
    days=st.integers(28, 900),
)
def test_any_small_company_is_consistent(n, seed, start, days):
    end = min(start + dt.timedelta(days=days - 1), dt.date.today() - dt.timedelta(days=1))
    company = generate(n_customers=n, seed=seed, start=start, end=end)
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    assert len(company.truth.people) == n
    for kind in LOAD_ORDER:
        frame = getattr(company, kind)
        for column in TABLES[kind].required:
            assert frame[column].notna().all(), (kind, column)
        for column in ("timestamp", "signup_date"):
            if column in frame:
                assert frame[column].between(lo, hi, inclusive="left").all(), (kind, column)
    assert not company.customers.duplicated(["source", "customer_id"]).any()
    assert company.transactions["transaction_id"].is_unique
    assert company.transactions["amount"].ne(0).all() and np.isfinite(company.transactions["amount"]).all()
    assert (company.truth.identities["role"] == "primary").sum() == n
    person = company.truth.person_of(company.transactions["source"], company.transactions["customer_id"])
    assert person.notna().all()
    assert (company.referrals["referrer_id"] != company.referrals["referee_id"]).all()


# -- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"n_customers": 5}, "at least 10"),
        ({"n_customers": 2.5}, "whole number"),
        ({"seed": -1}, "seed"),
        ({"start": "2024-13-01"}, "start of the window"),
        ({"end": "2099-01-01"}, "before today"),
        ({"start": "2025-12-20"}, "four weeks"),
    ],
)
def test_bad_arguments_raise_input_errors(kwargs, words):
    with pytest.raises(InputError, match=words):
        generate(**kwargs)


# -- loading -------------------------------------------------------------------------------------------


def test_load_lands_every_row_once(store_path):
    small = generate(n_customers=400, seed=5)
    with Store.open(store_path) as store:
        first = load(store, small)
        again = load(store, small)
        status = store.status()
    assert [(r.kind, r.source) for r in first] == [(k, s) for k, s, _ in small.frames()]
    for r, (_, _, frame) in zip(first, small.frames()):
        assert (r.rows_read, r.loaded, r.quarantined) == (len(frame), len(frame), 0), r
    assert all(r.loaded == 0 and r.already_present == r.rows_read for r in again)
    for kind in LOAD_ORDER:
        assert status.rows(kind) == len(getattr(small, kind)), kind
    tx = small.transactions
    assert sum(r.returns for r in first) == int((tx["amount"] < 0).sum())


def test_cli_demo_twice_does_not_duplicate(tmp_path):
    store = tmp_path / "demo.duckdb"
    runner = CliRunner()
    args = ["--store", str(store), "demo", "--customers", "300", "--seed", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Demo company loaded" in result.output and "transactions" in result.output
    with Store.open(store, read_only=True) as s:
        before = {k: s.status().rows(k) for k in LOAD_ORDER}
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    import json

    payload = json.loads(result.stdout)
    assert all(r["loaded"] == 0 and r["quarantined"] == 0 for r in payload["loads"])
    after = {t: sum(x["rows"] for x in payload["status"]["tables"] if x["table"] == t) for t in LOAD_ORDER}
    assert after == before
    company = generate(n_customers=300, seed=2)
    assert before == {k: len(getattr(company, k)) for k in LOAD_ORDER}


def test_docstring_examples_run():
    import doctest

    import clientele.demo

    result = doctest.testmod(clientele.demo)
    assert result.attempted > 0 and result.failed == 0


def test_names_and_towns_are_as_varied_as_real_ones(company):
    """Name and town frequencies follow the documented power laws (clientele.demo.names), so
    that a full name and town rarely belong to two people, as in real customer bases."""
    from clientele.demo.names import FAMILY_NAME_WEIGHTS, FAMILY_NAMES, FIRST_NAME_WEIGHTS, TOWNS

    def one_in(weights):  # 1 / P(two random people share the value)
        p = np.array(list(weights.values()), dtype=float)
        return 1.0 / ((p / p.sum()) ** 2).sum()

    assert 150 < one_in(FIRST_NAME_WEIGHTS) < 220
    assert 800 < one_in(FAMILY_NAME_WEIGHTS) < 1100
    assert 70 < one_in(TOWNS) < 110
    assert len(set(FAMILY_NAMES)) == len(FAMILY_NAMES) > 3000 and len(set(FIRST_NAME_WEIGHTS)) > 400
    rec = company.customers.merge(company.truth.identities, on=["source", "customer_id"])
    primary = rec[rec["role"] == "primary"]
    first = primary["name"].str.title().str.split(" ").str[0]
    # the most common first name's share is its weight, within four binomial standard errors
    top, w = next(iter(FIRST_NAME_WEIGHTS.items()))
    assert abs((first == top).mean() - w) < 4 * np.sqrt(w * (1 - w) / len(primary))
    # namesakes in one town: expected N / (180 * 940 * 90), about 0.02% of 3,000 people
    shared = primary.assign(name=primary["name"].str.lower()).groupby(["name", "city"])["person_id"].transform("size") > 1
    assert shared.mean() < 0.005
