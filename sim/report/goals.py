"""Plan goals as met / at risk / missed, with the share of replications that meet each.

A run that carries its own goals table (``goals.csv``, written by the scenario layer
from a goals file) is shown as it is. A run without one is judged here against the
four goals of Beskæftigelsesplan 2015 for Jobcenter Aalborg (004, Bilag 1), from the
run's indicators, so the report never leaves the goals out silently.

Status rule (the same for every goal): the probability of meeting the goal is the share
of replications that meet it. **Met** when at least 80 % do, **missed** when at most
20 % do, **at risk** in between: an even chance is not a plan a committee can rely on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

MET_AT = 0.8
MISSED_AT = 0.2


def status(share_met: float, met_at: float = MET_AT, missed_at: float = MISSED_AT) -> str:
    """``"met"``, ``"at_risk"``, ``"missed"``; ``"unknown"`` for a missing share."""
    if share_met is None or not math.isfinite(share_met):
        return "unknown"
    if not 0 <= share_met <= 1:
        raise ValueError(f"share of replications must be in [0, 1], got {share_met}")
    if share_met >= met_at:
        return "met"
    if share_met <= missed_at:
        return "missed"
    return "at_risk"


@dataclass(frozen=True)
class Goal:
    """Relative change of an indicator between two 1 Januarys, compared with a target."""

    key: str
    indicator: str  # column of indicators.csv
    start: str  # ISO date of the reference value
    end: str  # ISO date of the judged value
    target: float  # relative change, e.g. -0.04
    direction: str  # "fall" (change <= target) or "rise" (change >= target)
    label_da: str
    label_en: str
    source: str


PLAN_2015 = (
    Goal("unge_under_30", "under_30_public_support", "2015-01-01", "2016-01-01", -0.04, "fall",
         "Unge under 30 år på offentlig forsørgelse falder med mindst 4 % fra ultimo 2014 til ultimo 2015",
         "Under-30s on public support fall by at least 4 % from end-2014 to end-2015",
         "Beskæftigelsesplan 2015 for Jobcenter Aalborg (004), Bilag 1, mål 1"),
    Goal("langtidsledige", "long_term_unemployed", "2015-01-01", "2016-01-01", -0.05, "fall",
         "Langtidsledige (i ledighed og aktivering) falder med mindst 5 % fra ultimo 2014 til ultimo 2015",
         "Long-term unemployed (unemployed or in activation) fall by at least 5 % from end-2014 to end-2015",
         "Beskæftigelsesplan 2015 for Jobcenter Aalborg (004), Bilag 1, mål 2"),
    Goal("dagpengeudfald", "lost_dagpenge_in_year", "2015-01-01", "2016-01-01", -0.05, "fall",
         "Antallet der mister dagpengeretten falder med mindst 5 % i 2015 i forhold til 2014",
         "Persons losing the right to dagpenge fall by at least 5 % in 2015 against 2014",
         "Beskæftigelsesplan 2015 for Jobcenter Aalborg (004), Bilag 1, mål 3"),
    Goal("virksomhedsplaceringer", "company_placements", "2015-01-01", "2016-01-01", 0.10, "rise",
         "Virksomhedsplaceringer for alle målgrupper stiger med mindst 10 % i forhold til ultimo 2014",
         "Company placements for all target groups rise by at least 10 % against end-2014",
         "Beskæftigelsesplan 2015 for Jobcenter Aalborg (004), Bilag 1, mål 4"),
)


@dataclass(frozen=True)
class Judged:
    goal: Goal | None
    label: str
    share_met: float  # NaN when it cannot be judged
    status: str
    median_change: float  # relative change, median over replications (NaN if unknown)
    reason: str = ""  # why it cannot be judged


def judge(goal: Goal, indicators: pd.DataFrame, lang: str = "da") -> Judged:
    """Share of replications in which ``goal`` is met, from a run's indicators table.

    A goal is not judged (status ``unknown``) when the run does not cover both dates or
    the reference value is zero in some replication (a relative change from zero is
    meaningless): e.g. event counts for the year before the run starts are not simulated.
    """
    label = goal.label_da if lang == "da" else goal.label_en
    da = lang == "da"
    if goal.indicator not in indicators.columns:
        return Judged(goal, label, math.nan, "unknown", math.nan,
                      "indikatoren findes ikke i kørslen" if da else "indicator not in the run")
    ind = indicators.assign(date=indicators["date"].astype(str))
    a = ind[ind["date"] == goal.start].set_index("replication")[goal.indicator]
    b = ind[ind["date"] == goal.end].set_index("replication")[goal.indicator]
    common = a.index.intersection(b.index)
    if len(common) == 0:
        return Judged(goal, label, math.nan, "unknown", math.nan,
                      f"kørslen dækker ikke både {goal.start} og {goal.end}" if da else
                      f"the run does not cover both {goal.start} and {goal.end}")
    a, b = a.loc[common].astype(float), b.loc[common].astype(float)
    if (a <= 0).any():
        return Judged(goal, label, math.nan, "unknown", math.nan,
                      f"udgangsværdien {goal.start} er nul i kørslen (året før start simuleres ikke, "
                      "eller ingen er i gruppen endnu)" if da else
                      f"the reference value at {goal.start} is zero in the run "
                      "(the year before the start is not simulated, or no one is in the group yet)")
    change = b / a - 1
    meets = change <= goal.target if goal.direction == "fall" else change >= goal.target
    share = float(meets.mean())
    return Judged(goal, label, share, status(share), float(change.median()))


def from_table(goals: pd.DataFrame, lang: str = "da", scenario: str | None = None) -> list[Judged]:
    """Read a ``goals.csv`` written by ``caseflow run`` / ``compare`` (docs/outputs.md).

    Columns are found by name, in this order of preference: label (``label_da`` or
    ``label_en`` by language, ``label``, ``goal``), share (``share_met``, ``probability``),
    change (``mean_change``), target (``required_change``), ``source`` and ``status``. A
    status written as words ("at risk") is normalised; a missing one is derived from the
    share with :func:`status`. With ``scenario``, only that scenario's rows (a comparison's
    goals table holds every scenario).
    """
    def col(*names):
        cols = {c.lower(): c for c in goals.columns}
        return next((cols[n] for n in names if n in cols), None)
    if scenario is not None and "scenario" in goals.columns and (goals["scenario"] == scenario).any():
        goals = goals[goals["scenario"] == scenario]
    lab = col("label_da" if lang == "da" else "label_en", "label", "label_en", "label_da", "goal", "name", "key")
    share = col("share_met", "probability", "share", "p_met")
    change = col("mean_change", "median_change", "change")
    target = col("required_change", "target")
    source = col("source")
    st = col("status")
    out = []
    for _, row in goals.iterrows():
        p = float(row[share]) if share and pd.notna(row[share]) else math.nan
        s = str(row[st]).strip().lower().replace(" ", "_").replace("-", "_") if st and pd.notna(row[st]) else ""
        if s not in ("met", "at_risk", "missed", "unknown"):
            s = status(p)
        goal = None
        if target and pd.notna(row[target]):
            t = float(row[target])
            goal = Goal(str(row[col("goal", "key") or lab]), str(row[col("indicator") or lab]), "", "", t,
                        "fall" if t < 0 else "rise", str(row[lab]), str(row[lab]),
                        str(row[source]) if source and pd.notna(row[source]) else "")
        ch = float(row[change]) if change and pd.notna(row[change]) else math.nan
        out.append(Judged(goal, str(row[lab]) if lab else "?", p, s, ch))
    return out
