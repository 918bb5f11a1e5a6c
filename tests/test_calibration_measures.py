"""Target definitions on hand-built histories: each measure counts exactly what it says."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.calibration import measures
from sim.calibration.targets import Target

STATES = ("employed", "dagpenge", "kontanthjaelp_jobparat", "outside")
AGES = ("18-29", "30+")


def target(**kw):
    base = dict(name="t", measure="persons", value=0.0, tolerance=1.0, unit="persons",
                held_out=False, weight=1.0, source="s", definition="d")
    base.update(kw)
    return Target(**base)


@pytest.fixture
def history():
    weeks = 10
    persons = np.zeros((weeks + 1, len(STATES), len(AGES)), dtype=np.int64)
    fte = np.zeros((weeks + 1, len(STATES), len(AGES)))
    for w in range(weeks + 1):
        persons[w, 0] = (90 - w, 100)  # employed falls by one a week
        persons[w, 1] = (10 + w, 20)   # dagpenge rises by one a week
        persons[w, 2] = (5, 5)
        fte[w] = persons[w] - (0.5 if w else 0.0) * np.array([[-1, 0], [1, 0], [0, 0], [0, 0]])
    flows = {(3, 0, 1, "employed->dagpenge"): 1, (4, 0, 1, "employed->dagpenge"): 1,
             (4, 1, 2, "dagpenge_exhaustion"): 2, (9, 1, 2, "dagpenge_exhaustion"): 3}
    indicators = [{"date": dt.date(2015, 1, 1), "long_term_unemployed": 40},
                  {"date": dt.date(2015, 3, 1), "long_term_unemployed": 30}]
    return measures.History(dt.date(2015, 1, 1), STATES, AGES, persons, fte, flows, indicators, 0.5)


def test_persons_at_a_date_by_state_and_age(history):
    t = target(states=("dagpenge",), ages=("18-29",), date=dt.date(2015, 1, 22))  # week 3
    assert measures.persons_at(history, t, t.date) == 13
    # full scale: the run is at scale 0.5, so the model value is doubled
    assert measures.value(history, t) == 26
    t_all = target(states=("dagpenge", "kontanthjaelp_jobparat"), date=dt.date(2015, 1, 22))
    assert measures.persons_at(history, t_all, t_all.date) == 13 + 20 + 10


def test_fte_over_a_period_is_the_mean_of_its_weeks(history):
    # weeks 3..5 (from week 2 to week 5): dagpenge 18-29 fte = persons - 0.5
    t = target(measure="fte", unit="full-time persons", states=("dagpenge",), ages=("18-29",),
               start=dt.date(2015, 1, 15), end=dt.date(2015, 2, 5))
    assert measures.fte_over(history, t) == pytest.approx(np.mean([12.5, 13.5, 14.5]))


def test_events_count_flows_by_cause_and_period(history):
    t = target(measure="events", unit="events", causes=("dagpenge_exhaustion",),
               start=dt.date(2015, 1, 1), end=dt.date(2015, 2, 5))  # weeks 1..5
    assert measures.events_in(history, t) == 2
    t2 = target(measure="events", unit="events", to_states=("dagpenge",),
                start=dt.date(2015, 1, 22), end=dt.date(2015, 3, 12))  # weeks 4..10
    assert measures.events_in(history, t2) == 1


def test_fte_share_divides_by_every_living_state(history):
    t = target(measure="fte_share", unit="share", states=("dagpenge", "kontanthjaelp_jobparat"),
               start=dt.date(2015, 1, 1), end=dt.date(2015, 1, 8))  # week 1
    num = (10.5 + 20) + 10
    den = (89.5 + 100) + num
    assert measures.fte_share(history, t) == pytest.approx(num / den)


def test_relative_change_and_indicator(history):
    t = target(measure="indicator", indicator="long_term_unemployed", change="relative",
               unit="relative change", start=dt.date(2015, 1, 1), end=dt.date(2015, 3, 1))
    assert measures.value(history, t) == pytest.approx(30 / 40 - 1)
    missing = target(measure="indicator", indicator="long_term_unemployed", date=dt.date(2015, 2, 1))
    with pytest.raises(Exception, match="no indicator"):
        measures.value(history, missing)


def test_factor_scales_the_published_definition(history):
    t = target(states=("dagpenge",), ages=("30+",), date=dt.date(2015, 1, 1), factor=0.8)
    assert measures.value(history, t) == pytest.approx(20 * 0.8 / 0.5)
