"""The vector engine with its per-event work compiled (``--engine vector`` when Numba imports).

:class:`NumbaSimulation` is :class:`~.engine.VectorSimulation` with the week loop handed
to :func:`.kernel_numba.run_weeks`, a span of weeks per call (per week: the year end's
plan indicators, the week windows of :func:`.kernel_numba.advance` with newcomers
entering and every event, batch after batch, the flows, the snapshot, the queue for
places of :func:`.kernel_numba.allocate`). The people are drawn by :mod:`.people_numba`;
the initial stock enters as it is drawn (:func:`.kernel_numba.enter_one_initial`, which
draws the first events too). Each episode (a spell on public support, a programme) is
binned into the weeks it spans by the kernel as it ends (:func:`.kernel_numba._bin`,
the arithmetic of :func:`sim.engines.recorder.bin_intervals`). Compaction and the run's set-up
and end stay in the NumPy engine's code, and both variants record into the same
:class:`Recorder`.

Newcomers' streams and attributes are drawn a year of arrivals at a time (one pass
per inflow) instead of once per week: the same numbers, fewer NumPy calls.
"""

from __future__ import annotations

import numpy as np

from sim.spec.calendar import WEEKS_PER_YEAR
from sim.engines.simpy_engine import RunResult
from sim.model.rng import STREAMS
from sim.spec.scenario import Scenario
from sim.engines.compiled import people_numba
from sim.engines.compiled import kernel_numba as kn
from sim.engines.compiled.engine import VectorSimulation, refuse_live_citizens

LABEL = "vector (numba)"
ARRIVAL_CHUNK_WEEKS = 52.0  # newcomers' attributes are drawn this far ahead
SPAN_WEEKS = 26  # weeks run by one kernel call at most (the calendar's rows)
_EMPTY_I = np.zeros(0, dtype=np.int64)
_EMPTY_F = np.zeros(0)
_NONE = (_EMPTY_I, _EMPTY_I, _EMPTY_F, _EMPTY_F, _EMPTY_I, np.zeros((0, len(STREAMS)), dtype=np.uint64),
         np.zeros(0, dtype=np.uint32), _EMPTY_F, _EMPTY_I, np.zeros(0, dtype=bool))


def packed(m) -> kn.Mod:
    """The model's kernel tables, built once per compiled model."""
    p = getattr(m, "_kernel_tables", None)
    if p is None:
        p = m._kernel_tables = kn.pack_model(m)
    return p


