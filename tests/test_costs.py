"""Costs in DKK on hand-built full-time-person arrays, computed by hand in each test."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.outputs import costs
from sim.model.benefits import load_benefits

PER_MONTH = 12 * 7 / 365.25  # a monthly amount per week


@pytest.fixture(scope="module")
def ben():
    return load_benefits()


def arrays(sc, weeks):
    S, A, I = len(sc.states), len(sc.age_lower), len(sc.instruments)
    return np.zeros((weeks + 1, S, A)), np.zeros((weeks + 1, S, 4)), np.zeros((weeks + 1, S, I))


def idx(sc, state=None, age=None, inst=None):
    if state is not None:
        return sc.state_names.index(state)
    if age is not None:
        return sc.age_labels.index(age)
    return list(sc.instruments).index(inst)


def one(df, **where):
    sel = np.ones(len(df), dtype=bool)
    for k, v in where.items():
        sel &= (df[k] == v).to_numpy()
    assert sel.sum() == 1, where
    return df[sel].iloc[0]


def test_refund_staircase_one_person_60_weeks_from_2016(baseline, ben):
    """Kontanthjælp 30+ for 60 weeks from 1 Jan 2016: refund 80/40/30/20 % by step."""
    sc = replace(baseline, start=dt.date(2016, 1, 1))
    fte, sup, prog = arrays(sc, 60)
    s, a = idx(sc, state="kontanthjaelp_jobparat"), idx(sc, age="30-39")
    fte[1:, s, a] = 1.0
    for w in range(1, 61):  # week w is the w-th week on support
        step = 0 if w <= 4 else 1 if w <= 26 else 2 if w <= 52 else 3
        sup[w, s, step] = 1.0
    df = costs.compute(sc, fte, sup, prog, benefits=ben)
    mix = ben.households["from_30"]
    r = (mix["provider"] * 14575 + mix["other"] * 10968) * PER_MONTH  # 2016 rate, per week
    # municipality keeps 20 % in weeks 1-4, 60 % in 5-26, 70 % in 27-52, 80 % from 53.
    # 2016 has 366 days: weeks 1-52 (364 days) and 2 days of week 53 fall in 2016.
    net_2016 = (4 * 0.2 + 22 * 0.6 + 26 * 0.7 + 2 / 7 * 0.8) * r
    net_2017 = (5 / 7 + 7) * 0.8 * r
    y16 = one(df, year=2016, state="kontanthjaelp_jobparat", kind="benefit")
    y17 = one(df, year=2017, state="kontanthjaelp_jobparat", kind="benefit")
    assert y16["net_municipal_dkk"] == pytest.approx(net_2016)
    assert y17["net_municipal_dkk"] == pytest.approx(net_2017)
    assert y16["gross_dkk"] + y17["gross_dkk"] == pytest.approx(60 * r)
    assert y16["refund_dkk"] + y17["refund_dkk"] == pytest.approx((4 * 0.8 + 22 * 0.4 + 26 * 0.3 + 8 * 0.2) * r)
    assert (y16["days"], y17["days"]) == (366, 54)
    assert y16["fte"] == pytest.approx(1.0)
    # nothing else costs anything
    assert df["gross_dkk"].sum() == pytest.approx(60 * r)


def test_refund_before_2016_depends_on_activity(baseline, ben):
    """2015, kontanthjælp 30+: passive 30 %, virksomhedspraktik 50 %, vejledning 30 %; løntilskud pays a wage."""
    sc = replace(baseline, start=dt.date(2015, 1, 1))
    fte, sup, prog = arrays(sc, 10)
    s, a = idx(sc, state="kontanthjaelp_jobparat"), idx(sc, age="40-49")
    fte[1:, s, a] = 4.0  # 1 passive, 1 in praktik, 1 in vejledning, 1 in private løntilskud
    sup[1:, s, 2] = 4.0
    prog[1:, s, idx(sc, inst="virksomhedspraktik")] = 1.0
    prog[1:, s, idx(sc, inst="vejledning_opkvalificering")] = 1.0
    prog[1:, s, idx(sc, inst="loentilskud_privat")] = 1.0
    df = costs.compute(sc, fte, sup, prog, benefits=ben)
    mix = ben.households["from_30"]
    r = (mix["provider"] * 14416 + mix["other"] * 10849) * PER_MONTH
    ben_row = one(df, year=2015, state="kontanthjaelp_jobparat", kind="benefit")
    assert ben_row["gross_dkk"] == pytest.approx(3 * 10 * r)  # løntilskud replaces the benefit
    assert ben_row["refund_dkk"] == pytest.approx((0.30 + 0.50 + 0.30) * 10 * r)
    praktik = one(df, year=2015, state="kontanthjaelp_jobparat", instrument="virksomhedspraktik")
    assert (praktik["gross_dkk"], praktik["refund_dkk"]) == pytest.approx((10 * 400, 0.0))
    vejl = one(df, year=2015, state="kontanthjaelp_jobparat", instrument="vejledning_opkvalificering")
    assert (vejl["gross_dkk"], vejl["refund_dkk"]) == pytest.approx((10 * 2200, 0.5 * 10 * 2200))
    lt = one(df, year=2015, state="kontanthjaelp_jobparat", instrument="loentilskud_privat")
    # the subsidy is refunded like the benefit in a company-based offer: 50 % before 2016
    assert (lt["gross_dkk"], lt["refund_dkk"]) == pytest.approx((10 * 2600, 0.5 * 10 * 2600))


def test_dagpenge_cofinancing_from_2016(baseline, ben):
    """Dagpenge in weeks 5-26 of support from 2016: the municipality pays 60 %, the a-kasse the rest."""
    sc = replace(baseline, start=dt.date(2016, 1, 1))
    fte, sup, prog = arrays(sc, 10)
    s = idx(sc, state="dagpenge")
    fte[1:, s, idx(sc, age="30-39")] = 2.0
    sup[1:, s, 1] = 2.0
    df = costs.compute(sc, fte, sup, prog, benefits=ben)
    row = one(df, year=2016, state="dagpenge", kind="benefit")
    gross = 2 * 10 * 836 * 5
    assert row["gross_dkk"] == pytest.approx(gross)
    assert row["net_municipal_dkk"] == pytest.approx(0.6 * gross)
    assert row["cofinancing_dkk"] == pytest.approx(0.6 * gross)
    assert row["refund_dkk"] == pytest.approx(0.4 * gross)
    assert row["payer"] == "a-kasse"
    kh = one(df, year=2016, state="kontanthjaelp_jobparat", kind="benefit")
    assert kh["cofinancing_dkk"] == 0 and kh["payer"] == "kommune"


def test_rate_changes_on_its_date_and_week_is_split_at_new_year(baseline, ben):
    """Sygedagpenge 4,075/week in 2014, 4,135 in 2015; 8 weeks from 4 Dec 2014 = 28 days in each year."""
    sc = replace(baseline, start=dt.date(2014, 12, 4))
    fte, sup, prog = arrays(sc, 8)
    s = idx(sc, state="sygedagpenge")
    fte[1:, s, idx(sc, age="50-59")] = 1.0
    sup[1:, s, 1] = 1.0  # weeks 5-26 of the spell, passive: 30 % refund before 2016
    df = costs.compute(sc, fte, sup, prog, benefits=ben)
    y14 = one(df, year=2014, state="sygedagpenge", kind="benefit")
    y15 = one(df, year=2015, state="sygedagpenge", kind="benefit")
    assert y14["gross_dkk"] == pytest.approx(4 * 4075)
    assert y15["gross_dkk"] == pytest.approx(4 * 4135)
    assert y15["refund_dkk"] == pytest.approx(0.3 * 4 * 4135)


def test_under_30_rate_uses_the_age_mix(baseline, ben):
    sc = replace(baseline, start=dt.date(2015, 3, 1))
    fte, sup, prog = arrays(sc, 4)
    s = idx(sc, state="kontanthjaelp_aktivitetsparat")
    fte[1:, s, idx(sc, age="25-29")] = 1.0
    fte[1:, s, idx(sc, age="30-39")] = 1.0
    sup[1:, s, 3] = 2.0
    df = costs.compute(sc, fte, sup, prog, benefits=ben)
    y, o = ben.households["under_30"], ben.households["from_30"]
    young = (y["provider"] * 14416 + y["away"] * 6992 + y["at_home"] * 3374) * PER_MONTH
    old = (o["provider"] * 14416 + o["other"] * 10849) * PER_MONTH
    row = one(df, year=2015, state="kontanthjaelp_aktivitetsparat", kind="benefit")
    assert row["gross_dkk"] == pytest.approx(4 * (young + old))


def test_costs_non_negative_and_net_is_gross_minus_refund(baseline, ben):
    """Random arrays (fixed seed) over 2015-2017: every invariant holds in every row."""
    rng = np.random.default_rng(11)
    sc = replace(baseline, start=dt.date(2015, 1, 1))
    weeks = 150
    fte, sup, prog = arrays(sc, weeks)
    fte[:] = rng.uniform(0, 50, fte.shape)
    total = fte.sum(axis=2)
    split = rng.dirichlet(np.ones(4), size=total.shape)
    sup[:] = total[..., None] * split
    prog[:] = total[..., None] * rng.dirichlet(np.ones(len(sc.instruments) + 1), size=total.shape)[..., :-1]
    df = costs.compute(sc, fte, sup, prog, benefits=ben)
    for m in costs.MEASURES + ("fte",):
        assert (df[m] >= -1e-9).all(), m
    assert np.allclose(df["net_municipal_dkk"], df["gross_dkk"] - df["refund_dkk"])
    assert (df["refund_dkk"] <= df["gross_dkk"] + 1e-9).all()
    assert set(df["year"]) == {2015, 2016, 2017}
    # states without a benefit cost nothing
    assert df[(df["kind"] == "benefit") & df["state"].isin(["employed", "education", "outside"])]["gross_dkk"].sum() == 0


def test_table_reads_the_run_result_arrays(baseline, ben):
    sc = replace(baseline, start=dt.date(2016, 1, 1))
    fte, sup, prog = arrays(sc, 3)
    fte[1:, idx(sc, state="sygedagpenge"), 3] = 1.0
    sup[1:, idx(sc, state="sygedagpenge"), 0] = 1.0
    rr = SimpleNamespace(scenario=sc, replication=7,
                         recorder=SimpleNamespace(fte=fte, fte_support=sup, fte_programme=prog))
    df = costs.table(rr, ben)
    assert set(df["replication"]) == {7}
    assert df["net_municipal_dkk"].sum() == pytest.approx(3 * 4180 * 0.2)  # 80 % refund in weeks 1-4


def _cost_table(rows):
    """rows: (replication, year, kind, net)."""
    return pd.DataFrame([{"replication": r, "year": y, "kind": k, "state": "x", "net_municipal_dkk": v}
                         for r, y, k, v in rows])


def test_investment_payback_year():
    base, scen = [], []
    # rep 0: 100 extra activation a year; savings 50, 120, 200 → cumulative −50, −30, +70 → 2017
    # rep 1: extra 100, savings 0 → never; rep 2: extra 10, savings 40 → 2015
    savings = {0: (50, 120, 200), 1: (0, 0, 0), 2: (40, 40, 40)}
    extra = {0: 100, 1: 100, 2: 10}
    for rep in range(3):
        for k, year in enumerate((2015, 2016, 2017)):
            base += [(rep, year, "benefit", 1000), (rep, year, "activation", 500)]
            scen += [(rep, year, "benefit", 1000 - savings[rep][k]), (rep, year, "activation", 500 + extra[rep])]
    inv = costs.investment(_cost_table(base), _cost_table(scen))
    p = inv.paired.set_index(["replication", "year"])
    assert p.loc[(0, 2016), "cumulative_net_saving_dkk"] == pytest.approx(-30)
    assert p.loc[(0, 2017), "net_saving_dkk"] == pytest.approx(100)
    pb = inv.payback.iloc[0]
    assert pb["share_paid_back"] == pytest.approx(2 / 3)
    assert pb["payback_year_median"] == 2017
    assert pb["payback_year_p5"] == 2015
    assert pb["payback_year_p95"] == costs.NOT_WITHIN
    # mean cumulative path: (−50 + −100 + 30)/3 = −40, (−30 − 200 + 60)/3 < 0, (70 − 300 + 90)/3 < 0
    assert pb["payback_year_of_mean"] == costs.NOT_WITHIN
    mean17 = inv.years.set_index(["measure", "year"]).loc[("cumulative_net_saving_dkk", 2017), "mean"]
    assert mean17 == pytest.approx((70 - 300 + 90) / 3)


def test_investment_needs_paired_replications():
    a = _cost_table([(0, 2015, "benefit", 1.0), (1, 2015, "benefit", 1.0)])
    b = _cost_table([(0, 2015, "benefit", 1.0), (2, 2015, "benefit", 1.0)])
    with pytest.raises(ValueError, match="same replications"):
        costs.investment(a, b)


def test_baseline_run_net_cost_within_stocks_times_rates(baseline, ben):
    """A 1-year baseline run at 2 % scale: the 2015 net municipal benefit cost lies in a range
    derived from the initial stocks × 2015 rates × (1 − refund).

    Derivation: cost_2015 ≈ Σ_state stock × scale × weekly rate × 365/7 × (1 − refund share).
    Lower bound: each state's lower age rate and highest 2015 refund (largest state share,
    e.g. 50 % for kontanthjælp in company offers, 100 % for dagpenge in weeks 1-4); upper
    bound: the higher age rate and the lowest refund (passive). Stocks in the baseline move
    by less than 15 % a year (calibration target of the baseline, commit 3644a70), and at
    2 % scale (≈ 500 full-time persons on benefit) the replication noise is a few per cent
    (binomial, sd ≈ 1/√500 ≈ 4.5 % of a state's stock), so the bounds are widened by 20 %.
    """
    from sim.engines.simpy_engine import simulate

    sc = baseline.scaled(0.02)
    run = simulate(sc, years=1, seed=3, replication=0)
    df = costs.table(run, ben)
    net = df[(df["year"] == 2015) & (df["kind"] == "benefit")]["net_municipal_dkk"].sum()
    day = dt.date(2015, 7, 1)
    lo = hi = 0.0
    for state, stock in sc.stocks.items():
        rate = ben.rates[state]
        rates = [rate.at(day, 25), rate.at(day, 35)]
        ref = ben.refunds.get(state)
        shares = [x for v in ref.shares.at(day).values() for x in v] if ref else [0.0]
        persons = stock * sc.scale
        lo += persons * min(rates) * 365 / 7 * (1 - max(shares))
        hi += persons * max(rates) * 365 / 7 * (1 - min(shares))
    assert 0.8 * lo < net < 1.2 * hi, (lo, net, hi)
    # and the range is informative: not wider than a factor 2.5
    assert hi / lo < 2.5
