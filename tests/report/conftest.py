"""Small run directories (1 % of Aalborg, 2.1 years, 4 replications) that the report tests read.

Made once per test session with the real runner: a baseline, a scenario with faster
exits from dagpenge to work (same seed, so paired), and the baseline under a hostile name.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sim import output
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
    return out
