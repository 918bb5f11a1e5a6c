"""Each statistic over replications (sim/outputs/metrics.py) against a case worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.outputs import metrics

T_95_3DF = 2.3533634  # Student's t, 95 % quantile, 3 degrees of freedom (tables)
Z_95 = 1.6448536  # standard normal 95 % quantile


def test_bands_are_the_mean_and_linear_quantiles_per_group_in_order_of_appearance():
    df = pd.DataFrame({"replication": list(range(5)) * 2, "g": ["b"] * 5 + ["a"] * 5,
                       "x": [5.0, 1, 4, 2, 3] + [10.0] * 5})
    got = metrics.bands(df, ["g"], "x")
    assert list(got.columns) == ["g", "mean", "p5", "p25", "p50", "p75", "p95"]
    assert list(got["g"]) == ["b", "a"]  # not sorted: the CSVs keep their row order
    # 1..5: position q·4 between order statistics, e.g. p5 = 1 + 0.05·4 = 1.2
    assert got.iloc[0, 1:].tolist() == pytest.approx([3.0, 1.2, 2.0, 3.0, 4.0, 4.8])
    assert got.iloc[1, 1:].tolist() == pytest.approx([10.0] * 6)


def test_band_of_one_group_agrees_and_leaves_out_missing_values():
    b = metrics.band([5.0, 1, np.nan, 4, 2, 3])
    assert [b[c] for c in metrics.BAND_COLUMNS] == pytest.approx([3.0, 1.2, 2.0, 3.0, 4.0, 4.8])
    assert all(math.isnan(v) for v in metrics.band([np.nan]).values())


def _runs(base: list[float], alt: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    b = pd.DataFrame({"replication": range(len(base)), "name": "x", "x": base})
    a = pd.DataFrame({"replication": range(len(alt)), "name": "x", "x": alt})
    return b, a


def test_paired_difference_is_the_t_interval_of_the_per_replication_differences():
    b, a = _runs([10.0, 10, 10, 10], [11.0, 12, 13, 14])
    r = metrics.paired_difference(b, a, ["name"], "x", 0.90).iloc[0]
    # d = 1, 2, 3, 4: mean 2.5, sd sqrt(5/3), se sd/2, half-width t·se
    se = math.sqrt(5 / 3) / 2
    assert (r["baseline"], r["value"], r["difference"], r["replications"]) == (10.0, 12.5, 2.5, 4)
    assert r["se"] == pytest.approx(se)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((2.5 - T_95_3DF * se, 2.5 + T_95_3DF * se))
    assert r["distinguishable"]
    noisy = metrics.paired_difference(b, b.assign(x=[9.0, 11, 8, 12]), ["name"], "x").iloc[0]
    assert noisy["ci_low"] < 0 < noisy["ci_high"] and not noisy["distinguishable"]


def test_paired_difference_of_one_replication_has_no_interval():
    b, a = _runs([1.0], [3.0])
    r = metrics.paired_difference(b, a, ["name"], "x").iloc[0]
    assert r["difference"] == 2.0 and math.isnan(r["ci_low"]) and not r["distinguishable"]


def test_unpaired_difference_is_welchs_normal_interval():
    b, a = _runs([10.0, 10, 10, 12], [11.0, 12, 13, 14, 15])
    r = metrics.unpaired_difference(b, a, ["name"], "x", 0.90).iloc[0]
    # means 10.5 and 13; variances 1 and 2.5: se = sqrt(1/4 + 2.5/5)
    se = math.sqrt(1 / 4 + 2.5 / 5)
    assert (r["difference"], r["replications"]) == (2.5, 4)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((2.5 - Z_95 * se, 2.5 + Z_95 * se))
    assert list(r.index) == ["name", *metrics.DIFFERENCE_COLUMNS]


def test_pairing_narrows_the_interval_when_runs_share_their_noise():
    # The shared part (sd 200) cancels in paired differences but not in unpaired ones.
    rng = np.random.default_rng(3)
    shared = rng.normal(1000, 200, 30)
    b, a = _runs(list(shared + rng.normal(0, 40, 30)), list(shared - 50 + rng.normal(0, 40, 30)))
    p = metrics.difference(b, a, ["name"], "x", paired=True).iloc[0]
    u = metrics.difference(b, a, ["name"], "x", paired=False).iloc[0]
    assert (u["ci_high"] - u["ci_low"]) > 3 * (p["ci_high"] - p["ci_low"])
    assert p["difference"] == pytest.approx(u["difference"])


@pytest.mark.parametrize("cumulative, expected", [
    ([-10.0, -6, -2, 2, 6], 2018),   # invest 10, save 4 a year
    ([-5.0, 1, -1, 2], 2018),        # turned positive in 2016, fell back: paid back only from 2018
    ([-10.0, -9], None),             # not within the horizon
    ([-1.0, 3, -0.5], None),         # ends below zero
    ([0.0, 0.0], 2015),              # no cost, no saving: never behind
    ([3.0, 1], 2015),
    ([], None),
])
def test_payback_year_is_the_first_year_from_which_the_cumulative_saving_stays_non_negative(cumulative, expected):
    s = pd.Series(cumulative, index=range(2015, 2015 + len(cumulative)), dtype=float)
    assert metrics.payback_year(s) == expected
    assert metrics.payback_year(s.iloc[::-1]) == expected  # by year, whatever the row order


@pytest.mark.parametrize("share, expected", [
    (1.0, "met"), (0.8, "met"), (0.79, "at risk"), (0.5, "at risk"), (0.21, "at risk"),
    (0.2, "missed"), (0.0, "missed"), (math.nan, "not simulated"), (None, "not simulated"),
])
def test_goal_status_from_the_goals_files_thresholds(share, expected):
    assert metrics.goal_status(share, met_share=0.8, missed_share=0.2) == expected


def test_goal_status_follows_other_thresholds_and_rejects_a_share_outside_zero_one():
    assert metrics.goal_status(0.7, met_share=0.6, missed_share=0.1) == "met"
    assert metrics.goal_status(0.15, met_share=0.9, missed_share=0.3) == "missed"
    with pytest.raises(ValueError):
        metrics.goal_status(1.2, 0.8, 0.2)
