"""Bands, flows and scenario differences the report computes from run tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.report import analysis

SUPPORT = frozenset({"dagpenge", "kontanthjaelp_jobparat", "kontanthjaelp_aktivitetsparat", "sygedagpenge"})


@pytest.mark.parametrize("src, dst, expected", [
    ("employed", "dagpenge", "inflow"),
    ("new", "sygedagpenge", "inflow"),
    ("dagpenge", "employed", "to_job"),
    ("dagpenge", "education", "to_education"),
    ("sygedagpenge", "outside", "to_outside"),
    ("dagpenge", "kontanthjaelp_jobparat", "to_other_benefit"),
    ("kontanthjaelp_jobparat", "kontanthjaelp_aktivitetsparat", "to_other_benefit"),
    ("employed", "education", None),       # off support both ends
])
def test_flow_categories(src, dst, expected):
    assert analysis.flow_category(src, dst, SUPPORT) == expected


def test_moves_within_one_benefit_group_are_not_a_flow():
    support = SUPPORT | {"dagpenge", "arbejdsmarkedsydelse"}
    assert analysis.flow_category("dagpenge", "arbejdsmarkedsydelse", support) is None


def _two_runs(n=30, effect=-50.0, noise=40.0, common=200.0, seed=3):
    rng = np.random.default_rng(seed)
    shared = rng.normal(1000, common, n)  # what common random numbers make the same in both runs
    base = pd.DataFrame({"replication": range(n), "group": "total", "year": 2016,
                         "fte": shared + rng.normal(0, noise, n)})
    alt = base.assign(fte=shared + effect + rng.normal(0, noise, n))
    return base, alt


def test_paired_interval_is_the_t_interval_of_the_per_replication_differences():
    base, alt = _two_runs()
    d = (alt["fte"] - base["fte"]).to_numpy()
    half = stats.t.ppf(0.95, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    got = analysis.differences(base, alt, ["group", "year"], "fte", paired=True).iloc[0]
    assert got["difference"] == pytest.approx(d.mean())
    assert (got["low"], got["high"]) == pytest.approx((d.mean() - half, d.mean() + half))
    assert got["distinguishable"]


def test_pairing_narrows_the_interval_when_runs_share_their_noise():
    # The shared part (sd 200) cancels in paired differences but not in unpaired ones:
    # the unpaired half-width is about sqrt(2*(200²+40²))/sqrt(2*40²) ≈ 5 times wider.
    base, alt = _two_runs()
    p = analysis.differences(base, alt, ["group", "year"], "fte", paired=True).iloc[0]
    u = analysis.differences(base, alt, ["group", "year"], "fte", paired=False).iloc[0]
    assert (u["high"] - u["low"]) > 3 * (p["high"] - p["low"])
    assert p["difference"] == pytest.approx(u["difference"])


def test_payback_year_is_when_the_running_total_turns_and_stays_non_positive():
    # invest 10, then save 4 a year: running total 10, 6, 2, -2, -6
    s = pd.Series([10.0, -4, -4, -4, -4], index=[2015, 2016, 2017, 2018, 2019])
    assert analysis.payback_year(s) == 2018
    assert analysis.payback_year(pd.Series([10.0, -1, -1], index=[2015, 2016, 2017])) is None
    assert analysis.payback_year(pd.Series([-3.0, -1], index=[2015, 2016])) == 2015


def test_net_cost_sums_a_long_costs_table_per_replication_and_year():
    costs = pd.DataFrame({"replication": [0, 0, 0, 1], "year": [2015, 2015, 2016, 2015],
                          "state": ["dagpenge", "sygedagpenge", "dagpenge", "dagpenge"],
                          "gross_dkk": [9, 9, 9, 9], "net_municipal_dkk": [1.0, 2.0, 4.0, 8.0]})
    got = analysis.net_cost_per_year(costs).set_index(["replication", "year"])["net_dkk"]
    assert got.to_dict() == {(0, 2015): 3.0, (0, 2016): 4.0, (1, 2015): 8.0}
    assert analysis.net_cost_per_year(costs.drop(columns="net_municipal_dkk")) is None
