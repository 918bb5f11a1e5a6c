"""Scenario files as partial overrides: merging, dated splices, provenance and clear errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sim.errors import SpecError
from sim.spec.overlay import COMMAND_LINE, resolve, to_toml
from sim.spec.scenario import load_scenario

from .conftest import BASELINE, ROOT

D = dt.date


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    """A project directory (has pyproject.toml) with the baseline in scenarios/."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "scenarios").mkdir()
    shutil.copy(BASELINE, tmp_path / "scenarios" / "aalborg_2015.toml")
    # the baseline points to its fitted layer (../calibration/fitted/aalborg.toml)
    (tmp_path / "calibration" / "fitted").mkdir(parents=True)
    shutil.copy(BASELINE.parents[1] / "calibration" / "fitted" / "aalborg.toml",
                tmp_path / "calibration" / "fitted" / "aalborg.toml")
    # and to its plan goals (../calibration/goals/aalborg_2015.toml)
    shutil.copytree(BASELINE.parents[1] / "calibration" / "goals", tmp_path / "calibration" / "goals")
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_override_changes_only_what_it_names(proj, baseline):
    s = write(proj / "scenarios" / "alt.toml", """
extends = "aalborg_2015.toml"
[activation.places]
virksomhedspraktik = 1400
[activation.policy.dagpenge]
mix = { virksomhedspraktik = 0.5, vejledning_opkvalificering = 0.5 }
""")
    alt = load_scenario(s)
    assert alt.places["virksomhedspraktik"] == 1400
    # places merge key by key: the other instruments keep the baseline's places
    assert {k: v for k, v in alt.places.items() if k != "virksomhedspraktik"} == \
        {k: v for k, v in baseline.places.items() if k != "virksomhedspraktik"}
    # a mix is a table of numbers: replaced as a whole (the baseline's other shares are gone)
    assert alt.policies["dagpenge"].mix == {"virksomhedspraktik": 0.5, "vejledning_opkvalificering": 0.5}
    # everything else is the baseline
    same = [f.name for f in dataclasses.fields(alt)
            if f.name not in ("places", "policies", "file", "digest", "layers", "sources", "goals")]
    for name in same:
        assert getattr(alt, name) == getattr(baseline, name), name
    # the goals file the baseline names, found from the copy's folder
    assert alt.goals == proj / "calibration" / "goals" / baseline.goals.name
    assert alt.digest != baseline.digest
    assert [Path(p).name for p in alt.layers] == ["aalborg_2015.toml", "alt.toml"]


def test_dated_override_splices_from_its_first_date(proj, baseline):
    s = write(proj / "scenarios" / "later.toml", """
extends = "aalborg_2015.toml"
[activation.policy.kontanthjaelp_jobparat]
first_offer_week = [{ from = 2016-01-01, value = 8 }]
[activation.policy.dagpenge]
repeat_weeks = [{ from = 2017-01-01, value = 13 }]
""")
    alt = load_scenario(s)
    # a plain baseline value (13 weeks) holds until the override's first date
    fo = alt.policies["kontanthjaelp_jobparat"].first_offer_week
    assert fo.at(D(2015, 6, 1)) == baseline.policies["kontanthjaelp_jobparat"].first_offer_week.at(D(2015, 6, 1))
    assert fo.at(D(2016, 1, 1)) == (8.0,) * len(baseline.age_lower)
    # a dated baseline keeps its own dates before the splice, then the override rules
    rep, base = alt.policies["dagpenge"].repeat_weeks, baseline.policies["dagpenge"].repeat_weeks
    for day in (D(2014, 1, 1), D(2015, 8, 1), D(2016, 12, 31)):
        assert rep.at(day) == base.at(day)
    assert rep.at(D(2017, 1, 1)) == 13 and base.at(D(2017, 1, 1)) == 0


def test_layers_apply_in_order_and_provenance_names_each_writer(proj):
    write(proj / "calibration" / "fitted.toml", """
[hazards.dagpenge.employed]
rate = [0.05, 0.02, 0.01, 0.008]
[activation.places]
mentor = 10
""")
    s = write(proj / "scenarios" / "layered.toml", """
extends = ["aalborg_2015.toml", "../calibration/fitted.toml"]
[activation.places]
mentor = 20
""")
    layered = resolve(s, ["activation.places.jobrotation=5"])
    base, fitted = str(proj / "scenarios" / "aalborg_2015.toml"), str(proj / "calibration" / "fitted.toml")
    p = layered.provenance
    assert p["hazards.dagpenge.employed.rate"] == fitted
    assert p["hazards.dagpenge.employed.source"] == base
    assert p["activation.places.mentor"] == str(s)
    assert p["activation.places.jobrotation"] == COMMAND_LINE
    assert p["activation.places.nytteindsats"] == base
    # fitted=False: the baseline's fitted multipliers (calibration/fitted/aalborg.toml) would
    # otherwise multiply the layered rate too
    sc = load_scenario(s, sets=["activation.places.jobrotation=5"], fitted=False)
    assert sc.places["mentor"] == 20 and sc.places["jobrotation"] == 5
    assert sc.hazards[[h.name for h in sc.hazards].index("dagpenge->employed")].rate[0] == 0.05


