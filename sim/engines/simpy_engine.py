"""The SimPy engine: one process per citizen, competing hazards between scheduled events.

Each citizen's next event is the earlier of (a) a competing-risks draw from the
piecewise-constant hazards of the current spell — integrated exactly across
duration-band and business-cycle boundaries by inverting the cumulative hazard —
and (b) the next scheduled event: a legal deadline, an age-band change, an offer
falling due, or an activation effect ending. Rules live in :mod:`sim.model.law`,
activation in :mod:`sim.model.activation`; this module only moves people and counts.
"""

from __future__ import annotations

import bisect
import gc
import math
import time
from dataclasses import dataclass

import simpy

from sim.model.activation import Activation
from sim.spec.calendar import NEVER, WEEKS_PER_YEAR, Calendar
from sim.model.hazards import HazardTable
from sim.model.population import (INITIAL_DRAWS, age_range, draw_index, elapsed_cdf, initial_attributes,
                         newcomer_count)
from sim.engines.recorder import Recorder
from sim.model.rng import Stream, Streams, inflow_key, initial_streams, key, newcomer_base, replication_key
from sim.model.law import Law
from sim.spec.scenario import Scenario

# Kinds of scheduled event
DEADLINE, AGE, EFFECT, OFFER, HAZARD = range(5)
# Shared empty values: most spells have no rule done and no drawn length
NO_RULES_DONE: frozenset = frozenset()
NO_DRAWN: dict = {}


def rule_done(c: "Citizen", name: str) -> None:
    """Mark a rule as done for the citizen's current spell (extended, or already passed)."""
    if not c.rules_done:
        c.rules_done = set()
    c.rules_done.add(name)


class Citizen:
    """One synthetic person. Times are model weeks; ``born`` is negative for adults."""

    __slots__ = ("id", "born", "edu", "insured", "state", "age", "next_age", "entered",
                 "dp_used", "unemp", "history", "effect", "effect_until", "offer_at",
                 "request", "deadline", "rule", "rules_done", "drawn", "pension_at",
                 "streams", "proc", "since", "support_since", "prog_since")

    def __init__(self, cid, born: float, edu: int, insured: bool, streams) -> None:
        self.id = cid
        self.born = born
        self.edu = edu
        self.insured = insured
        self.state = -1
        self.age = 0
        self.next_age = NEVER
        self.entered = 0.0
        self.dp_used = 0.0
        self.unemp: list[list[float]] = []  # [start, end] of unemployment spells, recent
        self.history: list[tuple[float, str]] = []  # activation starts
        self.effect = None
        self.effect_until = NEVER
        self.offer_at = NEVER
        self.request = None
        self.deadline = NEVER
        self.rule = None
        self.rules_done: frozenset | set[str] = NO_RULES_DONE
        self.drawn: dict[str, float] = NO_DRAWN
        self.pension_at = NEVER
        self.streams = streams
        self.proc = None
        self.since = 0.0  # model time the current state was entered (>= 0; for recording)
        self.support_since = NEVER  # start of the current continuous time on public support
        self.prog_since = 0.0  # start of the programme in progress

    def age_years(self, t: float) -> float:
        return (t - self.born) / WEEKS_PER_YEAR

    def unemployed_weeks(self, now: float, window: float) -> float:
        """Weeks in unemployment (incl. activation while unemployed) within the last ``window``."""
        lo = now - window
        total = 0.0
        for start, end in self.unemp:
            end = now if end is None else end
            if end > lo:
                total += end - max(start, lo)
        return total


@dataclass
class RunResult:
    """One replication's raw records; :mod:`sim.outputs.tables` turns them into tables."""

    scenario: Scenario
    replication: int
    seed: int
    weeks: int
    recorder: Recorder
    persons_created: int
    events: int
    wall_seconds: float


