"""The model being fitted: the calibration scenario and the free parameters applied to it.

The calibration scenario is the target file's base scenario (its hazards, inflows, law
and policy) moved to the target file's start date with the initial stocks given there,
so that the 2013–2014 plan figures fall inside the simulated period; the multipliers
fitted on it are then applied to the same hazards of the forecast baseline.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from sim.errors import SpecError
from sim.spec.scenario import Scenario, load_scenario
from sim.spec.scaling import Scaling, scale_hazards
from sim.calibration.targets import FreeParameter, TargetSet, check_against, match_hazards


def calibration_scenario(ts: TargetSet, scale: float = 1.0) -> Scenario:
    """The base scenario with the target file's start date and initial stocks (unfitted)."""
    if not Path(ts.scenario).is_file():
        raise SpecError(ts.file, "calibration.scenario", f"file not found ({ts.scenario})")
    base = load_scenario(ts.scenario, fitted=False)
    stocks = dict(base.stocks)
    ages = dict(base.stock_age)
    for name, s in ts.stocks.items():
        if name not in stocks and name in base.state_names:
            raise SpecError(ts.file, f"calibration.initial_stocks.{name}",
                            "the base scenario has no age or education shares for this state")
        stocks[name] = s.value
        if s.age_shares is not None:
            ages[name] = tuple(s.age_shares.get(lab, 0.0) for lab in base.age_labels)
    for name in ts.prior_unemployment:
        if name in base.state_names and not base.state(name).unemployed:
            raise SpecError(ts.file, f"calibration.prior_unemployment.{name}",
                            f"state {name!r} does not count as unemployed")
    sc = replace(base, start=ts.start, stocks=stocks, stock_age=ages,
                 stock_prior=dict(ts.prior_unemployment),
                 name=f"{base.name} (calibration from {ts.start})")
    check_against(ts, sc)
    return sc.scaled(scale) if scale != 1.0 else sc


def resolve(parameters: tuple[FreeParameter, ...], scenario: Scenario) -> dict[str, list[str]]:
    """Free parameter -> the hazard names it multiplies."""
    names = [h.name for h in scenario.hazards]
    out = {}
    for p in parameters:
        hz = []
        for pattern in p.hazards:
            hz += [n for n in match_hazards(pattern, names) if n not in hz]
        if not hz:
            raise SpecError(scenario.file, f"calibration.parameters.{p.name}", "matches no hazard")
        bad = [a for a in p.scaling.ages if a not in scenario.age_labels]
        if bad:
            raise SpecError(scenario.file, f"calibration.parameters.{p.name}.ages",
                            f"unknown age band(s) {bad}; bands: {list(scenario.age_labels)}")
        out[p.name] = hz
    return out


def apply_multipliers(scenario: Scenario, hazards_of: dict[str, list[str]],
                      factors: dict[str, float], how: dict[str, Scaling] | None = None) -> Scenario:
    """Apply each free parameter's factor to its hazards (rate by default; see :mod:`.scaling`)."""
    for name, f in factors.items():
        if not (math.isfinite(f) and f >= 0):
            raise SpecError(scenario.file, f"multipliers.{name}", f"factor must be >= 0, got {f}")
    return scale_hazards(scenario, {k: hazards_of[k] for k in factors}, factors, how)


def scalings(parameters: tuple[FreeParameter, ...]) -> dict[str, Scaling]:
    return {p.name: p.scaling for p in parameters}


def log_bounds(parameters: tuple[FreeParameter, ...]) -> list[tuple[float, float]]:
    return [(math.log(p.lower), math.log(p.upper)) for p in parameters]


def factors_of(parameters: tuple[FreeParameter, ...], x: np.ndarray) -> dict[str, float]:
    return {p.name: float(math.exp(v)) for p, v in zip(parameters, x)}