def test_show_prints_toml_that_loads_back_with_an_origin_on_every_value(proj):
    s = write(proj / "scenarios" / "later.toml", """
extends = "aalborg_2015.toml"
[activation.policy.kontanthjaelp_jobparat]
first_offer_week = [{ from = 2016-01-01, value = 8 }]
""")
    layered = resolve(s, ["scenario.name=\"X\""])
    text = to_toml(layered, relative_to=proj)
    assert tomllib.loads(text) == layered.data
    values = [ln for ln in text.splitlines() if " = " in ln and not ln.startswith("#")]
    assert values and all("# from " in ln for ln in values)
    assert 'name = "X"  # from <command line>' in text
    assert "{ from = 2016-01-01, value = 8 },  # from scenarios/later.toml" in text
    assert "{ from = 1900-01-01, value = 13 },  # from scenarios/aalborg_2015.toml" in text
    # the printed scenario is itself a complete scenario file giving the same model
    full = write(proj / "scenarios" / "full.toml", text)
    a, b = load_scenario(full), load_scenario(s, sets=["scenario.name=\"X\""])
    assert a.policies == b.policies and a.hazards == b.hazards and a.name == "X"


def test_unknown_override_key_names_the_file_where_it_was_written(proj):
    s = write(proj / "scenarios" / "typo.toml", """
extends = "aalborg_2015.toml"
[activation.policy.dagpenge]
exempt_shar = 0.2
""")
    with pytest.raises(SpecError) as err:
        load_scenario(s)
    assert err.value.file == str(s) and err.value.key == "activation.policy.dagpenge.exempt_shar"
    # on the command line
    with pytest.raises(SpecError) as err:
        load_scenario(proj / "scenarios" / "aalborg_2015.toml", sets=["activation.places.mentr=3"])
    assert err.value.file == COMMAND_LINE and "activation.places.mentr" in err.value.key
    # a bad value written in the baseline is still blamed on the baseline, not the scenario
    base = proj / "scenarios" / "aalborg_2015.toml"
    base.write_text(base.read_text().replace("exempt_share = 0.25", "exempt_share = 2.5", 1))
    ok = write(proj / "scenarios" / "ok.toml", 'extends = "aalborg_2015.toml"\n[scenario]\nname = "ok"\n')
    with pytest.raises(SpecError) as err:
        load_scenario(ok)
    assert err.value.file == str(base) and err.value.key.endswith("exempt_share")


@pytest.mark.parametrize("extends,message", [
    ('"b.toml"', "extends cycle"),
    ('"missing.toml"', "file not found"),
    ('"/etc/hosts"', "relative to this file"),
    ('"../../outside.toml"', "outside the project directory"),
    ("3", "expected a file name"),
])
def test_extends_errors_are_clear(proj, extends, message):
    write(proj.parent / "outside.toml", "[scenario]\n")
    write(proj / "scenarios" / "b.toml", 'extends = "a.toml"\n')
    a = write(proj / "scenarios" / "a.toml", f"extends = {extends}\n")
    with pytest.raises(SpecError) as err:
        load_scenario(a)
    assert message in str(err.value) and "extends" in err.value.key


def test_bad_set_syntax_is_an_error():
    with pytest.raises(SpecError, match="text needs quotes"):
        load_scenario(BASELINE, sets=["scenario.name=unquoted text"])
    with pytest.raises(SpecError, match="KEY.PATH=VALUE"):
        load_scenario(BASELINE, sets=["novalue"])


def test_show_cli_and_exit_code_2_on_unknown_key():
    ok = subprocess.run([sys.executable, "-m", "sim", "show", "scenarios/tidligere_foerste_tilbud.toml"],
                        capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert "# from scenarios/tidligere_foerste_tilbud.toml" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "sim", "show", str(BASELINE), "--set",
                          "activation.places.mentr=3"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and bad.stdout == ""
    assert "<command line>" in bad.stderr and "activation.places.mentr" in bad.stderr
