"""Episodes binned into weekly full-time persons: exact on hand-built intervals, consistent in a run."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engines.simpy_engine import simulate
from sim.engines.recorder import bin_intervals


def test_intervals_are_split_over_weeks_exactly():
    out = np.zeros((5, 2))
    # [0.5, 2.25) in column 0: week 1 holds 0.5, week 2 a full week, week 3 a quarter
    # [3, 4) in column 1: exactly week 4; an empty interval adds nothing
    bin_intervals(out, np.array([0, 1, 1]), np.array([0.5, 3.0, 2.0]), np.array([2.25, 4.0, 2.0]))
    assert out[:, 0] == pytest.approx([0, 0.5, 1.0, 0.25, 0])
    assert out[:, 1] == pytest.approx([0, 0, 0, 0, 1.0])


def test_an_interval_ending_at_the_horizon_fills_the_last_week():
    out = np.zeros((4, 1))
    bin_intervals(out, np.array([0]), np.array([1.5]), np.array([3.0]))
    assert out[:, 0] == pytest.approx([0, 0, 0.5, 1.0])


@pytest.fixture(scope="module")
def run(baseline):
    return simulate(baseline.scaled(0.02), years=1.5, seed=21)


def test_support_steps_add_up_to_the_full_time_persons_of_each_benefit(run):
    rec, sc = run.recorder, run.scenario
    support = np.array([s.public_support for s in sc.states])
    by_state = rec.fte.sum(axis=2)
    assert np.allclose(rec.fte_support.sum(axis=2)[:, support], by_state[:, support], atol=1e-6)
    assert not rec.fte_support[:, ~support].any()
    # every step is used, and the long steps hold the long-term recipients
    assert (rec.fte_support[1:].sum(axis=(0, 1)) > 0).all()


def test_new_spells_start_in_the_first_step(run):
    """Week 1's people in weeks 5-26 of support were already on support at the start."""
    rec = run.recorder
    assert (rec.fte_support[1, :, 1:] <= rec.fte_support[0, :, :].sum(axis=1)[:, None] + 1e-9).all()


def test_programme_full_time_persons_never_exceed_the_places(run):
    rec, sc = run.recorder, run.scenario
    per_instrument = rec.fte_programme.sum(axis=1)  # week x instrument
    places = np.array([max(1, round(sc.places[n] * sc.scale)) for n in sc.instruments])
    assert (per_instrument <= places + 1e-6).all()
    assert per_instrument[1:].sum() > 0
    # a programme week is spent in a target group of the policy
    groups = {sc.state_names.index(g) for g in sc.policies}
    outside_groups = [s for s in range(len(sc.states)) if s not in groups]
    assert not rec.fte_programme[:, outside_groups, :].any()
