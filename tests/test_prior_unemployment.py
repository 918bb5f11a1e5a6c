"""Earlier unemployment of the initial population: the 52-week record is right from day one.

A share of each unemployed state's initial stock was unemployed for a uniform 0..W weeks
directly before the spell in progress (``[population.prior_unemployment]``). The long-term
indicator at the start then counts a citizen with elapsed spell e < need (= 80 % of 52
weeks) with probability share × P(U·W ≥ need − e) = share × max(0, 1 − (need − e)/W).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from sim.engines.simpy_engine import simulate as simpy_simulate
from sim.errors import SpecError
from sim.model.population import prior_unemployed
from sim.engines.compiled.engine import simulate as vector_simulate

from .test_vector_equivalence import ample, assert_same_paths

PRIOR = {"dagpenge": (0.4, 52.0), "kontanthjaelp_jobparat": (0.7, 30.0)}


class Elapsed:
    """Watcher at week 0: the elapsed spell of everyone in an unemployed state."""

    times = [0.0]

    def __init__(self):
        self.by_state = {}

    def __call__(self, sim, t):
        for s, name in enumerate(sim.names):
            if sim.unemployed[s] and sim.prior_unemployed[s] == 0:
                self.by_state[name] = np.array([t - c.entered for c in sim.members[s].values()])


def test_prior_draw_is_uniform_on_the_share():
    u = np.array([0.05, 0.2, 0.39, 0.4, 0.9])
    assert prior_unemployed(u, (0.4, 52.0)).tolist() == pytest.approx([6.5, 26.0, 50.7, 0.0, 0.0])
    assert prior_unemployed(u, None).tolist() == [0.0] * 5


def test_long_term_at_the_start_matches_the_drawn_histories(baseline):
    """Expected extra long-term unemployed from the prior record, within 4 binomial sd."""
    sc = baseline.scaled(0.05)
    none = simpy_simulate(dataclasses.replace(sc, stock_prior={}), years=0.05, seed=4)
    w = Elapsed()
    some = simpy_simulate(dataclasses.replace(sc, stock_prior=PRIOR), years=0.05, seed=4,
                          watchers=(w,))
    need = sc.long_term_share * sc.long_term_window
    p = np.concatenate([PRIOR[s][0] * np.clip(1 - (need - e[e < need]) / PRIOR[s][1], 0, 1)
                        for s, e in w.by_state.items()])
    expected = p.sum()
    sd = math.sqrt((p * (1 - p)).sum())  # independent Bernoulli draws, one per citizen
    extra = (some.recorder.indicators[0]["long_term_unemployed"]
             - none.recorder.indicators[0]["long_term_unemployed"])
    assert expected > 20  # the check has power: dozens of citizens affected
    assert abs(extra - expected) <= 4 * sd, (extra, expected, sd)


def test_both_engines_draw_the_same_histories(baseline):
    sc = dataclasses.replace(ample(baseline), stock_prior=PRIOR).scaled(0.02)
    a, b = simpy_simulate(sc, years=1, seed=11), vector_simulate(sc, years=1, seed=11)
    assert_same_paths(a, b)
    plain = simpy_simulate(dataclasses.replace(sc, stock_prior={}), years=1, seed=11)
    assert a.recorder.indicators[0]["long_term_unemployed"] > plain.recorder.indicators[0]["long_term_unemployed"]


def test_prior_on_a_state_that_is_not_unemployed_is_an_error(data_copy):
    from sim.spec.scenario import load_scenario
    path = data_copy / "scenario.toml"
    text = path.read_text()
    assert "\ndagpenge = { share =" in text  # the baseline's own table
    path.write_text(text.replace("\ndagpenge = { share =", "\nsygedagpenge = { share =", 1))
    with pytest.raises(SpecError) as e:
        load_scenario(path, data_dir=data_copy / "data")
    assert "prior_unemployment.sygedagpenge" in str(e.value)
