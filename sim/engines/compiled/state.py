"""The citizens as columns of NumPy arrays, grown in chunks and compacted when many have left.

Every per-citizen quantity of :class:`sim.engines.simpy_engine.Citizen` is one column here; the
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


# Kept as contiguous columns even in the record layout: scanned over every citizen
# (the window's search for due events, the weekly queue), read rarely per event.
SCANNED = ("next_env", "sched_now", "waiting")


# First in a record, in one 32-byte block: what the passes over everyone read (the plan
# indicators, the episodes still open at the end), so such a pass reads one cache line a
# citizen, not the three or four of the whole record.
LEADING = ("born", "entered", "unemp_open", "state", "effect", "edu", "insured", "age", "rule", "kind")


def record_dtype(n_drawn: int) -> np.dtype:
    """One record per citizen: every column but :data:`SCANNED`, :data:`LEADING` first, then
    widest first (every field aligned to its size)."""
    rest = [(name, dtype) for name, (dtype, _) in COLUMNS.items() if name not in SCANNED + LEADING]
    rest.append(("drawn", "f8", (max(n_drawn, 1),)))
    rest.sort(key=lambda f: -np.dtype(f[1]).itemsize)  # stable: f8 and u8 first
    fields = [(name, COLUMNS[name][0]) for name in LEADING] + rest
    size = np.dtype(fields).itemsize
    if size % 8:  # whole 8-byte words: a record is copied as words (Citizens.words)
        fields.append(("pad", "u1", (8 - size % 8,)))
    return np.dtype(fields)


COMPACT_CHUNK = 4096  # records moved at a time when compacting


def _fill(raw: np.ndarray, row: np.ndarray) -> None:
    """Every row of ``raw`` set to ``row`` by doubling copies (plain memory moves;
    broadcasting a row of bytes copies it byte by byte)."""
    if not len(raw):
        return
    raw[0] = row
    k = 1
    while k < len(raw):
        raw[k: 2 * k] = raw[: min(k, len(raw) - k)]
        k *= 2


class Citizens:
    """Columns over slots ``0 .. n``; a slot is one citizen until compaction.

    Two layouts of the same columns. ``records=False``: one array per column (the NumPy
    engine, which works on whole columns). ``records=True``: the columns are views
    into one array of records, so one citizen's fields share two or three cache lines
    (the compiled kernel, which handles one citizen at a time at scattered slots and
    otherwise misses the cache once per column touched).
    """

    def __init__(self, capacity: int, n_drawn: int, records: bool = False) -> None:
        self.n = 0
        self.capacity = max(int(capacity), 16)
        self.n_drawn = max(n_drawn, 1)
        self.records = False
        self.cols: dict[str, np.ndarray] = {}
        self.extra: dict[object, np.ndarray] = {}  # accumulators of open indicator windows
        if records:
            self._record_layout()
        self._alloc(self.capacity)

    def _alloc(self, capacity: int) -> dict[str, np.ndarray]:
        """New arrays of ``capacity`` slots (fill values; records: filled by allocate);
        installs them, returns the old."""
        old = dict(self.cols)
        old["drawn"] = getattr(self, "drawn", None)
        old["rec"] = getattr(self, "rec", None)
        for name, (dtype, fill) in COLUMNS.items():
            if not self.records:
                self.cols[name] = np.full(capacity, fill, dtype=dtype)
            elif name in SCANNED:
                self.cols[name] = np.empty(capacity, dtype=dtype)  # filled in allocate
        if self.records:
            self.rec = np.empty(capacity, dtype=self.dtype)  # filled slot by slot in allocate
            for name in COLUMNS:
                if name not in SCANNED:
                    self.cols[name] = self.rec[name]
            self.drawn = self.rec["drawn"]
        else:
            self.drawn = np.zeros((capacity, self.n_drawn))
        for name, arr in self.cols.items():
            setattr(self, name, arr)
        return old

    def to_records(self) -> None:
        """Switch to the record layout, keeping every value (after the initial population,
        which the NumPy code builds faster on whole columns)."""
        if self.records:
            return
        cols, drawn = dict(self.cols), self.drawn
        self._record_layout()
        n = self.n
        # Slots past ``n`` are left untouched until allocate() fills them: fresh memory
        # costs a page fault on first touch, the larger part of growing the arrays.
        self.rec = np.empty(self.capacity, dtype=self.dtype)
        for name in COLUMNS:
            if name not in SCANNED:
                self.rec[name][:n] = cols[name][:n]
                self.cols[name] = self.rec[name]
                setattr(self, name, self.cols[name])
        self.rec["drawn"][:n] = drawn[:n]
        self.drawn = self.rec["drawn"]

    def _record_layout(self) -> None:
        self.records = True
        self.dtype = record_dtype(self.n_drawn)
        blank = np.zeros(1, dtype=self.dtype)
        for name, (_, fill) in COLUMNS.items():
            if name not in SCANNED:
                blank[name] = fill
        self._blank = blank

    def words(self) -> np.ndarray:
        """The records as rows of 8-byte words (a record is a whole number of words)."""
        return self.rec.view(np.uint64).reshape(len(self.rec), self.dtype.itemsize // 8)

    def blank_words(self) -> np.ndarray:
        """A record holding every column's fill value, as words."""
        return self._blank.view(np.uint64).reshape(-1)

    def _raw(self) -> np.ndarray:
        """The records as rows of bytes: whole-record copies as plain memory moves
        (NumPy copies a structured array field by field)."""
        return self.rec.view(np.uint8).reshape(len(self.rec), self.dtype.itemsize)

    def add_extra(self, key: object) -> np.ndarray:
        arr = np.zeros(self.capacity)
        self.extra[key] = arr
        return arr

    def allocate(self, k: int, blank: bool = True) -> np.ndarray:
        """Slots for ``k`` new citizens (grows the arrays by at least half when full).

        ``blank=False`` leaves the records' bytes as they are, for a caller that copies
        :meth:`blank_words` into each record itself (the compiled kernel, as it enters them).
        """
        if self.n + k > self.capacity:
            self._resize(max(self.n + k, int(self.capacity * 1.5)))
        if self.records:
            if blank:
                _fill(self._raw()[self.n: self.n + k], self._blank.view(np.uint8))
            for name in SCANNED:
                self.cols[name][self.n: self.n + k] = COLUMNS[name][1]
        idx = np.arange(self.n, self.n + k)
        self.n += k
        return idx

    def _resize(self, capacity: int) -> None:
        """Grow to ``capacity`` slots, one array at a time (so the peak holds one old array
        beside its copy, not the whole population twice)."""
        n = self.n
        if self.records:
            old = self._raw()
            self.rec = np.empty(capacity, dtype=self.dtype)  # filled slot by slot in allocate
            self._raw()[:n] = old[:n]
            del old
            for name in COLUMNS:
                if name not in SCANNED:
                    self.cols[name] = self.rec[name]
                    setattr(self, name, self.cols[name])
            self.drawn = self.rec["drawn"]
        else:
            d = np.zeros((capacity, self.n_drawn))
            d[:n] = self.drawn[:n]
            self.drawn = d
        for name, (dtype, fill) in COLUMNS.items():
            if not self.records:
                new = np.full(capacity, fill, dtype=dtype)
            elif name in SCANNED:
                new = np.empty(capacity, dtype=dtype)  # filled in allocate
            else:
                continue
            new[:n] = self.cols[name][:n]
            self.cols[name] = new
            setattr(self, name, new)  # the old array is freed here
        if self.records:
            for name in COLUMNS:
                setattr(self, name, self.cols[name])
        for key, arr in self.extra.items():
            new = np.zeros(capacity)
            new[:n] = arr[:n]
            self.extra[key] = new
        self.capacity = capacity

    def compact(self) -> None:
        """Drop the citizens who have left, keeping the order of the others."""
        keep = np.flatnonzero(self.state[: self.n] >= 0)
        m = len(keep)
        if self.records:
            raw = self._raw()
            # in place, in chunks: row i takes row keep[i] >= i, and every chunk's sources
            # lie at or after its own rows, past those already written. A whole raw[keep]
            # would be a temporary as large as the population, in fresh (page-faulting) memory.
            for a in range(0, m, COMPACT_CHUNK):
                z = min(a + COMPACT_CHUNK, m)
                raw[a:z] = raw[keep[a:z]]
            _fill(raw[m: self.n], self._blank.view(np.uint8))
        else:
            self.drawn[:m] = self.drawn[keep]
        for name, (dtype, fill) in COLUMNS.items():
            if not self.records or name in SCANNED:
                arr = self.cols[name]
                arr[:m] = arr[keep]
                arr[m: self.n] = fill
        for arr in self.extra.values():
            arr[:m] = arr[keep]
            arr[m: self.n] = 0.0
        self.n = m

    def nbytes(self) -> int:
        own = sum(a.nbytes for k, a in self.cols.items() if not self.records or k in SCANNED)
        own += self.rec.nbytes if self.records else self.drawn.nbytes
        return own + sum(a.nbytes for a in self.extra.values())
