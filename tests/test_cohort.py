"""Cohorts: the right people are chosen, and every one of them is somewhere later."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.spec.calendar import WEEKS_PER_YEAR, Calendar
from sim.cli import main
from sim.studies.cohort import CohortWatcher, add_months, follow, parse_criteria
from sim.engines.simpy_engine import simulate
from sim.errors import SpecError

from .conftest import BASELINE

WHERE = ("state=dagpenge|kontanthjaelp_jobparat|kontanthjaelp_aktivitetsparat,min_weeks=13,"
         "max_weeks=80,min_age=25,max_age=49,education=basic|vocational,insured=true")


@pytest.fixture(scope="module")
def small(baseline):
    return baseline.scaled(0.03)


class Snapshot:
    """Everyone's state and attributes at some times, collected independently of the cohort code."""

    def __init__(self, times):
        self.times = times
        self.seen = {}

    def __call__(self, sim, t):
        self.seen[t] = {c.id: (sim.names[s], t - c.entered, (t - c.born) / WEEKS_PER_YEAR,
                               sim.scenario.education_levels[c.edu], c.insured)
                        for s, members in enumerate(sim.members) for c in members.values()}


def test_cohort_is_exactly_the_members_who_match_and_later_states_are_where_they_are(small):
    cal = Calendar(small.start)
    at, later = cal.week(add_months(small.start, 3)), cal.week(add_months(small.start, 9))
    w = CohortWatcher(parse_criteria(WHERE, small), at, [later])
    snap = Snapshot([at, later])
    simulate(small, years=later / WEEKS_PER_YEAR + 1e-6, seed=4, watchers=(w, snap))
    everyone = snap.seen[at]
    expected = {cid for cid, (state, weeks, age, edu, insured) in everyone.items()
                if state in ("dagpenge", "kontanthjaelp_jobparat", "kontanthjaelp_aktivitetsparat")
                and 13 <= weeks < 80 and 25 <= math.floor(age) <= 49
                and edu in ("basic", "vocational") and insured}
    assert 20 < len(expected) < len(everyone) // 10  # the criteria choose, and choose someone
    assert set(w.ids) == expected and len(w.ids) == len(expected)
    # later: a member's state is where the independent snapshot finds them, else outside
    found = {cid: v[0] for cid, v in snap.seen[later].items()}
    states = [small.state_names[s] for s in w.states[later]]
    assert states == [found.get(cid, "outside") for cid in w.ids]
    # members moved on: some are in another state than at the cohort date (which states
    # depends on the draws and the fitted hazards, so the test does not name them)
    moved = sum(everyone[cid][0] != s for cid, s in zip(w.ids, states))
    assert 0 < moved < len(w.ids), (moved, len(w.ids))


def test_shares_sum_to_one_at_every_follow_up(small):
    crit = parse_criteria("state=uddannelseshjaelp_uddannelsesparat|uddannelseshjaelp_aktivitetsparat,"
                          "min_weeks=26", small)
    res = follow(small, "2015-04-01", crit, (6, 12), replications=2, seed=3)
    assert all(n > 5 for n in res.sizes)
    sums = res.shares.groupby(["replication", "months"])["share"].sum()
    assert np.allclose(sums, 1.0) and len(sums) == 4
    persons = res.shares.groupby(["replication", "months"])["persons"].sum()
    assert (persons.groupby("replication").first().tolist() == res.sizes)
    # people move: the share still in the starting states falls between 6 and 12 months
    start = res.bands[res.bands["state"].str.startswith("uddannelseshjaelp")].groupby("months")["mean"].sum()
    assert start[12] < start[6] < 1.0


