"""``caseflow show SCENARIO [--set key=value]``: the merged scenario with each value's origin."""

from __future__ import annotations

from pathlib import Path

from sim.commands.common import add_set_arg


def add(sub) -> None:
    p = sub.add_parser("show", help="print the fully resolved scenario (TOML) with the origin "
                                    "of every value (baseline, scenario file, command line)")
    p.add_argument("scenario")
    add_set_arg(p)
    p.set_defaults(func=execute)


def execute(args) -> int:
    from sim.spec.overlay import project_root, resolve, to_toml
    from sim.spec.scenario import load_scenario
    load_scenario(args.scenario, sets=args.set)  # validate first: errors name file and key
    layered = resolve(args.scenario, args.set)
    print(to_toml(layered, relative_to=project_root(Path(args.scenario))), end="")
    return 0
