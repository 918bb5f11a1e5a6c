"""Baseline drift: how much each stock moves per year when nothing changes.

Issue 2 asks that no stock drift by more than 15 % a year without a reason written down
(docs/model.md "Baseline drift"). :func:`drift` runs the scenario (central fit, no
parameter sets) and reports each state's mean stock at the start and every year end,
the yearly relative changes and their Monte Carlo standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim import engines
from sim.spec.calendar import WEEKS_PER_YEAR
from sim.spec.parameter_sets import fixed_parameters
from sim.calibration.objective import default_engine
from sim.run.parallel import ExecutorChoice, run_all

LIMIT = 0.15  # largest yearly relative change without a written reason (issue 2)


def drift_task(task: tuple) -> np.ndarray:
    """``(scenario, replication, years, seed, engine, marks)`` → persons per state at the
    marks, full scale, [mark, state]; importable, so spawned processes and Dask workers can run it."""
    scenario, rep, years, seed, engine, marks = task
    res = engines.get(engine)(scenario, years=years, seed=seed, replication=rep)
    return res.recorder.persons[marks].sum(axis=2) / scenario.scale


def describe_task(task: tuple) -> str:
    return f"drift replication {task[1]}"


def drift(scenario, years: int = 5, replications: int = 4, seed: int = 2015,
          engine: str | None = None, *, workers: int = 1, executor: ExecutorChoice = None,
          progress: bool = False) -> pd.DataFrame:
    """One row per (state, year): stock at the start of the year and at its end, the
    relative change, its Monte Carlo standard error and whether |change| > 15 %.
    ``executor``/``workers``: where the replications run (sim/run/parallel.py); the result
    does not depend on them."""
    scenario = fixed_parameters(scenario)
    engine = engine or default_engine()
    engines.get(engine)  # unknown engine: a clear error before any work
    marks = [min(int(round(y * WEEKS_PER_YEAR)), int(math.ceil(years * WEEKS_PER_YEAR)))
             for y in range(years + 1)]
    tasks = [(scenario, r, years, seed, engine, marks) for r in range(replications)]
    a = np.array(run_all(drift_task, tasks, executor=executor, workers=workers, progress=progress,
                         describe=describe_task))  # [rep, mark, state]
    rows = []
    for s, name in enumerate(scenario.state_names):
        if name == "outside":
            continue
        for y in range(years):
            lo, hi = a[:, y, s], a[:, y + 1, s]
            ch = np.divide(hi - lo, lo, out=np.full(len(lo), np.nan), where=lo > 0)
            mean_ch = (hi.mean() - lo.mean()) / lo.mean() if lo.mean() > 0 else float("nan")
            se = float(np.std(ch, ddof=1) / math.sqrt(len(ch))) if len(ch) > 1 else float("nan")
            rows.append({"state": name, "year": scenario.start.year + y, "start": lo.mean(),
                         "end": hi.mean(), "change": mean_ch, "mc_se": se,
                         "over_limit": bool(abs(mean_ch) > LIMIT) if math.isfinite(mean_ch) else False})
    return pd.DataFrame(rows)