def test_criteria_from_a_toml_file_equal_the_same_criteria_inline(small, tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[cohort]\nstate = ["dagpenge", "kontanthjaelp_jobparat", "kontanthjaelp_aktivitetsparat"]\n'
                 'min_weeks = 13\nmax_weeks = 80\nmin_age = 25\nmax_age = 49\n'
                 'education = ["basic", "vocational"]\ninsured = true\n')
    a, b = parse_criteria(str(f), small), parse_criteria(WHERE, small)
    assert (a.states, a.min_weeks, a.max_weeks, a.min_age, a.max_age, a.education, a.insured) == \
        (b.states, b.min_weeks, b.max_weeks, b.min_age, b.max_age, b.education, b.insured)


@pytest.mark.parametrize("where, key", [
    ("state=dagpenge,colour=red", "--where.colour"),
    ("state=nosuch", "--where.state"),
    ("min_weeks=52", "--where.state"),
    ("state=outside", "--where.state"),
    ("state=dagpenge,min_weeks=-1", "--where.min_weeks"),
    ("state=dagpenge,min_weeks=52,max_weeks=26", "--where.max_weeks"),
    ("state=dagpenge,insured=maybe", "--where.insured"),
    ("state=dagpenge,education=phd", "--where.education"),
    ("state=dagpenge,min_age=__import__('os')", "--where.min_age"),
    ("state=dagpenge,min_weeks", "--where"),
])
def test_bad_criteria_name_the_key(small, where, key):
    with pytest.raises(SpecError) as e:
        parse_criteria(where, small)
    assert e.value.key == key


def test_bad_criteria_file_names_file_and_key(small, tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[cohort]\nstate = "dagpenge"\nmin_wekes = 3\n')
    with pytest.raises(SpecError) as e:
        parse_criteria(str(f), small)
    assert e.value.file == str(f) and e.value.key == "cohort.min_wekes"


def test_cohort_command_writes_tables_and_bad_input_writes_nothing(tmp_path, capsys):
    out = tmp_path / "c"
    base = ["cohort", str(BASELINE), "--scale", "0.02", "--at", "2015-02-01", "--after", "3,6",
            "--replications", "1"]
    assert main(base + ["--where", "state=dagpenge,min_weeks=26", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"cohort.csv", "cohort_summary.csv", "manifest.json"}
    assert "after 6 months" in capsys.readouterr().out
    bad = tmp_path / "bad"
    assert main(base + ["--where", "state=dagpenge,weeks=26", "--out", str(bad)]) == 2
    assert "--where.weeks" in capsys.readouterr().err and not bad.exists()
    assert main(base + ["--where", "state=dagpenge", "--at", "2014-01-01", "--out", str(bad)]) == 2
    assert not bad.exists()


def test_the_shares_do_not_depend_on_the_executor(small, tmp_path):
    """Sequential and two worker processes give identical tables; so does a pool whose worker
    dies on replication 1 (tests/faults.py), whose tasks run again with the same answer."""
    from sim.run import executors

    from .faults import Faulty
    crit = parse_criteria("state=dagpenge|kontanthjaelp_jobparat,min_weeks=4", small)
    args = (small, "2015-03-01", crit, (3, 6), 3, 11)
    ref = follow(*args, executor="sequential")
    assert min(ref.sizes) > 5  # a cohort to follow: the comparison could fail
    par = follow(*args, workers=2, executor="processes")
    assert par.shares.to_csv(index=False) == ref.shares.to_csv(index=False)
    assert par.sizes == ref.sizes
    marker = tmp_path / "died"
    with executors.make("processes", 2) as ex:
        survived = follow(*args, executor=Faulty(ex, f"exit:1:{marker}"))
    assert marker.exists(), "the fault was not triggered: the test would prove nothing"
    assert survived.shares.to_csv(index=False) == ref.shares.to_csv(index=False)


def test_cohort_command_bad_executor_is_an_input_error(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["cohort", str(BASELINE), "--scale", "0.02", "--at", "2015-02-01", "--replications", "1",
                 "--where", "state=dagpenge", "--executor", "threads", "--out", str(out)]) == 2
    assert "--executor" in capsys.readouterr().err and not out.exists()
