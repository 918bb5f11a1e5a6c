"""``caseflow trace SCENARIO --person ID``: one citizen's life, event by event."""

from __future__ import annotations

from sim.errors import SpecError
from sim.commands.common import add_scenario_args, check_scenario_args, load


def add(sub) -> None:
    p = sub.add_parser("trace", help="print one citizen's life event by event")
    p.add_argument("scenario")
    p.add_argument("--person", required=True,
                   help="citizen id: a number for the initial population, or e.g. moving_in:12")
    add_scenario_args(p, replications=None)
    p.set_defaults(func=execute)


def execute(args) -> int:
    from sim.spec.calendar import Calendar
    from sim.engines.simpy_engine import simulate
    check_scenario_args(args)
    scenario = load(args.scenario, args.scale, args.set)
    pid = int(args.person) if args.person.isdigit() else args.person
    r = simulate(scenario, years=args.years, seed=args.seed, trace={pid})
    cal = Calendar(scenario.start)
    log = r.recorder.log.get(pid)
    if not log:
        raise SpecError("<command line>", "--person", f"no citizen {args.person!r} in this run")
    for t, event, detail in log:
        print(f"{cal.date(t).isoformat()}  week {t:8.2f}  {event:6s} {detail}")
    return 0
