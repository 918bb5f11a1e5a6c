"""Cohorts: follow the people who match some criteria at a date, and see where they go.

A cohort is chosen from the members of the states at one date (``--at``) by a small
vocabulary of criteria — states, weeks in the current spell, age, education,
a-kasse membership — parsed without eval. A watcher (the engine's hook, see
:func:`sim.engines.simpy_engine.simulate`) keeps the selected :class:`~sim.engines.simpy_engine.Citizen` objects
and reads their current state at each follow-up date; someone who left the working-age
population is in ``outside``. :mod:`sim.studies.trial` draws its target groups the same way.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

import numpy as np
import pandas as pd

from sim.spec.calendar import WEEKS_PER_YEAR, Calendar
from sim.errors import SpecError
from sim.outputs import metrics
from sim.run.parallel import ExecutorChoice, run_all
from sim.spec.schema import Node, read_toml
from sim.spec.scenario import Scenario

CRITERIA_KEYS = ("state", "min_weeks", "max_weeks", "min_age", "max_age", "education", "insured")
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")


@dataclass(frozen=True)
class Criteria:
    """Who belongs to a group at a date. ``None`` means "any".

    Weeks in the current spell ``d`` satisfy ``min_weeks <= d < max_weeks`` (so
    "over a year" is ``min_weeks = 52``); ages are whole years, both ends included
    (``min_age = 18, max_age = 29`` is "18–29-årige").
    """

    states: tuple[int, ...]
    min_weeks: float = 0.0
    max_weeks: float = math.inf
    min_age: float = 0.0
    max_age: float = math.inf
    education: tuple[int, ...] | None = None
    insured: bool | None = None
    text: str = ""

    def matches(self, c, t: float) -> bool:
        """Does citizen ``c`` (in one of :attr:`states`) meet the criteria at model time ``t``?"""
        d = t - c.entered
        if not (self.min_weeks <= d < self.max_weeks):
            return False
        age = math.floor((t - c.born) / WEEKS_PER_YEAR)
        if not (self.min_age <= age <= self.max_age):
            return False
        if self.education is not None and c.edu not in self.education:
            return False
        return self.insured is None or bool(c.insured) == self.insured

    def select(self, sim, t: float) -> list:
        """The live citizens who match at ``t``, in a fixed order (by id) whatever the event order."""
        found = [c for s in self.states for c in sim.members[s].values() if self.matches(c, t)]
        # initial citizens (integer ids) first, then newcomers ("moving_in:12") by name
        initial = sorted((c for c in found if isinstance(c.id, int)), key=_ID)
        return initial + sorted((c for c in found if not isinstance(c.id, int)), key=_ID)


_ID = attrgetter("id")


# -- parsing -----------------------------------------------------------------------------
def parse_criteria(text: str, scenario: Scenario, where: str = "--where") -> Criteria:
    """Criteria from ``"state=a|b,min_weeks=52,min_age=18,max_age=29"`` or a TOML file.

    A value ending in ``.toml`` is read as a file with a ``[cohort]`` table holding the
    same keys (``state`` may be a list). Unknown keys and bad values are a
    :class:`SpecError` naming the key.
    """
    if text.strip().endswith(".toml"):
        return load_criteria(text.strip(), scenario)
    raw: dict[str, str] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise SpecError("<command line>", where, f"expected key=value, got {part!r}")
        k, v = (x.strip() for x in part.split("=", 1))
        if k not in CRITERIA_KEYS:
            raise SpecError("<command line>", f"{where}.{k}",
                            f"unknown criterion; use one of {', '.join(CRITERIA_KEYS)}")
        if k in raw:
            raise SpecError("<command line>", f"{where}.{k}", "given twice")
        raw[k] = v
    values: dict[str, object] = dict(raw)
    if "state" in raw:
        values["state"] = [s.strip() for s in raw["state"].split("|")]
    if "education" in raw:
        values["education"] = [s.strip() for s in raw["education"].split("|")]
    return _build(values, scenario, "<command line>", where, text)


def load_criteria(path: str | Path, scenario: Scenario) -> Criteria:
    """Criteria from the ``[cohort]`` table of a small TOML file (data: never evaluated)."""
    root = Node(read_toml(Path(path)), str(path))
    node = root.node("cohort")
    values = {}
    for k in list(node.data):
        if k not in CRITERIA_KEYS:
            raise node.error(k, f"unknown criterion; use one of {', '.join(CRITERIA_KEYS)}")
        values[k] = node.raw(k)
    root.done()
    return _build(values, scenario, str(path), "cohort", str(path))


def _build(values: dict, scenario: Scenario, file: str, where: str, text: str) -> Criteria:
    def err(k: str, msg: str) -> SpecError:
        return SpecError(file, f"{where}.{k}", msg)

    def number(k: str, lo: float = 0.0) -> float:
        v = values[k]
        if isinstance(v, bool):
            raise err(k, f"expected a number, got {v!r}")
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise err(k, f"expected a number, got {v!r}") from None
        if not math.isfinite(x) or x < lo:
            raise err(k, f"must be a finite number >= {lo:g}, got {v!r}")
        return x

    def names(k: str) -> list[str]:
        v = values[k]
        v = [v] if isinstance(v, str) else v
        if not isinstance(v, list) or not v or not all(isinstance(x, str) and x for x in v):
            raise err(k, "expected one name or a list of names")
        return v

    living = [s.name for s in scenario.states if s.name != "outside"]
    if "state" not in values:
        raise err("state", f"required: which state(s) the group is in, e.g. state={living[0]}")
    states = []
    for name in names("state"):
        if name not in living:
            raise err("state", f"unknown state {name!r}; known: {', '.join(living)}")
        states.append(scenario.state_names.index(name))
    kw: dict[str, object] = {}
    for k in ("min_weeks", "max_weeks", "min_age", "max_age"):
        if k in values:
            kw[k] = number(k)
    if kw.get("min_weeks", 0.0) >= kw.get("max_weeks", math.inf):
        raise err("max_weeks", "must be above min_weeks")
    if kw.get("min_age", 0.0) > kw.get("max_age", math.inf):
        raise err("max_age", "must be at least min_age")
    if "education" in values:
        levels = scenario.education_levels
        edu = []
        for name in names("education"):
            if name not in levels:
                raise err("education", f"unknown level {name!r}; known: {', '.join(levels)}")
            edu.append(levels.index(name))
        kw["education"] = tuple(sorted(set(edu)))
    if "insured" in values:
        v = values["insured"]
        if isinstance(v, bool):
            kw["insured"] = v
        elif isinstance(v, str) and v.lower() in _TRUE + _FALSE:
            kw["insured"] = v.lower() in _TRUE
        else:
            raise err("insured", f"expected true or false, got {v!r}")
    return Criteria(states=tuple(dict.fromkeys(states)), text=text, **kw)


def model_week(scenario: Scenario, date: dt.date | str, key: str = "--at") -> float:
    """The model time of a date, which must not be before the scenario's start."""
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            raise SpecError("<command line>", key, f"expected a date YYYY-MM-DD, got {date!r}") from None
    if date < scenario.start:
        raise SpecError("<command line>", key,
                        f"{date} is before the scenario starts ({scenario.start})")
    return Calendar(scenario.start).week(date)


