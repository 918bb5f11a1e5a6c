"""Scenario files as partial overrides of a baseline, with the provenance of every value.

A scenario names the file(s) it builds on (``extends = "baseline.toml"`` or a list
of layers applied in order) and writes only what changes. Layers are merged as raw
TOML before the strict loader (:mod:`sim.spec.scenario`) reads the result, so an unknown key in
an override is rejected exactly like one in a full file — and the error names the
file where the key was *written*, found through the provenance kept here.

Merge rules (docs/levers.md, "How overrides merge"):

* tables merge key by key;
* a table of plain numbers (a mix, shares by age band, a-kasse multipliers, the
  business-cycle values) written over a table of plain numbers is replaced as a whole,
  so shares always sum as written in one place (``activation.places``, which also has
  ``unit`` and ``source``, merges key by key);
* a *dated list* (``[{ from = 2016-01-01, value = 8 }]``) is spliced: the lower layer's
  entries dated before the override's first date are kept, the override's entries
  apply from that date on. A plain value below a dated list becomes its first entry,
  in force from :data:`SPLICE_FLOOR`;
* anything else (a scalar, a plain list, a table over a scalar) replaces the value.

Paths in ``extends`` are relative to the file that writes them, may not be absolute,
and must resolve (symlinks followed) inside the *root*: the nearest directory above
the top scenario file holding ``pyproject.toml`` or ``.git`` (the project), or else
the top scenario file's own directory. ``../calibration/fitted/x.toml`` from
``scenarios/`` is fine; ``/etc/x.toml`` or ``../../../x.toml`` are errors.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import SpecError
from sim.spec.schema import read_toml

COMMAND_LINE = "<command line>"
SPLICE_FLOOR = dt.date(1900, 1, 1)  # "since ever" for a plain value spliced under a dated list
MAX_DEPTH = 16


@dataclass
class Layered:
    """The merged raw scenario and where each dotted key came from.

    ``provenance`` maps dotted keys (``activation.policy.dagpenge.mix``, list items as
    ``inflows.refugees.persons_per_year[2]``) to a layer label: a file path or
    :data:`COMMAND_LINE`. A leaf carries its last writer; a table the layer that created it.
    """

    data: dict[str, Any]
    provenance: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)  # layers in application order (base first)
    sets: tuple[str, ...] = ()

    def origin(self, key: str) -> str | None:
        """The layer that wrote ``key``, or the nearest enclosing key that has one."""
        k = key
        while k:
            if k in self.provenance:
                return self.provenance[k]
            k = _parent(k)
        return None


def _parent(key: str) -> str:
    if key.endswith("]"):
        return key[: key.rindex("[")]
    return key.rsplit(".", 1)[0] if "." in key else ""


# ---------------------------------------------------------------------------
# Reading the layers
# ---------------------------------------------------------------------------
def resolve(path: str | Path, sets: tuple[str, ...] | list[str] = ()) -> Layered:
    """Read ``path`` and everything it extends, merge, then apply ``--set`` overrides."""
    path = Path(path)
    root = project_root(path)
    out = Layered({})
    _load_layer(path, out, root, chain=())
    for text in sets:
        path, value = parse_set(text)
        table, prefix = out.data, ""
        for part in path[:-1]:  # a --set names one value: walk to it, then merge just that key
            if not isinstance(table.get(part), dict):
                table[part] = {}
                out.provenance.setdefault(_join(prefix, part), COMMAND_LINE)
            table, prefix = table[part], _join(prefix, part)
        _merge(table, {path[-1]: value}, COMMAND_LINE, out.provenance, prefix)
    out.sets = tuple(sets)
    return out


def project_root(path: Path) -> Path:
    """Where ``extends`` paths may point: the project holding the file, else its directory."""
    start = path.resolve().parent
    for d in (start, *start.parents):
        if (d / "pyproject.toml").exists() or (d / ".git").exists():
            return d
    return start


def _load_layer(path: Path, out: Layered, root: Path, chain: tuple[Path, ...]) -> None:
    real = path.resolve()
    if real in chain:
        cycle = " -> ".join(str(p) for p in (*chain, real))
        raise SpecError(str(path), "extends", f"extends cycle: {cycle}")
    if len(chain) >= MAX_DEPTH:
        raise SpecError(str(path), "extends", f"more than {MAX_DEPTH} layers of extends")
    data = read_toml(path)
    parents = data.pop("extends", None)
    if parents is not None:
        if isinstance(parents, str):
            parents = [parents]
        if not isinstance(parents, list) or not parents or not all(isinstance(p, str) for p in parents):
            raise SpecError(str(path), "extends", "expected a file name or a list of file names")
        for rel in parents:
            _load_layer(_parent_path(path, rel, root), out, root, (*chain, real))
    out.files.append(path)
    _merge(out.data, data, str(path), out.provenance, "")


def _parent_path(path: Path, rel: str, root: Path) -> Path:
    return contained_path(path, "extends", rel, root)


def contained_path(path: Path, key: str, rel: str, root: Path, must_exist: bool = True) -> Path:
    """The file ``rel`` names, written at ``key`` in ``path``: relative to ``path``, inside ``root``.

    Every path inside a data file (``extends``, ``fitted``, a target file's ``scenario``)
    goes through here, so a file cannot make caseflow read outside the project: absolute
    paths, ``~``, ``..`` past the root and symlinks pointing out are all errors.
    """
    if not isinstance(rel, str) or not rel.strip():
        raise SpecError(str(path), key, "expected a file name relative to this file")
    p = Path(rel)
    if p.is_absolute() or rel.startswith("~"):
        raise SpecError(str(path), key, f"{rel!r}: use a path relative to this file")
    target = Path(os.path.normpath(path.parent / p))
    real = target.resolve()
    root = root.resolve()
    if real != root and root not in real.parents:
        raise SpecError(str(path), key,
                        f"{rel!r} points outside the project directory {root}")
    if must_exist and not real.is_file():
        raise SpecError(str(path), key, f"{rel!r}: file not found ({target})")
    return target


def parse_set(text: str) -> tuple[list[str], Any]:
    """``key.path=value`` with a TOML value (``0.3``, ``"text"``, ``[{ from = 2016-01-01, value = 8 }]``).

    Returns the key's parts and the value. A ``--set`` writes one value: setting
    ``business_cycle.values.2016`` changes that year only (a file writing the ``values``
    table replaces it as a whole).
    """
    if "=" not in text:
        raise SpecError(COMMAND_LINE, f"--set {text}", "expected KEY.PATH=VALUE")
    key, value = text.split("=", 1)
    key, value = key.strip(), value.strip()
    if not key or key.split(".")[0].strip('"') == "extends":
        raise SpecError(COMMAND_LINE, f"--set {text}", "needs a dotted key other than 'extends'")
    try:
        node: Any = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(COMMAND_LINE, f"--set {key}", f"not a TOML dotted key ({exc})") from None
    path = []
    while isinstance(node, dict):
        (k, node), = node.items()
        path.append(k)
    try:
        return path, tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(COMMAND_LINE, f"--set {key}",
                        f"not a TOML value ({exc}); text needs quotes: key=\"text\"") from None


# ---------------------------------------------------------------------------
# Merging
# ---------------------------------------------------------------------------
def is_number_table(value: Any) -> bool:
    """A table of plain numbers (mix, shares, multipliers by band): replaced as a whole."""
    return (isinstance(value, dict) and bool(value)
            and all(_is_number(v) for v in value.values()))


def is_dated_list(value: Any) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(e, dict) and isinstance(e.get("from"), dt.date) for e in value))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _join(prefix: str, key: str) -> str:
    """Dotted key as the loader's error messages spell it (unquoted)."""
    return f"{prefix}.{key}" if prefix else key


def _bare(key: str) -> str:
    """A key as TOML needs it written: bare if it can be, quoted otherwise."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _merge(base: dict, over: dict, label: str, prov: dict, prefix: str) -> None:
    for key, new in over.items():
        dotted = _join(prefix, key)
        old = base.get(key)
        whole = is_number_table(new) and (old is None or is_number_table(old))
        if isinstance(new, dict) and isinstance(old, dict) and not whole:
            _merge(old, new, label, prov, dotted)
        elif is_dated_list(new) and key in base and (is_dated_list(old) or _is_scalar(old)):
            base[key] = _splice(old, new, label, prov, dotted)
        else:
            _forget(prov, dotted)
            base[key] = _copy(new)
            _mark(base[key], label, prov, dotted)


def _is_scalar(v: Any) -> bool:
    return _is_number(v) or isinstance(v, (str, bool))


def _splice(old: Any, new: list, label: str, prov: dict, dotted: str) -> list:
    first = new[0]["from"]
    if is_dated_list(old):
        keep = [(e, prov.get(f"{dotted}[{i}]", prov.get(dotted))) for i, e in enumerate(old)
                if e["from"] < first]
    else:
        keep = [({"from": SPLICE_FLOOR, "value": old}, prov.get(dotted))] if first > SPLICE_FLOOR else []
    _forget(prov, dotted)
    out = []
    for e, src in keep:
        out.append(e)
        _mark(e, src or label, prov, f"{dotted}[{len(out) - 1}]")
    for e in new:
        out.append(_copy(e))
        _mark(out[-1], label, prov, f"{dotted}[{len(out) - 1}]")
    labels = {prov[f"{dotted}[{i}]"] for i in range(len(out))}
    prov[dotted] = label if len(labels) == 1 else " + ".join(sorted(labels, key=lambda s: s != label))
    return out


def _mark(value: Any, label: str, prov: dict, dotted: str) -> None:
    prov[dotted] = label
    if isinstance(value, dict):
        for k, v in value.items():
            _mark(v, label, prov, _join(dotted, k))
    elif is_dated_list(value):
        for i, e in enumerate(value):
            _mark(e, label, prov, f"{dotted}[{i}]")


def _forget(prov: dict, dotted: str) -> None:
    for k in [k for k in prov if k.startswith(dotted + ".") or k.startswith(dotted + "[")]:
        del prov[k]


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


# ---------------------------------------------------------------------------
# Printing the resolved scenario (``caseflow show``)
# ---------------------------------------------------------------------------
def to_toml(layered: Layered, relative_to: Path | None = None) -> str:
    """The merged scenario as TOML, each value followed by ``# from <layer>``.

    The text loads back (tomllib) to exactly the merged data: ``show`` output is itself a
    complete scenario file.
    """
    rel = _relabel(relative_to)
    lines: list[str] = []
    head = ["# Fully resolved scenario. Layers, in order: "
            + ", ".join(rel(str(f)) for f in layered.files)
            + (f"; command line: {' '.join(layered.sets)}" if layered.sets else "")]
    _emit_table(layered.data, "", layered.provenance, rel, lines)
    return "\n".join(head + lines) + "\n"


def _relabel(relative_to: Path | None):
    def rel(label: str | None) -> str:
        if label is None:
            return "?"
        if relative_to is None:
            return label
        parts = []
        for part in label.split(" + "):
            try:
                parts.append(str(Path(part).resolve().relative_to(relative_to.resolve())))
            except ValueError:
                parts.append(part)
        return " + ".join(parts)
    return rel


def _emit_table(table: dict, prefix: str, prov: dict, rel, lines: list[str],
                header: str = "") -> None:
    subs = []
    for key, value in table.items():
        dotted = _join(prefix, key)
        if isinstance(value, dict) and not is_number_table(value) and value:
            subs.append((key, value, dotted))
            continue
        k = _bare(key)
        if is_dated_list(value):
            lines.append(f"{k} = [  # from {rel(prov.get(dotted))}")
            for i, e in enumerate(value):
                lines.append(f"  {_value(e)},  # from {rel(prov.get(f'{dotted}[{i}]'))}")
            lines.append("]")
        else:
            lines.append(f"{k} = {_value(value)}  # from {rel(prov.get(dotted))}")
    for key, value, dotted in subs:
        h = f"{header}.{_bare(key)}" if header else _bare(key)
        lines.append("")
        lines.append(f"[{h}]")
        _emit_table(value, dotted, prov, rel, lines, h)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if math.isnan(v):
            return "nan"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_bare(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _string(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    out = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", out)
    return f'"{out}"'
