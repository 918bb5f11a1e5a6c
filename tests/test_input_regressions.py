"""Loader bugs found by the generated bad-input test (tests/test_bad_input.py), one test each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sim.calibration.targets import load_targets
from sim.errors import SpecError
from sim.spec.schema import read_toml
from sim.spec.scenario import load_scenario

from .conftest import BASELINE, DATA, ROOT

TARGETS = ROOT / "calibration" / "targets" / "aalborg.toml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project copy: scenario, fitted layer, targets and the national data files."""
    (tmp_path / "pyproject.toml").write_text("")
    for src, dst in ((BASELINE, "scenarios/aalborg_2015.toml"),
                     (ROOT / "calibration/fitted/aalborg.toml", "calibration/fitted/aalborg.toml"),
                     (TARGETS, "calibration/targets/aalborg.toml"),
                     (ROOT / "calibration/goals/aalborg_2015.toml", "calibration/goals/aalborg_2015.toml")):
        (tmp_path / dst).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, tmp_path / dst)
    shutil.copytree(DATA, tmp_path / "data")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_huge_stock_is_rejected_not_allocated(project):
    """Was: 1e18 persons accepted, then the run died allocating 71 PiB."""
    s = _edit(project / "scenarios/aalborg_2015.toml", "value = 93080", "value = 1e18")
    with pytest.raises(SpecError, match=r"population\.stocks\.employed\.value: must be at most 1e\+07"):
        load_scenario(s)


def test_a_huge_place_count_is_rejected(project):
    s = _edit(project / "scenarios/aalborg_2015.toml", "\njobrotation = 100\n", "\njobrotation = 1000000000000\n")
    with pytest.raises(SpecError, match=r"activation\.places\.jobrotation: must be at most"):
        load_scenario(s)


def test_a_syntax_error_at_the_end_of_a_file_names_the_line(tmp_path):
    """Was: tomllib's "(at end of document)", with no line to go to."""
    f = tmp_path / "x.toml"
    f.write_text("a = 1\nb = 2\nc")
    with pytest.raises(SpecError, match=r"at the end of the file, line 3"):
        read_toml(f)


def test_an_unknown_key_in_a_free_parameter_is_rejected(project):
    """Was: calibration.parameters.<name> never checked for unknown keys (a misspelt bound ignored)."""
    t = project / "calibration/targets/aalborg.toml"
    text = t.read_text()
    head = text.index("[calibration.parameters.")
    line_end = text.index("\n", head)
    t.write_text(text[:line_end] + "\nlowr = 0.5" + text[line_end:])
    with pytest.raises(SpecError, match=r"calibration\.parameters\.\w+\.lowr: unknown key"):
        load_targets(t)


def test_an_age_rule_sending_people_back_to_its_own_state_is_rejected(project):
    """Was: accepted, and the run hung: at 30 the citizen re-entered, was past 30 again, forever."""
    _edit(project / "data/law.toml", 'then = [{ from = 2014-01-01, shares = { kontanthjaelp_jobparat = 1.0 }',
          'then = [{ from = 2014-01-01, shares = { uddannelseshjaelp_uddannelsesparat = 1.0 }')
    with pytest.raises(SpecError) as err:
        load_scenario(project / "scenarios/aalborg_2015.toml", data_dir=project / "data")
    assert str(err.value).startswith(f"{project / 'data/law.toml'}: rules.uddannelseshjaelp_age_30_uddannelsesparat.then:")
    assert "loop (uddannelseshjaelp_uddannelsesparat -> uddannelseshjaelp_uddannelsesparat)" in str(err.value)


def test_a_redirect_reaching_past_an_age_rule_is_rejected(project):
    """Was: accepted, then the run hung: uddannelseshjælp at 30 → kontanthjælp → redirected back
    (the redirect then reached under-60s) → past 30 again, forever."""
    law = project / "data/law.toml"
    text = law.read_text()
    i = text.index("[redirects.uddannelseshjaelp_under_30]")
    j = text.index("below_age = 30", i)
    law.write_text(text[:j] + "below_age = 60" + text[j + len("below_age = 30"):])
    with pytest.raises(SpecError, match=r"rules\.uddannelseshjaelp_age_30_\w+\.then: rules that fire on entry form a loop"):
        load_scenario(project / "scenarios/aalborg_2015.toml", data_dir=project / "data")


def test_the_real_law_has_no_instant_loop(baseline):
    """The check above passes the shipped law: the redirect stops at 30, where the age rule starts."""
    assert any(r.name == "uddannelseshjaelp_age_30_uddannelsesparat" for r in baseline.rules)


def test_a_lever_hazard_that_is_not_a_name_is_rejected(project):
    """Was: TypeError (unhashable type: 'list') from the levers reader."""
    s = _edit(project / "scenarios/aalborg_2015.toml", 'hazards = ["dagpenge->employed"]', 'hazards = [[]]')
    with pytest.raises(SpecError, match=r"levers\.contact\.dagpenge\.hazards\[0\]: expected a hazard name"):
        load_scenario(s)
