"""``caseflow run SCENARIO``: replications of one scenario, written as tidy tables.

Each finished replication is checkpointed in ``OUT.checkpoint/`` while the run goes
on; ``--resume`` continues an interrupted run from there, and the checkpoint is
removed once the output directory is complete.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from sim.commands.common import (add_executor_args, add_goals_arg, add_parameter_uncertainty_arg,
                                add_scenario_args, check_scenario_args, load, load_plan,
                                parameter_uncertainty)


def add(sub) -> None:
    p = sub.add_parser("run", help="run a scenario and write tables")
    p.add_argument("scenario")
    add_scenario_args(p)
    add_parameter_uncertainty_arg(p)
    p.add_argument("--engine", default="simpy", help="simulation engine: simpy (reference) or vector")
    add_executor_args(p, executor="processes", workers=min(2, os.cpu_count() or 1))
    p.add_argument("--out", default="out/run")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run from OUT.checkpoint/ (same arguments)")
    p.add_argument("--quiet", action="store_true", help="no progress or summary (for scripts)")
    p.add_argument("--check", action="store_true",
                   help="check invariants every week (persons conserved, rules of the law, "
                        "costs non-negative); a violation stops the run, exit code 1")
    add_goals_arg(p)
    p.set_defaults(func=execute)


def checkpoint_dir(out: str) -> str:
    """Where a run writing ``out`` keeps its finished replications."""
    return os.path.normpath(out) + ".checkpoint"


def execute(args) -> int:
    from sim import engines
    from sim.run import store as output
    from sim.run.checkpoint import discard
    from sim.outputs.checks import InvariantError
    from sim.run.executors import TaskError
    from sim.outputs.goals import evaluate
    from sim.outputs.goals import summary as goals_summary
    from sim.run.runner import run
    from sim.run.store import check_out
    check_out(args.out)
    check_scenario_args(args)
    engines.get(args.engine)
    scenario = parameter_uncertainty(load(args.scenario, args.scale, args.set), args)
    plan = load_plan(args.goals, scenario)
    t0 = time.perf_counter()
    cp = checkpoint_dir(args.out)
    try:
        res = run(scenario, args.years, args.replications, args.seed, args.workers,
                  progress=not args.quiet, engine=args.engine, executor=args.executor,
                  checkpoint=cp, resume=args.resume, check=args.check)
    except TaskError as exc:
        if isinstance(exc.__cause__, InvariantError):
            raise exc.__cause__ from None  # a model bug found by --check: exit 1 (sim.cli)
        print(f"\ncaseflow: run failed: {exc}", file=sys.stderr)
        if os.path.isdir(cp):
            print(f"caseflow: finished replications are kept in {cp}; "
                  "fix the cause and rerun with --resume", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if os.path.isdir(cp):
            print(f"\ncaseflow: interrupted; finished replications are kept in {cp}: "
                  "rerun with --resume to continue", file=sys.stderr)
        raise
    wall = time.perf_counter() - t0
    goals = evaluate(plan, res.indicators, scenario.scale, Path(args.scenario).stem) if plan else None
    out = output.write(res, args.out, wall=wall, extra={"goals.csv": goals} if goals is not None else None)
    discard(cp)
    if not args.quiet:
        print(summary(res))
        if goals is not None:
            print(f"\nplan goals ({plan.name}; met ≥ {plan.met_share:.0%} of replications, "
                  f"missed ≤ {plan.missed_share:.0%}):")
            print(goals_summary(goals))
        resumed = f" ({res.resumed} from the checkpoint)" if res.resumed else ""
        print(f"\n{res.replications} replications{resumed}, {res.events:,} events, {wall:.1f} s; tables in {out}")
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