class NumbaSimulation(VectorSimulation):
    """One replication, the week windows run by the compiled kernel."""

    RECORDS = True  # one record per citizen: its fields share four cache lines
    # Compaction copies every record (6.5 ms of a 0.14 s Aalborg replication at a quarter);
    # the empty slots cost only the passes over everyone (the calendar's rebuild, the
    # indicators), not every window's search, so they may fill half the slots here.
    # The memory is the same: room for every arrival is reserved at the start.
    COMPACT_SHARE = 0.5


    def __init__(self, scenario: Scenario, years: float, seed: int, replication: int = 0) -> None:
        super().__init__(scenario, years, seed, replication)
        m = self.m
        self.M = packed(m)
        # flows of the current week as a dense (from + 1, to, cause) table, emptied weekly
        self.flows_week = np.zeros((m.n_states + 1, m.n_states, len(m.causes)), dtype=np.int64)
        self.flow_cells: list[tuple] = []  # (week, flat cell, persons) of nonzero weeks' cells
        self.cells = np.zeros(self.flows_week.size + 1, dtype=np.int64)  # [n, cells used this week]
        self.B = kn.new_bins(self.recorder)  # episodes, binned by the kernel as they end
        self.due = np.empty(0, dtype=np.int64)
        self.cal = np.zeros((0, 0), dtype=np.uint64)
        self.gone = 0  # slots of citizens who have left (state -1), for compaction

    # -- hooks into VectorSimulation ------------------------------------------------------------
    def _populate(self) -> None:
        """VectorSimulation._populate: the stock drawn and entered by :mod:`.people_numba`
        (each citizen as it is drawn, through the kernel's ``enter_one_initial``, which
        also draws its first event)."""
        c, m = self.c, self.m
        total = sum(int(round(v * self.scenario.scale)) for v in self.scenario.stocks.values())
        ids = c.allocate(total, blank=False)  # blanked by the draw
        R = self._counters(_EMPTY_F)
        self.gone += people_numba.draw_stock(c, kn.pack_citizens(c), m, self.scenario, self.rep_key, ids,
                                             self._elapsed_cdf, self.M, R, m.cause_id["initial"],
                                             float(self.wend))
        self.created = total
        self._flush_flows()  # booked to this week (0), as the NumPy engine books them

    def _compact(self) -> None:
        c = self.c
        # the same test as the NumPy engine's, on a count kept by the kernel
        if c.n > 0 and self.gone / c.n > self.COMPACT_SHARE:
            c.compact()
            self.gone = 0

    def _weeks(self) -> None:
        """VectorSimulation._weeks, a span of weeks per call of :func:`.kernel_numba.run_weeks`.

        A span ends before a week in which a plan-indicator window opens (the kernel's
        accumulators are fixed for a call), after :data:`SPAN_WEEKS` (the calendar's
        rows), or after a week that leaves :attr:`COMPACT_SHARE` of the slots empty
        (compacted here). A week's Python and calls had cost a seventh of a
        replication: a call per span instead of four per week.
        """
        c, m, rec, sc = self.c, self.m, self.recorder, self.scenario
        W = kn.Weeks(rec.persons.reshape(self.weeks + 1, -1), rec.fte.reshape(self.weeks + 1, -1),
                     rec.usage, m.capacity, m.company, m.index.get("sygedagpenge", -2),
                     m.index.get("ressourceforloeb", -2), float(sc.long_term_window),
                     float(sc.long_term_share * sc.long_term_window), self.COMPACT_SHARE,
                     self.weeks)
        ends = list(self.year_ends)
        week = 1
        while week <= self.weeks:
            self._open_windows(float(week))
            stop = week + 1
            while stop <= min(self.weeks, week + SPAN_WEEKS - 1) and not self._to_open(float(stop)):
                stop += 1
            n0 = c.n
            new = self._newcomer_span(float(stop - 1))
            wins = list(self.windows.items())
            pad = max(2, len(wins)) - len(wins)  # a fixed tuple length: one compiled variant
            win_t = np.array([t for t, _ in wins] + [np.nan] * pad)
            accs = tuple([c.extra[lo] for _, lo in wins] + [np.zeros(1)] * pad)
            R = self._counters(np.array([lo for _, lo in wins] + [np.inf] * pad))
            ind = np.zeros((len(ends), 7), dtype=np.int64)
            wait = c.waiting[: c.capacity - c.capacity % 8].view(np.uint64)
            last, events, self.gone, p, n_ends, fw, fc, fv = kn.run_weeks(
                kn.pack_citizens(c), self.M, R, self.B, W, self._calendar(stop - week), c._raw(),
                c.words(), c.blank_words(),
                wait, self._due(c.n), n0, week, stop, self.gone, *new, accs, win_t,
                np.array(ends, dtype=float), ind)
            c.n = n0 + p  # slots of newcomers after the span's end are handed back
            self.arr_next += p
            self.events += events + p
            self.created += p
            if len(fw):
                self.flow_cells.append((fw, fc, fv))
            for k in range(n_ends):
                t = ends.pop(0)
                u30, lt, sick, comp, res, pub, pop = ind[k].tolist()
                rec.indicator_row(self.calendar.date(t), t, under_30=u30, long_term=lt, sick_26=sick,
                                  company=comp, ressourceforloeb=res, public=pub, population=pop)
                c.extra.pop(self.windows.pop(t), None)
            self.week, self.wend = last, float(last)
            rec.open = last + 1
            self._compact()
            week = last + 1

    def _counters(self, win_lo: np.ndarray) -> kn.Run:
        """The run's counters as the kernel takes them, with the open indicator windows'
        starts ``win_lo``."""
        rec = self.recorder
        return kn.Run(self.count, self.area, self.in_use, self.queued, self.avail, self.flows_week,
                      self.cells, rec.starts, rec.waiting_starts, rec.exempt, win_lo)

    def _calendar(self, weeks: int) -> np.ndarray:
        """A span's calendar: a row of bits per week, a bit per slot (set: an event that
        week), kept between spans."""
        words = self.c.capacity // 64 + 1
        if self.cal.shape[1] < words:
            self.cal = np.zeros((SPAN_WEEKS, words), dtype=np.uint64)
        return self.cal[:weeks]

    def _due(self, n: int) -> np.ndarray:
        """Room for the slots of a window's due citizens, kept between windows: a fresh
        array each week would grow and trim the heap and fault its pages in again."""
        if len(self.due) < n:
            self.due = np.empty(max(n, self.c.capacity), dtype=np.int64)
        return self.due

    def _flush_episodes(self, force: bool = False) -> None:
        """Nothing to flush: the kernel bins each episode as it ends."""

    def _close_episodes(self) -> None:
        kn.close_episodes(kn.pack_citizens(self.c), self.M, self.B, self.c.n, float(self.horizon))
        kn.binned(self.B, self.recorder)

    def _flush_flows(self) -> None:
        """The week's flows (a dense table the kernel counts into) kept as nonzero cells.

        Turned into the recorder's ``Counter`` once, at the end (:meth:`_finish_flows`):
        a dictionary update per cell and week cost a twelfth of a run.
        """
        super()._flush_flows()  # the initial population's, booked by the NumPy code
        flat = self.flows_week.reshape(-1)
        k = int(self.cells[0])
        if k:
            nz = np.sort(self.cells[1: k + 1])  # the cells the kernel used this week
            self.flow_cells.append((np.full(len(nz), self.week), nz, flat[nz]))
            flat[nz] = 0
            self.cells[0] = 0

    def _finish_flows(self) -> None:
        if not self.flow_cells:
            return
        m = self.m
        week = np.concatenate([w for w, _, _ in self.flow_cells])
        cell = np.concatenate([nz for _, nz, _ in self.flow_cells])
        n = np.concatenate([v for _, _, v in self.flow_cells])
        self.flow_cells = []
        src, rest = np.divmod(cell, m.n_states * len(m.causes))
        dst, cause = np.divmod(rest, len(m.causes))
        names = np.array(m.causes, dtype=object)[cause]
        new = dict(zip(zip(week.tolist(), (src - 1).tolist(), dst.tolist(), names.tolist()),
                       n.tolist()))
        flows = self.recorder.flows
        for k in new.keys() & flows.keys():
            new[k] += flows[k]
        dict.update(flows, new)  # Counter.update adds one key at a time, in Python

    @staticmethod
    def _simpy_clock(tt: np.ndarray) -> np.ndarray:
        env = np.empty_like(tt)
        kn.simpy_clock(tt, env)
        return env

    def _indicators(self, t: float) -> None:
        """VectorSimulation._indicators, counted by the kernel in one pass."""
        sc, m, c = self.scenario, self.m, self.c
        lo = t - sc.long_term_window
        acc = c.extra[self.windows[t]] if t in self.windows else _EMPTY_F
        syg, rf = m.index.get("sygedagpenge", -2), m.index.get("ressourceforloeb", -2)
        under_30, long_term, sick_26, company, res, public, pop = kn.indicators(
            kn.pack_citizens(c), c.n, m.unemployed, m.public, m.company, m.n_inst, syg, rf,
            float(t), float(lo), float(sc.long_term_share * sc.long_term_window), acc,
            30 * WEEKS_PER_YEAR)
        self.recorder.indicator_row(
            self.calendar.date(t), t, under_30=under_30, long_term=long_term, sick_26=sick_26,
            company=company, ressourceforloeb=res, public=public, population=pop)
        if t in self.windows:
            lo = self.windows.pop(t)
            c.extra.pop(lo, None)

    # -- newcomers --------------------------------------------------------------------------------
    def _arrivals(self) -> None:
        super()._arrivals()
        self.prep_lo = self.prep_hi = 0
        self.prep: dict[str, np.ndarray] = {}
        self.inflow_tables = None

    def _newcomer_span(self, until: float) -> tuple:
        """Newcomers arriving before ``until``, in slots with their streams and attributes.

        Returns (slots, state, time, SimPy clock, cause, stream seeds, attribute draws
        made, born, education, insured) for :func:`.kernel_numba.run_weeks`, which enters
        them week by week (and writes the streams and attributes into their records).
        """
        i0 = self.arr_next
        i1 = int(np.searchsorted(self.arr_t, until, side="left"))
        if i1 <= i0:
            return _NONE
        if i1 > self.prep_hi:
            hi = int(np.searchsorted(self.arr_t, until + ARRIVAL_CHUNK_WEEKS, side="left"))
            self._prepare(i0, max(hi, i1))
        j = self.c.allocate(i1 - i0, blank=False)  # blanked by the kernel as they enter
        a, b = i0 - self.prep_lo, i1 - self.prep_lo
        p = self.prep
        return (j.astype(np.int64), p["dest"][a:b], self.arr_t[i0:i1], self.arr_env[i0:i1],
                p["cause"][a:b], p["seeds"][a:b], p["n3"][a:b], p["born"][a:b], p["edu"][a:b],
                p["insured"][a:b])

    def _prepare(self, i0: int, i1: int) -> None:
        """Streams and attributes of arrivals ``i0 .. i1`` (VectorSimulation._arrive, compiled)."""
        if self.inflow_tables is None:
            self.inflow_tables = people_numba.inflow_tables(self.m, self.scenario, self.rep_key)
        self.prep = people_numba.draw_newcomers(self.inflow_tables, self.arr_inflow[i0:i1],
                                                self.arr_k[i0:i1], self.arr_t[i0:i1])
        self.prep_lo, self.prep_hi = i0, i1


def simulate(scenario: Scenario, years: float = 5, seed: int = 2015, replication: int = 0,
             trace: set | None = None, watchers: tuple = ()) -> RunResult:
    """:func:`sim.engines.compiled.engine.simulate` with the compiled kernel (same arguments and result)."""
    refuse_live_citizens(trace, watchers)
    return NumbaSimulation(scenario, years, seed, replication).run()
