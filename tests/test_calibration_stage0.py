"""Stage 0 catches a target file whose flows and stocks cannot both be true, before simulating."""

from __future__ import annotations

import pytest

from sim.calibration import stage0
from sim.calibration.targets import load_targets
from sim.errors import SpecError

from .calib_helpers import TARGETS_HEAD, markov, tiny_scenario

A, B, N = 0.02, 0.08, 1000

FLOW_AND_STOCKS = """
[targets.exits]
measure = "events"
from_states = ["dagpenge"]
to_states = ["employed"]
from = 2015-01-01
to = 2015-12-31
value = {exits}
unit = "events"
tolerance = 40
definition = "moves from dagpenge to employed in 2015"
source = "test"
[targets.stock_2015]
measure = "fte"
states = ["dagpenge"]
from = 2015-01-01
to = 2015-12-31
value = {fte}
unit = "full-time persons"
tolerance = 10
definition = "full-time persons on dagpenge in 2015"
source = "test"
[targets.end_2015]
measure = "persons"
states = ["dagpenge"]
date = 2015-12-31
value = {end}
unit = "persons"
tolerance = 10
definition = "persons on dagpenge at the end of 2015"
source = "test"
"""


def load(tmp_path, exits, fte, end):
    p = tmp_path / "t.toml"
    p.write_text(TARGETS_HEAD.format(years=1) + FLOW_AND_STOCKS.format(exits=exits, fte=fte, end=end))
    return load_targets(p)


def truth():
    weeks = [w for w in range(0, 53)]
    p, _ = markov(A, B, weeks)
    fte = N * p[1:].mean()
    return fte * B * 52, fte, N * p[52]


def test_consistent_flows_and_stocks_pass(tmp_path):
    sc = tiny_scenario(tmp_path, n=N, a=A, b=B)
    exits, fte, end = truth()
    ts = load(tmp_path, round(exits), round(fte), round(end))
    df = stage0.check(ts, sc, raise_on_flag=True)
    crude = df.attrs["crude_rates"][("dagpenge", "employed")]
    assert crude == pytest.approx(B, rel=0.02)  # flow ÷ (average stock × weeks)
    assert not df["flagged"].any()
    assert df.set_index("target").loc["end_2015", "implied"] == pytest.approx(end, rel=0.03)


def test_flows_contradicting_the_stocks_are_flagged(tmp_path):
    sc = tiny_scenario(tmp_path, n=N, a=A, b=B)
    exits, fte, end = truth()
    # three times the exits from the same stock: the stock at the end cannot stay where it is
    ts = load(tmp_path, round(3 * exits), round(fte), round(end))
    with pytest.raises(SpecError) as e:
        stage0.check(ts, sc, raise_on_flag=True)
    assert e.value.key in ("targets.end_2015.value", "targets.stock_2015.value")
    assert "inconsistent" in str(e.value)
