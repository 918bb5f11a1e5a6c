"""Counts the robustness tests keep, printed by ``pytest_terminal_summary`` (tests/conftest.py)."""

from __future__ import annotations

from collections import Counter


def report() -> list[tuple[str, list[str]]]:
    """(section title, lines) for every count that was kept in this pytest run."""
    out = []
    from .mutations import COUNTS
    if COUNTS:
        lines, total = [], 0
        for kind in sorted(COUNTS):
            by_cat: Counter = COUNTS[kind]
            n = sum(by_cat.values())
            total += n
            lines.append(f"{kind}: {n} cases")
            for cat in sorted(by_cat):
                lines.append(f"    {cat:44s} {by_cat[cat]:5d}")
        lines.append(f"total bad-input cases tried: {total}")
        out.append(("bad input cases tried", lines))
    if INVARIANTS:
        lines = [f"{name:44s} {n:9d}" for name, n in sorted(INVARIANTS.items())]
        lines.append(f"total invariant checks run: {sum(INVARIANTS.values())}")
        out.append(("invariant checks run", lines))
    return out


INVARIANTS: Counter = Counter()  # check name -> times evaluated
