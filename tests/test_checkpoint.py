"""Checkpoints and --resume: finished replications are never redone or lost, a resumed run
is bit-identical to an uninterrupted one, and a run killed at any moment leaves the
previous complete output or none — never a partial one.

The last test kills real ``caseflow run`` processes (SIGKILL to the whole process group,
so worker processes die too) at points drawn with a fixed seed: after k replications are
checkpointed, or after t seconds; the number of kill points tried is printed in the
"caseflow counts" section of the pytest summary.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.run import store as output
from sim.run.checkpoint import Checkpoint, identity, load_result, save_result
from sim.errors import SpecError
from sim.run.runner import run

from .conftest import BASELINE, ROOT

YEARS, REPS, SEED = 1, 4, 3


@pytest.fixture(scope="module")
def small(baseline):
    return baseline.scaled(0.01)


@pytest.fixture(scope="module")
def reference(small):
    return run(small, YEARS, REPS, SEED, executor="sequential")


def assert_same(a, b):
    for name in a.tables:
        assert a.tables[name].to_csv(index=False) == b.tables[name].to_csv(index=False), name


def test_a_saved_replication_loads_back_exactly(reference, tmp_path):
    res = {"tables": {k: v[v["replication"] == 1].reset_index(drop=True) for k, v in reference.tables.items()},
           "persons": 7, "events": 11, "wall": 0.5}
    save_result(tmp_path / "r.npz", res)
    back = load_result(tmp_path / "r.npz")
    assert (back["persons"], back["events"], back["wall"]) == (7, 11, 0.5)
    for k, df in res["tables"].items():
        pd.testing.assert_frame_equal(back["tables"][k], df, check_exact=True)


def test_resume_runs_only_the_missing_replications_and_matches(small, reference, tmp_path):
    cp = tmp_path / "cp"
    run(small, YEARS, REPS, SEED, executor="sequential", checkpoint=cp)
    assert sorted(p.name for p in cp.glob("rep-*.npz")) == [f"rep-{r:06d}.npz" for r in range(REPS)]
    (cp / "rep-000001.npz").unlink()
    (cp / "rep-000003.npz").unlink()
    kept = {p.name: p.stat().st_ino for p in cp.glob("rep-*.npz")}
    res = run(small, YEARS, REPS, SEED, executor="sequential", checkpoint=cp, resume=True)
    assert res.resumed == 2
    assert {p.name: p.stat().st_ino for p in cp.glob("rep-*.npz") if p.name in kept} == kept  # not redone
    assert_same(res, reference)


def test_an_unreadable_replication_file_is_run_again(small, reference, tmp_path):
    cp = tmp_path / "cp"
    run(small, YEARS, REPS, SEED, executor="sequential", checkpoint=cp)
    (cp / "rep-000002.npz").write_bytes(b"not a zip")
    res = run(small, YEARS, REPS, SEED, executor="sequential", checkpoint=cp, resume=True)
    assert res.resumed == REPS - 1
    assert_same(res, reference)


def test_an_existing_checkpoint_is_not_silently_discarded(small, tmp_path):
    cp = tmp_path / "cp"
    run(small, YEARS, 1, SEED, executor="sequential", checkpoint=cp)
    with pytest.raises(SpecError, match="add --resume to continue it"):
        run(small, YEARS, 1, SEED, executor="sequential", checkpoint=cp)


@pytest.mark.parametrize("change, key", [
    (dict(seed=SEED + 1), "seed"),
    (dict(years=2), "years"),
    (dict(replications=REPS + 1), "replications"),
    (dict(scale=0.02), "scale"),
    (dict(hazard=1.5), "scenario_content_sha256"),
])
def test_resume_refuses_a_different_run(small, tmp_path, change, key):
    cp = tmp_path / "cp"
    ident = identity(small, YEARS, SEED, REPS, "simpy")
    Checkpoint.open(cp, ident, resume=False)
    sc = small.scaled(2) if "scale" in change else small
    if "hazard" in change:
        sc = sc.with_hazard(small.hazards[0].name, change["hazard"])
    other = identity(sc, change.get("years", YEARS), change.get("seed", SEED),
                     change.get("replications", REPS), "simpy")
    with pytest.raises(SpecError, match=f"{key}.*belongs to a different run"):
        Checkpoint.open(cp, other, resume=True)
    Checkpoint.open(cp, ident, resume=True)  # the same run is accepted


# -- killing real runs ------------------------------------------------------------------------
CLI_REPS, CLI_YEARS, CLI_SEED, OLD_SEED = 6, 2, 21, 99
KILLS = 4  # per trial: one of each kind of kill point


def _cmd(out, seed=CLI_SEED, reps=CLI_REPS, executor="sequential", resume=True):
    return [sys.executable, "-m", "sim", "run", str(BASELINE), "--scale", "0.01", "--years",
            str(CLI_YEARS), "--replications", str(reps), "--seed", str(seed), "--out", str(out),
            "--executor", executor, "--workers", "2"] + (["--resume"] if resume else [])


def _tables(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


def _start(cmd):
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _kill_at(proc, cp: Path, point) -> bool:
    """SIGKILL the run's process group at ``point``; False if it finished first."""
    kind, value = point
    t0 = time.perf_counter()
    writing = None
    while proc.poll() is None:
        if kind == "writing" and writing is None and any(cp.parent.glob(f".{cp.name[:-11]}.tmp-*")):
            writing = time.perf_counter()  # the output's temporary directory has appeared
        if (kind == "after" and len(list(cp.glob("rep-*.npz"))) >= value) or \
                (kind == "time" and time.perf_counter() - t0 >= value) or \
                (writing is not None and time.perf_counter() - writing >= value):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()  # reap it and close its pipes
            return True
        time.sleep(0.005)
    return False  # finished first: the caller reads its output


