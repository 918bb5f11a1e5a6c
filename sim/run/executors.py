"""Where tasks run: in this process, in local worker processes, or on a Dask cluster.

One small interface, :class:`Executor`: ``results(fn, tasks)`` yields ``(index,
result)`` pairs as tasks finish, in whatever order they finish. Callers put results
back in task order themselves, so nothing downstream depends on completion order,
and they can save each result the moment it arrives (checkpoints).

Rules every task function obeys so the same code runs everywhere: it is a
module-level function (importable by a spawned or remote worker; no lambdas or
closures), its task is small (a scenario, a few replication ids, the seed root), and
its result depends on the task alone.

Failures: a worker process that dies is replaced and its unfinished tasks run again
(the local pool is rebuilt up to ``retries`` times; Dask reschedules by itself up to
its ``allowed-failures``). A task that raises stops the run with
:class:`TaskError`, naming the task; nothing is silently dropped.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
from abc import ABC, abstractmethod
from typing import Any, Callable, Iterator, Sequence

from sim.errors import SpecError

KINDS = ("sequential", "processes", "dask")


class TaskError(RuntimeError):
    """A task failed (it raised, or its workers kept dying); the run cannot be completed."""

    def __init__(self, what: str, message: str) -> None:
        super().__init__(f"{what}: {message}")
        self.what = what


class Executor(ABC):
    """Runs independent tasks; use as a context manager so workers are released."""

    name: str = ""
    #: how many tasks can run at once (for batching)
    slots: int = 1

    @abstractmethod
    def results(self, fn: Callable[[Any], Any], tasks: Sequence[Any],
                describe: Callable[[Any], str] = repr) -> Iterator[tuple[int, Any]]:
        """Run ``fn(task)`` for every task; yield ``(index, result)`` as each finishes.

        ``describe(task)`` names a task in error messages (e.g. "replications 4-7").
        """

    def close(self) -> None:
        """Release workers (idempotent)."""

    def abort(self) -> None:
        """Stop at once (interrupt, error): running tasks are abandoned, not awaited."""
        self.close()

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SequentialExecutor(Executor):
    """Everything in this process, in order: the default for tests and debugging."""

    name = "sequential"

    def results(self, fn, tasks, describe=repr):
        for i, task in enumerate(tasks):
            try:
                out = fn(task)
            except Exception as exc:
                raise TaskError(describe(task), f"{type(exc).__name__}: {exc}") from exc
            yield i, out


class ProcessExecutor(Executor):
    """Local worker processes, started with ``spawn``.

    Spawn (not fork) behaves the same on Linux, macOS and Windows and inside Jupyter:
    workers import ``fn``'s module afresh, so tasks must be importable functions.
    If a worker dies (killed, out of memory, ``os._exit``), the pool is broken for
    every task still in it; the pool is rebuilt and those tasks run again, up to
    ``retries`` times, after which the run stops with :class:`TaskError`.
    """

    name = "processes"

    def __init__(self, workers: int = 2, retries: int = 3) -> None:
        self.slots = max(1, int(workers))
        self.retries = retries
        self._pool: cf.ProcessPoolExecutor | None = None

    def _live_pool(self, fresh: bool) -> cf.ProcessPoolExecutor:
        """The pool, kept across calls (spawning workers costs about a second); a new one
        after a worker died."""
        if fresh or self._pool is None:
            self.close()
            self._pool = cf.ProcessPoolExecutor(max_workers=self.slots, mp_context=mp.get_context("spawn"))
        return self._pool

    def results(self, fn, tasks, describe=repr):
        pending = set(range(len(tasks)))
        breaks = 0
        while pending:
            try:
                pool = self._live_pool(fresh=breaks > 0)
                futures = {pool.submit(fn, tasks[i]): i for i in sorted(pending)}
            except cf.process.BrokenProcessPool:  # broken in an earlier call
                pool = self._live_pool(fresh=True)
                futures = {pool.submit(fn, tasks[i]): i for i in sorted(pending)}
            broken = False
            for fut in cf.as_completed(futures):
                i = futures[fut]
                try:
                    out = fut.result()
                except cf.process.BrokenProcessPool:
                    broken = True
                    continue
                except Exception as exc:
                    for f in futures:
                        f.cancel()
                    raise TaskError(describe(tasks[i]), f"{type(exc).__name__}: {exc}") from exc
                pending.discard(i)
                yield i, out
            if broken:
                breaks += 1
                if breaks > self.retries:
                    left = ", ".join(describe(tasks[i]) for i in sorted(pending))
                    raise TaskError(left, f"worker processes died {breaks} times; giving up")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abort(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
            if terminate is not None:
                terminate()
            else:
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)


class DaskExecutor(Executor):
    """A Dask cluster: a LocalCluster of ``workers`` processes, or a running scheduler.

    Needs ``pip install 'caseflow[dask]'``; remote workers need caseflow installed too.
    Dask moves the tasks of a worker that dies to another worker (up to the scheduler's
    ``distributed.scheduler.allowed-failures``, default 3, then ``KilledWorker``). A task
    that raises, a task whose workers keep dying and a lost scheduler all stop the run
    with :class:`TaskError`.
    """

    name = "dask"

    def __init__(self, address: str | None = None, workers: int = 2) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise SpecError("<command line>", "--executor",
                            "the Dask executor needs the optional extra: pip install 'caseflow[dask]'") from exc
        self._cluster = None
        if address is None:
            self._cluster = LocalCluster(n_workers=max(1, int(workers)), threads_per_worker=1,
                                         processes=True, dashboard_address=":0")
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(address, timeout="20s")
            except OSError as exc:
                raise SpecError("<command line>", "--executor",
                                f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        nthreads = self._client.nthreads()
        self.slots = max(1, sum(nthreads.values()) if nthreads else int(workers))

    def results(self, fn, tasks, describe=repr):
        from distributed import as_completed
        from distributed.client import FutureCancelledError

        futures = [self._client.submit(fn, t, pure=False) for t in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures):
                i = index[fut.key]
                try:
                    out = fut.result()
                except FutureCancelledError as exc:
                    raise TaskError(describe(tasks[i]),
                                    f"cancelled by the Dask cluster (scheduler lost or restarted?): {exc}") from exc
                except Exception as exc:
                    raise TaskError(describe(tasks[i]), f"{type(exc).__name__}: {exc}") from exc
                fut.release()
                yield i, out
        finally:
            for f in futures:
                if f.status == "pending":
                    f.cancel()

    def close(self) -> None:
        if getattr(self, "_client", None) is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            try:  # a cluster whose scheduler died would otherwise wait about half a minute
                self._cluster.close(timeout=5)
            except (TimeoutError, OSError, RuntimeError):
                pass
            self._cluster = None


def make(kind: str | None = None, workers: int = 1) -> Executor:
    """An executor from its CLI name: ``sequential``, ``processes``, ``dask`` or ``dask://host:port``.

    ``None`` means processes when ``workers > 1``, else sequential.
    """
    if kind is None:
        kind = "processes" if workers > 1 else "sequential"
    if workers < 1:
        raise SpecError("<command line>", "--workers", f"must be at least 1, got {workers}")
    if kind == "sequential":
        return SequentialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers)
    if kind == "dask":
        return DaskExecutor(None, workers)
    if kind.startswith(("dask://", "tcp://", "tls://")):
        address = kind.removeprefix("dask://")
        return DaskExecutor(address if "://" in address else f"tcp://{address}", workers)
    raise SpecError("<command line>", "--executor",
                    f"unknown executor {kind!r}; expected sequential, processes, dask or dask://host:port")


def batches(items: Sequence[int], slots: int, per_slot: int = 4, largest: int = 8) -> list[tuple[int, ...]]:
    """Split replication ids into consecutive batches: about ``per_slot`` tasks per worker
    (so a slow batch does not leave others idle), at most ``largest`` replications each
    (so an interruption loses little work), at least one."""
    n = len(items)
    if n == 0:
        return []
    size = max(1, min(largest, -(-n // (slots * per_slot))))
    return [tuple(items[k:k + size]) for k in range(0, n, size)]
