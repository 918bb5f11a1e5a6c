"""Reading what ``caseflow run`` (and friends) wrote: a run directory becomes a :class:`Run`.

The report reads only files: a run directory through the one reader every command uses
(:func:`sim.run.store.read_run`, with its manifest and gap checks), optional tables other
commands add (a comparison, a calibration fit), and a small file of observed figures.
A missing required table is a :class:`~sim.errors.SpecError` naming it; a missing
optional one is ``None`` and the report says so in its section.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.errors import SpecError
from sim.run.store import read_run

REQUIRED = ("stocks", "flows", "indicators")
MANIFEST_KEYS = ("scenario", "seed", "replications", "years", "version")
# Optional tables of the run itself (listed in its manifest, checked by read_run).
OPTIONAL = ("costs", "goals", "investment")
# Optional tables other commands put beside a run (not in its manifest): looked for by name.
ADDED = {
    "fit": ("fit.csv", "calibration_fit.csv"),
    "validation": ("validation.csv", "heldout.csv"),
}


@dataclass
class Run:
    """One run directory, read."""

    path: Path
    manifest: dict
    stocks: pd.DataFrame
    flows: pd.DataFrame
    indicators: pd.DataFrame
    optional: dict[str, pd.DataFrame | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.manifest["scenario"])

    @property
    def replications(self) -> list[int]:
        return sorted(int(r) for r in self.stocks["replication"].unique())

    def table(self, key: str) -> pd.DataFrame | None:
        return self.optional.get(key)


def _csv(path: Path, needed: tuple[str, ...] = ()) -> pd.DataFrame:
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), "", f"not a readable CSV table: {exc}") from None
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise SpecError(str(path), missing[0], "column missing")
    return df


def load_run(path: str | Path) -> Run:
    """Read a run directory through :func:`sim.run.store.read_run`, which refuses one whose
    files disagree with its manifest or whose replications have gaps; raise
    :class:`SpecError` naming the file if it is not a complete run."""
    p = Path(path)
    if not p.is_dir():
        raise SpecError(str(p), "", "no such run directory (make one with `caseflow run`)")
    stored = read_run(p)
    for k in MANIFEST_KEYS:
        if k not in stored.manifest:
            raise SpecError(str(p / "manifest.json"), k, "missing")
    for name in REQUIRED:
        if name not in stored.tables:
            raise SpecError(str(p / f"{name}.csv"), "", "missing: not a complete caseflow run directory")
    run = Run(path=p, manifest=stored.manifest, stocks=stored["stocks"], flows=stored["flows"],
              indicators=stored["indicators"])
    for key in OPTIONAL:
        run.optional[key] = stored.tables.get(key)
    for key, names in ADDED.items():
        found = next((p / n for n in names if (p / n).is_file()), None)
        run.optional[key] = _csv(found) if found else None
    return run


@dataclass(frozen=True)
class Observation:
    """A published figure for a benefit group, with its source."""

    group: str
    date: str  # ISO date the figure refers to (middle of a quarter, end of a period, ...)
    value: float
    unit: str
    definition: str
    source: str
    note: str = ""


def load_observed(path: str | Path) -> list[Observation]:
    """Observed figures (TOML: ``[[observed]]`` tables with group, date, value, unit, definition, source)."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise SpecError(str(p), "", "no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(str(p), "", f"not valid TOML: {exc}") from None
    out = []
    from sim.report.labels import GROUPS
    for i, row in enumerate(doc.get("observed", [])):
        key = f"observed[{i}]"
        for k in ("group", "date", "value", "unit", "definition", "source"):
            if k not in row:
                raise SpecError(str(p), f"{key}.{k}", "missing")
        if row["group"] not in GROUPS:
            raise SpecError(str(p), f"{key}.group", f"unknown benefit group {row['group']!r}")
        if not isinstance(row["value"], (int, float)) or row["value"] < 0:
            raise SpecError(str(p), f"{key}.value", "must be a non-negative number")
        out.append(Observation(row["group"], str(row["date"]), float(row["value"]), row["unit"],
                               row["definition"], row["source"], row.get("note", "")))
    return out


@dataclass
class Comparison:
    """What a ``caseflow compare`` directory holds besides its run directories (docs/outputs.md)."""

    path: Path
    manifest: dict
    differences: pd.DataFrame | None
    investment: pd.DataFrame | None

    def entry(self, slug: str) -> dict:
        return next((r for r in self.manifest.get("runs", []) if r.get("slug") == slug), {})


def _json(path: Path) -> dict | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def is_comparison(path: str | Path) -> bool:
    m = _json(Path(path) / "manifest.json")
    return bool(m) and "baseline" in m and "runs" in m


def load_comparison(path: str | Path) -> Comparison | None:
    """The comparison directory at ``path``, or None if it is not one."""
    p = Path(path)
    if not is_comparison(p):
        return None
    def opt(name):
        return _csv(p / name) if (p / name).is_file() else None
    return Comparison(p, _json(p / "manifest.json"), opt("differences.csv"), opt("investment.csv"))


def expand(run_dir: str | Path, compare: tuple = ()) -> tuple[Path, list[Path]]:
    """A comparison directory stands for its baseline and scenarios; a run directory for itself."""
    p = Path(run_dir)
    comp = load_comparison(p)
    if comp is None:
        return p, [Path(c) for c in compare]
    base = comp.manifest["baseline"]
    slugs = [r.get("slug") for r in comp.manifest["runs"] if r.get("slug") and r.get("slug") != base]
    for s in [base, *slugs]:
        if not (p / s).is_dir():
            raise SpecError(str(p / "manifest.json"), "runs", f"run directory {s!r} is missing")
    return p / base, [p / s for s in slugs] + [Path(c) for c in compare]
