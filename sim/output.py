"""Writing a run to disk: all or nothing (temporary directory, then rename)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from pathlib import Path

from . import __version__
from .runner import Results


def write(results: Results, out: str | Path, engine: str = "simpy", wall: float = 0.0,
          extra: dict | None = None) -> Path:
    """Write a run's tables; ``extra`` maps more file names to DataFrames (e.g. goals.csv)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        results.stocks.to_csv(tmp / "stocks.csv", index=False)
        results.stock_bands("fte").to_csv(tmp / "stocks_summary.csv", index=False)
        results.flows.to_csv(tmp / "flows.csv", index=False)
        results.activation.to_csv(tmp / "activation.csv", index=False)
        results.indicators.to_csv(tmp / "indicators.csv", index=False)
        results.indicator_bands().to_csv(tmp / "indicators_summary.csv", index=False)
        for name, table in (extra or {}).items():
            table.to_csv(tmp / name, index=False)
        manifest = {
            "scenario": results.scenario.name, "scenario_file": results.scenario.file,
            "scenario_sha256": results.scenario.digest, "seed": results.seed,
            "replications": results.replications, "years": results.years,
            "scale": results.scenario.scale, "engine": engine, "version": __version__,
            "python": platform.python_version(), "wall_seconds": round(wall, 3),
            "persons": results.persons, "events": results.events,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
