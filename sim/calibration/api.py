"""One call per job: calibrate a target file, score held-out targets, backtest.

The ``caseflow calibrate`` and ``caseflow validate`` commands and the notebooks call
these functions; nothing here is defined in a notebook, so worker processes can import
everything they run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration import report, stage0
from sim.calibration.fit import Fit, fit
from sim.spec.layer import Layer, apply_layer, read_layer, write_layer
from sim.calibration.model import calibration_scenario, factors_of
from sim.calibration.objective import Problem, default_engine
from sim.calibration.targets import TargetSet, load_targets
from sim.calibration.uncertainty import sample
from sim.run.parallel import ExecutorChoice


@dataclass
class Calibration:
    fit: Fit
    layer_path: Path | None
    report_paths: dict
    provenance: str
    sets: np.ndarray  # stage-2 parameter sets (log), possibly empty
    stage0: pd.DataFrame


def problem_for(ts: TargetSet, *, scale: float = 0.05, replications: int = 4, seed: int = 2013,
                engine: str | None = None, workers: int = 1,
                executor: ExecutorChoice = None) -> Problem:
    sc = calibration_scenario(ts, scale)
    return Problem(sc, ts.parameters, ts.targets, ts.years, seed=seed, replications=replications,
                   engine=engine or default_engine(), workers=workers, executor=executor)


def calibrate(targets: str | Path | TargetSet, *, budget: int = 60, replications: int = 4,
              scale: float = 0.05, seed: int = 2013, engine: str | None = None,
              out: str | Path | None = None, resume: bool = False, progress: bool = False,
              stage2_per_generation: int = 0, n_sets: int = 20, workers: int = 1,
              stop_after: int | None = None, today: dt.date | None = None,
              start_from: str | Path | Layer | None = None,
              executor: ExecutorChoice = None) -> Calibration:
    """Fit the free parameters of ``targets``; write the layer and its fit report to ``out``.

    The checkpoint is ``<out>.checkpoint.jsonl``: with ``resume`` an interrupted fit
    continues (same result as uninterrupted); without it a stale checkpoint is replaced.
    ``stage2_per_generation`` > 0 adds stage-2 parameter sets (2 generations).
    ``start_from``: a fitted layer whose factors (by parameter name) are the starting point.
    ``executor``/``workers``: where each evaluation's replications run (one executor for
    the whole fit), as for :func:`sim.run.runner.run`; the fit does not depend on them.
    """
    ts = targets if isinstance(targets, TargetSet) else load_targets(targets)
    problem = problem_for(ts, scale=scale, replications=replications, seed=seed, engine=engine,
                          workers=workers, executor=executor)
    s0 = stage0.check(ts, problem.scenario)
    out = Path(out) if out else None
    ckpt = None
    if out is not None:
        ckpt = out.with_suffix(".checkpoint.jsonl")
        if ckpt.exists() and not resume:
            ckpt.unlink()
    x0 = None
    if start_from is not None:
        prev = start_from if isinstance(start_from, Layer) else read_layer(start_from)
        x0 = np.array([np.log(prev.factors.get(p.name, 1.0)) for p in ts.parameters])
    with problem.running():
        f = fit(problem, budget=budget, x0=x0, checkpoint=ckpt, progress=progress, stop_after=stop_after)
        sets = np.empty((0, len(ts.parameters)))
        if stage2_per_generation > 0:
            sets = sample(f, per_generation=stage2_per_generation, n_sets=n_sets, seed=seed).sets
    today = today or dt.date.today()
    provenance = (f"fitted to {ts.file}, {today.isoformat()}, objective {f.objective:.4g} "
                  f"(before {f.objective0:.4g}) over {len(ts.in_sample)} in-sample targets")
    paths: dict = {}
    if out is not None:
        meta = {"targets": str(ts.file), "date": today, "objective": f.objective,
                "objective_before": f.objective0, "in_sample_targets": len(ts.in_sample),
                "held_out_targets": len(ts.held_out), "evaluations": len(f.evaluations.cache),
                "replications": replications, "scale": scale, "seed": seed,
                "engine": problem.engine, "calibration_start": ts.start}
        write_layer(out, provenance=provenance, meta=meta, factors=f.factors,
                    hazards=problem.hazards_of,
                    bounds={p.name: (p.lower, p.upper) for p in ts.parameters},
                    sets=[factors_of(ts.parameters, x) for x in sets],
                    how={p.name: p.scaling for p in ts.parameters})
        paths = report.write(f, out.parent, stem=out.stem + "_fit")
        s0.to_csv(out.parent / f"{out.stem}_stage0.csv", index=False)
        paths["stage0"] = out.parent / f"{out.stem}_stage0.csv"
    return Calibration(f, out, paths, provenance, sets, s0)


def validate(targets: str | Path | TargetSet, layer: str | Path | Layer | None, *,
             replications: int = 4, scale: float = 0.05, seed: int = 2013,
             engine: str | None = None, only_held_out: bool = True, workers: int = 1,
             executor: ExecutorChoice = None) -> pd.DataFrame:
    """Score the (held-out) targets under the fitted layer: forecast error per target.

    Uses different replication seeds from the fit (``seed + 1``), so the score is not
    flattered by the fit's common random numbers.
    """
    ts = targets if isinstance(targets, TargetSet) else load_targets(targets)
    problem = problem_for(ts, scale=scale, replications=replications, seed=seed + 1, engine=engine,
                          workers=workers, executor=executor)
    sc = problem.scenario if layer is None else apply_layer(problem.scenario, layer)
    problem = replace(problem, scenario=sc, parameters=(), held_out_too=True)
    sims = problem.simulate(np.zeros(0))
    table = report.target_table(ts.targets, sims)
    table["relative_error"] = table["gap"] / table["value"].where(table["value"] != 0)
    table["z"] = table["gap"] / np.sqrt(table["tolerance"] ** 2 + table["mc_se"] ** 2)
    return table[table["held_out"]] if only_held_out else table


def backtest_targets(ts: TargetSet, year: int) -> TargetSet:
    """Targets that end by the end of ``year`` are in-sample; later ones are held out."""
    cut = dt.date(year + 1, 1, 1)
    new = tuple(replace(t, held_out=(t.last_date > cut) or t.held_out, weight=t.weight)
                for t in ts.targets)
    return replace(ts, targets=new, fit_until=cut)


def backtest(targets: str | Path | TargetSet, year: int, *, horizon_years: int = 3, budget: int = 40,
             replications: int = 4, scale: float = 0.05, seed: int = 2013, engine: str | None = None,
             out: str | Path | None = None, progress: bool = False,
             start_from: str | Path | Layer | None = None, workers: int = 1,
             executor: ExecutorChoice = None) -> pd.DataFrame:
    """Fit on targets up to ``year``, forecast ``year``+1 … ``year``+``horizon_years``, score those."""
    ts = targets if isinstance(targets, TargetSet) else load_targets(targets)
    bt = backtest_targets(ts, year)
    cal = calibrate(bt, budget=budget, replications=replications, scale=scale, seed=seed,
                    engine=engine, out=out, progress=progress, start_from=start_from,
                    workers=workers, executor=executor)
    window_end = dt.date(year + horizon_years + 1, 1, 1)
    layer = read_layer(cal.layer_path) if cal.layer_path else Layer(
        "", cal.provenance, cal.fit.factors, {k: tuple(v) for k, v in cal.fit.problem.hazards_of.items()},
        (), {}, {p.name: p.scaling for p in bt.parameters})
    scored = validate(bt, layer, replications=replications, scale=scale, seed=seed, engine=engine,
                      workers=workers, executor=executor)
    in_window = [bt.get(n).last_date <= window_end and bt.get(n).last_date > dt.date(year + 1, 1, 1)
                 for n in scored["target"]]
    return scored[in_window]
