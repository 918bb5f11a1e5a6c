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


class Recorder:
    def __init__(self, n_states: int, n_ages: int, weeks: int, n_instruments: int,
                 trace: set | None = None) -> None:
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
