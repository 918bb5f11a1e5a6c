"""With constant rates the mean stock equals the Markov chain's expm solution, in every engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from sim.engines import ENGINES, get
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
[states.outside]
label_da = "Udenfor"
label_en = "Outside"
public_support = false
unemployed = false
absorbing = true
[age_bands]
unit = "years"
lower = [18]
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
name = "two states"
municipality = "test"
start = 2015-01-01
[population.stocks.employed]
value = {n}
unit = "persons"
source = "test"
[population.age_shares]
unit = "share"
source = "test"
employed = {{ "18+" = 1.0 }}
[population.education_shares]
unit = "share"
source = "test"
employed = {{ basic = 1.0 }}
[population.insured_shares]
unit = "share"
source = "test"
employed = 1.0
[population.education_on_leaving]
unit = "share"
source = "test"
shares = {{ basic = 1.0 }}
[hazards.employed.dagpenge]
unit = "per week"
rate = {a}
source = "test"
[hazards.dagpenge.employed]
unit = "per week"
rate = {b}
source = "test"
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
values = {{ "2015" = 1 }}
"""


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
