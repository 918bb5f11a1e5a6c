"""The forecast report: one self-contained HTML page (Danish by default) from run directories.

``build(run_dir, compare=..., lang="da", out="report.html")``; the CLI is
``caseflow report`` (sim/commands/report.py). Modules: format (Danish numbers), labels
(words), data (reading runs), analysis (bands, flows, paired differences), goals
(met / at risk / missed), charts (matplotlib), html (the page), build (assembly).
"""

from sim.report.build import build

__all__ = ["build"]
