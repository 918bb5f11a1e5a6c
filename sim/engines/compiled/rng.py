"""SplitMix64 streams of :mod:`sim.model.rng`, reproduced on arrays of citizens.

A :class:`sim.model.rng.Stream` seeded ``s`` returns as its n-th uniform
``mix64(s + n * GOLDEN)`` mapped to (0, 1); keeping one seed and one draw counter per
citizen and stream gives the very numbers the SimPy engine draws, whatever the
batch order. That keeps common random numbers between scenarios in this engine too.
"""

from __future__ import annotations

import numpy as np

from sim.model.rng import GOLDEN, STREAMS, inflow_key, key

U64 = np.uint64
_GOLDEN = U64(GOLDEN)
_M1 = U64(0xBF58476D1CE4E5B9)
_M2 = U64(0x94D049BB133111EB)
_INV_2_53 = 1.0 / (1 << 53)
_KEYS = tuple(U64(key(name)) for name in STREAMS)  # as sim.model.rng.Streams


_S30, _S27, _S31, _S11 = U64(30), U64(27), U64(31), U64(11)


def mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function on a uint64 array (wrapping arithmetic)."""
    z = (z ^ (z >> _S30)) * _M1  # array integer arithmetic wraps without a warning
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def to_uniform(z: np.ndarray) -> np.ndarray:
    """The float in (0, 1) that :meth:`sim.model.rng.Stream.uniform` makes of a mixed word."""
    return ((z >> _S11).astype(np.float64) + 0.5) * _INV_2_53


def nth_uniform(seed: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The ``n``-th uniform (n >= 1) of the streams seeded ``seed``.

    In place on one temporary: this runs for every draw of every citizen, and the
    allocations of the plain expression cost a sixth of it.
    """
    z = n.astype(U64)
    z *= _GOLDEN
    z += seed
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    z >>= _S11
    u = z.astype(np.float64)
    u += 0.5
    u *= _INV_2_53
    return u


def stream_seeds(base: np.ndarray) -> list[np.ndarray]:
    """Seeds of the named streams (transition, rule, activation, attributes) from citizen bases."""
    return [mix64(base ^ k) for k in _KEYS]


def initial_bases(rep_key: int, ids: np.ndarray) -> np.ndarray:
    """Bases of the initial population's citizens (integer ids), as in :func:`sim.model.rng.citizen_streams`."""
    inner = mix64(ids.astype(U64) * _GOLDEN + U64(1))
    return mix64(U64(rep_key) ^ inner)


def newcomer_bases(rep_key: int, inflow: str, ks: np.ndarray) -> np.ndarray:
    """Bases of the newcomers ``f"{inflow}:{k}"`` for ``k`` in ``ks``, as
    :func:`sim.model.rng.citizen_streams` (one key per inflow, then integer mixing)."""
    inner = mix64(ks.astype(U64) * _GOLDEN + U64(1))
    return mix64(U64(inflow_key(rep_key, inflow)) ^ inner)


def scalar_stream_uniforms(seed: int, start: int, count: int) -> np.ndarray:
    """Uniforms number ``start+1 .. start+count`` of one stream (e.g. an inflow's arrivals)."""
    n = np.arange(start + 1, start + count + 1, dtype=U64)
    return nth_uniform(np.full(count, seed, dtype=U64), n)


__all__ = ["mix64", "nth_uniform", "stream_seeds", "initial_bases", "newcomer_bases", "key"]
