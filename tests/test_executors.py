"""Executors: the same seed gives bit-identical tables however replications run, a dead
worker's tasks run again with the same answer, and a failing task stops the run loudly.

Faults are injected with the test-only hook ``sim.run.executors.fault_injection``
(``CASEFLOW_FAULT`` / ``CASEFLOW_FAULT_FILE``): ``exit:REP:MARKER`` kills the process
running replication REP once, ``raise:REP`` makes it raise.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

from sim.run import executors
from sim.run.executors import TaskError
from sim.run.runner import run

YEARS, REPS, SEED = 1, 4, 9


@pytest.fixture(scope="module")
def small(baseline):
    return baseline.scaled(0.01)


@pytest.fixture(scope="module")
def reference(small):
    """The sequential run every other way of running must reproduce exactly."""
    return run(small, YEARS, REPS, SEED, executor="sequential")


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """One LocalCluster of 2 worker processes for all Dask tests (startup costs seconds).

    Its workers read their fault spec from a file (set before they start, so restarted
    workers see it too); a test arms it by writing the file and disarms by removing it.
    """
    pytest.importorskip("distributed", reason="the dev extra installs dask[distributed]")
    fault = tmp_path_factory.mktemp("fault") / "spec"
    old = os.environ.get("CASEFLOW_FAULT_FILE")
    os.environ["CASEFLOW_FAULT_FILE"] = str(fault)
    ex = executors.make("dask", 2)
    try:
        yield ex, fault
    finally:
        ex.close()
        if old is None:
            os.environ.pop("CASEFLOW_FAULT_FILE", None)
        else:
            os.environ["CASEFLOW_FAULT_FILE"] = old


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
    ex, _ = dask_cluster
    assert ex.slots == 2
    assert_same(run(small, YEARS, REPS, SEED, executor=ex), reference)


def test_dead_process_worker_is_replaced_and_result_identical(small, reference, tmp_path, monkeypatch):
    marker = tmp_path / "died"
    monkeypatch.setenv("CASEFLOW_FAULT", f"exit:2:{marker}")
    res = run(small, YEARS, REPS, SEED, workers=2, executor="processes")
    assert marker.exists(), "the fault was not triggered: the test would prove nothing"
    assert_same(res, reference)


def test_process_worker_that_always_dies_stops_the_run(small, monkeypatch):
    monkeypatch.setenv("CASEFLOW_FAULT", "exit:1")
    with executors.ProcessExecutor(2, retries=1) as ex:
        with pytest.raises(TaskError, match=r"replication 1.*worker processes died 2 times"):
            run(small, YEARS, 3, SEED, executor=ex)


def test_raising_task_in_a_process_names_its_replication(small, monkeypatch):
    monkeypatch.setenv("CASEFLOW_FAULT", "raise:1")
    with pytest.raises(TaskError, match=r"replication 1: RuntimeError: injected failure"):
        run(small, YEARS, 3, SEED, workers=2, executor="processes")


def test_raising_task_names_its_replication_sequential(small, monkeypatch):
    monkeypatch.setenv("CASEFLOW_FAULT", "raise:2")
    with pytest.raises(TaskError, match=r"replication 2: RuntimeError: injected failure"):
        run(small, YEARS, 3, SEED, executor="sequential")


def test_dask_worker_killed_mid_task_is_retried_identically(small, reference, dask_cluster, tmp_path):
    ex, fault = dask_cluster
    marker = tmp_path / "died"
    fault.write_text(f"exit:1:{marker}")
    try:
        res = run(small, YEARS, REPS, SEED, executor=ex)
    finally:
        fault.unlink()
    assert marker.exists(), "the fault was not triggered: the test would prove nothing"
    assert_same(res, reference)


def test_dask_raising_task_gives_a_clear_error(small, dask_cluster):
    ex, fault = dask_cluster
    fault.write_text("raise:3")
    try:
        with pytest.raises(TaskError, match=r"replication 3: RuntimeError: injected failure"):
            run(small, YEARS, REPS, SEED, executor=ex)
    finally:
        fault.unlink()


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


def test_dask_scheduler_that_goes_away_stops_the_run_with_a_clear_error(small, monkeypatch):
    """A cluster of its own (its scheduler is shut down mid-run): replication 1 is kept busy
    for a few seconds (CASEFLOW_FAULT sleep), and the scheduler closes meanwhile."""
    pytest.importorskip("distributed", reason="the dev extra installs dask[distributed]")
    import threading
    monkeypatch.setenv("CASEFLOW_FAULT", "sleep:1:6")
    monkeypatch.delenv("CASEFLOW_FAULT_FILE", raising=False)
    with executors.make("dask", 1) as ex:
        sched = ex._cluster.scheduler
        timer = threading.Timer(1.5, lambda: sched.loop.add_callback(sched.close))
        timer.start()
        try:
            with pytest.raises(TaskError, match=r"replication [01]: cancelled by the Dask cluster \(scheduler lost"):
                run(small, YEARS, 2, SEED, executor=ex)
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
    ex, _ = dask_cluster
    for engine in ENGINES:
        assert_same(run(small, YEARS, 2, SEED, executor=ex, engine=engine),
                    run(small, YEARS, 2, SEED, executor="sequential", engine=engine))
