"""The engines that run a scenario, by name (``--engine simpy|vector|vector-numba|vector-numpy``).

Every engine takes the same :class:`~sim.spec.scenario.Scenario` and returns a
:class:`~sim.engines.simpy_engine.RunResult` whose recorder holds the same arrays, so tables,
costs, indicators and reports never ask which engine ran.
"""

from __future__ import annotations

import importlib
from typing import Callable

from sim.errors import SpecError

# name -> "module:function"; imported on demand so an engine's cost is paid only when used
ENGINES: dict[str, str] = {
    "simpy": "sim.engines.simpy_engine:simulate",
    "vector": "sim.engines.compiled.select:simulate",        # vector-numba if numba imports, else vector-numpy
    "vector-numba": "sim.engines.compiled.numba_engine:simulate",
    "vector-numpy": "sim.engines.compiled.engine:simulate",
}


def get(name: str) -> Callable:
    """The ``simulate(scenario, years, seed, replication, ...)`` function of an engine."""
    if name not in ENGINES:
        raise SpecError("<command line>", "--engine",
                        f"unknown engine {name!r}; expected one of {sorted(ENGINES)}")
    module, func = ENGINES[name].split(":")
    try:
        return getattr(importlib.import_module(module), func)
    except ImportError as exc:  # an optional dependency (numba: pip install caseflow[fast])
        raise SpecError("<command line>", "--engine", f"engine {name!r} is not installed: {exc}") from exc


def label(name: str) -> str:
    """What engine ``name`` runs, for manifests: e.g. "vector (numba)" or "vector (numpy)"."""
    if name == "vector":
        from sim.engines.compiled.select import LABEL

        return LABEL
    return {"vector-numba": "vector (numba)", "vector-numpy": "vector (numpy)"}.get(name, name)
