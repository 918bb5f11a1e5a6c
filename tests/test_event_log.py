"""Tiny populations with exact event logs: with no hazards, only the law moves people.

Three people on dagpenge and no transition hazards: each must exhaust dagpenge after
exactly 104 used weeks (counted from their drawn spell start), move to kontanthjælp,
and do nothing else — the log is known to the last digit before the run.
"""

from __future__ import annotations

import pytest

from sim.spec.calendar import WEEKS_PER_YEAR
from sim.engines.simpy_engine import Simulation
from sim.spec.scenario import load_scenario

from .toy_toml import DAGPENGE, EMPLOYED, OUTSIDE, PENSION_LAW, people, scenario, state

STATES = (EMPLOYED + DAGPENGE + state("kontanthjaelp_jobparat", "Kontanthjælp", "Social assistance", True, True)
          + OUTSIDE + people([18, 30]))
LAW = """
[rules.dagpenge_exhaustion]
label = "udfald"
states = ["dagpenge"]
clock = "dagpenge_weeks_used"
unit = "weeks"
limit = [{ from = 2010-07-01, value = 104 }]
source = "test"
then = [{ from = 2010-07-01, shares = { kontanthjaelp_jobparat = 1.0 } }]""" + PENSION_LAW
SCENARIO = scenario("three on dagpenge", "dagpenge", "18-29", [("dagpenge", "employed", "0.0")],
                    hazard_source="test: no hazards, only the law").format(n=3)


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
