"""Command line: ``caseflow <command>``. Bad input → one message naming file and key, exit 2."""

from __future__ import annotations

import argparse
import importlib
import sys

from sim.outputs.checks import InvariantError
from sim.errors import SpecError
from sim.run.executors import TaskError

# Subcommands, one module each in sim/commands/ (see its docstring).
COMMANDS = ("run", "trace", "show", "compare", "calibrate", "validate", "sensitivity", "cohort",
            "trial", "report")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="caseflow",
        description="Microsimulation of a Danish job centre's caseload.")
    sub = p.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SpecError as exc:
        print(f"caseflow: error: {exc}", file=sys.stderr)
        return 2
    except InvariantError as exc:  # a model bug, not bad input: see sim/outputs/checks.py
        print(f"caseflow: {exc}", file=sys.stderr)
        return 1
    except TaskError as exc:  # a replication raised, or its workers kept dying (sim/run/executors.py)
        print(f"caseflow: failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("caseflow: interrupted", file=sys.stderr)
        return 130
