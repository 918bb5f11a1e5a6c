"""caseflow: a microsimulation of a Danish job centre's caseload."""

__version__ = "0.1.0"

from sim.engines.simpy_engine import simulate  # noqa: E402
from sim.errors import SpecError  # noqa: E402
from sim.run.runner import run  # noqa: E402
from sim.spec.scenario import load_scenario  # noqa: E402

__all__ = ["load_scenario", "simulate", "run", "SpecError", "__version__"]
