"""The vectorised engine: continuous time, citizens advanced in weekly batches.

Each citizen has one pending event, as in :mod:`sim.engines.simpy_engine`: the earlier of a
competing-hazard draw (inverse cumulative hazard, exact across duration-band and
business-cycle boundaries) and its next scheduled event (deadline, age band, end of an
effect, an offer falling due). Within a window ending at the next week boundary (or
plan-indicator date) every citizen whose event falls inside is advanced in one batch,
then again, until nobody is left in the window; then the week is recorded. Citizens
draw from their own SplitMix64 streams in the same order as in the SimPy engine, so
with places enough both engines follow the same paths (docs/vector.md).

Places run out at weekly boundaries: an offer gets a place at once if one was free at
the start of the week and nobody queues for it; places freed during a week are given
to the queue, first come first served, at the next week boundary.
"""

from __future__ import annotations

import gc
import math
import time

import numpy as np

from sim.spec.calendar import WEEKS_PER_YEAR
from sim.engines.simpy_engine import RunResult
from sim.errors import SpecError
from sim.model.population import INITIAL_DRAWS, age_range, elapsed_cdf, initial_attributes
from sim.model.population import draw_indices as draw_index
from sim.engines.recorder import Recorder
from sim.model.rng import Stream, key, replication_key
from sim.spec.scenario import Scenario
from sim.engines.compiled import rng
from sim.engines.compiled.model import Model, at, choice
from sim.engines.compiled.state import Citizens

DEADLINE, AGE, EFFECT, OFFER, HAZARD = range(5)
INF = np.inf
FLUSH_ROWS = 200_000  # bin logged episodes once this many have gathered
_MODELS: dict[int, Model] = {}


class EpisodeLog:
    """Episodes (four columns) gathered over many batches and binned together.

    It counts its rows as they come: summing the lengths of the pieces every week
    cost a tenth of an Aalborg-size run.
    """

    def __init__(self) -> None:
        self.pieces: list[tuple] = []
        self.rows = 0

    def append(self, piece: tuple) -> None:
        self.pieces.append(piece)
        self.rows += len(piece[0])

    def take(self) -> list[np.ndarray]:
        cols = [np.concatenate([x[k] for x in self.pieces]) for k in range(4)]
        self.pieces, self.rows = [], 0
        return cols


def compiled(scenario: Scenario) -> Model:
    """The compiled model, cached per scenario object (cheap to rebuild; ~0.5 s)."""
    m = _MODELS.get(id(scenario))
    if m is None or m.scenario is not scenario:
        if len(_MODELS) > 8:
            _MODELS.clear()
        m = _MODELS[id(scenario)] = Model(scenario)
    return m


