"""Tiny populations with exact event logs: with no hazards, only the law moves people.

Three people on dagpenge and no transition hazards: each must exhaust dagpenge after
exactly 104 used weeks (counted from their drawn spell start), move to kontanthjælp,
and do nothing else — the log is known to the last digit before the run.
"""

from __future__ import annotations

import pytest

from sim.calendar import WEEKS_PER_YEAR
from sim.engine import Simulation
from sim.spec import load_scenario

STATES = """
[states.employed]
label_da = "Selvforsørgende"
label_en = "Employed"
public_support = false
unemployed = false
[states.dagpenge]
label_da = "A-dagpenge"
label_en = "UI"
public_support = true
unemployed = true
[states.kontanthjaelp_jobparat]
label_da = "Kontanthjælp"
label_en = "Social assistance"
public_support = true
unemployed = true
[states.outside]
label_da = "Udenfor"
label_en = "Outside"
public_support = false
unemployed = false
absorbing = true
[age_bands]
unit = "years"
lower = [18, 30]
source = "test"
[education]
levels = ["basic"]
source = "test"
[long_term_unemployment]
share = 0.8
window_weeks = 52
unit = "share of window"
source = "test"
"""
LAW = """
[rules.dagpenge_exhaustion]
label = "udfald"
states = ["dagpenge"]
clock = "dagpenge_weeks_used"
unit = "weeks"
limit = [{ from = 2010-07-01, value = 104 }]
source = "test"
then = [{ from = 2010-07-01, shares = { kontanthjaelp_jobparat = 1.0 } }]
[rules.state_pension]
label = "pension"
states = ["*"]
clock = "pension_age"
unit = "years"
source = "test"
then = [{ from = 1900-01-01, shares = { outside = 1.0 } }]
[pension_age]
unit = "years"
source = "test"
by_birth_date = 65
[dagpenge]
unit = "weeks"
reearning_weeks = 52
source = "test"
"""
SCENARIO = """
[scenario]
name = "three on dagpenge"
municipality = "test"
start = 2015-01-01
[population.stocks.dagpenge]
value = 3
unit = "persons"
source = "test"
[population.age_shares]
unit = "share"
source = "test"
dagpenge = { "18-29" = 1.0 }
[population.education_shares]
unit = "share"
source = "test"
dagpenge = { basic = 1.0 }
[population.insured_shares]
unit = "share"
source = "test"
dagpenge = 1.0
[population.education_on_leaving]
unit = "share"
source = "test"
shares = { basic = 1.0 }
[hazards.dagpenge.employed]
unit = "per week"
rate = 0.0
source = "test: no hazards, only the law"
[exits]
[inflows]
[activation.places]
unit = "places"
source = "test"
[activation.policy]
[business_cycle]
measure = "test"
unit = "persons"
base_year = 2015
source = "test"
values = { "2015" = 1 }
"""


@pytest.fixture
def tiny(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "states.toml").write_text(STATES)
    (data / "law.toml").write_text(LAW)
    (data / "instruments.toml").write_text("[instruments]\n")
    (tmp_path / "s.toml").write_text(SCENARIO)
    return load_scenario(tmp_path / "s.toml", data_dir=data)


def test_only_the_law_moves_people_and_the_log_is_exact(tiny):
    sim = Simulation(tiny, years=2.5, seed=3, trace={0, 1, 2})
    sim._populate = _populate_and_remember(sim)
    r = sim.run()
    for cid, entered in sim.started.items():
        due = entered + 104  # 104 used weeks after the spell began (drawn before the start)
        assert 0 < due < r.weeks, "each spell in progress ends within the run"
        assert [(round(t, 9), ev, detail) for t, ev, detail in r.recorder.log[cid]] == [
            (0.0, "enter", "dagpenge (initial)"),
            (round(due, 9), "rule", "dagpenge_exhaustion"),
            (round(due, 9), "enter", "kontanthjaelp_jobparat (dagpenge_exhaustion)"),
        ]
    # the only other events: turning 30 moves a person to the next age band
    birthdays = sum(1 for born in sim.born.values() if 0 < born + 30 * WEEKS_PER_YEAR < r.weeks)
    assert r.events == 3 + birthdays
    assert r.recorder.persons[-1].sum(axis=1).tolist() == [0, 0, 3, 0]


def _populate_and_remember(sim):
    """Wrap the population step to note each spell's start (drawn from the steady state)."""
    original = sim._populate

    def populate():
        original()
        people = sim.members[sim.index["dagpenge"]].values()
        sim.started = {c.id: c.entered for c in people}
        sim.born = {c.id: c.born for c in people}

    return populate
