"""The vector engine's per-event work as compiled loops (Numba), citizen by citizen.

The NumPy engine (:mod:`.engine`) spends ~1.5-2.5 µs per event on a hundred scattered
array operations (benchmarks/vector_cost.py). Here the same handlers are written for
one citizen at a time and compiled, so one event costs a few dozen loads and stores.
Nothing else changes: the model tables of :mod:`.model`, the citizen columns of
:mod:`.state`, the SplitMix64 streams (the same uint64 arithmetic as :mod:`sim.model.rng`),
the batches within a week window (so the order of service for places, and every
result, is the NumPy engine's) and the recording into the same :class:`Recorder`.

Layout: :func:`pack_model` turns a :class:`~.model.Model` into a named tuple of dense
arrays (``M``); the citizen columns travel as a named tuple too (``C``); the run's
counters as a third (``R``). The handlers mirror the methods of
:class:`~.engine.VectorSimulation` of the same name; each says which.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.cpython.unsafe.numbers import trailing_zeros

from sim.spec.calendar import WEEKS_PER_YEAR
from sim.engines.compiled.state import COLUMNS

INF = np.inf
DEADLINE, AGE, EFFECT, OFFER, HAZARD = 0, 1, 2, 3, 4
CLOCKS = {"spell_weeks": 0, "dagpenge_weeks_used": 1, "age_years": 2, "drawn_weeks": 3}
SPELL, DP_USED, AGE_YEARS, DRAWN = 0, 1, 2, 3

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_INV_2_53 = 1.0 / (1 << 53)
_WPY = WEEKS_PER_YEAR

# Two kinds of compiled functions. The per-citizen handlers run without Numba's
# reference counting (_nrt=False): they only read and write arrays they are given, and
# with it every access to a member of the named tuples below counts references
# (atomic increments and decrements of ~100 arrays): 860 ns instead of 32 ns to
# schedule one event. The drivers, which allocate (batches, sorting), keep it and only
# loop over calls. error_model="numpy": IEEE float semantics as in NumPy (no
# ZeroDivisionError checks).
_kernel = njit(cache=True, _nrt=False, error_model="numpy")
_driver = njit(cache=True, error_model="numpy")
# A handler called from another is inlined by Numba: a call passes the named tuples as
# some 700 scalars (each array is 7 fields), which costs more than the handler itself.
_inline = njit(cache=True, _nrt=False, error_model="numpy", inline="always")

# the citizen columns, in the order of .state.COLUMNS, plus the drawn rule lengths
Cit = namedtuple("Cit", list(COLUMNS) + ["drawn"])

Mod = namedtuple("Mod", [
    # sizes and special states
    "n_ages", "n_inst", "n_states", "outside", "employed", "education", "dagpenge", "reearning",
    # hazards (sim.engines.compiled.model.HazardArrays)
    "tab_total", "tab_cum", "tab_dest", "tab_cause", "strides", "bounds", "cycle",
    # people
    "age_bounds", "public", "unemployed", "prior_unemployed", "exit_cum",
    "pension_starts", "pension_years",
    # entry redirects
    "red_start", "red_below", "red_edu_ok", "red_map", "red_has",
    # rules (index n_rules in the branch tables = the pension)
    "rule_clock", "rule_by_entry", "rule_col", "state_rules", "state_drawn",
    "limit_starts", "limit_values", "seg", "seg_n",
    "then_starts", "then_cum", "then_dest", "then_len", "rule_cause", "has_pension",
    "drawn_w", "drawn_p",
    # activation
    "after_code", "duration", "after_weeks",
    "pol_has", "pol_exempt", "first_starts", "first_values", "repeat_starts", "repeat_values",
    "pol_cum", "pol_items", "pol_len",
    # handovers to other actors (Activation._refer), by state
    "ref_has", "ref_share", "ref_first", "ref_last", "ref_inst",
])

# the episode tables (frac and step of sim.engines.recorder.bin_intervals, weeks 0 .. weeks + 1 by
# column) and the persons at the start (row 0) of fte_support and fte_programme
Bins = namedtuple("Bins", ["sup_frac", "sup_step", "prog_frac", "prog_step", "sup0", "prog0", "bounds"])

Run = namedtuple("Run", ["count", "area", "in_use", "queued", "avail", "flows", "cells", "starts",
                         "waiting_starts", "exempt", "win_lo"])


# -- packing (Python) --------------------------------------------------------------------------
def _pad(rows: list, width: int, fill, dtype) -> np.ndarray:
    out = np.full((len(rows), max(width, 1)), fill, dtype=dtype)
    for k, r in enumerate(rows):
        out[k, : len(r)] = r
    return out


def pack_model(m) -> Mod:
    """The model's lookup tables as one named tuple of dense arrays (padded where ragged)."""
    sc = m.scenario
    S, A, n = m.n_states, m.n_ages, m.n_inst
    tab = m.table
    rules = m.rules
    R = len(rules)
    branches = rules + ([m.pension_branch] if m.pension_branch is not None else [])
    P = max([len(b.then_starts) for b in branches] + [1])
    K = max([b.then_cum.shape[1] for b in branches] + [1])
    then_starts = np.full((R + 1, P), INF)
    then_cum = np.full((R + 1, P, K), INF)
    then_dest = np.zeros((R + 1, P, K), dtype=np.int64)
    then_len = np.ones((R + 1, P), dtype=np.int64)
    rule_cause = np.zeros(R + 1, dtype=np.int64)
    for k, b in enumerate(branches):
        p, kk = b.then_cum.shape
        then_starts[k, :p] = b.then_starts
        then_cum[k, :p, :kk] = b.then_cum
        then_dest[k, :p, :kk] = b.then_dest
        then_len[k, :p] = b.then_len
        rule_cause[k] = m.cause_id[b.name]
    G = max([len(r.segments) for r in rules] + [1])
    seg = np.zeros((max(R, 1), G, 3))
    for k, r in enumerate(rules):
        for g, (start, end, limit) in enumerate(r.segments):
            seg[k, g] = (start, end, limit)
    drawn = [r for r in rules if r.clock == "drawn_weeks"]
    D = max([len(r.durations) for r in drawn] + [1])
    drawn_w = np.zeros((max(R, 1), D))
    drawn_p = np.zeros((max(R, 1), D))  # zero share: never drawn
    for r in drawn:
        drawn_w[r.index, : len(r.durations)] = r.durations
        drawn_p[r.index, : len(r.shares)] = r.shares
    # activation policies by target state
    pols = [m.policies.get(s) for s in range(S)]
    some = [p for p in pols if p is not None]
    PF = max([len(p.first_starts) for p in some] + [1])
    PR = max([len(p.repeat_starts) for p in some] + [1])
    PK = max([len(p.cum) for p in some] + [1])
    first_starts = np.full((S, PF), INF)
    first_values = np.zeros((S, PF, A))
    repeat_starts = np.full((S, PR), INF)
    repeat_values = np.zeros((S, PR))
    pol_cum = np.full((S, PK), INF)
    pol_items = np.zeros((S, PK), dtype=np.int64)
    pol_len = np.ones(S, dtype=np.int64)
    pol_exempt = np.zeros(S)
    for s, p in enumerate(pols):
        if p is None:
            continue
        first_starts[s, : len(p.first_starts)] = p.first_starts
        first_values[s, : len(p.first_starts)] = p.first_values
        repeat_starts[s, : len(p.repeat_starts)] = p.repeat_starts
        repeat_values[s, : len(p.repeat_starts)] = p.repeat_values
        pol_cum[s, : len(p.cum)] = p.cum
        pol_items[s, : len(p.items)] = p.items
        pol_len[s] = len(p.cum)
        pol_exempt[s] = p.exempt
    E = len(sc.education_levels)
    reds = m.redirects
    ref = [m.referrals.get(s) for s in range(S)]
    return Mod(
        n_ages=A, n_inst=n, n_states=S, outside=m.outside, employed=m.employed,
        education=m.education, dagpenge=m.dagpenge, reearning=float(sc.reearning_weeks),
        tab_total=tab.total, tab_cum=np.ascontiguousarray(tab.cum),
        # 16-bit destinations and causes: the hazard rows are read at random (one per move),
        # and three 64-bit tables of 7.5 MB each miss the cache more often than one
        tab_dest=tab.dest.astype(np.int16), tab_cause=tab.cause.astype(np.int16),
        strides=tab.strides.astype(np.int64), bounds=np.ascontiguousarray(tab.bounds),
        cycle=tab.cycle.astype(float),
        age_bounds=m.age_bounds.astype(float), public=m.public.copy(), unemployed=m.unemployed.copy(),
        prior_unemployed=m.prior_unemployed.astype(float), exit_cum=m.exit_cum.astype(float),
        pension_starts=m.pension_starts.astype(float), pension_years=m.pension_years.astype(float),
        red_start=np.array([r[0] for r in reds] + [INF], dtype=float),
        red_below=np.array([r[1] for r in reds] + [0.0], dtype=float),
        red_edu_ok=_pad([r[2] for r in reds], E, False, np.bool_),
        red_map=_pad([r[3] for r in reds], S, 0, np.int64),
        red_has=_pad([r[4] for r in reds], S, False, np.bool_),
        rule_clock=np.array([CLOCKS[r.clock] for r in rules] + [0], dtype=np.int64),
        rule_by_entry=np.array([r.by_entry for r in rules] + [False], dtype=np.bool_),
        # per state the rules that apply in it (all, and those of drawn lengths), -1 after
        state_rules=_pad([[r.index for r in rules if r.in_state[s]] for s in range(S)],
                         len(rules), -1, np.int64),
        state_drawn=_pad([[r.index for r in rules if r.in_state[s] and r.clock == "drawn_weeks"]
                          for s in range(S)], len(rules), -1, np.int64),
        rule_col=np.array([r.drawn_col for r in rules] + [-1], dtype=np.int64),
        limit_starts=_pad([r.limit_starts for r in rules], max([len(r.limit_starts) for r in rules] + [1]),
                          INF, float),
        limit_values=_pad([r.limit_values for r in rules], max([len(r.limit_starts) for r in rules] + [1]),
                          0.0, float),
        seg=seg, seg_n=np.array([len(r.segments) for r in rules] + [0], dtype=np.int64),
        then_starts=then_starts, then_cum=then_cum, then_dest=then_dest, then_len=then_len,
        rule_cause=rule_cause, has_pension=m.pension_branch is not None,
        drawn_w=drawn_w, drawn_p=drawn_p,
        after_code=m.after_code.astype(np.int64), duration=m.duration.astype(float),
        after_weeks=m.after_weeks.astype(float),
        pol_has=np.array([p is not None for p in pols], dtype=np.bool_), pol_exempt=pol_exempt,
        first_starts=first_starts, first_values=first_values, repeat_starts=repeat_starts,
        repeat_values=repeat_values, pol_cum=pol_cum, pol_items=pol_items, pol_len=pol_len,
        ref_has=np.array([r is not None for r in ref], dtype=np.bool_),
        ref_share=np.array([r[0] if r else 0.0 for r in ref], dtype=float),
        ref_first=np.array([r[1] if r else 0.0 for r in ref], dtype=float),
        ref_last=np.array([r[2] if r else 0.0 for r in ref], dtype=float),
        ref_inst=np.array([r[3] if r else 0 for r in ref], dtype=np.int64),
    )


