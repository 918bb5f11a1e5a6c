"""Parameter uncertainty in forecast bands: replication r runs with stage-2 parameter set r mod n.

The fitted layer's ``[[parameter_sets]]`` are equally weighted draws of the free
parameters (stage 2, :mod:`.uncertainty`). A scenario loaded with its layer carries it
(``Scenario.fitted``) with the central factors applied; :func:`for_replication` swaps the
central factors for one set's (the factors multiply, so the ratio set ÷ central applied
to the fitted scenario is exactly the set applied to the unfitted one, whatever levers
or overrides the scenario adds). Every scenario of a comparison gives replication r the
same set, so common random numbers pair parameter draws as well as citizens.
"""

from __future__ import annotations

from dataclasses import replace

from sim.spec.scaling import scale_hazards


def for_replication(scenario, replication: int):
    """The scenario replication ``replication`` runs: with parameter set r mod n, if any."""
    layer = getattr(scenario, "fitted", None)
    if layer is None or not layer.sets:
        return scenario
    chosen = layer.sets[replication % len(layer.sets)]
    ratio = {p: (chosen.get(p, f) / f if f > 0 else 1.0) for p, f in layer.factors.items()}
    return scale_hazards(scenario, layer.hazards, ratio, layer.how, file=layer.file)


def fixed_parameters(scenario):
    """The scenario with parameter uncertainty off: every replication uses the central fit."""
    layer = getattr(scenario, "fitted", None)
    if layer is None or not layer.sets:
        return scenario
    return replace(scenario, fitted=replace(layer, sets=()))


def parameter_sets(scenario) -> int:
    """How many parameter sets the scenario's replications cycle through (0: none)."""
    layer = getattr(scenario, "fitted", None)
    return len(layer.sets) if layer is not None else 0
