"""The target loader is strict: a target file that contradicts itself is one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.calibration.targets import load_targets
from sim.errors import SpecError

ROOT = Path(__file__).resolve().parents[1]
AALBORG = ROOT / "calibration" / "targets" / "aalborg.toml"

HEAD = """
[calibration]
scenario = "s.toml"
start = 2013-01-01
years = 3
"""
LEVEL = """
[targets.{name}]
measure = "persons"
states = ["dagpenge"]
date = {date}
value = {value}
unit = "persons"
tolerance = {tol}
definition = "d"
source = "s"
"""
CHANGE = """
[targets.change]
measure = "persons"
states = ["dagpenge"]
change = "relative"
from = 2013-01-01
to = 2014-01-01
value = {value}
unit = "relative change"
tolerance = 0.02
definition = "d"
source = "s"
"""


def write(tmp_path, text):
    p = tmp_path / "t.toml"
    p.write_text(HEAD + text)
    return p


def levels(a=1000, b=880, tol=10):
    return (LEVEL.format(name="start", date="2013-01-01", value=a, tol=tol)
            + LEVEL.format(name="end", date="2014-01-01", value=b, tol=tol))


def test_aalborg_targets_load_with_held_out_and_sources():
    ts = load_targets(AALBORG)
    assert len(ts.in_sample) >= 15 and len(ts.held_out) >= 5
    assert all(t.source.strip() for t in ts.targets)
    assert ts.start.isoformat() == "2013-01-01"
    names = {t.name for t in ts.targets}
    assert {"under_30_public_support_end_2013", "lost_dagpenge_jan_nov_2013",
            "ressourceforloeb_march_2014", "long_term_unemployed_dec_2013"} <= names


def test_consistent_change_and_levels_load(tmp_path):
    ts = load_targets(write(tmp_path, levels() + CHANGE.format(value=-0.12)))
    assert ts.get("change").value == -0.12


def test_change_contradicting_two_levels_is_an_error(tmp_path):
    with pytest.raises(SpecError) as e:
        load_targets(write(tmp_path, levels() + CHANGE.format(value=0.10)))
    assert e.value.key == "targets.change.value" and "t.toml" in e.value.file
    assert "imply -0.120" in str(e.value)


def test_dates_out_of_order(tmp_path):
    text = """
[targets.x]
measure = "fte"
states = ["dagpenge"]
from = 2014-01-01
to = 2013-06-01
value = 5
unit = "full-time persons"
tolerance = 1
definition = "d"
source = "s"
"""
    with pytest.raises(SpecError) as e:
        load_targets(write(tmp_path, text))
    assert e.value.key == "targets.x.to" and "out of order" in str(e.value)


def test_held_out_target_with_weight_is_an_error(tmp_path):
    text = LEVEL.format(name="x", date="2013-06-01", value=5, tol=1) + "held_out = true\nweight = 2\n"
    with pytest.raises(SpecError) as e:
        load_targets(write(tmp_path, text))
    assert e.value.key == "targets.x.weight"


@pytest.mark.parametrize("patch, key", [
    (("date = 2013-06-01", "date = 2019-06-01"), "targets.x.date"),   # outside the run
    (("unit = \"persons\"", "unit = \"persons\"\ncolour = 1"), "targets.x.colour"),  # unknown key
    (("tolerance = 1", "tolerance = 0"), "targets.x.tolerance"),
    (("source = \"s\"", "source = \" \""), "targets.x.source"),
])
def test_bad_target_names_its_key(tmp_path, patch, key):
    text = LEVEL.format(name="x", date="2013-06-01", value=5, tol=1).replace(*patch)
    with pytest.raises(SpecError) as e:
        load_targets(write(tmp_path, text))
    assert e.value.key == key
