"""Writing a run to disk all or nothing, and reading it back only if it is whole.

``write`` fills a temporary directory beside ``OUT``, writes ``manifest.json`` last, and
swaps it in with renames: an existing ``OUT`` is first renamed aside (one atomic step),
the new directory renamed into place (another), and only then is the old one deleted.
A run killed at any moment therefore leaves ``OUT`` as the previous complete output,
the new complete output, or absent (killed between the two renames: the previous output
is still whole under ``.OUT.old-*`` and the next ``write`` tidies it up) — never a
partial directory that looks complete.

The manifest counts replications and lists every file with its row count and SHA-256;
:func:`read_run` refuses a directory whose files disagree with it or whose replication
ids have gaps.

Files: every per-replication table of :data:`sim.run.runner.TABLES` is written as
``NAME.csv``; summaries over replications are listed in :data:`SUMMARIES`.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from sim import __version__, engines
from sim.errors import SpecError
from sim.run.runner import Results


def _stock_summary(res: Results) -> pd.DataFrame:
    return res.stock_bands("fte")


def _indicator_summary(res: Results) -> pd.DataFrame:
    return res.indicator_bands()


def _cost_summary(res: Results) -> pd.DataFrame | None:
    """Net municipal DKK per year and state (benefits and activation): mean and bands;
    None for a run without cost tables."""
    from sim.outputs.costs import bands
    return bands(res.costs, by=("year", "state")) if res.costs is not None else None


# (file name, function(Results) -> DataFrame or None): tables over all replications together.
SUMMARIES: list[tuple[str, Callable[[Results], pd.DataFrame | None]]] = [
    ("stocks_summary.csv", _stock_summary),
    ("indicators_summary.csv", _indicator_summary),
    ("costs_summary.csv", _cost_summary),
]


def files(results: Results, extra: dict | None = None) -> list[tuple[str, pd.DataFrame, bool]]:
    """What ``write`` writes: (file name, table, per replication?) in order."""
    out = [(f"{name}.csv", df, True) for name, df in results.tables.items()]
    out += [(name, df, False) for name, df in ((name, fn(results)) for name, fn in SUMMARIES) if df is not None]
    out += [(name, df, False) for name, df in (extra or {}).items() if df is not None]
    return out


# What a manifest of caseflow's says it is: an output directory holding one may be replaced.
TOOL = "caseflow"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def check_out(out: str | Path, *, option: str = "--out") -> Path:
    """Refuse an output path caseflow must not replace; called before any work.

    ``out`` may be missing, an empty directory, or a directory that caseflow wrote (its
    ``manifest.json`` says so). Anything else — a file, a directory of the user's, the
    project's folder or one holding it, the working directory or one above it, the home
    directory or one above it — is refused with one line naming the option, and
    nothing is touched.
    """
    path = Path(out)
    resolved = path.resolve()
    for place, what in ((Path.cwd().resolve(), "the working directory"),
                        (PROJECT_ROOT, "the project's folder"),
                        (Path.home().resolve(), "the home directory")):
        if resolved == place or resolved in place.parents:
            raise SpecError("<command line>", option,
                            f"{str(out)!r} is {what} or a folder above it: caseflow replaces its "
                            "output directory whole, so give it one of its own (e.g. out/run)")
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise SpecError("<command line>", option,
                        f"{str(out)!r} exists and is not a directory: choose another path")
    if path.is_dir() and any(path.iterdir()) and not is_caseflow_output(path):
        raise SpecError("<command line>", option,
                        f"{str(out)!r} holds files that caseflow did not write (no caseflow "
                        "manifest.json): choose another path, or empty it yourself")
    return path


def is_caseflow_output(path: str | Path) -> bool:
    """Whether ``path`` is a directory that caseflow wrote: its manifest names caseflow
    (or, for runs written before manifests did, has a run's ``files`` listing)."""
    try:
        data = json.loads((Path(path) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and (data.get("tool") == TOOL
                                       or {"files", "seed", "version"} <= data.keys())


def write(results: Results, out: str | Path, engine: str | None = None, wall: float = 0.0,
          extra: dict | None = None) -> Path:
    """Write ``results`` to the directory ``out`` atomically (see the module docstring);
    ``extra`` maps more file names to tables made outside the runner (e.g. goals.csv)."""
    out = check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    tmp = fresh_dir(out, "tmp")
    try:
        listing = {}
        for name, df, per_rep in files(results, extra):
            path = tmp / name
            df.to_csv(path, index=False)
            listing[name] = {"rows": len(df), "sha256": _sha256(path)}
            if per_rep:  # rows of each replication 0..N-1, so the loader can see a gap
                counts = df["replication"].value_counts()
                listing[name]["rows_per_replication"] = [int(counts.get(r, 0))
                                                         for r in range(results.replications)]
        manifest = {
            "tool": TOOL,
            "scenario": results.scenario.name, "scenario_file": results.scenario.file,
            "scenario_sha256": results.scenario.digest, "seed": results.seed,
            "replications": results.replications, "years": results.years,
            "scale": results.scenario.scale, "engine": engine or results.engine,
            "engine_implementation": engines.label(engine or results.engine),
            "version": __version__, "python": platform.python_version(),
            "wall_seconds": round(wall, 3), "persons": results.persons, "events": results.events,
            "files": listing,
        }
        _write_synced(tmp / "manifest.json", json.dumps(manifest, indent=2) + "\n")
        swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def swap_in(tmp: Path, out: Path) -> None:
    """Put the complete directory ``tmp`` (made by :func:`fresh_dir` beside ``out``) in
    place of ``out``: the old one is renamed aside, ``tmp`` renamed in, the old one deleted.
    Each step is one atomic rename, so ``out`` is never a mix of old and new. Only an
    empty directory or one caseflow wrote is ever replaced (:func:`check_out`)."""
    check_out(out)
    old = None
    if out.exists():
        old = fresh_dir(out, "old")
        os.replace(out, old / out.name)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def fresh_dir(out: Path, kind: str) -> Path:
    """A new hidden directory beside ``out`` named with this process id (made with the
    user's umask, unlike ``tempfile.mkdtemp``'s private 0700)."""
    while True:
        p = out.parent / f".{out.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            p.mkdir()
            return p
        except FileExistsError:
            continue


def recover(out: str | Path) -> None:
    """Tidy what killed writers left beside ``out``: half-written temporary directories are
    deleted; a previous output set aside is put back if ``out`` itself is missing (the
    writer was killed between its two renames), else deleted. Directories of writers
    still running are left alone."""
    out = Path(out)
    for p in sorted(out.parent.glob(f".{out.name}.old-*")):
        if _alive(p.name):
            continue
        kept = p / out.name
        if not out.exists() and (kept / "manifest.json").exists():
            os.replace(kept, out)
        shutil.rmtree(p, ignore_errors=True)
    for p in out.parent.glob(f".{out.name}.tmp-*"):
        if not _alive(p.name):
            shutil.rmtree(p, ignore_errors=True)


def _alive(name: str) -> bool:
    """Whether the process whose id is in a temporary name (``.OUT.tmp-PID-xxx``) still runs."""
    try:
        pid = int(name.rsplit(".", 1)[1].split("-")[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_synced(path: Path, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


# -- reading -------------------------------------------------------------------------------
@dataclass
class StoredRun:
    """A run directory read back: its manifest and its tables by file stem."""

    path: Path
    manifest: dict
    tables: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def read_run(path: str | Path) -> StoredRun:
    """Read a run directory written by :func:`write`, refusing anything incomplete.

    Raises :class:`~sim.errors.SpecError` naming the file when the manifest is missing,
    a listed file is missing or differs (rows, SHA-256), or a per-replication table does
    not hold exactly replications 0 … N-1 of the manifest.
    """
    path = Path(path)
    mpath = path / "manifest.json"
    try:
        manifest = json.loads(mpath.read_text())
    except FileNotFoundError:
        raise SpecError(str(mpath), "manifest", "no manifest: not a complete caseflow run directory") from None
    except (OSError, ValueError) as exc:
        raise SpecError(str(mpath), "manifest", f"unreadable manifest: {exc}") from None
    n = manifest.get("replications")
    listing = manifest.get("files")
    if not isinstance(n, int) or n < 1 or not isinstance(listing, dict):
        raise SpecError(str(mpath), "replications", "manifest lacks a replication count or file list")
    tables = {}
    present = set()
    for name, info in listing.items():
        if not isinstance(name, str) or Path(name).name != name or name.startswith("."):
            raise SpecError(str(mpath), "files", f"{name!r} is not a plain file name in the run directory")
        f = path / name
        if not f.is_file():
            raise SpecError(str(f), name, "listed in the manifest but missing")
        if _sha256(f) != info.get("sha256"):
            raise SpecError(str(f), name, "contents differ from the manifest (truncated or edited)")
        df = pd.read_csv(f)
        if len(df) != info.get("rows"):
            raise SpecError(str(f), name, f"{len(df)} rows, the manifest says {info.get('rows')}")
        per_rep = info.get("rows_per_replication")
        if per_rep is not None:
            _check_replications(f, df, n, per_rep)
            present.update(int(r) for r in df["replication"].unique())
        tables[name.removesuffix(".csv")] = df
    gaps = sorted(set(range(n)) - present)
    if gaps:  # a replication with no row in any table was lost, whatever the counts say
        raise SpecError(str(mpath), "replications",
                        f"the manifest counts {n} replications but {len(gaps)} have no rows (e.g. {gaps[:5]})")
    return StoredRun(path, manifest, tables)


def _check_replications(f: Path, df: pd.DataFrame, n: int, expected: list) -> None:
    """Replication ids exactly 0 … n-1 with the row counts the manifest recorded."""
    if len(expected) != n:
        raise SpecError(str(f), "replication",
                        f"the manifest counts {n} replications but lists rows for {len(expected)}")
    if "replication" not in df.columns:
        raise SpecError(str(f), "replication", "no replication column")
    counts = df["replication"].value_counts()
    extra = sorted(int(r) for r in counts.index if not 0 <= r < n)
    wrong = [r for r in range(n) if int(counts.get(r, 0)) != expected[r]]
    missing = [r for r in wrong if counts.get(r, 0) == 0]
    if extra or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[:5]})")
        if len(wrong) > len(missing):
            parts.append(f"{len(wrong) - len(missing)} with the wrong number of rows")
        if extra:
            parts.append(f"unexpected ids {extra[:5]}")
        raise SpecError(str(f), "replication",
                        f"the manifest counts {n} replications; here " + ", ".join(parts))
