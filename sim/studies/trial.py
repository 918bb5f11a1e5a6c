"""Virtual trials: a randomised pilot run inside the model, next to the effect the model knows.

Danish job-centre pilots (Mentorforsøget, Hurtigt i gang, …) draw a few hundred people
from a target group, split them at random into treatment and control, and compare
outcomes some months later. :func:`run_trial` does the same in the model, so users see
how far a pilot of that size can land from the truth:

* the *pilot*: at ``at`` the eligible members of the group (:class:`~sim.studies.cohort.Criteria`)
  are listed by id; ``2 × size`` of them are drawn from the trial's own random stream
  (keyed by the replication and the trial, so the split is reproducible and draws no
  number anyone else would have drawn) and split into treatment and control; the
  treatment gets the intervention; after ``followup`` weeks each outcome is compared
  (difference in proportions with Newcombe's hybrid-score 95 % interval);
* the *true effect*: the same replication is run twice more with common random numbers,
  once with the intervention given to everyone eligible and once to no one; the
  difference of the group's outcome shares is that replication's average treatment
  effect, and its mean over replications is the true effect printed.

Interventions come from the scenario's vocabulary (:func:`parse_intervention`): an
instrument of ``sim/data/instruments.toml`` started at once on a pilot's own place, or
multipliers on named hazards for some weeks (a :class:`~sim.model.activation.Boost`). The
policy logic stays in :mod:`sim.model.activation`; this module only decides who gets what,
and the engine only learns, through ``sim._wake``, that someone's hazards changed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.model.activation import Boost
from sim.spec.calendar import WEEKS_PER_YEAR, Calendar
from sim.studies.cohort import Criteria, model_week
from sim.errors import SpecError
from sim.outputs import metrics
from sim.model.rng import Stream, key
from sim.run.parallel import ExecutorChoice, run_all
from sim.spec.scenario import Scenario

Z95 = 1.959963984540054  # standard normal 97.5 % quantile
WORLDS = ("trial", "all", "none")
DEFAULT_OUTCOMES = ("started_education", "in_education", "employed", "off_support")
_HAZARD = re.compile(r"^\s*([a-z_]+)\s*->\s*([a-z_]+)\s*\*\s*([0-9.eE+-]+)\s*$")


# -- interventions ---------------------------------------------------------------------
@dataclass(frozen=True)
class Intervention:
    """What the treatment arm gets at the trial date."""

    text: str
    instrument: str | None = None  # started at once, on a pilot's own place
    boost: Boost | None = None  # hazard multipliers ...
    weeks: float = math.inf  # ... for this many weeks

    def start(self, sim, c, now: float) -> None:
        if self.instrument is not None:
            sim.activation.start_now(c, self.instrument, now)
        if self.boost is not None:
            sim.activation.add_boost(c, self.boost)

    def end(self, sim, c) -> None:
        if self.boost is not None:
            sim.activation.remove_boost(c)


def parse_intervention(text: str, scenario: Scenario, where: str = "--intervention") -> Intervention:
    """``mentor`` (an instrument), or ``LABEL:SOURCE->DEST*FACTOR[+SOURCE->DEST*FACTOR...]:WEEKS``.

    ``contact:dagpenge->employed*1.2:26`` multiplies the named hazard dagpenge->employed
    by 1.2 for 26 weeks (whenever the citizen is on dagpenge in that time). Hazard names
    must exist in the scenario; a factor of 1.0 is a placebo.
    """
    text = text.strip()
    err = lambda msg: SpecError("<command line>", where, msg)  # noqa: E731
    parts = text.split(":")
    if len(parts) == 1 or (len(parts) == 2 and parts[0] == "instrument"):
        name = parts[-1]
        if name not in scenario.instruments:
            raise err(f"unknown instrument {name!r}; known: {', '.join(scenario.instruments)} "
                      f"(or LABEL:SOURCE->DEST*FACTOR:WEEKS for a hazard multiplier)")
        return Intervention(text, instrument=name)
    if len(parts) != 3:
        raise err(f"expected an instrument name or LABEL:SOURCE->DEST*FACTOR:WEEKS, got {text!r}")
    _label, terms, weeks_text = parts
    try:
        weeks = float(weeks_text)
    except ValueError:
        raise err(f"weeks must be a number, got {weeks_text!r}") from None
    if not (math.isfinite(weeks) and weeks > 0):
        raise err(f"weeks must be positive, got {weeks_text!r}")
    index = {n: i for i, n in enumerate(scenario.state_names)}
    hazards = {h.name for h in scenario.hazards}
    factors = []
    for term in terms.split("+"):
        m = _HAZARD.match(term)
        if not m:
            raise err(f"expected SOURCE->DEST*FACTOR, got {term!r}")
        src, dst, f = m.groups()
        if f"{src}->{dst}" not in hazards:
            raise err(f"no hazard {src}->{dst} in the scenario")
        try:
            factor = float(f)
        except ValueError:
            raise err(f"factor must be a number, got {f!r}") from None
        if not (math.isfinite(factor) and 0 <= factor <= 100):
            raise err(f"factor must be in [0, 100], got {f!r}")
        factors.append((index[src], index[dst], factor))
    return Intervention(text, boost=Boost(tuple(sorted(factors))), weeks=weeks)


# -- outcomes --------------------------------------------------------------------------------
def outcome_names(text: str | tuple[str, ...], scenario: Scenario) -> tuple[str, ...]:
    """Check outcome names: employed, in_education, started_education, started_job,
    off_support, or ``in:STATE`` (in that state at the follow-up)."""
    names = tuple(x.strip() for x in text.split(",") if x.strip()) if isinstance(text, str) else tuple(text)
    known = ("employed", "in_education", "started_education", "started_job", "off_support")
    living = [s.name for s in scenario.states]
    if not names:
        raise SpecError("<command line>", "--outcomes", "name at least one outcome")
    for n in names:
        if n.startswith("in:") and n[3:] in living:
            continue
        if n not in known:
            raise SpecError("<command line>", f"--outcomes.{n}",
                            f"unknown outcome; use {', '.join(known)} or in:STATE")
        if n in ("employed", "started_job") and "employed" not in living or \
                n in ("in_education", "started_education") and "education" not in living:
            raise SpecError("<command line>", f"--outcomes.{n}", "the scenario has no such state")
    return names


def _measure(names: tuple[str, ...], scenario: Scenario, idx: dict, c, entered: set[int]) -> list[bool]:
    """Outcome values of one citizen at the follow-up; ``entered``: states entered since the start."""
    out = []
    for n in names:
        if n == "employed":
            out.append(c.state == idx["employed"])
        elif n == "in_education":
            out.append(c.state == idx["education"])
        elif n == "started_education":
            out.append(idx["education"] in entered)
        elif n == "started_job":
            out.append(idx["employed"] in entered)
        elif n == "off_support":  # self-supporting or in education (SU is not public support here)
            st = scenario.states[c.state]
            out.append(not st.public_support and st.name != "outside")
        else:
            out.append(c.state == idx[n[3:]])
    return out


# -- the design and the watcher that carries it out ---------------------------------------------
@dataclass(frozen=True)
class Trial:
    group: Criteria
    at: float  # model week of randomisation
    size: int  # persons per arm
    intervention: Intervention
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES
    followup: float = 26.0  # weeks from randomisation to measurement

    @property
    def end(self) -> float:
        return self.at + self.followup


def draw_arms(stream: Stream, n: int, size: int) -> tuple[list[int], list[int]]:
    """``size`` treatment and ``size`` control positions among ``n``, without replacement
    (a partial Fisher–Yates shuffle on the trial's own stream)."""
    k = min(2 * size, n - n % 2)
    pos = list(range(n))
    for i in range(k):
        j = i + min(int(stream.uniform() * (n - i)), n - i - 1)
        pos[i], pos[j] = pos[j], pos[i]
    half = k // 2
    return pos[:half], pos[half:k]


class TrialWatcher:
    """At ``at``: list the eligible, draw the arms, start the intervention for the treated
    (the arm in the ``trial`` world, everyone in ``all``, no one in ``none``); at the end
    of a boost, remove it; at ``at + followup``: measure everyone eligible."""

    def __init__(self, trial: Trial, world: str) -> None:
        if world not in WORLDS:
            raise ValueError(world)
        self.trial = trial
        self.world = world
        times = {trial.at, trial.end}
        if trial.intervention.boost is not None and trial.intervention.weeks < trial.followup:
            times.add(trial.at + trial.intervention.weeks)
        self.times = sorted(times)
        self.eligible: list = []
        self.ids: list = []
        self.treatment: list[int] = []  # positions in eligible
        self.control: list[int] = []
        self.treated: list = []
        self.y: np.ndarray | None = None  # eligible × outcome, 0/1

    def __call__(self, sim, t: float) -> None:
        tr = self.trial
        if t == tr.at:
            self.eligible = tr.group.select(sim, t)
            self.ids = [c.id for c in self.eligible]
            stream = Stream(key(sim.rep_key, "trial", tr.group.text, repr(tr.at)))
            self.treatment, self.control = draw_arms(stream, len(self.eligible), tr.size)
            if self.world == "trial":
                self.treated = [self.eligible[i] for i in self.treatment]
            elif self.world == "all":
                self.treated = list(self.eligible)
            for c in self.eligible:
                sim.recorder.trace.add(c.id)  # the engine logs their moves: "started education"
            for c in self.treated:
                tr.intervention.start(sim, c, t)
            for c in self.eligible:  # everyone eligible, in every world: common random numbers
                sim._wake(c)
        elif t < tr.end:  # the boost ends
            for c in self.treated:
                tr.intervention.end(sim, c)
                sim._wake(c)
        if t == tr.end:
            names = tr.outcomes
            rows = []
            for c in self.eligible:
                entered = {sim.index[d.split(" (", 1)[0]] for (when, ev, d) in sim.recorder.log[c.id]
                           if ev == "enter" and tr.at < when <= tr.end}
                rows.append(_measure(names, sim.scenario, sim.index, c, entered))
            self.y = np.array(rows, dtype=np.int8).reshape(len(self.eligible), len(names))


def simulate_trial(scenario: Scenario, trial: Trial, seed: int, replication: int,
                   world: str = "trial") -> TrialWatcher:
    """One replication of one world, run just past the follow-up."""
    from sim.engines.simpy_engine import simulate
    w = TrialWatcher(trial, world)
    simulate(scenario, years=trial.end / WEEKS_PER_YEAR + 1e-6, seed=seed,
             replication=replication, watchers=(w,))
    return w


# -- statistics ---------------------------------------------------------------------------------
def wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion x/n."""
    if n == 0:
        return 0.0, 1.0
    p = x / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z / den * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """p1 - p2 with Newcombe's hybrid score interval (1998, method 10).

    Chosen over Wald because pilot outcomes are often rare (5–15 %) and Wald's coverage
    falls below nominal there; Newcombe's stays near nominal and never leaves [-1, 1].
    """
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


# -- running it all -------------------------------------------------------------------------------
@dataclass
class TrialResult:
    scenario: Scenario
    trial: Trial
    at: dt.date
    pilots: pd.DataFrame  # one row per replication × outcome: the pilot's estimate and interval
    truth: pd.DataFrame  # one row per replication × outcome: the group's average treatment effect
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        """Per outcome: the true effect and how the pilots scatter around it."""
        rows = []
        for o in self.trial.outcomes:
            p = self.pilots[self.pilots["outcome"] == o]
            t = self.truth[self.truth["outcome"] == o]["effect"]
            true = t.mean() if len(t) else math.nan
            se = t.std(ddof=1) / math.sqrt(len(t)) if len(t) > 1 else math.nan
            covers = ((p["lo"] <= true) & (true <= p["hi"])).mean() if len(t) else math.nan
            spread = metrics.band(p["estimate"])  # how the pilots' estimates scatter
            rows.append({
                "outcome": o, "true_effect": true, "true_effect_mc_se": se,
                "control_share": p["p_control"].mean(), "pilot_mean": spread["mean"],
                "pilot_sd": p["estimate"].std(ddof=1) if len(p) > 1 else math.nan,
                "pilot_p5": spread["p5"], "pilot_p95": spread["p95"],
                "mean_ci_width": (p["hi"] - p["lo"]).mean(),
                "share_significant": ((p["lo"] > 0) | (p["hi"] < 0)).mean(),
                "share_covering_truth": covers,
                "n_treatment": p["n_treatment"].mean(), "n_control": p["n_control"].mean(),
            })
        return pd.DataFrame(rows)

    def table(self) -> str:
        lines = []
        first = self.pilots[self.pilots["replication"] == self.pilots["replication"].min()]
        lines.append(f"pilot (replication {int(first['replication'].iloc[0])}): "
                     f"{int(first['n_treatment'].iloc[0])} treated + {int(first['n_control'].iloc[0])} "
                     f"controls, outcomes {self.trial.followup:g} weeks after {self.at}")
        lines.append(f"{'outcome':22s}{'treatment':>10s}{'control':>10s}{'effect [95 % CI]':>28s}")
        for _, r in first.iterrows():
            ci = f"{100 * r['estimate']:+.1f} [{100 * r['lo']:+.1f}, {100 * r['hi']:+.1f}] pp"
            lines.append(f"{r['outcome']:22s}{100 * r['p_treatment']:9.1f}%{100 * r['p_control']:9.1f}%{ci:>28s}")
        s = self.summary
        n = self.pilots["replication"].nunique()
        lines.append("")
        lines.append(f"over {n} simulated pilots, against the true effect (everyone vs no one "
                     f"eligible, common random numbers):")
        lines.append(f"{'outcome':22s}{'true effect':>18s}{'pilot estimates 5-95 %':>26s}"
                     f"{'CI covers truth':>17s}{'significant':>13s}")
        for _, r in s.iterrows():
            true = f"{100 * r['true_effect']:+.1f} ± {100 * r['true_effect_mc_se']:.1f} pp" \
                if r["true_effect_mc_se"] == r["true_effect_mc_se"] else f"{100 * r['true_effect']:+.1f} pp"
            spread = f"{100 * r['pilot_p5']:+.1f} to {100 * r['pilot_p95']:+.1f} pp"
            lines.append(f"{r['outcome']:22s}{true:>18s}{spread:>26s}"
                         f"{100 * r['share_covering_truth']:16.0f}%{100 * r['share_significant']:12.0f}%")
        lines.extend(self.notes)
        return "\n".join(lines)


def pilot_rows(w: TrialWatcher, replication: int, outcomes: tuple[str, ...]) -> list[dict]:
    rows = []
    for k, o in enumerate(outcomes):
        yt = w.y[w.treatment, k] if w.treatment else np.zeros(0)
        yc = w.y[w.control, k] if w.control else np.zeros(0)
        nt, nc = len(yt), len(yc)
        if nt == 0 or nc == 0:
            continue
        d, lo, hi = newcombe(int(yt.sum()), nt, int(yc.sum()), nc)
        rows.append({"replication": replication, "outcome": o, "n_treatment": nt, "n_control": nc,
                     "p_treatment": yt.mean(), "p_control": yc.mean(), "estimate": d, "lo": lo, "hi": hi})
    return rows


@dataclass
class World:
    """What one world of one replication yields (small and picklable, for worker processes)."""

    ids: list
    treatment: list[int]
    control: list[int]
    y: np.ndarray


def world_task(task: tuple) -> World:
    """``(scenario, replication, trial, seed, world)`` → :class:`World`; importable, so
    spawned processes and Dask workers can run it."""
    scenario, rep, trial, seed, world = task
    w = simulate_trial(scenario, trial, seed, rep, world)
    return World(w.ids, w.treatment, w.control, w.y)


def describe_task(task: tuple) -> str:
    return f"trial replication {task[1]} (world {task[4]!r})"


def run_trial(scenario: Scenario, trial: Trial, replications: int = 10, seed: int = 2015,
              truth: bool = True, workers: int = 1, progress: bool = False, *,
              executor: ExecutorChoice = None) -> TrialResult:
    """``replications`` simulated pilots and (``truth``) the true effect from the same
    replications. ``executor``/``workers`` choose where the model runs, as for
    :func:`sim.run.runner.run`; the result does not depend on them."""
    worlds = WORLDS if truth else WORLDS[:1]
    tasks = [(scenario, r, trial, seed, world) for r in range(replications) for world in worlds]
    done: list[World] = run_all(world_task, tasks, executor=executor, workers=workers,
                                progress=progress, what="model runs", describe=describe_task)
    pilots, truths, notes = [], [], []
    small = 0
    for r in range(replications):
        got = dict(zip(worlds, done[r * len(worlds):(r + 1) * len(worlds)]))
        w = got["trial"]
        if len(w.treatment) < trial.size:
            small += 1
        pilots += pilot_rows(w, r, trial.outcomes)
        if truth:
            w1, w0 = got["all"], got["none"]
            if not (w1.ids == w0.ids == w.ids):
                raise RuntimeError("the worlds differ before the trial date: common random numbers broken")
            if w1.ids:
                eff = w1.y.mean(axis=0) - w0.y.mean(axis=0)
                for k, o in enumerate(trial.outcomes):
                    truths.append({"replication": r, "outcome": o, "eligible": len(w1.ids),
                                   "share_all": w1.y[:, k].mean(), "share_none": w0.y[:, k].mean(),
                                   "effect": eff[k]})
    if small:
        notes.append(f"note: in {small} of {replications} replications fewer than "
                     f"{2 * trial.size} were eligible; the arms were split evenly among them.")
    pil = pd.DataFrame(pilots, columns=["replication", "outcome", "n_treatment", "n_control",
                                        "p_treatment", "p_control", "estimate", "lo", "hi"])
    tru = pd.DataFrame(truths, columns=["replication", "outcome", "eligible", "share_all",
                                        "share_none", "effect"])
    return TrialResult(scenario, trial, Calendar(scenario.start).date(trial.at), pil, tru, notes)


def design(scenario: Scenario, group: Criteria, at: str | dt.date, size: int, intervention: str,
           outcomes: str | tuple[str, ...] = DEFAULT_OUTCOMES, followup: float = 26.0) -> Trial:
    """A checked :class:`Trial` from command-line style values."""
    if not (isinstance(size, int) and size >= 1):
        raise SpecError("<command line>", "--size", f"must be a whole number >= 1, got {size!r}")
    if not (math.isfinite(followup) and 0 < followup <= 520):
        raise SpecError("<command line>", "--followup", f"must be in (0, 520] weeks, got {followup}")
    return Trial(group, model_week(scenario, at), size, parse_intervention(intervention, scenario),
                 outcome_names(outcomes, scenario), float(followup))


__all__ = ["Intervention", "Trial", "TrialResult", "TrialWatcher", "design", "draw_arms",
           "newcombe", "parse_intervention", "run_trial", "simulate_trial",
           "wilson"]
