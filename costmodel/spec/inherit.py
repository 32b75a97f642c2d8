"""A spec written as another spec plus the rows it changes (``base`` and ``changes``).

A variant of a paper's architecture differs from it in a few rows; it names its base and
lists only those::

    name = "mobilenet_v3_small@mid"
    base = "mobilenet_v3_small"          # a built-in, or a file relative to this file's folder
    variant = { of = "mobilenet_v3_small", version = "mid", ... }

    [[changes]]                          # fields of the base's 7th [[layers]] entry
    layer = 7
    out = 1280

    [[changes]]                          # columns of row 14 of the table in entry 2
    layer = 2
    row = 14
    s = 1

    [[changes]]                          # a new entry after entry 1 (0: before the first)
    after = 1
    insert = { type = "conv", k = 1, out = 32 }

Layer and row numbers count the base's top-level ``layers`` entries and a table's rows from
1, as error messages do; every change addresses the base as written, so their order does not
matter (inserts after the same entry keep their order).  Every other top-level field of the
spec replaces the base's (``name`` is never inherited).  A base may itself have a base.
"""

from __future__ import annotations

import copy
from pathlib import Path

from ..errors import SpecError
from ..limits import MAX_DEPTH

#: The fields of a change that are not the layer's own fields.
CHANGE_KEYS = ("layer", "row", "after", "insert")


def with_base(data: dict, folder: Path | None, seen: tuple[str, ...] = ()) -> dict:
    """``data`` with its ``base`` resolved and its ``changes`` applied (``data`` itself when
    it has no base)."""
    if not isinstance(data, dict) or ("base" not in data and "changes" not in data):
        return data
    if "base" not in data:
        raise SpecError("'changes' apply to a base: add base = \"<built-in or file>\"",
                        field="changes")
    ref = data["base"]
    if not isinstance(ref, str) or not ref:
        raise SpecError("must be a built-in's name or a spec file", field="base")
    path = _base_path(ref, folder)
    key = str(path.resolve())
    if key in seen or len(seen) >= MAX_DEPTH:
        raise SpecError(f"{ref!r} is its own base (through {' → '.join(Path(s).name for s in seen)})"
                        if key in seen else f"bases nest more than {MAX_DEPTH} deep", field="base")
    from .language import read_file
    base = with_base(read_file(path), path.parent, seen + (key,))
    changes = data.get("changes", [])
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        raise SpecError("must be a list of tables ([[changes]])", field="changes")
    out = {k: v for k, v in base.items() if k != "name"}
    out.update({k: v for k, v in data.items() if k not in ("base", "changes")})
    out["layers"] = apply_changes(base.get("layers"), changes, ref)
    return out


def _base_path(ref: str, folder: Path | None) -> Path:
    from .language import BUILTIN_DIR, VARIANT_DIR, builtin_names, variant_names
    if ref in builtin_names():
        return BUILTIN_DIR / f"{ref}.toml"
    if ref in variant_names():
        return VARIANT_DIR / f"{ref}.toml"
    path = (folder or Path.cwd()) / ref
    if not path.suffix and not path.exists():
        path = path.with_suffix(".toml")
    if not path.exists():
        raise SpecError(f"no built-in or file {ref!r} (files are read relative to "
                        f"{folder or 'the current folder'})", field="base")
    return path


def apply_changes(layers, changes: list[dict], base: str) -> list:
    """The base's ``layers`` with each change applied (see the module docstring)."""
    if not isinstance(layers, list):
        raise SpecError(f"the base {base!r} has no 'layers' list to change", field="base")
    layers = copy.deepcopy(layers)
    inserts: dict[int, list] = {}
    for i, change in enumerate(changes):
        where = f"changes[{i + 1}]"
        if "after" in change or "insert" in change:
            _insert(change, len(layers), inserts, where)
            continue
        n = _number(change.get("layer"), len(layers), f"{where}.layer", "the base's layers")
        entry = layers[n - 1]
        fields = {k: v for k, v in change.items() if k not in CHANGE_KEYS}
        if not fields:
            raise SpecError("changes nothing: give the fields to replace", field=where)
        if "row" in change:
            _change_row(entry, change["row"], fields, where)
        elif not isinstance(entry, dict):
            raise SpecError(f"entry {n} of the base is not a table", field=f"{where}.layer")
        else:
            entry.update(copy.deepcopy(fields))
    out = list(inserts.get(0, []))
    for n, entry in enumerate(layers, start=1):
        out.append(entry)
        out += inserts.get(n, [])
    return out


def _number(value, top: int, field: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise SpecError(f"must be a number from 1 to {top} ({what}), got {value!r}", field=field)
    return value


def _insert(change: dict, count: int, inserts: dict, where: str):
    extra = [k for k in change if k not in ("after", "insert")]
    if extra:
        raise SpecError(f"an insertion has only 'after' and 'insert', not {extra[0]!r}", field=where)
    after = change.get("after")
    if after is False or after != 0:
        _number(after, count, f"{where}.after", "the base's layers; 0 inserts before the first")
    entry = change.get("insert")
    if not isinstance(entry, dict):
        raise SpecError("must be a layer table, e.g. { type = \"conv\", k = 1, out = 32 }",
                        field=f"{where}.insert")
    inserts.setdefault(after, []).append(copy.deepcopy(entry))


def _change_row(entry, row, fields: dict, where: str):
    if not (isinstance(entry, dict) and isinstance(entry.get("columns"), list)
            and isinstance(entry.get("rows"), list)):
        raise SpecError("the entry is not a table (columns and rows)", field=f"{where}.row")
    columns, rows = entry["columns"], entry["rows"]
    j = _number(row, len(rows), f"{where}.row", "the table's rows")
    values = list(rows[j - 1])
    for key, value in fields.items():
        if key not in columns:
            raise SpecError(f"not a column of the table (columns: {', '.join(columns)})",
                            field=f"{where}.{key}")
        values[columns.index(key)] = copy.deepcopy(value)
    rows[j - 1] = values
