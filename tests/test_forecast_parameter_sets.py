"""Forecast bands with parameter uncertainty: replication r uses stage-2 parameter set r mod n."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from sim.spec.parameter_sets import fixed_parameters, for_replication, parameter_sets
from sim.spec.layer import apply_layer, read_layer, write_layer
from sim.commands.common import add_parameter_uncertainty_arg, parameter_uncertainty
from sim.run.runner import run
from sim.spec.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "aalborg_2015.toml"


@pytest.fixture
def layer(tmp_path):
    """A layer with two stage-2 sets: a rate factor, a long-duration band and a cycle factor."""
    path = tmp_path / "layer.toml"
    from sim.spec.scaling import Scaling
    write_layer(path, provenance="test", meta={}, factors={"exit": 1.2, "tail": 1.5, "cycle": 0.5},
                hazards={"exit": ["dagpenge->employed"], "tail": ["dagpenge->employed"],
                         "cycle": ["dagpenge->employed", "employed->dagpenge"]},
                bounds={"exit": (0.5, 2), "tail": (0.5, 3), "cycle": (0.05, 2)},
                sets=[{"exit": 1.0, "tail": 2.0, "cycle": 0.25}, {"exit": 1.4, "tail": 1.0, "cycle": 1.0}],
                how={"tail": Scaling(from_week=52), "cycle": Scaling(on="cycle_elasticity")})
    return read_layer(path)


def hazard(sc, name):
    return next(h for h in sc.hazards if h.name == name)


def test_set_swapped_for_central_equals_the_set_applied_to_the_unfitted_model(layer):
    unfitted = load_scenario(BASELINE, fitted=False)
    fitted = dataclasses.replace(apply_layer(unfitted, layer), fitted=layer)
    for r in range(4):
        got = for_replication(fitted, r)
        want = apply_layer(unfitted, layer, parameter_set=r % 2)
        for name in ("dagpenge->employed", "employed->dagpenge"):
            g, w = hazard(got, name), hazard(want, name)
            assert g.rate == pytest.approx(w.rate, rel=1e-12)
            assert g.cycle_elasticity == pytest.approx(w.cycle_elasticity, rel=1e-12)
    # set 0: exit ×1.0, tail ×2.0 from week 52, cycle ×0.25 of the base -1
    base = hazard(unfitted, "dagpenge->employed")
    h0 = hazard(for_replication(fitted, 0), "dagpenge->employed")
    assert h0.rate[:3] == pytest.approx(base.rate[:3]) and h0.rate[3] == pytest.approx(2 * base.rate[3])
    assert h0.cycle_elasticity == pytest.approx(0.25 * base.cycle_elasticity)


def test_flag_off_uses_the_central_fit_in_every_replication(layer):
    unfitted = load_scenario(BASELINE, fitted=False)
    fitted = dataclasses.replace(apply_layer(unfitted, layer), fitted=layer)
    p = argparse.ArgumentParser()
    add_parameter_uncertainty_arg(p)
    off = parameter_uncertainty(fitted, p.parse_args(["--no-parameter-uncertainty"]))
    on = parameter_uncertainty(fitted, p.parse_args([]))
    assert parameter_sets(on) == 2 and parameter_sets(off) == 0
    assert for_replication(off, 1).hazards == fitted.hazards == fixed_parameters(fitted).hazards
    assert for_replication(on, 1).hazards != fitted.hazards


def test_runner_replications_follow_their_parameter_sets(layer):
    unfitted = load_scenario(BASELINE, fitted=False)
    sc = dataclasses.replace(apply_layer(unfitted, layer), fitted=layer).scaled(0.01)
    with_sets = run(sc, years=0.5, replications=2, seed=3)
    without = run(fixed_parameters(sc), years=0.5, replications=2, seed=3)
    by_rep = lambda res, r: res.stocks[res.stocks.replication == r].reset_index(drop=True)  # noqa: E731
    # set 1 has a different tail and cycle from the central fit: the paths part
    assert not by_rep(with_sets, 1)["persons"].equals(by_rep(without, 1)["persons"])
    # replication 1 of the run is exactly set 1 run on its own (CRN: same seed and replication)
    alone = run(fixed_parameters(for_replication(sc, 1)), years=0.5, replications=2, seed=3)
    assert by_rep(with_sets, 1)["persons"].equals(by_rep(alone, 1)["persons"])


def test_the_baseline_carries_its_layer():
    sc = load_scenario(BASELINE)
    assert sc.fitted is not None and sc.fitted.factors
    assert load_scenario(BASELINE, fitted=False).fitted is None
