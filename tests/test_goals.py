"""Plan goals judged on hand-built indicator tables: met, at risk, missed."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.errors import SpecError
from sim.outputs.goals import evaluate, load_goals
from sim.spec.scenario import load_scenario

from .conftest import BASELINE


INDICATORS = ("under_30_public_support", "long_term_unemployed", "lost_dagpenge_in_year",
              "company_placements")


def table(start: list[float], end: list[float], col="under_30_public_support") -> pd.DataFrame:
    """An indicators table: ``col`` as given, the other indicators constant at 1."""
    rows = []
    for r, (a, b) in enumerate(zip(start, end)):
        for date, v in (("2015-01-01", a), ("2016-01-01", b)):
            rows.append({"replication": r, "date": date, **{c: 1 for c in INDICATORS}, col: v})
    return pd.DataFrame(rows)


# the goals file the baseline scenario names ([scenario] goals)
DEFAULT_GOALS = load_scenario(BASELINE).goals


@pytest.fixture(scope="module")
def plan():
    return load_goals(DEFAULT_GOALS)


def one(plan, goal, df, scale=1.0):
    t = evaluate(plan, df, scale, "x")
    return t[t["goal"] == goal].iloc[0]


def test_the_aalborg_plan_has_the_four_goals(plan):
    assert [g.name for g in plan.goals] == ["under_30", "long_term_unemployed", "lost_dagpenge",
                                           "company_placements"]
    assert [g.required_change for g in plan.goals] == [-0.04, -0.05, -0.05, 0.10]
    assert (plan.met_share, plan.missed_share) == (0.8, 0.2)


@pytest.mark.parametrize("ends,share,status", [
    ([95, 96, 90, 94, 95], 1.0, "met"),           # every replication falls by ≥ 4 %
    ([95, 96, 97, 99, 95], 0.6, "at risk"),       # 3 of 5 meet (96 is exactly −4 %)
    ([97, 99, 100, 101, 95], 0.2, "missed"),      # 1 of 5: at the missed threshold
])
def test_status_follows_the_share_of_replications(plan, ends, share, status):
    r = one(plan, "under_30", table([100] * 5, ends))
    assert r["share_met"] == pytest.approx(share) and r["status"] == status
    assert r["mean_change"] == pytest.approx(sum(e / 100 - 1 for e in ends) / 5)


def test_a_rise_goal_and_an_observed_reference_scaled_to_the_run(plan):
    # company placements: +10 % against the observed 700 at full scale; at scale 0.1 that is 70
    df = table([0, 0], [78, 76], "company_placements")
    r = one(plan, "company_placements", df, scale=0.1)
    assert r["share_met"] == 0.5 and r["status"] == "at risk"
    assert r["mean_change"] == pytest.approx((78 / 70 + 76 / 70) / 2 - 1)


def test_a_goal_past_the_horizon_is_not_simulated(plan):
    df = table([100], [90])
    df = df[df["date"] == "2015-01-01"]
    r = one(plan, "under_30", df)
    assert math.isnan(r["share_met"]) and r["status"] == "not simulated"


def test_bad_goals_file_names_file_and_key(tmp_path):
    text = DEFAULT_GOALS.read_text().replace("to = 2016-01-01\nrequired_change = -0.04",
                                             "from_observed = 5\nto = 2016-01-01\nrequired_change = -0.04", 1)
    bad = tmp_path / "goals.toml"
    bad.write_text(text)
    with pytest.raises(SpecError) as err:
        load_goals(bad)
    assert err.value.file == str(bad) and err.value.key == "goals.under_30.from"


def test_an_unknown_indicator_is_an_error_naming_the_goals_file(plan, tmp_path):
    bad = tmp_path / "goals.toml"
    bad.write_text(DEFAULT_GOALS.read_text().replace('indicator = "long_term_unemployed"',
                                                     'indicator = "long_term_unemployd"'))
    with pytest.raises(SpecError) as err:
        evaluate(load_goals(bad), table([1], [1]))
    assert err.value.key == "goals.long_term_unemployed.indicator"
