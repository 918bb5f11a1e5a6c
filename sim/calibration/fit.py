"""Stage 1: fit the free log-multipliers with a bounded Nelder–Mead over the CRN objective."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from sim.calibration.model import factors_of, log_bounds
from sim.calibration.objective import Evaluations, Problem

SIMPLEX_STEP = 0.2  # initial simplex: ±20 % on each multiplier (log scale)


@dataclass
class Fit:
    problem: Problem
    x0: np.ndarray
    x: np.ndarray
    objective: float
    objective0: float
    evaluations: Evaluations
    sims0: np.ndarray
    sims: np.ndarray

    @property
    def factors(self) -> dict[str, float]:
        return factors_of(self.problem.parameters, self.x)

    @property
    def factors0(self) -> dict[str, float]:
        return factors_of(self.problem.parameters, self.x0)


def header(problem: Problem, x0: np.ndarray, budget: int, targets_file: str = "") -> dict:
    """What makes two fits the same fit: a checkpoint is only resumed under the same header."""
    h = hashlib.sha256()
    h.update(problem.scenario.digest.encode())
    for t in problem.targets:
        h.update(repr(t).encode())
    for p in problem.parameters:
        h.update(repr(p).encode())
    return {"digest": h.hexdigest(), "scale": problem.scenario.scale, "years": problem.years,
            "seed": problem.seed, "replications": problem.replications, "engine": problem.engine,
            "x0": [float(v).hex() for v in x0], "start": str(problem.scenario.start)}


def fit(problem: Problem, budget: int = 60, x0: np.ndarray | None = None,
        checkpoint: str | Path | None = None, progress: bool = False,
        stop_after: int | None = None) -> Fit:
    """Minimise J within the parameters' bounds using at most ``budget`` evaluations.

    ``checkpoint``: a JSON-lines file written after every evaluation; an existing one with
    the same header is resumed. ``stop_after``: raise KeyboardInterrupt after that many new
    evaluations (how the tests interrupt a fit).
    """
    n = len(problem.parameters)
    x0 = np.zeros(n) if x0 is None else np.asarray(x0, dtype=float)
    bounds = log_bounds(problem.parameters)
    x0 = np.clip(x0, [b[0] for b in bounds], [b[1] for b in bounds])
    ev = Evaluations(problem, Path(checkpoint) if checkpoint else None, header(problem, x0, budget),
                     _printer if progress else None, stop_after)
    j0 = ev.objective(x0)
    sims0 = ev.sims(x0)
    if n == 0 or budget <= 1:
        return Fit(problem, x0, x0, j0, j0, ev, sims0, sims0)
    simplex = [x0]
    for i in range(n):
        v = x0.copy()
        step = SIMPLEX_STEP if x0[i] + SIMPLEX_STEP <= bounds[i][1] else -SIMPLEX_STEP
        v[i] += step
        simplex.append(v)
    minimize(ev.objective, x0, method="Nelder-Mead", bounds=bounds,
                   options={"maxfev": budget - 1, "initial_simplex": np.array(simplex),
                            "xatol": 1e-3, "fatol": 1e-4 * max(j0, 1.0)})
    best_x, best_j = min(ev.history, key=lambda h: h[1])
    if progress:
        print(file=sys.stderr)
    return Fit(problem, x0, best_x, best_j, j0, ev, sims0, ev.sims(best_x))


def _printer(k: int, j: float, best: float) -> None:
    print(f"\revaluation {k:4d}  objective {j:12.4g}  best {best:12.4g}", end="", file=sys.stderr,
          flush=True)
