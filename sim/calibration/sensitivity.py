"""Sensitivity analysis: Morris screening, then Sobol indices on the factors that matter.

Factors are multipliers on groups of hazards (the calibration's free parameters) and on
activation effects (each instrument's deviation from 1 during and after the programme
is scaled: 1 + m·(effect − 1)), plus a *dummy* factor. Every design point runs the same
replications (common random numbers), so a difference between points is mostly the
factor's doing. The dummy changes no parameter: its level re-seeds the replications
(seed + 7919 × level), so its elementary effects are pure Monte Carlo noise *without*
common random numbers — an upper bound on the noise left in the other factors' effects,
which share their random numbers. Its μ* is reported next to every output with the
between-replication standard error; a factor is "noise-level" when its μ* is not above
the dummy's. (A dummy that changed nothing would show μ* = 0 under common random numbers
and say nothing about noise.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sim import engines
from sim.spec.calendar import WEEKS_PER_YEAR
from sim.spec.scenario import Scenario
from sim.calibration.model import apply_multipliers, resolve, scalings
from sim.spec.scaling import PLAIN, Scaling
from sim.calibration.objective import default_engine
from sim.calibration.targets import FreeParameter
from sim.run.parallel import ExecutorChoice, opened, run_all

DUMMY = "dummy"


@dataclass(frozen=True)
class Factor:
    name: str
    kind: str  # "hazards" | "effect" | "dummy"
    items: tuple[str, ...]  # hazard patterns or instrument names
    lower: float = 0.8
    upper: float = 1.25
    how: Scaling = PLAIN  # for hazard factors: rate, a tail, ages or the cycle elasticity


def default_factors(parameters: tuple[FreeParameter, ...], scenario: Scenario,
                    lower: float = 0.8, upper: float = 1.25) -> list[Factor]:
    out = [Factor(p.name, "hazards", p.hazards, lower, upper, p.scaling) for p in parameters]
    for name in scenario.instruments:
        out.append(Factor(f"effect:{name}", "effect", (name,), lower, upper))
    out.append(Factor(DUMMY, "dummy", (), lower, upper))
    return out


def apply_factors(scenario: Scenario, factors: list[Factor], values: np.ndarray) -> Scenario:
    hz = [f for f in factors if f.kind == "hazards"]
    if hz:
        params = tuple(FreeParameter(f.name, f.items, f.lower, f.upper, "", f.how) for f in hz)
        hazards_of = resolve(params, scenario)
        mult = {f.name: float(v) for f, v in zip(factors, values) if f.kind == "hazards"}
        scenario = apply_multipliers(scenario, hazards_of, mult, scalings(params))
    inst = dict(scenario.instruments)
    for f, v in zip(factors, values):
        if f.kind == "effect":
            for name in f.items:
                i = inst[name]
                inst[name] = replace(i, during={k: 1 + v * (e - 1) for k, e in i.during.items()},
                                     after={k: 1 + v * (e - 1) for k, e in i.after.items()})
    return replace(scenario, instruments=inst)


def net_cost(r, year: int) -> float:
    """Net municipal cost (mio. DKK, full scale) in calendar year ``year`` of the run (sim.outputs.costs)."""
    from sim.outputs import costs
    t = costs.table(r)
    return float(t.loc[t["year"] == year, "net_municipal_dkk"].sum()) / r.scenario.scale / 1e6


def outputs(r, years: float) -> dict[str, float]:
    """Key outputs: persons per benefit group after 1 and ``years`` years; indicators at those
    1 Januaries; net municipal cost in the first and the last whole calendar year."""
    sc = r.scenario
    rec = r.recorder
    out = {}
    marks = sorted({1, int(years)})
    for y in marks:
        w = min(int(round(y * WEEKS_PER_YEAR)), r.weeks)
        per_state = rec.persons[w].sum(axis=1) / sc.scale
        for s, name in enumerate(sc.state_names):
            if name not in ("outside", "employed", "education"):
                out[f"{name}@{y}y"] = float(per_state[s])
    for k, row in enumerate(rec.indicators[1:], start=1):
        if k in marks:
            for key in ("under_30_public_support", "long_term_unemployed", "company_placements",
                        "sygedagpenge_over_26_weeks", "ressourceforloeb", "public_support"):
                out[f"{key}@{k}y"] = float(row[key]) / sc.scale
    if hasattr(rec, "fte_support") and sc.start.month == 1 and sc.start.day == 1:
        for y in marks:
            out[f"net_municipal_cost_mio_dkk@{y}y"] = net_cost(r, sc.start.year + y - 1)
    return out


SEED_STEP = 7919  # seed offset per level of the dummy factor (a prime, far from other seeds)


def dummy_seed(factors: list[Factor], values, seed: int) -> int:
    """The replications' seed at a design point: the dummy's level re-seeds them."""
    for f, v in zip(factors, values):
        if f.kind == "dummy":
            lo, hi = math.log(f.lower), math.log(f.upper)
            level = int(round((math.log(v) - lo) / (hi - lo) * 1000))
            return seed + SEED_STEP * level
    return seed


def run_point(task: tuple) -> dict[str, float]:
    """``(scenario, factors, values, years, seed, replications, engine)`` → mean outputs over
    the fixed replications at one design point; importable, so spawned processes and Dask
    workers can run it."""
    scenario, factors, values, years, seed, replications, engine = task
    sc = apply_factors(scenario, factors, values)
    seed = dummy_seed(factors, values, seed)
    sim = engines.get(engine)
    rows = [outputs(sim(sc, years=years, seed=seed, replication=r), years) for r in range(replications)]
    return {k: float(np.mean([row[k] for row in rows])) for k in rows[0]}


def describe_point(task: tuple) -> str:
    return "design point " + ", ".join(f"{f.name}={v:.4g}" for f, v in zip(task[1], task[2]))


def _evaluate(scenario, factors, points, years, seed, replications, engine, progress,
              executor: ExecutorChoice = None, workers: int = 1) -> pd.DataFrame:
    tasks = [(scenario, factors, np.exp(x), years, seed, replications, engine) for x in points]
    return pd.DataFrame(run_all(run_point, tasks, executor=executor, workers=workers,
                                progress=progress, what="design points", describe=describe_point))


def outputs_task(task: tuple) -> dict[str, float]:
    """``(scenario, replication, years, seed, engine)`` → :func:`outputs` of that replication;
    importable, so spawned processes and Dask workers can run it."""
    scenario, rep, years, seed, engine = task
    return outputs(engines.get(engine)(scenario, years=years, seed=seed, replication=rep), years)


def describe_replication(task: tuple) -> str:
    return f"sensitivity replication {task[1]}"


def noise(scenario: Scenario, years: float, seed: int, replications: int, engine: str, *,
          executor: ExecutorChoice = None, workers: int = 1) -> pd.Series:
    """Between-replication standard error of each output's mean at the base point."""
    tasks = [(scenario, r, years, seed, engine) for r in range(replications)]
    rows = pd.DataFrame(run_all(outputs_task, tasks, executor=executor, workers=workers,
                                describe=describe_replication))
    return rows.std(ddof=1) / math.sqrt(replications) if replications > 1 else rows.iloc[0] * np.nan


