"""With constant rates the mean stock equals the Markov chain's expm solution, in every engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from sim.engines import ENGINES, get
from sim.spec.scenario import load_scenario

from .toy_toml import DAGPENGE, EMPLOYED, OUTSIDE, PENSION_LAW, people, scenario

STATES = EMPLOYED + DAGPENGE + OUTSIDE + people([18])
LAW = PENSION_LAW
SCENARIO = scenario("two states", "employed", "18+",
                    [("employed", "dagpenge", "{a}"), ("dagpenge", "employed", "{b}")])


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_two_state_model_matches_matrix_exponential(tmp_path, engine):
    simulate = get(engine)
    data = tmp_path / "data"
    data.mkdir()
    (data / "states.toml").write_text(STATES)
    (data / "law.toml").write_text(LAW)
    (data / "instruments.toml").write_text("[instruments]\n")
    n, a, b = 2000, 0.02, 0.08
    (tmp_path / "s.toml").write_text(SCENARIO.format(n=n, a=a, b=b))
    sc = load_scenario(tmp_path / "s.toml", data_dir=data)
    q = np.array([[-a, a], [b, -b]])
    reps = 6
    weeks = [4, 13, 26, 52]
    sims = np.array([simulate(sc, years=1.05, seed=1, replication=r).recorder.persons[weeks, 1, 0]
                     for r in range(reps)])
    for k, w in enumerate(weeks):
        p = expm(q * w)[0, 1]
        expected = n * p
        se = math.sqrt(n * p * (1 - p) / reps)  # binomial: people move independently
        assert abs(sims[:, k].mean() - expected) < 4 * se, (w, sims[:, k].mean(), expected, se)
