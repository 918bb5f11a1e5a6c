"""The model specification, read from data files and validated.

Three national files ship with the package (``sim/data``): the states and
definitions, the rules of the law, and the activation instruments with their
evaluated effects. A municipality is one scenario file: its population, hazards,
inflows, activation policy and places. :func:`load_scenario` reads all four and
returns a :class:`Scenario`; every problem is a :class:`~sim.errors.SpecError`
naming the file and key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim.spec import levers
from sim.spec.calendar import Dated
from sim.errors import SpecError
from sim.spec.overlay import SPLICE_FLOOR
from sim.spec.schema import MAX_PERSONS, Node, check_number, dated_entries, read_toml

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
SHARE_TOLERANCE = 1e-6
CLOCKS = ("spell_weeks", "dagpenge_weeks_used", "age_years", "pension_age", "drawn_weeks")
STAY = "stay"


# ---------------------------------------------------------------------------
# Specification objects
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class State:
    name: str
    label_da: str
    label_en: str
    public_support: bool
    unemployed: bool
    absorbing: bool
    prior_unemployed_weeks: float = 0.0  # unemployment before the spell, for people in it at the start


@dataclass(frozen=True)
class Hazard:
    """A weekly transition intensity from ``source`` to ``dest`` (named ``source->dest``)."""

    name: str
    source: str
    dest: str
    duration_weeks: tuple[float, ...]  # lower bounds of duration bands, first is 0
    rate: tuple[float, ...]
    age: tuple[float, ...]  # multiplier per age band
    education: tuple[float, ...]  # multiplier per education level
    insured: tuple[float, float]  # multiplier for (non-member, member)
    cycle_elasticity: float
    ref: str  # source text


@dataclass(frozen=True)
class Rule:
    """A legal deadline: when ``clock`` reaches ``limit`` in ``states``, move by ``then``."""

    name: str
    label: str
    states: tuple[str, ...]
    clock: str
    limit: Dated  # weeks (or years for age clocks)
    limit_by: str  # "calendar": law in force when the deadline falls; "entry": at spell start
    then: Dated  # dict dest -> share, dated by when the deadline falls
    durations: tuple[tuple[float, ...], tuple[float, ...]] | None  # for drawn_weeks
    ref: str


@dataclass(frozen=True)
class Redirect:
    """An entry rule: from ``start``, people below ``below_age`` with ``education`` land in ``map[state]``."""

    name: str
    start: dt.date
    below_age: float
    education: tuple[str, ...]
    map: dict[str, str]
    ref: str


@dataclass(frozen=True)
class Instrument:
    name: str
    label_da: str
    company_placement: bool
    duration_weeks: float
    weekly_cost_dkk: float
    during: dict[str, float]
    after: dict[str, float]
    after_weeks: float
    ref: str


@dataclass(frozen=True)
class Policy:
    """Activation for one target group (a state): the legal minimum is the baseline."""

    group: str
    exempt_share: float
    first_offer_week: Dated  # value: tuple of weeks per age band
    repeat_weeks: Dated  # 0 = no repeated offers
    mix: dict[str, float]
    ref: str


@dataclass(frozen=True)
class Referral:
    """Handing part of a target group to another actor (anden aktør) for a programme.

    A share of those entering ``group`` is handed over at a uniform week of the spell in
    ``weeks`` and follows ``instrument`` (its duration, effects and price) instead of the
    job centre's own offers; 004 §3.3.1.5: about 20 % of the insured unemployed, handed
    over after 9-16 weeks of unemployment, for 52 weeks.
    """

    group: str
    share: float
    weeks: tuple[float, float]
    instrument: str
    ref: str


@dataclass(frozen=True)
class Inflow:
    """New citizens per year arriving in the municipality's working-age population."""

    name: str
    persons_per_year: Dated
    age: float | None  # exact age on arrival, or None to draw from age_bands
    age_bands: tuple[float, ...]
    states: dict[str, float]
    education: tuple[float, ...]
    insured_share: float
    ref: str


