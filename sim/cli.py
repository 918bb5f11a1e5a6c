"""Command line: ``caseflow run`` and ``caseflow trace``. Bad input → one message, exit 2."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .errors import SpecError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="caseflow", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a scenario and write tables")
    r.add_argument("scenario")
    r.add_argument("--years", type=float, default=5)
    r.add_argument("--replications", type=int, default=10)
    r.add_argument("--seed", type=int, default=2015)
    r.add_argument("--scale", type=float, default=1.0, help="population multiplier (quick looks)")
    r.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    r.add_argument("--out", default="out/run")
    r.add_argument("--quiet", action="store_true")
    t = sub.add_parser("trace", help="print one citizen's life event by event")
    t.add_argument("scenario")
    t.add_argument("--person", required=True)
    t.add_argument("--years", type=float, default=5)
    t.add_argument("--seed", type=int, default=2015)
    t.add_argument("--scale", type=float, default=1.0)
    args = p.parse_args(argv)
    try:
        from .spec import load_scenario
        scenario = load_scenario(args.scenario)
        if args.scale != 1.0:
            scenario = scenario.scaled(args.scale)
        if args.years <= 0 or args.years > 50:
            raise SpecError("<command line>", "--years", "must be in (0, 50]")
        if args.command == "run":
            if args.replications < 1:
                raise SpecError("<command line>", "--replications", "must be at least 1")
            return _run(scenario, args)
        return _trace(scenario, args)
    except SpecError as exc:
        print(f"caseflow: error: {exc}", file=sys.stderr)
        return 2


def _run(scenario, args) -> int:
    from . import output
    from .runner import run
    t0 = time.perf_counter()
    res = run(scenario, args.years, args.replications, args.seed, args.workers,
              progress=not args.quiet)
    wall = time.perf_counter() - t0
    out = output.write(res, args.out, wall=wall)
    if not args.quiet:
        print(summary(res))
        print(f"\n{res.replications} replications, {res.events:,} events, {wall:.1f} s; tables in {out}")
    return 0


def summary(res) -> str:
    """Full-time persons per state at the start and each year end: mean [5 %–95 %]."""
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


def _trace(scenario, args) -> int:
    from .engine import simulate
    pid = int(args.person) if args.person.isdigit() else args.person
    r = simulate(scenario, years=args.years, seed=args.seed, trace={pid})
    from .calendar import Calendar
    cal = Calendar(scenario.start)
    log = r.recorder.log.get(pid)
    if not log:
        raise SpecError("<command line>", "--person", f"no citizen {args.person!r} in this run")
    for t, event, detail in log:
        print(f"{cal.date(t).isoformat()}  week {t:8.2f}  {event:6s} {detail}")
    return 0
