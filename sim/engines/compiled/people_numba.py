"""People drawn by compiled loops: the initial stock and the newcomers (the vector
engine with Numba).

:func:`sim.model.population.initial_attributes` draws a state's stock on NumPy arrays: some
hundred array operations per state and a search per stratum, a fifth of a
replication. Here each citizen's streams, its seven attribute uniforms and its
attributes (age band, age, education, a-kasse, elapsed spell, prior unemployment) are
made in one pass, with the same uint64 and float operations in the same order, so the
people are bit for bit those of the SimPy and NumPy engines (tested through their
identical paths).

The elapsed-duration CDFs are kept per model in one table by (state, age band,
education, insured) and filled on demand: the pass notes the citizens whose stratum's
CDF is not there yet, the CDFs are computed (:func:`sim.model.population.elapsed_cdf`) and
those citizens' spells drawn after (:func:`_draw_later`; a citizen's draws depend on
the citizen only).

Newcomers (:func:`draw_newcomers`) are drawn as ``VectorSimulation._arrive`` draws them,
a year of arrivals at a time.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from sim.spec.calendar import WEEKS_PER_YEAR
from sim.model.population import INITIAL_DRAWS, MAX_ELAPSED_WEEKS, age_range
from sim.engines.compiled import kernel_numba as kn
from sim.engines.compiled.kernel_numba import _GOLDEN, _count_le, _inline, _kernel, _mix, _nth, blank, enter_one_initial
from sim.model.rng import inflow_key
from sim.engines.compiled.rng import _KEYS

_WPY = WEEKS_PER_YEAR
_ONE = np.uint64(1)
_K0, _K1, _K2, _K3, _K4 = _KEYS
N_DRAWS = len(INITIAL_DRAWS)

# Per stock state (in the scenario's order) the cumulative shares of the draws, padded with
# +inf (never <= a uniform), with their lengths and last positive share (draw_indices),
# and the elapsed CDF table [state, band, education, insured, week] (NaN: not computed).
Stock = namedtuple("Stock", ["state", "age_cum", "age_len", "age_last", "age_lo", "age_hi",
                             "edu_cum", "edu_len", "edu_last", "insured_share", "always_insured",
                             "prior_share", "prior_weeks", "cdf", "need"])


def _cum(shares) -> tuple[list[float], int]:
    """draw_indices' cumulative sums (added in order) and last positive share."""
    cum, acc = [], 0.0
    for share in shares:
        acc += share
        cum.append(acc)
    last = max([k for k, share in enumerate(shares) if share > 0] + [0])
    return cum, last


def _padded(rows: list[list[float]]) -> np.ndarray:
    out = np.full((len(rows), max([len(r) for r in rows] + [1])), np.inf)
    for k, r in enumerate(rows):
        out[k, : len(r)] = r
    return out


def stock_tables(m, scenario) -> Stock:
    """The tables of the model's initial stock, kept on the model (its CDFs fill up across
    replications)."""
    tables = getattr(m, "_stock_tables", None)
    if tables is not None:
        return tables
    sc = scenario
    states = list(sc.stocks)
    pension_hi = m.law.pension_age.at(sc.start.replace(year=sc.start.year - 65))
    bands = range(len(sc.age_lower))
    ages = [_cum(sc.stock_age[s]) for s in states]
    edus = [_cum(sc.stock_education[s]) for s in states]
    prior = [sc.stock_prior.get(s) or (0.0, 0.0) for s in states]
    n_edu = len(sc.education_levels)
    tables = Stock(
        state=np.array([m.index[s] for s in states], dtype=np.int64),
        age_cum=_padded([c for c, _ in ages]), age_len=np.array([len(c) for c, _ in ages], dtype=np.int64),
        age_last=np.array([last for _, last in ages], dtype=np.int64),
        age_lo=np.array([age_range(sc, b, pension_hi)[0] for b in bands], dtype=float),
        age_hi=np.array([age_range(sc, b, pension_hi)[1] for b in bands], dtype=float),
        edu_cum=_padded([c for c, _ in edus]), edu_len=np.array([len(c) for c, _ in edus], dtype=np.int64),
        edu_last=np.array([last for _, last in edus], dtype=np.int64),
        insured_share=np.array([float(sc.stock_insured[s]) for s in states]),
        always_insured=np.array([s == "dagpenge" for s in states], dtype=np.bool_),
        prior_share=np.array([float(p[0]) for p in prior]), prior_weeks=np.array([float(p[1]) for p in prior]),
        cdf=np.full((len(states), len(bands), n_edu, 2, MAX_ELAPSED_WEEKS + 1), np.nan),
        need=np.zeros((len(states), len(bands), n_edu, 2), dtype=np.bool_),
    )
    m._stock_tables = tables
    return tables


