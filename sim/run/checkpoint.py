"""Checkpoints: every finished replication saved at once, so an interrupted run resumes.

Layout (next to the output directory ``OUT``)::

    OUT.checkpoint/
        manifest.json        the run's identity: scenario digests, seed, years, engine,
                             scale, replications, caseflow version
        rep-000000.npz       one finished replication: its tables, column by column
        rep-000001.npz       (NumPy arrays, no pickle: exact floats, safe to load)
        ...

Each file appears complete or not at all (written beside, then renamed), so a run
killed at any point leaves only whole replications. Resuming checks the identity
and refuses a checkpoint that belongs to a different run. Replications depend only
on (scenario, seed, replication id), so results rebuilt from a checkpoint are
bit-identical to an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.errors import SpecError

FORMAT = 1
_REP = re.compile(r"^rep-(\d{6})\.npz$")


def identity(scenario, years: float, seed: int, replications: int, engine: str) -> dict[str, Any]:
    """What makes two runs the same run. ``scenario_content`` hashes the resolved scenario,
    so a scenario changed in Python (``with_hazard``) is a different run even though its
    files are the same."""
    return {  # the most telling keys first: the first difference names the error
        "format": FORMAT,
        "seed": int(seed), "years": float(years), "engine": engine,
        "scale": float(scenario.scale), "replications": int(replications),
        "scenario": scenario.name,
        "scenario_sha256": scenario.digest,
        "scenario_content_sha256": hashlib.sha256(repr(scenario).encode()).hexdigest(),
        "version": __version__,
    }


class Checkpoint:
    """A run's checkpoint directory; see the module docstring for its layout."""

    def __init__(self, path: str | Path, ident: dict[str, Any]) -> None:
        self.path = Path(path)
        self.identity = ident

    @classmethod
    def open(cls, path: str | Path, ident: dict[str, Any], resume: bool) -> "Checkpoint":
        """Create the checkpoint, or (with ``resume``) reopen an existing one of the same run.

        An existing checkpoint without ``resume`` is an error, not silently discarded:
        it holds finished work (one with no finished replication holds none and is replaced).
        """
        cp = cls(path, ident)
        manifest = cp.path / "manifest.json"
        for stale in cp.path.parent.glob(f".{cp.path.name}.done-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if cp.path.exists() and not resume and not any(_REP.match(f.name) for f in cp.path.iterdir()):
            shutil.rmtree(cp.path)  # no finished replication in it: nothing to keep
        if cp.path.exists():
            if not resume:
                raise SpecError(str(cp.path), "--resume",
                                "a checkpoint of an interrupted run is here; add --resume to continue it, "
                                "or delete the directory to start again")
            try:
                old = json.loads(manifest.read_text())
            except (OSError, ValueError) as exc:
                raise SpecError(str(manifest), "manifest", f"unreadable checkpoint manifest: {exc}") from exc
            diff = [k for k in ident if old.get(k) != ident[k]]
            if diff:
                what = "; ".join(f"{k}: {old.get(k)!r} there, {ident[k]!r} now" for k in diff)
                raise SpecError(str(manifest), diff[0],
                                f"this checkpoint belongs to a different run ({what}); "
                                "use the same arguments to resume, or delete it to start again")
            return cp
        cp.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = cp.path.with_name(f".{cp.path.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        (tmp / "manifest.json").write_text(json.dumps(ident, indent=2) + "\n")
        os.replace(tmp, cp.path)
        return cp

    def done(self) -> dict[int, dict]:
        """The finished replications: ``{replication: result}``. An unreadable file (which
        atomic writes make unlikely) is skipped, so that replication simply runs again."""
        out: dict[int, dict] = {}
        n = self.identity["replications"]
        for f in sorted(self.path.iterdir()):
            m = _REP.match(f.name)
            if not m or int(m.group(1)) >= n:
                continue
            try:
                out[int(m.group(1))] = load_result(f)
            except (OSError, ValueError, KeyError):
                continue
        return out

    def save(self, replication: int, result: dict) -> None:
        """Save one finished replication (atomically: a reader sees all of it or none)."""
        final = self.path / f"rep-{replication:06d}.npz"
        tmp = self.path / f".rep-{replication:06d}.tmp-{os.getpid()}.npz"
        save_result(tmp, result)
        os.replace(tmp, final)



def discard(path: str | Path) -> None:
    """Remove a checkpoint once its run is written: renamed aside first (one atomic step),
    so a kill during the deletion never leaves a half checkpoint that ``--resume`` would
    meet; leftovers of such a kill are deleted by the next :meth:`Checkpoint.open`."""
    path = Path(path)
    if not path.exists():
        return
    trash = path.with_name(f".{path.name}.done-{os.getpid()}")
    shutil.rmtree(trash, ignore_errors=True)
    os.replace(path, trash)
    shutil.rmtree(trash, ignore_errors=True)


# -- one replication's result as plain arrays ---------------------------------------------
def save_result(path: Path, result: dict) -> None:
    """``result`` = {"tables": {name: DataFrame}, plus JSON-able scalars}; no pickle."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {k: v for k, v in result.items() if k != "tables"}
    meta["tables"] = {}
    for t, (name, df) in enumerate(result["tables"].items()):
        cols = []
        for c, col in enumerate(df.columns):
            s = df[col]
            if s.dtype.kind in "biuf":
                arr = s.to_numpy()
            else:
                if s.isna().any():
                    raise ValueError(f"table {name!r} column {col!r}: missing values cannot be checkpointed")
                arr = s.to_numpy(dtype=str)
            arrays[f"t{t}c{c}"] = arr
            cols.append([str(col), str(s.dtype)])
        meta["tables"][name] = cols
    arrays["meta"] = np.array(json.dumps(meta))
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
        fh.flush()
        os.fsync(fh.fileno())


def load_result(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        tables = {}
        for t, (name, cols) in enumerate(meta.pop("tables").items()):
            data = {}
            for c, (col, dtype) in enumerate(cols):
                arr = z[f"t{t}c{c}"]
                data[col] = arr if arr.dtype.kind in "biuf" else pd.Series(arr.astype(object)).astype(dtype)
            tables[name] = pd.DataFrame(data)
    meta["tables"] = tables
    return meta
