"""The compiled model of the SimPy engine as dense lookup arrays.

Nothing is re-derived: hazard rows come from :meth:`sim.model.hazards.HazardTable.row`,
deadlines from :class:`sim.model.law.Law`'s compiled rules, offers from
:class:`sim.model.activation.Activation`'s policy tables. This module only lays them out
so that a whole batch of citizens can look them up at once.
"""

from __future__ import annotations


import numpy as np
import simpy

from sim.model.activation import Activation
from sim.spec.calendar import NEVER, WEEKS_PER_YEAR, Calendar, Timeline
from sim.model.hazards import HazardTable
from sim.model.law import Law
from sim.spec.scenario import Scenario

INF = np.inf


def timeline_arrays(tl: Timeline) -> tuple[np.ndarray, list]:
    return np.asarray(tl.starts, dtype=float), list(tl.values)


def at(starts: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index of the period of a dated parameter holding at ``t`` (as :meth:`Timeline.at`)."""
    return np.maximum(np.searchsorted(starts, t, side="right") - 1, 0)


def cumulative(shares) -> list[float]:
    acc, out = 0.0, []
    for s in shares:
        acc += s
        out.append(acc)
    return out


def choice(u: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """:meth:`sim.model.rng.Stream.choice`: first ``i`` with ``u < cum[i]``, else the last."""
    return np.minimum((cum[None, :] <= u[:, None]).sum(axis=1), len(cum) - 1)


class HazardArrays:
    """Every hazard row a citizen can need, as flat arrays indexed by :meth:`index`."""

    def __init__(self, hz: HazardTable, scenario: Scenario, effects: list, policy_states: set,
                 cause_id: dict) -> None:
        S = len(scenario.states)
        A = len(scenario.age_lower)
        E = len(scenario.education_levels)
        C = len(hz.cycle_starts)
        F = len(effects)
        nb = max(len(b) for b in hz.bounds)
        self.shape = (S, nb, A, E, 2, C, F)
        self.nbands = np.array([len(b) for b in hz.bounds])
        self.bounds = np.full((S, nb + 1), INF)
        for s, b in enumerate(hz.bounds):
            self.bounds[s, : len(b)] = b
        self.cycle = np.array(list(hz.cycle_starts) + [NEVER])
        rows = []
        K = 1
        for s in range(S):
            for f in (range(F) if s in policy_states else (0,)):
                for b in range(len(hz.bounds[s])):
                    for a in range(A):
                        for e in range(E):
                            for i in (0, 1):
                                for c in range(C):
                                    r = hz.row(s, b, a, e, i, c, effects[f])
                                    rows.append(((s, b, a, e, i, c, f), r))
                                    K = max(K, len(r[1]))
        n = int(np.prod(self.shape))
        self.total = np.zeros(n)
        self.cum = np.full((n, K), INF)
        self.dest = np.zeros((n, K), dtype=np.int16)
        self.cause = np.zeros((n, K), dtype=np.int32)
        self.strides = np.array([int(np.prod(self.shape[k + 1:])) for k in range(7)], dtype=np.int64)
        for key, (total, cum, dests, names) in rows:
            r = int(np.dot(key, self.strides))
            self.total[r] = total
            m = len(cum)
            if m > 1:
                self.cum[r, : m - 1] = cum[: m - 1]
            self.dest[r, :m] = dests
            self.cause[r, :m] = [cause_id[x] for x in names]

    def index(self, s, b, a, e, i, c, f) -> np.ndarray:
        st = self.strides
        return (s.astype(np.int64) * st[0] + b * st[1] + a * st[2] + e * st[3]
                + i * st[4] + c * st[5] + f)


class RuleArrays:
    """One compiled rule of :class:`sim.model.law.Law` for arrays of citizens."""

    def __init__(self, cr, index: int, n_states: int, state_index: dict, calendar: Calendar,
                 drawn_col: int) -> None:
        self.cr = cr
        self.index = index
        self.name = cr.rule.name
        self.clock = cr.rule.clock
        self.by_entry = cr.rule.limit_by == "entry"
        self.in_state = np.zeros(n_states, dtype=bool)
        for s in cr.rule.states:
            self.in_state[state_index[s]] = True
        self.limit_starts, self.limit_values = timeline_arrays(cr.limit)
        self.limit_values = np.asarray(self.limit_values, dtype=float)
        self.segments = cr.limit.segments()
        self.then_starts = np.asarray(cr.then.starts, dtype=float)
        k = max(len(c) for c, _ in cr.then.values)
        self.then_cum = np.full((len(cr.then.values), k), INF)
        self.then_dest = np.zeros((len(cr.then.values), k), dtype=np.int16)
        self.then_len = np.array([len(c) for c, _ in cr.then.values])
        for j, (cum, dests) in enumerate(cr.then.values):
            self.then_cum[j, : len(cum)] = cum
            self.then_dest[j, : len(dests)] = dests
        self.drawn_col = drawn_col
        if self.clock == "drawn_weeks":
            self.durations = np.asarray(cr.rule.durations[0], dtype=float)
            self.shares = np.asarray(cr.rule.durations[1], dtype=float)

    def draw_length(self, u: np.ndarray, elapsed: np.ndarray) -> np.ndarray:
        """:meth:`sim.model.law.Law.draw_length`: a drawn length longer than ``elapsed``."""
        weeks, shares = self.cr.rule.durations
        possible = (self.durations[None, :] > elapsed[:, None]) & (self.shares[None, :] > 0)
        pattern = possible @ (1 << np.arange(len(weeks)))
        out = np.asarray(elapsed, dtype=float).copy()
        for pat in np.unique(pattern):
            pw = [(w, p) for k, (w, p) in enumerate(zip(weeks, shares)) if (int(pat) >> k) & 1]
            if not pw:  # pragma: no cover - the elapsed-time draw excludes this
                continue
            total = sum(p for _, p in pw)
            acc, cum = 0.0, []
            for _, p in pw:
                acc += p / total
                cum.append(acc)
            d = pattern == pat
            k = np.searchsorted(np.asarray(cum), u[d], side="right")
            out[d] = np.asarray([w for w, _ in pw])[np.minimum(k, len(pw) - 1)]
        return out

    def branch(self, t: np.ndarray, u: np.ndarray) -> np.ndarray:
        """:meth:`sim.model.law.Law.branch`: destination (-1 = stay) for deadlines at ``t``."""
        seg = at(self.then_starts, t)
        k = (self.then_cum[seg] <= u[:, None]).sum(axis=1)
        k = np.minimum(k, self.then_len[seg] - 1)
        return self.then_dest[seg, k].astype(np.int64)


class PolicyArrays:
    """One target group's activation policy from :class:`sim.model.activation.Activation`."""

    def __init__(self, pol) -> None:
        exempt, first, repeat, cum, items = pol
        self.exempt = exempt
        self.first_starts = np.asarray(first.starts, dtype=float)
        self.first_values = np.asarray(first.values, dtype=float)  # [period, age band]
        self.repeat_starts = np.asarray(repeat.starts, dtype=float)
        self.repeat_values = np.asarray(repeat.values, dtype=float)
        self.cum = np.asarray(cum, dtype=float)
        self.items = np.asarray(items, dtype=np.int64)

    def first(self, entered: np.ndarray, age: np.ndarray) -> np.ndarray:
        return self.first_values[at(self.first_starts, entered), age]

    def repeat(self, t: np.ndarray) -> np.ndarray:
        return self.repeat_values[at(self.repeat_starts, t)]


class Model:
    """Everything a vectorised run looks up, compiled once per scenario."""

    def __init__(self, scenario: Scenario) -> None:
        sc = scenario
        self.scenario = sc
        self.calendar = Calendar(sc.start)
        self.hazards = HazardTable(sc, self.calendar)
        self.law = Law(sc, self.calendar)
        # the activation tables, built by the SimPy engine's own class (its places are unused)
        self.activation = Activation(simpy.Environment(), sc, self.calendar, lambda c: None, None)
        act = self.activation
        index = self.hazards.index
        self.index = index
        S = len(sc.states)
        self.n_states = S
        self.n_ages = len(sc.age_lower)
        self.n_inst = len(act.names)
        n = self.n_inst
        # effects: 0 none, 1+i during i, 1+n+i after i
        self.effects = [None] + list(act.during) + [a for a in act.after]
        self.after_code = np.array([1 + n + i if act.after[i] is not None else 0 for i in range(n)],
                                   dtype=np.int8)
        self.duration = np.array([inst.duration_weeks for inst in act.instruments])
        self.after_weeks = np.array([inst.after_weeks for inst in act.instruments])
        self.company = np.array(act.company, dtype=bool)
        self.capacity = np.array([p.capacity for p in act.places], dtype=np.int64)
        self.policies: dict[int, PolicyArrays] = {s: PolicyArrays(p) for s, p in enumerate(act.policy)
                                                  if p is not None}
        # handovers to other actors: state -> (share, first week, last week, instrument)
        self.referrals: dict[int, tuple] = {s: r for s, r in enumerate(act.referral) if r is not None}
        # causes of flows
        self.causes = ["initial"] + [f.name for f in sc.inflows] + [r.name for r in sc.rules]
        for h in sc.hazards:
            self.causes.append(h.name)
        self.cause_id = {c: i for i, c in enumerate(dict.fromkeys(self.causes))}
        self.causes = list(self.cause_id)
        self.table = HazardArrays(self.hazards, sc, self.effects, set(self.policies), self.cause_id)
        # rules, in the scenario's order (the order of Law.by_state within each state)
        compiled = {}
        for lst in self.law.by_state:
            for cr in lst:
                compiled[cr.rule.name] = cr
        self.rules: list[RuleArrays] = []
        n_drawn = 0
        for rule in sc.rules:
            if rule.name not in compiled:
                continue
            cr = compiled[rule.name]
            col = -1
            if rule.clock == "drawn_weeks":
                col, n_drawn = n_drawn, n_drawn + 1
            self.rules.append(RuleArrays(cr, len(self.rules), S, index, self.calendar, col))
        if len(self.rules) > 62:  # pragma: no cover - the law has nine rules
            raise ValueError("too many rules for the bit mask")
        self.n_drawn = n_drawn
        self.rules_in_state = np.zeros((S, len(self.rules)), dtype=bool)  # [state, rule]
        for r in self.rules:
            self.rules_in_state[:, r.index] = r.in_state
        self.rule_bits = np.arange(len(self.rules), dtype=np.int64)
        self.pension = self.law.pension
        self.pension_branch = (RuleArrays(self.pension, -1, S, index, self.calendar, -1)
                               if self.pension is not None else None)
        pension = sc.pension_age.timeline(self.calendar)  # by model time of birth, as Law
        self.pension_starts = np.asarray(pension.starts, dtype=float)
        self.pension_years = np.array(pension.values, dtype=float)
        # redirects (entry rules)
        self.redirects = []
        for start, below, edus, mapping in self.law.redirects:
            m = np.arange(S)
            has = np.zeros(S, dtype=bool)
            for a, b in mapping.items():
                m[a] = b
                has[a] = True
            edu_ok = np.zeros(len(sc.education_levels), dtype=bool)  # a lookup, not np.isin
            edu_ok[np.array(edus, dtype=np.int64)] = True
            self.redirects.append((start, below, edu_ok, m, has))
        # states
        self.outside = index["outside"]
        self.employed = index["employed"]
        self.education = index.get("education", -1)
        self.dagpenge = index.get("dagpenge", -1)
        self.unemployed = np.array([s.unemployed for s in sc.states], dtype=bool)
        self.public = np.array([s.public_support for s in sc.states], dtype=bool)
        self.prior_unemployed = np.array([s.prior_unemployed_weeks for s in sc.states], dtype=float)
        self.age_bounds = np.array([a * WEEKS_PER_YEAR for a in sc.age_lower] + [INF])
        self.exit_cum = np.asarray(cumulative(sc.exit_education_to))

    def pension_time(self, born: np.ndarray) -> np.ndarray:
        """:meth:`sim.model.law.Law.pension_time`."""
        return born + self.pension_years[at(self.pension_starts, born)] * WEEKS_PER_YEAR

    def redirect(self, s: np.ndarray, t: np.ndarray, age_weeks: np.ndarray, edu: np.ndarray) -> np.ndarray:
        out = s.copy()
        free = np.ones(len(s), dtype=bool)
        for start, below, edu_ok, mapping, has in self.redirects:
            m = free & (t >= start) & (age_weeks < below) & edu_ok[edu] & has[s]
            out[m] = mapping[s[m]]
            free &= ~m
        return out
