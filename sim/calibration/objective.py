"""Simulated method of moments: a deterministic objective over log-multipliers.

Every evaluation runs the same replications (seed, 0..R-1): common random numbers make
the objective a deterministic function of the parameters, so a derivative-free
optimiser can compare points without Monte Carlo noise deciding. The distance is

    J(x) = sum_k  w_k (mean_r sim_k(x, r) - target_k)^2,
    w_k  = weight_k / (tolerance_k^2 + var_k / R),

over in-sample targets only, with var_k the between-replication variance at the
starting point (fixed once, so the weights never move during a fit). A target at the
edge of its tolerance adds about 1. Held-out targets are simulated (to score them later)
but never touch J.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from sim import engines
from sim.errors import SpecError
from sim.run.parallel import ExecutorChoice, opened, run_all
from sim.spec.scenario import Scenario
from sim.calibration import measures
from sim.calibration.model import apply_multipliers, factors_of, resolve, scalings
from sim.calibration.targets import FreeParameter, Target

NAN_PENALTY = 1e6


def default_engine() -> str:
    """The compiled (fast) engine when the registry has one, else the SimPy reference.

    The registry names it ``compiled`` (``vector`` before, kept as an alias); the first of
    those it knows is used, so a fit's checkpoint header names the engine as the registry does.
    """
    return next((n for n in ("compiled", "vector") if n in engines.ENGINES), "simpy")


def simulate_targets(task: tuple) -> list[float]:
    """``(scenario, replication, years, seed, engine, targets)`` → every target's model value
    (NaN past the run's end). Importable, so spawned processes and Dask workers can run it.
    """
    scenario, rep, years, seed, engine, targets = task
    r = engines.get(engine)(scenario, years=years, seed=seed, replication=rep)
    h = measures.History.from_run(r)
    end = scenario.start + dt.timedelta(days=7 * h.weeks)
    return [measures.value(h, t) if t.last_date <= end else float("nan") for t in targets]


def describe_task(task: tuple) -> str:
    return f"calibration replication {task[1]}"


def years_needed(start: dt.date, targets, years: float) -> float:
    """Simulate only as far as the last target needs (at most ``years``): fits skip held-out years."""
    last = max(t.last_date for t in targets)
    return min(years, ((last - start).days + 8) / 365.25)


@dataclass
class Problem:
    """What a fit simulates: a scenario, its free parameters, the targets and the replications.

    ``executor``/``workers``: where each evaluation's replications run, as for
    :func:`sim.run.runner.run`; the values do not depend on them. Inside :meth:`running`
    one executor serves every evaluation.
    """

    scenario: Scenario
    parameters: tuple[FreeParameter, ...]
    targets: tuple[Target, ...]
    years: float
    seed: int = 2013
    replications: int = 4
    engine: str = field(default_factory=default_engine)
    workers: int = 1
    held_out_too: bool = False  # simulate far enough to compute the held-out targets as well
    executor: ExecutorChoice = None

    def __post_init__(self) -> None:
        self._open = None  # the executor kept open by running()
        self.hazards_of = resolve(self.parameters, self.scenario)
        needed = [t for t in self.targets if self.held_out_too or not t.held_out] or list(self.targets)
        self.run_years = years_needed(self.scenario.start, needed, self.years)

    def scenario_at(self, x: np.ndarray) -> Scenario:
        return apply_multipliers(self.scenario, self.hazards_of, factors_of(self.parameters, x),
                                 scalings(self.parameters))

    def simulate(self, x: np.ndarray) -> np.ndarray:
        """[replication, target] model values at log-multipliers ``x``."""
        sc = self.scenario_at(np.asarray(x, dtype=float))
        tasks = [(sc, r, self.run_years, self.seed, self.engine, self.targets)
                 for r in range(self.replications)]
        rows = run_all(simulate_targets, tasks, executor=self._open or self.executor,
                       workers=self.workers, describe=describe_task)
        return np.array(rows, dtype=float)

    @contextmanager
    def running(self) -> Iterator["Problem"]:
        """Keep one executor open for every evaluation in the block (a fit makes dozens,
        and starting worker processes costs about a second each time)."""
        if self._open is not None:  # already inside running()
            yield self
            return
        with opened(self.executor, self.workers, self.replications) as ex:
            self._open = ex
            try:
                yield self
            finally:
                self._open = None


def weights(targets: tuple[Target, ...], sims: np.ndarray) -> np.ndarray:
    """w_k = weight_k / (tol_k² + MC variance of the mean); zero for held-out targets."""
    r = sims.shape[0]
    out = np.zeros(len(targets))
    for k, t in enumerate(targets):
        if not t.held_out:
            var = float(np.var(sims[:, k], ddof=1)) if r > 1 else 0.0
            out[k] = t.weight / (t.tolerance ** 2 + (var if math.isfinite(var) else 0.0) / r)
    return out


def distance(targets: tuple[Target, ...], w: np.ndarray, sims: np.ndarray) -> float:
    """J over in-sample targets (held-out targets have weight 0 and are skipped, not multiplied)."""
    mean = sims.mean(axis=0)
    total = 0.0
    for k, t in enumerate(targets):
        if t.held_out:
            continue
        gap = mean[k] - t.value
        total += NAN_PENALTY if not math.isfinite(gap) else w[k] * gap * gap
    return float(total)


class Evaluations:
    """Every evaluation so far, cached by the exact point and appended to a checkpoint file.

    Resuming replays the deterministic optimiser: points already evaluated come from the
    cache, so an interrupted fit continues to the same result as an uninterrupted one.
    """

    def __init__(self, problem: Problem, checkpoint: Path | None, header: dict,
                 progress=None, stop_after: int | None = None) -> None:
        self.problem = problem
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.cache: dict[tuple, np.ndarray] = {}
        self.order: list[tuple] = []
        self.history: list[tuple[np.ndarray, float]] = []
        self.progress = progress
        self.stop_after = stop_after
        self.new = 0
        self.w: np.ndarray | None = None
        if self.checkpoint and self.checkpoint.exists():
            self._read(header)
        elif self.checkpoint:
            self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
            self.checkpoint.write_text(json.dumps({"header": header}) + "\n")

    def _read(self, header: dict) -> None:
        lines = self.checkpoint.read_text().splitlines()
        if not lines or json.loads(lines[0]).get("header") != header:
            raise SpecError(str(self.checkpoint), "header",
                            "checkpoint belongs to another fit (targets, settings or scenario differ); "
                            "delete it or drop --resume")
        for line in lines[1:]:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                break  # a line cut by the interruption: evaluate that point again
            key = tuple(rec["x"])
            self.cache[key] = np.array(rec["sims"], dtype=float)

    def sims(self, x: np.ndarray) -> np.ndarray:
        key = tuple(float(v).hex() for v in x)
        if key not in self.cache:
            if self.stop_after is not None and self.new >= self.stop_after:
                raise KeyboardInterrupt("stopped after %d evaluations" % self.new)
            sims = self.problem.simulate(x)
            self.cache[key] = sims
            self.new += 1
            if self.checkpoint:
                with self.checkpoint.open("a") as f:
                    f.write(json.dumps({"x": list(key), "sims": sims.tolist()}) + "\n")
        return self.cache[key]

    def objective(self, x: np.ndarray) -> float:
        sims = self.sims(np.asarray(x, dtype=float))
        if self.w is None:
            self.w = weights(self.problem.targets, sims)
        j = distance(self.problem.targets, self.w, sims)
        self.history.append((np.array(x, dtype=float), j))
        if self.progress:
            self.progress(len(self.history), j, min(h[1] for h in self.history))
        return j
