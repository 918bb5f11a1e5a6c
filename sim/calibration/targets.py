"""Calibration targets as data: what the model must reproduce, read strictly.

A target file (``calibration/targets/<municipality>.toml``) has a ``[calibration]``
table (the scenario to fit, its start date and initial stocks, the simulated years and
the free parameters) and one ``[targets.<name>]`` table per figure: value, date or
period, definition in model terms, tolerance, ``held_out`` and source. Every problem,
including a file that contradicts itself, is a :class:`~sim.errors.SpecError` naming
the file and key.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import SpecError
from sim.spec.overlay import contained_path, project_root
from sim.spec.schema import MAX_PERSONS, Node, read_toml
from sim.spec.scenario import read_prior_unemployment
from sim.spec.scaling import KINDS, PLAIN, Scaling

# measure -> (needs a date or a period, extensive: scales with the population)
MEASURES = {
    "persons": "date",       # persons in states (and age bands) at a date
    "fte": "period",         # full-time persons over a period (weeks on benefit / weeks)
    "events": "period",      # count of moves (flows with a cause) in a period
    "indicator": "date",     # a plan indicator measured at 1 January (sim/engines/simpy_engine.py)
    "fte_share": "period",   # full-time persons in states / in all living states
}
INDICATORS = ("under_30_public_support", "long_term_unemployed", "sygedagpenge_over_26_weeks",
              "company_placements", "ressourceforloeb", "public_support", "population")
UNITS = ("persons", "full-time persons", "events", "share", "relative change")


@dataclass(frozen=True)
class Target:
    """One figure and its exact definition in model terms."""

    name: str
    measure: str
    value: float
    tolerance: float  # absolute, in the unit of ``value``
    unit: str
    held_out: bool
    weight: float  # extra weight in the objective (in-sample targets only)
    source: str
    definition: str
    states: tuple[str, ...] = ()
    ages: tuple[str, ...] = ()  # age-band labels; empty = all ages
    indicator: str = ""
    causes: tuple[str, ...] = ()
    from_states: tuple[str, ...] = ()
    to_states: tuple[str, ...] = ()
    date: dt.date | None = None  # for date measures without change
    start: dt.date | None = None  # period start (inclusive) or change base date
    end: dt.date | None = None  # period end (exclusive) or change end date
    change: str = ""  # "" or "relative": (X(end) - X(start)) / X(start)
    factor: float = 1.0  # published figure = factor x model measure (e.g. net of activated)

    @property
    def extensive(self) -> bool:
        """Counts scale with the population; shares and relative changes do not."""
        return self.measure != "fte_share" and not self.change

    @property
    def last_date(self) -> dt.date:
        return self.end if self.end is not None else self.date  # type: ignore[return-value]

    @property
    def key(self) -> str:
        return f"targets.{self.name}"

    def level_signature(self) -> tuple:
        """What the target measures, without when: level targets with the same signature chain."""
        return (self.measure, self.states, self.ages, self.indicator, self.factor)


@dataclass(frozen=True)
class FreeParameter:
    """A log-multiplier on a set of named hazards, fitted within [lower, upper]."""

    name: str
    hazards: tuple[str, ...]  # hazard names, or patterns "*->dest" / "source->*"
    lower: float  # multiplier bounds
    upper: float
    source: str
    scaling: Scaling = PLAIN  # what the factor multiplies (rate, a band, ages, cycle elasticity)


@dataclass(frozen=True)
class InitialStock:
    value: float
    age_shares: dict[str, float] | None
    source: str


@dataclass(frozen=True)
class TargetSet:
    file: str
    scenario: str  # path to the scenario whose hazards are fitted
    start: dt.date
    years: float
    stocks: dict[str, InitialStock]
    parameters: tuple[FreeParameter, ...]
    targets: tuple[Target, ...]
    fit_until: dt.date | None = None  # only used by backtests
    description: str = ""
    extra: dict = field(default_factory=dict)
    # state -> (share, weeks) of earlier unemployment at the start (replaces the scenario's)
    prior_unemployment: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def in_sample(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if not t.held_out)

    @property
    def held_out(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.held_out)

    def get(self, name: str) -> Target:
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(name)


def load_targets(path: str | Path) -> TargetSet:
    """Read and check a target file; relative paths in it are relative to the file."""
    path = Path(path)
    root = Node(read_toml(path), str(path))
    cal = root.node("calibration")
    scenario = cal.str("scenario")
    scen_path = str(contained_path(path, "calibration.scenario", scenario, project_root(path),
                                    must_exist=False).resolve())  # checked when it is loaded
    start = cal.date("start")
    years = cal.number("years", lo=0.1, hi=50)
    description = cal.str("description", "")
    stocks = {}
    for name, s in cal.node("initial_stocks", {}).nodes():
        s.str("unit", choices=("persons",))
        shares = None
        if s.has("age_shares"):
            a = s.node("age_shares")
            shares = {k: a.number(k, lo=0.0, hi=1.0) for k in list(a.data)}
            a.done()
            if abs(sum(shares.values()) - 1) > 1e-6:
                raise s.error("age_shares", f"shares must sum to 1, they sum to {sum(shares.values()):.6g}")
        stocks[name] = InitialStock(s.number("value", lo=0.0, hi=MAX_PERSONS), shares, _source(s))
        s.str("confidence", "")
        s.done()
    prior_table = cal.node("prior_unemployment", None)
    prior = read_prior_unemployment(prior_table, stocks) if prior_table is not None else {}
    params = []
    for name, p in cal.node("parameters", {}).nodes():
        hz = p.list("hazards")
        if not hz or not all(isinstance(h, str) and "->" in h for h in hz):
            raise p.error("hazards", "expected a list of hazard names like \"dagpenge->employed\"")
        lower = p.number("lower", lo=1e-3, hi=1e3)
        upper = p.number("upper", lo=1e-3, hi=1e3)
        if not lower < 1.0 < upper:
            raise p.error("upper", f"bounds must contain 1 (the scenario's value): [{lower:g}, {upper:g}]")
        how = Scaling(on=p.str("on", "rate", choices=KINDS),
                      from_week=p.number("from_week", 0.0, lo=0.0, hi=520.0),
                      ages=tuple(p.list("ages", [])))
        if how.ages and (how.from_week or how.on != "rate"):
            raise p.error("ages", "ages scale the age profile of the rate; not with from_week or on")
        if how.from_week and how.on != "rate":
            raise p.error("from_week", "from_week selects rate bands; not with on = \"cycle_elasticity\"")
        params.append(FreeParameter(name, tuple(hz), lower, upper, _source(p), how))
        p.done()
    cal.done()

    end_of_run = _add_years(start, years)
    targets = []
    for name, t in root.node("targets").nodes():
        targets.append(_read_target(name, t, start, end_of_run))
    if not targets:
        raise root.error("targets", "no targets")
    root.done()
    ts = TargetSet(file=str(path), scenario=scen_path, start=start, years=years, stocks=stocks,
                   parameters=tuple(params), targets=tuple(targets), description=description,
                   prior_unemployment=prior)
    check_consistency(ts)
    return ts


def _source(n: Node) -> str:
    src = n.str("source")
    if not src.strip():
        raise n.error("source", "every figure needs a source (document and section, or 'Assumption: ...')")
    return src


def _add_years(d: dt.date, years: float) -> dt.date:
    return d + dt.timedelta(days=int(round(years * 365.25)))


def _read_target(name: str, t: Node, start: dt.date, end_of_run: dt.date) -> Target:
    measure = t.str("measure", choices=tuple(MEASURES))
    unit = t.str("unit", choices=UNITS)
    change = t.str("change", "", choices=("", "relative"))
    value = t.number("value", lo=None)
    tolerance = t.number("tolerance", lo=0.0)
    if tolerance <= 0:
        raise t.error("tolerance", "must be positive (the objective divides by it)")
    held_out = t.bool("held_out", False)
    weight = 1.0
    if t.has("weight"):
        if held_out:
            raise t.error("weight", "a held-out target is never in the objective, so it cannot be weighted")
        weight = t.number("weight", lo=0.0, hi=1e6)

    def names(key: str) -> tuple[str, ...]:
        raw = t.list(key, [])
        if not all(isinstance(x, str) for x in raw):
            raise t.error(key, "expected a list of names")
        return tuple(raw)

    kw = dict(states=names("states"), ages=names("ages"), causes=names("causes"),
              from_states=names("from_states"), to_states=names("to_states"))
    indicator = t.str("indicator", "", choices=("",) + INDICATORS)
    factor = t.number("factor", 1.0, lo=1e-6, hi=1e6)
    if t.has("factor"):
        t.str("factor_source")
    date = start_ = end = None
    if change:
        if MEASURES[measure] != "date":
            raise t.error("change", f"a relative change needs a date measure (persons, indicator), not {measure!r}")
        start_, end = t.date("from"), t.date("to")
        if unit != "relative change":
            raise t.error("unit", "a change target has unit \"relative change\"")
    elif MEASURES[measure] == "date":
        date = t.date("date")
    else:
        start_, end = t.date("from"), t.date("to")
    if start_ is not None and end is not None and start_ >= end:
        raise t.error("to", f"dates out of order: {end} is not after {start_}")
    for d, key in ((date, "date"), (start_, "from"), (end, "to")):
        if d is not None and not (start <= d <= end_of_run):
            raise t.error(key, f"{d} is outside the simulated period {start} to {end_of_run}")
    if measure == "indicator" and not indicator:
        raise t.error("indicator", f"needed for measure 'indicator'; one of {list(INDICATORS)}")
    if measure != "indicator" and indicator:
        raise t.error("indicator", "only for measure 'indicator'")
    if measure in ("persons", "fte", "fte_share") and not kw["states"]:
        raise t.error("states", f"measure {measure!r} needs the states it counts")
    if measure == "events" and not (kw["causes"] or kw["from_states"] or kw["to_states"]):
        raise t.error("causes", "an events target needs causes, from_states or to_states")
    if measure == "indicator":
        for d in (date, start_, end):
            if d is not None and (d.month, d.day) != (1, 1):
                raise t.error("date" if date else "from", "indicators are measured at 1 January")
    if measure == "fte_share" or unit == "share":
        if measure != "fte_share" or unit != "share":
            raise t.error("unit", "measure fte_share has unit \"share\" and only it")
        if not 0 <= value <= 1:
            raise t.error("value", f"a share must be in [0, 1], got {value:g}")
    if not change and measure in ("persons", "indicator") and unit not in ("persons",):
        raise t.error("unit", f"measure {measure!r} counts persons")
    if measure == "fte" and unit != "full-time persons":
        raise t.error("unit", "measure 'fte' has unit \"full-time persons\"")
    if measure == "events" and unit != "events":
        raise t.error("unit", "measure 'events' has unit \"events\"")
    if unit != "relative change" and measure != "fte_share" and value < 0:
        raise t.error("value", f"a count cannot be negative, got {value:g}")
    definition = t.str("definition")
    tgt = Target(name=name, measure=measure, value=value, tolerance=tolerance, unit=unit,
                 held_out=held_out, weight=weight, source=_source(t), definition=definition,
                 indicator=indicator, date=date, start=start_, end=end, change=change,
                 factor=factor, **kw)
    t.str("confidence", "")
    t.done()
    return tgt


def check_consistency(ts: TargetSet) -> None:
    """A relative change must agree with two level targets of the same measure at its dates.

    The change implied by the levels, (b - a) / a, may differ from the change target by at
    most the change's tolerance plus the levels' tolerances carried through the ratio.
    """
    levels = {}
    for t in ts.targets:
        if not t.change and t.date is not None:
            levels[(t.level_signature(), t.date)] = t
    for t in ts.targets:
        if not t.change:
            continue
        a = levels.get((t.level_signature(), t.start))
        b = levels.get((t.level_signature(), t.end))
        if a is None or b is None or a.value <= 0:
            continue
        implied = b.value / a.value - 1
        slack = t.tolerance + (b.value / a.value) * math.hypot(a.tolerance / a.value, b.tolerance / b.value)
        if abs(implied - t.value) > slack:
            raise SpecError(ts.file, f"{t.key}.value",
                            f"relative change {t.value:+.3f} contradicts {a.name} and {b.name}, "
                            f"which imply {implied:+.3f} (allowed difference {slack:.3f})")


def check_against(ts: TargetSet, scenario) -> None:
    """Names in the targets must exist in the scenario being fitted (states, ages, causes, hazards)."""
    states = set(scenario.state_names)
    ages = set(scenario.age_labels)
    causes = {h.name for h in scenario.hazards} | {r.name for r in scenario.rules} | \
        {f.name for f in scenario.inflows} | {"initial", "state_pension"}
    for t in ts.targets:
        for key, allowed in (("states", states), ("from_states", states), ("to_states", states),
                             ("ages", ages), ("causes", causes)):
            for name in getattr(t, key):
                if name not in allowed:
                    raise SpecError(ts.file, f"{t.key}.{key}", f"unknown name {name!r} in this scenario")
    for name, s in ts.stocks.items():
        if name not in states:
            raise SpecError(ts.file, f"calibration.initial_stocks.{name}", "unknown state")
        for a in (s.age_shares or {}):
            if a not in ages:
                raise SpecError(ts.file, f"calibration.initial_stocks.{name}.age_shares.{a}",
                                "unknown age band")
    hazard_names = [h.name for h in scenario.hazards]
    for p in ts.parameters:
        for pattern in p.hazards:
            if not match_hazards(pattern, hazard_names):
                raise SpecError(ts.file, f"calibration.parameters.{p.name}.hazards",
                                f"{pattern!r} matches no hazard of the scenario")


def match_hazards(pattern: str, names: list[str]) -> list[str]:
    """Hazard names matching ``a->b``, ``*->b`` or ``a->*`` (exits like ``death:x->outside`` excluded by ``*``)."""
    src, dst = pattern.split("->", 1)
    out = []
    for n in names:
        s, d = n.split("->", 1)
        if ":" in s and src == "*":
            continue
        if (src == "*" or src == s) and (dst == "*" or dst == d):
            out.append(n)
    return out