@dataclass(frozen=True)
class Scenario:
    """A fully resolved model: everything a run needs, nothing read later."""

    name: str
    file: str
    digest: str
    start: dt.date
    states: tuple[State, ...]
    age_lower: tuple[float, ...]
    education_levels: tuple[str, ...]
    long_term_share: float
    long_term_window: float
    hazards: tuple[Hazard, ...]
    rules: tuple[Rule, ...]
    pension_age: Dated  # by birth date, in years
    reearning_weeks: float
    redirects: tuple[Redirect, ...]
    instruments: dict[str, Instrument]
    policies: dict[str, Policy]
    places: dict[str, float]
    stocks: dict[str, float]
    stock_age: dict[str, tuple[float, ...]]
    stock_education: dict[str, tuple[float, ...]]
    stock_insured: dict[str, float]
    inflows: tuple[Inflow, ...]
    cycle: dict[int, float]  # year -> national gross unemployment
    cycle_base_year: int
    exit_education_to: tuple[float, ...]  # education attained when leaving education for a job
    support_bands: tuple[float, ...] = (0.0,)  # weeks on public support: lower bounds of the steps
    referrals: dict[str, Referral] = field(default_factory=dict)  # group -> other actors
    scale: float = 1.0
    sources: dict[str, str] = field(default_factory=dict)
    title_da: str = ""  # a Danish title for reports, e.g. "Tidligere første tilbud"
    layers: tuple[str, ...] = ()  # files merged into this scenario, base first (sim/spec/overlay.py)
    # state -> (share, weeks): that share of the initial stock was unemployed for a uniform
    # 0..weeks directly before the spell in progress (the 52-week record, long-term unemployment)
    stock_prior: dict[str, tuple[float, float]] = field(default_factory=dict)
    # the fitted layer applied (sim.spec.layer.Layer), whose parameter sets give
    # forecast bands parameter uncertainty (sim.spec.parameter_sets); None if unfitted
    fitted: Any = None
    municipality: str = ""  # [scenario] municipality: names the observed figures the report shows
    # [scenario] goals: the plan goals file judged by default (run, compare, report); None if none
    goals: Path | None = None

    # -- convenience ------------------------------------------------------------
    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def age_labels(self) -> tuple[str, ...]:
        return age_labels(self.age_lower)

    def state(self, name: str) -> State:
        return self.states[self.state_names.index(name)]

    def scaled(self, scale: float) -> "Scenario":
        """The same model with the population, inflows and places multiplied by ``scale``.

        Hazards are per person, so a scaled model has the same dynamics per head;
        tests and quick looks use small scales.
        """
        if not (0 < scale <= 100):
            raise SpecError(self.file, "scale", f"must be in (0, 100], got {scale}")
        return replace(self, scale=self.scale * scale)

    def with_hazard(self, name: str, factor: float) -> "Scenario":
        """Multiply one named hazard (``"dagpenge->employed"``) by ``factor``: the researcher's knob."""
        found = [h for h in self.hazards if h.name == name]
        if not found:
            raise SpecError(self.file, f"hazards.{name}", "no such hazard")
        if not (math.isfinite(factor) and factor >= 0):
            raise SpecError(self.file, f"hazards.{name}", f"factor must be >= 0, got {factor}")
        new = tuple(replace(h, rate=tuple(r * factor for r in h.rate)) if h.name == name else h
                    for h in self.hazards)
        return replace(self, hazards=new)


def age_labels(lower: tuple[float, ...]) -> tuple[str, ...]:
    out = []
    for i, lo in enumerate(lower):
        out.append(f"{lo:g}-{lower[i + 1] - 1:g}" if i + 1 < len(lower) else f"{lo:g}+")
    return tuple(out)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------
def load_scenario(path: str | Path, data_dir: str | Path | None = None,
                  sets: tuple[str, ...] | list[str] = (), fitted: bool = True) -> Scenario:
    """Read a scenario file (with the layers it ``extends``, and ``--set`` overrides) and
    the national data files, validate, and resolve.

    A scenario may point to a fitted parameter layer (``[scenario] fitted = "path"``,
    relative to the file that says so, written by ``caseflow calibrate``); its factors are
    applied to the named hazards unless ``fitted=False`` (calibration fits the raw file).
    """
    from sim.spec.overlay import resolve
    path = Path(path)
    layered = resolve(path, sets)
    try:
        return _load(path, data_dir, layered, fitted)
    except SpecError as err:
        if err.file != str(path):
            raise
        origin = layered.origin(err.key) or str(path)
        if origin == str(path):
            raise
        if " + " in origin:  # a spliced dated list: blame the override (written last)
            origin = origin.split(" + ")[0]
        from sim.spec.overlay import COMMAND_LINE
        key = f"--set {err.key}" if origin == COMMAND_LINE else err.key
        raise SpecError(origin, key, err.message) from None


