"""A tiny employed <-> dagpenge model from strings (as tests/test_analytic.py) for calibration tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.linalg import expm

from sim.spec.scenario import load_scenario

from .test_analytic import LAW, SCENARIO, STATES

TARGETS_HEAD = """
[calibration]
scenario = "s.toml"
start = 2015-01-01
years = {years}
[calibration.parameters.entry]
hazards = ["employed->dagpenge"]
lower = 0.4
upper = 2.5
source = "test"
[calibration.parameters.exit]
hazards = ["dagpenge->employed"]
lower = 0.4
upper = 2.5
source = "test"
"""

PERSONS_TARGET = """
[targets.{name}]
measure = "persons"
states = ["dagpenge"]
date = {date}
value = {value}
unit = "persons"
tolerance = {tol}
held_out = {held_out}
definition = "persons on dagpenge"
source = "test"
"""


def tiny_scenario(tmp: Path, n: int = 1000, a: float = 0.02, b: float = 0.08):
    data = tmp / "data"
    data.mkdir(exist_ok=True)
    (data / "states.toml").write_text(STATES)
    (data / "law.toml").write_text(LAW)
    (data / "instruments.toml").write_text("[instruments]\n")
    (tmp / "s.toml").write_text(SCENARIO.format(n=n, a=a, b=b))
    return load_scenario(tmp / "s.toml", data_dir=data)


def markov(a: float, b: float, weeks) -> tuple[np.ndarray, np.ndarray]:
    """P(on dagpenge at each week) and the covariance of one person's indicators across weeks."""
    q = np.array([[-a, a], [b, -b]])
    weeks = list(weeks)
    p = np.array([expm(q * w)[0, 1] for w in weeks])
    cov = np.empty((len(weeks), len(weeks)))
    for i, s in enumerate(weeks):
        for j, t in enumerate(weeks):
            lo, hi = (s, t) if s <= t else (t, s)
            plo = expm(q * lo)[0, 1]
            cov[i, j] = plo * expm(q * (hi - lo))[1, 1] - p[i] * p[j]
    return p, cov
