"""Arguments and checks shared by several subcommands."""

from __future__ import annotations

import argparse

from sim.errors import SpecError


def add_scenario_args(p: argparse.ArgumentParser, *, replications: int | None = 10) -> None:
    """``--years``, ``--seed``, ``--scale`` (and ``--replications``) as every run-like command has them."""
    p.add_argument("--years", type=float, default=5, help="years to simulate (default 5)")
    p.add_argument("--seed", type=int, default=2015, help="root seed (default 2015)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="population multiplier, e.g. 0.1 for a quick look (default 1)")
    if replications is not None:
        p.add_argument("--replications", type=int, default=replications,
                       help=f"Monte Carlo replications (default {replications})")
    add_set_arg(p)


def add_executor_args(p: argparse.ArgumentParser, *, executor: str | None = None,
                      workers: int = 1) -> None:
    """``--executor`` and ``--workers``, the same on every command that runs replications
    (sim/run/parallel.py): the numbers never depend on them, only the time does."""
    default = f"default {executor}" if executor else \
        "default: processes when --workers is above 1, else sequential"
    p.add_argument("--executor", default=executor,
                   help="where replications run: sequential, processes, dask (a local cluster of "
                        f"--workers processes) or dask://HOST:PORT (a running scheduler) ({default})")
    p.add_argument("--workers", type=int, default=workers,
                   help=f"worker processes for processes or dask (default {workers})")


def add_followup_args(p: argparse.ArgumentParser, *, out: str, replications_help: str | None = None) -> None:
    """``--replications``, ``--seed``, ``--scale``, ``--executor``, ``--workers``, ``--quiet``
    and ``--out`` as the commands that follow people from a date (cohort, trial) have them."""
    p.add_argument("--replications", type=int, default=10, help=replications_help)
    p.add_argument("--seed", type=int, default=2015)
    p.add_argument("--scale", type=float, default=1.0, help="population multiplier (default 1)")
    add_executor_args(p)
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--out", default=out)


def add_parameter_uncertainty_arg(p: argparse.ArgumentParser) -> None:
    """``--no-parameter-uncertainty``: every replication uses the central fit (Monte Carlo bands only)."""
    p.add_argument("--no-parameter-uncertainty", dest="parameter_uncertainty", action="store_false",
                   help="use the fitted layer's central factors in every replication instead of "
                        "cycling through its stage-2 parameter sets (docs/calibration.md)")


def parameter_uncertainty(scenario, args: argparse.Namespace):
    """The scenario as the flag asks: with or without the fit's parameter sets."""
    if getattr(args, "parameter_uncertainty", True):
        return scenario
    from sim.spec.parameter_sets import fixed_parameters
    return fixed_parameters(scenario)


def add_set_arg(p: argparse.ArgumentParser) -> None:
    """``--set key.path=value`` (repeatable): a TOML value overriding the scenario (sim/spec/overlay.py)."""
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario value, TOML syntax, e.g. "
                        "--set activation.places.virksomhedspraktik=1400 (repeatable)")


def check_scenario_args(args: argparse.Namespace) -> None:
    if not (0 < args.years <= 50):
        raise SpecError("<command line>", "--years", "must be in (0, 50]")
    if getattr(args, "replications", 1) < 1:
        raise SpecError("<command line>", "--replications", "must be at least 1")


def load(path: str, scale: float = 1.0, sets: list[str] | tuple[str, ...] = ()):
    """Load and validate a scenario (with ``--set`` overrides), scaled for quick looks."""
    from sim.spec.scenario import load_scenario
    scenario = load_scenario(path, sets=tuple(sets))
    return scenario.scaled(scale) if scale != 1.0 else scenario


def add_goals_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--goals", default=None, metavar="FILE",
                   help="plan goals file (default: the scenario's [scenario] goals, if any; "
                        "'none' to skip)")


def load_plan(path: str | None, scenario=None):
    """The plan goals to judge a run against: ``--goals FILE``, else the goals file the
    (baseline) scenario names (``[scenario] goals``); None with 'none' or when it names none."""
    from sim.outputs.goals import load_goals
    if path and path.lower() == "none":
        return None
    if path is None:
        path = getattr(scenario, "goals", None)
        if path is None:
            return None
    return load_goals(path)
