"""Municipal cost in DKK: benefit payments, activation, state refund, and the investment view.

Works on a replication's full-time-person arrays, so it needs no change to the engine
and can re-price a finished run with other rates:

* ``fte[week, state, age_band]`` — the age mix picks the under-30 or 30+ rate;
* ``fte_support[week, state, step]`` — full-time persons by continuous duration on
  public support, one column per staircase step: the step picks the refund;
* ``fte_programme[week, state, instrument]`` — full-time persons in each offer: the
  activation cost, the activity-dependent refund before 2016, and løntilskud, which
  replaces the benefit by a wage.

Row ``w >= 1`` of each array is the average over model weeks ``[w-1, w)``. Each such week
is spread over its 7 calendar days, and every day is priced at the rates in force that day
and booked to its calendar year: a week spanning New Year is split by its days. Within a
state the three arrays are combined assuming the age mix, the step mix and the activity
mix are independent (the engine records their margins, not their joint distribution).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

import numpy as np
import pandas as pd

from sim.outputs import metrics
from sim.model.benefits import ACTIVITIES, AGE_SPLIT, BENEFIT, Benefits, load_benefits

KINDS = ("benefit", "activation")
MEASURES = ("gross_dkk", "refund_dkk", "net_municipal_dkk", "cofinancing_dkk")


@lru_cache(maxsize=1)
def default_benefits() -> Benefits:
    """The national benefits file, read once per process."""
    return load_benefits()


def table(run_result: Any, benefits: Benefits | None = None) -> pd.DataFrame:
    """One replication's cost table (see :func:`compute`): what ``runner.replicate`` calls."""
    rec = run_result.recorder
    missing = [a for a in ("fte", "fte_support", "fte_programme") if not hasattr(rec, a)]
    if missing:
        raise RuntimeError(f"the engine did not record {', '.join(missing)}; costs need them")
    return compute(run_result.scenario, rec.fte, rec.fte_support, rec.fte_programme,
                   replication=run_result.replication, benefits=benefits)


