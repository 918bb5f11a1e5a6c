"""Invariants checked while a run goes (``caseflow run --check``): a wrong model stops loudly.

The engine is not asked to check itself: :class:`Invariants` is a watcher
(``simulate(..., watchers=(w,))``) that looks at the live simulation every week and
recomputes, from the scenario's own data, what must hold:

* **persons conserved** — per state, the members equal the recorder's stock and the
  flows into the state minus the flows out of it; everyone created is in a state or
  has left;
* **no negative stock** — live counts and the recorded weekly arrays;
* **rules of the law** — nobody in a state past a rule's limit without the rule having
  extended them: dagpenge beyond the used weeks in force, sygedagpenge past the
  reassessment, uddannelseshjælp at 30 or over, a ressourceforløb longer than drawn,
  anyone in the working-age population past state-pension age;
* **costs non-negative** — :func:`check_costs` on the cost table after the run.

:func:`check_recorded` checks the arrays any engine records (conservation through the
flows, non-negative stocks) after a run: the vector engine has no live citizens to
watch, so ``--engine vector --check`` runs that and the cost check only.

A violation raises :class:`InvariantError` naming the check, citizen, state and week;
the CLI prints it and exits with code 1 (code 2 is for bad input the user can fix).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from sim.spec.calendar import WEEKS_PER_YEAR

TOLERANCE = 1e-6  # weeks: deadlines and checks fall on the same float times
PENSION_SLACK = 0.2  # weeks: the pension age is looked up by birth *date* (a day is 0.14 weeks)


class InvariantError(RuntimeError):
    """The model broke one of its invariants: a bug (or data the loader should have refused)."""

    def __init__(self, check: str, week: float | None, message: str, citizen: Any = None,
                 state: str | None = None) -> None:
        self.check, self.week, self.message, self.citizen, self.state = check, week, message, citizen, state
        # all the arguments, so SimPy and process pools can re-create the exception from args
        super().__init__(check, week, message, citizen, state)

    def __str__(self) -> str:
        where = [f"citizen {self.citizen!r}"] if self.citizen is not None else []
        where += [f"in {self.state}"] if self.state else []
        where += [f"at week {self.week:g}"] if self.week is not None else []
        return f"invariant violated ({self.check}): {' '.join(where)}: {self.message}"


class Invariants:
    """A watcher checking every week of a SimPy run; ``counts`` tallies the checks made."""

    def __init__(self, scenario, years: float) -> None:
        self.scenario = scenario
        self.times = list(range(0, int(math.ceil(years * WEEKS_PER_YEAR)) + 1))
        self.counts: Counter = Counter()
        self._pension: dict = {}  # citizen id -> state-pension age in weeks (by birth date)
        names = scenario.state_names
        self.index = {n: i for i, n in enumerate(names)}
        # state -> rules that bound its spells (the pension rule bounds every state)
        self.rules: list[list] = [[] for _ in names]
        self.pension = None
        for rule in scenario.rules:
            if rule.clock == "pension_age":
                self.pension = rule
                continue
            for s in rule.states:
                self.rules[self.index[s]].append(rule)

    def __call__(self, sim, t: float) -> None:
        self._conservation(sim, t)
        self._no_negative_stock(sim, t)
        if t >= 1:  # at 0 the initial population's overdue deadlines are still being applied
            self._rules(sim, t)

    # -- persons conserved ---------------------------------------------------------------
    def _conservation(self, sim, t: float) -> None:
        rec = sim.recorder
        names = self.scenario.state_names
        net = [0] * len(names)
        for (_, src, dst, _), n in rec.flows.items():
            net[dst] += n
            if src >= 0:
                net[src] -= n
        living = 0
        for s, members in enumerate(sim.members):
            if s == sim.outside:
                continue
            living += len(members)
            self.counts["persons: each member is in its state"] += len(members)
            for cid, c in members.items():
                if c.state != s:
                    raise InvariantError("persons conserved", t, f"listed in {names[s]} but its state "
                                         f"is {names[c.state] if c.state >= 0 else 'none'}",
                                         citizen=cid, state=names[s])
            self.counts["persons: members = recorder stock = flows in - out"] += 1
            if len(members) != sum(rec.count[s]) or len(members) != net[s]:
                raise InvariantError("persons conserved", t, f"{len(members)} members, recorder stock "
                                     f"{sum(rec.count[s])}, flows in - out {net[s]}", state=names[s])
        self.counts["persons: created = living + left"] += 1
        if sim.created != living + net[sim.outside]:
            raise InvariantError("persons conserved", t, f"{sim.created} created, {living} living, "
                                 f"{net[sim.outside]} left")

    # -- no negative stock -----------------------------------------------------------------
    def _no_negative_stock(self, sim, t: float) -> None:
        rec = sim.recorder
        for s, row in enumerate(rec.count):
            self.counts["stock: live count >= 0"] += 1
            if min(row) < 0:
                raise InvariantError("no negative stock", t, f"count by age band {list(row)}",
                                     state=self.scenario.state_names[s])
        w = int(t)
        if w >= 1:
            self.counts["stock: recorded persons, fte >= 0"] += 1
            for arr, what in ((rec.persons[w - 1], "persons"), (rec.fte[w - 1], "fte")):
                bad = np.argwhere(arr < 0)
                if len(bad):
                    raise InvariantError("no negative stock", w - 1, f"recorded {what} {arr[tuple(bad[0])]}",
                                         state=self.scenario.state_names[bad[0][0]])

    # -- rules of the law -------------------------------------------------------------------
    def _rules(self, sim, t: float) -> None:
        cal = sim.calendar
        today = cal.date(t)
        names = self.scenario.state_names
        for s, members in enumerate(sim.members):
            rules = self.rules[s]
            for cid, c in members.items():
                if self.pension is not None:
                    self.counts["law: below state-pension age"] += 1
                    pension = self._pension.get(cid)
                    if pension is None:
                        pension = self._pension[cid] = \
                            self.scenario.pension_age.at(cal.date(c.born)) * WEEKS_PER_YEAR
                    if t - c.born > pension + PENSION_SLACK and not _due(c, t):
                        raise InvariantError(self.pension.name, t, f"aged {(t - c.born) / WEEKS_PER_YEAR:.2f}, "
                                             f"past state-pension age {pension / WEEKS_PER_YEAR:g}",
                                             citizen=cid, state=names[s])
                for rule in rules:
                    if rule.name in c.rules_done:
                        continue  # extended at the deadline (the rule's 'stay' branch)
                    self.counts[f"law: {rule.name}"] += 1
                    clock, limit = _clock(rule, c, t, cal, today)
                    if clock > limit + TOLERANCE and not _due(c, t):
                        unit = "years" if rule.clock in ("age_years",) else "weeks"
                        raise InvariantError(rule.name, t, f"{rule.clock} is {clock:.4g} {unit}, beyond "
                                             f"the limit {limit:g} in force, not extended",
                                             citizen=cid, state=names[s])


def _due(c, t: float) -> bool:
    """A deadline falling exactly now that the engine has not processed yet."""
    return c.deadline <= t + TOLERANCE


def _clock(rule, c, t: float, cal, today) -> tuple[float, float]:
    """(the rule's clock for the citizen now, the limit it must not pass), from the scenario's data."""
    if rule.clock == "drawn_weeks":
        return t - c.entered, max(rule.durations[0])
    when = cal.date(c.entered) if rule.limit_by == "entry" else today
    limit = rule.limit.at(when)
    if rule.clock == "spell_weeks":
        return t - c.entered, limit
    if rule.clock == "dagpenge_weeks_used":
        return c.dp_used + (t - c.entered), limit
    if rule.clock == "age_years":
        return (t - c.born) / WEEKS_PER_YEAR, limit
    raise ValueError(rule.clock)  # pragma: no cover - the loader knows only these clocks


def watchers_for(scenario, years: float, engine: str = "simpy") -> tuple:
    """The live checks for an engine: the SimPy engine takes a watcher; the vector engine
    has no live citizens, so it gets none and relies on :func:`after_run`."""
    return (Invariants(scenario, years),) if engine == "simpy" else ()


def after_run(r, cost_table=None) -> Counter:
    """The checks any engine's result supports: recorded arrays, then the costs."""
    counts = check_recorded(r)
    if cost_table is not None:
        counts += check_costs(cost_table)
    return counts


# ---------------------------------------------------------------------------
# After a run (any engine)
# ---------------------------------------------------------------------------
def check_recorded(r) -> Counter:
    """Conservation and non-negative stocks from the recorded arrays; returns the checks made."""
    rec, sc = r.recorder, r.scenario
    names = sc.state_names
    counts: Counter = Counter()
    weeks, n_states = rec.persons.shape[0], len(names)
    net = np.zeros((weeks + 1, n_states), dtype=np.int64)
    for (w, src, dst, _), n in rec.flows.items():
        net[min(w, weeks), dst] += n
        if src >= 0:
            net[min(w, weeks), src] -= n
    cum = np.cumsum(net, axis=0)
    outside = names.index("outside")
    for w in range(weeks):
        stock = rec.persons[w].sum(axis=1)
        for s in range(n_states):
            counts["recorded: persons >= 0"] += 1
            if (rec.persons[w, s] < 0).any() or (rec.fte[w, s] < -TOLERANCE).any():
                raise InvariantError("no negative stock", w, "recorded persons or fte below zero", state=names[s])
            if s == outside:
                continue
            counts["recorded: persons = flows in - out"] += 1
            if stock[s] != cum[w, s]:
                raise InvariantError("persons conserved", w, f"{stock[s]} persons recorded, flows in - out "
                                     f"{cum[w, s]}", state=names[s])
    counts["recorded: created = living + left"] += 1
    living = int(rec.persons[weeks - 1].sum() - rec.persons[weeks - 1, outside].sum())
    left = int(cum[weeks - 1, outside])
    created = getattr(r, "persons_created", None)
    if created is not None and created != living + left and not _late_flows(rec, weeks):
        raise InvariantError("persons conserved", weeks - 1, f"{created} created, {living} living, {left} left")
    return counts


def _late_flows(rec, weeks: int) -> bool:
    """Moves after the last snapshot (booked to a week past the arrays) make the end count differ."""
    return any(w >= weeks for (w, *_rest) in rec.flows)


def check_costs(table) -> Counter:
    """Every money column of a cost table (:func:`sim.outputs.costs.table`) is finite and not negative."""
    counts: Counter = Counter()
    for col in ("gross_dkk", "refund_dkk", "net_municipal_dkk", "cofinancing_dkk", "fte"):
        values = table[col].to_numpy(dtype=float)
        counts[f"costs: {col} >= 0"] += len(values)
        bad = np.flatnonzero(~np.isfinite(values) | (values < -1e-6))
        if len(bad):
            row = table.iloc[int(bad[0])]
            raise InvariantError("costs non-negative", None,
                                 f"{col} = {row[col]} in {int(row['year'])} ({row['kind']} {row['instrument']})".rstrip(),
                                 state=row["state"])
    return counts
