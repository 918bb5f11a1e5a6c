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

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
_INV_2_53 = 1.0 / (1 << 53)

# Decisions that draw random numbers; each gets its own stream per citizen.
STREAMS = ("transition", "rule", "activation", "attributes")


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


_K_TRANSITION, _K_RULE, _K_ACTIVATION, _K_ATTRIBUTES = (key(name) for name in STREAMS)


class Streams:
    """The named streams of one citizen, the same in every scenario run with the same seed.

    The transition and attribute streams are used by everyone; the rule and activation
    streams only by some, so they are made on first use (most citizens never need them).
    """

    __slots__ = ("base", "transition", "attributes", "_rule", "_activation")

    def __init__(self, base: int) -> None:
        self.base = base
        self.transition = Stream(mix64(base ^ _K_TRANSITION))
        self.attributes = Stream(mix64(base ^ _K_ATTRIBUTES))
        self._rule: Stream | None = None
        self._activation: Stream | None = None

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


def citizen_streams(rep_key: int, citizen: int | str) -> Streams:
    """The streams of one citizen: keyed by replication and citizen, never by event order."""
    if isinstance(citizen, int):  # the initial population: a cheap integer hash suffices
        base = mix64(rep_key ^ mix64((citizen * GOLDEN + 1) & MASK))
    else:
        base = key(rep_key, "citizen", citizen)
    return Streams(base)
