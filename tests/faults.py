"""Test-only fault injection: an executor that makes chosen tasks kill their worker,
raise or sleep, so tests can prove how failures are handled. Nothing in ``sim`` knows it.

:class:`Faulty` wraps any :class:`~sim.run.executors.Executor` and hands it, instead of the
task function, ``partial(inject, spec, fn)``: a module-level function, so it pickles by
reference to spawned processes and Dask workers (which import ``tests.faults`` from the
parent's ``sys.path``). The spec travels with every task, so a running cluster needs no
arming. Specs, for the task that holds replication REP:

``exit:REP:MARKER``  kill the worker process the first time (creating the MARKER file records
                     that it happened, so the retry runs normally)
``exit:REP``         kill the worker every time: the task can never finish
``raise:REP``        raise RuntimeError("injected failure in replication REP")
``sleep:REP:SECONDS`` delay the task
"""

from __future__ import annotations

import os
import time
from functools import partial
from typing import Any, Callable

from sim.run.executors import Executor


def replications(task: Any) -> tuple[int, ...]:
    """The replications a task holds: a runner batch (``.replications``) or a study's
    tuple whose replication is its first integer after the scenario (cohort, trial, objective)."""
    reps = getattr(task, "replications", None)
    if reps is not None:
        return tuple(reps)
    return tuple(x for x in task[1:] if isinstance(x, int) and not isinstance(x, bool))[:1]


def inject(spec: str, fn: Callable[[Any], Any], task: Any,
           which: Callable[[Any], tuple[int, ...]] = replications) -> Any:
    """Run ``fn(task)``, after doing what ``spec`` says if the task holds its replication."""
    kind, _, rest = spec.partition(":")
    rep, _, arg = rest.partition(":")
    if int(rep) in which(task):
        if kind == "raise":
            raise RuntimeError(f"injected failure in replication {rep}")
        if kind == "sleep":
            time.sleep(float(arg))
        if kind == "exit" and not arg:
            os._exit(17)  # every time: the worker can never finish this task
        if kind == "exit":
            try:
                fd = os.open(arg, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pass  # already died once: run normally
            else:
                os.close(fd)
                os._exit(17)
    return fn(task)


class Faulty(Executor):
    """``inner`` with a fault injected into every task it runs; ``inner`` stays the caller's
    to close (a shared Dask cluster outlives the test)."""

    def __init__(self, inner: Executor, spec: str,
                 which: Callable[[Any], tuple[int, ...]] = replications) -> None:
        self.inner, self.spec, self.which = inner, spec, which
        self.name = inner.name
        self.slots = inner.slots

    def results(self, fn, tasks, describe=repr):
        return self.inner.results(partial(inject, self.spec, fn, which=self.which), tasks, describe)
