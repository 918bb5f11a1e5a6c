"""Random numbers: one root seed, a key per replication, a stream per citizen and decision.

Common random numbers need "the same citizen draws the same numbers in baseline and
scenario", so every draw comes from a small counter-based stream keyed by
(root seed, replication, citizen, decision). Streams are cheap (two integers) and
independent of event order, executors and worker counts. The generator is SplitMix64
(Steele, Lea & Flood 2014), the seeding generator of xoshiro; it passes BigCrush.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
_INV_2_53 = 1.0 / (1 << 53)

# Decisions that draw random numbers; each gets its own stream per citizen.
STREAMS = ("transition", "rule", "activation", "attributes", "referral")


def mix64(z: int) -> int:
    """SplitMix64's output function: a bijective 64-bit hash."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def key(*parts: int | str) -> int:
    """A 64-bit key from a tuple of names and numbers (stable across runs and platforms)."""
    text = "/".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


class Stream:
    """A SplitMix64 stream: ``uniform()`` returns floats in (0, 1)."""

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        self.state = seed & MASK

    def uniform(self) -> float:
        self.state = s = (self.state + GOLDEN) & MASK
        z = ((s ^ (s >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return (((z ^ (z >> 31)) >> 11) + 0.5) * _INV_2_53

    def exponential(self) -> float:
        """A unit-rate exponential draw."""
        return -math.log(self.uniform())

    def choice(self, cumulative: tuple[float, ...]) -> int:
        """Index ``i`` with probability ``cumulative[i] - cumulative[i-1]`` (last entry 1)."""
        u = self.uniform()
        for i, c in enumerate(cumulative):
            if u < c:
                return i
        return len(cumulative) - 1


def replication_key(seed: int, replication: int) -> int:
    return key("caseflow", seed, "replication", replication)


_K_TRANSITION, _K_RULE, _K_ACTIVATION, _K_ATTRIBUTES, _K_REFERRAL = (key(name) for name in STREAMS)


class Streams:
    """The named streams of one citizen, the same in every scenario run with the same seed.

    The transition and attribute streams are used by everyone; the rule and activation
    streams only by some, so they are made on first use (most citizens never need them).
    """

    __slots__ = ("base", "transition", "attributes", "_rule", "_activation", "_referral")

    def __init__(self, base: int, transition: int | None = None, attributes: int | None = None) -> None:
        self.base = base
        self.transition = Stream(mix64(base ^ _K_TRANSITION) if transition is None else transition)
        self.attributes = Stream(mix64(base ^ _K_ATTRIBUTES) if attributes is None else attributes)
        self._rule: Stream | None = None
        self._activation: Stream | None = None
        self._referral: Stream | None = None

    @property
    def rule(self) -> Stream:
        if self._rule is None:
            self._rule = Stream(mix64(self.base ^ _K_RULE))
        return self._rule

    @property
    def activation(self) -> Stream:
        if self._activation is None:
            self._activation = Stream(mix64(self.base ^ _K_ACTIVATION))
        return self._activation

    @property
    def referral(self) -> Stream:
        """Handovers to other actors: a stream of their own, so a scenario that refers
        more people does not shift anyone's offer draws (common random numbers)."""
        if self._referral is None:
            self._referral = Stream(mix64(self.base ^ _K_REFERRAL))
        return self._referral


def citizen_streams(rep_key: int, citizen: int | str) -> Streams:
    """The streams of one citizen: keyed by replication and citizen, never by event order.

    ``citizen`` is an initial citizen's number or a newcomer's id ``"<inflow>:<k>"``
    (the k-th arrival of that inflow, from 0).
    """
    if isinstance(citizen, int):  # the initial population: a cheap integer hash suffices
        return Streams(citizen_base(rep_key, citizen))
    name, _, k = citizen.rpartition(":")
    return Streams(newcomer_base(inflow_key(rep_key, name), int(k)))


def citizen_base(key64: int, k: int) -> int:
    """The stream base of citizen number ``k`` under a 64-bit key: two SplitMix64 mixes.

    The initial population uses the replication key; each inflow its own
    :func:`inflow_key`, so newcomers and initial citizens never share a base (up to a
    2**-64 coincidence) and no string is hashed per citizen.
    """
    return mix64(key64 ^ mix64((k * GOLDEN + 1) & MASK))


def inflow_key(rep_key: int, inflow: str) -> int:
    """The key of one inflow's newcomers (hashed once per inflow and replication)."""
    return key(rep_key, "inflow-citizens", inflow)


def newcomer_base(inflow_key64: int, k: int) -> int:
    """The stream base of the ``k``-th newcomer (from 0) of the inflow keyed ``inflow_key64``."""
    return citizen_base(inflow_key64, k)


# -- the same numbers, many citizens at once (NumPy uint64 arithmetic wraps mod 2**64) ----------
_U = np.uint64


def mix64_array(z: np.ndarray) -> np.ndarray:
    """:func:`mix64` on an array of uint64."""
    z = (z ^ (z >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U(27))) * _U(0x94D049BB133111EB)
    return z ^ (z >> _U(31))


def initial_streams(rep_key: int, n: int, draws: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stream seeds of initial citizens ``0..n-1`` and their first ``draws`` attribute uniforms.

    Returns ``(base, transition_seed, attribute_state_after, uniforms[n, draws])``, equal
    bit for bit to what :func:`citizen_streams` and ``Stream.uniform`` give one at a time.
    """
    with np.errstate(over="ignore"):
        cid = np.arange(n, dtype=np.uint64)
        base = mix64_array(_U(rep_key) ^ mix64_array(cid * _U(GOLDEN) + _U(1)))
        transition = mix64_array(base ^ _U(_K_TRANSITION))
        attributes = mix64_array(base ^ _U(_K_ATTRIBUTES))
        steps = np.arange(1, draws + 1, dtype=np.uint64) * _U(GOLDEN)
        z = mix64_array(attributes[:, None] + steps[None, :])
        u = ((z >> _U(11)).astype(np.float64) + 0.5) * _INV_2_53
        after = attributes + _U(draws) * _U(GOLDEN)
    return base, transition, after, u