def add_months(date: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day if it is shorter)."""
    m = date.month - 1 + months
    y, m = date.year + m // 12, m % 12 + 1
    for day in range(date.day, 0, -1):
        try:
            return dt.date(y, m, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# -- following a cohort --------------------------------------------------------------------
class CohortWatcher:
    """Selects the cohort at ``at`` and records where each member is at the follow-up times."""

    def __init__(self, criteria: Criteria, at: float, followups: list[float]) -> None:
        self.criteria = criteria
        self.at = at
        self.followups = list(followups)
        self.times = [at] + self.followups
        self.members: list = []  # the selected Citizen objects: their .state stays current
        self.ids: list = []
        self.states: dict[float, np.ndarray] = {}  # follow-up time -> state index per member

    def __call__(self, sim, t: float) -> None:
        if t == self.at:
            self.members = self.criteria.select(sim, t)
            self.ids = [c.id for c in self.members]
        if t in self.followups:
            self.states[t] = np.array([c.state for c in self.members], dtype=np.int64)


@dataclass
class CohortResult:
    """Shares per replication (``shares``) and over replications (``bands``)."""

    scenario: Scenario
    criteria: Criteria
    at: dt.date
    months: tuple[int, ...]
    shares: pd.DataFrame  # replication, months, date, state, persons, share
    sizes: list[int]

    @property
    def bands(self) -> pd.DataFrame:
        """Mean, 5 %, median and 95 % of each share over replications (sim.outputs.metrics.bands)."""
        keys = ["months", "date", "state"]
        return metrics.bands(self.shares, keys, "share")[[*keys, "mean", "p5", "p50", "p95"]]

    def table(self) -> str:
        """States × follow-ups: mean share [5 %–95 % over replications], in per cent."""
        b = self.bands
        head = f"{'state':36s}" + "".join(f"{f'after {m} months':>24s}" for m in self.months)
        lines = [head]
        for state in self.scenario.state_names:
            rows = b[b["state"] == state].set_index("months")
            if rows["mean"].max() <= 0:
                continue
            cells = "".join(f"{100 * rows.loc[m, 'mean']:>9.1f} % [{100 * rows.loc[m, 'p5']:4.1f}-"
                            f"{100 * rows.loc[m, 'p95']:4.1f}]".ljust(24) for m in self.months)
            lines.append(f"{state:36s}{cells}")
        return "\n".join(lines)


def cohort_task(task: tuple) -> tuple[list, dict[float, np.ndarray]]:
    """``(scenario, replication, criteria, at, followups, seed)`` → (ids, states per follow-up);
    importable, so spawned processes and Dask workers can run it."""
    from sim.engines.simpy_engine import simulate
    scenario, rep, criteria, t0, times, seed = task
    w = CohortWatcher(criteria, t0, times)
    simulate(scenario, years=times[-1] / WEEKS_PER_YEAR + 1e-6, seed=seed, replication=rep,
             watchers=(w,))
    return w.ids, w.states


def describe_task(task: tuple) -> str:
    return f"cohort replication {task[1]}"


def follow(scenario: Scenario, at: dt.date | str, criteria: Criteria,
           after_months: tuple[int, ...] = (6, 12, 24), replications: int = 10,
           seed: int = 2015, workers: int = 1, progress: bool = False, *,
           executor: ExecutorChoice = None) -> CohortResult:
    """Run ``replications`` of ``scenario`` up to the last follow-up and follow the cohort.

    ``executor``/``workers`` choose where the replications run, as for
    :func:`sim.run.runner.run`; the result does not depend on them.
    """
    t0 = model_week(scenario, at)
    cal = Calendar(scenario.start)
    at_date = cal.date(t0) if not isinstance(at, dt.date) else at
    if not after_months or any(m < 1 for m in after_months):
        raise SpecError("<command line>", "--after", "months must be whole numbers >= 1")
    months = tuple(sorted(set(after_months)))
    dates = [add_months(at_date, m) for m in months]
    times = [cal.week(d) for d in dates]
    tasks = [(scenario, r, criteria, t0, times, seed) for r in range(replications)]
    done = run_all(cohort_task, tasks, executor=executor, workers=workers, progress=progress,
                   describe=describe_task)
    names = scenario.state_names
    rows, sizes = [], []
    for r, (ids, states) in enumerate(done):
        n = len(ids)
        sizes.append(n)
        for m, d, t in zip(months, dates, times):
            counts = np.bincount(states[t], minlength=len(names))
            for s, name in enumerate(names):  # an empty cohort has no shares (NaN), not zeros
                rows.append((r, m, d, name, int(counts[s]), counts[s] / n if n else math.nan))
    shares = pd.DataFrame(rows, columns=["replication", "months", "date", "state", "persons", "share"])
    return CohortResult(scenario, criteria, at_date, months, shares, sizes)


def write_tables(out: str | Path, tables: dict[str, pd.DataFrame], manifest: dict) -> Path:
    """CSV tables and a manifest, all or nothing (:func:`sim.run.store.swap_in`): only an
    empty directory or one caseflow wrote is replaced."""
    import json
    import shutil

    from sim.run import store as output
    out = output.check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.fresh_dir(out, "tmp")
    try:
        for name, df in tables.items():
            df.to_csv(tmp / name, index=False)
        (tmp / "manifest.json").write_text(
            json.dumps({"tool": output.TOOL, **manifest}, indent=2, default=str) + "\n")
        output.swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
