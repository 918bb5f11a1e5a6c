"""Model time is continuous, in weeks since the scenario's start date.

Dates matter because laws change on dates; this module is the only place that
converts between the two.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

DAYS_PER_WEEK = 7.0
WEEKS_PER_YEAR = 365.25 / 7.0
NEVER = float("inf")


@dataclass(frozen=True)
class Calendar:
    """Maps model time (weeks after ``start``) to dates and back."""

    start: dt.date

    def week(self, date: dt.date) -> float:
        return (date - self.start).days / DAYS_PER_WEEK

    def date(self, t: float) -> dt.date:
        return self.start + dt.timedelta(days=int(t * DAYS_PER_WEEK + 1e-9))

    def year_starts(self, years: int) -> list[float]:
        """Model times of 1 January after the start, for ``years`` years."""
        return [self.week(dt.date(self.start.year + k, 1, 1)) for k in range(1, years + 2)]

    def month_index(self, t: float) -> int:
        d = self.date(t)
        return (d.year - self.start.year) * 12 + d.month - self.start.month


@dataclass(frozen=True)
class Dated:
    """A parameter that changes on dates (OpenFisca style): ``values[i]`` holds from ``dates[i]``."""

    dates: tuple[dt.date, ...]
    values: tuple[Any, ...]

    @classmethod
    def constant(cls, value: Any) -> "Dated":
        return cls((dt.date.min,), (value,))

    def at(self, date: dt.date) -> Any:
        i = bisect.bisect_right(self.dates, date) - 1
        return self.values[max(i, 0)]

    def timeline(self, cal: Calendar) -> "Timeline":
        starts = tuple(-NEVER if d == dt.date.min else cal.week(d) for d in self.dates)
        return Timeline(starts, self.values)


@dataclass(frozen=True)
class Timeline:
    """A dated parameter on the model clock: ``values[i]`` holds from ``starts[i]`` (weeks)."""

    starts: tuple[float, ...]
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        ends = self.starts[1:] + (NEVER,)
        object.__setattr__(self, "_segments", tuple(zip(self.starts, ends, self.values)))

    def at(self, t: float) -> Any:
        i = bisect.bisect_right(self.starts, t) - 1
        return self.values[max(i, 0)]

    def segments(self) -> Sequence[tuple[float, float, Any]]:
        """``(start, end, value)`` for every period, the last ending never."""
        return self._segments  # type: ignore[attr-defined]