def compute(scenario: Any, fte: np.ndarray, fte_support: np.ndarray, fte_programme: np.ndarray,
            *, replication: int = 0, benefits: Benefits | None = None) -> pd.DataFrame:
    """Cost per calendar year × state (kind "benefit") and × state × instrument ("activation").

    Columns: ``fte`` (average full-time persons over the days of the year covered),
    ``gross_dkk`` (paid out, whoever pays), ``refund_dkk`` (carried by the state: the refund
    of a municipal benefit, or for dagpenge everything but the municipal co-financing),
    ``net_municipal_dkk = gross_dkk - refund_dkk``, and ``cofinancing_dkk`` (the municipal
    share of a-kasse benefits, otherwise 0). ``days`` is how many days of the year the run
    covers (a partial first or last year has fewer than 365).
    """
    b = benefits or default_benefits()
    b.check(scenario)
    weeks = fte.shape[0] - 1
    n_states, n_inst = len(scenario.states), len(scenario.instruments)
    n_steps = len(b.staircase.weeks)
    if fte_support.shape != (weeks + 1, n_states, n_steps):
        raise ValueError(f"fte_support has shape {fte_support.shape}, expected {(weeks + 1, n_states, n_steps)}")
    if fte_programme.shape != (weeks + 1, n_states, n_inst):
        raise ValueError(f"fte_programme has shape {fte_programme.shape}, expected {(weeks + 1, n_states, n_inst)}")

    day_ord = scenario.start.toordinal() + np.arange(7 * weeks)
    day_week = np.repeat(np.arange(weeks), 7)  # index into rows 1.. of the arrays
    first, last = scenario.start.year, dt.date.fromordinal(int(day_ord[-1])).year if weeks else scenario.start.year
    year_starts = np.array([dt.date(y, 1, 1).toordinal() for y in range(first, last + 1)])
    day_year = np.searchsorted(year_starts, day_ord, side="right") - 1
    n_years = len(year_starts)
    days_in = np.bincount(day_year, minlength=n_years)

    def per_year(x: np.ndarray) -> np.ndarray:
        return np.bincount(day_year, weights=x, minlength=n_years)

    inst = list(scenario.instruments.values())
    company = np.array([i.company_placement for i in inst], dtype=bool)
    replaces = np.array([b.activation_for(i.name).replaces_benefit for i in inst], dtype=bool)
    young = np.array([lo < AGE_SPLIT for lo in scenario.age_lower], dtype=bool)
    rows: list[dict] = []

    for s, state in enumerate(scenario.state_names):
        F = fte[1:, s, :]
        total = F.sum(axis=1)
        share_young = np.divide(F[:, young].sum(axis=1), total, out=np.zeros(weeks), where=total > 0)
        rate = b.rates[state]
        r_young, r_old = (_on_days(d, day_ord) for d in rate.weekly)
        weekly_rate = share_young[day_week] * r_young + (1 - share_young[day_week]) * r_old

        P = fte_programme[1:, s, :]
        paid = np.clip(total - P[:, replaces].sum(axis=1), 0.0, None)  # full-time persons paid the benefit
        act = np.zeros((weeks, 3))
        act[:, 1] = np.divide(P[:, company & ~replaces].sum(axis=1), paid, out=np.zeros(weeks), where=paid > 0)
        act[:, 2] = np.divide(P[:, ~company & ~replaces].sum(axis=1), paid, out=np.zeros(weeks), where=paid > 0)
        act[:, 1:] = np.minimum(act[:, 1:], 1.0)
        act[:, 0] = np.clip(1.0 - act[:, 1] - act[:, 2], 0.0, 1.0)

        steps = _step_mix(fte_support[1:, s, :])
        refund = b.refunds.get(state)
        if refund is not None:
            table_ = np.array([[v[a] for a in ACTIVITIES] for v in refund.shares.values])  # dates × 3 × steps
            R = table_[_index(refund.shares, day_ord)]  # days × 3 × steps
            q = steps[day_week]
            rho = np.einsum("da,das,ds->d", act[day_week], R, q)
            rho_act = {a: np.einsum("ds,ds->d", R[:, k, :], q) for k, a in enumerate(ACTIVITIES)}
            payer = "a-kasse" if refund.financing == "a-kasse" else "kommune"
        else:
            rho = np.zeros(len(day_ord))
            rho_act = {a: rho for a in ACTIVITIES}
            payer = "kommune"

        gross = paid[day_week] * weekly_rate / 7.0
        ref = gross * rho
        rows.append(_row(replication, first, days_in, state, "benefit", "", payer,
                         per_year(paid[day_week]) / np.maximum(days_in, 1), per_year(gross), per_year(ref)))

        for i, ins in enumerate(inst):
            cost = P[day_week, i] * ins.weekly_cost_dkk / 7.0
            spec = b.activation_for(ins.name)
            share = np.zeros(len(day_ord))
            idx = _index(spec.refund, day_ord)
            for k, v in enumerate(spec.refund.values):
                on = idx == k
                share[on] = rho_act["company" if ins.company_placement else "other"][on] if v == BENEFIT else v
            rows.append(_row(replication, first, days_in, state, "activation", ins.name, payer,
                             per_year(P[day_week, i]) / np.maximum(days_in, 1), per_year(cost),
                             per_year(cost * share)))

    out = pd.concat([pd.DataFrame(r) for r in rows], ignore_index=True)
    return out[out["days"] > 0].reset_index(drop=True)


def _row(rep: int, first: int, days: np.ndarray, state: str, kind: str, instrument: str, payer: str,
         fte: np.ndarray, gross: np.ndarray, refund: np.ndarray) -> dict:
    net = gross - refund
    return {"replication": rep, "year": first + np.arange(len(days)), "days": days, "state": state,
            "kind": kind, "instrument": instrument, "payer": payer, "fte": fte,
            "gross_dkk": gross, "refund_dkk": refund, "net_municipal_dkk": net,
            "cofinancing_dkk": net if payer == "a-kasse" else np.zeros(len(days))}


def _index(dated, day_ord: np.ndarray) -> np.ndarray:
    """Which of a dated parameter's values holds on each day."""
    ords = np.array([d.toordinal() for d in dated.dates])
    return np.clip(np.searchsorted(ords, day_ord, side="right") - 1, 0, None)


def _on_days(dated, day_ord: np.ndarray) -> np.ndarray:
    return np.asarray(dated.values, dtype=float)[_index(dated, day_ord)]


def _step_mix(support: np.ndarray) -> np.ndarray:
    """Shares of full-time persons per staircase step; weeks with none count as the last step."""
    tot = support.sum(axis=1, keepdims=True)
    mix = np.divide(support, tot, out=np.zeros_like(support, dtype=float), where=tot > 0)
    mix[tot[:, 0] <= 0, -1] = 1.0
    return mix


# ---------------------------------------------------------------------------
# Over replications
# ---------------------------------------------------------------------------
def bands(df: pd.DataFrame, by: Iterable[str] = ("year", "state"),
          value: str = "net_municipal_dkk") -> pd.DataFrame:
    """Mean and 5/25/50/75/95 % over replications of ``value`` summed within ``by``."""
    by = list(by)
    total = df.groupby(["replication", *by], sort=True)[value].sum().reset_index()
    return metrics.bands(total, by, value)


