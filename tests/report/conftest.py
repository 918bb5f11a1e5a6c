"""Small run directories (1 % of Aalborg, 2.1 years, 4 replications) that the report tests read.

Made once per test session with the real code: a ``caseflow compare`` directory with the
baseline and a scenario with faster exits from dagpenge to work (same seed, so paired;
with costs, goals, differences.csv and investment.csv), and the baseline under a hostile
name as a plain ``caseflow run`` directory.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from sim.studies import compare_store as compare_output

from sim.run import store as output
from sim.studies.compare import compare
from sim.outputs.goals import load_goals
from sim.run.runner import run
from sim.spec.scenario import load_scenario

from ..conftest import BASELINE

SCALE, YEARS, REPS, SEED = 0.01, 2.1, 4, 11
HOSTILE = "<script>alert(1)</script> & \"Ærø\""
FASTER_DA = "Hurtigere i job fra dagpenge"


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    base = load_scenario(BASELINE).scaled(SCALE)
    faster = replace(base.with_hazard("dagpenge->employed", 1.6), name="Faster to work from dagpenge")
    plan = load_goals(base.goals)  # the goals file the baseline names
    comp = compare([base, faster], ["aalborg_2015", "faster"], YEARS, REPS, SEED, plan)
    meta = {"baseline": "aalborg_2015", "seed": SEED, "replications": REPS, "years": YEARS,
            "scale": SCALE, "engine": "simpy",
            "runs": [{"slug": "aalborg_2015", "name": base.name, "title_da": ""},
                     {"slug": "faster", "name": faster.name, "title_da": FASTER_DA}]}
    cmp_dir = compare_output.write(comp, root / "compare", meta)
    hostile = replace(base, name=HOSTILE)
    out = {"compare": cmp_dir, "base": cmp_dir / "aalborg_2015", "faster": cmp_dir / "faster",
           "hostile": output.write(run(hostile, years=YEARS, replications=REPS, seed=SEED), root / "hostile")}
    # the same two runs as loose run directories, without costs and goals: what the report
    # must say when a table is missing, and the paired differences it computes itself
    for key in ("base", "faster"):
        d = root / f"{key}_plain"
        shutil.copytree(out[key], d)
        for name in ("costs.csv", "costs_summary.csv", "goals.csv"):
            (d / name).unlink(missing_ok=True)
        relist(d)
        out[f"{key}_plain"] = d
    return out


def relist(run_dir: Path) -> None:
    """List a run directory's CSV files in its manifest as they now are, as a command that
    adds or removes a table must: the report reads runs through sim.run.store.read_run,
    which refuses files that disagree with the manifest."""
    mpath = run_dir / "manifest.json"
    m = json.loads(mpath.read_text())
    listing = {}
    for f in sorted(run_dir.glob("*.csv")):
        df = pd.read_csv(f)
        info = {"rows": len(df), "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}
        if "replication" in df.columns:
            counts = df["replication"].value_counts()
            info["rows_per_replication"] = [int(counts.get(r, 0)) for r in range(m["replications"])]
        listing[f.name] = info
    m["files"] = listing
    mpath.write_text(json.dumps(m, indent=2) + "\n")


@pytest.fixture(scope="session")
def page(runs, tmp_path_factory) -> tuple[Path, str]:
    """The Danish report of a comparison directory (baseline against the faster-exit scenario)."""
    from sim.report import build
    out = tmp_path_factory.mktemp("page") / "report.html"
    build(runs["compare"], out=out, quiet=True)
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
    relist(d)
    obs = tmp / "obs.toml"
    obs.write_text('[[observed]]\ngroup = "sygedagpenge"\ndate = 2015-06-01\nvalue = 10\n'
                   'unit = "full-time persons"\ndefinition = "<b>bold</b>"\n'
                   'source = "</td><script>x</script>"\n', encoding="utf-8")
    return build(d, out=tmp / "h.html", observed=obs, quiet=True)
