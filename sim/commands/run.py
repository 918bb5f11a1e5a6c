"""``caseflow run SCENARIO``: replications of one scenario, written as tidy tables."""

from __future__ import annotations

import os
import time
from pathlib import Path

from .common import (add_goals_arg, add_parameter_uncertainty_arg, add_scenario_args,
                     check_scenario_args, load, load_plan, parameter_uncertainty)


def add(sub) -> None:
    p = sub.add_parser("run", help="run a scenario and write tables")
    p.add_argument("scenario")
    add_scenario_args(p)
    add_parameter_uncertainty_arg(p)
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--out", default="out/run")
    p.add_argument("--quiet", action="store_true", help="no progress or summary (for scripts)")
    add_goals_arg(p)
    p.set_defaults(func=execute)


def execute(args) -> int:
    from .. import output
    from ..goals import evaluate
    from ..goals import summary as goals_summary
    from ..runner import run
    check_scenario_args(args)
    scenario = parameter_uncertainty(load(args.scenario, args.scale, args.set), args)
    plan = load_plan(args.goals)
    t0 = time.perf_counter()
    res = run(scenario, args.years, args.replications, args.seed, args.workers,
              progress=not args.quiet)
    wall = time.perf_counter() - t0
    goals = evaluate(plan, res.indicators, scenario.scale, Path(args.scenario).stem) if plan else None
    out = output.write(res, args.out, wall=wall, extra={"goals.csv": goals} if goals is not None else None)
    if not args.quiet:
        print(summary(res))
        if goals is not None:
            print(f"\nplan goals ({plan.name}; met ≥ {plan.met_share:.0%} of replications, "
                  f"missed ≤ {plan.missed_share:.0%}):")
            print(goals_summary(goals))
        print(f"\n{res.replications} replications, {res.events:,} events, {wall:.1f} s; tables in {out}")
    return 0


def summary(res) -> str:
    """Persons per state at the start and each year end: mean [5 %–95 %], then the plan indicators."""
    b = res.stock_bands("persons")
    weeks = sorted(b["week"].unique())
    years = [w for w in weeks if w % 52 == 0 or w == weeks[-1]][: int(res.years) + 2]
    lines = [f"{'state':36s}" + "".join(f"{'week ' + str(w):>22s}" for w in years)]
    for state in res.scenario.state_names:
        if state == "outside":
            continue
        row = b[b["state"] == state].set_index("week")
        cells = "".join(f"{row.loc[w, 'mean']:>9.0f} [{row.loc[w, 'p5']:>4.0f}-{row.loc[w, 'p95']:<4.0f}]"
                        for w in years)
        lines.append(f"{state:36s}{cells}")
    ib = res.indicator_bands()
    lines.append("\nplan indicators (mean per 1 January):")
    piv = ib.pivot(index="indicator", columns="date", values="mean")
    lines.append(piv.round(0).to_string())
    return "\n".join(lines)
