"""Response curves: exact fits, recovery of the demo's known effects within their intervals, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from clientele.budget import fit_response, fit_responses
from clientele.budget.response import fit_curve_to_means
from clientele.demo import generate
from clientele.demo.campaigns import SPEND_LEVELS, generate_campaigns
from clientele.errors import InputError


def test_noise_free_means_give_the_true_parameters():
    s = np.array([0.0, 2.0, 5.0, 10.0, 20.0])
    for a, b, c in [(0.3, 4.0, 1.0), (0.05, 12.0, 0.6), (50.0, 3000.0 / 1000, 10.0)]:
        y = c + a * (1 - np.exp(-s / b))
        ea, eb, ec = fit_curve_to_means(s, y[None, :], np.ones_like(s))
        assert ea[0] == pytest.approx(a, rel=1e-4)
        assert eb[0] == pytest.approx(b, rel=1e-3)
        assert ec[0] == pytest.approx(c, rel=1e-4)


def test_harmful_spend_is_estimated_as_no_effect():
    s = np.array([0.0, 5.0, 10.0, 20.0])
    y = np.array([0.5, 0.45, 0.42, 0.40])
    a, _, c = fit_curve_to_means(s, y[None, :], np.ones_like(s))
    assert a[0] == 0.0 and c[0] == pytest.approx(y.mean())


def test_intervals_cover_the_truth_at_the_nominal_rate():
    rng = np.random.default_rng(11)
    s = np.repeat([0.0, 5.0, 10.0, 20.0, 40.0], 800)
    a, b, c = 0.12, 9.0, 0.5
    truth = a * (1 - np.exp(-s[:: 800] / b))
    covered = 0
    for _ in range(30):
        y = rng.random(len(s)) < c + a * (1 - np.exp(-s / b))
        curve = fit_response("x", "retention", s, y, n_draws=400, rng=rng)
        lo, hi = curve.interval(curve.effect_draws(s[::800]))
        covered += np.mean((lo <= truth + 1e-12) & (truth <= hi + 1e-12))
    assert 0.75 <= covered / 30 <= 1.0


@pytest.fixture(scope="module")
def demo_records():
    company = generate(n_customers=1500, seed=5)
    campaigns, budget, truth = generate_campaigns(company, seed=5, per_level=1500)
    return campaigns, budget, truth


def test_the_demo_estimates_recover_the_true_effects(demo_records):
    campaigns, _, truth = demo_records
    responses = fit_responses(campaigns, n_draws=400, seed=1)
    hits_effect, hits_a, cells = 0, 0, 0
    for t in truth.itertuples():
        curve = responses[(t.segment, t.lever)]
        levels = np.array(SPEND_LEVELS[t.lever][1:])
        true_effect = t.a * (1 - np.exp(-levels / t.b))
        lo, hi = curve.interval(curve.effect_draws(levels))
        hits_effect += int(np.sum((lo <= true_effect) & (true_effect <= hi)))
        a_lo, a_hi = curve.interval(curve.a_draws)
        hits_a += int(a_lo <= t.a <= a_hi)
        cells += 1
        assert curve.c == pytest.approx(t.c, rel=0.15)
    assert cells == 12
    assert hits_effect >= 0.8 * cells * 4  # 90% intervals at 4 treated levels of 12 cells
    assert hits_a >= 9


def test_demo_campaigns_are_randomised_and_reproducible(demo_records):
    campaigns, budget, _ = demo_records
    again, budget2, _ = generate_campaigns(generate(n_customers=1500, seed=5), seed=5, per_level=1500)
    assert campaigns.equals(again) and budget.equals(budget2)
    cust = campaigns[campaigns["lever"] != "acquisition"]
    counts = cust.groupby(["segment", "lever", "spend"]).size()
    assert (counts == 1500).all()
    assert (cust["treated"] == (cust["spend"] > 0)).all()
    assert budget["spend"].sum() == pytest.approx(2.0 * 1500, rel=1e-3)


def test_too_few_levels_or_no_control_is_an_input_error():
    with pytest.raises(InputError, match="three spend levels"):
        fit_response("s", "retention", np.repeat([0.0, 5.0], 50), np.ones(100))
    with pytest.raises(InputError, match="no control group"):
        fit_response("s", "retention", np.repeat([1.0, 5.0, 9.0], 50), np.ones(150))
    with pytest.raises(InputError, match="at least 5 records"):
        fit_response("s", "retention", np.r_[np.zeros(50), np.full(50, 5.0), [9.0, 9.0]], np.ones(102))
