"""``caseflow cohort SCENARIO --at DATE --where CRITERIA``: where a group is 6, 12, 24 months later."""

from __future__ import annotations

from sim.errors import SpecError
from sim.commands.common import add_followup_args, load


def add(sub) -> None:
    p = sub.add_parser(
        "cohort", help="follow the people matching some criteria at a date",
        description="Select the people who match CRITERIA at DATE and report the share in "
                    "each state after some months, with 5-95 %% bands over replications.")
    p.add_argument("scenario")
    p.add_argument("--at", required=True, help="selection date, YYYY-MM-DD")
    p.add_argument("--where", required=True,
                   help="criteria, e.g. 'state=uddannelseshjaelp_uddannelsesparat,min_weeks=52' "
                        "(keys: state (a|b), min_weeks, max_weeks, min_age, max_age, "
                        "education (a|b), insured), or a .toml file with a [cohort] table")
    p.add_argument("--after", default="6,12,24", help="follow-up months (default 6,12,24)")
    add_followup_args(p, out="out/cohort")
    p.set_defaults(func=execute)


def months(text: str, key: str = "--after") -> tuple[int, ...]:
    try:
        out = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise SpecError("<command line>", key, f"expected whole months like 6,12,24, got {text!r}") from None
    if not out or any(m < 1 or m > 600 for m in out):
        raise SpecError("<command line>", key, "months must be between 1 and 600")
    return out


def execute(args) -> int:
    from sim.studies.cohort import follow, parse_criteria, write_tables
    from sim.run.store import check_out
    check_out(args.out)
    if args.replications < 1:
        raise SpecError("<command line>", "--replications", "must be at least 1")
    after = months(args.after)
    scenario = load(args.scenario, args.scale)
    criteria = parse_criteria(args.where, scenario)
    res = follow(scenario, args.at, criteria, after, args.replications, args.seed,
                 workers=args.workers, progress=not args.quiet, executor=args.executor)
    if not any(res.sizes):
        raise SpecError("<command line>", "--where", f"nobody matches at {res.at} in any replication")
    manifest = {"scenario": scenario.name, "scenario_file": scenario.file,
                "scenario_sha256": scenario.digest, "at": res.at, "where": args.where,
                "after_months": list(res.months), "replications": args.replications,
                "seed": args.seed, "scale": scenario.scale, "cohort_sizes": res.sizes}
    out = write_tables(args.out, {"cohort.csv": res.shares, "cohort_summary.csv": res.bands},
                       manifest)
    mean = sum(res.sizes) / len(res.sizes)
    print(f"cohort at {res.at}: {args.where}  ({mean:.0f} persons on average, "
          f"{min(res.sizes)}-{max(res.sizes)} over {len(res.sizes)} replications)\n")
    print(res.table())
    print(f"\nshare of the cohort in each state: mean [5 %-95 % over replications]; tables in {out}")
    return 0
