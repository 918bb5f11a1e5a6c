"""The citizens as columns of NumPy arrays, grown in chunks and compacted when many have left.

Every per-citizen quantity of :class:`sim.engine.Citizen` is one column here; the
52-week unemployment record becomes a fixed-size summary (the start of the open
unemployment spell and one accumulator per plan-indicator date whose window is open),
so memory does not grow with the number of weeks simulated.
"""

from __future__ import annotations

import numpy as np

INF = np.inf

# name -> (dtype, fill value)
COLUMNS: dict[str, tuple[str, object]] = {
    "state": ("i2", -1),        # -1 = not yet created or gone (outside)
    "born": ("f8", 0.0),
    "edu": ("i1", 0),
    "insured": ("i1", 0),
    "age": ("i1", 0),
    "next_age": ("f8", INF),
    "entered": ("f8", 0.0),
    "dp_used": ("f8", 0.0),
    "pension_at": ("f8", INF),
    "deadline": ("f8", INF),
    "rule": ("i1", -1),          # index of the rule behind ``deadline`` (-1 = pension)
    "done": ("i8", 0),           # bit mask of rules extended ("stay") in this spell
    "effect": ("i1", 0),         # 0 none, 1+i during instrument i, 1+n+i after it
    "effect_until": ("f8", INF),
    "offer_at": ("f8", INF),
    "req": ("i1", -1),           # instrument of a place held or asked for
    "waiting": ("b1", False),    # in the queue for ``req``
    "queued_at": ("f8", INF),
    "unemp_open": ("f8", np.nan),
    "since": ("f8", 0.0),        # when the current state was entered (>= 0), for episodes
    "support_since": ("f8", INF),  # start of the continuous time on public support
    "prog_since": ("f8", 0.0),   # start of the programme in progress  # start of the open unemployment interval
    "next_t": ("f8", INF),       # time of the next event (exact, as the handlers see it)
    "next_env": ("f8", INF),     # the same on SimPy's clock: now + (next_t - now)
    "sched_now": ("f8", 0.0),    # the clock when it was drawn (SimPy's env.now)
    "kind": ("i1", 0),
    "handover_at": ("f8", INF),  # a handover to another actor due in this spell
    "fire_band": ("i1", 0),
    "fire_cycle": ("i1", 0),
    "seed0": ("u8", 0), "seed1": ("u8", 0), "seed2": ("u8", 0), "seed3": ("u8", 0), "seed4": ("u8", 0),
    "n0": ("u4", 0), "n1": ("u4", 0), "n2": ("u4", 0), "n3": ("u4", 0), "n4": ("u4", 0),
}


class Citizens:
    """Columns over slots ``0 .. n``; a slot is one citizen until compaction."""

    def __init__(self, capacity: int, n_drawn: int) -> None:
        self.n = 0
        self.capacity = max(int(capacity), 16)
        self.cols: dict[str, np.ndarray] = {}
        for name, (dtype, fill) in COLUMNS.items():
            self.cols[name] = np.full(self.capacity, fill, dtype=dtype)
        self.drawn = np.zeros((self.capacity, max(n_drawn, 1)))
        self.extra: dict[object, np.ndarray] = {}  # accumulators of open indicator windows
        for name, arr in self.cols.items():
            setattr(self, name, arr)

    def add_extra(self, key: object) -> np.ndarray:
        arr = np.zeros(self.capacity)
        self.extra[key] = arr
        return arr

    def allocate(self, k: int) -> np.ndarray:
        """Slots for ``k`` new citizens (grows the arrays by at least half when full)."""
        if self.n + k > self.capacity:
            self._resize(max(self.n + k, int(self.capacity * 1.5)))
        idx = np.arange(self.n, self.n + k)
        self.n += k
        return idx

    def _resize(self, capacity: int) -> None:
        for name, (dtype, fill) in COLUMNS.items():
            new = np.full(capacity, fill, dtype=dtype)
            new[: self.n] = self.cols[name][: self.n]
            self.cols[name] = new
            setattr(self, name, new)
        d = np.zeros((capacity, self.drawn.shape[1]))
        d[: self.n] = self.drawn[: self.n]
        self.drawn = d
        for key, arr in self.extra.items():
            new = np.zeros(capacity)
            new[: self.n] = arr[: self.n]
            self.extra[key] = new
        self.capacity = capacity

    def compact(self) -> None:
        """Drop the citizens who have left, keeping the order of the others."""
        keep = np.flatnonzero(self.state[: self.n] >= 0)
        m = len(keep)
        for name, (dtype, fill) in COLUMNS.items():
            arr = self.cols[name]
            arr[:m] = arr[keep]
            arr[m: self.n] = fill
        self.drawn[:m] = self.drawn[keep]
        for arr in self.extra.values():
            arr[:m] = arr[keep]
            arr[m: self.n] = 0.0
        self.n = m

    def nbytes(self) -> int:
        return (sum(a.nbytes for a in self.cols.values()) + self.drawn.nbytes
                + sum(a.nbytes for a in self.extra.values()))
