"""How a fitted factor acts on a named hazard: its rate, part of it, or its cycle elasticity.

A free parameter multiplies, on each of its hazards, one of:

* ``rate`` (default): every duration band's rate; with ``from_week`` only the bands that
  start at or after that spell duration (the long-duration tail); with ``ages`` only the
  age multipliers of those bands (an age profile);
* ``cycle_elasticity``: the business-cycle elasticity (a factor 0 switches the cycle off
  for that hazard, 0.5 halves its response).

Shared by the fit (:mod:`.model`) and the fitted layer (:mod:`.layer`) so the two cannot
disagree about what a factor means.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sim.errors import SpecError

KINDS = ("rate", "cycle_elasticity")


@dataclass(frozen=True)
class Scaling:
    on: str = "rate"
    from_week: float = 0.0
    ages: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.on == "cycle_elasticity":
            return "cycle elasticity"
        if self.ages:
            return "rate at ages " + ", ".join(self.ages)
        if self.from_week:
            return f"rate from week {self.from_week:g}"
        return "rate"


PLAIN = Scaling()


def scale_hazard(h, factor: float, how: Scaling, age_labels: tuple[str, ...], file: str = ""):
    """The hazard ``h`` (a :class:`sim.spec.scenario.Hazard`) with ``factor`` applied as ``how`` says."""
    if factor == 1.0:
        return h
    if how.on == "cycle_elasticity":
        return replace(h, cycle_elasticity=h.cycle_elasticity * factor)
    if how.ages:
        unknown = [a for a in how.ages if a not in age_labels]
        if unknown:
            raise SpecError(file, "ages", f"unknown age band(s) {unknown}; bands: {list(age_labels)}")
        return replace(h, age=tuple(m * factor if lab in how.ages else m
                                    for m, lab in zip(h.age, age_labels)))
    return replace(h, rate=tuple(r * factor if lo >= how.from_week else r
                                 for r, lo in zip(h.rate, h.duration_weeks)))


def scale_hazards(scenario, hazards_of: dict[str, list[str]] | dict[str, tuple[str, ...]],
                  factors: dict[str, float], how: dict[str, Scaling] | None = None,
                  file: str = ""):
    """The scenario with each parameter's factor applied to its hazards, in parameter order."""
    how = how or {}
    by_name = {h.name: h for h in scenario.hazards}
    for p, names in hazards_of.items():
        f = factors[p]
        for n in names:
            if n not in by_name:
                raise SpecError(file or scenario.file, f"multipliers.{p}.hazards",
                                f"hazard {n!r} is not in scenario {scenario.file}")
            by_name[n] = scale_hazard(by_name[n], f, how.get(p, PLAIN), scenario.age_labels,
                                      file or scenario.file)
    return replace(scenario, hazards=tuple(by_name[h.name] for h in scenario.hazards))
