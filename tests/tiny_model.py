"""A purpose-built three-state model (dagpenge, employed, education) for fast, exact tests.

Constant hazards, no activation policy and no places, so citizens never interact: the
outcome shares have closed forms (a matrix exponential) and a trial's control group
lives exactly the same life whatever the treatment group gets.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm

from sim.spec.scenario import load_scenario

from .test_analytic import LAW
from .toy_toml import DAGPENGE, EMPLOYED, OUTSIDE, people, scenario, state

STATES = (EMPLOYED + state("education", "Uddannelse", "Education", False, False) + DAGPENGE + OUTSIDE
          + people([18]))
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
SCENARIO = scenario("tiny", "dagpenge", "18+",
                    [("employed", "dagpenge", "{a}"), ("dagpenge", "employed", "{b}"),
                     ("dagpenge", "education", "{c}"), ("education", "employed", "{d}")],
                    places="placebo = 10\n")
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
