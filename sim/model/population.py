"""The synthetic population at the start date, and newcomers.

Stocks per state come from the scenario; age, education and a-kasse membership are
drawn from its shares. Time already spent in the current spell is drawn from the
steady-state distribution of elapsed durations (density proportional to the survival
function of the spell, including legal deadlines), so the start is not an artificial
wave of brand-new spells that would all hit the 22- or 104-week rules together.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from sim.spec.calendar import WEEKS_PER_YEAR
from sim.model.hazards import HazardTable
from sim.model.rng import Stream
from sim.spec.scenario import STAY, Scenario

MAX_ELAPSED_WEEKS = 520


def age_range(scenario: Scenario, band: int, pension_age: float) -> tuple[float, float]:
    lo = scenario.age_lower[band]
    hi = scenario.age_lower[band + 1] if band + 1 < len(scenario.age_lower) else pension_age
    return lo, max(hi, lo + 0.01)


def draw_index(u: float, shares) -> int:
    acc = 0.0
    for i, s in enumerate(shares):
        acc += s
        if u < acc:
            return i
    return max(i for i, s in enumerate(shares) if s > 0)


def draw_indices(u: np.ndarray, shares) -> np.ndarray:
    """:func:`draw_index` for an array of uniforms (the same cumulative sums, bit for bit)."""
    cum, acc = [], 0.0
    for share in shares:
        acc += share
        cum.append(acc)
    i = np.searchsorted(np.asarray(cum), u, side="right")
    last = max(k for k, share in enumerate(shares) if share > 0)
    return np.where(i >= len(cum), last, i)


# The initial population's attribute draws, in stream order (one uniform each).
INITIAL_DRAWS = ("age band", "age in band", "education", "insured", "elapsed week",
                 "within the week", "prior unemployment")


def initial_attributes(scenario: Scenario, state: str, u: Sequence[np.ndarray], pension_hi: float,
                       cdf: Callable[[str, int, int, int], Sequence[float]]) -> tuple[np.ndarray, ...]:
    """Attributes of a state's initial stock from its members' first attribute uniforms.

    ``u[k]`` holds the k-th uniform of each member's attribute stream (``INITIAL_DRAWS``);
    ``cdf(state, band, edu, insured)`` is the caller's cached :func:`elapsed_cdf`. Returns
    ``(born, edu, insured, elapsed, prior)``: both engines build the same people from it.
    """
    sc = scenario
    n = len(u[0])
    band = draw_indices(u[0], sc.stock_age[state])
    lo = np.array([age_range(sc, b, pension_hi)[0] for b in range(len(sc.age_lower))])
    hi = np.array([age_range(sc, b, pension_hi)[1] for b in range(len(sc.age_lower))])
    age = lo[band] + (hi[band] - lo[band]) * u[1]
    edu = draw_indices(u[2], sc.stock_education[state])
    insured = (u[3] < sc.stock_insured[state]) | (state == "dagpenge")
    # elapsed duration of the spell in progress, by (age band, education, insured): grouped
    # by one sort, since a mask per stratum would scan the state's stock once each
    keys = (band * len(sc.education_levels) + edu) * 2 + insured
    order = np.argsort(keys, kind="stable")
    sk, u4 = keys[order], u[4][order]
    cuts = np.flatnonzero(sk[1:] != sk[:-1]) + 1
    k = np.empty(n, dtype=np.int64)
    for a, z in zip([0] + cuts.tolist(), cuts.tolist() + [n]):
        key_ = int(sk[a])
        c = cdf(state, key_ // (2 * len(sc.education_levels)), (key_ // 2) % len(sc.education_levels),
                key_ % 2)
        k[a:z] = np.minimum(np.searchsorted(c, u4[a:z], side="right"), len(c) - 1)
    elapsed = np.empty(n)
    elapsed[order] = k + u[5][order]
    prior = prior_unemployed(u[6], sc.stock_prior.get(state))
    return -age * WEEKS_PER_YEAR, edu, insured, elapsed, prior


def elapsed_cdf(scenario: Scenario, hazards: HazardTable, law, state: str, age: int, edu: int,
                insured: int) -> list[float]:
    """CDF over whole weeks of the elapsed duration of a spell in progress at the start.

    Under a steady inflow the elapsed duration has density S(d) / E[D] (renewal
    theory), where S is the spell's survival function from its hazards and deadlines.
    A deadline dated by entry (``limit_by = "entry"``) cuts a spell with elapsed ``d``
    at the limit in force when it began (model time ``-d``), so a start just after a
    change of the law holds spells under the old limit (the dagpenge phase-in); such a
    rule's first date is the earliest a spell under it can have begun (MAY: 6 Jan 2014).
    """
    s = hazards.index[state]
    cyc, _ = hazards.cycle_segment(0.0)
    bounds = hazards.bounds[s]
    d = np.arange(MAX_ELAPSED_WEEKS + 1, dtype=float)
    rate = np.empty_like(d)
    for i, lo in enumerate(bounds):
        total = hazards.row(s, i, age, edu, insured, cyc, None)[0]
        rate[d >= lo] = total
    surv = np.exp(-np.concatenate([[0.0], np.cumsum(rate[:-1])]))
    for cr in law.by_state[s]:
        rule = cr.rule
        stay = sum(v for k, v in rule.then.at(scenario.start).items() if k == STAY)
        if rule.clock in ("spell_weeks", "dagpenge_weeks_used"):
            surv[d >= limit_for_elapsed(cr, d)] *= stay
            if rule.limit_by == "entry":
                surv[-d < cr.limit.starts[0]] = 0.0
        elif rule.clock == "drawn_weeks":
            weeks, shares = rule.durations
            longer = np.zeros_like(d)  # the share of drawn lengths beyond d, summed in order
            for w, sh in zip(weeks, shares):
                longer += np.where(w > d, sh, 0.0)
            surv *= longer
    cdf = np.cumsum(surv)
    if cdf[-1] <= 0.0:
        # no spell of this state can be in progress at the start (its rule begins later, as
        # MAY before 2014): anyone placed here by the data starts a fresh spell
        return [1.0] * len(cdf)
    return (cdf / cdf[-1]).tolist()


def limit_for_elapsed(cr, elapsed: np.ndarray) -> np.ndarray:
    """The limit (weeks) of a rule for spells in progress at the start with ``elapsed`` weeks.

    ``limit_by = "calendar"``: the limit in force at the start, for all. ``"entry"``: the
    limit in force when the spell began, at model time ``-elapsed`` (as
    :meth:`sim.model.law.Law._deadline` reads it from ``c.entered``). Whole weeks ``d`` stand for
    the spells begun in ``(-d-1, -d]``: the limit is read at ``-d``, the cell's latest entry.
    """
    if cr.rule.limit_by != "entry":
        return np.full(len(elapsed), float(cr.limit.at(0.0)))
    starts = np.asarray(cr.limit.starts, dtype=float)
    values = np.asarray(cr.limit.values, dtype=float)
    i = np.maximum(np.searchsorted(starts, -np.asarray(elapsed, dtype=float), side="right") - 1, 0)
    return values[i]


def prior_unemployed(u: np.ndarray, prior: tuple[float, float] | None) -> np.ndarray:
    """Weeks unemployed directly before the spell in progress, for the initial population.

    ``prior = (share, weeks)``: with probability ``share`` a uniform 0..``weeks``, else 0.
    One uniform per citizen does both (``u / share`` is uniform given ``u < share``), so
    the SimPy and vector engines draw it identically (the 7th initial attribute draw).
    """
    if not prior or prior[0] <= 0.0:
        return np.zeros(len(u))
    share, weeks = prior
    return np.where(u < share, weeks * u / share, 0.0)


def newcomer_count(per_year: float, weeks: float, stream: Stream) -> list[float]:
    """Arrival times of a Poisson stream with ``per_year`` arrivals a year over ``weeks``."""
    rate = per_year / WEEKS_PER_YEAR
    out, t = [], 0.0
    if rate <= 0:
        return out
    while True:
        t += -math.log(stream.uniform()) / rate
        if t >= weeks:
            return out
        out.append(t)
