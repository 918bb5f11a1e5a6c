"""``caseflow validate TARGETS --fitted LAYER``: forecast error on held-out targets; ``--backtest YEAR``."""

from __future__ import annotations

from sim.commands.common import add_executor_args
from sim.errors import SpecError


def add(sub) -> None:
    p = sub.add_parser("validate", help="score held-out targets under a fitted layer, or backtest")
    p.add_argument("targets")
    p.add_argument("--fitted", default=None, help="fitted layer (omit to score the unfitted model)")
    p.add_argument("--backtest", type=int, default=None, metavar="YEAR",
                   help="fit on targets up to YEAR, score the next --horizon years")
    p.add_argument("--horizon", type=int, default=3)
    p.add_argument("--budget", type=int, default=40, help="evaluations for the backtest fit")
    p.add_argument("--start-from", default=None, metavar="LAYER",
                   help="backtest fit starts from this layer's factors (default: the unfitted model)")
    p.add_argument("--replications", type=int, default=4)
    p.add_argument("--scale", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=2013)
    p.add_argument("--engine", default=None)
    add_executor_args(p)
    p.add_argument("--out", default=None, help="write the score table as CSV here")
    p.set_defaults(func=execute)


def execute(args) -> int:
    from sim.calibration.api import backtest, validate
    if not 0 < args.scale <= 1:
        raise SpecError("<command line>", "--scale", "must be in (0, 1]")
    if args.backtest is not None:
        out_layer = None
        if args.out:
            from pathlib import Path
            out_layer = Path(args.out).with_suffix(".layer.toml")
        table = backtest(args.targets, args.backtest, horizon_years=args.horizon, budget=args.budget,
                         replications=args.replications, scale=args.scale, seed=args.seed,
                         engine=args.engine, out=out_layer, progress=True,
                         start_from=args.start_from, workers=args.workers,
                         executor=args.executor)
    else:
        table = validate(args.targets, args.fitted, replications=args.replications,
                         scale=args.scale, seed=args.seed, engine=args.engine,
                         workers=args.workers, executor=args.executor)
    cols = ["target", "value", "sim_mean", "sim_p5", "sim_p95", "gap", "relative_error", "z",
            "within_tolerance"]
    import pandas as pd
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table[cols].round(3).to_string(index=False))
    if len(table):
        print(f"\nmean absolute relative error {table['relative_error'].abs().mean():.3f}; "
              f"{int(table['within_tolerance'].sum())} of {len(table)} within tolerance")
    if args.out:
        table.to_csv(args.out, index=False)
    return 0
