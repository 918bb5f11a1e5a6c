"""Plan goals on the page: met / at risk / missed, with the probability of meeting each.

Goals are data, never code: a run's own goals table (``goals.csv``, written by ``caseflow
run`` / ``compare`` from a goals file) is shown as it is; a run without one is judged
here against the goals file its scenario names (``[scenario] goals``), with the same
function the commands use (:func:`sim.outputs.goals.evaluate`). The status words and
their thresholds (``met_share``, ``missed_share``) are the goals file's
(:func:`sim.outputs.metrics.goal_status`); the probability of meeting a goal is the
share of replications that meet it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sim.outputs import metrics
from sim.outputs.goals import Plan, evaluate


def css(status: str) -> str:
    """A status word as a CSS class and label key: ``at risk`` → ``at_risk``."""
    return status.replace(" ", "_")


@dataclass(frozen=True)
class Judged:
    """One goal as the page shows it."""

    label: str
    share_met: float  # probability of meeting the goal; NaN when it cannot be judged
    status: str  # a word of sim.outputs.metrics.GOAL_STATUSES
    mean_change: float  # relative change, mean over replications (NaN if unknown)
    target: float  # required relative change (NaN if the table does not say)
    source: str = ""


def from_plan(plan: Plan, indicators: pd.DataFrame, scale: float = 1.0) -> list[Judged]:
    """Judge ``plan`` on a run's indicators exactly as ``caseflow run`` writes goals.csv."""
    return from_table(evaluate(plan, indicators, scale), plan=plan)


def from_table(goals: pd.DataFrame, scenario: str | None = None, plan: Plan | None = None) -> list[Judged]:
    """Read a ``goals.csv`` written by ``caseflow run`` / ``compare`` (docs/outputs.md).

    Columns by name (:data:`sim.outputs.goals.COLUMNS`): ``label_da`` (else ``goal``),
    ``share_met``, ``status``, ``mean_change``, ``required_change``, ``source``. The
    table's status is shown as written; a table without one gets it from the share and
    the thresholds of ``plan`` (the goals file), or ``not simulated`` without a plan.
    With ``scenario``, only that scenario's rows (a comparison's goals table holds every
    scenario).
    """
    if scenario is not None and "scenario" in goals.columns and (goals["scenario"] == scenario).any():
        goals = goals[goals["scenario"] == scenario]

    def value(row, name: str) -> float:
        try:
            v = float(row[name]) if name in row and pd.notna(row[name]) else math.nan
        except (TypeError, ValueError):
            v = math.nan
        return v

    out = []
    for _, row in goals.iterrows():
        share = value(row, "share_met")
        status = str(row["status"]).strip() if "status" in row and pd.notna(row["status"]) else ""
        if status not in metrics.GOAL_STATUSES:
            status = (metrics.goal_status(share, plan.met_share, plan.missed_share) if plan
                      else metrics.NOT_SIMULATED)
        label = next((str(row[c]) for c in ("label_da", "goal") if c in row and pd.notna(row[c])), "?")
        source = str(row["source"]) if "source" in row and pd.notna(row["source"]) else ""
        out.append(Judged(label, share, status, value(row, "mean_change"), value(row, "required_change"),
                          source))
    return out
