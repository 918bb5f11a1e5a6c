"""Honest comparison of scenarios: common random numbers and paired differences.

Every scenario runs with the same root seed and replication ids, so replication *r*
of the baseline and of a scenario share every citizen's random streams
(:mod:`sim.model.rng`): the difference of the two is mostly the policy's effect, not noise.
Per state (full-time persons, average over each calendar year) and per plan indicator
(each 1 January) we report the mean paired difference and its t-interval over the
replications; a difference is *distinguishable* when the interval excludes zero.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.spec.calendar import Calendar
from sim.outputs.goals import Plan, evaluate
from sim.outputs.metrics import CONFIDENCE, paired_difference
from sim.run.runner import Results, run
from sim.spec.scenario import Scenario

DIFF_COLUMNS = ["scenario", "measure", "name", "period", "baseline", "value", "difference",
                "ci_low", "ci_high", "se", "replications", "distinguishable"]


@dataclass
class Comparison:
    slugs: list[str]  # baseline first
    results: list[Results]
    differences: pd.DataFrame
    goals: pd.DataFrame
    costs: pd.DataFrame | None = None  # extension point: sim.outputs.costs (see _costs)
    meta: dict = field(default_factory=dict)

    @property
    def baseline(self) -> Results:
        return self.results[0]


def slugs_for(paths: list[str]) -> list[str]:
    """File stems, made unique in command-line order (``x``, ``x-2``, …)."""
    out: list[str] = []
    for p in paths:
        stem = Path(p).stem
        slug, k = stem, 2
        while slug in out:
            slug, k = f"{stem}-{k}", k + 1
        out.append(slug)
    return out


def compare(scenarios: list[Scenario], slugs: list[str], years: float, replications: int,
            seed: int, plan: Plan | None = None, workers: int = 1, progress: bool = False,
            confidence: float = CONFIDENCE, **engine_args) -> Comparison:
    """Run every scenario with the same seed and replication ids; pair and difference them.

    ``engine_args`` (``engine=``, ``executor=``) are passed to :func:`sim.run.runner.run` when
    it accepts them.
    """
    accepted = inspect.signature(run).parameters
    extra = {k: v for k, v in engine_args.items() if k in accepted and v is not None}
    results = [run(sc, years, replications, seed, workers, progress, **extra) for sc in scenarios]
    diffs = [differences(results[0], r, slug, confidence) for r, slug in zip(results[1:], slugs[1:])]
    goals = pd.concat([evaluate(plan, r.indicators, r.scenario.scale, slug)
                       for r, slug in zip(results, slugs)], ignore_index=True) if plan else pd.DataFrame()
    costs = _costs(results, slugs, confidence)
    diff = pd.concat(diffs + ([costs] if costs is not None else []), ignore_index=True) \
        if diffs else pd.DataFrame(columns=DIFF_COLUMNS)
    return Comparison(slugs, results, diff, goals, costs)


# ---------------------------------------------------------------------------
# Paired differences
# ---------------------------------------------------------------------------
def yearly_fte(res: Results) -> pd.DataFrame:
    """Full-time persons per replication, state and calendar year (mean of the weekly values).

    Week row ``w ≥ 1`` covers model time (w−1, w]; it belongs to the year holding its middle.
    """
    cal = Calendar(res.scenario.start)
    st = res.stocks[res.stocks["week"] > 0]
    total = st.groupby(["replication", "week", "state"], sort=False)["fte"].sum().reset_index()
    weeks = np.sort(total["week"].unique())
    year_of = {w: cal.date(w - 0.5).year for w in weeks}
    total["period"] = total["week"].map(year_of).astype(str)
    out = total.groupby(["replication", "state", "period"], sort=False)["fte"].mean().reset_index()
    return out.rename(columns={"state": "name", "fte": "x"})


def indicator_long(res: Results) -> pd.DataFrame:
    ind = res.indicators
    cols = [c for c in ind.columns if c not in ("replication", "date", "week", "year_ending")]
    long = ind.melt(id_vars=["replication", "date"], value_vars=cols, var_name="name", value_name="x")
    return long.rename(columns={"date": "period"})


def differences(base: Results, alt: Results, slug: str, confidence: float = CONFIDENCE) -> pd.DataFrame:
    if base.replications != alt.replications or base.seed != alt.seed:
        raise ValueError("paired differences need the same seed and replications")
    parts = []
    for measure, f in (("fte", yearly_fte), ("indicator", indicator_long)):
        d = paired_difference(f(base), f(alt), ["name", "period"], "x", confidence)
        d.insert(0, "measure", measure)
        parts.append(d)
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "scenario", slug)
    return out[DIFF_COLUMNS]


def cost_long(res: Results) -> pd.DataFrame:
    """Net municipal cost (DKK) per replication, kind (benefit, activation, total) and year."""
    c = res.costs
    by_kind = c.groupby(["replication", "kind", "year"], sort=True)["net_municipal_dkk"].sum().reset_index()
    total = c.groupby(["replication", "year"], sort=True)["net_municipal_dkk"].sum().reset_index()
    total["kind"] = "total"
    out = pd.concat([by_kind, total], ignore_index=True)
    out["name"] = "net_municipal_dkk:" + out["kind"]
    out["period"] = out["year"].astype(str)
    return out.rename(columns={"net_municipal_dkk": "x"})[["replication", "name", "period", "x"]]


def _costs(results: list[Results], slugs: list[str], confidence: float) -> pd.DataFrame | None:
    """Paired net municipal cost differences (``measure = "cost"``) from :mod:`sim.outputs.costs`.

    None when the runner produced no cost tables (an engine without the arrays costs need).
    """
    if any(r.costs is None for r in results):
        return None
    base = cost_long(results[0])
    parts = []
    for r, slug in zip(results[1:], slugs[1:]):
        d = paired_difference(base, cost_long(r), ["name", "period"], "x", confidence)
        d.insert(0, "measure", "cost")
        d.insert(0, "scenario", slug)
        parts.append(d[DIFF_COLUMNS])
    return pd.concat(parts, ignore_index=True) if parts else None


def investments(comp: "Comparison") -> pd.DataFrame | None:
    """The investment view per scenario (sim.outputs.costs.investment): payback and savings by year."""
    if comp.costs is None:
        return None
    from sim.outputs.costs import investment
    rows = []
    for r, slug in zip(comp.results[1:], comp.slugs[1:]):
        inv = investment(comp.baseline.costs, r.costs)
        y = inv.years.copy()
        y.insert(0, "scenario", slug)
        pb = inv.payback.iloc[0].to_dict()
        for k, v in pb.items():
            y[k] = v
        rows.append(y)
    return pd.concat(rows, ignore_index=True) if rows else None


def summary(comp: Comparison, states: tuple[str, ...] | None = None) -> str:
    """Terminal summary: full-time person differences in the last full year, and goals."""
    lines = []
    d = comp.differences
    fte = d[d["measure"] == "fte"]
    if not fte.empty:
        years = sorted(fte["period"].unique())
        weeks_last = comp.baseline.stocks["week"].max()
        last = years[-1] if len(years) == 1 or weeks_last % 52 == 0 else years[-2]
        names = states or tuple(s for s in comp.baseline.scenario.state_names if s != "outside")
        lines.append(f"full-time persons in {last}: scenario − baseline, mean [{CONFIDENCE:.0%} interval]"
                     f"  (* = distinguishable from noise)")
        header = f"{'state':36s}" + "".join(f"{s[:22]:>26s}" for s in comp.slugs[1:])
        lines.append(header)
        for name in names:
            cells = ""
            for slug in comp.slugs[1:]:
                row = fte[(fte["scenario"] == slug) & (fte["name"] == name) & (fte["period"] == last)]
                if row.empty:
                    cells += f"{'':>26s}"
                    continue
                r = row.iloc[0]
                mark = "*" if r["distinguishable"] else " "
                cells += f"{r['difference']:>+9.1f} [{r['ci_low']:+.0f},{r['ci_high']:+.0f}]{mark}".rjust(26)
            lines.append(f"{name:36s}{cells}")
    if not comp.goals.empty:
        lines.append("\nplan goals (share of replications meeting each goal → status):")
        piv = comp.goals.pivot(index="goal", columns="scenario", values="status")[comp.slugs]
        share = comp.goals.pivot(index="goal", columns="scenario", values="share_met")[comp.slugs]
        lines.append(f"{'goal':24s}" + "".join(f"{s[:22]:>24s}" for s in comp.slugs))
        for goal in piv.index:
            cells = "".join(
                f"{('n/a' if np.isnan(share.loc[goal, s]) else format(share.loc[goal, s], '.0%'))} {piv.loc[goal, s]}".rjust(24)
                for s in comp.slugs)
            lines.append(f"{goal:24s}{cells}")
    return "\n".join(lines)
