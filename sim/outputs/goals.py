"""Plan goals as data, judged on the simulated plan indicators: met, at risk or missed.

A goals file (``calibration/goals/*.toml``, named by a scenario's ``[scenario] goals``) lists goals, each comparing one
indicator (a column of ``indicators.csv``) between two 1-January rows — or between an
observed reference and a row, when the model cannot measure the starting value — and
requiring a relative change. Each replication either meets the goal or not; the share
of replications that meet it gives the status (thresholds in the file):
``met`` if share ≥ ``met_share``, ``missed`` if share ≤ ``missed_share``, else
``at risk``; ``not simulated`` if the run does not reach the goal's date
(:func:`sim.outputs.metrics.goal_status`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import SpecError
from sim.outputs.metrics import goal_status
from sim.spec.schema import Node, read_toml

COLUMNS = ["scenario", "goal", "label_da", "indicator", "from_period", "to_period", "required_change",
           "mean_change", "share_met", "status", "source"]


@dataclass(frozen=True)
class Goal:
    name: str
    label_da: str
    indicator: str
    start: dt.date | None  # indicator row compared against, or None with an observed value
    observed: float | None  # observed reference at full scale (multiplied by the run's scale)
    start_label: str
    end: dt.date
    required_change: float  # relative; negative = must fall by at least that much
    source: str


@dataclass(frozen=True)
class Plan:
    name: str
    file: str
    met_share: float
    missed_share: float
    goals: tuple[Goal, ...]


def load_goals(path: str | Path) -> Plan:
    """Read and check a goals file; errors name the file and key (:class:`~sim.errors.SpecError`)."""
    path = Path(path)
    root = Node(read_toml(path), str(path))
    plan = root.node("plan")
    plan.str("municipality")
    name = plan.str("name")
    plan.str("source")
    met = plan.number("met_share", 0.8, lo=0.0, hi=1.0)
    missed = plan.number("missed_share", 0.2, lo=0.0, hi=1.0)
    if missed >= met:
        raise plan.error("missed_share", "must be below met_share")
    plan.done()
    goals = []
    for gname, g in root.node("goals").nodes():
        g.str("unit", choices=("relative change",))
        observed = g.number("from_observed", None, lo=0.0) if g.has("from_observed") else None
        start = g.date("from") if g.has("from") else None
        if (observed is None) == (start is None):
            raise g.error("from", "give exactly one of 'from' (a date) and 'from_observed' (a value)")
        if observed is not None:
            g.str("from_source")
            if observed <= 0:
                raise g.error("from_observed", "must be positive (the change is relative to it)")
        label = g.str("from_label", start.isoformat() if start else "observed")
        goals.append(Goal(name=gname, label_da=g.str("label_da"), indicator=g.str("indicator"),
                          start=start, observed=observed, start_label=label, end=g.date("to"),
                          required_change=g.number("required_change", lo=-1.0, hi=10.0),
                          source=g.str("source")))
        if start is not None and goals[-1].end <= start:
            raise g.error("to", "must be after 'from'")
        g.done()
    root.done()
    return Plan(name=name, file=str(path), met_share=met, missed_share=missed, goals=tuple(goals))


def meets(change: np.ndarray, required: float) -> np.ndarray:
    """A fall of at least |required| (required < 0), or a rise of at least required (≥ 0)."""
    return change <= required + 1e-12 if required < 0 else change >= required - 1e-12


def status(share: float, plan: Plan) -> str:
    """The plan's status word for a share of replications (:func:`sim.outputs.metrics.goal_status`)."""
    return goal_status(share, plan.met_share, plan.missed_share)


def evaluate(plan: Plan, indicators: pd.DataFrame, scale: float = 1.0, scenario: str = "") -> pd.DataFrame:
    """One row per goal: mean relative change, share of replications meeting it, status.

    ``indicators`` is a run's indicators table (one row per replication and 1 January,
    ``date`` as ISO text). Observed references are multiplied by ``scale``.
    """
    rows = []
    for g in plan.goals:
        if g.indicator not in indicators.columns:
            known = [c for c in indicators.columns if c not in ("replication", "date", "week", "year_ending")]
            raise SpecError(plan.file, f"goals.{g.name}.indicator",
                            f"no indicator {g.indicator!r}; known: {', '.join(known)}")
        by_date = indicators.pivot_table(index="replication", columns="date", values=g.indicator)
        end = g.end.isoformat()
        start = g.start.isoformat() if g.start else None
        if end not in by_date.columns or (start is not None and start not in by_date.columns):
            change = np.array([])
        else:
            after = by_date[end].to_numpy(float)
            before = by_date[start].to_numpy(float) if start else np.full_like(after, g.observed * scale)
            with np.errstate(divide="ignore", invalid="ignore"):
                change = np.where(before > 0, after / before - 1.0, np.nan)
        ok = change[~np.isnan(change)]
        share = float(meets(ok, g.required_change).mean()) if ok.size else float("nan")
        rows.append({"scenario": scenario, "goal": g.name, "label_da": g.label_da,
                     "indicator": g.indicator, "from_period": g.start_label, "to_period": end,
                     "required_change": g.required_change,
                     "mean_change": float(ok.mean()) if ok.size else float("nan"),
                     "share_met": share, "status": status(share, plan), "source": g.source})
    return pd.DataFrame(rows, columns=COLUMNS)


def summary(table: pd.DataFrame) -> str:
    """Plain-text lines for the terminal."""
    lines = []
    for _, r in table.iterrows():
        change = "n/a" if np.isnan(r["mean_change"]) else f"{r['mean_change']:+.1%}"
        share = "n/a" if np.isnan(r["share_met"]) else f"{r['share_met']:.0%}"
        lines.append(f"  {r['goal']:24s} need {r['required_change']:+.0%}  simulated {change:>7s}  "
                     f"met in {share:>4s} of replications  → {r['status']}")
    return "\n".join(lines)