def pack_citizens(c) -> Cit:
    return Cit(*[c.cols[name] for name in COLUMNS], c.drawn)


# -- small pieces ------------------------------------------------------------------------------
@intrinsic
def _prefetch(typingctx, arr, offset):
    """Ask the CPU for the cache line ``offset`` bytes into ``arr``'s data (LLVM's prefetch:
    read, keep in every cache level); no load waits for it, nothing is read."""
    if not (isinstance(arr, types.Array) and isinstance(offset, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        byte = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32]),
                                            "llvm.prefetch.p0i8")
        builder.call(fn, [builder.gep(builder.bitcast(data, byte), [args[1]]), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(arr, offset), codegen


@_inline
def _fetch_record(raw, i):
    """Prefetch every cache line of record ``i`` (``raw``: the records as rows of bytes)."""
    width = raw.shape[1]
    for b in range(0, width, 64):
        _prefetch(raw, i * width + b)
    _prefetch(raw, i * width + width - 1)


@_inline
def _mix(z):
    """SplitMix64's output function (sim.engines.compiled.rng.mix64), wrapping uint64 arithmetic."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@_inline
def _nth(seed, k):
    """The ``k``-th uniform (k >= 1) of the stream seeded ``seed``: ``mix64(seed + k·GOLDEN)``
    mapped to (0, 1), as sim.model.rng.Stream and sim.engines.compiled.rng.nth_uniform."""
    z = _mix(np.uint64(k) * _GOLDEN + seed)
    return (np.float64(z >> _S11) + 0.5) * _INV_2_53


@_inline
def _uniform(seed, n, i):
    """The next uniform of citizen ``i``'s stream (its counter ``n[i]`` counts the draws)."""
    k = n[i] + np.uint32(1)
    n[i] = k
    return _nth(seed[i], k)


@_inline
def _at(starts, t):
    """Index of the dated period holding at ``t`` (:func:`.model.at`; padding is +inf)."""
    k = 0
    for x in starts:
        if x <= t:
            k += 1
    return max(k - 1, 0)


@_inline
def _count_le(row, u):
    """How many entries of ``row`` are <= ``u`` (a pick against cumulative shares)."""
    k = 0
    for x in row:
        if x <= u:
            k += 1
    return k


# -- episodes binned into weeks as they end (sim.engines.recorder.bin_intervals, one at a time) ---------
@_inline
def _bin(frac, step, col, a, b):
    """The interval ``[a, b)`` of column ``col`` added to the weeks it spans.

    bin_intervals' bookkeeping for one interval: each end point ``p`` adds ``k - p`` to
    the week ``k`` holding it and 1 to every later week (``step``, summed at the end by
    :func:`binned`); O(1) however long the episode.
    """
    if not b > a:
        return
    last = frac.shape[0] - 1  # weeks + 1
    k = min(max(int(math.floor(a)) + 1, 1), last)
    frac[k, col] += k - a
    step[min(k + 1, last), col] += 1.0
    k = min(max(int(math.floor(b)) + 1, 1), last)
    frac[k, col] -= k - b
    step[min(k + 1, last), col] -= 1.0


@_inline
def _support_episode(B, s, a, b, o):
    """Recorder.support_episodes for one episode: state ``s`` from ``a`` to ``b``, on
    public support since ``o``, split by the duration steps; row 0 counts persons at the start."""
    bounds = B.bounds
    nb = len(bounds)
    for k in range(nb):
        lo = max(a, o + bounds[k])
        hi = min(b, o + bounds[k + 1]) if k + 1 < nb else b
        _bin(B.sup_frac, B.sup_step, s * nb + k, lo, hi)
    if a <= 0.0 and b > 0.0:
        band = max(_count_le(bounds, -o) - 1, 0)
        B.sup0[s, band] += 1.0


@_inline
def _programme_episode(B, s, inst, a, b):
    """Recorder.programme_episodes for one programme: state ``s``, instrument ``inst``, ``a`` to ``b``."""
    _bin(B.prog_frac, B.prog_step, s * B.prog0.shape[1] + inst, a, b)
    if a <= 0.0 and b > 0.0:
        B.prog0[s, inst] += 1.0


@_kernel
def close_episodes(C, M, B, n, horizon):
    """Spells and programmes still running at the horizon (VectorSimulation._close_episodes)."""
    for i in range(n):
        s = C.state[i]
        if s < 0:
            continue
        if M.public[s]:
            _support_episode(B, s, C.since[i], horizon, C.support_since[i])
        e = C.effect[i]
        if 1 <= e <= M.n_inst:
            _programme_episode(B, s, e - 1, C.prog_since[i], horizon)


def new_bins(rec) -> "Bins":
    """Empty week tables for the recorder's ``fte_support`` and ``fte_programme``."""
    weeks, S, nb = rec.fte_support.shape
    n_inst = rec.fte_programme.shape[2]
    return Bins(np.zeros((weeks + 1, S * nb)), np.zeros((weeks + 1, S * nb)),
                np.zeros((weeks + 1, S * n_inst)), np.zeros((weeks + 1, S * n_inst)),
                np.zeros((S, nb)), np.zeros((S, n_inst)), np.asarray(rec.support_bands, dtype=float))


def binned(B: "Bins", rec) -> None:
    """Add the binned episodes to the recorder (bin_intervals' last step)."""
    for frac, step, row0, out in ((B.sup_frac, B.sup_step, B.sup0, rec.fte_support),
                                  (B.prog_frac, B.prog_step, B.prog0, rec.fte_programme)):
        weeks = out.shape[0] - 1
        total = frac + np.cumsum(step, axis=0)
        out.reshape(weeks + 1, -1)[1:] += total[1:weeks + 1]
        out[0] += row0


@_inline
def _counts(M, R, s, a, t, sign, wend):
    """Persons per (state, age band) and their time-integral to the week's end (_counts)."""
    f = s * M.n_ages + a
    R.count[f] += sign
    R.area[f] += sign * (wend - t)


@_inline
def _flow(M, R, a, s, cause):
    """One person from ``a - 1`` to ``s`` this week (a cell first used is noted, so the
    week's flows are read without scanning the table)."""
    v = R.flows[a, s, cause]
    if v == 0:
        m = R.cells[0] + 1
        R.cells[m] = (a * M.n_states + s) * R.flows.shape[2] + cause
        R.cells[0] = m
    R.flows[a, s, cause] = v + 1


# -- rules (sim.model.law.Law) ----------------------------------------------------------------------
@_inline
def _rule_time(C, M, r, i, now):
    """VectorSimulation._rule_time for one citizen."""
    ent = C.entered[i]
    clock = M.rule_clock[r]
    if clock == DRAWN:
        return ent + C.drawn[i, M.rule_col[r]]
    if M.rule_by_entry[r]:
        limit = M.limit_values[r, _at(M.limit_starts[r], ent)]
        return max(_when(C, clock, i, ent, limit), now)
    for g in range(M.seg_n[r]):
        t = max(max(_when(C, clock, i, ent, M.seg[r, g, 2]), M.seg[r, g, 0]), now)
        if t < M.seg[r, g, 1]:
            return t
    return INF


@_inline
def _when(C, clock, i, ent, limit):
    if clock == SPELL:
        return ent + limit
    if clock == DP_USED:
        return ent + max(limit - C.dp_used[i], 0.0)
    return C.born[i] + limit * _WPY  # AGE_YEARS


@_inline
def _deadlines(C, M, i, now):
    """The earliest rule not yet done, pension first on ties (VectorSimulation._deadlines)."""
    best = C.pension_at[i]
    rule = -1
    s = C.state[i]
    done = C.done[i]
    for r in M.state_rules[s]:
        if r < 0:
            break
        if (done >> r) & 1 == 0:
            t = _rule_time(C, M, r, i, now)
            if t < best:
                best = t
                rule = r
    C.deadline[i] = best
    C.rule[i] = rule


@_inline
def _draw_length(M, r, u, elapsed):
    """RuleArrays.draw_length: a drawn length longer than ``elapsed``, shares renormalised."""
    w, p = M.drawn_w[r], M.drawn_p[r]
    total = 0.0
    last = elapsed
    for k in range(len(w)):
        if w[k] > elapsed and p[k] > 0:
            total += p[k]
            last = w[k]
    acc = 0.0
    for k in range(len(w)):
        if w[k] > elapsed and p[k] > 0:
            acc += p[k] / total
            if acc > u:
                return w[k]
    return last


@_inline
def _branch(M, r, t, u):
    """RuleArrays.branch: destination of a deadline (-1 = stay); ``r`` = n_rules for the pension."""
    g = _at(M.then_starts[r], t)
    k = min(_count_le(M.then_cum[r, g], u), M.then_len[r, g] - 1)
    return M.then_dest[r, g, k]


# -- activation (sim.model.activation.Activation) ------------------------------------------------------
@_inline
def _repeat(M, s, t):
    if not M.pol_has[s]:
        return 0.0
    return M.repeat_values[s, _at(M.repeat_starts[s], t)]


@_inline
def _on_entry(C, M, i, s, now):
    """First offer of a new spell and a handover to another actor (VectorSimulation._on_entry)."""
    C.offer_at[i] = INF
    ent = C.entered[i]
    if M.pol_has[s]:
        C.offer_at[i] = ent + M.first_values[s, _at(M.first_starts[s], ent), C.age[i]]
    if M.ref_has[s]:  # VectorSimulation._refer: two draws from the referral stream
        u = _uniform(C.seed4, C.n4, i)
        v = _uniform(C.seed4, C.n4, i)
        at = ent + M.ref_first[s] + (M.ref_last[s] - M.ref_first[s]) * v
        if u < M.ref_share[s] and at >= now:
            C.handover_at[i] = at
            C.offer_at[i] = min(C.offer_at[i], at)


@_inline
def _next_offer(C, i, now, at):
    """VectorSimulation._next_offer: the next offer, or the handover if that comes first
    (one whose moment passed during a programme is dropped)."""
    h = C.handover_at[i]
    if h < now:
        C.handover_at[i] = INF
        h = INF
    C.offer_at[i] = min(at, h)


@_inline
def _start(C, M, R, i, t, inst):
    """A place taken (VectorSimulation._start)."""
    C.req[i] = inst
    C.waiting[i] = False
    C.effect[i] = 1 + inst
    C.prog_since[i] = t
    C.effect_until[i] = t + M.duration[inst]
    R.in_use[inst] += 1
    R.starts[int(t), inst] += 1


# -- moving people ---------------------------------------------------------------------------------
@_inline
def _redirected(C, M, i, s, t):
    """The state a citizen entering ``s`` at ``t`` goes to: the first entry redirect that
    applies (Model.redirect), else ``s``."""
    age_w = t - C.born[i]
    for k in range(len(M.red_start) - 1):
        if t >= M.red_start[k] and age_w < M.red_below[k] and M.red_edu_ok[k, C.edu[i]] \
                and M.red_has[k, s]:
            return M.red_map[k, s]
    return s


@_inline
def _arrive(C, M, i, t):
    """A citizen new to the model at ``t``: its pension date and age band (returned)."""
    born = C.born[i]
    C.pension_at[i] = born + M.pension_years[_at(M.pension_starts, born)] * _WPY
    a = max(_count_le(M.age_bounds, t - born) - 1, 0)
    C.age[i] = a
    C.next_age[i] = born + M.age_bounds[a + 1]
    return a


@_inline
def _begin(C, M, R, i, s, t, ent, src, cause):
    """State ``s`` entered at ``t`` for a spell begun at ``ent`` (``t`` but for the initial
    population), from ``src`` (-1: new) for ``cause``. Returns True if ``s`` is outside:
    the citizen has left the model."""
    C.state[i] = s
    C.entered[i] = ent
    C.since[i] = t
    if not M.public[s]:
        C.support_since[i] = INF
    elif math.isinf(C.support_since[i]):
        C.support_since[i] = ent
    C.done[i] = 0
    _flow(M, R, src + 1, s, cause)
    if s == M.outside:
        C.state[i] = -1
        C.next_t[i] = INF
        C.next_env[i] = INF
        return True
    return False


@_inline
def _draw_lengths(C, M, i, s, elapsed):
    """Lengths of the drawn-length rules of ``s``, longer than ``elapsed`` weeks."""
    for r in M.state_drawn[s]:
        if r < 0:
            break
        C.drawn[i, M.rule_col[r]] = _draw_length(M, r, _uniform(C.seed1, C.n1, i), elapsed)


@_inline
def _enter(C, M, R, i, s, t, cause, src, new, wend):
    """VectorSimulation._enter for one citizen entering at ``t`` (no elapsed spell).

    Returns 1 if the citizen left the model (redirected or moved outside), else 0.
    """
    s = _redirected(C, M, i, s, t)
    if new:
        _arrive(C, M, i, t)
    if _begin(C, M, R, i, s, t, t, src, cause):
        return 1
    _counts(M, R, s, C.age[i], t, 1, wend)
    if s == M.dagpenge:
        C.insured[i] = 1
    if M.unemployed[s]:
        C.unemp_open[i] = t - (M.prior_unemployed[s] if new else 0.0)
    _draw_lengths(C, M, i, s, 0.0)
    _deadlines(C, M, i, t)
    _on_entry(C, M, i, s, t)
    return 0


@_inline
def _leave(C, M, R, B, i, t, wend, accs):
    """VectorSimulation._leave for one citizen (its episodes binned at once)."""
    s = C.state[i]
    _counts(M, R, s, C.age[i], t, -1, wend)
    if M.public[s]:
        _support_episode(B, s, C.since[i], t, C.support_since[i])
    e = C.effect[i]
    if 1 <= e <= M.n_inst:
        _programme_episode(B, s, e - 1, C.prog_since[i], t)
    req = C.req[i]
    if req >= 0:
        if C.waiting[i]:
            R.queued[req] -= 1
        else:
            R.in_use[req] -= 1
        C.req[i] = -1
        C.waiting[i] = False
    C.effect[i] = 0
    C.effect_until[i] = INF
    C.offer_at[i] = INF
    C.handover_at[i] = INF
    if s == M.dagpenge:
        C.dp_used[i] += t - C.entered[i]
    if s == M.employed and t - C.entered[i] >= M.reearning:
        C.dp_used[i] = 0.0
    if M.unemployed[s]:
        start = C.unemp_open[i]
        for w in range(len(R.win_lo)):
            lo = R.win_lo[w]
            if t > lo:
                accs[w][i] += t - max(start, lo)
        C.unemp_open[i] = np.nan


@_inline
def _move(C, M, R, B, i, dest, t, cause, wend, accs):
    """VectorSimulation._move: leave, the education draw on leaving education for a job, enter."""
    src = np.int64(C.state[i])
    _leave(C, M, R, B, i, t, wend, accs)
    if M.education >= 0 and src == M.education and dest == M.employed:
        u = _uniform(C.seed3, C.n3, i)
        level = min(_count_le(M.exit_cum, u), len(M.exit_cum) - 1)
        if level > C.edu[i]:
            C.edu[i] = level
    return _enter(C, M, R, i, dest, t, cause, src, False, wend)


# -- the events ------------------------------------------------------------------------------------
@_inline
def _age_band(C, M, R, i, t, wend):
    s = C.state[i]
    a = C.age[i]
    _counts(M, R, s, a, t, -1, wend)
    C.age[i] = a + 1
    _counts(M, R, s, a + 1, t, 1, wend)
    C.next_age[i] = C.born[i] + M.age_bounds[a + 2]


@_inline
def _effect_end(C, M, R, B, i, t):
    """VectorSimulation._on_effect_end: a programme ends (after-effect, next offer) or an after-effect."""
    e = C.effect[i]
    if 1 <= e <= M.n_inst:
        inst = e - 1
        s = C.state[i]
        _programme_episode(B, s, inst, C.prog_since[i], t)
        R.in_use[inst] -= 1
        C.req[i] = -1
        after = M.after_code[inst]
        C.effect[i] = after
        C.effect_until[i] = t + M.after_weeks[inst] if after > 0 else INF
        rep = _repeat(M, s, t)
        _next_offer(C, i, t, t + rep if rep > 0 else INF)
    else:
        C.effect[i] = 0
        C.effect_until[i] = INF


@_kernel
def _offer_draws(C, M, R, oj, ot, inst, group):
    """VectorSimulation._on_offer, first part: what each offer asks for.

    ``group`` 1: a handover falling due (the other actor's instrument, unless the
    citizen holds or waits for a place); 2: the job centre's offer, not exempt; 0: no
    request. Handovers draw nothing; offers two uniforms whatever the outcome (common
    random numbers across exempt shares).
    """
    for k in range(len(oj)):
        i, t = oj[k], ot[k]
        C.offer_at[i] = INF
        s = C.state[i]
        inst[k] = 0
        group[k] = 0
        if C.handover_at[i] <= t:
            C.handover_at[i] = INF
            if C.req[i] < 0:
                inst[k] = M.ref_inst[s]
                group[k] = 1
            continue
        u = _uniform(C.seed2, C.n2, i)
        u2 = _uniform(C.seed2, C.n2, i)
        if M.pol_has[s]:
            if u < M.pol_exempt[s]:
                r = _repeat(M, s, t)
                _next_offer(C, i, t, t + r if r > 0 else INF)
                R.exempt[int(t)] += 1
                continue
            inst[k] = M.pol_items[s, min(_count_le(M.pol_cum[s], u2), M.pol_len[s] - 1)]
        group[k] = 2


@_kernel
def _serve(C, M, R, oj, ot, inst, order):
    """VectorSimulation._on_offer, second part: a place now if one is free and nobody queues."""
    for k in order:
        i, t, q = oj[k], ot[k], inst[k]
        if R.queued[q] == 0 and R.avail[q] > 0:
            R.avail[q] -= 1
            _start(C, M, R, i, t, q)
        else:
            C.req[i] = q
            C.waiting[i] = True
            C.queued_at[i] = t
            R.queued[q] += 1
            R.waiting_starts[int(t), q] += 1


@_driver
def _offers(C, M, R, oj, ot):
    """Offers of a batch: handovers first, then the job centre's offers
    (VectorSimulation._on_offer), each served by instrument then offer time, ties in
    batch order (np.lexsort((t, inst)) in VectorSimulation._request): a counting sort by
    instrument, then each instrument's few offers by time."""
    n = len(oj)
    inst = np.empty(n, dtype=np.int64)
    group = np.empty(n, dtype=np.int64)
    _offer_draws(C, M, R, oj, ot, inst, group)
    order = np.empty(n, dtype=np.int64)
    first = np.empty(M.n_inst + 1, dtype=np.int64)
    for g in (1, 2):
        m = service_order(group, g, inst, ot, first, order)
        if m:
            _serve(C, M, R, oj, ot, inst, order[:m])


SHORT = 32  # an instrument's offers in a batch sorted by insertion up to this many


@_driver
def service_order(group, g, inst, ot, first, order):
    """The offers of ``group`` ``g`` in the order places are served: by instrument, then
    offer time, ties in batch order (np.lexsort((ot, inst)) of those offers), into
    ``order``; returns how many. ``first`` has room for one more than the instruments."""
    m = _by_instrument(group, g, inst, first, order)
    a = 0
    for q in range(len(first) - 1):
        b = first[q]
        if b - a > SHORT:
            seg = order[a:b]
            order[a:b] = seg[np.argsort(ot[seg], kind="mergesort")]
        else:
            _by_time(ot, order[a:b])
        a = b
    return m


@_kernel
def _by_instrument(group, g, inst, first, order):
    """The offers of ``group`` ``g`` into ``order`` by instrument, in batch order within
    one (a counting sort: stable); ``first[q]`` ends up at the end of instrument ``q``'s
    run. Returns how many."""
    first[:] = 0
    m = 0
    for k in range(len(group)):
        if group[k] == g:
            first[inst[k] + 1] += 1
            m += 1
    for q in range(1, len(first)):
        first[q] += first[q - 1]
    for k in range(len(group)):
        if group[k] == g:
            q = inst[k]
            order[first[q]] = k
            first[q] += 1
    return m


@_kernel
def _by_time(ot, order):
    """``order`` by offer time, ties in their order (an insertion sort: stable)."""
    for a in range(1, len(order)):
        k = order[a]
        t = ot[k]
        b = a - 1
        while b >= 0 and ot[order[b]] > t:
            order[b + 1] = order[b]
            b -= 1
        order[b + 1] = k


@_inline
def schedule_one(C, M, i, now, clock):
    """VectorSimulation._schedule for one citizen: the next event from ``now``.

    The earlier of the next scheduled event and a competing-hazard draw: a unit
    exponential spent against the piecewise-constant total hazard, segment by segment
    (duration band, business cycle, the scheduled event).
    """
    hard = C.deadline[i]
    kind = DEADLINE
    if C.next_age[i] < hard:
        hard = C.next_age[i]
        kind = AGE
    if C.effect_until[i] < hard:
        hard = C.effect_until[i]
        kind = EFFECT
    if C.offer_at[i] < hard:
        hard = C.offer_at[i]
        kind = OFFER
    e = -math.log(_uniform(C.seed0, C.n0, i))
    s = C.state[i]
    ent = C.entered[i]
    t = now
    ci = _count_le(M.cycle, t) - 1
    bi = _count_le(M.bounds[s], t - ent + 1e-9) - 1
    st = M.strides
    base = s * st[0] + C.age[i] * st[2] + C.edu[i] * st[3] + C.insured[i] * st[4] + C.effect[i] * st[6]
    fb = 0
    fc = 0
    while True:
        band_end = ent + M.bounds[s, bi + 1]
        cyc_end = M.cycle[ci + 1]
        seg_end = band_end if band_end < cyc_end else cyc_end
        if hard < seg_end:
            seg_end = hard
        total = M.tab_total[base + bi * st[1] + ci * st[5]]
        ts = total * (seg_end - t)
        if ts >= e:
            out = t + e / total
            kind = HAZARD
            fb = bi
            fc = ci
            break
        e -= ts
        t = seg_end
        if t >= hard:
            out = t
            break
        if seg_end == band_end:
            bi += 1
        if seg_end == cyc_end:
            ci += 1
    if out < now:
        out = now
    C.next_t[i] = out
    C.next_env[i] = clock + (out - clock)
    C.sched_now[i] = clock
    C.kind[i] = kind
    C.fire_band[i] = fb
    C.fire_cycle[i] = fc


AHEAD = 6  # records prefetched this many events ahead (an event takes about the time of a miss)


@_inline
def _fetch_citizen(C, raw, accs, i):
    """Prefetch what citizen ``i``'s event will touch at scattered places: its record, its
    entries of the scanned columns its next draw writes, and of the open indicator
    windows' accumulators (added to when unemployment ends)."""
    _fetch_record(raw, i)
    _prefetch(C.next_env, i * 8)
    _prefetch(C.sched_now, i * 8)
    for w in range(len(accs)):
        if i < len(accs[w]):
            _prefetch(accs[w], i * 8)


@_inline
def _fire_row(C, st, i):
    """The hazard-table row of citizen ``i``'s drawn hazard event (its state, duration band
    and cycle segment when drawn, age band, education, a-kasse, effect)."""
    return (C.state[i] * st[0] + C.fire_band[i] * st[1] + C.age[i] * st[2] + C.edu[i] * st[3]
            + C.insured[i] * st[4] + C.fire_cycle[i] * st[5] + C.effect[i])


@_kernel
def _events(C, M, R, B, raw, j, wend, accs, offers):
    """VectorSimulation._process without offers: every other pending event.

    Moves, age bands and effect ends citizen by citizen (they touch only the citizen
    and the counters), each citizen then drawing its next event; offers are collected
    in ``offers`` for after them, as the NumPy engine serves them (a place freed by a
    move in this batch is not yet free). Returns (citizens who left the model, offers).

    The citizens sit at scattered slots, last touched weeks ago: what each event will
    touch is asked for :data:`AHEAD` events before its turn (:func:`_fetch_citizen`), so
    its misses overlap the events before.
    """
    gone = 0
    n_off = 0
    st = M.strides
    for k in range(min(AHEAD, len(j))):
        _fetch_citizen(C, raw, accs, j[k])
    K = M.tab_cum.shape[1]
    for k in range(len(j)):
        if k + AHEAD < len(j):
            _fetch_citizen(C, raw, accs, j[k + AHEAD])
        if k + 2 < len(j):  # its record has arrived by now: the hazard row it will read
            h = j[k + 2]
            if C.kind[h] == HAZARD:
                row = _fire_row(C, st, h)
                _prefetch(M.tab_cum, row * K * 8)
                _prefetch(M.tab_dest, row * K * 2)
                _prefetch(M.tab_cause, row * K * 2)
        i = j[k]
        t = C.next_t[i]
        kind = C.kind[i]
        if kind == HAZARD:
            u = _uniform(C.seed0, C.n0, i)
            row = _fire_row(C, st, i)
            pick = _count_le(M.tab_cum[row], u)
            gone += _move(C, M, R, B, i, np.int64(M.tab_dest[row, pick]), t,
                          np.int64(M.tab_cause[row, pick]), wend, accs)
        elif kind == DEADLINE:
            u = _uniform(C.seed1, C.n1, i)
            r = C.rule[i]
            b = r if r >= 0 else len(M.rule_clock) - 1  # the pension's branch table is last
            dest = _branch(M, b, t, u)
            if dest < 0:  # extended: the rule is done for this spell
                if r >= 0:
                    C.done[i] |= np.int64(1) << np.int64(r)
                _deadlines(C, M, i, t)
            else:
                gone += _move(C, M, R, B, i, dest, t, M.rule_cause[b], wend, accs)
        elif kind == AGE:
            _age_band(C, M, R, i, t, wend)
        elif kind == EFFECT:
            _effect_end(C, M, R, B, i, t)
        else:
            offers[n_off] = i
            n_off += 1
            continue
        if C.state[i] >= 0:  # the next event drawn at once, while the record is in the cache
            schedule_one(C, M, i, t, C.next_env[i])
    return gone, n_off


@_kernel
def _times(C, j, out):
    for k in range(len(j)):
        out[k] = C.next_t[j[k]]


@_inline
def blank(words, i, row):
    """Record ``i`` set to every column's fill value (``row``: Citizens.blank_words)."""
    for b in range(len(row)):
        words[i, b] = row[b]


@_kernel
def _enter_new(C, M, R, words, blank_row, new_j, new_dest, new_t, new_env, new_cause, new_seeds,
               new_n3, new_born, new_edu, new_insured, wend, fresh, fresh_t, fresh_env):
    """Newcomers enter (VectorSimulation._newcomers); returns (left at once, stayed).

    Their slots were allocated without blanking: each record is blanked here, then its
    stream seeds and attributes (drawn a year ahead by NumbaSimulation._prepare) go in.
    """
    gone = 0
    nf = 0
    for k in range(len(new_j)):
        i = new_j[k]
        blank(words, i, blank_row)
        C.seed0[i] = new_seeds[k, 0]
        C.seed1[i] = new_seeds[k, 1]
        C.seed2[i] = new_seeds[k, 2]
        C.seed3[i] = new_seeds[k, 3]
        C.seed4[i] = new_seeds[k, 4]
        C.n3[i] = new_n3[k]
        C.born[i] = new_born[k]
        C.edu[i] = new_edu[k]
        C.insured[i] = new_insured[k]
        if _enter(C, M, R, i, new_dest[k], new_t[k], new_cause[k], -1, True, wend):
            gone += 1
        else:
            fresh[nf] = i
            fresh_t[nf] = new_t[k]
            fresh_env[nf] = new_env[k]
            nf += 1
    return gone, nf


# -- the calendar: which citizens have an event in which week of a span ------------------------
@_inline
def _mark(cal, w0, week, i, env):
    """Citizen ``i``'s bit in the row of the week that will run its event at ``env`` (not
    before ``week``); none past the span (the next span's calendar is built afresh)."""
    if env > w0 + cal.shape[0] - 1:  # run after the span, or never (+inf)
        return
    r = max(int(math.ceil(env)), week) - w0
    if r < cal.shape[0]:
        cal[r, i >> 6] |= np.uint64(1) << np.uint64(i & 63)


@_kernel
def calendar(C, cal, n, w0):
    """A span's calendar from every citizen's next event (at its start: slots move at
    compaction, and events past the span's end are only marked when it begins)."""
    cal[:] = 0
    for i in range(n):
        _mark(cal, w0, w0, i, C.next_env[i])


@_kernel
def _select(C, cal, w0, week, until, observer, out):
    """Citizens whose event falls in the window ending at ``until`` in ``week``, in slot
    order (ties at ``until``: SimPy's scheduling order), from the week's calendar row.

    A bit is stale when the citizen was rescheduled since (by a place granted): its event
    is elsewhere and has its own bit. An event at the week's end that SimPy runs after
    the observer moves to the next week's row.
    """
    row = cal[week - w0]
    main = until == week  # else a year end inside the week: later events stay marked
    nxt = week - w0 + 1
    m = 0
    for w in range(len(row)):  # the marked slots, in order
        x = row[w]
        while x:
            out[m] = (w << 6) + trailing_zeros(x)
            m += 1
            x &= x - np.uint64(1)
        row[w] = 0
    cnt = 0
    for k in range(m):  # their times, asked for ahead (scattered over two long columns)
        if k + 16 < m:
            _prefetch(C.next_env, out[k + 16] * 8)
            _prefetch(C.sched_now, out[k + 16] * 8)
        i = out[k]
        env = C.next_env[i]
        bit = np.uint64(1) << np.uint64(i & 63)
        if env <= until and (env < until or C.sched_now[i] < observer or C.sched_now[i] == 0.0):
            out[cnt] = i
            cnt += 1
        elif not main and env <= week:
            row[i >> 6] |= bit
        elif main and env == until and nxt < cal.shape[0]:
            cal[nxt, i >> 6] |= bit
    return cnt


@_kernel
def _reschedule(C, M, cal, w0, week, j, oj, fresh, fresh_t, fresh_env, until, observer, nxt):
    """The citizens offered a place draw their next event (the others of the batch drew
    theirs in :func:`_events`: a draw uses the citizen's own record and stream only, so
    the moment does not change it), newcomers their first.

    Returns how many of the batch and newcomers (first in ``nxt``, in the NumPy engine's
    order) have it before the window's end; the others are marked in the calendar.
    """
    for k in range(len(oj)):
        i = oj[k]
        if C.state[i] >= 0:
            schedule_one(C, M, i, C.next_t[i], C.next_env[i])
    m = 0
    for k in range(len(j)):
        i = j[k]
        if C.state[i] >= 0:
            nxt[m] = i
            m += 1
    for k in range(len(fresh)):
        schedule_one(C, M, fresh[k], fresh_t[k], fresh_env[k])
        nxt[m] = fresh[k]
        m += 1
    keep = 0
    for k in range(m):
        i = nxt[k]
        env = C.next_env[i]
        if env < until or (env == until and C.sched_now[i] < observer):
            nxt[keep] = i
            keep += 1
        else:
            _mark(cal, w0, week, i, env)
    return keep


@_driver
def advance(C, M, R, B, cal, w0, raw, words, blank_row, due, until, observer, wend, new_j, new_dest, new_t,
            new_env, new_cause, new_seeds, new_n3, new_born, new_edu, new_insured, accs):
    """VectorSimulation._advance: newcomers, then every event before ``until``, in batches.

    An event exactly at ``until`` comes first if it was drawn before the SimPy engine's
    observer scheduled that moment (SimPy breaks ties of time by scheduling order).
    Newcomers draw their first event with the first batch. Returns (events, citizens
    who left).
    """
    m = len(new_j)
    fresh = np.empty(m, dtype=np.int64)
    fresh_t = np.empty(m)
    fresh_env = np.empty(m)
    gone, nf = _enter_new(C, M, R, words, blank_row, new_j, new_dest, new_t, new_env, new_cause, new_seeds, new_n3,
                          new_born, new_edu, new_insured, wend, fresh, fresh_t, fresh_env)
    fresh, fresh_t, fresh_env = fresh[:nf], fresh_t[:nf], fresh_env[:nf]
    week = int(wend)
    j = due[:_select(C, cal, w0, week, until, observer, due)]  # ``due``: room for every slot
    later = week + 1 if until == wend else week  # the first week left to run an event drawn now
    events = 0
    first = True
    while len(j) or first:
        events += len(j)
        offers = np.empty(len(j), dtype=np.int64)
        g, n_off = _events(C, M, R, B, raw, j, wend, accs, offers)
        gone += g
        oj = offers[:n_off]
        if n_off:
            ot = np.empty(n_off)
            _times(C, oj, ot)
            _offers(C, M, R, oj, ot)
        if not first:
            fresh = fresh[:0]
        nxt = np.empty(len(j) + len(fresh), dtype=np.int64)
        j = nxt[:_reschedule(C, M, cal, w0, later, j, oj, fresh, fresh_t, fresh_env, until, observer, nxt)]
        first = False
    return events, gone


# the recorder's week tables as the week loop writes them, and what it needs for the
# plan indicators (:meth:`.engine.VectorSimulation._indicators`)
Weeks = namedtuple("Weeks", ["persons", "fte", "usage", "capacity", "company", "syg", "rf",
                             "window", "need", "compact_share", "last"])


@_driver
def run_weeks(C, M, R, B, W, cal, raw, words, blank_row, wait, due, n0, w0, w1, gone, new_j, new_dest,
              new_t, new_env, new_cause, new_seeds, new_n3, new_born, new_edu, new_insured,
              accs, win_t, ends, ind):
    """Weeks ``w0 .. w1 - 1`` of VectorSimulation._run's loop, in one call.

    Each week: the plan indicators of a year end falling in it (after the events before
    it; rows of ``ind``), the events up to the week's end (:func:`advance`), the week's
    flows kept as (week, cell, persons), the snapshot (``W.persons``, ``W.fte``), the
    queue for places (:func:`allocate`, not after the last week) and the places in use.
    The caller ends a span where an indicator window opens (``accs`` is fixed for the
    call), and the call stops after a week that leaves ``W.compact_share``
    of the slots empty, for the caller to compact.

    The newcomers of the span sit in slots ``n0 ..`` in arrival order (allocated, not
    yet blanked); those arriving before a window's end enter with it, so ``n0 + p``
    slots are in use after ``p`` have arrived.

    Returns (last week run, events, citizens gone since the last compaction, newcomers
    entered, year ends passed (their indicators in ``ind``'s rows), and the flows as
    week, cell and persons arrays).
    """
    calendar(C, cal, n0, w0)
    flat = R.flows.reshape(-1)
    cap = max(1024, 64 * (w1 - w0))
    fw = np.empty(cap, dtype=np.int64)
    fc = np.empty(cap, dtype=np.int64)
    fv = np.empty(cap, dtype=np.int64)
    nf = 0
    events = 0
    p = 0
    e = 0
    week = w0 - 1
    for week in range(w0, w1):
        wend = float(week)
        observer = week - 1.0  # when SimPy's observer scheduled its next wake-up
        while e < len(ends) and ends[e] <= week:
            t = ends[e]
            ev, g, p = _window(C, M, R, B, cal, w0, raw, words, blank_row, due, t, observer, wend, p, new_j,
                               new_dest, new_t, new_env, new_cause, new_seeds, new_n3, new_born, new_edu,
                               new_insured, accs)
            events += ev
            gone += g
            acc = np.zeros(0)
            for w in range(len(win_t)):
                if win_t[w] == t:
                    acc = accs[w]
                    R.win_lo[w] = INF  # the window is closed: no more accumulating
            row = indicators(C, n0 + p, M.unemployed, M.public, W.company, M.n_inst, W.syg, W.rf,
                             t, t - W.window, W.need, acc, 30 * _WPY)
            for x in range(7):
                ind[e, x] = row[x]
            e += 1
            observer = t
        ev, g, p = _window(C, M, R, B, cal, w0, raw, words, blank_row, due, wend, observer, wend, p, new_j,
                           new_dest, new_t, new_env, new_cause, new_seeds, new_n3, new_born, new_edu,
                           new_insured, accs)
        events += ev
        gone += g
        # the week's flows (NumbaSimulation._flush_flows)
        k = R.cells[0]
        if k:
            if nf + k > len(fw):
                cap = 2 * (nf + k)
                fw, fc, fv = _grown(fw, nf, cap), _grown(fc, nf, cap), _grown(fv, nf, cap)
            nz = np.sort(R.cells[1: k + 1])
            for x in range(k):
                fw[nf + x] = week
                fc[nf + x] = nz[x]
                fv[nf + x] = flat[nz[x]]
                flat[nz[x]] = 0
            nf += k
            R.cells[0] = 0
        # the snapshot (VectorSimulation._snapshot)
        for f in range(len(R.count)):
            W.persons[week, f] = R.count[f]
            W.fte[week, f] = R.area[f]
            R.area[f] = R.count[f]
        n = n0 + p
        if week < W.last:  # places freed during the week go to the queue (_allocate)
            free = W.capacity - R.in_use
            serve = False
            for q in range(len(free)):
                if R.queued[q] > 0 and free[q] > 0:
                    serve = True
            if serve:
                allocate(C, M, R, cal, w0, n, wend, free, wait[: n // 8])
            for q in range(len(free)):
                R.avail[q] = W.capacity[q] - R.in_use[q]
        for q in range(len(R.in_use)):
            W.usage[week, q, 0] = R.in_use[q]
            W.usage[week, q, 1] = R.queued[q]
        if n > 0 and gone / n > W.compact_share:
            break
    return week, events, gone, p, e, fw[:nf], fc[:nf], fv[:nf]


@_driver
def _window(C, M, R, B, cal, w0, raw, words, blank_row, due, until, observer, wend, p, new_j, new_dest, new_t,
            new_env, new_cause, new_seeds, new_n3, new_born, new_edu, new_insured, accs):
    """:func:`advance` for the window ending at ``until``, with the span's newcomers from
    ``p`` on that arrive before it. Returns (events, citizens gone, newcomers entered)."""
    q = p
    while q < len(new_t) and new_t[q] < until:
        q += 1
    ev, g = advance(C, M, R, B, cal, w0, raw, words, blank_row, due, until, observer, wend, new_j[p:q],
                    new_dest[p:q], new_t[p:q], new_env[p:q], new_cause[p:q], new_seeds[p:q], new_n3[p:q],
                    new_born[p:q], new_edu[p:q], new_insured[p:q], accs)
    return ev, g, q


@_driver
def _grown(a, n, cap):
    out = np.empty(cap, dtype=a.dtype)
    out[:n] = a[:n]
    return out


@_kernel
def indicators(C, n, unemployed, public, company, n_inst, syg, rf, t, lo, need, acc, young_weeks):
    """VectorSimulation._indicators' counts in one pass over the citizens.

    Returns (under 30 on public support, long-term unemployed, sygedagpenge over 26
    weeks, company placements, ressourceforløb, public support, population); the same
    float operations per citizen as the NumPy code (``acc`` has length 0 when no
    window is open).
    """
    under_30 = 0
    long_term = 0
    sick = 0
    comp = 0
    res = 0
    pub = 0
    pop = 0
    has_acc = len(acc) > 0
    for i in range(n):
        s = C.state[i]
        if s < 0:
            continue
        pop += 1
        if unemployed[s]:
            x = C.unemp_open[i]
            if not math.isnan(x):
                a = acc[i] if has_acc else 0.0
                if a + (t - (x if x > lo else lo)) >= need - 1e-9:
                    long_term += 1
        if s == syg and t - C.entered[i] > 26:
            sick += 1
        e = C.effect[i]
        if 1 <= e <= n_inst and company[e - 1]:
            comp += 1
        if public[s]:
            pub += 1
            if t - C.born[i] < young_weeks:
                under_30 += 1
        if s == rf:
            res += 1
    return under_30, long_term, sick, comp, res, pub, pop


@_kernel
def _grant(C, M, R, cal, w0, jw, inst, free, now):
    """Places to the queue in order: each instrument's first ``free`` waiting citizens
    start at ``now`` (a week's end) and draw their next event afresh (as SimPy's
    interrupt does), marked in the calendar from the next week on."""
    for k in range(len(jw)):
        q = inst[k]
        if free[q] > 0:
            free[q] -= 1
            R.queued[q] -= 1
            i = jw[k]
            _start(C, M, R, i, now, q)
            schedule_one(C, M, i, now, now)
            _mark(cal, w0, int(now) + 1, i, C.next_env[i])


@_driver
def allocate(C, M, R, cal, w0, n, now, free, words):
    """VectorSimulation._allocate at a week boundary: the queue served first come, first
    served (by instrument, then offer time, then slot: its np.lexsort order).

    ``words`` is ``C.waiting[:n]`` read eight flags at a time (a uint64 view): the few
    waiting citizens are found without testing every slot's flag.
    """
    cnt = R.queued.sum()  # everyone waiting, counted by instrument
    jw = np.empty(cnt, dtype=np.int64)
    k = 0
    for w in range(len(words)):
        if k == cnt:
            break
        if words[w] != 0:
            for i in range(8 * w, 8 * w + 8):
                if C.waiting[i]:
                    jw[k] = i
                    k += 1
    for i in range(8 * len(words), n):
        if C.waiting[i]:
            jw[k] = i
            k += 1
    qa = np.empty(cnt)
    inst = np.empty(cnt, dtype=np.int64)
    for k in range(cnt):
        qa[k] = C.queued_at[jw[k]]
        inst[k] = C.req[jw[k]]
    o = np.argsort(qa, kind="mergesort")  # stable sorts: slot, then time, then instrument
    jw, inst = jw[o], inst[o]
    o = np.argsort(inst, kind="mergesort")
    _grant(C, M, R, cal, w0, jw[o], inst[o], free, now)


@_kernel
def simpy_clock(tt, env):
    """VectorSimulation._simpy_clock: arrival times on SimPy's clock, now + (t - now)."""
    now = 0.0
    for i in range(len(tt)):
        now = now + max(tt[i] - now, 0.0)
        env[i] = now


@_kernel
def enter_initial(C, M, R, j, dest, t, elapsed, prior, cause, wend):
    """:func:`enter_one_initial` for citizens ``j``; returns how many left at once."""
    gone = 0
    for k in range(len(j)):
        gone += enter_one_initial(C, M, R, j[k], dest[k], t[k], elapsed[k], prior[k], cause, wend)
    return gone


@_inline
def enter_one_initial(C, M, R, i, dest, now, elapsed, prior, cause, wend):
    """VectorSimulation._enter for a citizen of the initial population (``new``, an
    ``elapsed`` spell).

    As :func:`_enter`, and: the spell began ``elapsed`` weeks before ``now``; time on
    support counts from then; dagpenge used is reset; drawn rule lengths exceed the
    time elapsed; rules whose limit passed are marked done (_mark_extended); an offer
    whose first week passed comes after a uniform share of the repeat interval
    (_start_initial); ``prior`` weeks of unemployment before the spell (drawn) count;
    then the first event is drawn (VectorSimulation._schedule from ``now``, the SimPy
    clock at ``now`` too). Returns 1 if the citizen left at once (redirected outside).
    """
    s = _redirected(C, M, i, dest, now)
    a = _arrive(C, M, i, now)
    ent = now - elapsed
    if _begin(C, M, R, i, s, now, ent, -1, cause):
        return 1
    _counts(M, R, s, a, now, 1, wend)
    if s == M.dagpenge:
        C.insured[i] = 1
        C.dp_used[i] = 0.0
    if M.unemployed[s]:
        C.unemp_open[i] = ent - (M.prior_unemployed[s] + prior)  # drawn weeks before the spell
    _draw_lengths(C, M, i, s, now - ent)
    for r in M.state_rules[s]:  # _mark_extended
        if r < 0:
            break
        if M.rule_clock[r] == SPELL:
            by = ent if M.rule_by_entry[r] else now  # a limit dated by entry: the spell's
            if now - ent >= M.limit_values[r, _at(M.limit_starts[r], by)]:
                C.done[i] |= np.int64(1) << np.int64(r)
    _deadlines(C, M, i, now)
    _on_entry(C, M, i, s, now)
    if M.pol_has[s] and ent + M.first_values[s, _at(M.first_starts[s], ent), a] < now:
        rep = _repeat(M, s, now)
        nxt = INF
        if rep > 0:
            nxt = now + _uniform(C.seed2, C.n2, i) * rep
        _next_offer(C, i, now, nxt)
    schedule_one(C, M, i, now, now)  # the first event, while the record is in the cache
    return 0
