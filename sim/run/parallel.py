"""Run a list of tasks with a chosen executor and a progress line: the one way caseflow
runs replications.

``caseflow run`` (sim/run/runner.py), the studies (cohort, trial) and the calibration
(objective, starting point, drift, sensitivity) all hand their tasks to an
:class:`~sim.run.executors.Executor`, so they share the choice of executor
(``sequential``, ``processes``, ``dask``, ``dask://host:port``), the handling of dead
workers and failing tasks, and the progress line. Results come back in task order, so
the numbers do not depend on the executor, the number of workers or the order in which
tasks finish.

Task functions obey the rules of :mod:`sim.run.executors`: module-level (so spawned
processes, Dask workers, notebooks and Windows can import them), small tasks, and a
result that depends on the task alone.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence, Union

from sim.run.executors import Executor, TaskError, make

#: what callers pass as ``executor``: a name for :func:`sim.run.executors.make`, an open
#: :class:`Executor` to reuse (left open), or None (processes when ``workers > 1``)
ExecutorChoice = Union[str, Executor, None]


@contextmanager
def opened(executor: ExecutorChoice, workers: int, tasks: int) -> Iterator[Executor]:
    """The executor to use for ``tasks`` tasks.

    An :class:`Executor` passed in is yielded as it is and left open (the caller reuses it
    across runs: workers cost about a second each to start). A name (or None) makes a new
    one with at most ``tasks`` workers, closed afterwards; on an error or an interrupt it is
    aborted, so running tasks are abandoned rather than awaited.
    """
    if isinstance(executor, Executor):
        yield executor
        return
    ex = make(executor, max(1, min(workers, tasks)) if workers >= 1 else workers)
    try:
        yield ex
    except BaseException:
        ex.abort()
        raise
    ex.close()


def run_all(fn: Callable[[Any], Any], tasks: Sequence[Any], *, executor: ExecutorChoice = None,
            workers: int = 1, progress: bool = False, what: str = "replications",
            describe: Callable[[Any], str] = repr) -> list[Any]:
    """``[fn(task) for task in tasks]``, run by the executor; results in task order.

    ``progress``: one updating line on stderr, counting ``what``. ``describe(task)`` names a
    task in a :class:`~sim.run.executors.TaskError` (e.g. "replication 3").
    """
    if not tasks:
        return []
    out: list[Any] = [None] * len(tasks)
    done: set[int] = set()
    bar = Progress(len(tasks), 0, progress, what)
    with opened(executor, workers, len(tasks)) as ex:
        for i, result in ex.results(fn, tasks, describe=describe):
            out[i] = result
            done.add(i)
            bar.update(1)
    if len(done) != len(tasks):  # an executor lost a task: never hand back results with gaps
        missing = [describe(tasks[i]) for i in range(len(tasks)) if i not in done]
        raise TaskError(", ".join(missing), "no result")
    return out


class Progress:
    """``replications 12/50 (4 from checkpoint)  0:21 elapsed, ETA 1:05`` on stderr, one
    updating line; ``what`` names what is counted."""

    def __init__(self, total: int, done: int, on: bool, what: str = "replications") -> None:
        self.total, self.done, self.resumed, self.on = total, done, done, on
        self.what = what
        self.t0 = time.perf_counter()
        if on and done:
            self._show()

    def update(self, n: int) -> None:
        self.done += n
        if self.on:
            self._show()

    def _show(self) -> None:
        elapsed = time.perf_counter() - self.t0
        new = self.done - self.resumed
        line = f"\r{self.what} {self.done}/{self.total}"
        if self.resumed:
            line += f" ({self.resumed} from checkpoint)"
        line += f"  {_clock(elapsed)} elapsed"
        if 0 < new and self.done < self.total:
            line += f", ETA {_clock(elapsed / new * (self.total - self.done))}"
        print(line + "  ", end="\n" if self.done >= self.total else "", file=sys.stderr, flush=True)


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