def _load(path: Path, data_dir: str | Path | None, layered, fitted: bool = True) -> Scenario:
    data_dir = Path(data_dir) if data_dir else DATA_DIR
    files = {
        "states": data_dir / "states.toml",
        "law": data_dir / "law.toml",
        "instruments": data_dir / "instruments.toml",
    }
    digest = hashlib.sha256()
    for f in (*files.values(), *layered.files):
        try:
            digest.update(Path(f).read_bytes())
        except OSError:
            pass  # read_toml below reports the missing file properly
    for text in layered.sets:
        digest.update(b"\0--set " + text.encode())
    ctx = _Context()
    _read_states(ctx, Node(read_toml(files["states"]), str(files["states"])))
    law = Node(read_toml(files["law"]), str(files["law"]))
    inst = Node(read_toml(files["instruments"]), str(files["instruments"]))
    scen = Node(layered.data, str(path))

    head = scen.node("scenario")
    name = head.str("name")
    start = head.date("start")
    municipality = head.str("municipality")
    head.str("description", "")
    title_da = head.str("title_da", "")
    fitted_path = head.str("fitted", "")
    goals_path = head.str("goals", "")
    head.done()

    _read_law(ctx, law)
    _read_instruments(ctx, inst)
    _read_population(ctx, scen.node("population"))
    _read_hazards(ctx, scen.node("hazards"))
    _read_exits(ctx, scen.node("exits"))
    _read_inflows(ctx, scen.node("inflows"))
    _read_activation(ctx, scen.node("activation"))
    _read_cycle(ctx, scen.node("business_cycle"))
    levers.apply(ctx, scen.node("levers", None))  # compiled into hazards and rule shares
    scen.done()

    scenario = Scenario(
        name=name, file=str(path), digest=digest.hexdigest(), start=start,
        states=tuple(ctx.states.values()), age_lower=ctx.age_lower,
        education_levels=ctx.education, long_term_share=ctx.long_term_share,
        long_term_window=ctx.long_term_window, hazards=tuple(ctx.hazards),
        rules=tuple(ctx.rules), pension_age=ctx.pension_age,
        reearning_weeks=ctx.reearning_weeks, redirects=tuple(ctx.redirects), instruments=ctx.instruments,
        policies=ctx.policies, places=ctx.places, stocks=ctx.stocks,
        stock_age=ctx.stock_age, stock_education=ctx.stock_education,
        stock_insured=ctx.stock_insured, inflows=tuple(ctx.inflows), cycle=ctx.cycle,
        cycle_base_year=ctx.cycle_base_year, exit_education_to=ctx.exit_education_to,
        support_bands=ctx.support_bands, referrals=ctx.referrals, sources=ctx.sources,
        title_da=title_da,
        layers=tuple(str(f) for f in layered.files), stock_prior=ctx.stock_prior,
        municipality=municipality, goals=_data_path(layered, path, "goals", goals_path),
    )
    if fitted_path and fitted:
        from sim.spec.layer import apply_layer, read_layer
        layer = _data_path(layered, path, "fitted", fitted_path)
        try:
            digest.update(layer.read_bytes())
        except OSError:
            raise SpecError(str(path), "scenario.fitted", f"fitted layer {layer} cannot be read") from None
        layer = read_layer(layer)
        scenario = replace(apply_layer(scenario, layer), digest=digest.hexdigest(), fitted=layer)
    return scenario


def _data_path(layered, path: Path, key: str, rel: str) -> Path | None:
    """A file named at ``[scenario] <key>``, relative to the layer that set it and inside the
    project (:func:`sim.spec.overlay.contained_path`); None when the key is not given."""
    if not rel:
        return None
    from sim.spec.overlay import COMMAND_LINE, contained_path, project_root
    origin = layered.origin(f"scenario.{key}") or str(path)
    where = path if origin == COMMAND_LINE else Path(origin)
    return contained_path(where, f"scenario.{key}", rel, project_root(path))


