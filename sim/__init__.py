"""caseflow: a microsimulation of a Danish job centre's caseload."""

__version__ = "0.1.0"

from .engine import simulate  # noqa: E402
from .errors import SpecError  # noqa: E402
from .runner import run  # noqa: E402
from .spec import load_scenario  # noqa: E402

__all__ = ["load_scenario", "simulate", "run", "SpecError", "__version__"]
