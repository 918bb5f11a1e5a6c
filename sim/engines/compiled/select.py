"""``--engine vector``: the compiled kernel when Numba imports, the NumPy engine otherwise.

Both give the same results (tests/test_vector_numba.py); the compiled one is ~10x
faster. :data:`LABEL` says which one runs ("vector (numba)" or "vector (numpy)"), for
manifests and progress lines. Install the kernel with ``pip install caseflow[fast]``.
"""

from __future__ import annotations

try:
    from sim.engines.compiled.numba_engine import LABEL, simulate
except ImportError:  # numba missing (or unusable with this NumPy): the readable fallback
    from sim.engines.compiled.engine import simulate

    LABEL = "vector (numpy)"

__all__ = ["LABEL", "simulate"]