class Simulation:
    """One replication of a scenario in SimPy."""

    def __init__(self, scenario: Scenario, years: float, seed: int, replication: int = 0,
                 trace: set | None = None, watchers: tuple = ()) -> None:
        self.scenario = scenario
        self.calendar = Calendar(scenario.start)
        self.weeks = int(math.ceil(years * WEEKS_PER_YEAR))
        self.horizon = float(self.weeks)
        self.seed = seed
        self.replication = replication
        self.rep_key = replication_key(seed, replication)
        self.env = simpy.Environment()
        self.hazards = HazardTable(scenario, self.calendar)
        self.law = Law(scenario, self.calendar)
        self.index = self.hazards.index
        self.names = scenario.state_names
        self.outside = self.index["outside"]
        self.employed = self.index["employed"]
        self.education = self.index["education"] if "education" in self.index else -1
        self.dagpenge = self.index.get("dagpenge", -1)
        self.unemployed = [s.unemployed for s in scenario.states]
        self.prior_unemployed = [s.prior_unemployed_weeks for s in scenario.states]
        self.redirected = [any(i in mapping for *_, mapping in self.law.redirects)
                           for i in range(len(scenario.states))]  # states an entry rule may change
        self.age_bounds = [a * WEEKS_PER_YEAR for a in scenario.age_lower]
        self.recorder = Recorder(len(scenario.states), len(scenario.age_lower), self.weeks,
                                 len(scenario.instruments), trace, scenario.support_bands)
        self.support = [s.public_support for s in scenario.states]
        self.activation = Activation(self.env, scenario, self.calendar, self._wake, self.recorder)
        self.members: list[dict] = [dict() for _ in scenario.states]
        self.year_ends = [t for t in self.calendar.year_starts(int(years) + 1) if t <= self.horizon]
        self.created = 0
        self.watchers = tuple(watchers)
        self._cdf_cache: dict = {}
        self._exit_cum = []
        acc = 0.0
        for share in scenario.exit_education_to:
            acc += share
            self._exit_cum.append(acc)

    # -- public -------------------------------------------------------------------------
    def run(self) -> RunResult:
        t0 = time.perf_counter()
        # The population is long-lived and makes no reference cycles the run needs
        # collected: keep the cyclic garbage collector from re-scanning it every few
        # thousand allocations (about half the CPU time of a run), and restore it afterwards.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run(t0)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _run(self, t0: float) -> RunResult:
        self._populate()
        for inflow in self.scenario.inflows:
            self.env.process(self._arrivals(inflow))
        self.env.process(self._observe())
        for w in self.watchers:
            self.env.process(self._watch(w))
        self.env.run(until=self.horizon + 1e-9)
        self._close_episodes()
        return RunResult(self.scenario, self.replication, self.seed, self.weeks, self.recorder,
                         self.created, self.recorder.events, time.perf_counter() - t0)

    # -- population ---------------------------------------------------------------------------
    def _populate(self) -> None:
        """The initial population: attributes drawn for everyone at once, then entered one by one.

        The draws are the citizens' own attribute streams (vectorised, bit-identical to
        drawing them one at a time), so common random numbers hold as for newcomers.
        """
        sc = self.scenario
        pension_hi = self.law.pension_age.at(sc.start.replace(year=sc.start.year - 65))
        sizes = [(state, int(round(stock * sc.scale))) for state, stock in sc.stocks.items()]
        total = sum(n for _, n in sizes)
        base, tr_seed, attr_state, u_all = initial_streams(self.rep_key, total, len(INITIAL_DRAWS))
        base, tr_seed, attr_state = base.tolist(), tr_seed.tolist(), attr_state.tolist()
        first = 0
        for state, n in sizes:
            if n == 0:
                continue
            s = self.index[state]
            u = [u_all[first:first + n, k] for k in range(len(INITIAL_DRAWS))]
            people = initial_attributes(sc, state, u, pension_hi, self._elapsed_cdf)
            for j, (b, e, ins, el, pr) in enumerate(zip(*(a.tolist() for a in people))):
                cid = first + j
                streams = Streams(base[cid], tr_seed[cid], attr_state[cid])
                self._enter(Citizen(cid, b, e, ins, streams), s, 0.0, "initial", initial_elapsed=el,
                            prior=pr)
            first += n
        self.created = total

    def _elapsed_cdf(self, state: str, band: int, edu: int, insured: int):
        k = (state, band, edu, insured)
        if k not in self._cdf_cache:
            self._cdf_cache[k] = elapsed_cdf(self.scenario, self.hazards, self.law, state, band,
                                             edu, insured)
        return self._cdf_cache[k]

    def _arrivals(self, inflow):
        """Newcomers of one kind (turning 18, moving in, refugees) as a Poisson stream."""
        sc = self.scenario
        stream = Stream(key(self.rep_key, "inflow", inflow.name))
        times = []
        for start, end, per_year in inflow.persons_per_year.timeline(self.calendar).segments():
            lo, hi = max(start, 0.0), min(end, self.horizon)
            if hi > lo:
                times += [lo + t for t in newcomer_count(per_year * sc.scale, hi - lo, stream)]
        states = list(inflow.states)
        shares = [inflow.states[s] for s in states]
        ikey = inflow_key(self.rep_key, inflow.name)  # = citizen_streams(rep_key, f"{name}:{k}")
        for k, t in enumerate(times):
            yield self.env.timeout(max(t - self.env.now, 0.0))
            self.recorder.events += 1
            streams = Streams(newcomer_base(ikey, k))
            attr = streams.attributes
            if inflow.age is not None:
                age = inflow.age
            else:
                band = draw_index(attr.uniform(), inflow.age_bands)
                lo, hi = age_range(sc, band, 65.0)
                age = lo + (hi - lo) * attr.uniform()
            state = states[draw_index(attr.uniform(), shares)]
            edu = draw_index(attr.uniform(), inflow.education)
            insured = attr.uniform() < inflow.insured_share
            c = Citizen(f"{inflow.name}:{k}", t - age * WEEKS_PER_YEAR, edu, insured, streams)
            self.created += 1
            self._enter(c, self.index[state], t, inflow.name)

    # -- moving people --------------------------------------------------------------------------
    def _enter(self, c: Citizen, s: int, now: float, cause: str, initial_elapsed: float = 0.0,
               src: int = -1, prior: float = 0.0) -> None:
        """Put a citizen into state ``s`` (or where the law redirects them).

        ``prior``: weeks an initial citizen was unemployed just before this spell (drawn).
        """
        age_weeks = now - c.born
        if self.redirected[s]:
            s = self.law.redirect(s, now, age_weeks, c.edu)
        new = c.state < 0
        if new:
            c.pension_at = self.law.pension_time(c.born)
            c.age = max(bisect.bisect_right(self.age_bounds, age_weeks) - 1, 0)
            nxt = c.age + 1
            c.next_age = c.born + self.age_bounds[nxt] if nxt < len(self.age_bounds) else NEVER
        c.state = s
        c.entered = now - initial_elapsed
        c.since = now
        if not self.support[s]:
            c.support_since = NEVER
        elif c.support_since == NEVER:
            c.support_since = c.entered
        c.rules_done = NO_RULES_DONE
        rec = self.recorder
        rec.flows[(rec.open, src, s, cause)] += 1  # rec.flow(...), inlined
        if c.id in rec.trace:
            rec.note(c, now, "enter", f"{self.names[s]} ({cause})")
        if s == self.outside:
            return
        a = c.age  # rec.add(s, a, now), inlined
        cs, ls = rec.count[s], rec.last[s]
        rec.area[s][a] += cs[a] * (now - ls[a])
        ls[a] = now
        cs[a] += 1
        self.members[s][c.id] = c
        if s == self.dagpenge:
            c.insured = True
            if initial_elapsed:
                c.dp_used = 0.0  # spell so far counted through c.entered
        if self.unemployed[s]:
            prior = self.prior_unemployed[s] + prior if new else 0.0
            c.unemp.append([c.entered - prior, None])
        rules = self.law.by_state[s]
        if rules:
            c.drawn = {cr.rule.name: self.law.draw_length(cr, c.streams.rule.uniform(), now - c.entered)
                       for cr in rules if cr.durations_cum}
            if initial_elapsed:
                self._mark_extended(c, now)
            c.deadline, c.rule = self.law.deadline(c, now, c.drawn)
        else:
            c.drawn = NO_DRAWN
            c.deadline, c.rule = c.pension_at, self.law.pension
        if initial_elapsed or new and now == 0.0:
            self.activation.start_initial(c, now)
        else:
            self.activation.on_entry(c, now)
        if new:
            self._start(c, now)

    def _mark_extended(self, c: Citizen, now: float) -> None:
        """Initial spells already past a deadline with a 'stay' branch were extended."""
        for cr in self.law.by_state[c.state]:
            by = c.entered if cr.rule.limit_by == "entry" else now
            if cr.rule.clock == "spell_weeks" and now - c.entered >= cr.limit.at(by):
                rule_done(c, cr.rule.name)

    def _leave(self, c: Citizen, now: float) -> None:
        s = c.state
        rec = self.recorder
        a = c.age  # rec.add(s, a, now, -1), inlined: this runs for every transition
        cs, ls = rec.count[s], rec.last[s]
        rec.area[s][a] += cs[a] * (now - ls[a])
        ls[a] = now
        cs[a] -= 1
        if self.support[s]:
            rec.support_episode(s, c.since, now, c.support_since)
        del self.members[s][c.id]
        if c.effect is not None or c.request is not None:  # a programme or a place to give up
            self.activation.on_exit(c, now)
        else:
            c.offer_at = NEVER
        if s == self.dagpenge:
            c.dp_used += now - c.entered
        elif s == self.employed and now - c.entered >= self.scenario.reearning_weeks:
            c.dp_used = 0.0  # re-earned a new dagpenge period
        if self.unemployed[s] and c.unemp:
            c.unemp[-1][1] = now
            window = self.scenario.long_term_window
            c.unemp = [iv for iv in c.unemp if iv[1] is None or iv[1] > now - window]

    def _move(self, c: Citizen, dest: int, now: float, cause: str) -> None:
        src = c.state
        self._leave(c, now)
        if src == self.education and dest == self.employed:
            level = c.streams.attributes.choice(tuple(self._exit_cum))
            c.edu = max(c.edu, level)
        self._enter(c, dest, now, cause, src=src)

    def _wake(self, c: Citizen) -> None:
        """Something outside the citizen's process changed its hazards (a place was granted)."""
        if c.proc is None:
            if c.state != self.outside:
                self._start(c, self.env.now)
        elif c.proc.is_alive and c.proc.target is not None:
            c.proc.interrupt()

    # -- the life of one citizen -----------------------------------------------------------------------
    def _next_event(self, c: Citizen, now: float) -> tuple[float, int, tuple | None]:
        """The citizen's next event: (time, kind, hazard row) — the earlier of a scheduled
        event and a competing-hazards draw integrated exactly across band and cycle ends."""
        hard, kind = c.deadline, DEADLINE
        if c.next_age < hard:
            hard, kind = c.next_age, AGE
        if c.effect_until < hard:
            hard, kind = c.effect_until, EFFECT
        if c.offer_at < hard:
            hard, kind = c.offer_at, OFFER
        hz = self.hazards
        s = c.state
        bounds = hz.bounds[s]
        cyc_starts = hz.cycle_starts
        ncyc = len(cyc_starts)
        cache = hz.cache
        effect = c.effect
        effect_key = effect.key if effect is not None else None
        e = -math.log(c.streams.transition.uniform())
        t = now
        ci = bisect.bisect_right(cyc_starts, t) - 1
        bi = bisect.bisect_right(bounds, t - c.entered + 1e-9) - 1
        nb = len(bounds)
        while True:
            band_end = c.entered + bounds[bi + 1] if bi + 1 < nb else NEVER
            cyc_end = cyc_starts[ci + 1] if ci + 1 < ncyc else NEVER
            seg_end = band_end if band_end < cyc_end else cyc_end
            if hard < seg_end:
                seg_end = hard
            entry = cache.get((s, bi, c.age, c.edu, c.insured, ci, effect_key))  # hz.row, inlined
            if entry is None:
                entry = hz.row(s, bi, c.age, c.edu, c.insured, ci, effect)
            total = entry[0]
            span = seg_end - t
            if total * span >= e:
                return max(t + e / total, now), HAZARD, entry
            e -= total * span
            t = seg_end
            if t >= hard:
                # a scheduled time a rounding error in the past happens now
                return max(t, now), kind, None
            # advance whichever clock ended the segment (both, if they coincide)
            if seg_end == band_end:
                bi += 1
            if seg_end == cyc_end:
                ci += 1

    def _start(self, c: Citizen, now: float) -> None:
        """Give the citizen a process, unless nothing can happen to them before the horizon.

        A citizen with no event in the run (a third of the employed, say) costs no process;
        if something outside changes their hazards later, :meth:`_wake` starts one then.
        """
        t, kind, entry = self._next_event(c, now)
        if t <= self.horizon:
            c.proc = self.env.process(self._life(c, t, kind, entry))

    def _life(self, c: Citizen, t: float, kind: int, entry: tuple | None):
        env = self.env
        rec = self.recorder
        outside = self.outside
        while True:
            try:
                # an event past the horizon never fires (the run stops first), but the
                # citizen can still be woken by a granted place, so it waits all the same
                # (t - env.now may be a rounding error below zero: env.now is a running sum)
                yield env.event() if t == NEVER else env.timeout(max(t - env.now, 0.0))
            except simpy.Interrupt:
                # hazards changed; memorylessness makes a fresh draw exact
                t, kind, entry = self._next_event(c, env.now)
                continue
            rec.events += 1
            now = t
            if kind == HAZARD:
                total, cum, dests, names = entry
                u = c.streams.transition.uniform()
                k = 0
                last = len(cum) - 1
                while k < last and u >= cum[k]:
                    k += 1
                self._move(c, dests[k], now, names[k])
            elif kind == DEADLINE:
                self._deadline(c, now)
            elif kind == AGE:
                rec.add(c.state, c.age, now, -1)
                c.age += 1
                rec.add(c.state, c.age, now, 1)
                nxt = c.age + 1
                c.next_age = c.born + self.age_bounds[nxt] if nxt < len(self.age_bounds) else NEVER
            elif kind == EFFECT:
                self.activation.on_effect_end(c, now)
            else:
                self.activation.on_offer(c, now)
            if c.state == outside:
                break
            t, kind, entry = self._next_event(c, now)
        if c.id in rec.trace:
            rec.note(c, env.now, "exit", "left the working-age population")

    def _deadline(self, c: Citizen, now: float) -> None:
        cr = c.rule
        dest = self.law.branch(cr, now, c.streams.rule.uniform())
        if c.id in self.recorder.trace:
            self.recorder.note(c, now, "rule", cr.rule.name)
        if dest < 0:  # extended: the rule is done for this spell
            rule_done(c, cr.rule.name)
            c.deadline, c.rule = self.law.deadline(c, now, c.drawn)
            return
        self._move(c, dest, now, cr.rule.name)

    def _close_episodes(self) -> None:
        """Record the spells and programmes still running at the horizon."""
        rec, end = self.recorder, self.horizon
        for s, members in enumerate(self.members):
            for c in members.values():
                if self.support[s]:
                    rec.support_episode(s, c.since, end, c.support_since)
                if c.effect is not None and c.effect.key[0] == "during":
                    rec.programme_episode(s, c.effect.key[1], c.prog_since, end)
        rec.flush()

    # -- observation ------------------------------------------------------------------------------
    def _observe(self):
        """Weekly stock snapshots and year-end plan indicators."""
        env = self.env
        ends = list(self.year_ends)
        self._indicators(0.0)
        self.recorder.snapshot(0, 0.0, self.activation.usage())
        for week in range(1, self.weeks + 1):
            while ends and ends[0] <= week:
                t = ends.pop(0)
                yield env.timeout(max(t - env.now, 0.0))
                self._indicators(t)
            yield env.timeout(max(week - env.now, 0.0))
            self.recorder.snapshot(week, float(week), self.activation.usage())

    def _watch(self, watcher):
        """Call ``watcher(sim, t)`` at each of its times: cohorts, trials and checks look in here."""
        for t in sorted(watcher.times):
            if t > self.horizon:
                break
            yield self.env.timeout(max(t - self.env.now, 0.0))
            watcher(self, t)

    def _indicators(self, t: float) -> None:
        """Plan indicators that need individual histories, measured at a date."""
        sc = self.scenario
        window = sc.long_term_window
        need = sc.long_term_share * window
        long_term = 0
        for s, members in enumerate(self.members):
            if self.unemployed[s]:
                long_term += sum(1 for c in members.values()
                                 if c.unemployed_weeks(t, window) >= need - 1e-9)
        syg = self.index.get("sygedagpenge")
        sick_26 = sum(1 for c in self.members[syg].values() if t - c.entered > 26) if syg is not None else 0
        # everyone in a programme holds one of its places: count places, not people
        company = sum(used for (used, _), is_company in zip(self.activation.usage(),
                                                             self.activation.company) if is_company)
        under_30 = 0
        for s, members in enumerate(self.members):
            if sc.states[s].public_support:
                under_30 += sum(1 for c in members.values() if t - c.born < 30 * WEEKS_PER_YEAR)
        self.recorder.indicator_row(
            self.calendar.date(t), t, under_30=under_30, long_term=long_term, sick_26=sick_26,
            company=company,
            ressourceforloeb=len(self.members[self.index["ressourceforloeb"]])
            if "ressourceforloeb" in self.index else 0,
            public=sum(len(m) for s, m in enumerate(self.members) if sc.states[s].public_support),
            population=sum(len(m) for m in self.members))


def simulate(scenario: Scenario, years: float = 5, seed: int = 2015, replication: int = 0,
             trace: set | None = None, watchers: tuple = ()) -> RunResult:
    """Run one replication of ``scenario`` for ``years`` with the SimPy engine.

    ``watchers`` are objects with ``times`` (model weeks) and ``__call__(sim, t)``,
    called at those times with the live :class:`Simulation`: the hook for cohorts,
    virtual trials and runtime invariant checks, so none of them lives in the engine.
    """
    return Simulation(scenario, years, seed, replication, trace, watchers).run()