def difference(base: pd.DataFrame, scen: pd.DataFrame, by: Iterable[str] = ("year",),
               value: str = "net_municipal_dkk") -> pd.DataFrame:
    """Scenario minus baseline per replication (paired: common random numbers), with bands."""
    by = list(by)
    _paired(base, scen)
    keys = ["replication", *by]
    d = (scen.groupby(keys)[value].sum() - base.groupby(keys)[value].sum()).rename(value).reset_index()
    return metrics.bands(d, by, value)


def _paired(base: pd.DataFrame, scen: pd.DataFrame) -> None:
    rb, rs = set(base["replication"]), set(scen["replication"])
    if rb != rs:
        raise ValueError(f"baseline and scenario must have the same replications (paired by seed): "
                         f"{sorted(rb ^ rs)} in only one")
    if set(base["year"]) != set(scen["year"]):
        raise ValueError("baseline and scenario must cover the same years")


@dataclass
class Investment:
    """The investeringsmodel: extra activation spending against benefit savings.

    ``paired``: per replication × year; ``years``: bands over replications per year and
    measure; ``payback``: one row — payback year of the mean path, share of replications
    paid back within the horizon, and quantiles of the payback year.
    """

    paired: pd.DataFrame
    years: pd.DataFrame
    payback: pd.DataFrame


NOT_WITHIN = "not within horizon"


def investment(base: pd.DataFrame, scen: pd.DataFrame, value: str = "net_municipal_dkk") -> Investment:
    """Compare a scenario's cost table with the baseline's, replication by replication.

    Savings are positive: ``benefit_saving = base benefit - scenario benefit``,
    ``extra_activation = scenario activation - base activation``, ``net_saving`` their
    difference, ``cumulative_net_saving`` its running sum over years. The payback year is
    :func:`sim.outputs.metrics.payback_year`: the first year from which the cumulative net
    saving stays at or above zero.
    """
    _paired(base, scen)

    def by_kind(df: pd.DataFrame) -> pd.DataFrame:
        t = df.groupby(["replication", "year", "kind"])[value].sum().unstack("kind", fill_value=0.0)
        return t.reindex(columns=list(KINDS), fill_value=0.0)

    kb, ks = by_kind(base), by_kind(scen)
    p = pd.DataFrame({
        "extra_activation_dkk": ks["activation"] - kb["activation"],
        "benefit_saving_dkk": kb["benefit"] - ks["benefit"],
    })
    p["net_saving_dkk"] = p["benefit_saving_dkk"] - p["extra_activation_dkk"]
    p = p.reset_index().sort_values(["replication", "year"], ignore_index=True)
    p["cumulative_net_saving_dkk"] = p.groupby("replication")["net_saving_dkk"].cumsum()

    cols = ["extra_activation_dkk", "benefit_saving_dkk", "net_saving_dkk", "cumulative_net_saving_dkk"]
    long = p.melt(id_vars=["replication", "year"], value_vars=cols, var_name="measure", value_name="dkk")
    years = metrics.bands(long, ["measure", "year"], "dkk")

    reps = sorted(p["replication"].unique())
    per_rep = pd.Series({r: _payback(g.set_index("year")["cumulative_net_saving_dkk"])
                         for r, g in p.groupby("replication")}, dtype=float).reindex(reps)
    mean_path = p.groupby("year")["cumulative_net_saving_dkk"].mean()
    horizon = int(p["year"].max())
    paid = per_rep.dropna()
    # order statistics (no interpolation): "not within horizon" counts as later than any year
    q = np.quantile(per_rep.fillna(np.inf).to_numpy(dtype=float), [0.05, 0.5, 0.95], method="inverted_cdf")
    label = lambda x: NOT_WITHIN if not np.isfinite(x) else int(x)  # noqa: E731
    payback = pd.DataFrame([{
        "payback_year_of_mean": label(_payback(mean_path)),
        "share_paid_back": len(paid) / len(per_rep),
        "payback_year_p5": label(q[0]), "payback_year_median": label(q[1]),
        "payback_year_p95": label(q[2]), "horizon_last_year": horizon,
        "replications": len(per_rep),
    }])
    return Investment(paired=p, years=years, payback=payback)


def _payback(cumulative: pd.Series) -> float:
    """:func:`sim.outputs.metrics.payback_year` as a float, NaN when not within the horizon."""
    year = metrics.payback_year(cumulative)
    return np.nan if year is None else float(year)
