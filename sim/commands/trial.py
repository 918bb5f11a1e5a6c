"""``caseflow trial SCENARIO --group CRITERIA --at DATE --size N --intervention NAME``: a virtual pilot."""

from __future__ import annotations

from sim.errors import SpecError
from sim.commands.common import add_followup_args, load


def add(sub) -> None:
    p = sub.add_parser(
        "trial", help="a randomised pilot inside the model, with the true effect next to it",
        description="Draw SIZE treated and SIZE controls from the people matching GROUP at "
                    "DATE, give the treated INTERVENTION, and compare outcomes FOLLOWUP weeks "
                    "later (difference in proportions, Newcombe 95 %% interval); the true "
                    "effect is the difference between giving everyone eligible the "
                    "intervention and no one, with common random numbers.")
    p.add_argument("scenario")
    p.add_argument("--group", required=True,
                   help="who is eligible, as for `cohort --where`, e.g. "
                        "'state=uddannelseshjaelp_uddannelsesparat,min_age=18,max_age=29'")
    p.add_argument("--at", required=True, help="randomisation date, YYYY-MM-DD")
    p.add_argument("--size", type=int, default=225, help="persons per arm (default 225)")
    p.add_argument("--intervention", required=True,
                   help="an instrument (e.g. mentor, virksomhedspraktik) started at once on the "
                        "pilot's own place, or LABEL:SOURCE->DEST*FACTOR:WEEKS, e.g. "
                        "contact:dagpenge->employed*1.2:26")
    p.add_argument("--outcomes", default="started_education,in_education,employed,off_support",
                   help="comma-separated: employed, in_education, started_education, started_job, "
                        "off_support, in:STATE (default: the first four and off_support)")
    p.add_argument("--followup", type=float, default=26.0, help="weeks to the measurement (default 26)")
    add_followup_args(p, out="out/trial",
                      replications_help="simulated pilots; each runs the model three times (default 10)")
    p.set_defaults(func=execute)


def execute(args) -> int:
    from sim.studies.cohort import parse_criteria, write_tables
    from sim.studies.trial import design, run_trial
    from sim.run.store import check_out
    check_out(args.out)
    if args.replications < 1:
        raise SpecError("<command line>", "--replications", "must be at least 1")
    scenario = load(args.scenario, args.scale)
    group = parse_criteria(args.group, scenario, where="--group")
    trial = design(scenario, group, args.at, args.size, args.intervention, args.outcomes,
                   args.followup)
    res = run_trial(scenario, trial, args.replications, args.seed, workers=args.workers,
                    progress=not args.quiet, executor=args.executor)
    if res.pilots.empty:
        raise SpecError("<command line>", "--group",
                        f"fewer than two people eligible at {res.at} in every replication")
    manifest = {"scenario": scenario.name, "scenario_file": scenario.file,
                "scenario_sha256": scenario.digest, "group": args.group, "at": res.at,
                "size": args.size, "intervention": args.intervention,
                "outcomes": list(trial.outcomes), "followup_weeks": trial.followup,
                "interval": "Newcombe hybrid score 95 % (difference in proportions)",
                "true_effect": "mean over replications of (share if everyone eligible is treated "
                               "- share if no one is), common random numbers",
                "replications": args.replications, "seed": args.seed, "scale": scenario.scale}
    out = write_tables(args.out, {"pilots.csv": res.pilots, "truth.csv": res.truth,
                                  "summary.csv": res.summary}, manifest)
    print(f"virtual trial: {args.intervention} for {args.group} at {res.at}\n")
    print(res.table())
    print(f"\ntables in {out}")
    return 0
