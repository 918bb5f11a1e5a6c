"""Goal status: met / at risk / missed from the share of replications that meet a plan goal."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.report import goals


@pytest.mark.parametrize("share, expected", [
    (1.0, "met"), (0.8, "met"), (0.79, "at_risk"), (0.5, "at_risk"), (0.21, "at_risk"),
    (0.2, "missed"), (0.0, "missed"), (math.nan, "unknown"), (None, "unknown"),
])
def test_status_thresholds(share, expected):
    assert goals.status(share) == expected


def test_status_rejects_a_share_outside_zero_one():
    with pytest.raises(ValueError):
        goals.status(1.2)


def _indicators(start: list[float], end: list[float], column="under_30_public_support"):
    rows = []
    for r, (a, b) in enumerate(zip(start, end)):
        rows.append({"replication": r, "date": "2015-01-01", column: a})
        rows.append({"replication": r, "date": "2016-01-01", column: b})
    return pd.DataFrame(rows)


UNGE = goals.PLAN_2015[0]  # under-30s fall by at least 4 %
PLACEMENTS = goals.PLAN_2015[3]  # company placements rise by at least 10 %


def test_share_of_replications_meeting_a_fall_goal():
    # changes: -10 %, -4 % (exactly the goal: met), -3.9 %, +5 %  -> 2 of 4 meet it
    ind = _indicators([1000, 1000, 1000, 1000], [900, 960, 961, 1050])
    j = goals.judge(UNGE, ind)
    assert j.share_met == 0.5 and j.status == "at_risk"
    assert j.median_change == pytest.approx((-0.04 - 0.039) / 2)


def test_a_rise_goal_counts_rises():
    ind = _indicators([100] * 5, [111, 115, 120, 109, 130], column="company_placements")
    j = goals.judge(PLACEMENTS, ind)
    assert j.share_met == 0.8 and j.status == "met"


def test_goal_from_a_zero_reference_cannot_be_judged():
    ind = _indicators([0, 0], [40, 50], column="company_placements")
    j = goals.judge(PLACEMENTS, ind, lang="en")
    assert j.status == "unknown" and math.isnan(j.share_met) and "zero" in j.reason


def test_goal_outside_the_run_cannot_be_judged():
    ind = _indicators([100], [90]).assign(date=lambda d: d["date"].str.replace("2016", "2017"))
    assert goals.judge(UNGE, ind).status == "unknown"


def test_a_goals_table_from_another_command_is_read_by_column_name():
    t = pd.DataFrame({"goal": ["a", "b", "c", "d"], "share_met": [0.9, 0.5, 0.1, None],
                      "status": ["met", "at risk", "", ""]})
    got = [(j.label, j.status) for j in goals.from_table(t)]
    assert got == [("a", "met"), ("b", "at_risk"), ("c", "missed"), ("d", "unknown")]
