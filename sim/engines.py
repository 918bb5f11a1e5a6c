"""The engines that run a scenario, by name (``--engine simpy|vector``).

Every engine takes the same :class:`~sim.spec.Scenario` and returns a
:class:`~sim.engine.RunResult` whose recorder holds the same arrays, so tables,
costs, indicators and reports never ask which engine ran.
"""

from __future__ import annotations

import importlib
from typing import Callable

from .errors import SpecError

# name -> "module:function"; imported on demand so an engine's cost is paid only when used
ENGINES: dict[str, str] = {
    "simpy": "sim.engine:simulate",
    "vector": "sim.vector.engine:simulate",
}


def get(name: str) -> Callable:
    """The ``simulate(scenario, years, seed, replication, ...)`` function of an engine."""
    if name not in ENGINES:
        raise SpecError("<command line>", "--engine",
                        f"unknown engine {name!r}; expected one of {sorted(ENGINES)}")
    module, func = ENGINES[name].split(":")
    return getattr(importlib.import_module(module), func)
