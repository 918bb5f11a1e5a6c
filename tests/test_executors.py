"""Executors: the same seed gives bit-identical tables however replications run, a dead
worker's tasks run again with the same answer, and a failing task stops the run loudly.

Faults are injected by the test-only executor wrapper ``tests.faults.Faulty`` (the
production executors and tasks know nothing of it): ``exit:REP:MARKER`` kills the process
running replication REP once, ``raise:REP`` makes it raise.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.run import executors
from sim.run.executors import TaskError
from sim.run.runner import run

from .faults import Faulty

YEARS, REPS, SEED = 1, 4, 9


@pytest.fixture(scope="module")
def small(baseline):
    return baseline.scaled(0.01)


@pytest.fixture(scope="module")
def reference(small):
    """The sequential run every other way of running must reproduce exactly."""
    return run(small, YEARS, REPS, SEED, executor="sequential")


@pytest.fixture(scope="module")
def dask_cluster():
    """One LocalCluster of 2 worker processes for all Dask tests (startup costs seconds);
    a test injects a fault by wrapping it in :class:`tests.faults.Faulty`."""
    pytest.importorskip("distributed", reason="the dev extra installs dask[distributed]")
    ex = executors.make("dask", 2)
    try:
        yield ex
    finally:
        ex.close()


def assert_same(a, b):
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True)
        assert a.tables[name].to_csv(index=False) == b.tables[name].to_csv(index=False), name
    assert (a.persons, a.events) == (b.persons, b.events)


def test_reference_has_every_replication_in_order(reference):
    for df in reference.tables.values():
        reps = df["replication"].tolist()
        assert reps == sorted(reps) and set(reps) == set(range(REPS))


def test_processes_give_bit_identical_tables(small, reference):
    # the positional call run(scenario, years, replications, seed, workers, progress) of the
    # notebooks; workers > 1 without an executor means local processes
    res = run(small, YEARS, REPS, SEED, 2, False)
    assert_same(res, reference)


def test_dask_local_cluster_gives_bit_identical_tables(small, reference, dask_cluster):
    ex = dask_cluster
    assert ex.slots == 2
    assert_same(run(small, YEARS, REPS, SEED, executor=ex), reference)


def test_dead_process_worker_is_replaced_and_result_identical(small, reference, tmp_path):
    marker = tmp_path / "died"
    with executors.make("processes", 2) as ex:
        res = run(small, YEARS, REPS, SEED, executor=Faulty(ex, f"exit:2:{marker}"))
    assert marker.exists(), "the fault was not triggered: the test would prove nothing"
    assert_same(res, reference)


def test_process_worker_that_always_dies_stops_the_run(small):
    with executors.ProcessExecutor(2, retries=1) as ex:
        with pytest.raises(TaskError, match=r"replication 1.*worker processes died 2 times"):
            run(small, YEARS, 3, SEED, executor=Faulty(ex, "exit:1"))


def test_raising_task_in_a_process_names_its_replication(small):
    with executors.make("processes", 2) as ex:
        with pytest.raises(TaskError, match=r"replication 1: RuntimeError: injected failure"):
            run(small, YEARS, 3, SEED, executor=Faulty(ex, "raise:1"))


def test_raising_task_names_its_replication_sequential(small):
    with pytest.raises(TaskError, match=r"replication 2: RuntimeError: injected failure"):
        run(small, YEARS, 3, SEED, executor=Faulty(executors.make("sequential"), "raise:2"))


def test_dask_worker_killed_mid_task_is_retried_identically(small, reference, dask_cluster, tmp_path):
    marker = tmp_path / "died"
    res = run(small, YEARS, REPS, SEED, executor=Faulty(dask_cluster, f"exit:1:{marker}"))
    assert marker.exists(), "the fault was not triggered: the test would prove nothing"
    assert_same(res, reference)


def test_dask_raising_task_gives_a_clear_error(small, dask_cluster):
    with pytest.raises(TaskError, match=r"replication 3: RuntimeError: injected failure"):
        run(small, YEARS, REPS, SEED, executor=Faulty(dask_cluster, "raise:3"))


def test_batches_keep_order_and_cover_every_id():
    ids = list(range(3, 40))
    b = executors.batches(ids, slots=2)
    assert [i for t in b for i in t] == ids
    assert max(map(len, b)) <= 8 and len(b) >= 2 * 4
    assert executors.batches([5], slots=4) == [(5,)]


def test_unknown_executor_and_engine_are_clear_errors(small):
    from sim.errors import SpecError
    with pytest.raises(SpecError, match="--executor"):
        executors.make("threads", 2)
    with pytest.raises(SpecError, match="--engine"):
        run(small, YEARS, 1, SEED, engine="nope")


def test_dask_scheduler_that_goes_away_stops_the_run_with_a_clear_error(small):
    """A cluster of its own (its scheduler is shut down mid-run): replication 1 is kept busy
    for a few seconds (an injected sleep), and the scheduler closes meanwhile."""
    pytest.importorskip("distributed", reason="the dev extra installs dask[distributed]")
    import threading
    with executors.make("dask", 1) as ex:
        sched = ex._cluster.scheduler
        timer = threading.Timer(1.5, lambda: sched.loop.add_callback(sched.close))
        timer.start()
        try:
            with pytest.raises(TaskError, match=r"replication [01]: cancelled by the Dask cluster \(scheduler lost"):
                run(small, YEARS, 2, SEED, executor=Faulty(ex, "sleep:1:6"))
        finally:
            timer.cancel()


def test_a_process_pool_is_reused_across_runs(small, reference):
    with executors.ProcessExecutor(2) as ex:
        first = run(small, YEARS, REPS, SEED, executor=ex)
        pool = ex._pool
        second = run(small, YEARS, REPS, SEED, executor=ex)
        assert ex._pool is pool and pool is not None
    assert_same(first, reference)
    assert_same(second, reference)


def test_every_engine_runs_identically_on_dask(small, dask_cluster):
    """The engine travels by name in the task; each engine's tables are the same on Dask."""
    from sim.engines import ENGINES
    ex = dask_cluster
    for engine in ENGINES:
        assert_same(run(small, YEARS, 2, SEED, executor=ex, engine=engine),
                    run(small, YEARS, 2, SEED, executor="sequential", engine=engine))
