"""Flows and net costs the report computes from run tables (bands, differences and payback
years are sim.outputs.metrics: tests/test_metrics.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.report import analysis

SUPPORT = frozenset({"dagpenge", "kontanthjaelp_jobparat", "kontanthjaelp_aktivitetsparat", "sygedagpenge"})


@pytest.mark.parametrize("src, dst, expected", [
    ("employed", "dagpenge", "inflow"),
    ("new", "sygedagpenge", "inflow"),
    ("dagpenge", "employed", "to_job"),
    ("dagpenge", "education", "to_education"),
    ("sygedagpenge", "outside", "to_outside"),
    ("dagpenge", "kontanthjaelp_jobparat", "to_other_benefit"),
    ("kontanthjaelp_jobparat", "kontanthjaelp_aktivitetsparat", "to_other_benefit"),
    ("employed", "education", None),       # off support both ends
])
def test_flow_categories(src, dst, expected):
    assert analysis.flow_category(src, dst, SUPPORT) == expected


def test_moves_within_one_benefit_group_are_not_a_flow():
    support = SUPPORT | {"dagpenge", "arbejdsmarkedsydelse"}
    assert analysis.flow_category("dagpenge", "arbejdsmarkedsydelse", support) is None


def test_net_cost_sums_a_long_costs_table_per_replication_and_year():
    costs = pd.DataFrame({"replication": [0, 0, 0, 1], "year": [2015, 2015, 2016, 2015],
                          "state": ["dagpenge", "sygedagpenge", "dagpenge", "dagpenge"],
                          "gross_dkk": [9, 9, 9, 9], "net_municipal_dkk": [1.0, 2.0, 4.0, 8.0]})
    got = analysis.net_cost_per_year(costs).set_index(["replication", "year"])["net_dkk"]
    assert got.to_dict() == {(0, 2015): 3.0, (0, 2016): 4.0, (1, 2015): 8.0}
    assert analysis.net_cost_per_year(costs.drop(columns="net_municipal_dkk")) is None