def draw_stock(c, cit, m, scenario, rep_key: int, ids: np.ndarray, cdf, M, R, cause: int,
               wend: float) -> int:
    """Draw the initial stock into slots ``ids`` (consecutive, allocated without blanking)
    and enter it: blank records with their streams, the attribute stream's counter,
    birth, education and a-kasse, then :func:`.kernel_numba.enter_one_initial` at time 0
    (``M``, ``R``, ``cause``, ``wend`` as :func:`.kernel_numba.enter_initial` takes them),
    while the record is in the cache.

    ``cdf(state, band, edu, insured)`` is the engine's cached :func:`elapsed_cdf`.
    Returns how many left at once (redirected outside).
    """
    T = stock_tables(m, scenario)
    sizes = np.array([int(round(v * scenario.scale)) for v in scenario.stocks.values()], dtype=np.int64)
    n = len(ids)
    S, elapsed, prior = np.zeros(n, dtype=np.int64), np.zeros(n), np.zeros(n)
    first = int(ids[0]) if n else 0
    names = list(scenario.stocks)
    stock, later = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    k, gone = _draw(cit, T, c.words(), c.blank_words(), sizes, first, np.uint64(rep_key), S, stock, elapsed,
                    prior, later, M, R, cause, wend)
    if k:  # strata met for the first time: their CDFs, then those citizens' spells and entry
        for st, b, e, ins in zip(*np.nonzero(T.need)):
            T.cdf[st, b, e, ins] = cdf(names[st], int(b), int(e), int(ins))
        T.need[:] = False
        p = later[:k]
        _draw_later(cit, T, first, stock, elapsed, p)
        gone += kn.enter_initial(cit, M, R, first + p, S[p], np.zeros(k), elapsed[p], prior[p], cause, wend)
    return gone


@_inline
def _pick(cum, length, last, u):
    """draw_indices: how many cumulative shares are <= u, or the last positive share."""
    k = _count_le(cum, u)
    return k if k < length else last


@_kernel
def _draw(C, T, words, blank_row, sizes, first, rep_key, S, stock, elapsed, prior, later, M, R, cause, wend):
    """One pass over the stock, each record blanked first, each citizen entered once drawn.
    A citizen whose stratum lacks its CDF (marked in T.need) is noted in ``later`` and
    not entered yet; returns (how many were, how many left at once)."""
    k = 0
    p = 0
    gone = 0
    for st in range(len(sizes)):
        for _ in range(sizes[st]):
            i = first + p
            blank(words, i, blank_row)
            inner = _mix(np.uint64(i) * _GOLDEN + _ONE)  # rng.initial_bases
            base = _mix(rep_key ^ inner)
            C.seed0[i] = _mix(base ^ _K0)
            C.seed1[i] = _mix(base ^ _K1)
            C.seed2[i] = _mix(base ^ _K2)
            seed = _mix(base ^ _K3)
            C.seed3[i] = seed
            C.seed4[i] = _mix(base ^ _K4)
            C.n3[i] = N_DRAWS
            band = _pick(T.age_cum[st], T.age_len[st], T.age_last[st], _nth(seed, 1))
            age = T.age_lo[band] + (T.age_hi[band] - T.age_lo[band]) * _nth(seed, 2)
            edu = _pick(T.edu_cum[st], T.edu_len[st], T.edu_last[st], _nth(seed, 3))
            ins = 1 if (_nth(seed, 4) < T.insured_share[st] or T.always_insured[st]) else 0
            u6 = _nth(seed, 7)
            share = T.prior_share[st]
            prior[p] = T.prior_weeks[st] * u6 / share if (share > 0.0 and u6 < share) else 0.0
            C.born[i] = -age * _WPY
            C.edu[i] = edu
            C.insured[i] = ins
            S[p] = T.state[st]
            stock[p] = st
            if _elapsed(T, st, band, edu, ins, seed, elapsed, p):
                gone += enter_one_initial(C, M, R, i, S[p], 0.0, elapsed[p], prior[p], cause, wend)
            else:
                T.need[st, band, edu, ins] = True
                later[k] = p
                k += 1
            p += 1
    return k, gone


@_inline
def _elapsed(T, st, band, edu, ins, seed, elapsed, p):
    """Weeks already spent in the spell from the stratum's CDF (False: not computed yet)."""
    row = T.cdf[st, band, edu, ins]
    if np.isnan(row[0]):
        return False
    u4 = _nth(seed, 5)
    L = len(row)
    lo, hi = 0, L  # searchsorted(row, u4, side="right"): how many entries <= u4
    while lo < hi:
        mid = (lo + hi) >> 1
        if row[mid] <= u4:
            lo = mid + 1
        else:
            hi = mid
    elapsed[p] = min(lo, L - 1) + _nth(seed, 6)
    return True


@_kernel
def _draw_later(C, T, first, stock, elapsed, later):
    """The elapsed spells of the citizens noted in ``later``, their CDFs now computed."""
    for k in range(len(later)):
        p = later[k]
        i = first + p
        st = stock[p]
        seed = C.seed3[i]
        band = _pick(T.age_cum[st], T.age_len[st], T.age_last[st], _nth(seed, 1))
        _elapsed(T, st, band, C.edu[i], C.insured[i], seed, elapsed, p)


