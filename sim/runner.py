"""Replications: one seed, a key per replication, run sequentially or in processes."""

from __future__ import annotations

import multiprocessing as mp
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd

from . import tables
from .calibration.forecast import for_replication
from .engine import simulate
from .spec import Scenario


@dataclass
class Results:
    scenario: Scenario
    years: float
    seed: int
    replications: int
    stocks: pd.DataFrame
    flows: pd.DataFrame
    activation: pd.DataFrame
    indicators: pd.DataFrame
    persons: int
    events: int
    wall_seconds: float
    costs: pd.DataFrame | None = None  # sim.costs.table per replication (DKK per year × state)

    def stock_bands(self, measure: str = "fte") -> pd.DataFrame:
        """Bands per state and week, all ages together."""
        total = self.stocks.groupby(["replication", "week", "date", "state"], sort=False)[measure].sum()
        return tables.bands(total.reset_index(), ["week", "date", "state"], measure)

    def indicator_bands(self) -> pd.DataFrame:
        cols = [c for c in self.indicators.columns if c not in ("replication", "date", "week", "year_ending")]
        long = self.indicators.melt(id_vars=["replication", "date"], value_vars=cols,
                                    var_name="indicator", value_name="value")
        return tables.bands(long, ["date", "indicator"], "value")


def replicate(task: tuple) -> dict:
    """One replication → its tables. Importable, so spawn-based workers (and notebooks) can run it."""
    scenario, years, seed, rep = task
    scenario = for_replication(scenario, rep)  # stage-2 parameter set rep mod n, if the fit has them
    r = simulate(scenario, years=years, seed=seed, replication=rep)
    fl, act = tables.flows(r), tables.activation(r)
    from . import costs
    return {"stocks": tables.stocks(r), "flows": fl, "activation": act,
            "indicators": tables.indicators(r, fl, act), "persons": r.persons_created, "events": r.events,
            "wall": r.wall_seconds, "costs": costs.table(r)}


def run(scenario: Scenario, years: float = 5, replications: int = 10, seed: int = 2015,
        workers: int = 1, progress: bool = False) -> Results:
    """Run ``replications`` of ``scenario``; the result does not depend on ``workers``."""
    tasks = [(scenario, years, seed, rep) for rep in range(replications)]
    out: list[dict] = []
    if workers > 1 and replications > 1:
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            for i, res in enumerate(pool.map(replicate, tasks)):
                out.append(res)
                _progress(progress, i + 1, replications)
    else:
        for i, t in enumerate(tasks):
            out.append(replicate(t))
            _progress(progress, i + 1, replications)
    cat = lambda k: pd.concat([o[k] for o in out], ignore_index=True)  # noqa: E731
    return Results(scenario, years, seed, replications, cat("stocks"), cat("flows"),
                   cat("activation"), cat("indicators"), sum(o["persons"] for o in out),
                   sum(o["events"] for o in out), sum(o["wall"] for o in out), costs=cat("costs"))


def _progress(on: bool, done: int, total: int) -> None:
    if on:
        print(f"\rreplications {done}/{total}", end="\n" if done == total else "",
              file=sys.stderr, flush=True)