class VectorSimulation:
    """One replication of a scenario on arrays."""

    RECORDS = False  # citizens as separate columns (state.Citizens); the kernel uses records
    COMPACT_SHARE = 0.25  # compact the arrays when this share of the slots has left

    def __init__(self, scenario: Scenario, years: float, seed: int, replication: int = 0) -> None:
        self.scenario = scenario
        self.m = compiled(scenario)
        self.calendar = self.m.calendar
        self.weeks = int(math.ceil(years * WEEKS_PER_YEAR))
        self.horizon = float(self.weeks)
        self.seed = seed
        self.replication = replication
        self.rep_key = replication_key(seed, replication)
        m = self.m
        self.recorder = Recorder(m.n_states, m.n_ages, self.weeks, m.n_inst,
                                 support_bands=scenario.support_bands)
        self.support_log = EpisodeLog()  # episodes, binned in batches (Recorder.flush)
        self.programme_log = EpisodeLog()
        self.year_ends = [t for t in self.calendar.year_starts(int(years) + 1) if t <= self.horizon]
        self._ages: tuple | None = None
        self._arrivals()
        expected = sum(int(round(v * scenario.scale)) for v in scenario.stocks.values())
        capacity = int(expected * 1.1) + 64
        if self.RECORDS:  # slots are touched only when allocated: reserve room for every arrival
            capacity += len(self.arr_t)
        self.c = Citizens(capacity, m.n_drawn, records=self.RECORDS)
        S, A = m.n_states, m.n_ages
        self.count = np.zeros(S * A, dtype=np.int64)
        self.area = np.zeros(S * A)
        self.wend = 0.0  # end of the current week: area is booked up to it
        self.week = 0  # the snapshot flows are booked to (Recorder.open)
        self.flow_codes: list[np.ndarray] = []
        self.in_use = np.zeros(m.n_inst, dtype=np.int64)
        self.queued = np.zeros(m.n_inst, dtype=np.int64)
        self.avail = m.capacity.copy()
        self.windows: dict[float, float] = {}  # indicator date -> window start, accumulator open
        self.events = 0
        self.created = 0
        self._cdf: dict = m.__dict__.setdefault("elapsed_cdfs", {})

    # -- random numbers ------------------------------------------------------------------
    def uniform(self, stream: int, j: np.ndarray) -> np.ndarray:
        c = self.c
        n = c.cols[f"n{stream}"]
        k = n[j] + np.uint32(1)
        n[j] = k
        return rng.nth_uniform(c.cols[f"seed{stream}"][j], k)

    # -- run --------------------------------------------------------------------------------
    def run(self) -> RunResult:
        # The citizens live in a few large arrays and the run makes no reference cycles
        # it needs collected: the cyclic collector would only re-scan the model's
        # objects after every few hundred temporary arrays (as in sim.engines.simpy_engine).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if gc_was_enabled:
                gc.enable()

    def _run(self) -> RunResult:
        t0 = time.perf_counter()
        self._populate()
        self._indicators(0.0)
        self._snapshot(0)
        self._weeks()
        self._close_episodes()
        self._finish_flows()
        rec = self.recorder
        rec.events = self.events
        return RunResult(self.scenario, self.replication, self.seed, self.weeks, rec,
                         self.created, self.events, time.perf_counter() - t0)

    def _weeks(self) -> None:
        """Week after week: indicators at year ends, events, snapshot, the queue, compaction."""
        self.wend = 1.0
        ends = list(self.year_ends)
        for week in range(1, self.weeks + 1):
            self.week = week
            self.wend = float(week)
            self._open_windows(float(week))
            observer = week - 1.0  # when SimPy's observer scheduled its next wake-up
            while ends and ends[0] <= week:
                t = ends.pop(0)
                self._advance(t, observer)
                self._indicators(t)
                observer = t
            self._advance(float(week), observer)
            self._flush_flows()
            self._flush_episodes()
            self._snapshot(week)
            if week < self.weeks:
                self._allocate(float(week))
            self.recorder.usage[week] = np.stack([self.in_use, self.queued], axis=1)
            self._compact()

    def _compact(self) -> None:
        """Drop the citizens who have left once they hold :attr:`COMPACT_SHARE` of the slots."""
        c = self.c
        if c.n > 0 and (c.state[: c.n] < 0).mean() > self.COMPACT_SHARE:
            c.compact()

    def _advance(self, until: float, observer: float) -> None:
        """Newcomers and events before ``until``, in batches.

        An event exactly at ``until`` comes first if it was drawn before the SimPy
        engine's observer scheduled that moment (at ``observer``): SimPy breaks ties of
        time by scheduling order. Newcomers draw their first event together with the
        first batch: each batch has a fixed cost of some hundred NumPy calls, so fewer
        and larger batches are the speed of this engine.
        """
        fresh = self._newcomers(until)
        c = self.c
        n = c.n
        env = c.next_env[:n]
        j = np.flatnonzero(env <= until)
        j = j[(env[j] < until) | (c.sched_now[j] < observer) | (c.sched_now[j] == 0.0)]
        while len(j) or fresh is not None:
            j = self._process(j, fresh)
            fresh = None
            env = c.next_env[j]
            j = j[(env < until) | ((env == until) & (c.sched_now[j] < observer))]

    # -- population ---------------------------------------------------------------------------
    def _populate(self) -> None:
        sc, m, c = self.scenario, self.m, self.c
        pension_hi = m.law.pension_age.at(sc.start.replace(year=sc.start.year - 65))
        total = sum(int(round(v * sc.scale)) for v in sc.stocks.values())
        ids = c.allocate(total)
        bases = rng.initial_bases(self.rep_key, ids)
        first = int(ids[0]) if total else 0
        attr_seed = None
        for k, seeds in enumerate(rng.stream_seeds(bases)):
            c.cols[f"seed{k}"][first:first + total] = seeds  # the slots are consecutive
            if k == 3:
                attr_seed = seeds
        start = 0
        S = np.zeros(total, dtype=np.int64)
        elapsed = np.zeros(total)
        prior = np.zeros(total)
        for state, stock in sc.stocks.items():
            n = int(round(stock * sc.scale))
            j = ids[start:start + n]
            start += n
            if n == 0:
                continue
            # the attribute stream's first uniforms (its counter starts at 0): self.uniform(3, j)
            # once per draw, without gathering and scattering the counters
            seed = attr_seed[start - n:start]
            u = [rng.nth_uniform(seed, np.full(n, k, dtype=np.uint64)) for k in range(1, len(INITIAL_DRAWS) + 1)]
            c.n3[first + start - n:first + start] = len(INITIAL_DRAWS)
            born, edu, insured, el, pr = initial_attributes(sc, state, u, pension_hi, self._elapsed_cdf)
            c.born[j] = born
            c.edu[j] = edu
            c.insured[j] = insured
            S[j - ids[0]] = m.index[state]
            prior[j - ids[0]] = pr
            elapsed[j - ids[0]] = el
        zero = np.zeros(total)
        self.created = total
        self._enter(ids, S, zero, np.full(total, m.cause_id["initial"]), np.full(total, -1),
                    new=True, elapsed=elapsed, week=0, prior=prior)
        live = ids[c.state[ids] >= 0]
        self._schedule(live, zero[: len(live)], zero[: len(live)])

    def _elapsed_cdf(self, state: str, band: int, edu: int, insured: int):
        """population.elapsed_cdf, kept with the compiled model: it depends on the
        scenario only, so later replications of the scenario reuse it."""
        k = (state, band, edu, insured)
        if k not in self._cdf:
            self._cdf[k] = np.asarray(elapsed_cdf(self.scenario, self.m.hazards, self.m.law, state,
                                                  band, edu, insured))
        return self._cdf[k]

    def _arrivals(self) -> None:
        """Arrival times of every inflow over the horizon (the SimPy engine's Poisson streams)."""
        sc = self.scenario
        times, envs, kinds, ks = [], [], [], []
        for f, inflow in enumerate(sc.inflows):
            seed = Stream(key(self.rep_key, "inflow", inflow.name)).state
            drawn = 0
            out = []
            for start, end, per_year in inflow.persons_per_year.timeline(self.calendar).segments():
                lo, hi = max(start, 0.0), min(end, self.horizon)
                if hi <= lo:
                    continue
                rate = per_year * sc.scale / WEEKS_PER_YEAR
                if rate <= 0:
                    continue
                span = hi - lo
                t = 0.0
                seg = []
                while True:  # chunks of draws: a sequential sum, as newcomer_count adds them
                    chunk = max(64, int(1.2 * rate * (span - t)) + 16)
                    x = -np.log(rng.scalar_stream_uniforms(seed, drawn, chunk)) / rate
                    x[0] += t
                    cum = np.cumsum(x)
                    over = np.flatnonzero(cum >= span)
                    if len(over):
                        seg.append(cum[: over[0]])
                        drawn += over[0] + 1
                        break
                    seg.append(cum)
                    drawn += chunk
                    t = float(cum[-1])
                out.append(lo + np.concatenate(seg))
            if not out:
                continue
            tt = np.concatenate(out)
            times.append(tt)
            envs.append(self._simpy_clock(tt))
            kinds.append(np.full(len(tt), f))
            ks.append(np.arange(len(tt)))
        if times:
            t = np.concatenate(times)
            order = np.argsort(t, kind="stable")
            self.arr_t = t[order]
            self.arr_env = np.concatenate(envs)[order]
            self.arr_inflow = np.concatenate(kinds)[order]
            self.arr_k = np.concatenate(ks)[order]
        else:
            self.arr_t = np.zeros(0)
        self.arr_next = 0

    @staticmethod
    def _simpy_clock(tt: np.ndarray) -> np.ndarray:
        """Arrival times on SimPy's clock: now + (t - now), one timeout after another."""
        env = np.empty_like(tt)
        now = 0.0
        for i, x in enumerate(tt.tolist()):
            now = now + max(x - now, 0.0)
            env[i] = now
        return env

    def _newcomers(self, until: float) -> tuple | None:
        """Enter the arrivals before ``until``, all inflows at once.

        Returns ``(j, t, clock)`` of those who stayed (not redirected outside), whose
        first event :meth:`_process` draws with its batch; None if nobody arrived.
        """
        i0 = self.arr_next
        i1 = int(np.searchsorted(self.arr_t, until, side="left"))
        if i1 <= i0:
            return None
        self.arr_next = i1
        c = self.c
        t = self.arr_t[i0:i1]
        env = self.arr_env[i0:i1]
        flow = self.arr_inflow[i0:i1]
        n = i1 - i0
        self.events += n
        self.created += n
        j = c.allocate(n)
        dest = np.zeros(n, dtype=np.int64)
        cause = np.zeros(n, dtype=np.int64)
        for f in np.unique(flow):
            sel = flow == f
            dest[sel], cause[sel] = self._arrive(int(f), j[sel], t[sel], self.arr_k[i0:i1][sel])
        self._enter(j, dest, t, cause, np.full(n, -1), new=True)
        live = c.state[j] >= 0
        return j[live], t[live], env[live]

    def _arrive(self, f: int, j: np.ndarray, t: np.ndarray, ks: np.ndarray):
        """Streams and attributes of inflow ``f``'s newcomers; their state and cause of entry."""
        sc, m, c = self.scenario, self.m, self.c
        inflow = sc.inflows[f]
        n = len(j)
        bases = rng.newcomer_bases(self.rep_key, inflow.name, ks)
        for k, seeds in enumerate(rng.stream_seeds(bases)):
            c.cols[f"seed{k}"][j] = seeds
        if inflow.age is not None:
            age = np.full(n, float(inflow.age))
        else:
            band = draw_index(self.uniform(3, j), inflow.age_bands)
            lo, hi = self._inflow_ages()
            age = lo[band] + (hi[band] - lo[band]) * self.uniform(3, j)
        states = list(inflow.states)
        st = draw_index(self.uniform(3, j), [inflow.states[s] for s in states])
        dest = np.array([m.index[s] for s in states])[st]
        c.edu[j] = draw_index(self.uniform(3, j), inflow.education)
        c.insured[j] = self.uniform(3, j) < inflow.insured_share
        c.born[j] = t - age * WEEKS_PER_YEAR
        return dest, m.cause_id[inflow.name]

    def _inflow_ages(self) -> tuple[np.ndarray, np.ndarray]:
        """Age range of each age band for newcomers (pension age 65, as the SimPy engine)."""
        if self._ages is None:
            sc = self.scenario
            bands = range(len(sc.age_lower))
            self._ages = (np.array([age_range(sc, b, 65.0)[0] for b in bands]),
                          np.array([age_range(sc, b, 65.0)[1] for b in bands]))
        return self._ages

    # -- moving people ---------------------------------------------------------------------------
    def _counts(self, s: np.ndarray, a: np.ndarray, t: np.ndarray, sign: int) -> None:
        """Persons per (state, age band) and the time-integral up to the end of the week."""
        flat = s.astype(np.int64) * self.m.n_ages + a
        size = len(self.count)
        self.count += sign * np.bincount(flat, minlength=size)
        self.area += sign * np.bincount(flat, weights=self.wend - t, minlength=size)

    def _flow(self, src: np.ndarray, dst: np.ndarray, cause: np.ndarray, week) -> None:
        m = self.m
        code = ((np.asarray(week, dtype=np.int64) * (m.n_states + 1) + (src + 1)) * m.n_states
                + dst) * len(m.causes) + cause
        self.flow_codes.append(np.broadcast_to(code, (len(src),)).astype(np.int64))

    def _flush_flows(self) -> None:
        if not self.flow_codes:
            return
        codes = np.concatenate(self.flow_codes)
        self.flow_codes = []
        m = self.m
        vals, counts = np.unique(codes, return_counts=True)
        C, S = len(m.causes), m.n_states
        flows = self.recorder.flows
        for v, n in zip(vals.tolist(), counts.tolist()):
            cause = v % C
            v //= C
            dst = v % S
            v //= S
            src = v % (S + 1) - 1
            week = v // (S + 1)
            flows[(week, src, dst, m.causes[cause])] += n

    def _finish_flows(self) -> None:
        """Flows kept in another form during the run go into ``recorder.flows`` (none here)."""

    def _enter(self, j, s, t, cause, src, new=False, elapsed=None, week=None, prior=None) -> None:
        """:meth:`sim.engines.simpy_engine.Simulation._enter` for a batch (``t`` per citizen)."""
        m, c = self.m, self.c
        born = c.born[j]
        s = m.redirect(np.asarray(s, dtype=np.int64), t, t - born, c.edu[j])
        if new:
            c.pension_at[j] = m.pension_time(born)
            age_w = t - born
            a = np.maximum(np.searchsorted(m.age_bounds, age_w, side="right") - 1, 0)
            c.age[j] = a
            c.next_age[j] = born + m.age_bounds[a + 1]
        entered = t - elapsed if elapsed is not None else t
        c.state[j] = s
        c.entered[j] = entered
        c.since[j] = t
        sup = m.public[s]
        c.support_since[j[~sup]] = INF
        first = sup & np.isinf(c.support_since[j])
        c.support_since[j[first]] = np.broadcast_to(entered, j.shape)[first]
        c.done[j] = 0
        self._flow(src, s, cause, self.week if week is None else week)
        out = s == m.outside
        if out.any():
            c.state[j[out]] = -1
            c.next_t[j[out]] = INF
            c.next_env[j[out]] = INF
            keep = ~out
            j, s, t, entered = j[keep], s[keep], t[keep], np.asarray(entered)[keep]
            if elapsed is not None:
                elapsed = elapsed[keep]
            if prior is not None:
                prior = prior[keep]
        if not len(j):
            return
        self._counts(s, c.age[j], t, 1)
        if m.dagpenge >= 0:
            dp = s == m.dagpenge
            c.insured[j[dp]] = 1
            if elapsed is not None:
                c.dp_used[j[dp]] = 0.0
        un = m.unemployed[s]
        if un.any():
            before = (m.prior_unemployed[s] + (0.0 if prior is None else prior)) if new else np.zeros(len(j))
            c.unemp_open[j[un]] = (entered - before)[un]
        for r in m.rules:
            if r.clock != "drawn_weeks":
                continue
            d = r.in_state[s]
            if d.any():
                c.drawn[j[d], r.drawn_col] = r.draw_length(self.uniform(1, j[d]), (t - entered)[d])
        if elapsed is not None:
            self._mark_extended(j, s, t)
        self._deadlines(j, t)
        if elapsed is not None:
            self._start_initial(j, s, t)
        else:
            self._on_entry(j, s, t)

    def _mark_extended(self, j, s, now) -> None:
        c = self.c
        for r in self.m.rules:
            d = r.in_state[s]
            if not d.any():
                continue
            jj = j[d]
            if r.clock == "spell_weeks":
                limit = r.limit_values[at(r.limit_starts, c.entered[jj] if r.by_entry else now[d])]
                past = now[d] - c.entered[jj] >= limit
                c.done[jj[past]] |= np.int64(1) << r.index

    def _deadlines(self, j, now) -> None:
        """:meth:`sim.model.law.Law.deadline`: the earliest rule not yet done, pension first on ties."""
        c, m = self.c, self.m
        best = c.pension_at[j].copy()
        rule = np.full(len(j), -1, dtype=np.int8)
        # which rules run for each citizen, as one (citizens x rules) table: one pass
        # instead of several array operations per rule
        pending = m.rules_in_state[c.state[j]] & ((c.done[j][:, None] >> m.rule_bits) & 1 == 0)
        for r in m.rules:
            d = pending[:, r.index]
            if not d.any():
                continue
            jj = j[d]
            t = self._rule_time(r, jj, now[d])
            better = t < best[d]
            pos = np.flatnonzero(d)[better]
            best[pos] = t[better]
            rule[pos] = r.index
        c.deadline[j] = best
        c.rule[j] = rule

    def _rule_time(self, r, jj, now) -> np.ndarray:
        c = self.c
        ent = c.entered[jj]
        if r.clock == "drawn_weeks":
            return ent + c.drawn[jj, r.drawn_col]

        def when(limit):
            if r.clock == "spell_weeks":
                return ent + limit
            if r.clock == "dagpenge_weeks_used":
                return ent + np.maximum(limit - c.dp_used[jj], 0.0)
            if r.clock == "age_years":
                return c.born[jj] + limit * WEEKS_PER_YEAR
            raise ValueError(r.clock)  # pragma: no cover

        if r.by_entry:
            limit = r.limit_values[at(r.limit_starts, ent)]
            return np.maximum(when(limit), now)
        out = np.full(len(jj), INF)
        found = np.zeros(len(jj), dtype=bool)
        for start, end, limit in r.segments:
            t = np.maximum(np.maximum(when(limit), start), now)
            take = ~found & (t < end)
            out[take] = t[take]
            found |= take
        return out

    def _leave(self, j, t) -> None:
        c, m = self.c, self.m
        s = c.state[j].astype(np.int64)
        self._counts(s, c.age[j], t, -1)
        sup = m.public[s]
        if sup.any():
            js = j[sup]
            self.support_log.append((s[sup], c.since[js], t[sup], c.support_since[js]))
        e = c.effect[j].astype(np.int64)
        during = (e >= 1) & (e <= m.n_inst)
        if during.any():
            jd = j[during]
            self.programme_log.append((s[during], e[during] - 1, c.prog_since[jd], t[during]))
        req = c.req[j]
        has = req >= 0
        if has.any():
            w = c.waiting[j]
            held = has & ~w
            self.in_use -= np.bincount(req[held], minlength=m.n_inst)
            self.queued -= np.bincount(req[has & w], minlength=m.n_inst)
            c.req[j] = -1
            c.waiting[j] = False
        c.effect[j] = 0
        c.effect_until[j] = INF
        c.offer_at[j] = INF
        c.handover_at[j] = INF
        if m.dagpenge >= 0:
            d = s == m.dagpenge
            c.dp_used[j[d]] += t[d] - c.entered[j[d]]
        e = (s == m.employed) & (t - c.entered[j] >= self.scenario.reearning_weeks)
        c.dp_used[j[e]] = 0.0
        un = m.unemployed[s]
        if un.any():
            ju, tu = j[un], t[un]
            start = c.unemp_open[ju]
            for lo in self.windows.values():
                acc = c.extra[lo]
                later = tu > lo
                acc[ju[later]] += tu[later] - np.maximum(start[later], lo)
            c.unemp_open[ju] = np.nan

    def _move(self, j, dest, t, cause) -> None:
        c, m = self.c, self.m
        src = c.state[j].astype(np.int64)
        self._leave(j, t)
        if m.education >= 0:
            e = (src == m.education) & (dest == m.employed)
            if e.any():
                je = j[e]
                level = choice(self.uniform(3, je), m.exit_cum)
                c.edu[je] = np.maximum(c.edu[je], level)
        self._enter(j, dest, t, cause, src)

    # -- activation (sim.model.activation.Activation on arrays) -------------------------------------
    def _on_entry(self, j, s, now) -> None:
        c = self.c
        c.offer_at[j] = INF
        for g, pol in self.m.policies.items():
            d = s == g
            if d.any():
                jj = j[d]
                ent = c.entered[jj]
                c.offer_at[jj] = ent + pol.first(ent, c.age[jj])
        self._refer(j, s, now)

    def _refer(self, j, s, now) -> None:
        """:meth:`sim.model.activation.Activation._refer`: two draws from the referral stream."""
        c = self.c
        for g, (share, first, last, _) in self.m.referrals.items():
            d = s == g
            if d.any():
                jj = j[d]
                u, v = self.uniform(4, jj), self.uniform(4, jj)
                at = c.entered[jj] + first + (last - first) * v
                ok = (u < share) & (at >= now[d])
                c.handover_at[jj[ok]] = at[ok]
                c.offer_at[jj[ok]] = np.minimum(c.offer_at[jj[ok]], at[ok])

    def _next_offer(self, j, now, at) -> None:
        """The job centre's next offer, or the handover if that comes first (one whose
        week passed during a job-centre programme is dropped, as in the SimPy engine)."""
        c = self.c
        h = c.handover_at[j]
        late = h < now
        c.handover_at[j[late]] = INF
        c.offer_at[j] = np.minimum(at, np.where(late, INF, h))

    def _start_initial(self, j, s, now) -> None:
        self._on_entry(j, s, now)
        c = self.c
        for g, pol in self.m.policies.items():
            d = s == g
            if d.any():
                d[d] = c.entered[j[d]] + pol.first(c.entered[j[d]], c.age[j[d]]) < now[d]
            if d.any():
                jj = j[d]
                rep = pol.repeat(now[d])
                nxt = np.full(len(jj), INF)
                pos = rep > 0
                if pos.any():
                    u = self.uniform(2, jj[pos])
                    nxt[pos] = now[d][pos] + u * rep[pos]
                self._next_offer(jj, now[d], nxt)

    def _on_offer(self, j, t) -> None:
        c, m, rec = self.c, self.m, self.recorder
        c.offer_at[j] = INF
        due = c.handover_at[j] <= t
        if due.any():  # Activation._hand_over: the other actor's programme, unless busy
            jh, th = j[due], t[due]
            c.handover_at[jh] = INF
            free = c.req[jh] < 0
            if free.any():
                inst = np.array([m.referrals[s_][3] for s_ in c.state[jh[free]].tolist()], dtype=np.int64)
                self._request(jh[free], th[free], inst)
            j, t = j[~due], t[~due]
            if not len(j):
                return
        s = c.state[j]
        # two draws whatever the outcome (common random numbers across exempt shares)
        u = self.uniform(2, j)
        u_choice = self.uniform(2, j)
        exempt = np.zeros(len(j), dtype=bool)
        repeat = np.zeros(len(j))
        for g, pol in m.policies.items():
            d = s == g
            if d.any():
                exempt[d] = u[d] < pol.exempt
                repeat[d] = pol.repeat(t[d])
        if exempt.any():
            r = repeat[exempt]
            self._next_offer(j[exempt], t[exempt], np.where(r > 0, t[exempt] + r, INF))
            np.add.at(rec.exempt, t[exempt].astype(np.int64), 1)
        ask = ~exempt
        if not ask.any():
            return
        j, t, s = j[ask], t[ask], s[ask]
        u2 = u_choice[ask]
        inst = np.zeros(len(j), dtype=np.int64)
        for g, pol in m.policies.items():
            d = s == g
            if d.any():
                inst[d] = pol.items[choice(u2[d], pol.cum)]
        self._request(j, t, inst)

    def _request(self, j, t, inst) -> None:
        """Ask for places: granted while places are free and nobody queues, else queue."""
        c, m, rec = self.c, self.m, self.recorder
        order = np.lexsort((t, inst))
        j, t, inst = j[order], t[order], inst[order]
        grant = np.zeros(len(j), dtype=bool)
        for i in np.unique(inst):
            pos = np.flatnonzero(inst == i)
            if self.queued[i] == 0:
                g = min(int(self.avail[i]), len(pos))
                grant[pos[:g]] = True
                self.avail[i] -= g
        if grant.any():
            self._start(j[grant], t[grant], inst[grant])
        q = ~grant
        if q.any():
            jq, iq = j[q], inst[q]
            c.req[jq] = iq
            c.waiting[jq] = True
            c.queued_at[jq] = t[q]
            self.queued += np.bincount(iq, minlength=m.n_inst)
            np.add.at(rec.waiting_starts, (t[q].astype(np.int64), iq), 1)

    def _start(self, j, t, inst) -> None:
        c, m = self.c, self.m
        c.req[j] = inst
        c.waiting[j] = False
        c.effect[j] = 1 + inst
        c.prog_since[j] = t
        c.effect_until[j] = t + m.duration[inst]
        self.in_use += np.bincount(inst, minlength=m.n_inst)
        np.add.at(self.recorder.starts, (t.astype(np.int64), inst), 1)

    def _on_effect_end(self, j, t) -> None:
        c, m = self.c, self.m
        e = c.effect[j].astype(np.int64)
        during = (e >= 1) & (e <= m.n_inst)
        if during.any():
            jd, td = j[during], t[during]
            i = e[during] - 1
            self.programme_log.append((c.state[jd].astype(np.int64), i, c.prog_since[jd], td))
            self.in_use -= np.bincount(i, minlength=m.n_inst)
            c.req[jd] = -1
            after = m.after_code[i]
            c.effect[jd] = after
            c.effect_until[jd] = np.where(after > 0, td + m.after_weeks[i], INF)
            s = c.state[jd]
            repeat = np.zeros(len(jd))
            for g, pol in m.policies.items():
                d = s == g
                if d.any():
                    repeat[d] = pol.repeat(td[d])
            self._next_offer(jd, td, np.where(repeat > 0, td + repeat, INF))
        other = ~during
        c.effect[j[other]] = 0
        c.effect_until[j[other]] = INF

    def _allocate(self, now: float) -> None:
        """Weekly boundary: places freed during the week go to the queue, first come first served."""
        c, m = self.c, self.m
        free = m.capacity - self.in_use
        if (self.queued > 0).any() and (free[self.queued > 0] > 0).any():
            jw = np.flatnonzero(c.waiting[: c.n])
            inst = c.req[jw].astype(np.int64)
            order = np.lexsort((jw, c.queued_at[jw], inst))
            jw, inst = jw[order], inst[order]
            grant = np.zeros(len(jw), dtype=bool)
            for i in np.unique(inst):
                pos = np.flatnonzero(inst == i)
                g = max(min(int(free[i]), len(pos)), 0)
                grant[pos[:g]] = True
            if grant.any():
                jg, ig = jw[grant], inst[grant]
                self.queued -= np.bincount(ig, minlength=m.n_inst)
                tg = np.full(len(jg), now)
                self._start(jg, tg, ig)
                self._schedule(jg, tg, tg)  # woken: the hazards changed, a fresh draw is exact
        self.avail = m.capacity - self.in_use

    # -- the events -------------------------------------------------------------------------------
    def _process(self, j: np.ndarray, fresh: tuple | None = None) -> np.ndarray:
        """Handle the pending events of ``j``, then draw the next event of everyone still here.

        ``fresh`` = ``(j, t, clock)`` of newcomers who draw their first event with this
        batch. Moves by hazard and by deadline leave and enter in one pass. Returns the
        citizens who drew a new event.
        """
        c = self.c
        t = c.next_t[j]
        env = c.next_env[j]  # SimPy's clock after timeout(t - now)
        kind = c.kind[j]
        self.events += len(j)
        moves = []
        d = kind == HAZARD
        if d.any():
            moves.append(self._hazard(j[d], t[d]))
        d = kind == DEADLINE
        if d.any():
            moves.append(self._deadline(j[d], t[d]))
        moves = [mv for mv in moves if len(mv[0])]
        if moves:
            self._move(*(np.concatenate(cols) for cols in zip(*moves)))
        d = kind == AGE
        if d.any():
            self._age_band(j[d], t[d])
        d = kind == EFFECT
        if d.any():
            self._on_effect_end(j[d], t[d])
        d = kind == OFFER
        if d.any():
            self._on_offer(j[d], t[d])
        live = c.state[j] >= 0
        j, t, env = j[live], t[live], env[live]
        if fresh is not None:
            j, t, env = (np.concatenate(x) for x in zip((j, t, env), fresh))
        self._schedule(j, t, env)
        return j

    def _hazard(self, j, t) -> tuple:
        """Destination and cause of moves by hazard (one uniform against the row's shares)."""
        c, m = self.c, self.m
        u = self.uniform(0, j)
        row = m.table.index(c.state[j], c.fire_band[j], c.age[j], c.edu[j],
                            c.insured[j], c.fire_cycle[j], c.effect[j])
        pick = (m.table.cum[row] <= u[:, None]).sum(axis=1)
        return j, m.table.dest[row, pick].astype(np.int64), t, m.table.cause[row, pick].astype(np.int64)

    def _age_band(self, j, t) -> None:
        c, m = self.c, self.m
        s = c.state[j]
        a = c.age[j]
        self._counts(s, a, t, -1)
        a = a + 1
        c.age[j] = a
        self._counts(s, a, t, 1)
        c.next_age[j] = c.born[j] + m.age_bounds[a.astype(np.int64) + 1]

    def _deadline(self, j, t) -> tuple:
        """Deadlines: those who stay get their next deadline; returns the moves of the others."""
        c, m = self.c, self.m
        u = self.uniform(1, j)
        rule = c.rule[j]
        dest = np.zeros(len(j), dtype=np.int64)
        cause = np.zeros(len(j), dtype=np.int64)
        for r in np.unique(rule):
            ra = m.rules[r] if r >= 0 else m.pension_branch
            d = rule == r
            dest[d] = ra.branch(t[d], u[d])
            cause[d] = m.cause_id[ra.name]
        stay = dest < 0
        if stay.any():
            js = j[stay]
            c.done[js] |= np.int64(1) << rule[stay].astype(np.int64)
            self._deadlines(js, t[stay])
        mv = ~stay
        return j[mv], dest[mv], t[mv], cause[mv]

    def _schedule(self, j: np.ndarray, now: np.ndarray, clock: np.ndarray) -> None:
        """Draw each citizen's next event from ``now`` (Simulation._next_event).

        ``clock`` is SimPy's ``env.now`` at that moment (``now`` up to rounding): the
        event falls at ``clock + (t - clock)`` on SimPy's clock, which decides ties with
        the weekly observer.
        """
        if not len(j):
            return
        c, tab = self.c, self.m.table
        hard = c.deadline[j].copy()
        kind = np.zeros(len(j), dtype=np.int8)
        for col, k in ((c.next_age, AGE), (c.effect_until, EFFECT), (c.offer_at, OFFER)):
            x = col[j]
            m = x < hard
            hard[m] = x[m]
            kind[m] = k
        e = -np.log(self.uniform(0, j))
        s = c.state[j].astype(np.int64)
        ent = c.entered[j]
        t = now.astype(float).copy()
        ci = np.searchsorted(tab.cycle, t, side="right") - 1
        bi = (tab.bounds[s] <= (t - ent + 1e-9)[:, None]).sum(axis=1) - 1
        # the hazard row without its band and cycle parts, which the loop below adds:
        # age, education, insurance and effect do not change before the event
        base = tab.index(s, 0, c.age[j], c.edu[j], c.insured[j], 0, c.effect[j])
        band_stride, cycle_stride = tab.strides[1], tab.strides[5]
        out_t = np.empty(len(j))
        fb = np.zeros(len(j), dtype=np.int8)
        fc = np.zeros(len(j), dtype=np.int8)
        p = np.arange(len(j))
        with np.errstate(invalid="ignore"):
            while len(p):
                band_end = ent[p] + tab.bounds[s[p], bi[p] + 1]
                cyc_end = tab.cycle[ci[p] + 1]
                seg_end = np.where(band_end < cyc_end, band_end, cyc_end)
                h = hard[p]
                seg_end = np.where(h < seg_end, h, seg_end)
                total = tab.total[base[p] + bi[p] * band_stride + ci[p] * cycle_stride]
                tp = t[p]
                ts = total * (seg_end - tp)
                fire = ts >= e[p]
                if fire.any():
                    q = p[fire]
                    out_t[q] = tp[fire] + e[q] / total[fire]
                    kind[q] = HAZARD
                    fb[q] = bi[q]
                    fc[q] = ci[q]
                rest = ~fire
                q = p[rest]
                e[q] -= ts[rest]
                t[q] = seg_end[rest]
                reached = t[q] >= hard[q]
                out_t[q[reached]] = t[q[reached]]
                go = ~reached
                q, se, be, ce = q[go], seg_end[rest][go], band_end[rest][go], cyc_end[rest][go]
                bi[q] += se == be
                ci[q] += se == ce
                p = q
        out_t = np.maximum(out_t, now)
        c.next_t[j] = out_t
        c.next_env[j] = clock + (out_t - clock)
        c.sched_now[j] = clock
        c.kind[j] = kind
        c.fire_band[j] = fb
        c.fire_cycle[j] = fc

    # -- observation ------------------------------------------------------------------------------
    def _snapshot(self, week: int) -> None:
        rec = self.recorder
        S, A = self.m.n_states, self.m.n_ages
        count = self.count.reshape(S, A)
        rec.persons[week] = count
        rec.fte[week] = self.area.reshape(S, A) if week > 0 else count
        self.area = self.count.astype(float)  # persons at the start times one week
        rec.open = week + 1

    def _flush_episodes(self, force: bool = False) -> None:
        rec = self.recorder
        for log, binner in ((self.support_log, rec.support_episodes),
                            (self.programme_log, rec.programme_episodes)):
            if log.rows and (force or log.rows > FLUSH_ROWS):
                binner(*log.take())

    def _close_episodes(self) -> None:
        """Spells and programmes still running at the horizon (Simulation._close_episodes)."""
        c, m = self.c, self.m
        n = c.n
        j = np.flatnonzero(c.state[:n] >= 0)
        s = c.state[j].astype(np.int64)
        end = np.full(len(j), self.horizon)
        sup = m.public[s]
        self.support_log.append((s[sup], c.since[j[sup]], end[sup], c.support_since[j[sup]]))
        e = c.effect[j].astype(np.int64)
        during = (e >= 1) & (e <= m.n_inst)
        self.programme_log.append((s[during], e[during] - 1, c.prog_since[j[during]], end[during]))
        self._flush_episodes(force=True)

    def _open_windows(self, until: float) -> None:
        """Start the 52-week accumulators of plan-indicator dates whose window opens before ``until``."""
        for t in self._to_open(until):
            lo = t - self.scenario.long_term_window
            self.windows[t] = lo
            self.c.add_extra(lo)

    def _to_open(self, until: float) -> list[float]:
        """Plan-indicator dates whose window opens in the week ending at ``until``."""
        window = self.scenario.long_term_window
        return [t for t in self.year_ends
                if t not in self.windows and t - window < until and t > until - 1.0]

    def _indicators(self, t: float) -> None:
        """:meth:`sim.engines.simpy_engine.Simulation._indicators` on the arrays."""
        sc, m, c = self.scenario, self.m, self.c
        n = c.n
        s = c.state[:n].astype(np.int64)
        alive = s >= 0
        window = sc.long_term_window
        need = sc.long_term_share * window
        lo = t - window
        un = np.flatnonzero(alive & m.unemployed[np.where(alive, s, 0)])
        acc = c.extra[self.windows[t]][un] if t in self.windows else np.zeros(len(un))
        total = acc + (t - np.maximum(c.unemp_open[un], lo))
        long_term = int((total >= need - 1e-9).sum())
        syg = m.index.get("sygedagpenge")
        sick_26 = int(((s == syg) & (t - c.entered[:n] > 26)).sum()) if syg is not None else 0
        e = c.effect[:n].astype(np.int64)
        during = alive & (e >= 1) & (e <= m.n_inst)
        company = int(m.company[e[during] - 1].sum())
        sa = np.where(alive, s, 0)
        public = alive & m.public[sa]
        under_30 = int((public & (t - c.born[:n] < 30 * WEEKS_PER_YEAR)).sum())
        rf = m.index.get("ressourceforloeb")
        self.recorder.indicator_row(
            self.calendar.date(t), t, under_30=under_30, long_term=long_term, sick_26=sick_26,
            company=company, ressourceforloeb=int((s == rf).sum()) if rf is not None else 0,
            public=int(public.sum()), population=int(alive.sum()))
        if t in self.windows:
            lo = self.windows.pop(t)
            c.extra.pop(lo, None)


def simulate(scenario: Scenario, years: float = 5, seed: int = 2015, replication: int = 0,
             trace: set | None = None, watchers: tuple = ()) -> RunResult:
    """Run one replication of ``scenario`` with the vectorised engine.

    Same arguments and result as :func:`sim.engines.simpy_engine.simulate`. Tracing individual
    citizens and watchers need live citizen objects and stay with the SimPy engine.
    """
    refuse_live_citizens(trace, watchers)
    return VectorSimulation(scenario, years, seed, replication).run()


def refuse_live_citizens(trace, watchers) -> None:
    """Tracing and watchers need live citizen objects: a clear error, not a silent no-op."""
    if trace:
        raise SpecError("<command line>", "--engine",
                        "the vector engine does not trace citizens; use --engine simpy")
    if watchers:
        raise SpecError("<command line>", "--engine",
                        "watchers (cohorts, trials, checks) need the SimPy engine; use engine='simpy'")
