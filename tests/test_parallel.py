"""sim/run/parallel.py: results come back in task order whatever order tasks finish in, a
lost task is an error, and an executor passed in is reused and left open."""

from __future__ import annotations

import pytest

from sim.run import parallel
from sim.run.executors import Executor, TaskError


def square(x: int) -> int:
    return x * x


class Backwards(Executor):
    """Finishes tasks last first (as a pool may); ``drop`` loses one task's result."""

    name = "backwards"

    def __init__(self, drop: int | None = None) -> None:
        self.drop = drop
        self.closed = False

    def results(self, fn, tasks, describe=repr):
        for i in reversed(range(len(tasks))):
            if i != self.drop:
                yield i, fn(tasks[i])

    def close(self) -> None:
        self.closed = True


def test_results_are_in_task_order_whatever_order_they_finish_in():
    ex = Backwards()
    assert parallel.run_all(square, [1, 2, 3, 4], executor=ex) == [1, 4, 9, 16]
    assert not ex.closed  # the caller's executor is the caller's to close


def test_a_lost_task_is_an_error_naming_it():
    with pytest.raises(TaskError, match="task 3: no result"):
        parallel.run_all(square, [1, 2, 3, 4], executor=Backwards(drop=2),
                         describe=lambda t: f"task {t}")


def test_progress_counts_what_it_is_told(capsys):
    parallel.run_all(square, [1, 2], executor="sequential", progress=True, what="design points")
    err = capsys.readouterr().err
    assert "design points 2/2" in err and err.endswith("\n")


def test_no_tasks_start_no_executor_and_bad_workers_are_an_input_error():
    from sim.errors import SpecError
    assert parallel.run_all(square, [], executor="no such executor") == []
    with pytest.raises(SpecError, match="--workers"):
        parallel.run_all(square, [1], workers=0)
