"""Stage 0: crude rates from flows and stocks, and the stocks they imply, before any simulation.

Crude rate (the occurrence/exposure logic of R's ``msm::crudeinits``): for an ``events``
target with one source state and an ``fte`` target of that state over the same period,
rate = events ÷ (average stock × weeks). The check then projects the scenario's stocks
with the Markov chain of constant, population-average hazards (crude rates replacing
the hazards they measure), inflows as a constant source, by the matrix exponential of
the augmented intensity matrix, and compares every ``persons``/``fte`` target of whole
states with what that implies. A target far outside (more than ``FLAG`` tolerances
plus ``SLACK`` of the value) is flagged: either the targets contradict one another, or
the starting model is far from them — both worth knowing before hours of simulation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.linalg import expm

from sim.spec.calendar import WEEKS_PER_YEAR, Calendar
from sim.errors import SpecError
from sim.spec.scenario import Scenario
from sim.calibration.targets import TargetSet

FLAG = 3.0
SLACK = 0.25
DURATION_HORIZON = 520.0  # weeks over which duration bands are averaged


def average_rates(scenario: Scenario) -> tuple[list[str], np.ndarray]:
    """Population-average constant intensities Q (per week) between states.

    Each hazard's duration bands are averaged with the occupancy of an exponential spell
    at the state's total first-band exit rate; age, education and membership multipliers
    with the scenario's initial shares of the source state (equal shares if it has none).
    Legal deadlines on the spell clock are added as rate S(L)/∫₀ᴸS at the first dated value.
    """
    names = list(scenario.state_names)
    idx = {n: i for i, n in enumerate(names)}
    q = np.zeros((len(names), len(names)))
    by_source: dict[str, list] = {}
    for h in scenario.hazards:
        by_source.setdefault(h.source, []).append(h)
    for src, hs in by_source.items():
        age = np.array(scenario.stock_age.get(src, [1 / len(scenario.age_lower)] * len(scenario.age_lower)))
        edu = np.array(scenario.stock_education.get(src, [1 / len(scenario.education_levels)] *
                                                    len(scenario.education_levels)))
        ins = scenario.stock_insured.get(src, 0.5)
        base = sum(h.rate[0] for h in hs)
        for h in hs:
            m = float(age @ np.array(h.age)) * float(edu @ np.array(h.education)) * \
                ((1 - ins) * h.insured[0] + ins * h.insured[1])
            q[idx[src], idx[h.dest]] += m * _band_average(h.duration_weeks, h.rate, base)
    for rule in scenario.rules:
        if rule.clock != "spell_weeks":
            continue
        limit = rule.limit.values[0]
        shares = rule.then.values[0]
        for s in rule.states:
            total = q[idx[s]].sum()  # exits by hazards (the diagonal is still zero)
            if not math.isfinite(limit) or total <= 0:
                continue
            surv = math.exp(-total * limit)
            rate = surv * total / (1 - surv)  # S(L) / ∫₀ᴸ S
            for dest, share in shares.items():
                if dest != "stay":
                    q[idx[s], idx[dest]] += rate * share
    np.fill_diagonal(q, 0.0)
    np.fill_diagonal(q, -q.sum(axis=1))
    return names, q


def _band_average(bounds, rates, total: float) -> float:
    edges = list(bounds) + [DURATION_HORIZON]
    num = den = 0.0
    for lo, hi, r in zip(edges[:-1], edges[1:], rates):
        if hi <= lo:
            continue
        occ = (math.exp(-total * lo) - math.exp(-total * hi)) / total if total > 0 else hi - lo
        num += r * occ
        den += occ
    return num / den if den else rates[0]


def inflow_vector(scenario: Scenario, names: list[str]) -> np.ndarray:
    """Newcomers per week into each state (first dated value of each inflow)."""
    f = np.zeros(len(names))
    for inflow in scenario.inflows:
        per_week = inflow.persons_per_year.values[0] / WEEKS_PER_YEAR
        for s, share in inflow.states.items():
            f[names.index(s)] += per_week * share
    return f


def project(scenario: Scenario, q: np.ndarray, names: list[str], weeks: float) -> np.ndarray:
    """Expected persons per state after ``weeks``: x(t) = x(0) expm(A t) with A = [[Q, 0], [f, 0]]."""
    n = len(names)
    a = np.zeros((n + 1, n + 1))
    a[:n, :n] = q
    a[n, :n] = inflow_vector(scenario, names)
    x0 = np.zeros(n + 1)
    for s, v in scenario.stocks.items():
        x0[names.index(s)] = v
    x0[n] = 1.0
    return (x0 @ expm(a * weeks))[:n]


def crude_rates(ts: TargetSet, scenario: Scenario) -> dict[tuple[str, str], float]:
    """(source, destination) -> events ÷ (average stock × weeks), where the targets give both."""
    fte = {(t.states, t.start, t.end): t for t in ts.targets
           if t.measure == "fte" and len(t.states) == 1 and not t.ages and t.factor == 1.0}
    out = {}
    for t in ts.targets:
        if t.measure != "events" or len(t.from_states) != 1 or len(t.to_states) != 1:
            continue
        stock = fte.get((t.from_states, t.start, t.end))
        if stock is None or stock.value <= 0:
            continue
        weeks = (t.end - t.start).days / 7.0
        out[(t.from_states[0], t.to_states[0])] = t.value / (stock.value * weeks)
    return out


def check(ts: TargetSet, scenario: Scenario, raise_on_flag: bool = False) -> pd.DataFrame:
    """Implied value of each whole-state stock target; flags the ones far outside their tolerance."""
    names, q = average_rates(scenario)
    crude = crude_rates(ts, scenario)
    for (a, b), rate in crude.items():
        q[names.index(a), names.index(b)] = rate
    np.fill_diagonal(q, 0.0)
    np.fill_diagonal(q, -q.sum(axis=1))
    cal = Calendar(scenario.start)
    scale = scenario.scale
    rows = []
    for t in ts.targets:
        if t.measure not in ("persons", "fte") or t.ages or t.change:
            continue
        idx = [names.index(s) for s in t.states]
        if t.measure == "persons":
            implied = project(scenario, q, names, cal.week(t.date))[idx].sum()
        else:  # average over the period by the trapezoid rule on 5 points
            w0, w1 = cal.week(t.start), cal.week(t.end)
            implied = float(np.mean([project(scenario, q, names, w)[idx].sum()
                                     for w in np.linspace(w0, w1, 5)]))
        implied *= t.factor
        limit = FLAG * t.tolerance + SLACK * abs(t.value)
        flagged = abs(implied - t.value) > limit
        rows.append({"target": t.name, "value": t.value, "implied": implied, "tolerance": t.tolerance,
                     "flagged": bool(flagged), "held_out": t.held_out})
    df = pd.DataFrame(rows, columns=["target", "value", "implied", "tolerance", "flagged", "held_out"])
    df.attrs["crude_rates"] = crude
    df.attrs["scale"] = scale
    if raise_on_flag and df["flagged"].any():
        bad = df[df["flagged"]].iloc[0]
        raise SpecError(ts.file, f"targets.{bad['target']}.value",
                        f"inconsistent with the other targets: flows and stocks imply "
                        f"{bad['implied']:.4g}, the target says {bad['value']:.4g}")
    return df
