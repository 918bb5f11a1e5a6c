"""Every lever changes what it should, and a lever at its baseline value changes nothing."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.engines.simpy_engine import simulate
from sim.spec.scenario import load_scenario

from .conftest import BASELINE, ROOT

D = dt.date


def hz(sc, name):
    return next(h for h in sc.hazards if h.name == name)


def load(*sets):
    return load_scenario(BASELINE, sets=list(sets))


def test_contact_intensity_multiplies_only_the_named_hazards(baseline):
    alt = load("levers.contact.dagpenge.meetings_per_month=2.2")
    factor = (2.2 / 0.33) ** 0.10
    a, b = hz(alt, "dagpenge->employed"), hz(baseline, "dagpenge->employed")
    assert a.rate == pytest.approx(tuple(r * factor for r in b.rate), rel=1e-12)
    assert 1.15 < factor < 1.25  # within the 10–30 % the RCTs report for fortnightly meetings
    changed = [h.name for h, g in zip(alt.hazards, baseline.hazards) if h != g]
    assert changed == ["dagpenge->employed"]


def test_visitation_multiplies_every_hazard_into_ressourceforloeb(baseline):
    alt = load("levers.visitation.ressourceforloeb.multiplier=1.5")
    changed = {h.name for h, g in zip(alt.hazards, baseline.hazards) if h != g}
    assert changed == {"kontanthjaelp_aktivitetsparat->ressourceforloeb",
                       "uddannelseshjaelp_aktivitetsparat->ressourceforloeb",
                       "sygedagpenge->ressourceforloeb", "jobafklaringsforloeb->ressourceforloeb"}
    for name in changed:
        assert hz(alt, name).rate[0] == pytest.approx(1.5 * hz(baseline, name).rate[0])


def test_early_sickness_follow_up_acts_in_the_first_weeks_only(baseline):
    alt = load("levers.early_sickness_follow_up.multiplier=1.1", "levers.early_sickness_follow_up.weeks=6")
    a, b = hz(alt, "sygedagpenge->employed"), hz(baseline, "sygedagpenge->employed")
    assert b.duration_weeks == (0, 4, 13, 26)
    assert a.duration_weeks == (0, 4, 6, 13, 26)  # the 4–13 band is split at 6 weeks
    assert a.rate == pytest.approx((b.rate[0] * 1.1, b.rate[1] * 1.1, b.rate[1], b.rate[2], b.rate[3]))


def test_sygedagpenge_extension_share_is_dated_and_keeps_other_proportions(baseline):
    alt = load("levers.sygedagpenge_extension.extended_share=[{ from = 2016-01-01, value = 0.3 }]")
    rule = next(r for r in alt.rules if r.name == "sygedagpenge_reassessment")
    old = next(r for r in baseline.rules if r.name == "sygedagpenge_reassessment")
    assert rule.then.at(D(2015, 6, 1)) == old.then.at(D(2015, 6, 1))  # baseline until 2016
    new, was = rule.then.at(D(2016, 1, 1)), old.then.at(D(2016, 1, 1))
    assert new["stay"] == 0.3 and math.isclose(sum(new.values()), 1.0)
    assert new["jobafklaringsforloeb"] / new["employed"] == pytest.approx(
        was["jobafklaringsforloeb"] / was["employed"])


@pytest.mark.parametrize("sets,check", [
    (["activation.policy.dagpenge.first_offer_week=[{ from = 2016-01-01, value = 8 }]"],
     lambda s: s.policies["dagpenge"].first_offer_week.at(D(2016, 2, 1)) == (8.0,) * 6),
    (["activation.policy.dagpenge.repeat_weeks=13"],
     lambda s: s.policies["dagpenge"].repeat_weeks.at(D(2017, 1, 1)) == 13),
    (["activation.policy.dagpenge.mix={ virksomhedspraktik = 1.0 }"],
     lambda s: s.policies["dagpenge"].mix == {"virksomhedspraktik": 1.0}),
    (["activation.places.virksomhedspraktik=1400"], lambda s: s.places["virksomhedspraktik"] == 1400),
    (["activation.policy.dagpenge.exempt_share=0.3"], lambda s: s.policies["dagpenge"].exempt_share == 0.3),
    (["inflows.refugees.persons_per_year=[{ from = 2016-01-01, value = 900 }]"],
     lambda s: next(i for i in s.inflows if i.name == "refugees").persons_per_year.at(D(2016, 6, 1)) == 900
     and next(i for i in s.inflows if i.name == "refugees").persons_per_year.at(D(2015, 6, 1)) == 450),
    (['business_cycle.values={ "2015" = 126000, "2016" = 160000 }'], lambda s: s.cycle == {2015: 126000, 2016: 160000}),
])
def test_primitive_levers_reach_the_scenario(sets, check):
    assert check(load(*sets))


# Each lever set to the baseline's value: the compiled scenario and every recorder array
# must be identical to the baseline's, bit for bit.
AT_BASELINE = [
    "levers.contact.dagpenge.meetings_per_month=0.33",
    "levers.visitation.ressourceforloeb.multiplier=1.0",
    "levers.visitation.fleksjob.multiplier=1.0",
    "levers.early_sickness_follow_up.multiplier=1.0",
    "levers.sygedagpenge_extension.extended_share=[{ from = 2016-01-01, value = 0.5 }]",
    "activation.places.virksomhedspraktik=700",
    "activation.policy.dagpenge.exempt_share=0.10",
    "activation.policy.kontanthjaelp_jobparat.first_offer_week=[{ from = 2016-01-01, value = 13 }]",
    "business_cycle.values.2016=126000",
]


def _arrays(sc):
    r = simulate(sc.scaled(0.02), years=1.2, seed=5, replication=1)
    rec = r.recorder
    return [rec.persons, rec.fte, rec.starts, rec.waiting_starts, rec.usage, rec.exempt], rec


def test_levers_at_baseline_values_change_nothing_bit_for_bit(baseline):
    base_arrays, base_rec = _arrays(baseline)
    for s in AT_BASELINE:
        alt = load(s)
        assert (alt.hazards, alt.rules, alt.policies, alt.places, alt.inflows, alt.cycle) == (
            baseline.hazards, baseline.rules, baseline.policies, baseline.places, baseline.inflows,
            baseline.cycle), s
    # one run with all of them at once
    arrays, rec = _arrays(load(*AT_BASELINE))
    for a, b in zip(arrays, base_arrays):
        assert np.array_equal(a, b)
    assert rec.flows == base_rec.flows and rec.indicators == base_rec.indicators


def test_visitation_lever_moves_more_people_into_ressourceforloeb_in_a_run(baseline):
    """Same seed (common random numbers). Entries into ressourceforløb are roughly Poisson; under
    the null of no effect the paired difference of two counts has sd ≤ sqrt(n_a + n_b), so a
    3-fold hazard must raise the count by more than 3 sd of that."""
    def entries(sc):
        flows = simulate(sc.scaled(0.05), years=1, seed=3).recorder.flows
        return sum(n for (w, src, dst, cause), n in flows.items()
                   if cause.endswith("->ressourceforloeb"))
    n_b = entries(baseline)
    n_a = entries(load("levers.visitation.ressourceforloeb.multiplier=3"))
    assert n_b > 5
    assert n_a - n_b > 3 * math.sqrt(n_a + n_b)


def test_example_scenarios_load_and_differ_from_the_baseline(baseline):
    files = sorted((ROOT / "scenarios").glob("*.toml"))
    assert len(files) >= 7
    for f in files:
        if f.name == BASELINE.name:
            continue
        sc = load_scenario(f)
        assert sc.title_da and sc.layers[0].endswith("aalborg_2015.toml"), f.name
        assert (sc.hazards, sc.rules, sc.policies, sc.places, sc.cycle, sc.referrals) != (
            baseline.hazards, baseline.rules, baseline.policies, baseline.places, baseline.cycle,
            baseline.referrals), f.name
