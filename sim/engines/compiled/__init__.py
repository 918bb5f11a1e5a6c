"""The vectorised engine: the same model as :mod:`sim.engines.simpy_engine`, on NumPy arrays.

Citizens are rows of arrays (:mod:`.state`); each has a next event, the earlier of a
competing-hazard draw and its next scheduled event, exactly as in the SimPy engine.
All citizens whose next event falls before the next week boundary are advanced in
one batch, repeatedly, then the week is recorded. See docs/vector.md.
"""

from sim.engines.compiled.engine import simulate

__all__ = ["simulate"]
