"""The compiled kernel (sim/engines/compiled/kernel_numba.py) is the NumPy vector engine, faster.

It processes the same batches in the same order and draws the same numbers, so its
results are the NumPy engine's: identical counts, flows, places, indicators, and
full-time persons equal up to the order of float sums — also when places run out
(the weekly allocation and the order of service are shared). With places enough it
follows the SimPy engine's paths as the NumPy engine does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import engines
from sim.engines.simpy_engine import simulate as simpy_simulate
from sim.model.rng import Stream
from sim.engines.compiled import kernel_numba as kn
from sim.engines.compiled.engine import compiled
from sim.engines.compiled.engine import simulate as numpy_simulate
from sim.engines.compiled.numba_engine import simulate as numba_simulate
from tests.test_vector_equivalence import ample, assert_same_paths


# the same checks as the two engines' paths: identical counts, flows, places and
# indicators, full-time persons equal up to the order of float sums
assert_identical = assert_same_paths


def test_kernel_draws_the_numbers_of_sim_rng():
    seeds = np.array([0, 1, 2**63 + 12345, 2**64 - 1], dtype=np.uint64)
    for k, seed in enumerate(seeds.tolist()):
        stream = Stream(seed)
        n = np.zeros(len(seeds), dtype=np.uint32)
        got = [kn._uniform(seeds, n, k) for _ in range(5)]
        assert got == [stream.uniform() for _ in range(5)]
        assert n[k] == 5


@pytest.mark.parametrize("start", [dt.date(2015, 1, 1), dt.date(2014, 1, 1)])
def test_same_results_as_the_numpy_engine_when_places_run_out(baseline, start):
    """The baseline's own places (nytteindsats binds): queues, weekly allocation, wake-ups."""
    sc = dataclasses.replace(baseline, start=start).scaled(0.03)
    a, b = numpy_simulate(sc, years=2, seed=3), numba_simulate(sc, years=2, seed=3)
    assert a.recorder.waiting_starts.sum() > 20  # the queue was really used
    assert_identical(a, b)


def test_same_paths_as_simpy_with_places_enough(baseline):
    sc = dataclasses.replace(ample(baseline), start=dt.date(2014, 1, 1)).scaled(0.03)
    assert_same_paths(simpy_simulate(sc, years=2, seed=5), numba_simulate(sc, years=2, seed=5))


def test_vector_runs_the_kernel_and_falls_back_without_numba():
    assert engines.get("vector") is numba_simulate
    assert engines.label("vector") == "vector (numba)"
    # a fresh interpreter in which numba cannot be imported
    code = ("import sys; sys.modules['numba'] = None\n"
            "from sim import engines; from sim.engines.compiled.engine import simulate\n"
            "assert engines.get('vector') is simulate, engines.get('vector')\n"
            "print(engines.label('vector'))\n"
            "try:\n    engines.get('vector-numba')\n"
            "except Exception as e:\n    print(type(e).__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], check=True).stdout.split()
    assert out == ["vector", "(numpy)", "SpecError"]


def test_people_are_the_same_whether_their_strata_were_met_before(baseline):
    """people_numba fills the model's elapsed-duration CDFs on demand: in a model's first
    replication every citizen of the initial stock is drawn after its stratum's CDF
    (``_draw_later``), in later ones in the first pass. Either way the same people."""
    sc = baseline.scaled(0.03)  # a scenario object of its own: a fresh model
    first_here = numba_simulate(sc, years=1, seed=7, replication=1)
    tables = compiled(sc)._stock_tables
    assert not np.isnan(tables.cdf).all()  # filled by that replication
    again = numba_simulate(sc, years=1, seed=7, replication=1)  # strata known: drawn in one pass
    assert_identical(first_here, again)
    other = baseline.scaled(0.03)
    numba_simulate(other, years=1, seed=7, replication=0)  # fills the strata replication 0 meets
    assert_identical(first_here, numba_simulate(other, years=1, seed=7, replication=1))


def test_the_calendar_gives_each_window_its_due_citizens_in_slot_order():
    """kn.calendar / kn._select against the rule of a full scan (VectorSimulation._advance)."""
    from sim.engines.compiled.state import Citizens

    c = Citizens(200, 1, records=True)
    c.allocate(200)
    rng = np.random.default_rng(7)
    w0, weeks = 10, 4  # a span of weeks 10..13
    c.next_env[:] = np.round(rng.uniform(9.0, 15.0, 200) * 4) / 4  # many ties at whole weeks
    c.next_env[::17] = np.inf  # citizens who left
    c.sched_now[:] = rng.choice([0.0, 9.5, 10.2, 11.0], 200)
    c.sched_now[::3] = np.minimum(c.next_env[::3], 20.0)  # drawn with no wait: after the observer
    C = kn.pack_citizens(c)
    cal = np.zeros((weeks, 200 // 64 + 1), dtype=np.uint64)
    kn.calendar(C, cal, c.n, w0)
    out = np.empty(c.n, dtype=np.int64)
    left = np.ones(c.n, dtype=bool)  # not yet run
    for week in range(w0, w0 + weeks):
        for until, observer in ((week - 0.5, week - 1.0), (float(week), week - 0.5)):
            env, now = c.next_env, c.sched_now
            due = left & (env <= until) & ((env < until) | (now < observer) | (now == 0.0))
            got = out[: kn._select(C, cal, w0, week, until, observer, out)]
            np.testing.assert_array_equal(got, np.flatnonzero(due))
            left &= ~due
    last = w0 + weeks - 1
    assert not (left & (c.next_env < last)).any()  # every event of the span ran ...
    assert left[c.next_env == last].any()  # ... but ties its last observer leaves to the next


def test_the_calendar_marks_nothing_past_its_span():
    """An event drawn in a span's last week for that week's end (run after its observer,
    or at a place granted then) belongs to the next span: no bit beyond the rows."""
    from sim.engines.compiled.state import Citizens

    c = Citizens(64, 1, records=True)
    c.allocate(64)
    c.next_env[:] = np.inf
    buf = np.zeros((5, 2), dtype=np.uint64)
    cal = buf[:4]  # weeks 10..13; the row past them is the span's neighbour in memory
    for env in (13.0, 12.5, 13.2, np.inf):
        kn._mark(cal, 10, 14, 3, env)  # marked from week 14 on: after the span
    assert not buf.any()
    kn._mark(cal, 10, 12, 3, 12.5)
    assert buf[3, 0] == 1 << 3 and buf.sum() == 1 << 3


@pytest.mark.parametrize("n", [40, 400])
def test_offers_are_served_by_instrument_then_time_then_batch_order(n):
    """kn.service_order against np.lexsort, with short runs per instrument (insertion
    sort) and long ones (merge sort), and ties in time."""
    gen = np.random.default_rng(n)
    group = gen.integers(0, 3, n)
    inst = gen.integers(0, 4, n)
    ot = np.round(gen.uniform(10.0, 11.0, n), 1)  # many equal times
    first = np.empty(5, dtype=np.int64)
    for g in (1, 2):
        order = np.empty(n, dtype=np.int64)
        m = kn.service_order(group, g, inst, ot, first, order)
        idx = np.flatnonzero(group == g)
        np.testing.assert_array_equal(order[:m], idx[np.lexsort((ot[idx], inst[idx]))])
    longest = np.bincount(inst[group == 2]).max()
    assert longest > kn.SHORT if n == 400 else longest <= kn.SHORT  # both sorts were used
