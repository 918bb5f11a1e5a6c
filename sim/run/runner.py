"""Replications: one seed, a key per replication, run by an executor, gathered in order.

``run`` splits the replication ids into small batches (:class:`Task`: the scenario,
the ids, the seed root, years, engine name — never a population), hands them to an
executor (:mod:`sim.run.executors`, chosen as :func:`sim.run.parallel.opened` chooses it for
the studies and the calibration too), saves each finished replication in a checkpoint
when asked (:mod:`sim.run.checkpoint`), and concatenates the tables in replication order,
so the result is the same whatever the executor, the number of workers, the order in
which tasks finish, or how often the run was interrupted and resumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from sim import engines

from sim.run import executors

from sim.outputs import metrics, tables
from sim.spec.parameter_sets import for_replication
from sim.run.checkpoint import Checkpoint, identity
from sim.engines.simpy_engine import RunResult
from sim.run.executors import TaskError
from sim.run.parallel import ExecutorChoice, Progress, opened
from sim.spec.scenario import Scenario


# -- per-replication tables -----------------------------------------------------------------
# (name, function(RunResult, tables made so far) -> DataFrame with a "replication" column).
# Computed in the worker, checkpointed, concatenated in replication order, and written by
# sim.run.store as NAME.csv. To add a table, add a module-level function and a line here.
def _stocks(r: RunResult, done: dict) -> pd.DataFrame:
    return tables.stocks(r)


def _flows(r: RunResult, done: dict) -> pd.DataFrame:
    return tables.flows(r)


def _activation(r: RunResult, done: dict) -> pd.DataFrame:
    return tables.activation(r)


def _indicators(r: RunResult, done: dict) -> pd.DataFrame:
    return tables.indicators(r, done["flows"], done["activation"])


def _costs(r: RunResult, done: dict) -> pd.DataFrame:
    from sim.outputs import costs
    return costs.table(r)


TABLES: list[tuple[str, Callable[[RunResult, dict], pd.DataFrame]]] = [
    ("stocks", _stocks),
    ("flows", _flows),
    ("activation", _activation),
    ("indicators", _indicators),
    ("costs", _costs),
]


@dataclass
class Results:
    """Tidy tables over all replications (one row per observation, a ``replication`` column)."""

    scenario: Scenario
    years: float
    seed: int
    replications: int
    tables: dict[str, pd.DataFrame]
    persons: int
    events: int
    wall_seconds: float
    engine: str = "simpy"
    resumed: int = 0  # replications taken from a checkpoint

    @property
    def stocks(self) -> pd.DataFrame:
        return self.tables["stocks"]

    @property
    def flows(self) -> pd.DataFrame:
        return self.tables["flows"]

    @property
    def activation(self) -> pd.DataFrame:
        return self.tables["activation"]

    @property
    def indicators(self) -> pd.DataFrame:
        return self.tables["indicators"]

    @property
    def costs(self) -> pd.DataFrame | None:
        """sim.outputs.costs.table per replication (DKK per year × state); None if not made."""
        return self.tables.get("costs")

    def __getattr__(self, name: str):  # tables added later (costs, …) read as attributes too
        if name.startswith("_") or name == "tables":
            raise AttributeError(name)
        try:
            return self.tables[name]
        except KeyError:
            raise AttributeError(name) from None

    def stock_bands(self, measure: str = "fte") -> pd.DataFrame:
        """Bands per state and week, all ages together."""
        total = self.stocks.groupby(["replication", "week", "date", "state"], sort=False)[measure].sum()
        return metrics.bands(total.reset_index(), ["week", "date", "state"], measure)

    def indicator_bands(self) -> pd.DataFrame:
        cols = [c for c in self.indicators.columns if c not in ("replication", "date", "week", "year_ending")]
        long = self.indicators.melt(id_vars=["replication", "date"], value_vars=cols,
                                    var_name="indicator", value_name="value")
        return metrics.bands(long, ["date", "indicator"], "value")


@dataclass(frozen=True)
class Task:
    """A batch of replications: small enough to send anywhere."""

    scenario: Scenario
    years: float
    seed: int
    engine: str
    replications: tuple[int, ...]
    check: bool = False  # runtime invariant checks (sim/outputs/checks.py); results are the same


def run_task(task: Task) -> list[dict]:
    """Run a batch, one result per replication. Importable, so spawned processes, Dask
    workers and notebooks can all run it."""
    simulate = engines.get(task.engine)
    return [replicate(simulate, task.scenario, task.years, task.seed, rep,
                      check=task.check, engine=task.engine) for rep in task.replications]


def replicate(simulate: Callable, scenario: Scenario, years: float, seed: int, rep: int,
              check: bool = False, engine: str = "simpy") -> dict:
    """One replication → its tables (see :data:`TABLES`) and counts.

    ``check``: the model's invariants are verified while it runs (a watcher, SimPy engine)
    and on its recorded arrays and costs afterwards; a violation raises
    :class:`~sim.outputs.checks.InvariantError`.
    """
    from sim.outputs import checks
    scenario = for_replication(scenario, rep)  # stage-2 parameter set rep mod n, if the fit has them
    watchers = checks.watchers_for(scenario, years, engine) if check else ()
    r = simulate(scenario, years=years, seed=seed, replication=rep, **({"watchers": watchers} if watchers else {}))
    done: dict[str, pd.DataFrame] = {}
    for name, fn in TABLES:
        done[name] = fn(r, done)
    if check:
        checks.after_run(r, done.get("costs"))
    return {"tables": done, "persons": int(r.persons_created), "events": int(r.events),
            "wall": float(r.wall_seconds)}


def describe(task: Task) -> str:
    reps = task.replications
    return f"replication {reps[0]}" if len(reps) == 1 else f"replications {reps[0]}-{reps[-1]}"


def run(scenario: Scenario, years: float = 5, replications: int = 10, seed: int = 2015,
        workers: int = 1, progress: bool = False, *, engine: str = "simpy",
        executor: ExecutorChoice = None, checkpoint: str | None = None,
        resume: bool = False, check: bool = False) -> Results:
    """Run ``replications`` of ``scenario``; the result does not depend on how.

    ``executor``: ``"sequential"``, ``"processes"``, ``"dask"`` (a LocalCluster of
    ``workers``), ``"dask://host:8786"``, or an :class:`~sim.run.executors.Executor` to reuse
    (left open); default processes when ``workers > 1``, else sequential.
    ``checkpoint``: a directory where each finished replication is saved; with
    ``resume`` an existing checkpoint of the same run is continued.
    ``check``: verify the model's invariants (sim/outputs/checks.py) while it runs.
    """
    engines.get(engine)  # unknown engine: a clear error before any work
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    cp = Checkpoint.open(checkpoint, identity(scenario, years, seed, replications, engine), resume) \
        if checkpoint else None
    results: dict[int, dict] = cp.done() if cp else {}
    resumed = len(results)
    todo = [r for r in range(replications) if r not in results]
    bar = Progress(replications, resumed, progress)
    if todo:
        with opened(executor, workers, len(todo)) as ex:
            tasks = [Task(scenario, years, seed, engine, b, check)
                     for b in executors.batches(todo, ex.slots)]
            for i, outs in ex.results(run_task, tasks, describe=describe):
                if len(outs) != len(tasks[i].replications):
                    raise TaskError(describe(tasks[i]), f"returned {len(outs)} results")
                for rep, res in zip(tasks[i].replications, outs):
                    results[rep] = res
                    if cp:
                        cp.save(rep, res)
                bar.update(len(outs))
    missing = [r for r in range(replications) if r not in results]
    if missing:  # cannot happen unless an executor lost a task: never hand back a run with gaps
        raise TaskError(f"replications {missing}", "no result")
    ordered = [results[r] for r in range(replications)]
    cat = {name: pd.concat([o["tables"][name] for o in ordered], ignore_index=True)
           for name in ordered[0]["tables"]}
    return Results(scenario, years, seed, replications, cat, sum(o["persons"] for o in ordered),
                   sum(o["events"] for o in ordered), sum(o["wall"] for o in ordered),
                   engine=engine, resumed=resumed)
