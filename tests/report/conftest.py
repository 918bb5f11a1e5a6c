"""Small run directories (1 % of Aalborg, 2.1 years, 4 replications) that the report tests read.

Made once per test session with the real runner: a baseline, a scenario with faster
exits from dagpenge to work (same seed, so paired), and the baseline under a hostile name.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

import pandas as pd

from sim import costs, output
from sim.engine import simulate
from sim.runner import run
from sim.spec import load_scenario

from ..conftest import BASELINE

SCALE, YEARS, REPS, SEED = 0.01, 2.1, 4, 11
HOSTILE = "<script>alert(1)</script> & \"Ærø\""


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    base = load_scenario(BASELINE).scaled(SCALE)
    faster = replace(base.with_hazard("dagpenge->employed", 1.6), name="Hurtigere i job fra dagpenge")
    hostile = replace(base, name=HOSTILE)
    out = {}
    for key, sc in (("base", base), ("faster", faster), ("hostile", hostile)):
        res = run(sc, years=YEARS, replications=REPS, seed=SEED, workers=1)
        out[key] = output.write(res, root / key)
    # The same two runs with the cost table sim.costs computes per replication, written as
    # costs.csv, as a run directory will hold it once the runner writes costs.
    for key, sc in (("base", base), ("faster", faster)):
        d = root / f"{key}_costs"
        shutil.copytree(out[key], d)
        pd.concat([costs.table(simulate(sc, years=YEARS, seed=SEED, replication=r)) for r in range(REPS)],
                  ignore_index=True).to_csv(d / "costs.csv", index=False)
        out[f"{key}_costs"] = d
    return out


@pytest.fixture(scope="session")
def page(runs, tmp_path_factory) -> tuple[Path, str]:
    """The Danish report of the baseline against the faster-exit scenario: (file, its text)."""
    from sim.report import build
    out = tmp_path_factory.mktemp("page") / "report.html"
    build(runs["base"], (runs["faster"],), out=out, quiet=True)
    return out, out.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def hostile_page(runs, tmp_path_factory) -> Path:
    """The report of a run whose scenario, goals table and observed figures carry markup."""
    from sim.report import build
    tmp = tmp_path_factory.mktemp("hostile")
    d = tmp / "run"
    shutil.copytree(runs["hostile"], d)
    pd.DataFrame({"goal": ["<img src=x onerror=alert(2)>"], "share_met": [0.5]}).to_csv(
        d / "goals.csv", index=False)
    obs = tmp / "obs.toml"
    obs.write_text('[[observed]]\ngroup = "sygedagpenge"\ndate = 2015-06-01\nvalue = 10\n'
                   'unit = "full-time persons"\ndefinition = "<b>bold</b>"\n'
                   'source = "</td><script>x</script>"\n', encoding="utf-8")
    return build(d, out=tmp / "h.html", observed=obs, quiet=True)
