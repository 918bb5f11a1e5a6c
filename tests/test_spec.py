"""The loader accepts the baseline and rejects bad input with one clear message."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim.errors import SpecError
from sim.spec.scenario import load_scenario

from .conftest import BASELINE, ROOT


def test_baseline_loads_with_every_state_and_rule(baseline):
    assert "dagpenge" in baseline.state_names and "outside" in baseline.state_names
    assert {r.name for r in baseline.rules} >= {"dagpenge_exhaustion", "sygedagpenge_reassessment",
                                                 "state_pension", "ressourceforloeb_end"}
    assert all(h.ref for h in baseline.hazards)


def _load_modified(tmp, old: str, new: str, file: str = "scenario.toml"):
    path = tmp / file if file == "scenario.toml" else tmp / "data" / file
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return load_scenario(tmp / "scenario.toml", data_dir=tmp / "data")


BAD = [
    # (description, file, old text, new text, key expected in the message)
    ("unknown state", "scenario.toml", "[hazards.dagpenge.education]", "[hazards.dagpenge.nowhere]",
     "hazards.dagpenge.nowhere"),
    ("negative hazard", "scenario.toml", "rate = 0.0015\nsource = \"Assumption: young unemployed",
     "rate = -0.0015\nsource = \"Assumption: young unemployed", "hazards.dagpenge.education.rate"),
    ("share above one", "scenario.toml", "exempt_share = 0.10\nfirst_offer_week = 13",
     "exempt_share = 1.5\nfirst_offer_week = 13", "exempt_share"),
    ("mix not summing to one", "scenario.toml", "mix = { nytteindsats = 0.30,",
     "mix = { nytteindsats = 0.90,", "mix"),
    ("unknown key", "scenario.toml", "[hazards.dagpenge.sygedagpenge]\nunit = \"per week\"",
     "[hazards.dagpenge.sygedagpenge]\nunit = \"per week\"\nrat = 0.1", "hazards.dagpenge.sygedagpenge.rat"),
    ("missing key", "scenario.toml", "[hazards.dagpenge.sygedagpenge]\nunit = \"per week\"\nrate = 0.002",
     "[hazards.dagpenge.sygedagpenge]\nunit = \"per week\"", "hazards.dagpenge.sygedagpenge.rate"),
    ("unordered dates", "law.toml", "{ from = 2010-01-01, value = 52 }, { from = 2014-07-01, value = 22 }",
     "{ from = 2014-07-01, value = 52 }, { from = 2010-01-01, value = 22 }", "limit[1].from"),
    ("transition to a missing state", "law.toml", "shares = { ressourceforloeb = 0.40,",
     "shares = { ressourceforloebet = 0.40,", "ressourceforloebet"),
    ("TOML syntax", "scenario.toml", "[scenario]", "[scenario", "TOML syntax error"),
]


@pytest.mark.parametrize("what,file,old,new,key", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_file_and_key(data_copy, what, file, old, new, key):
    with pytest.raises(SpecError) as err:
        _load_modified(data_copy, old, new, file)
    assert file in str(err.value)
    assert key in str(err.value)


def test_cli_bad_input_exits_2_without_output(data_copy, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(BASELINE.read_text().replace("exempt_share = 0.25", "exempt_share = 7", 1))
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "sim", "run", str(bad), "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2
    assert "bad.toml" in p.stderr and "exempt_share" in p.stderr
    assert "Traceback" not in p.stderr
    assert not out.exists()
