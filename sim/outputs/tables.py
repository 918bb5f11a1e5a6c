"""Tidy tables (one row per observation) from a replication; bands over replications are in
:mod:`sim.outputs.metrics`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.spec.calendar import Calendar
from sim.engines.simpy_engine import RunResult

def stocks(r: RunResult) -> pd.DataFrame:
    sc = r.scenario
    rec = r.recorder
    w, s, a = np.meshgrid(np.arange(r.weeks + 1), np.arange(len(sc.states)),
                          np.arange(len(sc.age_lower)), indexing="ij")
    cal = Calendar(sc.start)
    dates = [cal.date(float(k)).isoformat() for k in range(r.weeks + 1)]
    return pd.DataFrame({
        "replication": r.replication,
        "week": w.ravel(),
        "date": np.array(dates)[w.ravel()],
        "state": np.array(sc.state_names)[s.ravel()],
        "age_band": np.array(sc.age_labels)[a.ravel()],
        "persons": rec.persons.ravel(),
        "fte": rec.fte.ravel().round(4),
    })


def flows(r: RunResult) -> pd.DataFrame:
    sc = r.scenario
    cal = Calendar(sc.start)
    names = sc.state_names
    rows = {}
    for (week, src, dst, cause), n in r.recorder.flows.items():
        month = cal.date(max(week - 1, 0) + 0.5).strftime("%Y-%m")
        k = (month, "new" if src < 0 else names[src], names[dst], cause)
        rows[k] = rows.get(k, 0) + n
    df = pd.DataFrame([(*k, n) for k, n in sorted(rows.items())],
                      columns=["month", "from_state", "to_state", "cause", "persons"])
    df.insert(0, "replication", r.replication)
    return df


def activation(r: RunResult) -> pd.DataFrame:
    sc = r.scenario
    rec = r.recorder
    names = list(sc.instruments)
    out = []
    for i, n in enumerate(names):
        out.append(pd.DataFrame({
            "replication": r.replication, "week": np.arange(r.weeks + 1), "instrument": n,
            "starts": rec.starts[:, i], "queued": rec.waiting_starts[:, i],
            "in_use": rec.usage[:, i, 0], "waiting": rec.usage[:, i, 1],
        }))
    return pd.concat(out, ignore_index=True)


def indicators(r: RunResult, fl: pd.DataFrame, act: pd.DataFrame) -> pd.DataFrame:
    """Plan indicators per year: stocks at each 1 January and event counts over the year before.

    ``fl`` and ``act`` are this replication's :func:`flows` and :func:`activation` tables.
    """
    df = pd.DataFrame(r.recorder.indicators)
    years = fl["month"].str[:4].astype(int)
    lost = fl[fl["cause"] == "dagpenge_exhaustion"].groupby(years)["persons"].sum()
    company = {n for n, i in r.scenario.instruments.items() if i.company_placement}
    cal = Calendar(r.scenario.start)
    act_years = pd.Series([cal.date(float(w)).year for w in act["week"]], index=act.index)
    starts = act[act["instrument"].isin(company)].groupby(act_years)["starts"].sum()
    df["year_ending"] = [d.year - 1 for d in df["date"]]
    df["lost_dagpenge_in_year"] = [int(lost.get(y, 0)) for y in df["year_ending"]]
    df["company_placement_starts_in_year"] = [int(starts.get(y, 0)) for y in df["year_ending"]]
    df["date"] = [d.isoformat() for d in df["date"]]
    df.insert(0, "replication", r.replication)
    return df

