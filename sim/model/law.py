"""Rules of the law as scheduled deadlines.

The law says *when* something must happen (dagpenge end after 104 used weeks,
sygedagpenge are reassessed at 22 weeks, uddannelseshjælp ends at 30, …); the engine
schedules that moment as an event instead of hoping a hazard produces it. Each rule
is data in ``sim/data/law.toml``; this module only knows the clocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.spec.calendar import NEVER, WEEKS_PER_YEAR, Calendar, Timeline
from sim.spec.scenario import STAY, Rule, Scenario


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    limit: Timeline
    then: Timeline  # values: (cumulative shares, destinations) ; destination -1 = stay
    durations_cum: tuple[float, ...]


class Law:
    """The rules for each state, ready to compute a citizen's next deadline."""

    def __init__(self, scenario: Scenario, calendar: Calendar) -> None:
        self.calendar = calendar
        index = {n: i for i, n in enumerate(scenario.state_names)}
        self.by_state: list[list[CompiledRule]] = [[] for _ in scenario.states]
        self.pension: CompiledRule | None = None
        for rule in scenario.rules:
            then_values = []
            for shares in rule.then.values:
                dests, cum, acc = [], [], 0.0
                for dest, share in shares.items():
                    if share <= 0:
                        continue
                    acc += share
                    cum.append(acc)
                    dests.append(-1 if dest == STAY else index[dest])
                cum[-1] = 1.0
                then_values.append((tuple(cum), tuple(dests)))
            dcum: tuple[float, ...] = ()
            if rule.durations:
                acc, out = 0.0, []
                for share in rule.durations[1]:
                    acc += share
                    out.append(acc)
                out[-1] = 1.0
                dcum = tuple(out)
            compiled = CompiledRule(rule, rule.limit.timeline(calendar),
                                    Timeline(rule.then.timeline(calendar).starts, tuple(then_values)),
                                    dcum)
            if rule.clock == "pension_age":
                self.pension = compiled
                continue
            for s in rule.states:
                self.by_state[index[s]].append(compiled)
        self.pension_age = scenario.pension_age
        self._pension_by_birth = scenario.pension_age.timeline(calendar)  # by model time of birth
        self.redirects: list[tuple[float, float, tuple[int, ...], dict[int, int]]] = []
        edu_index = {e: i for i, e in enumerate(scenario.education_levels)}
        for r in scenario.redirects:
            self.redirects.append((calendar.week(r.start), r.below_age * WEEKS_PER_YEAR,
                                   tuple(edu_index[e] for e in r.education),
                                   {index[a]: index[b] for a, b in r.map.items()}))

    def pension_time(self, born: float) -> float:
        """Model time at which someone born at model time ``born`` reaches state-pension age."""
        return born + self._pension_by_birth.at(born) * WEEKS_PER_YEAR

    def redirect(self, state: int, t: float, age_weeks: float, edu: int) -> int:
        """The state the law puts a person in who would enter ``state`` (entry rules)."""
        for start, below, edus, mapping in self.redirects:
            if t >= start and age_weeks < below and edu in edus and state in mapping:
                return mapping[state]
        return state

    def deadline(self, c, now: float, drawn: dict) -> tuple[float, CompiledRule | None]:
        """Earliest deadline of the citizen's current spell (rules not yet done)."""
        best, best_rule = c.pension_at, self.pension
        for cr in self.by_state[c.state]:
            if cr.rule.name in c.rules_done:
                continue
            t = self._deadline(cr, c, now, drawn)
            if t < best:
                best, best_rule = t, cr
        return best, best_rule

    def _deadline(self, cr: CompiledRule, c, now: float, drawn: dict) -> float:
        clock = cr.rule.clock
        if clock == "drawn_weeks":
            return c.entered + drawn[cr.rule.name]

        def when(limit: float) -> float:
            if clock == "spell_weeks":
                return c.entered + limit
            if clock == "dagpenge_weeks_used":
                return c.entered + max(limit - c.dp_used, 0.0)
            if clock == "age_years":
                return c.born + limit * WEEKS_PER_YEAR
            raise ValueError(clock)  # pragma: no cover - spec validation rejects others

        if cr.rule.limit_by == "entry":
            return max(when(cr.limit.at(c.entered)), now)
        # "calendar": the first moment the clock has reached the limit in force then.
        for start, end, limit in cr.limit.segments():
            t = max(when(limit), start, now)
            if t < end:
                return t
        return NEVER

    @staticmethod
    def draw_length(cr: CompiledRule, u: float, elapsed: float) -> float:
        """A drawn spell length (e.g. a ressourceforløb of 1-5 years) longer than ``elapsed``.

        New spells have ``elapsed`` 0; spells in progress at the start draw from the
        lengths still possible, with their shares renormalised.
        """
        weeks, shares = cr.rule.durations
        possible = [(w, p) for w, p in zip(weeks, shares) if w > elapsed and p > 0]
        if not possible:  # pragma: no cover - the elapsed-time draw excludes this
            return elapsed
        total = sum(p for _, p in possible)
        acc = 0.0
        for w, p in possible:
            acc += p / total
            if u < acc:
                return w
        return possible[-1][0]

    @staticmethod
    def branch(cr: CompiledRule, t: float, u: float) -> int:
        """Destination index (``-1`` = stay) for a deadline falling at ``t``."""
        cum, dests = cr.then.at(t)
        for c, d in zip(cum, dests):
            if u < c:
                return d
        return dests[-1]
