"""Goals on the page: the goals file's status words and thresholds, never the report's own."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.outputs.goals import evaluate, load_goals
from sim.report import goals
from sim.spec.scenario import load_scenario

from ..conftest import BASELINE


@pytest.fixture(scope="module")
def plan():
    return load_goals(load_scenario(BASELINE).goals)


def _indicators(start: list[float], end: list[float], column="under_30_public_support"):
    rows = []
    for r, (a, b) in enumerate(zip(start, end)):
        rows.append({"replication": r, "date": "2015-01-01", column: a})
        rows.append({"replication": r, "date": "2016-01-01", column: b})
    return pd.DataFrame(rows)


def test_a_goals_table_is_shown_with_its_own_status_words():
    t = pd.DataFrame({"goal": ["a", "b", "c", "d"], "share_met": [0.9, 0.5, 0.1, None],
                      "status": ["met", "at risk", "missed", "not simulated"],
                      "required_change": [-0.04, -0.05, 0.1, 0.1]})
    got = [(j.label, j.status, goals.css(j.status)) for j in goals.from_table(t)]
    assert got == [("a", "met", "met"), ("b", "at risk", "at_risk"), ("c", "missed", "missed"),
                   ("d", "not simulated", "not_simulated")]


def test_a_table_without_status_takes_the_goals_files_thresholds(plan):
    # 0.7 is "at risk" under the file's met_share 0.8; with a stricter file it is still at risk,
    # with a laxer one (met_share 0.6) it is met: the thresholds come from the file, not the code
    t = pd.DataFrame({"goal": ["a"], "share_met": [0.7]})
    assert goals.from_table(t, plan=plan)[0].status == "at risk"
    lax = type(plan)(plan.name, plan.file, 0.6, 0.2, plan.goals)
    assert goals.from_table(t, plan=lax)[0].status == "met"
    assert goals.from_table(t)[0].status == "not simulated"  # no file: not judged


def test_judged_from_the_file_as_the_commands_write_goals_csv(plan):
    ind = _indicators([1000, 1000, 1000, 1000], [900, 960, 961, 1050])
    for column in ("long_term_unemployed", "lost_dagpenge_in_year", "company_placements"):
        ind[column] = 1.0
    written = evaluate(plan, ind)
    shown = goals.from_plan(plan, ind)
    assert [j.status for j in shown] == list(written["status"])
    assert [j.label for j in shown] == list(written["label_da"])
    first = shown[0]  # under-30s: -10 %, -4 % (exactly the goal), -3.9 %, +5 % -> 2 of 4 meet it
    assert first.share_met == 0.5 and first.status == "at risk"
    assert first.target == -0.04 and first.mean_change == pytest.approx((-0.1 - 0.04 - 0.039 + 0.05) / 4)
    assert shown[1].share_met == 0.0 and shown[1].status == "missed"  # 1 -> 1: no fall at all
