"""The fitted parameter layer: multipliers on named hazards, with provenance, as TOML.

A layer is data a scenario can point to (``[scenario] fitted = "path"``): each free
parameter's factor and the hazards it multiplies, plus (stage 2) parameter sets a
forecast samples so its bands include parameter uncertainty. It is read strictly and
never evaluated.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from sim.errors import SpecError
from sim.spec.schema import Node, read_toml
from sim.spec.scaling import KINDS, PLAIN, Scaling, scale_hazards


@dataclass(frozen=True)
class Layer:
    file: str = field(compare=False)  # where it was read from; the same layer compares equal anywhere
    provenance: str
    factors: dict[str, float]
    hazards: dict[str, tuple[str, ...]]
    sets: tuple[dict[str, float], ...]  # equally weighted draws (stage 2), may be empty
    meta: dict
    how: dict[str, Scaling] = field(default_factory=dict)  # what each factor multiplies


def read_layer(path: str | Path) -> Layer:
    path = Path(path)
    root = Node(read_toml(path), str(path))
    head = root.node("fitted")
    provenance = head.str("source")
    meta = {k: head.raw(k) for k in list(head.data)}
    head.done()
    mult = root.node("multipliers")
    mult.str("unit", choices=("factor on the scenario's hazard rates",))
    factors, hazards, how = {}, {}, {}
    for name in [k for k in list(mult.data) if k != "unit"]:
        m = mult.node(name)
        factors[name] = m.number("factor", lo=0.0, hi=1e3)
        hz = m.list("hazards")
        if not hz or not all(isinstance(h, str) for h in hz):
            raise m.error("hazards", "expected a list of hazard names")
        hazards[name] = tuple(hz)
        m.number("lower", 0.0, lo=0.0)
        m.number("upper", 0.0, lo=0.0)
        how[name] = Scaling(on=m.str("on", "rate", choices=KINDS),
                            from_week=m.number("from_week", 0.0, lo=0.0, hi=520.0),
                            ages=tuple(m.list("ages", [])))
        m.done()
    mult.done()
    sets = []
    for i, s in enumerate(root.list("parameter_sets", [])):
        n = Node(s, str(path), f"parameter_sets[{i}]")
        f = n.node("factors")
        one = {}
        for name in list(f.data):
            if name not in factors:
                raise f.error(name, "not a parameter of [multipliers]")
            one[name] = f.number(name, lo=0.0, hi=1e3)
        f.done()
        n.done()
        sets.append(one)
    root.done()
    return Layer(str(path), provenance, factors, hazards, tuple(sets), meta, how)


def apply_layer(scenario, layer: Layer | str | Path, parameter_set: int | None = None):
    """The scenario with the layer's factors (or one of its stage-2 parameter sets) applied."""
    if not isinstance(layer, Layer):
        layer = read_layer(layer)
    factors = layer.factors
    if parameter_set is not None:
        if not layer.sets:
            raise SpecError(layer.file, "parameter_sets", "this layer has no parameter sets (run stage 2)")
        factors = {**factors, **layer.sets[parameter_set % len(layer.sets)]}
    scenario = scale_hazards(scenario, layer.hazards, factors, layer.how, file=layer.file)
    sources = dict(scenario.sources)
    sources["fitted"] = layer.provenance
    return replace(scenario, sources=sources)


def write_layer(path: str | Path, *, provenance: str, meta: dict, factors: dict[str, float],
                hazards: dict[str, list[str]], bounds: dict[str, tuple[float, float]],
                sets: list[dict[str, float]] = (), how: dict[str, Scaling] | None = None) -> Path:
    """Write atomically (a temporary file renamed), so an interrupted run leaves no half layer."""
    lines = [
        "# Fitted parameter layer written by `caseflow calibrate`. Do not edit by hand: refit.",
        "# Each factor multiplies the listed hazards of the scenario that points here",
        "# ([scenario] fitted = \"...\"); parameter_sets are stage-2 draws for forecast bands.",
        "",
        "[fitted]",
        f"source = {_q(provenance)}",
    ]
    for k, v in meta.items():
        lines.append(f"{k} = {_v(v)}")
    lines += ["", "[multipliers]", 'unit = "factor on the scenario\'s hazard rates"']
    for name, f in factors.items():
        lo, hi = bounds[name]
        w = (how or {}).get(name, PLAIN)
        extra = (f'on = "{w.on}", ' if w.on != "rate" else "") + \
            (f"from_week = {w.from_week:g}, " if w.from_week else "") + \
            (f"ages = [{', '.join(_q(a) for a in w.ages)}], " if w.ages else "")
        lines.append(f"{_q(name)} = {{ factor = {f:.6g}, lower = {lo:g}, upper = {hi:g}, {extra}"
                     f"hazards = [{', '.join(_q(h) for h in hazards[name])}] }}")
    for s in sets:
        lines += ["", "[[parameter_sets]]",
                  "factors = { " + ", ".join(f"{_q(k)} = {v:.6g}" for k, v in s.items()) + " }"]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _v(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int,)):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else '"nan"'
    if isinstance(v, dt.date):
        return v.isoformat()
    return _q(str(v))
