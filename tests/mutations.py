"""Broken input files made from the real ones: one mutation of one key (or of the bytes).

Used by tests/test_bad_input.py. A mutation parses a real file, changes one value at a
path chosen by hypothesis (or the raw bytes), and serialises it back with ``tomli_w``.
Each mutation has a *category* (wrong type, missing key, NaN, ...) so the test can
count what it tried; :data:`COUNTS` is printed by ``tests/conftest.py`` at the end of
the run.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections import Counter, defaultdict
from typing import Any

import tomli_w
from hypothesis import strategies as st

# category -> outcome ("rejected" / "accepted") -> count, per file kind
COUNTS: dict[str, Counter] = defaultdict(Counter)

Path_ = tuple  # a path of keys (str) and list indices (int)

VALUE_CATEGORIES = ("wrong_type", "missing_key", "unknown_key", "nan", "infinite", "negative",
                    "share_above_one", "huge_number", "mix_not_one", "dates_out_of_order",
                    "renamed_state", "small_change")
BYTE_CATEGORIES = ("empty_file", "non_utf8", "toml_syntax")


def leaves(data: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every scalar's path (keys and list indices), in file order."""
    out: list[Path_] = []
    if isinstance(data, dict):
        for k, v in data.items():
            out += leaves(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += leaves(v, (*prefix, i))
    else:
        out.append(prefix)
    return out


def tables(data: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every table's path (the root is ``()``)."""
    out: list[Path_] = []
    if isinstance(data, dict):
        out.append(prefix)
        for k, v in data.items():
            out += tables(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += tables(v, (*prefix, i))
    return out


def number_tables(data: Any) -> list[Path_]:
    """Tables with at least two numeric values (mixes, shares by band): candidates for 'not summing to one'."""
    out = []
    for p in tables(data):
        t = get(data, p)
        nums = [k for k, v in t.items() if _is_num(v)]
        if len(nums) >= 2:
            out.append(p)
    return out


def dated_lists(data: Any) -> list[Path_]:
    """Lists of tables with a ``from`` date, and tables with both ``from`` and ``to`` dates."""
    out = []
    for p in leaves_and_lists(data):
        v = get(data, p)
        if isinstance(v, list) and len(v) >= 2 and all(isinstance(e, dict) and isinstance(e.get("from"), dt.date) for e in v):
            out.append(p)
        elif isinstance(v, dict) and isinstance(v.get("from"), dt.date) and isinstance(v.get("to"), dt.date):
            out.append(p)
    return out


def leaves_and_lists(data: Any, prefix: Path_ = ()) -> list[Path_]:
    out: list[Path_] = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += leaves_and_lists(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += leaves_and_lists(v, (*prefix, i))
    return out


def get(data: Any, path: Path_) -> Any:
    for p in path:
        data = data[p]
    return data


def dotted(path: Path_) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _set(data: Any, path: Path_, value: Any) -> None:
    get(data, path[:-1])[path[-1]] = value


def _delete(data: Any, path: Path_) -> None:
    parent = get(data, path[:-1])
    del parent[path[-1]]


@st.composite
def value_mutation(draw, original: dict, state_names: tuple[str, ...] = (),
                   categories: tuple[str, ...] = VALUE_CATEGORIES) -> tuple[str, str, dict]:
    """(category, description, mutated data) for one change of one key of ``original``."""
    data = copy.deepcopy(original)
    category = draw(st.sampled_from(categories))
    all_leaves = leaves(data)
    nums = [p for p in all_leaves if _is_num(get(data, p))]

    def pick(paths):
        return paths[draw(st.integers(0, len(paths) - 1))] if paths else None

    if category == "wrong_type":
        p = pick(all_leaves)
        old = get(data, p)
        choices = [v for v in ("text", True, [], {"x": 1}, dt.date(2015, 1, 1), 7)
                   if type(v) is not type(old) and not (_is_num(v) and _is_num(old))]
        new = draw(st.sampled_from(choices))
        _set(data, p, new)
        return category, f"{dotted(p)}: {old!r} -> {new!r}", data
    if category == "missing_key":
        p = pick([q for q in all_leaves + [t for t in tables(data) if t] if q and isinstance(q[-1], str)])
        _delete(data, p)
        return category, f"{dotted(p)} deleted", data
    if category == "unknown_key":
        p = pick(tables(data))
        name = draw(st.sampled_from(("colour", "rate_typo", "sourse", "valeu", "x")))
        get(data, p)[name] = 1
        return category, f"{dotted((*p, name))} added", data
    if category in ("nan", "infinite", "negative", "share_above_one", "huge_number", "small_change"):
        p = pick(nums)
        if p is None:
            return "skipped", "no number", data
        old = get(data, p)
        if category == "nan":
            new: Any = math.nan
        elif category == "infinite":
            new = draw(st.sampled_from((math.inf, -math.inf)))
        elif category == "negative":
            new = -abs(old) - draw(st.sampled_from((0.5, 1, 1e-9)))
        elif category == "share_above_one":
            new = draw(st.sampled_from((1.5, 1.000001, 2)))
        elif category == "huge_number":
            new = draw(st.sampled_from((1e300, 10**18, 1e15, 9.9e307)))
        else:
            new = old * draw(st.sampled_from((0.5, 0.9, 1.1, 2.0)))
            if isinstance(old, int) and not isinstance(old, bool):
                new = int(round(new))
        _set(data, p, new)
        return category, f"{dotted(p)}: {old!r} -> {new!r}", data
    if category == "mix_not_one":
        p = pick(number_tables(data))
        if p is None:
            return "skipped", "no mix", data
        t = get(data, p)
        k = draw(st.sampled_from(sorted(k for k, v in t.items() if _is_num(v))))
        old = t[k]
        t[k] = old * 0.5 if old else 0.25
        return category, f"{dotted((*p, k))}: {old!r} -> {t[k]!r}", data
    if category == "dates_out_of_order":
        p = pick(dated_lists(data))
        if p is None:
            dates = [q for q in all_leaves if isinstance(get(data, q), dt.date)]
            q = pick(dates)
            if q is None:
                return "skipped", "no date", data
            new = draw(st.sampled_from((dt.date(1850, 1, 1), dt.date(2999, 12, 31))))
            _set(data, q, new)
            return category, f"{dotted(q)} -> {new}", data
        v = get(data, p)
        if isinstance(v, list):
            v[0]["from"], v[-1]["from"] = v[-1]["from"], v[0]["from"]
        else:
            v["from"], v["to"] = v["to"], v["from"]
        return category, f"{dotted(p)}: dates swapped", data
    if category == "renamed_state":
        # a valid-looking name in the wrong place: a state name replaced by another state's
        spots = [q for q in all_leaves if get(data, q) in state_names]
        spots += [q for q in leaves_and_lists(data) if q and q[-1] in state_names]
        p = pick(spots)
        if p is None:
            return "skipped", "no state name", data
        other = draw(st.sampled_from(state_names))
        if get(data, p) in state_names and not (isinstance(get(data, p), dict)):
            old = get(data, p)
            _set(data, p, other)
            return category, f"{dotted(p)}: {old!r} -> {other!r}", data
        parent = get(data, p[:-1])
        if other in parent:
            return "skipped", "name taken", data
        items = [(other if k == p[-1] else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
        return category, f"{dotted(p)} renamed {other!r}", data
    raise AssertionError(category)  # pragma: no cover


def dumps(data: dict) -> bytes:
    return tomli_w.dumps(data).encode("utf-8")


@st.composite
def byte_mutation(draw, text: bytes) -> tuple[str, str, bytes]:
    """(category, description, bytes) for a file broken below the TOML level."""
    category = draw(st.sampled_from(BYTE_CATEGORIES))
    if category == "empty_file":
        out = draw(st.sampled_from((b"", b"\n", b"   \n\t\n")))
        return category, f"{out!r}", out
    pos = draw(st.integers(0, len(text)))
    if category == "non_utf8":
        junk = draw(st.sampled_from((b"\xff", b"\xc3\x28", b"\xe6\xf8\xe5", b"\x80abc")))
        return category, f"{junk!r} at byte {pos}", text[:pos] + junk + text[pos:]
    how = draw(st.sampled_from(("truncate", "insert", "duplicate_line")))
    if how == "truncate":
        pos = max(pos, 1)
        return category, f"truncated at byte {pos}", text[:pos]
    if how == "insert":
        junk = draw(st.sampled_from((b"=", b"[", b"]]", b'"', b"\n= 3\n", b"\n[a\n", b"{")))
        return category, f"{junk!r} inserted at byte {pos}", text[:pos] + junk + text[pos:]
    lines = text.split(b"\n")
    keyed = [i for i, ln in enumerate(lines) if b"=" in ln and not ln.lstrip().startswith(b"#")
             and not ln.startswith(b" ")]
    i = keyed[draw(st.integers(0, len(keyed) - 1))]
    lines.insert(i, lines[i])
    return category, f"line {i + 1} duplicated", b"\n".join(lines)
