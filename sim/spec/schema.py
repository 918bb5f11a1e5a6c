"""Strict reading of TOML tables: every key is either used or reported.

OpenFisca-based models have silently ignored misspelt keys; here a table is read
through :class:`Node`, which records which keys were asked for, and :meth:`Node.done`
fails on any key nobody asked for.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from pathlib import Path
from typing import Any, Iterator

from sim.errors import SpecError

_MISSING = object()
# Upper bound on any count of persons or places in an input file. Denmark has ~6 million
# inhabitants; a larger figure is a typo, and a run would try to create that many citizens.
MAX_PERSONS = 10_000_000


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a :class:`SpecError`."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise SpecError(str(path), "", "file not found") from None
    except OSError as exc:
        raise SpecError(str(path), "", f"cannot read file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(str(path), "", f"not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise SpecError(str(path), "", "file is empty")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(str(path), "", f"TOML syntax error: {_with_line(str(exc), text)}") from None


def _with_line(message: str, text: str) -> str:
    """tomllib says "(at end of document)" for an error in the last line: name that line."""
    last = text.count("\n") + (0 if text.endswith("\n") else 1)
    return message.replace("(at end of document)", f"(at the end of the file, line {last})")


class Node:
    """A TOML table being read, with its file and dotted key for error messages."""

    def __init__(self, data: Any, file: str, key: str = "") -> None:
        if not isinstance(data, dict):
            raise SpecError(file, key or "<root>", f"expected a table, got {_kind(data)}")
        self.data = data
        self.file = file
        self.key = key
        self._used: set[str] = set()

    # -- access -------------------------------------------------------------------
    def path(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def error(self, name: str, message: str) -> SpecError:
        return SpecError(self.file, self.path(name) if name else self.key, message)

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        self._used.add(name)
        if name not in self.data:
            if default is _MISSING:
                raise self.error(name, "missing required key")
            return default
        return self.data[name]

    def node(self, name: str, default: Any = _MISSING) -> "Node":
        value = self.raw(name, default)
        if value is None:
            return None  # type: ignore[return-value]
        return Node(value, self.file, self.path(name))

    def nodes(self) -> Iterator[tuple[str, "Node"]]:
        """Every sub-table, in file order (deterministic)."""
        for name in list(self.data):
            yield name, self.node(name)

    def str(self, name: str, default: Any = _MISSING, choices: Any = None) -> str:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str):
            raise self.error(name, f"expected text, got {_kind(value)}")
        if choices is not None and value not in choices:
            raise self.error(name, f"unknown value {value!r}; expected one of {sorted(choices)}")
        return value

    def bool(self, name: str, default: Any = _MISSING) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise self.error(name, f"expected true or false, got {_kind(value)}")
        return value

    def number(self, name: str, default: Any = _MISSING, *, lo: float | None = 0.0,
               hi: float | None = None, integer: bool = False) -> float:
        value = self.raw(name, default)
        return check_number(value, self.file, self.path(name), lo=lo, hi=hi, integer=integer)

    def date(self, name: str, default: Any = _MISSING) -> dt.date:
        value = self.raw(name, default)
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise self.error(name, f"expected a date like 2015-01-01, got {_kind(value)}")
        return value

    def list(self, name: str, default: Any = _MISSING) -> list:
        value = self.raw(name, default)
        if not isinstance(value, list):
            raise self.error(name, f"expected a list, got {_kind(value)}")
        return value

    def source(self) -> str:
        """The ``source`` text every parameter table carries (document and section, or an
        assumption with its reason): required and not empty."""
        text = self.str("source")
        if not text.strip():
            raise self.error("source", "source must not be empty")
        return text

    def done(self) -> None:
        """Fail on the first key that no reader asked for (sorted, so the message is stable)."""
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            raise self.error(unknown[0], "unknown key (misspelt, or not allowed here)")


def dated_entries(node: Node, key: str, items: list, parse) -> tuple[list, list]:
    """``(dates, values)`` of a list of ``{from = date, ...}`` tables (OpenFisca-style dated
    parameters): at least one entry, every date after all earlier ones, each entry read by
    ``parse(entry)`` and then checked for unknown keys."""
    if not items:
        raise node.error(key, "needs at least one dated entry")
    dates, values = [], []
    for i, item in enumerate(items):
        entry = Node(item, node.file, f"{node.path(key)}[{i}]")
        when = entry.date("from")
        if dates and when <= dates[-1]:
            raise entry.error("from", f"dates must increase: {when} is not after {dates[-1]}")
        values.append(parse(entry))
        entry.done()
        dates.append(when)
    return dates, values


def check_number(value: Any, file: str, key: str, *, lo: float | None = 0.0,
                 hi: float | None = None, integer: bool = False) -> float:
    """A finite number within [lo, hi]; booleans are not numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(file, key, f"expected a number, got {_kind(value)}")
    if not math.isfinite(value):
        raise SpecError(file, key, f"must be a finite number, got {value}")
    if integer and int(value) != value:
        raise SpecError(file, key, f"must be a whole number, got {value}")
    if lo is not None and value < lo:
        raise SpecError(file, key, f"must be at least {lo:g}, got {value:g}")
    if hi is not None and value > hi:
        raise SpecError(file, key, f"must be at most {hi:g}, got {value:g}")
    return float(value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value!r}"
    return f"{type(value).__name__} {value!r}"
