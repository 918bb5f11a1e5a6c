"""Input files are data: never evaluated, never imported, never a way out of the project.

See docs/security.md for what caseflow trusts and what it treats as untrusted data.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim import engines
from sim.calibration.model import calibration_scenario
from sim.calibration.targets import load_targets
from sim.errors import SpecError
from sim.spec.scenario import load_scenario

from .conftest import BASELINE, ROOT

PACKAGE = ROOT / "sim"

# Code that can run or load code: (regex, why it is dangerous)
DANGEROUS = {
    r"\beval\(": "evaluates text as Python",
    r"\bexec\(": "executes text as Python",
    r"(?<![.\w])compile\(": "compiles text to code",  # the builtin; re.compile is fine
    # pickle the module, or NumPy loading pickled objects (np.load(..., allow_pickle=False) is safe)
    r"\bimport pickle\b|\bfrom pickle\b|\bpickle\.[A-Za-z_]|allow_pickle\s*=\s*True|\bcloudpickle\b":
        "unpickling runs arbitrary code",
    r"\bmarshal\b": "loads code objects",
    r"__import__": "imports a module by name",
    r"import_module\(": "imports a module by name",
    r"\byaml\.(unsafe_)?load\(": "YAML tags can construct objects",
    r"os\.system|shell\s*=\s*True": "runs a shell command",
}
# Every match in the package must be listed here with the reason it is safe.
ALLOWED = {
    ("sim/cli.py", 'importlib.import_module(f".commands.{name}", __package__)'):
        "name comes from the fixed COMMANDS tuple, never from input",
    ("sim/engines/__init__.py", "importlib.import_module(module)"):
        "module comes from the fixed ENGINES registry; get() rejects other names first",
}


def _matches() -> list[tuple[str, str, str]]:
    out = []
    for f in sorted(PACKAGE.rglob("*.py")):
        rel = f.relative_to(ROOT).as_posix()
        for line in f.read_text(encoding="utf-8").splitlines():
            for pattern in DANGEROUS:
                if re.search(pattern, line):
                    out.append((rel, line.strip(), pattern))
    return out


def test_no_eval_exec_pickle_or_import_by_name_outside_the_allowlist():
    unexplained = []
    used = set()
    for rel, line, pattern in _matches():
        hit = [k for k in ALLOWED if k[0] == rel and k[1] in line]
        if hit:
            used.update(hit)
        else:
            unexplained.append(f"{rel}: {line}  ({DANGEROUS[pattern]})")
    assert not unexplained, ("code-running calls not in tests/test_security.py ALLOWED; input files "
                             "are data (docs/security.md):\n" + "\n".join(unexplained))
    assert used == set(ALLOWED), f"stale allowlist entries: {set(ALLOWED) - used}"


def test_the_scan_finds_what_it_looks_for(tmp_path):
    """The patterns are not vacuous: each catches a line that uses it."""
    samples = ["eval(text)", "exec(code)", "compile(src, 'f', 'exec')", "import pickle",
               "pickle.loads(b)", "np.load(f, allow_pickle=True)",
               "marshal.loads(b)", "__import__(name)", "importlib.import_module(name)",
               "yaml.load(f)", "os.system(cmd)"]
    for s in samples:
        assert any(re.search(p, s) for p in DANGEROUS), s


def test_an_engine_name_from_the_command_line_is_never_imported():
    with pytest.raises(SpecError, match="unknown engine"):
        engines.get("os:system")
    with pytest.raises(SpecError):
        engines.get("sim.engines.simpy_engine:simulate")  # a module path is not an engine name


# ---------------------------------------------------------------------------
# Paths written inside data files stay in the project
# ---------------------------------------------------------------------------
@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "scenarios").mkdir(parents=True)
    (root / "calibration" / "fitted").mkdir(parents=True)
    (root / "calibration" / "targets").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    shutil.copy(BASELINE, root / "scenarios" / "aalborg_2015.toml")
    shutil.copy(ROOT / "calibration" / "fitted" / "aalborg.toml", root / "calibration" / "fitted" / "aalborg.toml")
    shutil.copy(ROOT / "calibration" / "targets" / "aalborg.toml", root / "calibration" / "targets" / "aalborg.toml")
    shutil.copytree(ROOT / "calibration" / "goals", root / "calibration" / "goals")  # [scenario] goals
    # a valid file outside the project, so "outside" is the only thing wrong with pointing at it
    shutil.copy(ROOT / "calibration" / "fitted" / "aalborg.toml", tmp_path / "outside_layer.toml")
    shutil.copy(BASELINE, tmp_path / "outside_scenario.toml")
    os.symlink(tmp_path / "outside_layer.toml", root / "calibration" / "fitted" / "link.toml")
    os.symlink(tmp_path / "outside_scenario.toml", root / "scenarios" / "link.toml")
    return root


ESCAPES = ["../../etc/passwd", "../../../../../../../../../etc/passwd", "/etc/passwd", "~/.ssh/id_rsa",
           "{outside}", "link.toml"]


def _escape(value: str, project: Path, outside: str) -> str:
    return value.replace("{outside}", str(project.parent / outside))


@pytest.mark.parametrize("value", ESCAPES)
def test_fitted_cannot_point_outside_the_project(project, value):
    s = project / "scenarios" / "aalborg_2015.toml"
    rel = value if value != "link.toml" else "../calibration/fitted/link.toml"
    text = s.read_text().replace('fitted = "../calibration/fitted/aalborg.toml"',
                                 f'fitted = "{_escape(rel, project, "outside_layer.toml")}"')
    s.write_text(text)
    with pytest.raises(SpecError) as err:
        load_scenario(s)
    assert err.value.key == "scenario.fitted" and err.value.file == str(s)
    assert "outside the project" in err.value.message or "relative to this file" in err.value.message


def test_fitted_from_an_override_is_relative_to_the_override(project):
    (project / "scenarios" / "deep").mkdir()
    o = project / "scenarios" / "deep" / "o.toml"
    o.write_text('extends = "../aalborg_2015.toml"\n[scenario]\nfitted = "../../../../etc/passwd"\n')
    with pytest.raises(SpecError) as err:
        load_scenario(o)
    assert err.value.file == str(o) and err.value.key == "scenario.fitted"


@pytest.mark.parametrize("value", ESCAPES)
def test_a_target_file_cannot_point_its_scenario_outside_the_project(project, value):
    t = project / "calibration" / "targets" / "aalborg.toml"
    rel = value if value != "link.toml" else "../../scenarios/link.toml"
    t.write_text(t.read_text().replace('scenario = "../../scenarios/aalborg_2015.toml"',
                                       f'scenario = "{_escape(rel, project, "outside_scenario.toml")}"'))
    with pytest.raises(SpecError) as err:  # "../../etc/passwd" is inside: it fails as not found
        calibration_scenario(load_targets(t), 0.01)
    assert err.value.key == "calibration.scenario" and err.value.file == str(t)


def test_a_target_file_naming_a_missing_scenario_names_its_own_key(project):
    t = project / "calibration" / "targets" / "aalborg.toml"
    t.write_text(t.read_text().replace('scenario = "../../scenarios/aalborg_2015.toml"',
                                       'scenario = "../../scenarios/nope.toml"'))
    ts = load_targets(t)
    with pytest.raises(SpecError) as err:
        calibration_scenario(ts, 0.01)
    assert err.value.key == "calibration.scenario" and err.value.file == str(t)


@pytest.mark.parametrize("value", ESCAPES)
def test_extends_cannot_point_outside_the_project(project, value):
    o = project / "scenarios" / "o.toml"
    o.write_text(f'extends = "{_escape(value, project, "outside_scenario.toml")}"\n[scenario]\ntitle_da = "x"\n')
    with pytest.raises(SpecError) as err:
        load_scenario(o)
    assert err.value.key == "extends" and err.value.file == str(o)


def test_output_goes_where_the_command_line_says_whatever_the_file_contains(project, tmp_path):
    """A scenario named like a path does not steer where results are written."""
    s = project / "scenarios" / "evil.toml"
    s.write_text('extends = "aalborg_2015.toml"\n[scenario]\nname = "../../../escaped"\n'
                 'title_da = "/tmp/escaped"\n')
    before = set(tmp_path.rglob("*"))
    out = tmp_path / "run"
    p = subprocess.run([sys.executable, "-m", "sim", "run", str(s), "--scale", "0.01", "--years", "0.1",
                        "--replications", "1", "--workers", "1", "--quiet", "--goals", "none",
                        "--out", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    new = set(tmp_path.rglob("*")) - before
    assert new and all(f == out or out in f.parents for f in new), sorted(map(str, new))
    assert not Path("/tmp/escaped").exists()
