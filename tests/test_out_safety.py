"""``--out`` never destroys what caseflow did not write (docs/security.md).

Each test is a user's action and what must follow: the user's files are still there
byte for byte, the command exits 2 with one line naming ``--out``, and nothing is left
beside the path. The commands run only against folders made in ``tmp_path`` (a fake
clone, a fake home), so that a broken guard could never harm the real ones.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sim.run import store as output
from sim.cli import main
from sim.errors import SpecError

from .conftest import BASELINE as _BASELINE
from .conftest import ROOT

BASELINE = str(_BASELINE)
FOLLOW = ["--scale", "0.01", "--replications", "1", "--quiet"]  # cohort, trial
TINY = ["--years", "0.1", *FOLLOW]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its SHA-256: what the user must find again."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out" in err[0], err
    return err[0]


@pytest.fixture
def users_folder(tmp_path):
    folder = tmp_path / "thesis"
    (folder / "chapters").mkdir(parents=True)
    (folder / "chapters" / "one.tex").write_text("Kapitel 1\n")
    (folder / "data.csv").write_text("a,b\n1,2\n")
    return folder


@pytest.fixture
def fake_clone(tmp_path, monkeypatch):
    """A project folder, a home and a working directory, all inside ``tmp_path``."""
    clone = tmp_path / "clone"
    (clone / "sim").mkdir(parents=True)
    (clone / "tests").mkdir()
    (clone / "README.md").write_text("caseflow\n")
    (tmp_path / "home").mkdir()
    monkeypatch.setattr(output, "PROJECT_ROOT", clone)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(clone / "tests")
    return clone


@pytest.mark.parametrize("command", [
    ["run", BASELINE, "--executor", "sequential", *TINY],
    ["compare", BASELINE, BASELINE, "--executor", "sequential", *TINY],
    ["cohort", BASELINE, "--at", "2014-01-01", "--where", "state=dagpenge", *FOLLOW],
    ["trial", BASELINE, "--group", "state=dagpenge", "--at", "2014-01-01", "--size", "10",
     "--intervention", "mentor", *FOLLOW],
])
def test_a_folder_of_the_users_is_refused_and_left_as_it_was(command, users_folder, capsys):
    before = snapshot(users_folder)
    line = refused(capsys, [*command, "--out", str(users_folder)])
    assert "did not write" in line
    assert snapshot(users_folder) == before
    assert sorted(p.name for p in users_folder.parent.iterdir()) == ["thesis"]  # nothing beside it


def test_a_plain_file_is_refused_and_kept(tmp_path, capsys):
    target = tmp_path / "results.xlsx"
    target.write_bytes(b"not caseflow's")
    refused(capsys, ["run", BASELINE, *TINY, "--out", str(target)])
    assert target.read_bytes() == b"not caseflow's"
    assert [p.name for p in tmp_path.iterdir()] == ["results.xlsx"]


@pytest.mark.parametrize("where", [".", "..", "{clone}", "{clone}/sim/..", "{clone}/..", "~"])
def test_the_project_the_working_directory_and_home_are_refused(where, fake_clone, capsys):
    before = snapshot(fake_clone.parent)
    out = where.format(clone=fake_clone)
    for command in (["run", BASELINE, *TINY, "--executor", "sequential"],
                    ["compare", BASELINE, BASELINE, *TINY, "--executor", "sequential"]):
        refused(capsys, [*command, "--out", str(Path(out).expanduser())])
    assert snapshot(fake_clone.parent) == before
    assert not list(fake_clone.parent.rglob("*.checkpoint"))


@pytest.mark.parametrize("where", ["/", str(ROOT), str(ROOT.parent), str(Path.home())])
def test_the_real_project_home_and_root_are_refused_before_any_work(where):
    with pytest.raises(SpecError, match="--out"):
        output.check_out(where)


def test_a_directory_caseflow_wrote_is_replaced(tmp_path):
    out = tmp_path / "run"
    argv = ["run", BASELINE, *TINY, "--executor", "sequential", "--out", str(out)]
    assert main(argv) == 0
    (out / "stocks.csv").write_text("stale\n")
    assert main(argv) == 0  # the second run replaces the first, whole
    assert (out / "stocks.csv").read_text() != "stale\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_an_empty_directory_is_used(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["run", BASELINE, *TINY, "--executor", "sequential", "--out", str(out)]) == 0
    assert output.is_caseflow_output(out)
