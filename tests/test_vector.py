"""The vector engine on its own: streams, determinism, conservation, legal limits, errors.

Every test runs on both variants: the NumPy engine (sim/engines/compiled/engine.py) and the
compiled kernel (sim/engines/compiled/numba_engine.py, what ``--engine vector`` runs when Numba
imports).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import engines
from sim.spec.calendar import WEEKS_PER_YEAR
from sim.errors import SpecError
from sim.model.rng import citizen_streams, replication_key
from sim.engines.compiled import rng
from sim.engines.compiled.engine import VectorSimulation
from sim.engines.compiled.numba_engine import NumbaSimulation

VARIANTS = {"vector-numpy": VectorSimulation, "vector-numba": NumbaSimulation}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request):
    return request.param


@pytest.fixture(scope="module")
def simulate(variant):
    return engines.get(variant)


def test_array_streams_draw_what_the_simpy_streams_draw():
    rk = replication_key(2015, 3)
    ids = np.arange(50)
    seeds = rng.stream_seeds(rng.initial_bases(rk, ids))
    named = rng.stream_seeds(rng.newcomer_bases(rk, "moving_in", ids))
    for cid in (0, 17, 49):
        streams = citizen_streams(rk, cid)
        for k, name in enumerate(("transition", "rule", "activation", "attributes")):
            stream = getattr(streams, name)
            want = [stream.uniform() for _ in range(3)]
            got = rng.nth_uniform(np.repeat(seeds[k][cid], 3), np.arange(1, 4))
            assert got.tolist() == want
        newcomer = citizen_streams(rk, f"moving_in:{cid}")
        for k, name in enumerate(("transition", "rule", "activation", "attributes")):
            stream = getattr(newcomer, name)
            want = [stream.uniform() for _ in range(3)]
            assert rng.nth_uniform(np.repeat(named[k][cid], 3), np.arange(1, 4)).tolist() == want
    # newcomers' bases are keyed by inflow: none equals an initial citizen's or another inflow's
    other = rng.newcomer_bases(rk, "refugees", ids)
    assert len(set(rng.initial_bases(rk, ids).tolist()) | set(rng.newcomer_bases(rk, "moving_in", ids).tolist())
               | set(other.tolist())) == 3 * len(ids)


@pytest.fixture(scope="module")
def run(baseline, variant):
    sim = VARIANTS[variant](baseline.scaled(0.03), years=3, seed=7)
    return sim, sim.run()


def test_persons_conserved_every_week_and_state(run):
    sim, r = run
    rec = r.recorder
    net = np.zeros((r.weeks + 1, len(r.scenario.states)), dtype=int)
    for (week, src, dst, _cause), n in rec.flows.items():
        if src >= 0:
            net[week, src] -= n
        if dst != sim.m.outside:
            net[week, dst] += n
    stocks = rec.persons.sum(axis=2)
    assert (stocks[0] == net[0]).all()
    assert (np.diff(stocks, axis=0) == net[1:]).all()


def test_fte_is_the_stock_in_weeks_nobody_enters_or_leaves(run):
    """Full-time persons integrate the stock over the week: constant stock, same figure."""
    sim, r = run
    rec = r.recorder
    fo = sim.m.index["foertidspension"]
    moves = np.zeros(r.weeks + 1)
    for (week, src, dst, _c), n in rec.flows.items():
        if fo in (src, dst):
            moves[week] += n
    quiet = np.flatnonzero(moves[1:] == 0) + 1
    busy = np.flatnonzero(moves[1:] > 0) + 1
    assert len(quiet) > 10 and len(busy) > 10
    stock = rec.persons[:, fo].sum(axis=1)
    fte = rec.fte[:, fo].sum(axis=1)
    assert np.allclose(fte[quiet], stock[quiet]) and (stock[quiet] == stock[quiet - 1]).all()
    # in busy weeks the integral lies between the lowest and highest stock it could pass
    lo = np.minimum(stock[busy], stock[busy - 1]) - moves[busy]
    hi = np.maximum(stock[busy], stock[busy - 1]) + moves[busy]
    assert ((fte[busy] >= lo - 1e-9) & (fte[busy] <= hi + 1e-9)).all()
    assert not np.allclose(fte[busy], stock[busy])


def test_nobody_beyond_legal_limits(run):
    sim, _ = run
    c, m = sim.c, sim.m
    n = c.n
    now = sim.horizon
    s = c.state[:n]
    dp = s == m.index["dagpenge"]
    assert dp.sum() > 10
    assert (c.dp_used[:n][dp] + now - c.entered[:n][dp] <= 104 + 1e-6).all()
    ud = s == m.index["uddannelseshjaelp_uddannelsesparat"]
    assert ((now - c.born[:n][ud]) / WEEKS_PER_YEAR < 30 + 1e-6).all()
    syg = s == m.index["sygedagpenge"]
    bit = 1 << [r.name for r in m.rules].index("sygedagpenge_reassessment")
    short = syg & ((c.done[:n] & bit) == 0)
    assert short.sum() > 5
    assert (now - c.entered[:n][short] <= 22 + 1e-6).all()
    alive = s >= 0
    assert (c.pension_at[:n][alive] >= now - 1e-9).all()


def test_same_seed_same_result_and_other_seed_differs(baseline, simulate):
    small = baseline.scaled(0.02)
    a = simulate(small, years=1, seed=11).recorder
    b = simulate(small, years=1, seed=11).recorder
    c = simulate(small, years=1, seed=12).recorder
    assert (a.persons == b.persons).all() and a.flows == b.flows and (a.fte == b.fte).all()
    assert not (a.persons == c.persons).all()


def test_compaction_does_not_change_results(baseline, simulate, monkeypatch):
    small = baseline.scaled(0.02)
    a = simulate(small, years=1, seed=4).recorder
    import sim.engines.compiled.state as state

    calls = []
    original = state.Citizens.compact

    def spy(self):
        calls.append(self.n)
        original(self)

    monkeypatch.setattr(state.Citizens, "compact", spy)
    from sim.engines.compiled.engine import VectorSimulation
    from sim.engines.compiled.numba_engine import NumbaSimulation

    for engine in (VectorSimulation, NumbaSimulation):
        monkeypatch.setattr(engine, "COMPACT_SHARE", 0.0)  # compact every week
    b = simulate(small, years=1, seed=4).recorder
    assert len(calls) > 40
    assert (a.persons == b.persons).all() and a.flows == b.flows
    assert a.indicators == b.indicators


def test_registered_and_refuses_what_it_cannot_do(baseline, simulate):
    with pytest.raises(SpecError, match="trace"):
        simulate(baseline.scaled(0.01), years=0.1, trace={1})

    class W:
        times = [1.0]

        def __call__(self, sim, t):  # pragma: no cover - never called
            pass

    with pytest.raises(SpecError, match="watchers"):
        simulate(baseline.scaled(0.01), years=0.1, watchers=(W(),))


def test_record_layout_holds_what_the_column_layout_holds():
    """The compiled engine's one-record-per-citizen layout keeps every value through
    allocation (fill values), growth, compaction and a later switch from columns."""
    from sim.engines.compiled.state import COLUMNS, Citizens

    gen = np.random.default_rng(5)
    layouts = [Citizens(40, 2), Citizens(40, 2, records=True), Citizens(40, 2)]
    for step in range(4):
        k = int(gen.integers(20, 60))
        born = gen.normal(size=k)
        state = gen.integers(-1, 5, size=k)
        for c in layouts:
            j = c.allocate(k)  # grows past the capacity of 40
            for name, (_, fill) in COLUMNS.items():
                assert (c.cols[name][j] == fill).all() or np.isnan(fill), name
            c.born[j] = born
            c.state[j] = state
            c.drawn[j, 1] = born * 2
            c.next_env[j] = born + 1
        if step == 1:
            layouts[2].to_records()
        if step % 2:
            for c in layouts:
                c.compact()
    first = layouts[0]
    for c in layouts[1:]:
        assert c.n == first.n
        for name in ("born", "state", "next_env", "age", "deadline"):
            assert np.array_equal(c.cols[name][: c.n], first.cols[name][: first.n]), name
        assert np.array_equal(c.drawn[: c.n], first.drawn[: first.n])