# Per inflow: its key, a fixed age (NaN: drawn from the bands), the cumulative shares of
# the age band, destination state and education draws (draw_indices), the a-kasse share,
# the model state of each destination and the cause of entry.
Inflows = namedtuple("Inflows", ["key", "age", "age_cum", "age_len", "age_last", "age_lo", "age_hi",
                                 "dest_cum", "dest_len", "dest_last", "dest_state", "edu_cum", "edu_len",
                                 "edu_last", "insured_share", "cause"])


def inflow_tables(m, scenario, rep_key: int) -> Inflows:
    """The inflows' tables for replication key ``rep_key`` (only the keys depend on it)."""
    sc = scenario
    fl = sc.inflows
    bands = range(len(sc.age_lower))
    ages = [_cum(f.age_bands) if f.age is None else ([], 0) for f in fl]
    dests = [_cum([f.states[s] for s in f.states]) for f in fl]
    edus = [_cum(f.education) for f in fl]
    return Inflows(
        key=np.array([inflow_key(rep_key, f.name) for f in fl], dtype=np.uint64),
        age=np.array([np.nan if f.age is None else float(f.age) for f in fl]),
        age_cum=_padded([c for c, _ in ages]), age_len=np.array([len(c) for c, _ in ages], dtype=np.int64),
        age_last=np.array([last for _, last in ages], dtype=np.int64),
        age_lo=np.array([age_range(sc, b, 65.0)[0] for b in bands], dtype=float),  # as the SimPy engine
        age_hi=np.array([age_range(sc, b, 65.0)[1] for b in bands], dtype=float),
        dest_cum=_padded([c for c, _ in dests]), dest_len=np.array([len(c) for c, _ in dests], dtype=np.int64),
        dest_last=np.array([last for _, last in dests], dtype=np.int64),
        dest_state=_padded_int([[m.index[s] for s in f.states] for f in fl]),
        edu_cum=_padded([c for c, _ in edus]), edu_len=np.array([len(c) for c, _ in edus], dtype=np.int64),
        edu_last=np.array([last for _, last in edus], dtype=np.int64),
        insured_share=np.array([float(f.insured_share) for f in fl]),
        cause=np.array([m.cause_id[f.name] for f in fl], dtype=np.int64),
    )


def _padded_int(rows: list[list[int]]) -> np.ndarray:
    out = np.zeros((len(rows), max([len(r) for r in rows] + [1])), dtype=np.int64)
    for k, r in enumerate(rows):
        out[k, : len(r)] = r
    return out


def draw_newcomers(F: Inflows, inflow: np.ndarray, ks: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
    """Streams and attributes of the arrivals of ``inflow`` (index), numbered ``ks`` within
    it, arriving at ``t``: as VectorSimulation._arrive draws them."""
    n = len(t)
    out = dict(seeds=np.zeros((n, 5), dtype=np.uint64), n3=np.zeros(n, dtype=np.uint32),
               born=np.zeros(n), edu=np.zeros(n, dtype=np.int64), insured=np.zeros(n, dtype=np.bool_),
               dest=np.zeros(n, dtype=np.int64), cause=np.zeros(n, dtype=np.int64))
    _newcomers(F, np.asarray(inflow, dtype=np.int64), np.asarray(ks, dtype=np.int64), np.asarray(t, dtype=float),
               out["seeds"], out["n3"], out["born"], out["edu"], out["insured"], out["dest"], out["cause"])
    return out


@_kernel
def _newcomers(F, inflow, ks, t, seeds, n3, born, edu, insured, dest, cause):
    for p in range(len(t)):
        f = inflow[p]
        inner = _mix(np.uint64(ks[p]) * _GOLDEN + _ONE)  # rng.newcomer_bases
        base = _mix(F.key[f] ^ inner)
        seed = _mix(base ^ _K3)
        seeds[p, 0] = _mix(base ^ _K0)
        seeds[p, 1] = _mix(base ^ _K1)
        seeds[p, 2] = _mix(base ^ _K2)
        seeds[p, 3] = seed
        seeds[p, 4] = _mix(base ^ _K4)
        k = 0
        age = F.age[f]
        if np.isnan(age):
            band = _pick(F.age_cum[f], F.age_len[f], F.age_last[f], _nth(seed, k + 1))
            age = F.age_lo[band] + (F.age_hi[band] - F.age_lo[band]) * _nth(seed, k + 2)
            k += 2
        dest[p] = F.dest_state[f, _pick(F.dest_cum[f], F.dest_len[f], F.dest_last[f], _nth(seed, k + 1))]
        edu[p] = _pick(F.edu_cum[f], F.edu_len[f], F.edu_last[f], _nth(seed, k + 2))
        insured[p] = _nth(seed, k + 3) < F.insured_share[f]
        n3[p] = k + 3
        born[p] = t[p] - age * _WPY
        cause[p] = F.cause[f]
