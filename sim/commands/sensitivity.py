"""``caseflow sensitivity TARGETS``: Morris screening, then Sobol on the top factors."""

from __future__ import annotations

from sim.commands.common import add_executor_args
from sim.errors import SpecError


def add(sub) -> None:
    p = sub.add_parser("sensitivity", help="Morris screening then Sobol indices of key outputs")
    p.add_argument("targets", help="target file: its free parameters are the hazard factors")
    p.add_argument("--fitted", default=None, help="fitted layer to analyse around (default: unfitted)")
    p.add_argument("--years", type=float, default=5)
    p.add_argument("--scale", type=float, default=0.05)
    p.add_argument("--replications", type=int, default=2)
    p.add_argument("--trajectories", type=int, default=6)
    p.add_argument("--sobol", type=int, default=0, metavar="N",
                   help="Sobol base sample N for the top --top factors (default 0 = Morris only)")
    p.add_argument("--top", type=int, default=3)
    p.add_argument("--seed", type=int, default=2015)
    p.add_argument("--engine", default=None)
    add_executor_args(p)
    p.add_argument("--out", default="out/sensitivity")
    p.set_defaults(func=execute)


def execute(args) -> int:
    from pathlib import Path

    from sim.calibration import sensitivity as sa
    from sim.spec.layer import apply_layer
    from sim.calibration.targets import load_targets
    from sim.run.parallel import opened
    from sim.spec.scenario import load_scenario
    if not 0 < args.scale <= 1:
        raise SpecError("<command line>", "--scale", "must be in (0, 1]")
    if args.trajectories < 2:
        raise SpecError("<command line>", "--trajectories", "must be at least 2")
    ts = load_targets(args.targets)
    sc = load_scenario(ts.scenario, fitted=False)
    if args.fitted:
        sc = apply_layer(sc, args.fitted)
    sc = sc.scaled(args.scale)
    factors = sa.default_factors(ts.parameters, sc)
    points = (args.trajectories * (len(factors) + 1) + max(args.sobol, 0) * (args.top + 2))
    with opened(args.executor, args.workers, points) as ex:  # one executor for Morris and Sobol
        m = sa.morris(sc, factors, years=args.years, trajectories=args.trajectories,
                      replications=args.replications, seed=args.seed, engine=args.engine,
                      progress=True, executor=ex)
        rank = sa.ranking(m)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        m.to_csv(out / "morris.csv", index=False)
        rank.to_csv(out / "ranking.csv", index=False)
        sa.chart(rank, m, out / "morris.png")
        print(rank.round(3).to_string(index=False))
        if args.sobol:
            top = [f for f in factors
                   if f.name in set(rank["factor"][rank["factor"] != sa.DUMMY][: args.top])]
            s = sa.sobol(sc, top, years=args.years, n=args.sobol, replications=args.replications,
                         seed=args.seed, engine=args.engine, progress=True, executor=ex)
            s.to_csv(out / "sobol.csv", index=False)
            print(s.groupby("factor")[["S1", "ST"]].mean().round(3).to_string())
    print(f"tables and chart in {out}")
    return 0
