"""``caseflow run`` writes the tables; the same seed gives identical files whatever the workers."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from .conftest import BASELINE, ROOT

TABLES = ["stocks.csv", "stocks_summary.csv", "flows.csv", "activation.csv", "indicators.csv",
          "indicators_summary.csv"]


def _run(out, workers):
    p = subprocess.run([sys.executable, "-m", "sim", "run", str(BASELINE), "--scale", "0.01",
                        "--years", "1.5", "--replications", "3", "--seed", "9", "--workers",
                        str(workers), "--out", str(out), "--quiet"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    return out


def test_run_writes_tables_and_manifest_identically_for_any_workers(tmp_path):
    a = _run(tmp_path / "a", 1)
    b = _run(tmp_path / "b", 2)
    for name in TABLES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    m = json.loads((a / "manifest.json").read_text())
    assert m["seed"] == 9 and m["replications"] == 3 and m["engine"] == "simpy"
    assert len(m["scenario_sha256"]) == 64 and m["events"] > 0
    stocks = pd.read_csv(a / "stocks.csv")
    assert set(stocks["replication"]) == {0, 1, 2}
    summary = pd.read_csv(a / "stocks_summary.csv")
    assert (summary["p5"] <= summary["p95"]).all()
    assert {"under_30_public_support", "long_term_unemployed", "lost_dagpenge_in_year",
            "company_placements", "sygedagpenge_over_26_weeks", "ressourceforloeb"} <= set(
        pd.read_csv(a / "indicators.csv").columns)


def test_trace_prints_a_life():
    p = subprocess.run([sys.executable, "-m", "sim", "trace", str(BASELINE), "--person", "0",
                        "--scale", "0.01", "--years", "1"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert "enter" in p.stdout and "2015-01-01" in p.stdout
