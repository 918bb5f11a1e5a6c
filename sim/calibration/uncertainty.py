"""Stage 2: parameter uncertainty around the fit, as equally weighted parameter sets.

A small sequential importance sampler (population Monte Carlo, the weighting step of
ABC-SMC with a Gaussian kernel): with each target's tolerance and Monte Carlo error as
its standard deviation, exp(−J/2) is a Gaussian synthetic likelihood, and the prior is
uniform on the parameters' bounds (log scale). Generation 1 proposes around the fit;
each later generation proposes from the weighted mean and twice the weighted
covariance of the one before. Every evaluation goes through the same CRN objective and
checkpoint as stage 1, so stage 2 resumes too. The forecast samples the resulting sets
(one per replication) so its bands include parameter uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import multivariate_normal

from sim.calibration.model import log_bounds

FIRST_SD = 0.15  # generation-1 proposal: sd of each log-multiplier around the fit


@dataclass
class Posterior:
    points: np.ndarray  # [n, parameters] log-multipliers, every evaluated point
    weights: np.ndarray  # normalised importance weights
    sets: np.ndarray  # [n_sets, parameters] equally weighted draws (log)
    ess: float  # effective sample size of all generations' weights


def sample(fit, generations: int = 2, per_generation: int = 16, n_sets: int = 20,
           seed: int = 2015) -> Posterior:
    problem = fit.problem
    ev = fit.evaluations
    n = len(problem.parameters)
    lo, hi = np.array(log_bounds(problem.parameters)).T
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 2])))
    mean, cov = fit.x.copy(), np.diag(np.full(n, FIRST_SD ** 2))
    temper = tempering(fit)
    pts, logw = [], []
    for _ in range(generations):
        prop = multivariate_normal(mean, cov, allow_singular=True)
        draws = prop.rvs(size=per_generation, random_state=rng).reshape(per_generation, n)
        gen_pts, gen_logw = [], []
        for x in draws:
            if np.any(x < lo) or np.any(x > hi):
                continue  # prior is zero outside the bounds
            j = ev.objective(x)
            gen_pts.append(x)
            gen_logw.append(-0.5 * j / temper - prop.logpdf(x))
        if not gen_pts:
            break
        pts += gen_pts
        logw += gen_logw
        w = _normalise(np.array(gen_logw))
        gp = np.array(gen_pts)
        mean = w @ gp
        d = gp - mean
        cov = 2 * (d.T * w) @ d + np.diag(np.full(n, 1e-4))
    points = np.array(pts) if pts else fit.x[None, :]
    weights = _normalise(np.array(logw)) if logw else np.ones(1)
    # systematic resampling: n_sets equally weighted draws
    u = (rng.uniform() + np.arange(n_sets)) / n_sets
    idx = np.minimum(np.searchsorted(np.cumsum(weights), u), len(points) - 1)
    idx = idx[rng.permutation(len(idx))]  # forecasts take set r mod n: no runs of one point
    ess = float(1.0 / np.sum(weights ** 2))
    return Posterior(points, weights, points[idx], ess)


def tempering(fit) -> float:
    """J_min ÷ in-sample targets, at least 1: the synthetic likelihood's variance inflation.

    With a model that cannot fit every target (J_min well above the number of targets),
    exp(−J/2) is far too sharp and the sets collapse onto one point; dividing J by the
    fit's reduced χ² (the residual variance relative to the tolerances, as in weighted
    least squares with an estimated scale) widens the sets to the misfit actually seen.
    """
    k = sum(1 for t in fit.problem.targets if not t.held_out)
    return max(1.0, fit.objective / max(k, 1))


def _normalise(logw: np.ndarray) -> np.ndarray:
    w = np.exp(logw - logw.max())
    return w / w.sum()
