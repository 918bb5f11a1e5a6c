"""Named hazards compiled into fast lookup tables.

A citizen's exit intensities depend on the current state, the duration band of the
spell, the age band, education, a-kasse membership, the calendar (business cycle)
and any active *effect*. An effect is a set of multipliers on named hazards
(``"dagpenge->employed"``) registered by someone else — the activation module — in
the spirit of Vivarium's value pipelines: this module never knows which offer made it.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from sim.spec.calendar import NEVER, Calendar
from sim.spec.scenario import Scenario


@dataclass(frozen=True)
class Effect:
    """Multipliers on the hazards to some destinations, e.g. lock-in ``{employed: 0.6}``."""

    key: tuple
    multipliers: tuple[tuple[int, float], ...]  # (destination state index, multiplier)


class HazardTable:
    """Per-state hazards with cached combined rows.

    ``row(...)`` returns ``(total, cumulative, destinations, hazard_names)``: the total
    exit rate and what a competing-risks draw needs to pick the destination.
    """

    def __init__(self, scenario: Scenario, calendar: Calendar) -> None:
        names = scenario.state_names
        self.index = {n: i for i, n in enumerate(names)}
        self.by_state: list[list] = [[] for _ in names]
        for h in scenario.hazards:
            self.by_state[self.index[h.source]].append(h)
        # Union of duration-band boundaries per state, and each hazard's band per union band.
        self.bounds: list[tuple[float, ...]] = []
        self.band_map: list[list[tuple[int, ...]]] = []
        for hs in self.by_state:
            union = sorted({b for h in hs for b in h.duration_weeks} | {0.0})
            self.bounds.append(tuple(union))
            self.band_map.append([
                tuple(bisect.bisect_right(h.duration_weeks, u) - 1 for u in union) for h in hs
            ])
        # Business cycle: segments where the national unemployment level is constant.
        years = sorted(scenario.cycle)
        base = scenario.cycle[scenario.cycle_base_year]
        self.cycle_starts: list[float] = []
        self.cycle_levels: list[float] = []
        for y in years:
            t = calendar.week(dt.date(y, 1, 1)) if y != years[0] else -NEVER
            level = scenario.cycle[y] / base
            if self.cycle_levels and level == self.cycle_levels[-1]:
                continue
            self.cycle_starts.append(t)
            self.cycle_levels.append(level)
        self.cache: dict[tuple, tuple] = {}  # (state, band, age, edu, insured, cycle, effect key) -> row

    def cycle_segment(self, t: float) -> tuple[int, float]:
        """Index of the business-cycle segment holding ``t`` and the time it ends."""
        i = bisect.bisect_right(self.cycle_starts, t) - 1
        i = max(i, 0)
        end = self.cycle_starts[i + 1] if i + 1 < len(self.cycle_starts) else NEVER
        return i, end

    def row(self, state: int, dur_band: int, age: int, edu: int, insured: int, cycle: int,
            effect: Effect | None) -> tuple:
        key = (state, dur_band, age, edu, insured, cycle, effect.key if effect else None)
        row = self.cache.get(key)
        if row is None:
            row = self.cache[key] = self._build(state, dur_band, age, edu, insured, cycle, effect)
        return row

    def _build(self, state, dur_band, age, edu, insured, cycle, effect) -> tuple:
        level = self.cycle_levels[cycle]
        mult = dict(effect.multipliers) if effect else {}
        rates, dests, names = [], [], []
        for h, bands in zip(self.by_state[state], self.band_map[state]):
            r = h.rate[bands[dur_band]] * h.age[age] * h.education[edu] * h.insured[insured]
            if h.cycle_elasticity:
                r *= level ** h.cycle_elasticity
            d = self.index[h.dest]
            r *= mult.get(d, 1.0)
            if r > 0.0:
                rates.append(r)
                dests.append(d)
                names.append(h.name)
        total = sum(rates)
        cum, acc = [], 0.0
        for r in rates:
            acc += r
            cum.append(acc / total)
        if cum:
            cum[-1] = 1.0
        return total, tuple(cum), tuple(dests), tuple(names)

    def rates(self, state: str, duration: float, age: int, edu: int, insured: int,
              t: float = 0.0, effect: Effect | None = None) -> dict[str, float]:
        """The named hazards of one situation, for inspection from a notebook."""
        s = self.index[state]
        band = bisect.bisect_right(self.bounds[s], duration) - 1
        cyc, _ = self.cycle_segment(t)
        total, cum, dests, names = self.row(s, band, age, edu, insured, cyc, effect)
        prev, out = 0.0, {}
        for c, n in zip(cum, names):
            out[n] = (c - prev) * total
            prev = c
        return out