def morris(scenario: Scenario, factors: list[Factor], *, years: float = 5, trajectories: int = 6,
           levels: int = 4, replications: int = 2, seed: int = 2015, engine: str | None = None,
           progress: bool = False, executor: ExecutorChoice = None, workers: int = 1) -> pd.DataFrame:
    """Morris elementary effects on log-multipliers; one row per (output, factor), ranked.

    Columns: mu_star, sigma, noise_mu_star (the dummy's μ* for that output), mc_se (the
    output's between-replication standard error), ratio = mu_star / noise_mu_star.
    ``executor``/``workers``: where the design points run (sim/run/parallel.py); the
    result does not depend on them.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    engine = engine or default_engine()
    prob = _salib_problem(factors)
    x = morris_sample.sample(prob, trajectories, num_levels=levels, seed=seed)
    with opened(executor, workers, len(x)) as ex:
        y = _evaluate(scenario, factors, x, years, seed, replications, engine, progress, ex)
        se = noise(scenario, years, seed, replications, engine, executor=ex)
    rows = []
    for col in y.columns:
        res = morris_analyze.analyze(prob, x, y[col].to_numpy(), num_levels=levels, seed=seed)
        dummy = float(res["mu_star"][[f.name for f in factors].index(DUMMY)]) \
            if any(f.name == DUMMY for f in factors) else float("nan")
        for k, f in enumerate(factors):
            rows.append({"output": col, "factor": f.name, "mu_star": float(res["mu_star"][k]),
                         "sigma": float(res["sigma"][k]), "noise_mu_star": dummy,
                         "mc_se": float(se.get(col, np.nan))})
    df = pd.DataFrame(rows)
    df["ratio"] = df["mu_star"] / df["noise_mu_star"].replace(0, np.nan)
    df["above_noise"] = df["mu_star"] > df["noise_mu_star"]
    return df.sort_values(["output", "mu_star"], ascending=[True, False]).reset_index(drop=True)


def ranking(morris_table: pd.DataFrame, resolve: float = 2.0) -> pd.DataFrame:
    """Factors ranked by the mean over *resolved* outputs of μ* relative to the output's top factor.

    An output is resolved when its top (non-dummy) factor's μ* exceeds ``resolve`` × the
    dummy's μ* (the Monte Carlo noise gauge): outputs the design cannot tell from noise
    (small stocks at a small scale) would otherwise rank the dummy first. ``outputs_above_noise``
    and ``median_ratio_to_noise`` are over all outputs.
    """
    t = morris_table.copy()
    top = t[t["factor"] != DUMMY].groupby("output")["mu_star"].max()
    noise = t.groupby("output")["noise_mu_star"].first().fillna(0.0)
    resolved = top.index[top > resolve * noise.reindex(top.index)]
    t["rel"] = t["mu_star"] / t.groupby("output")["mu_star"].transform("max").replace(0, np.nan)
    r = t[t["output"].isin(resolved)]
    g = t.groupby("factor").agg(outputs_above_noise=("above_noise", "sum"),
                                median_ratio_to_noise=("ratio", "median"))
    g["mean_relative_mu_star"] = r.groupby("factor")["rel"].mean().reindex(g.index).fillna(0.0)
    g["max_relative_mu_star"] = r.groupby("factor")["rel"].max().reindex(g.index).fillna(0.0)
    g["resolved_outputs"] = len(resolved)
    g = g[["mean_relative_mu_star", "max_relative_mu_star", "outputs_above_noise",
           "median_ratio_to_noise", "resolved_outputs"]]
    return g.sort_values(["mean_relative_mu_star", "max_relative_mu_star"],
                         ascending=False).reset_index()


def sobol(scenario: Scenario, factors: list[Factor], *, years: float = 5, n: int = 16,
          replications: int = 2, seed: int = 2015, engine: str | None = None,
          progress: bool = False, executor: ExecutorChoice = None, workers: int = 1) -> pd.DataFrame:
    """First-order and total Sobol indices (Saltelli design, N·(k+2) points) for a few factors;
    ``executor``/``workers`` as for :func:`morris`."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    engine = engine or default_engine()
    prob = _salib_problem(factors)
    x = sobol_sample.sample(prob, n, calc_second_order=False, seed=seed)
    y = _evaluate(scenario, factors, x, years, seed, replications, engine, progress, executor, workers)
    rows = []
    for col in y.columns:
        vals = y[col].to_numpy()
        if np.allclose(vals, vals[0]):
            continue
        res = sobol_analyze.analyze(prob, vals, calc_second_order=False, seed=seed)
        for k, f in enumerate(factors):
            rows.append({"output": col, "factor": f.name, "S1": float(res["S1"][k]),
                         "S1_conf": float(res["S1_conf"][k]), "ST": float(res["ST"][k]),
                         "ST_conf": float(res["ST_conf"][k])})
    return pd.DataFrame(rows)


