"""A purpose-built three-state model (dagpenge, employed, education) for fast, exact tests.

Constant hazards, no activation policy and no places, so citizens never interact: the
outcome shares have closed forms (a matrix exponential) and a trial's control group
lives exactly the same life whatever the treatment group gets.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm

from sim.spec import load_scenario

from .test_analytic import LAW

STATES = """
[states.employed]
label_da = "Selvforsørgende"
label_en = "Employed"
public_support = false
unemployed = false
[states.education]
label_da = "Uddannelse"
label_en = "Education"
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
INSTRUMENTS = """
[instruments.placebo]
label_da = "Placebo"
company_placement = false
duration_weeks = 8
weekly_cost_dkk = 0
after_weeks = 0
during = {}
after = {}
source = "test: an instrument that changes nothing"
"""
SCENARIO = """
[scenario]
name = "tiny"
municipality = "test"
start = 2015-01-01
[population.stocks.dagpenge]
value = {n}
unit = "persons"
source = "test"
[population.age_shares]
unit = "share"
source = "test"
dagpenge = {{ "18+" = 1.0 }}
[population.education_shares]
unit = "share"
source = "test"
dagpenge = {{ basic = 1.0 }}
[population.insured_shares]
unit = "share"
source = "test"
dagpenge = 1.0
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
[hazards.dagpenge.education]
unit = "per week"
rate = {c}
source = "test"
[hazards.education.employed]
unit = "per week"
rate = {d}
source = "test"
[exits]
[inflows]
[activation.places]
unit = "places"
source = "test"
placebo = 10
[activation.policy]
[business_cycle]
measure = "test"
unit = "persons"
base_year = 2015
source = "test"
values = {{ "2015" = 1 }}
"""
RATES = {"a": 0.01, "b": 0.05, "c": 0.006, "d": 0.02}  # per week


def tiny(tmp_path, n: int = 600, **rates):
    """The tiny scenario with ``n`` people on dagpenge at the start."""
    r = {**RATES, **rates}
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "states.toml").write_text(STATES)
    (data / "law.toml").write_text(LAW)
    (data / "instruments.toml").write_text(INSTRUMENTS)
    (tmp_path / "tiny.toml").write_text(SCENARIO.format(n=n, **r))
    return load_scenario(tmp_path / "tiny.toml", data_dir=data)


def employed_share(weeks: float, boost: float = 1.0, **rates) -> float:
    """P(employed after ``weeks``) for someone on dagpenge now, dagpenge->employed × ``boost``."""
    r = {**RATES, **rates}
    a, b, c, d = r["a"], r["b"] * boost, r["c"], r["d"]
    # states: employed, education, dagpenge
    q = np.array([[-a, 0.0, a], [d, -d, 0.0], [b, c, -b - c]])
    return float(expm(q * weeks)[2, 0])
