"""A deadline dated by the spell's start (``limit_by = "entry"``) shapes the starting stock.

Example: the 2010 dagpenge reform cut the period to 104 weeks for periods begun from a
date, while periods begun before kept a longer one. A model started two years later
must hold spells beyond 104 weeks under the old limit, which then exhaust in a wave.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.spec.calendar import Calendar
from sim.engines import ENGINES, get
from sim.model.hazards import HazardTable
from sim.model.population import elapsed_cdf
from sim.model.law import Law
from sim.spec.scenario import load_scenario

from .test_analytic import LAW
from .tiny_model import INSTRUMENTS, SCENARIO, STATES

START = dt.date(2015, 1, 1)
OLD_FROM, NEW_FROM = dt.date(2012, 9, 3), dt.date(2012, 11, 26)  # 121.4 and 109.4 weeks back
OLD, NEW = 130, 104
RULE = """
[rules.dagpenge_exhaustion]
label = "test"
states = ["dagpenge"]
clock = "dagpenge_weeks_used"
limit_by = "{by}"
unit = "weeks"
limit = [{{ from = {old_from}, value = {old}, source = "test" }}, {{ from = {new_from}, value = {new} }}]
source = "test"
then = [{{ from = 2000-01-01, shares = {{ employed = 1.0 }} }}]
"""
EXIT = 0.010  # dagpenge -> employed per week (slow, so that long spells are common)
EDU = 0.002   # dagpenge -> education per week


def scenario(tmp_path, by: str, n: int = 600):
    data = tmp_path / by
    data.mkdir()
    (data / "states.toml").write_text(STATES)
    rule = RULE.format(by=by, old_from=OLD_FROM, new_from=NEW_FROM, old=OLD, new=NEW)
    (data / "law.toml").write_text(LAW + rule)
    (data / "instruments.toml").write_text(INSTRUMENTS)
    path = data / "s.toml"
    path.write_text(SCENARIO.format(n=n, a=0.0, b=EXIT, c=EDU, d=0.02))
    return load_scenario(path, data_dir=data)


def weeks_back(date: dt.date) -> float:
    return (START - date).days / 7


def cell_shares(sc) -> np.ndarray:
    cal = Calendar(sc.start)
    cdf = np.array(elapsed_cdf(sc, HazardTable(sc, cal), Law(sc, cal), "dagpenge", 0, 0, 1))
    return np.diff(np.concatenate([[0.0], cdf]))


def expected_shares(by: str) -> np.ndarray:
    """Cells k (elapsed in [k, k+1)) weighted by survival exp(-rate k) where the spell can be
    in progress: k below the limit in force at its latest entry (-k), not begun before the
    rule's first date. By calendar, the limit in force at the start (104) for all."""
    k = np.arange(len_cdf := 521)
    if by == "entry":
        limit = np.where(k < weeks_back(NEW_FROM), NEW, OLD)
        ok = (k < limit) & (k <= weeks_back(OLD_FROM))
    else:
        ok = k < NEW
    w = np.where(ok, np.exp(-(EXIT + EDU) * k), 0.0)
    assert len(w) == len_cdf
    return w / w.sum()


@pytest.mark.parametrize("by", ["entry", "calendar"])
def test_starting_stock_holds_spells_under_the_limit_at_their_entry(tmp_path, by):
    shares = cell_shares(scenario(tmp_path, by))
    np.testing.assert_allclose(shares, expected_shares(by), rtol=1e-9, atol=1e-15)
    beyond = shares[NEW:].sum()
    if by == "entry":
        # old-rule spells: begun 109.4-121.4 weeks ago, 130-week limit; none in 104..109
        assert beyond > 0.04 and shares[NEW:110].sum() == 0 and shares[122:].sum() == 0
    else:
        assert beyond == 0


def expected_exhaustions(horizon: float, n: int, span_weeks: float) -> tuple[float, float]:
    """Mean and variance of exhaustions from the starting stock before ``horizon``.

    A spell with elapsed d = k + v (v uniform in the week) and limit L exhausts at L - d if
    it neither leaves by a hazard (rate EXIT + EDU) nor reaches pension age (ages uniform
    over ``span_weeks``, so probability (L - d) / span_weeks) first. Integrated over v on a
    fine grid; people are independent, so the count is a sum of Bernoullis."""
    shares = expected_shares("entry")
    v = (np.arange(200) + 0.5) / 200
    p_total = 0.0
    for k, share in enumerate(shares):
        if share == 0:
            continue
        limit = NEW if k < weeks_back(NEW_FROM) else OLD
        tau = limit - (k + v)
        p = np.where(tau < horizon, np.exp(-(EXIT + EDU) * tau) * (1 - tau / span_weeks), 0.0)
        p_total += share * p.mean()
    return n * p_total, n * p_total * (1 - p_total)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_old_rule_spells_exhaust_in_a_wave(tmp_path, engine):
    n, horizon, reps = 3000, 26, 2
    sc = scenario(tmp_path, "entry", n)
    span = (65 - 18) * 52.1775  # age band 18..pension age 65 (test_analytic's LAW), in weeks
    mean, var = expected_exhaustions(horizon, n, span)
    counts = []
    for r in range(reps):
        flows = get(engine)(sc, years=0.6, seed=3, replication=r).recorder.flows
        counts.append(sum(v for (w, _, _, cause), v in flows.items()
                          if cause == "dagpenge_exhaustion" and w < horizon))
    # Each replication's count is a sum of independent Bernoullis: sd = sqrt(var); the mean
    # of `reps` has sd sqrt(var / reps); 4 sd leaves a false-failure chance below 1e-4.
    assert abs(np.mean(counts) - mean) < 4 * math.sqrt(var / reps), (counts, mean, var)
