"""The figures the report shows, computed from a run's tables.

Everything is per replication first, then summarised over replications, so every
number has its Monte Carlo band; bands, differences (paired when the runs share a seed)
and payback years are :mod:`sim.outputs.metrics`, the functions the commands' CSVs use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from sim.outputs import metrics
from sim.report import labels
from sim.report.data import Run

TOTAL = "total"
MIN_WEEKS_IN_YEAR = 50  # a calendar year with fewer simulated weeks is not reported as a year
INITIAL_CAUSE = "initial"  # flows.csv cause of the population placed at the start


def group_fte(run: Run) -> pd.DataFrame:
    """Full-time persons per replication, week and benefit group, plus ``total`` on public support.

    Week 0 (persons at the start) is kept so the fan starts at the known stock.
    """
    st = run.stocks
    per_state = st.groupby(["replication", "week", "date", "state"], sort=False)["fte"].sum().reset_index()
    per_state["group"] = per_state["state"].map(labels.group_of)
    per_state = per_state.dropna(subset=["group"])
    g = per_state.groupby(["replication", "week", "date", "group"], sort=False)["fte"].sum().reset_index()
    tot = g.groupby(["replication", "week", "date"], sort=False)["fte"].sum().reset_index()
    tot["group"] = TOTAL
    return pd.concat([g, tot], ignore_index=True)


def _year_of_week(dates: pd.Series) -> pd.Series:
    """Calendar year of the week that ends on ``date`` (its middle: 3½ days earlier)."""
    d = pd.to_datetime(dates) - pd.Timedelta(days=3.5)
    return d.dt.year


def yearly(gf: pd.DataFrame) -> pd.DataFrame:
    """Full-time persons per replication, calendar year and group: the mean over the year's weeks.

    This is the yearly "fuldtidspersoner" of Danish statistics; week 0 (a stock at the
    start, not a week) is left out, and so are years with fewer than 50 simulated weeks.
    """
    w = gf[gf["week"] > 0].copy()
    w["year"] = _year_of_week(w["date"])
    counts = w.groupby(["replication", "group", "year"])["fte"].agg(["mean", "size"]).reset_index()
    counts = counts[counts["size"] >= MIN_WEEKS_IN_YEAR]
    return counts.rename(columns={"mean": "fte"}).drop(columns="size")


# ---------------------------------------------------------------------------
# Flows
# ---------------------------------------------------------------------------
def flow_category(src: str, dst: str, support: frozenset[str]) -> str | None:
    """Which of the report's main flows a move is: into support, to a job, to education, ..."""
    src_in, dst_in = src in support, dst in support
    if not src_in and dst_in:
        return "inflow"
    if src_in and not dst_in:
        return {"employed": "to_job", "education": "to_education", "outside": "to_outside"}.get(dst)
    if src_in and dst_in and labels.group_of(src) != labels.group_of(dst):
        return "to_other_benefit"
    return None  # within a group, or between states off support


def yearly_flows(run: Run) -> pd.DataFrame:
    """Persons per replication, year and flow category; bands over replications.

    Years are the calendar years of ``flows.csv``'s months; only years the run covers
    in full (12 months) are kept.
    """
    support = frozenset(labels.public_support_states())
    fl = run.flows
    if "cause" in fl.columns:  # the starting population enters at week 0: a stock, not a flow
        fl = fl[fl["cause"] != INITIAL_CAUSE]
    pairs = fl[["from_state", "to_state"]].drop_duplicates()
    cat = {(a, b): flow_category(a, b, support) for a, b in pairs.itertuples(index=False)}
    fl = fl.assign(category=[cat[(a, b)] for a, b in zip(fl["from_state"], fl["to_state"])],
                   year=fl["month"].str[:4].astype(int))
    months = fl.groupby("year")["month"].nunique()
    full = set(months[months == 12].index)
    fl = fl[fl["category"].notna() & fl["year"].isin(full)]
    per_rep = fl.groupby(["replication", "year", "category"])["persons"].sum()
    # a category with no move in a replication is a zero, not a missing value
    idx = pd.MultiIndex.from_product([run.replications, sorted(full), list(labels.FLOWS)],
                                     names=["replication", "year", "category"])
    per_rep = per_rep.reindex(idx, fill_value=0).reset_index()
    return metrics.bands(per_rep, ["year", "category"], "persons")


# ---------------------------------------------------------------------------
# Scenario against baseline
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Pairing:
    paired: bool
    replications: int
    reason: str


def pairing(base: Run, alt: Run) -> Pairing:
    """Runs pair replication by replication when they share the seed and replication ids."""
    same_seed = base.manifest.get("seed") == alt.manifest.get("seed")
    common = sorted(set(base.replications) & set(alt.replications))
    if same_seed and common:
        return Pairing(True, len(common), "same seed: common random numbers")
    why = "different seeds" if not same_seed else "no common replications"
    return Pairing(False, min(len(base.replications), len(alt.replications)), why)


# ---------------------------------------------------------------------------
# Costs (from the costs table when the run has one)
# ---------------------------------------------------------------------------
def net_cost_per_year(costs: pd.DataFrame, full_only: bool = True) -> pd.DataFrame | None:
    """Net municipal DKK per replication and year from a costs table, or None if it has no such column.

    Accepts the costs helper's long table (one row per replication, year, state, …) and
    sums over everything else. The net column is the first whose name contains "net".
    Only full calendar years unless ``full_only`` is false (a payback year is judged over
    every year a comparison covers, as ``caseflow compare`` does).
    """
    net = next((c for c in costs.columns if "net" in c.lower()), None)
    if net is None or "year" not in costs.columns:
        return None
    df = full_years(costs) if full_only else costs.copy()
    if "replication" not in df.columns:
        df["replication"] = 0
    return df.groupby(["replication", "year"])[net].sum().rename("net_dkk").reset_index()


def full_years(costs: pd.DataFrame) -> pd.DataFrame:
    """Only the calendar years a costs table covers in full (its ``days`` column, when it has one)."""
    if "days" not in costs.columns:
        return costs.copy()
    days = costs.groupby("year")["days"].max()
    return costs[costs["year"].isin(days[days >= 365].index)].copy()


def start_date(run: Run) -> dt.date:
    return dt.date.fromisoformat(str(run.stocks["date"].iloc[0]))
