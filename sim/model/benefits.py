"""Benefit rates and the state refund, read strictly from ``sim/data/benefits.toml``.

Kept apart from the model specification (:mod:`sim.spec.scenario`): money does not change who
moves where, so a run needs no rates, and a cost table can be recomputed from a run's
arrays with other rates. Amounts are stored in their official units and converted here
to DKK per full-time person per week; every problem is a :class:`SpecError` naming the
file and key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.spec.calendar import Dated
from sim.errors import SpecError
from sim.spec.schema import Node, check_number, dated_entries, read_toml

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "data" / "benefits.toml"
SHARE_TOLERANCE = 1e-6
AGE_SPLIT = 30.0  # kontanthjælp and uddannelseshjælp rates differ below and from 30
ACTIVITIES = ("passive", "company", "other")
FINANCING = ("kommune", "a-kasse")
BENEFIT = "benefit"  # activation refund that follows the citizen's benefit
# DKK per week from the unit an amount is published in
PER_WEEK = {
    "DKK per week": 1.0,
    "DKK per day": 5.0,  # dagpenge and MAY are paid for 5 days a week
    "DKK per month": 12.0 * 7.0 / 365.25,
    "DKK per year": 7.0 / 365.25,
}


@dataclass(frozen=True)
class Rate:
    """Weekly benefit per full-time person in ``state``: (under 30, 30 and over), dated."""

    state: str
    weekly: tuple[Dated, Dated]
    source: str

    def at(self, date: dt.date, age: float) -> float:
        return self.weekly[0 if age < AGE_SPLIT else 1].at(date)


@dataclass(frozen=True)
class Refund:
    """The state's share of a benefit, dated; each value is ``{activity: share per step}``.

    For ``financing == "a-kasse"`` (dagpenge) the file gives the municipal co-financing
    share and the value stored here is the rest, what the a-kasse and state carry, so
    that net municipal cost = gross × (1 − share) for every benefit.
    """

    state: str
    financing: str
    shares: Dated  # value: dict activity -> tuple of shares, one per staircase step
    source: str


@dataclass(frozen=True)
class ActivationRefund:
    instrument: str
    replaces_benefit: bool
    refund: Dated  # value: a share, or BENEFIT
    source: str


@dataclass(frozen=True)
class Staircase:
    start: dt.date
    weeks: tuple[float, ...]
    refund: tuple[float, ...]
    cofinancing: tuple[float, ...]
    source: str


@dataclass(frozen=True)
class Benefits:
    file: str
    households: dict[str, dict[str, float]]
    rates: dict[str, Rate]
    refunds: dict[str, Refund]
    activation: dict[str, ActivationRefund]
    staircase: Staircase

    def activation_for(self, instrument: str) -> ActivationRefund:
        return self.activation.get(instrument, self.activation["default"])

    def check(self, scenario: Any) -> None:
        """Fail unless every state of ``scenario`` has a rate, and a refund if it pays one."""
        names = set(scenario.state_names)
        for state in self.rates:
            if state not in names:
                raise SpecError(self.file, f"rates.{state}", f"unknown state {state!r}")
        for state in self.refunds:
            if state not in names:
                raise SpecError(self.file, f"refund.{state}", f"unknown state {state!r}")
        for state in scenario.state_names:
            if state not in self.rates:
                raise SpecError(self.file, f"rates.{state}", "missing: every state needs a rate (0 if none)")
            pays = any(v > 0 for d in self.rates[state].weekly for v in d.values)
            if pays and state not in self.refunds:
                raise SpecError(self.file, f"refund.{state}", "missing: a state that pays a benefit needs a refund rule")
        # the engine's fte_support steps; (0, 4, 26, 52) until Scenario carries support_bands
        bands = tuple(float(b) for b in getattr(scenario, "support_bands", (0, 4, 26, 52)))
        if bands != self.staircase.weeks:
            raise SpecError(self.file, "staircase.weeks",
                            f"must equal the scenario's support_bands {bands}")
        if any(a < AGE_SPLIT < b for a, b in zip(scenario.age_lower, scenario.age_lower[1:])):
            raise SpecError(scenario.file, "age_bands", f"rates differ at age {AGE_SPLIT:g}: it must be an age-band bound")


def load_benefits(path: str | Path | None = None) -> Benefits:
    """Read and validate a benefits file (the national one by default)."""
    path = Path(path) if path else DEFAULT_FILE
    root = Node(read_toml(path), str(path))
    households = _read_households(root.node("households"))
    stair = _read_staircase(root.node("staircase"))
    rates = {}
    rnode = root.node("rates")
    for state, r in rnode.nodes():
        rates[state] = _read_rate(state, r, households)
    rnode.done()
    refunds = {}
    fnode = root.node("refund")
    for state, f in fnode.nodes():
        refunds[state] = _read_refund(state, f, stair)
    fnode.done()
    activation = {}
    anode = root.node("activation")
    for name, a in anode.nodes():
        activation[name] = _read_activation(name, a)
    if "default" not in activation:
        raise anode.error("default", "missing required key (covers instruments not listed)")
    anode.done()
    root.done()
    return Benefits(file=str(path), households=households, rates=rates, refunds=refunds,
                    activation=activation, staircase=stair)


# ---------------------------------------------------------------------------
def _dated(node: Node, key: str, parse) -> Dated:
    """A list of ``{from = date, ...}`` tables in increasing date order."""
    dates, values = dated_entries(node, key, node.list(key), parse)
    return Dated(tuple(dates), tuple(values))


def _read_households(root: Node) -> dict[str, dict[str, float]]:
    out = {}
    for name, h in root.nodes():
        h.source()
        h.str("unit", choices=("share",))
        shares = {k: h.number(k, lo=0.0, hi=1.0) for k in h.data if k not in ("unit", "source")}
        if not shares:
            raise h.error("", "needs at least one household category")
        total = sum(shares.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise h.error("", f"shares must sum to 1, they sum to {total:.6g}")
        h.done()
        out[name] = shares
    root.done()
    return out


def _read_rate(state: str, r: Node, households: dict) -> Rate:
    if r.has("values") or not (r.has("under_30") or r.has("from_30")):
        weekly = _read_schedule(r, households)
        pair = (weekly, weekly)
        source = r.raw("source", "")
    else:
        young, old = r.node("under_30"), r.node("from_30")
        pair = (_read_schedule(young, households), _read_schedule(old, households))
        source = f"under 30: {young.raw('source', '')} 30+: {old.raw('source', '')}"
    r.done()
    return Rate(state=state, weekly=pair, source=source)


def _read_schedule(r: Node, households: dict) -> Dated:
    """One dated rate schedule → DKK per week (household-weighted)."""
    r.source()
    r.str("confidence", "", choices=("", "H", "M", "L", "H/M", "M/L"))
    factor = PER_WEEK[r.str("unit", choices=tuple(PER_WEEK))]
    mix_name = r.str("households", "")
    if mix_name and mix_name not in households:
        raise r.error("households", f"unknown household mix {mix_name!r}; known: {sorted(households)}")
    mix = households.get(mix_name)

    def parse(entry: Node) -> float:
        if entry.has("value"):
            return entry.number("value", lo=0.0) * factor
        if mix is None:
            raise entry.error("value", "missing required key (or name a `households` mix for per-household amounts)")
        amounts = {k: entry.number(k, lo=0.0) for k in entry.data if k != "from"}
        if set(amounts) != set(mix):
            missing = sorted(set(mix) - set(amounts))
            extra = sorted(set(amounts) - set(mix))
            key = extra[0] if extra else missing[0]
            raise entry.error(key, f"amounts must name exactly the categories of households.{mix_name}: {sorted(mix)}")
        return sum(mix[k] * amounts[k] for k in mix) * factor

    out = _dated(r, "values", parse)
    r.done()
    return out


def _read_staircase(s: Node) -> Staircase:
    source = s.source()
    s.str("unit", choices=("share",))
    weeks = s.list("weeks")
    for i, w in enumerate(weeks):
        check_number(w, s.file, f"{s.path('weeks')}[{i}]", lo=0.0)
        if i == 0 and w != 0:
            raise s.error("weeks", "the first step must start at week 0")
        if i and w <= weeks[i - 1]:
            raise s.error("weeks", "steps must be in increasing order")
    if not weeks:
        raise s.error("weeks", "needs at least one step")

    def shares(key: str) -> tuple[float, ...]:
        values = s.list(key)
        if len(values) != len(weeks):
            raise s.error(key, f"needs one share per step ({len(weeks)})")
        return tuple(check_number(v, s.file, f"{s.path(key)}[{i}]", lo=0.0, hi=1.0)
                     for i, v in enumerate(values))

    out = Staircase(start=s.date("from"), weeks=tuple(float(w) for w in weeks),
                    refund=shares("refund"), cofinancing=shares("cofinancing"), source=source)
    s.done()
    return out


def _read_refund(state: str, f: Node, stair: Staircase) -> Refund:
    source = f.source()
    f.str("unit", choices=("share",))
    financing = f.str("financing", choices=FINANCING)
    steps = len(stair.weeks)

    def per_step(entry: Node, key: str) -> tuple[float, ...]:
        raw = entry.raw(key)
        if isinstance(raw, list):
            if len(raw) != steps:
                raise entry.error(key, f"needs one share per staircase step ({steps})")
            vals = tuple(check_number(v, entry.file, f"{entry.path(key)}[{i}]", lo=0.0, hi=1.0)
                         for i, v in enumerate(raw))
        else:
            vals = (check_number(raw, entry.file, entry.path(key), lo=0.0, hi=1.0),) * steps
        # the file gives co-financing for a-kasse benefits; store the state's share
        return tuple(round(1.0 - v, 12) for v in vals) if financing == "a-kasse" else vals

    def parse(entry: Node) -> dict[str, tuple[float, ...]]:
        if entry.bool("staircase", False):
            if entry.date("from") < stair.start:
                raise entry.error("from", f"the staircase applies from {stair.start}")
            steps_ = stair.refund if financing == "kommune" else tuple(round(1.0 - c, 12) for c in stair.cofinancing)
            return {a: steps_ for a in ACTIVITIES}
        if entry.has("value"):
            v = per_step(entry, "value")
            return {a: v for a in ACTIVITIES}
        return {a: per_step(entry, a) for a in ACTIVITIES}

    shares = _dated(f, "values", parse)
    f.done()
    return Refund(state=state, financing=financing, shares=shares, source=source)


def _read_activation(name: str, a: Node) -> ActivationRefund:
    source = a.source()
    replaces = a.bool("replaces_benefit")

    def parse(entry: Node) -> float | str:
        raw = entry.raw("refund")
        if raw == BENEFIT:
            return BENEFIT
        if isinstance(raw, str):
            raise entry.error("refund", f"expected a share or {BENEFIT!r}, got text {raw!r}")
        return check_number(raw, entry.file, entry.path("refund"), lo=0.0, hi=1.0)

    refund = _dated(a, "values", parse)
    a.done()
    return ActivationRefund(instrument=name, replaces_benefit=replaces, refund=refund, source=source)