class _Context:
    """What has been read so far; later sections are checked against earlier ones."""

    def __init__(self) -> None:
        self.states: dict[str, State] = {}
        self.age_lower: tuple[float, ...] = ()
        self.education: tuple[str, ...] = ()
        self.hazards: list[Hazard] = []
        self.rules: list[Rule] = []
        self.redirects: list[Redirect] = []
        self.instruments: dict[str, Instrument] = {}
        self.policies: dict[str, Policy] = {}
        self.referrals: dict[str, Referral] = {}
        self.places: dict[str, float] = {}
        self.stocks: dict[str, float] = {}
        self.stock_age: dict[str, tuple[float, ...]] = {}
        self.stock_education: dict[str, tuple[float, ...]] = {}
        self.stock_insured: dict[str, float] = {}
        self.stock_prior: dict[str, tuple[float, float]] = {}
        self.inflows: list[Inflow] = []
        self.cycle: dict[int, float] = {}
        self.cycle_base_year = 0
        self.sources: dict[str, str] = {}
        self.exit_education_to: tuple[float, ...] = ()
        self.support_bands: tuple[float, ...] = (0.0,)

    def state(self, node: Node, key: str, name: Any, *, living: bool = False) -> str:
        if not isinstance(name, str) or name not in self.states:
            raise node.error(key, f"unknown state {name!r}; known states: {', '.join(self.states)}")
        if living and self.states[name].absorbing:
            raise node.error(key, f"state {name!r} is absorbing and cannot be used here")
        return name

    def ref(self, node: Node, what: str) -> str:
        """Every parameter table names its source; the text is kept for reports."""
        text = node.source()
        self.sources[f"{node.file}:{node.key}"] = text
        return text

    def unit(self, node: Node, expected: tuple[str, ...]) -> str:
        return node.str("unit", choices=expected)

    def by_age(self, node: Node, key: str, default: float | None, *, lo=0.0, hi=None,
               integer=False) -> tuple[float, ...]:
        """A table keyed by age-band label; missing bands take ``default``."""
        labels = age_labels(self.age_lower)
        return self._by_label(node, key, labels, default, lo=lo, hi=hi, integer=integer)

    def by_education(self, node: Node, key: str, default: float | None, *, lo=0.0,
                     hi=None) -> tuple[float, ...]:
        return self._by_label(node, key, self.education, default, lo=lo, hi=hi)

    def _by_label(self, node: Node, key: str, labels: tuple[str, ...], default: float | None,
                  *, lo=0.0, hi=None, integer=False) -> tuple[float, ...]:
        table = node.raw(key, None)
        if table is None:
            if default is None:
                raise node.error(key, "missing required key")
            return tuple(default for _ in labels)
        sub = Node(table, node.file, node.path(key))
        out = []
        for label in labels:
            if sub.has(label):
                out.append(sub.number(label, lo=lo, hi=hi, integer=integer))
            elif default is None:
                raise sub.error(label, "missing required key")
            else:
                out.append(default)
        sub.done()
        return tuple(out)

    def shares(self, node: Node, key: str, allowed: Any, what: str) -> dict[str, float]:
        """A table of shares in [0, 1] over named items that must sum to one."""
        sub = node.node(key)
        out: dict[str, float] = {}
        for name in list(sub.data):
            if name not in allowed:
                raise sub.error(name, f"unknown {what} {name!r}; expected one of {sorted(allowed)}")
            out[name] = sub.number(name, lo=0.0, hi=1.0)
        total = sum(out.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise node.error(key, f"shares must sum to 1, they sum to {total:.6g}")
        sub.done()
        return out

    def dated(self, node: Node, key: str, parse) -> Dated:
        """A scalar, or a list of ``{from = date, ...}`` tables in increasing date order."""
        value = node.raw(key)
        if not isinstance(value, list):
            return Dated.constant(parse(node, key, value))
        dates, values = [], []
        for when, v in zip(*dated_entries(node, key, value, lambda entry: parse(entry, None, None))):
            if values and v == values[-1]:
                continue  # no change on this date (e.g. an override spliced at the same value)
            dates.append(when)
            values.append(v)
        if len(values) == 1 and dates[0] <= SPLICE_FLOOR:
            return Dated.constant(values[0])  # a plain value spliced under a dated override
        return Dated(tuple(dates), tuple(values))


def _value(lo: float | None = 0.0, hi: float | None = None, integer: bool = False):
    """A parser for dated scalars: ``{from = ..., value = x[, source = "..."]}`` or a bare ``x``."""

    def parse(node: Node, key: str | None, raw: Any) -> float:
        if key is None:
            node.str("source", "")
            return node.number("value", lo=lo, hi=hi, integer=integer)
        return check_number(raw, node.file, node.path(key), lo=lo, hi=hi, integer=integer)

    return parse


# -- national files -------------------------------------------------------------
def _read_states(ctx: _Context, root: Node) -> None:
    states = root.node("states")
    for name, s in states.nodes():
        ctx.states[name] = State(
            name=name, label_da=s.str("label_da"), label_en=s.str("label_en"),
            public_support=s.bool("public_support"), unemployed=s.bool("unemployed"),
            absorbing=s.bool("absorbing", False),
            prior_unemployed_weeks=s.number("prior_unemployed_weeks", 0.0, lo=0.0, hi=520.0),
        )
        if s.has("prior_unemployed_weeks"):
            ctx.ref(s, f"{name} prior unemployment")
        s.str("description", "")
        s.done()
    for required in ("employed", "outside"):
        if required not in ctx.states:
            raise states.error(required, "this state is required by the engine")
    bands = root.node("age_bands")
    ctx.ref(bands, "age bands")
    bands.str("unit", choices=("years",))
    lower = bands.list("lower")
    for i, lo in enumerate(lower):
        check_number(lo, bands.file, f"{bands.path('lower')}[{i}]", lo=0, hi=120)
        if i and lo <= lower[i - 1]:
            raise bands.error("lower", "age bands must be in increasing order")
    if not lower:
        raise bands.error("lower", "needs at least one age band")
    ctx.age_lower = tuple(float(x) for x in lower)
    bands.done()
    edu = root.node("education")
    ctx.ref(edu, "education levels")
    levels = edu.list("levels")
    if not levels or not all(isinstance(x, str) for x in levels) or len(set(levels)) != len(levels):
        raise edu.error("levels", "expected a list of distinct names")
    ctx.education = tuple(levels)
    edu.done()
    lt = root.node("long_term_unemployment")
    ctx.ref(lt, "long-term unemployment")
    ctx.long_term_share = lt.number("share", lo=0.0, hi=1.0)
    ctx.long_term_window = lt.number("window_weeks", lo=1.0)
    lt.str("unit", choices=("share of window",))
    lt.done()
    sd = root.node("support_duration", None)
    if sd is not None:
        ctx.ref(sd, "support duration")
        sd.str("unit", choices=("weeks",))
        bounds = sd.list("bands_weeks")
        for i, b in enumerate(bounds):
            check_number(b, sd.file, f"{sd.path('bands_weeks')}[{i}]", lo=0.0)
        if not bounds or bounds[0] != 0 or any(b <= a for a, b in zip(bounds, bounds[1:])):
            raise sd.error("bands_weeks", "must start at 0 and increase")
        ctx.support_bands = tuple(float(b) for b in bounds)
        sd.done()
    root.done()


def _read_law(ctx: _Context, root: Node) -> None:
    rules = root.node("rules")
    for name, r in rules.nodes():
        ref = ctx.ref(r, name)
        clock = r.str("clock", choices=CLOCKS)
        raw_states = r.list("states")
        if raw_states == ["*"]:
            states = tuple(s for s in ctx.states if not ctx.states[s].absorbing)
        else:
            states = tuple(ctx.state(r, "states", s, living=True) for s in raw_states)
        if not states:
            raise r.error("states", "names no state")
        unit = r.str("unit", choices=("weeks", "years"))
        expected_unit = "years" if clock in ("age_years", "pension_age") else "weeks"
        if unit != expected_unit:
            raise r.error("unit", f"clock {clock!r} is measured in {expected_unit}")
        limit = Dated.constant(math.inf)
        durations = None
        if clock == "drawn_weeks":
            d = r.node("durations")
            weeks = d.list("weeks")
            shares = d.list("shares")
            if len(weeks) != len(shares) or not weeks:
                raise d.error("shares", "needs one share per duration")
            for i, w in enumerate(weeks):
                check_number(w, d.file, f"{d.path('weeks')}[{i}]", lo=0.0)
            for i, s in enumerate(shares):
                check_number(s, d.file, f"{d.path('shares')}[{i}]", lo=0.0, hi=1.0)
            if abs(sum(shares) - 1) > SHARE_TOLERANCE:
                raise d.error("shares", f"shares must sum to 1, they sum to {sum(shares):.6g}")
            d.done()
            durations = (tuple(map(float, weeks)), tuple(map(float, shares)))
        elif clock != "pension_age":
            limit = ctx.dated(r, "limit", _value(lo=0.0))
        allowed = set(ctx.states) | {STAY}

        def parse_then(entry: Node, key: Any, raw: Any, _name=name) -> dict[str, float]:
            if key is not None:
                raise entry.error(key, "expected a list of {from = date, shares = {...}} tables")
            entry.str("source", "")
            out = ctx.shares(entry, "shares", allowed, "destination")
            for dest in out:
                if dest != STAY:
                    ctx.state(entry, f"shares.{dest}", dest)
            return out

        then = ctx.dated(r, "then", parse_then)
        rules_ = Rule(name=name, label=r.str("label"), states=states, clock=clock, limit=limit,
                      limit_by=r.str("limit_by", "calendar", choices=("calendar", "entry")),
                      then=then, durations=durations, ref=ref)
        r.done()
        ctx.rules.append(rules_)
    pension = root.node("pension_age")
    ctx.ref(pension, "pension age")
    pension.str("unit", choices=("years",))
    ctx.pension_age = ctx.dated(pension, "by_birth_date", _value(lo=50.0, hi=80.0))
    pension.done()
    for name, r in root.node("redirects", {}).nodes():
        ref = ctx.ref(r, name)
        r.str("label")
        edu = r.list("education")
        for e in edu:
            if e not in ctx.education:
                raise r.error("education", f"unknown education level {e!r}")
        mapping = r.node("map")
        m = {}
        for src in list(mapping.data):
            ctx.state(mapping, src, src, living=True)
            m[src] = ctx.state(mapping, src, mapping.str(src), living=True)
        mapping.done()
        ctx.redirects.append(Redirect(name=name, start=r.date("from"),
                                      below_age=r.number("below_age", lo=0.0, hi=120.0),
                                      education=tuple(edu), map=m, ref=ref))
        r.done()
    _check_instant_cycles(ctx.rules, ctx.redirects, rules)
    dp = root.node("dagpenge")
    ctx.ref(dp, "dagpenge")
    dp.str("unit", choices=("weeks",))
    ctx.reearning_weeks = dp.number("reearning_weeks", lo=1.0)
    dp.done()
    root.done()


def _fires_on_entry(rule: Rule) -> bool:
    """Can the rule's deadline fall the moment a citizen enters one of its states?

    An age or used-dagpenge clock may already be past its limit on entry; a spell clock
    only with a limit (or a drawn length) of zero.
    """
    if rule.clock in ("age_years", "dagpenge_weeks_used"):
        return True
    if rule.clock == "drawn_weeks":
        return any(w == 0 and p > 0 for w, p in zip(*rule.durations))
    return rule.clock == "spell_weeks" and min(rule.limit.values) == 0


def _check_instant_cycles(rules: list[Rule], redirects: list[Redirect], node: Node) -> None:
    """Reject rules that could move a citizen round a loop without time passing.

    E.g. an age-30 rule on a state that sends people to that same state: at 30 the
    citizen would re-enter, be past the limit again, and the run would never advance.
    An entry redirect counts as part of the move (uddannelseshjælp at 30 → kontanthjælp,
    redirected back to uddannelseshjælp if the redirect reached past 30).
    """
    edges: dict[str, list[tuple[str, str]]] = {}
    for rule in rules:
        if not _fires_on_entry(rule):
            continue
        dests = {d for shares in rule.then.values for d, v in shares.items() if d != STAY and v > 0}
        for r in redirects:
            # after an age rule fires the citizen is at least its limit: a redirect of younger
            # people only cannot apply
            if rule.clock == "age_years" and r.below_age <= min(rule.limit.values):
                continue
            dests |= {r.map[d] for d in dests if d in r.map}
        for s in rule.states:
            edges.setdefault(s, []).extend((d, rule.name) for d in sorted(dests))

    def visit(state: str, path: list[tuple[str, str]]) -> None:
        for dest, name in edges.get(state, ()):
            if any(dest == s for s, _ in path):
                loop = " -> ".join([s for s, _ in path[[s for s, _ in path].index(dest):]] + [dest])
                raise node.error(f"{name}.then", f"rules that fire on entry form a loop ({loop}): "
                                 "a citizen would move round it forever without time passing; "
                                 "send them elsewhere, or use 'stay'")
            visit(dest, path + [(dest, name)])

    for start in sorted(edges):
        visit(start, [(start, "")])


def _read_instruments(ctx: _Context, root: Node) -> None:
    for name, i in root.node("instruments").nodes():
        ref = ctx.ref(i, name)

        def effects(key: str) -> dict[str, float]:
            sub = i.node(key, {})
            out = {}
            for dest in list(sub.data):
                ctx.state(sub, dest, dest)
                out[dest] = sub.number(dest, lo=0.0, hi=100.0)
            sub.done()
            return out

        ctx.instruments[name] = Instrument(
            name=name, label_da=i.str("label_da"), company_placement=i.bool("company_placement"),
            duration_weeks=i.number("duration_weeks", lo=0.1),
            weekly_cost_dkk=i.number("weekly_cost_dkk", lo=0.0),
            during=effects("during"), after=effects("after"),
            after_weeks=i.number("after_weeks", lo=0.0), ref=ref,
        )
        i.str("evidence", "")
        i.done()
    root.done()


# -- the scenario file -----------------------------------------------------------
def _read_population(ctx: _Context, pop: Node) -> None:
    stocks = pop.node("stocks")
    for name, s in stocks.nodes():
        ctx.state(stocks, name, name, living=True)
        ctx.ref(s, name)
        s.str("unit", choices=("persons",))
        s.str("confidence", "")
        ctx.stocks[name] = s.number("value", lo=0.0, hi=MAX_PERSONS)
        s.done()
    for key, target, reader in (
        ("age_shares", ctx.stock_age, lambda n, k: _shares_tuple(n, k, age_labels(ctx.age_lower))),
        ("education_shares", ctx.stock_education, lambda n, k: _shares_tuple(n, k, ctx.education)),
    ):
        table = pop.node(key)
        ctx.ref(table, key)
        table.str("unit", choices=("share",))
        for name in ctx.stocks:
            target[name] = reader(table, name)
        table.done()
    ins = pop.node("insured_shares")
    ctx.ref(ins, "insured")
    ins.str("unit", choices=("share",))
    for name in ctx.stocks:
        ctx.stock_insured[name] = ins.number(name, lo=0.0, hi=1.0)
    ins.done()
    done = pop.node("education_on_leaving")
    ctx.ref(done, "education on leaving")
    done.str("unit", choices=("share",))
    ctx.exit_education_to = _shares_tuple(done, "shares", ctx.education)
    done.done()
    prior = pop.node("prior_unemployment", None)
    if prior is not None:
        ctx.stock_prior.update(read_prior_unemployment(prior, ctx.stocks, ctx.states))
    pop.done()


def read_prior_unemployment(table: Node, stocks, states=None) -> dict[str, tuple[float, float]]:
    """``{state = {share, weeks}}``: earlier unemployment of the initial population.

    A ``share`` of the state's initial stock was unemployed for a uniform 0..``weeks`` weeks
    directly before the spell in progress; only states that count as unemployed may have it.
    """
    table.str("unit", choices=("share; weeks",))
    table.str("source")
    out = {}
    for name in [k for k in list(table.data) if k not in ("unit", "source")]:
        n = table.node(name)
        if name not in stocks:
            raise table.error(name, f"no initial stock for state {name!r}")
        if states is not None and not states[name].unemployed:
            raise table.error(name, f"state {name!r} does not count as unemployed")
        out[name] = (n.number("share", lo=0.0, hi=1.0), n.number("weeks", lo=0.0, hi=520.0))
        n.str("source", "")
        n.done()
    table.done()
    return out


def _shares_tuple(node: Node, key: str, labels: tuple[str, ...]) -> tuple[float, ...]:
    sub = node.node(key)
    out = []
    for label in labels:
        out.append(sub.number(label, 0.0, lo=0.0, hi=1.0))
    sub.done()
    if abs(sum(out) - 1) > SHARE_TOLERANCE:
        raise node.error(key, f"shares must sum to 1, they sum to {sum(out):.6g}")
    return tuple(out)


def _read_hazards(ctx: _Context, root: Node) -> None:
    for source, group in root.nodes():
        ctx.state(root, source, source, living=True)
        for dest, h in group.nodes():
            ctx.state(group, dest, dest)
            if dest == source:
                raise group.error(dest, "a hazard from a state to itself is not a transition")
            ctx.hazards.append(_read_hazard(ctx, h, source, dest))
        group.done()
    root.done()


def _read_hazard(ctx: _Context, h: Node, source: str, dest: str) -> Hazard:
    ref = ctx.ref(h, f"{source}->{dest}")
    h.str("unit", choices=("per week",))
    h.str("confidence", "")
    rate = h.raw("rate")
    if isinstance(rate, list):
        bands = h.list("duration_weeks")
        if len(bands) != len(rate) or not rate:
            raise h.error("duration_weeks", "needs one lower bound per rate")
        for i, b in enumerate(bands):
            check_number(b, h.file, f"{h.path('duration_weeks')}[{i}]", lo=0.0)
            if i == 0 and b != 0:
                raise h.error("duration_weeks", "the first duration band must start at 0")
            if i and b <= bands[i - 1]:
                raise h.error("duration_weeks", "duration bands must be in increasing order")
        rates = tuple(check_number(r, h.file, f"{h.path('rate')}[{i}]", lo=0.0, hi=50.0)
                      for i, r in enumerate(rate))
        bands_t = tuple(float(b) for b in bands)
    else:
        rates = (check_number(rate, h.file, h.path("rate"), lo=0.0, hi=50.0),)
        bands_t = (0.0,)
    mult = h.node("multipliers", {})
    age = ctx.by_age(mult, "age", 1.0, hi=100.0)
    edu = ctx.by_education(mult, "education", 1.0, hi=100.0)
    ins_node = mult.node("insured", {})
    insured = (ins_node.number("non_member", 1.0, hi=100.0), ins_node.number("member", 1.0, hi=100.0))
    ins_node.done()
    mult.done()
    hz = Hazard(name=f"{source}->{dest}", source=source, dest=dest, duration_weeks=bands_t,
                rate=rates, age=age, education=edu, insured=insured,
                cycle_elasticity=h.number("cycle_elasticity", 0.0, lo=-5.0, hi=5.0), ref=ref)
    h.done()
    return hz


def _read_exits(ctx: _Context, root: Node) -> None:
    """Leaving the municipality's working-age population from any state (death, moving away)."""
    for name, e in root.nodes():
        ref = ctx.ref(e, name)
        e.str("unit", choices=("per week",))
        age = ctx.by_age(e, "rate", None, hi=1.0)
        for s in ctx.states.values():
            if s.absorbing:
                continue
            ctx.hazards.append(Hazard(name=f"{name}:{s.name}->outside", source=s.name,
                                      dest="outside", duration_weeks=(0.0,), rate=(1.0,),
                                      age=age, education=tuple(1.0 for _ in ctx.education),
                                      insured=(1.0, 1.0), cycle_elasticity=0.0, ref=ref))
        e.done()
    root.done()


def _read_inflows(ctx: _Context, root: Node) -> None:
    for name, f in root.nodes():
        ref = ctx.ref(f, name)
        f.str("unit", choices=("persons per year",))
        per_year = ctx.dated(f, "persons_per_year", _value(lo=0.0, hi=MAX_PERSONS))
        age = f.number("age", None, lo=0.0, hi=120.0) if f.has("age") else None
        if age is None:
            bands = _shares_tuple(f, "age_shares", age_labels(ctx.age_lower))
        else:
            f.raw("age_shares", None)
            bands = ()
        states = ctx.shares(f, "states", {s for s, v in ctx.states.items() if not v.absorbing},
                            "state")
        edu = _shares_tuple(f, "education_shares", ctx.education)
        ctx.inflows.append(Inflow(name=name, persons_per_year=per_year, age=age, age_bands=bands,
                                  states=states, education=edu,
                                  insured_share=f.number("insured_share", lo=0.0, hi=1.0), ref=ref))
        f.done()
    root.done()


def _read_activation(ctx: _Context, root: Node) -> None:
    places = root.node("places")
    ctx.ref(places, "places")
    places.str("unit", choices=("places",))
    for name in ctx.instruments:
        ctx.places[name] = places.number(name, lo=0.0, hi=MAX_PERSONS, integer=True)
    places.done()
    pol = root.node("policy")
    for group, p in pol.nodes():
        ctx.state(pol, group, group, living=True)
        ref = ctx.ref(p, group)

        def offer_weeks(entry: Node, key: Any, raw: Any) -> tuple[float, ...]:
            if key is not None:
                v = check_number(raw, entry.file, entry.path(key), lo=0.0)
                return tuple(v for _ in ctx.age_lower)
            if entry.has("value"):
                v = entry.number("value", lo=0.0)
                return tuple(v for _ in ctx.age_lower)
            return ctx.by_age(entry, "age", None)

        ctx.policies[group] = Policy(
            group=group, exempt_share=p.number("exempt_share", lo=0.0, hi=1.0),
            first_offer_week=ctx.dated(p, "first_offer_week", offer_weeks),
            repeat_weeks=ctx.dated(p, "repeat_weeks", _value(lo=0.0)),
            mix=ctx.shares(p, "mix", set(ctx.instruments), "instrument"), ref=ref,
        )
        p.str("unit", choices=("weeks of the spell",))
        p.done()
    pol.done()
    others = root.node("other_actors", None)
    for group, r in (others.nodes() if others is not None else ()):
        ctx.state(others, group, group, living=True)
        ref = ctx.ref(r, f"other actors for {group}")
        r.str("unit", choices=("weeks of the spell",))
        weeks = r.list("weeks")
        if len(weeks) != 2:
            raise r.error("weeks", "expected [first, last] week of the spell for the handover")
        lo, hi = (check_number(w, r.file, f"{r.path('weeks')}[{k}]", lo=0.0) for k, w in enumerate(weeks))
        if hi < lo:
            raise r.error("weeks", f"the last week ({hi:g}) is before the first ({lo:g})")
        ctx.referrals[group] = Referral(
            group=group, share=r.number("share", lo=0.0, hi=1.0), weeks=(lo, hi),
            instrument=r.str("instrument", choices=tuple(ctx.instruments)), ref=ref)
        r.done()
    if others is not None:
        others.done()
    root.done()


def _read_cycle(ctx: _Context, c: Node) -> None:
    ctx.ref(c, "business cycle")
    c.str("unit", choices=("persons",))
    c.str("measure")
    ctx.cycle_base_year = int(c.number("base_year", lo=1900, hi=2200, integer=True))
    values = c.node("values")
    for year in list(values.data):
        try:
            y = int(year)
        except ValueError:
            raise values.error(year, "keys must be years like \"2015\"") from None
        ctx.cycle[y] = values.number(year, lo=1.0, hi=MAX_PERSONS)
    values.done()
    if ctx.cycle_base_year not in ctx.cycle:
        raise c.error("base_year", f"no value given for the base year {ctx.cycle_base_year}")
    c.done()