def _salib_problem(factors: list[Factor]) -> dict:
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [[math.log(f.lower), math.log(f.upper)] for f in factors]}


def chart(rank: pd.DataFrame, morris_table: pd.DataFrame, path) -> None:
    """Ranked factors (left) and μ* against the noise level for a few key outputs (right)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, max(4, 0.3 * len(rank) + 1.5)))
    y = np.arange(len(rank))[::-1]
    axes[0].barh(y, rank["mean_relative_mu_star"], color=["0.6" if f == DUMMY else "tab:blue"
                                                           for f in rank["factor"]])
    axes[0].set_yticks(y, rank["factor"], fontsize=8)
    axes[0].set_xlabel("mean over resolved outputs of μ* relative to the output's top factor")
    axes[0].set_title("Morris ranking (grey: dummy = Monte Carlo noise, re-seeded)")
    key = morris_table.groupby("output")["mu_star"].max().sort_values(ascending=False).index[:6]
    sub = morris_table[morris_table["output"].isin(key)]
    for out in key:
        s = sub[sub["output"] == out]
        axes[1].scatter(s["mu_star"], s["sigma"], s=14, label=out)
        axes[1].axvline(s["noise_mu_star"].iloc[0], lw=0.6, ls=":", color="0.4")
    axes[1].set_xscale("symlog")
    axes[1].set_xlabel("μ* (dotted: dummy μ* = noise level)")
    axes[1].set_ylabel("σ")
    axes[1].legend(fontsize=7)
    axes[1].set_title("Elementary effects")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
