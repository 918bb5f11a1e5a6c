"""Shared fixtures: the baseline scenario at a small scale, and a tiny two-state model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sim.spec.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "aalborg_2015.toml"
DATA = ROOT / "sim" / "data"


@pytest.fixture(scope="session")
def baseline():
    return load_scenario(BASELINE)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the national data files and the baseline scenario."""
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    shutil.copy(BASELINE, tmp_path / "scenario.toml")
    return tmp_path


def pytest_terminal_summary(terminalreporter):
    """Print what the robustness tests tried, so CI output shows it: bad inputs by category,
    invariant checks run (tests/counts.py), and the counts tests record with
    ``record_property("count: WHAT", n)`` (kill points tried, …)."""
    from .counts import report
    for title, lines in report():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
    lines = []
    for key in ("passed", "failed"):
        for rep in terminalreporter.stats.get(key, []):
            for name, value in getattr(rep, "user_properties", ()):
                if str(name).startswith("count: ") and rep.when == "call":
                    lines.append(f"{str(name)[7:]}: {value}  ({rep.nodeid}, {key})")
    if lines:
        terminalreporter.write_sep("-", "caseflow counts")
        for line in lines:
            terminalreporter.write_line(line)
