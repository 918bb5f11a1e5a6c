"""``caseflow compare BASELINE SCENARIO...``: common random numbers, paired differences, goals."""

from __future__ import annotations

import os
import time

from sim.commands.common import (add_executor_args, add_goals_arg, add_parameter_uncertainty_arg,
                                add_scenario_args, check_scenario_args, load, load_plan,
                                parameter_uncertainty)


def add(sub) -> None:
    p = sub.add_parser("compare", help="run a baseline and scenarios with common random numbers "
                                       "and report paired differences with 90 %% intervals")
    p.add_argument("baseline")
    p.add_argument("scenarios", nargs="+", metavar="scenario")
    add_scenario_args(p)
    add_parameter_uncertainty_arg(p)
    p.add_argument("--out", default="out/compare")
    p.add_argument("--lang", choices=("en", "da"), default="en",
                   help="headings in the workbook and labels in the charts (CSV stays English)")
    p.add_argument("--engine", default="simpy", help="simpy (reference) or vector (sim/engines.py)")
    add_executor_args(p, executor="processes", workers=min(2, os.cpu_count() or 1))
    p.add_argument("--quiet", action="store_true", help="no progress or summary (for scripts)")
    add_goals_arg(p)
    p.set_defaults(func=execute)


def execute(args) -> int:
    from sim.studies import compare_store as compare_output
    from sim.studies.compare import compare, slugs_for, summary
    from sim.run.parallel import opened
    from sim.run.store import check_out
    check_out(args.out)
    check_scenario_args(args)
    paths = [args.baseline, *args.scenarios]
    # validate everything before running anything: bad input leaves no output
    scenarios = [parameter_uncertainty(load(p, args.scale, args.set), args) for p in paths]
    plan = load_plan(args.goals, scenarios[0])
    from sim.engines import get
    get(args.engine)
    slugs = slugs_for(paths)
    t0 = time.perf_counter()
    with opened(args.executor, args.workers, args.replications) as ex:  # one pool for every scenario
        comp = compare(scenarios, slugs, args.years, args.replications, args.seed, plan,
                       workers=args.workers, progress=not args.quiet, engine=args.engine,
                       executor=ex)
    wall = time.perf_counter() - t0
    meta = {
        "baseline": slugs[0],
        "runs": [{"slug": s, "name": sc.name, "title_da": sc.title_da, "file": p,
                  "layers": list(sc.layers), "scenario_sha256": sc.digest, "set": list(args.set)}
                 for s, sc, p in zip(slugs, scenarios, paths)],
        "seed": args.seed, "replications": args.replications, "years": args.years,
        "scale": args.scale, "engine": args.engine, "executor": args.executor,
        "goals_file": plan.file if plan else None, "wall_seconds": round(wall, 3),
    }
    out = compare_output.write(comp, args.out, meta, args.lang)
    if not args.quiet:
        print(summary(comp))
        print(f"\n{len(paths)} scenarios × {args.replications} replications (common random numbers), "
              f"{wall:.1f} s; tables in {out}")
    return 0