def _snapshot(cp: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in cp.glob("rep-*.npz")} if cp.exists() else {}


def test_runs_killed_at_random_points_resume_to_identical_output(tmp_path, record_property):
    ref = tmp_path / "ref"
    t0 = time.perf_counter()
    p = subprocess.run(_cmd(ref, resume=False) + ["--quiet"], cwd=ROOT, capture_output=True, text=True)
    full = time.perf_counter() - t0
    assert p.returncode == 0, p.stderr
    want = _tables(ref)
    old = tmp_path / "old"
    p = subprocess.run(_cmd(old, seed=OLD_SEED, reps=2, resume=False) + ["--quiet"], cwd=ROOT,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    old_tables = _tables(old)

    rng = random.Random(2015)
    tried = finished_first = 0
    seen = {"previous": 0, "new": 0, "none": 0}  # what OUT was right after each kill
    for trial, executor in enumerate(["sequential", "sequential", "processes"]):
        work = tmp_path / f"trial{trial}"
        out, cp = work / "run", work / "run.checkpoint"
        shutil.copytree(old, out)  # a previous complete output the new run must replace safely
        for attempt in range(KILLS + 1):  # KILLS kills, then a run left to finish
            before = _snapshot(cp)
            proc = _start(_cmd(out, executor=executor))
            if attempt < KILLS:
                # every trial kills at each kind of point, with random parameters:
                # t seconds into the fresh run (start-up or simulation), once k of R
                # replications are checkpointed (k from those already there: during start-up
                # and loading), once all R are (just before the output is written), and
                # s seconds after the output's temporary directory appears (writing it,
                # swapping it in, removing the checkpoint, or already finished)
                point = {0: lambda: ("time", rng.uniform(0.1, 0.8) * full),
                         1: lambda: ("after", rng.randint(min(len(before), CLI_REPS - 1), CLI_REPS - 1)),
                         2: lambda: ("after", CLI_REPS),
                         3: lambda: ("writing", rng.uniform(0.0, 0.5))}[attempt]()
                if not _kill_at(proc, cp, point):
                    _, stderr = proc.communicate()
                    assert proc.returncode == 0, stderr
                    finished_first += 1
                    break
                tried += 1
            else:
                stdout, stderr = proc.communicate(timeout=300)
                assert proc.returncode == 0, stderr
                n = int(re.search(rf"^{CLI_REPS} replications(?: \((\d+) from the checkpoint\))?, ", stdout, re.M).group(1) or 0)
                assert n == len(before), "finished replications were redone"
            # OUT is the previous complete output, the new complete one, or absent; never partial
            if out.exists():
                got = output.read_run(out)  # raises on anything incomplete
                assert _tables(out) in (old_tables, want), (trial, attempt, point)
                assert got.manifest["seed"] in (OLD_SEED, CLI_SEED)
            if attempt < KILLS:
                seen["none" if not out.exists() else "new" if _tables(out) == want else "previous"] += 1
            # replications finished before this run were not rewritten by it
            after = _snapshot(cp)
            assert all(after[k] == v for k, v in before.items() if k in after), (trial, attempt)
            if before and after:
                assert set(before) <= set(after)
        # finish whatever is left (a run that finished before its kill point skips this)
        if cp.exists():
            p = subprocess.run(_cmd(out, executor=executor) + ["--quiet"], cwd=ROOT, capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
        assert _tables(out) == want, f"trial {trial}: resumed output differs from the uninterrupted run"
        output.read_run(out)
        assert not cp.exists()
        assert sorted(x.name for x in work.iterdir()) == ["run"], "leftovers beside the output"
    outcome = ", ".join(f"{k} {v}" for k, v in seen.items())
    record_property("count: kill points tried (SIGKILL of caseflow run, then --resume)",
                    f"{tried} (output right after the kill: {outcome}; finished before the kill point: {finished_first})")
    print(f"\nkill points tried: {tried}; output right after the kill: {outcome}; "
          f"runs that finished before their kill point: {finished_first}")
    assert tried >= 9  # the test exercised kills (a kill point reached after the run ended is no kill)
