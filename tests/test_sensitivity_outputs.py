"""Sensitivity outputs include the net municipal cost; factors keep their scaling kind."""

from __future__ import annotations

import pytest

from sim.outputs import costs
from sim.calibration import sensitivity as sa
from sim.spec.scaling import Scaling
from sim.engines.simpy_engine import simulate


def test_net_cost_output_is_the_cost_tables_net_municipal_sum_at_full_scale(baseline):
    sc = baseline.scaled(0.01)
    r = simulate(sc, years=1, seed=2)
    out = sa.outputs(r, 1)
    t = costs.table(r)
    want = t.loc[t["year"] == 2015, "net_municipal_dkk"].sum() / 0.01 / 1e6
    assert out["net_municipal_cost_mio_dkk@1y"] == pytest.approx(want)
    # Aalborg's net spending on these benefits is in the hundreds of millions to billions of DKK
    assert 300 < out["net_municipal_cost_mio_dkk@1y"] < 5000


def test_cycle_factor_scales_the_elasticity_not_the_rate(baseline):
    f = sa.Factor("cycle", "hazards", ("dagpenge->employed",), 0.8, 1.25, Scaling(on="cycle_elasticity"))
    sc = sa.apply_factors(baseline, [f], [0.5])
    old = next(h for h in baseline.hazards if h.name == "dagpenge->employed")
    new = next(h for h in sc.hazards if h.name == "dagpenge->employed")
    assert new.rate == old.rate and new.cycle_elasticity == pytest.approx(0.5 * old.cycle_elasticity)


def test_dummy_reseeds_so_its_effect_is_monte_carlo_noise(baseline):
    """The dummy changes no parameter but re-seeds: two of its levels give different outputs
    (noise), while the same level gives bit-identical ones (common random numbers)."""
    sc = baseline.scaled(0.01)
    f = [sa.Factor(sa.DUMMY, "dummy", ())]
    assert sa.dummy_seed(f, [0.8], 5) == 5 and sa.dummy_seed(f, [1.25], 5) != 5
    low = sa.run_point((sc, f, [0.8], 1, 5, 1, "vector"))
    high = sa.run_point((sc, f, [1.25], 1, 5, 1, "vector"))
    again = sa.run_point((sc, f, [0.8], 1, 5, 1, "vector"))
    assert low == again and low != high
    assert sa.apply_factors(sc, f, [1.25]).hazards == sc.hazards
