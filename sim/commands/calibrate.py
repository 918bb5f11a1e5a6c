"""``caseflow calibrate TARGETS``: fit the free parameters, write the fitted layer and its report."""

from __future__ import annotations

from pathlib import Path

from sim.commands.common import add_executor_args
from sim.errors import SpecError


def add(sub) -> None:
    p = sub.add_parser("calibrate", help="fit free hazards to a target file (simulated method of moments)")
    p.add_argument("targets", help="target file, e.g. calibration/targets/<municipality>.toml")
    p.add_argument("--budget", type=int, default=60, help="objective evaluations (default 60)")
    p.add_argument("--replications", type=int, default=4,
                   help="replications per evaluation, the same seeds every time (default 4)")
    p.add_argument("--scale", type=float, default=0.05,
                   help="population scale of the fit; counts are compared at full scale (default 0.05)")
    p.add_argument("--seed", type=int, default=2013)
    p.add_argument("--engine", default=None, help="simulation engine (default: the compiled engine if available, else simpy)")
    add_executor_args(p)
    p.add_argument("--stage2", type=int, default=0, metavar="N",
                   help="stage-2 parameter uncertainty: N points per generation, 2 generations (default off)")
    p.add_argument("--out", default=None,
                   help="fitted layer to write (default calibration/fitted/<targets file name>)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted fit from its checkpoint")
    p.add_argument("--start-from", default=None, metavar="LAYER",
                   help="start from a fitted layer's factors (parameters matched by name)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=execute)


def execute(args) -> int:
    from sim.calibration.api import calibrate
    if args.budget < 1:
        raise SpecError("<command line>", "--budget", "must be at least 1")
    if args.replications < 1:
        raise SpecError("<command line>", "--replications", "must be at least 1")
    if not 0 < args.scale <= 1:
        raise SpecError("<command line>", "--scale", "must be in (0, 1]")
    out = args.out or str(Path("calibration") / "fitted" / Path(args.targets).name)
    cal = calibrate(args.targets, budget=args.budget, replications=args.replications,
                    scale=args.scale, seed=args.seed, engine=args.engine, out=out,
                    resume=args.resume, progress=not args.quiet,
                    stage2_per_generation=args.stage2, workers=args.workers,
                    executor=args.executor, start_from=args.start_from)
    if not args.quiet:
        flagged = cal.stage0[cal.stage0["flagged"]]
        if len(flagged):
            print(f"stage 0 flagged {len(flagged)} target(s) far from the starting model: "
                  + ", ".join(flagged["target"]))
        print(cal.provenance)
        for name, f in cal.fit.factors.items():
            print(f"  {name:40s} × {f:.4f}")
        print(f"layer {cal.layer_path}; report {cal.report_paths.get('targets')}, {cal.report_paths.get('chart')}")
    return 0
