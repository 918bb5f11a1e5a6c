"""Fitting: known hazards come back; held-out targets never touch the objective; resume is exact."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from sim.calibration.fit import fit
from sim.calibration.objective import Evaluations, Problem
from sim.calibration.targets import check_against, load_targets

from .calib_helpers import PERSONS_TARGET, TARGETS_HEAD, markov, tiny_scenario

A, B = 0.02, 0.08  # true weekly hazards employed->dagpenge, dagpenge->employed
N = 2000
WEEKS = (3, 8, 15, 26)
DATES = ("2015-01-22", "2015-02-26", "2015-04-16", "2015-07-02")  # weeks 3, 8, 15, 26


def targets_file(tmp_path, values, tols, held_out=None, years=1.0):
    held_out = held_out or {}
    text = TARGETS_HEAD.format(years=years)
    for k, (d, v, tol) in enumerate(zip(DATES, values, tols)):
        text += PERSONS_TARGET.format(name=f"p{k}", date=d, value=v, tol=tol,
                                      held_out=str(held_out.get(k, False)).lower())
    p = tmp_path / "t.toml"
    p.write_text(text)
    return load_targets(p)


def test_known_hazards_are_recovered(tmp_path):
    """Simulate with known hazards → targets → calibrate from perturbed starts → hazards come back.

    Tolerance from the Monte Carlo error: people are independent two-state Markov chains,
    so the covariance of one person's indicators at the target weeks is exact (expm);
    the data mean (R_d replications, other seeds) and the fit's mean (R replications)
    each have covariance N·C/R. The estimator's covariance follows by the sandwich
    formula (JᵀWJ)⁻¹ JᵀWΣWJ (JᵀWJ)⁻¹, with J the Jacobian of the expected targets in the
    log-multipliers (finite differences of expm); we allow 4 standard deviations plus
    the optimiser's tolerance.
    """
    sc = tiny_scenario(tmp_path, n=N, a=A, b=B)
    p, cov = markov(A, B, WEEKS)
    r_data, r_fit = 4, 3
    # data: the model itself, other seeds
    data_ts = targets_file(tmp_path, [1] * 4, [1] * 4)
    data = Problem(sc, data_ts.parameters, data_ts.targets, data_ts.years, seed=777,
                   replications=r_data, engine="simpy")
    values = data.simulate(np.zeros(2)).mean(axis=0)
    sd_data = np.sqrt(np.diag(cov) * N / r_data)
    ts = targets_file(tmp_path, values, sd_data)
    check_against(ts, sc)
    problem = Problem(sc, ts.parameters, ts.targets, ts.years, seed=1, replications=r_fit,
                      engine="simpy")
    x0 = np.log([1.7, 0.55])
    f = fit(problem, budget=28, x0=x0)
    assert f.objective < f.objective0

    # tolerance derived from the Monte Carlo error
    def expected(x):
        return N * markov(A * math.exp(x[0]), B * math.exp(x[1]), WEEKS)[0]

    h = 1e-4
    jac = np.column_stack([(expected(np.eye(2)[i] * h) - expected(-np.eye(2)[i] * h)) / (2 * h)
                           for i in range(2)])
    sigma = N * cov * (1 / r_data + 1 / r_fit)
    w = np.diag(f.evaluations.w)
    bread = np.linalg.inv(jac.T @ w @ jac)
    est_cov = bread @ jac.T @ w @ sigma @ w @ jac @ bread
    sd = np.sqrt(np.diag(est_cov))
    assert np.all(np.abs(f.x) <= 4 * sd + 2e-3), (np.exp(f.x), sd)
    # and the start really was far away: this could have failed
    assert np.all(np.abs(x0) > 4 * sd)


def test_held_out_targets_never_touch_the_objective(tmp_path):
    sc = tiny_scenario(tmp_path, n=200)
    ts = targets_file(tmp_path, [20, 30, 35, 36], [5, 5, 5, 5], held_out={2: True})
    problem = Problem(sc, ts.parameters, ts.targets, ts.years, seed=3, replications=2, engine="simpy")
    x = np.log([1.1, 0.9])
    j = Evaluations(problem, None, {}).objective(x)
    moved = tuple(replace(t, value=t.value * 7) if t.held_out else t for t in ts.targets)
    j_moved = Evaluations(replace(problem, targets=moved), None, {}).objective(x)
    assert j_moved == j  # bit-identical
    shifted = tuple(replace(t, value=t.value + 5) if t.name == "p0" else t for t in ts.targets)
    assert Evaluations(replace(problem, targets=shifted), None, {}).objective(x) != j


def test_resume_after_interruption_gives_the_uninterrupted_result(tmp_path):
    sc = tiny_scenario(tmp_path, n=300)
    ts = targets_file(tmp_path, [30, 60, 80, 90], [8, 8, 8, 8], years=0.7)
    problem = Problem(sc, ts.parameters, ts.targets, ts.years, seed=5, replications=2, engine="simpy")
    x0 = np.log([1.3, 0.8])
    whole = fit(problem, budget=14, x0=x0, checkpoint=tmp_path / "whole.jsonl")
    ckpt = tmp_path / "cut.jsonl"
    with pytest.raises(KeyboardInterrupt):
        fit(problem, budget=14, x0=x0, checkpoint=ckpt, stop_after=6)
    # the interruption may cut the last line in half: resuming evaluates that point again
    text = ckpt.read_text()
    ckpt.write_text(text + text.splitlines()[-1][:20])
    resumed = fit(problem, budget=14, x0=x0, checkpoint=ckpt)
    assert resumed.evaluations.new < len(whole.evaluations.cache)
    assert np.array_equal(resumed.x, whole.x)
    assert resumed.objective == whole.objective
    assert [j for _, j in resumed.evaluations.history] == [j for _, j in whole.evaluations.history]


def test_evaluations_do_not_depend_on_the_executor(tmp_path):
    """The objective's replications give identical values sequentially and in two worker
    processes, and inside ``running()`` one pool serves every evaluation."""
    sc = tiny_scenario(tmp_path, n=300)
    ts = targets_file(tmp_path, [30, 60, 80, 90], [8, 8, 8, 8], years=0.7)
    x = np.log([1.2, 0.9])
    seq = Problem(sc, ts.parameters, ts.targets, ts.years, seed=4, replications=3, engine="simpy",
                  executor="sequential")
    par = replace(seq, executor="processes", workers=2)
    want = seq.simulate(x)
    assert want.shape == (3, 4) and np.all(np.isfinite(want)) and len(np.unique(want[:, 0])) > 1
    assert np.array_equal(par.simulate(x), want)
    with par.running():
        pool = par._open
        assert np.array_equal(par.simulate(x), want)
        assert np.array_equal(par.simulate(np.zeros(2)), seq.simulate(np.zeros(2)))
        assert par._open is pool and pool._pool is not None  # the same workers, still up
    assert par._open is None and pool._pool is None  # closed with the block
