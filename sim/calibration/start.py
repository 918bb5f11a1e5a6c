"""A forecast's starting point taken from the fitted model where no public figure exists.

The 2015 baseline starts from stocks at 2015-01-01; the calibration run starts on
2013-01-01 and passes through that date. Where a 2015 stock has no public figure, the
fitted run's mean stock at that date is the consistent choice (a baseline started from
it does not drift just because its start disagrees with its own hazards). The same run
gives the initial population's earlier unemployment (the 52-week record): for each
unemployed state, the share with unemployment in the 52 weeks before the spell in
progress and the typical length of it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from sim.spec.calendar import WEEKS_PER_YEAR, Calendar
from sim.engines.simpy_engine import simulate
from sim.spec.layer import apply_layer
from sim.calibration.model import calibration_scenario
from sim.calibration.targets import TargetSet
from sim.run.parallel import ExecutorChoice, run_all


class PriorHistories:
    """Watcher: earlier unemployment of everyone in an unemployed state at time ``t``.

    For each citizen, U = weeks unemployed in the 52-week window before the current spell
    began. ``share`` = P(U > 0); ``weeks`` = 2 × mean(U | U > 0), the bound of a uniform
    with that mean (the window truncates long records, so this is a slight underestimate).
    """

    def __init__(self, t: float) -> None:
        self.times = [t]
        self.records: dict[str, list[float]] = {}

    def __call__(self, sim, t: float) -> None:
        window = sim.scenario.long_term_window
        for s, name in enumerate(sim.names):
            if not sim.unemployed[s] or sim.prior_unemployed[s]:
                continue  # states with a fixed record by law (MAY) keep it
            out = self.records.setdefault(name, [])
            for c in sim.members[s].values():
                lo, hi = t - window, c.entered
                u = 0.0
                for start, end in c.unemp:
                    if end is None or end > hi:
                        continue
                    if end > lo:
                        u += end - max(start, lo)
                out.append(u)

    def estimate(self) -> dict[str, tuple[float, float]]:
        out = {}
        for name, us in self.records.items():
            u = np.array(us)
            if not len(u):
                continue
            pos = u[u > 1e-9]
            share = len(pos) / len(u)
            weeks = min(2 * float(pos.mean()), 52.0) if len(pos) else 0.0
            out[name] = (round(share, 3), round(weeks, 1))
        return out


def start_task(task: tuple) -> tuple[np.ndarray, dict[str, list[float]]]:
    """``(scenario, replication, t, seed)`` → persons per state at week ``t`` and the
    :class:`PriorHistories` records; importable, so spawned processes and Dask workers can run it."""
    sc, rep, t, seed = task
    w = PriorHistories(t)
    res = simulate(sc, years=t / WEEKS_PER_YEAR + 0.05, seed=seed, replication=rep, watchers=(w,))
    return res.recorder.persons[int(round(t))].sum(axis=1), w.records


def describe_task(task: tuple) -> str:
    return f"starting-point replication {task[1]}"


def fitted_start(ts: TargetSet, layer, date: dt.date, *, scale: float = 0.2,
                 replications: int = 4, seed: int = 2015, workers: int = 1,
                 executor: ExecutorChoice = None,
                 progress: bool = False) -> tuple[dict[str, float], dict]:
    """Mean stocks per state (full scale) and earlier-unemployment (share, weeks) at ``date``
    in the fitted calibration run (SimPy engine: the histories are read from live citizens).
    ``executor``/``workers``: where the replications run (sim/run/parallel.py); the result
    does not depend on them."""
    sc = apply_layer(calibration_scenario(ts, scale), layer)
    t = float(Calendar(sc.start).week(date))
    done = run_all(start_task, [(sc, r, t, seed) for r in range(replications)], executor=executor,
                   workers=workers, progress=progress, describe=describe_task)
    stocks = np.zeros(len(sc.states))
    merged = PriorHistories(t)
    for persons, records in done:  # in replication order: the same sums however they ran
        stocks += persons
        for k, v in records.items():
            merged.records.setdefault(k, []).extend(v)
    mean = stocks / replications / sc.scale
    return {name: float(v) for name, v in zip(sc.state_names, mean)}, merged.estimate()
