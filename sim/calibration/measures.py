"""Target definitions computed from a run's records: one function per measure.

A :class:`History` is the part of a run the targets look at (weekly persons and
full-time persons by state and age band, flows with their cause, the 1 January
indicators). It is built from any engine's :class:`~sim.engines.simpy_engine.RunResult`, or by hand
in tests. Week ``w`` of the arrays ends ``w`` weeks after the start; a flow in
(w-1, w] is booked to week ``w``, and ``fte[w]`` covers the same week, so a period
[from, to) is the weeks ``round(week(from)) + 1 .. round(week(to))``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from sim.spec.calendar import Calendar
from sim.errors import SpecError
from sim.calibration.targets import Target


@dataclass
class History:
    start: dt.date
    states: tuple[str, ...]
    ages: tuple[str, ...]
    persons: np.ndarray  # [week, state, age] persons at the end of the week
    fte: np.ndarray  # [week, state, age] full-time persons over the week
    flows: dict = field(default_factory=dict)  # (week, src, dst, cause) -> persons
    indicators: list = field(default_factory=list)  # dicts with "date" and indicator values
    scale: float = 1.0

    @classmethod
    def from_run(cls, r) -> "History":
        sc = r.scenario
        rec = r.recorder
        return cls(sc.start, sc.state_names, sc.age_labels, rec.persons, rec.fte, dict(rec.flows),
                   list(rec.indicators), sc.scale)

    @property
    def weeks(self) -> int:
        return self.persons.shape[0] - 1

    def week(self, d: dt.date, target: Target) -> int:
        w = int(round(Calendar(self.start).week(d)))
        if not 0 <= w <= self.weeks:
            raise SpecError("<run>", target.key, f"{d} is outside the simulated weeks 0-{self.weeks}")
        return w

    def _states(self, names) -> list[int]:
        return [self.states.index(s) for s in names]

    def _ages(self, names) -> list[int] | slice:
        return [self.ages.index(a) for a in names] if names else slice(None)


def persons_at(h: History, t: Target, d: dt.date) -> float:
    """Persons in ``t.states`` (and ``t.ages``) at the end of the week holding ``d``."""
    w = h.week(d, t)
    return float(h.persons[w][np.ix_(h._states(t.states), _idx(h, t))].sum())


def fte_over(h: History, t: Target, states=None) -> float:
    """Full-time persons in the states over [from, to): mean of the weekly person-weeks."""
    w0, w1 = h.week(t.start, t), h.week(t.end, t)
    if w1 <= w0:
        raise SpecError("<run>", t.key, "the period is shorter than a week")
    sel = h.fte[w0 + 1:w1 + 1][:, h._states(states if states is not None else t.states)]
    sel = sel[:, :, _idx(h, t)]
    return float(sel.sum() / (w1 - w0))


def fte_share(h: History, t: Target) -> float:
    """Full-time persons in the states ÷ full-time persons in every state (the population)."""
    living = [s for s in h.states if s != "outside"]
    den = fte_over(h, t, living)
    return fte_over(h, t) / den if den else float("nan")


def events_in(h: History, t: Target) -> float:
    """Moves in [from, to) matching the causes and the source/destination states."""
    w0, w1 = h.week(t.start, t), h.week(t.end, t)
    causes = set(t.causes)
    src = set(h._states(t.from_states))
    dst = set(h._states(t.to_states))
    n = 0
    for (week, s, d, cause), k in h.flows.items():
        if w0 < week <= w1 and (not causes or cause in causes) and (not src or s in src) \
                and (not dst or d in dst):
            n += k
    return float(n)


def indicator_at(h: History, t: Target, d: dt.date) -> float:
    for row in h.indicators:
        when = row["date"] if isinstance(row["date"], dt.date) else dt.date.fromisoformat(row["date"])
        if when == d:
            return float(row[t.indicator])
    raise SpecError("<run>", t.key, f"no indicator measured on {d} (only at 1 January inside the run)")


def _idx(h: History, t: Target):
    return h._ages(t.ages) if t.ages else list(range(len(h.ages)))


def level(h: History, t: Target, d: dt.date | None = None) -> float:
    """The model value of a level target, at full scale (counts divided by the run's scale)."""
    if t.measure == "persons":
        v = persons_at(h, t, d or t.date)
    elif t.measure == "indicator":
        v = indicator_at(h, t, d or t.date)
    elif t.measure == "fte":
        v = fte_over(h, t)
    elif t.measure == "events":
        v = events_in(h, t)
    elif t.measure == "fte_share":
        return fte_share(h, t) * t.factor
    else:  # pragma: no cover - the loader allows only the measures above
        raise ValueError(t.measure)
    return v * t.factor / h.scale


def value(h: History, t: Target) -> float:
    """A target's model value: a level, or the relative change (X(to) − X(from)) / X(from)."""
    if t.change == "relative":
        a, b = level(h, t, t.start), level(h, t, t.end)
        return (b - a) / a if a else float("nan")
    return level(h, t)


def values(h: History, targets) -> np.ndarray:
    return np.array([value(h, t) for t in targets], dtype=float)
