"""What a run records: counters updated by transitions, snapshots taken weekly.

Stocks are kept as counts per (state, age band) that transitions update, and a
running time-integral gives full-time persons exactly (weeks on a benefit ÷ weeks in
the period, the Jobindsats definition) without visiting anyone. Only the indicators
that need individual histories (long-term unemployment, long sick spells) look at the
members of a few states, at year ends.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np


# Episodes are buffered and binned into weekly arrays in batches of this size, so memory
# stays flat however long the run.
FLUSH_EVERY = 100_000


class Recorder:
    def __init__(self, n_states: int, n_ages: int, weeks: int, n_instruments: int,
                 trace: set | None = None, support_bands: tuple[float, ...] = (0.0,)) -> None:
        # plain lists: per-transition updates of numpy scalars cost more than the arithmetic
        self.count = [[0] * n_ages for _ in range(n_states)]
        self.area = [[0.0] * n_ages for _ in range(n_states)]  # person-weeks since the last snapshot
        self.last = [[0.0] * n_ages for _ in range(n_states)]
        self.persons = np.zeros((weeks + 1, n_states, n_ages), dtype=np.int64)
        self.fte = np.zeros((weeks + 1, n_states, n_ages))
        self.flows: Counter = Counter()  # (week, from, to, cause) -> persons
        self.starts = np.zeros((weeks + 1, n_instruments), dtype=np.int64)
        self.waiting_starts = np.zeros((weeks + 1, n_instruments), dtype=np.int64)
        self.usage = np.zeros((weeks + 1, n_instruments, 2), dtype=np.int64)
        self.exempt = np.zeros(weeks + 1, dtype=np.int64)
        # full-time persons by continuous duration on public support (the refund staircase's
        # steps) and by activation instrument; filled from episodes, see bin_intervals
        self.support_bands = tuple(float(b) for b in support_bands)
        self.fte_support = np.zeros((weeks + 1, n_states, len(self.support_bands)))
        self.fte_programme = np.zeros((weeks + 1, n_states, n_instruments))
        self._support_log: list[tuple[int, float, float, float]] = []
        self._programme_log: list[tuple[int, int, float, float]] = []
        self.indicators: list[dict] = []
        self.trace = trace or set()
        self.log: dict = defaultdict(list)
        self.events = 0
        self.open = 0  # index of the next snapshot: flows are booked to the week they show in

    # -- counters -----------------------------------------------------------------------
    def add(self, s: int, a: int, now: float, n: int = 1) -> None:
        cs, ls = self.count[s], self.last[s]
        self.area[s][a] += cs[a] * (now - ls[a])
        ls[a] = now
        cs[a] += n

    def flow(self, now: float, src: int, dst: int, cause: str) -> None:
        self.flows[(self.open, src, dst, cause)] += 1

    def offer(self, c, now: float, instrument: int | None) -> None:
        week = int(now)
        if instrument is None:
            self.exempt[week] += 1
        elif instrument >= 0:
            self.starts[week, instrument] += 1
        else:
            self.waiting_starts[week, -1 - instrument] += 1
        if c.id in self.trace:
            what = "exempt" if instrument is None else (
                f"start {instrument}" if instrument >= 0 else f"queue {-1 - instrument}")
            self.note(c, now, "offer", what)

    def support_episode(self, s: int, start: float, end: float, origin: float) -> None:
        """Time ``[start, end)`` in public-support state ``s``, on support since ``origin``."""
        self._support_log.append((s, start, end, origin))
        if len(self._support_log) >= FLUSH_EVERY:
            self.flush()

    def programme_episode(self, s: int, instrument: int, start: float, end: float) -> None:
        """Time ``[start, end)`` in an instrument's programme while in state ``s``."""
        self._programme_log.append((s, instrument, start, end))
        if len(self._programme_log) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Bin the buffered episodes into the weekly full-time-person arrays."""
        if self._support_log:
            s, a, b, o = (np.array(x) for x in zip(*self._support_log))
            self._support_log = []
            self.support_episodes(s, a, b, o)
        if self._programme_log:
            s, i, a, b = (np.array(x) for x in zip(*self._programme_log))
            self._programme_log = []
            self.programme_episodes(s, i, a, b)

    def support_episodes(self, s: np.ndarray, a: np.ndarray, b: np.ndarray, o: np.ndarray) -> None:
        """Bin support episodes given as arrays (state, start, end, on support since)."""
        bounds = self.support_bands
        nb = len(bounds)
        for k in range(nb):
            lo = np.maximum(a, o + bounds[k])
            hi = np.minimum(b, o + bounds[k + 1]) if k + 1 < nb else b
            bin_intervals(self.fte_support[:, :, k], s, lo, hi)
        # row 0: persons at the start, by their duration band then
        at0 = (a <= 0.0) & (b > 0.0)
        band0 = np.searchsorted(bounds, -o[at0], side="right") - 1
        np.add.at(self.fte_support[0], (s[at0], np.maximum(band0, 0)), 1.0)  # small: row 0 only

    def programme_episodes(self, s: np.ndarray, i: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        """Bin programme episodes given as arrays (state, instrument, start, end)."""
        flat = self.fte_programme.reshape(self.fte_programme.shape[0], -1)
        n_inst = self.fte_programme.shape[2]
        bin_intervals(flat, s * n_inst + i, a, b)
        at0 = (a <= 0.0) & (b > 0.0)
        np.add.at(self.fte_programme[0], (s[at0], i[at0]), 1.0)

    def indicator_row(self, date, week: float, *, under_30: int, long_term: int, sick_26: int,
                      company: int, ressourceforloeb: int, public: int, population: int) -> None:
        """The plan indicators measured at a date (each 1 January); every engine writes them here,
        so the names the tables, goals and reports read are set in one place."""
        self.indicators.append({
            "date": date, "week": week,
            "under_30_public_support": under_30,
            "long_term_unemployed": long_term,
            "sygedagpenge_over_26_weeks": sick_26,
            "company_placements": company,
            "ressourceforloeb": ressourceforloeb,
            "public_support": public,
            "population": population,
        })

    def note(self, c, now: float, event: str, detail: str) -> None:
        self.log[c.id].append((now, event, detail))

    # -- snapshots ------------------------------------------------------------------------
    def snapshot(self, week: int, now: float, usage: list[tuple[int, int]]) -> None:
        """Persons at ``now`` and full-time persons over the week that just ended."""
        count = np.array(self.count)
        area = np.array(self.area) + count * (now - np.array(self.last))
        self.last = [[now] * len(row) for row in self.count]
        self.persons[week] = count
        self.fte[week] = area if week > 0 else count
        self.area = [[0.0] * len(row) for row in self.count]
        if usage:
            self.usage[week] = usage
        self.open = week + 1


def bin_intervals(out: np.ndarray, column: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
    """Add the time each interval ``[start, end)`` spends in each week to ``out[week, column]``.

    Week ``w >= 1`` covers model time ``[w - 1, w)``; row 0 (the start) is not touched.
    Each end point ``p`` of an interval (sign +1 at the start, -1 at the end) adds
    ``k - p`` to the week ``k`` holding it and 1 to every later week: O(1) per interval,
    vectorised, so engines can record episodes instead of visiting people every week.
    """
    keep = end > start
    if not keep.any():
        return
    column, start, end = column[keep], start[keep], end[keep]
    weeks = out.shape[0] - 1
    width = int(np.prod(out.shape[1:]))
    flat_out = out if out.ndim == 2 else out.reshape(weeks + 1, width)
    if not np.shares_memory(flat_out, out):  # pragma: no cover - callers pass 2-D views
        raise ValueError("bin_intervals needs a 2-D view or a contiguous array")
    size = (weeks + 2) * width
    frac = np.zeros(size)
    step = np.zeros(size)
    for p, sign in ((start, 1.0), (end, -1.0)):
        k = np.clip(np.floor(p).astype(np.int64) + 1, 1, weeks + 1)
        frac += np.bincount(k * width + column, weights=sign * (k - p), minlength=size)
        step += np.bincount(np.minimum(k + 1, weeks + 1) * width + column,
                            weights=np.full(len(p), sign), minlength=size)
    total = frac.reshape(weeks + 2, width) + np.cumsum(step.reshape(weeks + 2, width), axis=0)
    flat_out[1:] += total[1:weeks + 1]
