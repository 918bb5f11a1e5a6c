"""Common random numbers, paired intervals, and what ``caseflow compare`` writes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
from scipy import stats

from sim.studies.compare import slugs_for
from sim.engines.simpy_engine import simulate
from sim.spec.scenario import load_scenario

from .conftest import BASELINE, ROOT

SAMTALER = ROOT / "scenarios" / "hyppigere_samtaler.toml"


def _dagpenge_fte_2015(sc, seed, reps):
    """Full-time persons on dagpenge, average over the first 52 weeks, per replication."""
    s = sc.state_names.index("dagpenge")
    return np.array([simulate(sc, years=1, seed=seed, replication=r).recorder.fte[1:53, s, :].sum(1).mean()
                     for r in range(reps)])


def test_common_random_numbers_shrink_the_interval_of_a_difference():
    """Interval width ∝ the sd of the paired differences. With independent seeds
    Var(d) = Var(A) + Var(B); with common random numbers Var(d) = Var(A) + Var(B) − 2 Cov(A, B),
    and the same citizens drawing the same numbers make Cov large. A pilot (30 replications,
    scale 0.02, seeds 11/12) gave sd(d) 1.87 (CRN) against 8.98 (independent): a variance ratio
    ρ² ≈ 0.043 (corr(A, B) = 0.94). With R = 12 the ratio of sample variances is ρ²·F(11, 11),
    so asserting a width ratio below 0.5 fails only if F > 0.25/ρ² ≈ 5.8, probability ≈ 0.003
    (≈ 0.04 even at the pilot's pessimistic ρ² = 0.09)."""
    reps = 12
    base = load_scenario(BASELINE).scaled(0.02)
    alt = load_scenario(SAMTALER).scaled(0.02)
    b = _dagpenge_fte_2015(base, 11, reps)
    crn = _dagpenge_fte_2015(alt, 11, reps) - b
    indep = _dagpenge_fte_2015(alt, 12, reps) - b
    ratio = crn.std(ddof=1) / indep.std(ddof=1)
    assert ratio < 0.5, ratio
    # more meetings raise the job hazard: fewer on dagpenge, distinguishable with CRN
    half = stats.t.ppf(0.95, reps - 1) * crn.std(ddof=1) / np.sqrt(reps)
    assert crn.mean() + half < 0


def test_slugs_are_unique_in_command_line_order():
    assert slugs_for(["a/x.toml", "b/x.toml", "y.toml", "c/x.toml"]) == ["x", "x-2", "y", "x-3"]


def _compare(tmp_path, *extra):
    return subprocess.run([sys.executable, "-m", "sim", "compare", *extra, "--scale", "0.01",
                           "--years", "1.2", "--replications", "3", "--seed", "4", "--workers", "1",
                           "--quiet"], capture_output=True, text=True, cwd=ROOT)


def test_compare_writes_the_documented_layout(tmp_path):
    out = tmp_path / "cmp"
    p = _compare(tmp_path, str(BASELINE), str(BASELINE), str(SAMTALER), "--out", str(out), "--lang", "da")
    assert p.returncode == 0, p.stderr
    for name in ("differences.csv", "goals.csv", "comparison.xlsx", "stocks.png", "differences.png",
                 "manifest.json"):
        assert (out / name).is_file(), name
    for slug in ("aalborg_2015", "aalborg_2015-2", "hyppigere_samtaler"):
        assert (out / slug / "stocks.csv").is_file() and (out / slug / "goals.csv").is_file()
    d = pd.read_csv(out / "differences.csv")
    assert list(d.columns) == ["scenario", "measure", "name", "period", "baseline", "value", "difference",
                               "ci_low", "ci_high", "se", "replications", "distinguishable"]
    # the baseline against itself: common random numbers make every difference exactly zero
    same = d[d["scenario"] == "aalborg_2015-2"]
    assert len(same) > 0 and (same["difference"] == 0).all() and not same["distinguishable"].any()
    assert set(d["measure"]) == {"fte", "indicator", "cost"}
    assert (out / "investment.csv").is_file() and (out / "costs.png").is_file()
    goals = pd.read_csv(out / "goals.csv")
    assert set(goals["scenario"]) == {"aalborg_2015", "aalborg_2015-2", "hyppigere_samtaler"}
    assert set(goals["status"]) <= {"met", "at risk", "missed", "not simulated"}
    sheets = pd.ExcelFile(out / "comparison.xlsx").sheet_names
    assert sheets == ["forskelle", "mål", "bestande", "indikatorer", "kørsler", "udgifter", "investering"]
    assert "forskel" in pd.read_excel(out / "comparison.xlsx", sheet_name="forskelle").columns
    m = json.loads((out / "manifest.json").read_text())
    assert m["baseline"] == "aalborg_2015" and m["seed"] == 4 and len(m["runs"]) == 3
    assert m["runs"][2]["title_da"] == "Hyppigere samtaler"


def test_compare_with_a_bad_scenario_writes_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'extends = "{BASELINE.name}"\n[levers.contact.dagpenge]\nmeetings = 2\n')
    # the baseline must be reachable from bad.toml's directory tree: copy it alongside
    (tmp_path / BASELINE.name).write_text(BASELINE.read_text())
    out = tmp_path / "cmp"
    p = _compare(tmp_path, str(BASELINE), str(bad), "--out", str(out))
    assert p.returncode == 2 and not out.exists()
    assert str(bad) in p.stderr and "levers.contact.dagpenge.meetings" in p.stderr
