"""The spec language: architectures as data, in TOML or JSON.

A spec is a table with these keys (only ``layers`` is required)::

    name    = "mobilenet_v2"              # defaults to the file name
    title   = "MobileNetV2"
    source  = "Sandler et al., arXiv:1801.04381v4, Table 2"
    family  = "v2"                        # or a table defining it: see costmodel/families.py
    chart   = { order = 2, marker = "s", legend = "MobileNetV2" }   # the trade-off chart
    base    = "mobilenet_v2"              # this spec is that one plus its [[changes]] (inherit.py)
    classes = 1000                        # width of `out = "classes"`
    input   = { channels = 3, resolution = 224 }
    width   = { tf = "make_divisible", torchvision = "make_divisible" }
    depth   = 1.0                         # depth coefficient: each repeat count n -> ceil(depth·n)
    defaults = { act = "relu6" }          # fields every layer type that has them gets
    [defaults.bneck]                      # fields for one type only
    se_gate = "hsigmoid"

    layers = [
      { type = "conv", k = 3, out = 32, s = 2 },
      { type = "bottleneck", columns = ["t", "c", "n", "s"], rows = [
          [1, 16, 1, 1],
          [6, 24, 2, 2] ] },
      { repeat = 5, layers = [ { type = "dw" }, { type = "conv", k = 1, out = 512 } ] },
      { residual = true, layers = [ ... ] },   # adds the group's input to its output
      { type = "avgpool" },
      { type = "fc", out = "classes" },
    ]

Each entry of ``layers`` is a layer (``type`` is a layer kind from
``costmodel.layers``), a block (``bottleneck``, ``bneck``: see ``blocks.py``),
a table (``columns`` + ``rows`` give one entry per row, the entry's other keys
shared by all rows), a ``repeat`` group or a ``residual`` group.

Depth: ``depth = d`` makes every repeat count (a block row's ``n``, a
``repeat`` group's ``repeat``) ``ceil(d·n)``, as compound scaling does
(EfficientNet; torchvision's ``adjust_depth``), for any family.  A family
scaled in width, depth and resolution at once lists its members in one file
(see :data:`MEMBER_FIELDS`)::

    [models.efficientnet_b3]
    title = "EfficientNet-B3"
    width = 1.2          # multiplies α: the member at α = 1 is the base at α = 1.2
    depth = 1.4
    resolution = 300
    chart = { label = "B3 " }

Each member is a built-in of its own name (``costmodel table efficientnet_b3``).  Names default
to the type and a running number (``conv0``, ``bneck3``); a block's layers are
named ``<block>.expand``, ``<block>.dw``, ``<block>.se``, ``<block>.project``
and ``<block>.add``.

Every mistake is a :class:`~costmodel.errors.SpecError` naming the file, the
layer and the field.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..families import parse_chart, parse_family
from ..layers import KINDS, parse_fields, parse_layer, positive_int
from ..limits import MAX_DEPTH, MAX_LAYERS
from ..scaling import POLICIES, ROUNDINGS
from .blocks import BLOCKS
from .inherit import with_base

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BUILTIN_DIR = Path(__file__).parent / "builtin"
TOP_LEVEL = ("name", "base", "changes", "title", "source", "notes", "family", "chart", "paper",
             "variant", "classes", "input", "width", "defaults", "layers", "depth", "models")
#: What a member of a compound-scaled family (``[models.NAME]``) may set.
MEMBER_FIELDS = ("title", "width", "depth", "resolution", "chart", "notes")
VARIANT_DIR = BUILTIN_DIR / "variants"
NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(@[0-9]+)?$")


@dataclass
class Node:
    """One item of a flattened spec: a layer, a block, or a residual group's ends."""

    op: str            # "layer", "block", "begin" or "end"
    type: str          # the layer kind or block type ("" for begin/end)
    name: str
    fields: dict = field(default_factory=dict)
    repeat_index: int = 0


@dataclass
class Spec:
    """A parsed spec: metadata and the flattened list of nodes."""

    name: str
    nodes: list[Node]
    title: str = ""
    source: str = ""
    notes: str = ""
    family: str = ""
    #: the family's data when this spec defines it (costmodel.families), and the chart's style
    family_table: dict = field(default_factory=dict)
    chart: dict = field(default_factory=dict)
    paper: dict = field(default_factory=dict)
    #: for a variant of a built-in: {"of": arch, "version": name, "kind": ..., "description": ...}
    variant: dict = field(default_factory=dict)
    classes: int = 1000
    input: tuple[int, int, int] = (3, 224, 224)
    rounding: dict = field(default_factory=lambda: {p: "make_divisible" for p in POLICIES})
    file: str | None = None
    data: dict = field(default_factory=dict)
    #: compound scaling: repeat counts were multiplied by ``depth`` (ceil); α is multiplied
    #: by ``width_scale`` when the spec is evaluated; ``member_of``: the defining built-in
    depth: float = 1.0
    width_scale: float = 1.0
    member_of: str = ""

    @property
    def where(self) -> str:
        return self.file or self.name


def builtin_names() -> list[str]:
    """The built-in architectures, by name (with the members of compound-scaled families)."""
    return sorted([p.stem for p in BUILTIN_DIR.glob("*.toml")] + list(_members()))


_MEMBERS: dict[str, str] = {}


def _members() -> dict[str, str]:
    """Member name -> the built-in file defining it (``[models.NAME]`` tables)."""
    if not _MEMBERS:
        for p in sorted(BUILTIN_DIR.glob("*.toml")):
            text = p.read_text(encoding="utf-8")
            if "[models." in text or "models =" in text:
                for m in tomllib.loads(text).get("models", {}):
                    _MEMBERS[m] = p.stem
        _MEMBERS.setdefault("", "")          # scanned (no members is a valid answer)
    return {k: v for k, v in _MEMBERS.items() if k}


def variant_names(arch: str | None = None) -> list[str]:
    """Variants of the built-ins (``arch@version``): paper versions and implementations."""
    names = sorted(p.stem for p in VARIANT_DIR.glob("*@*.toml"))
    return [n for n in names if arch is None or n.split("@")[0] == arch]


def read_file(path: Path) -> dict:
    """Read a TOML or JSON spec file into a dict (errors name the file)."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError("no such file", file=where) from None
    except IsADirectoryError:
        raise SpecError("is a directory, not a spec file", file=where) from None
    except OSError as e:
        raise SpecError(f"cannot read: {e.strerror}", file=where) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("not a text file (not UTF-8)", file=where) from None
    try:
        data = _decode(path, text, where)
    except RecursionError:
        raise SpecError(f"nested too deeply to read (groups may nest {MAX_DEPTH} deep)",
                        file=where) from None
    if not isinstance(data, dict):
        raise SpecError("a spec must be a table (a JSON object) with a 'layers' list", file=where)
    return data


def _decode(path: Path, text: str, where: str):
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SpecError(f"not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})",
                            file=where) from None
    elif path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise SpecError(f"not valid TOML: {e}", file=where) from None
    else:
        raise SpecError("unknown file type: use a .toml or .json spec", file=where)
    return data


_BUILTIN_CACHE: dict[str, Spec] = {}


def load(source: Any) -> Spec:
    """A :class:`Spec` from a built-in name, a ``.toml``/``.json`` path, a dict or a Spec."""
    if isinstance(source, Spec):
        return source
    if isinstance(source, dict):
        return parse(source)
    if isinstance(source, Path) or isinstance(source, str):
        s = str(source)
        if isinstance(source, str) and (s in builtin_names() or s in variant_names()):
            if s not in _BUILTIN_CACHE:
                base = _members().get(s)
                if base:
                    _BUILTIN_CACHE[s] = parse(read_file(BUILTIN_DIR / f"{base}.toml"),
                                              file=f"{s}.toml", default_name=base, member=s,
                                              folder=BUILTIN_DIR)
                    return _BUILTIN_CACHE[s]
                path = (VARIANT_DIR if "@" in s else BUILTIN_DIR) / f"{s}.toml"
                _BUILTIN_CACHE[s] = parse(read_file(path), file=f"{s}.toml", default_name=s,
                                          folder=path.parent)
            return _BUILTIN_CACHE[s]
        path = Path(s)
        if path.suffix.lower() in (".toml", ".json") or path.exists() or "/" in s or "\\" in s:
            return parse(read_file(path), file=s, default_name=path.stem, folder=path.parent)
        from ..errors import UsageError
        hint = ""
        if "@" in s and s.split("@")[0] in builtin_names():
            hint = f" (its variants: {', '.join(variant_names(s.split('@')[0])) or 'none'})"
        raise UsageError(f"unknown architecture {s!r}{hint}: use one of {', '.join(builtin_names())}, "
                         f"or a .toml/.json spec file")
    raise SpecError(f"cannot read a spec from {type(source).__name__}")


def _require(cond, msg, **where):
    if not cond:
        raise SpecError(msg, **where)


def parse(data: dict, *, file: str | None = None, default_name: str = "spec",
          folder: Path | None = None, member: str | None = None) -> Spec:
    """Check a spec's data and flatten its layers into nodes.  A spec with a ``base`` is its
    base plus its ``changes`` (``inherit.py``; a base file is read relative to ``folder``);
    ``member``: one of its ``[models.NAME]``, the spec scaled as that table says."""
    try:
        data = with_base(data, folder)
        scale = {}
        if member is not None:
            data, scale = _member_data(data, member)
        return _parse(data, file, default_name, **scale)
    except SpecError as e:
        name = data.get("name") if isinstance(data.get("name"), str) and data.get("name") else None
        raise e.located(file=file or (f"spec {name!r}" if name else "the spec")) from None


def _number(v, field, low=0.0) -> float:
    _require(not isinstance(v, bool) and isinstance(v, (int, float)) and v > low
             and v != float("inf"), f"must be a number > {low:g}, got {v!r}", field=field)
    return float(v)


def _member_data(data: dict, member: str) -> dict:
    """The spec data of one member of a compound-scaled family: the defining spec with the
    member's name, title, depth, width and resolution (``[models.NAME]``)."""
    models = data.get("models", {})
    _require(isinstance(models, dict) and member in models, "no such member", field="models")
    m = models[member]
    where = f"models.{member}"
    _require(isinstance(m, dict), "must be a table", field=where)
    for key in m:
        _require(key in MEMBER_FIELDS, f"unknown field (known: {', '.join(MEMBER_FIELDS)})",
                 field=f"{where}.{key}")
    out = {k: v for k, v in data.items() if k != "models"}
    out["name"] = member
    if "title" in m:
        out["title"] = m["title"]
    if "notes" in m:
        out["notes"] = (data.get("notes", "") + "\n" + m["notes"]).strip()
    out["depth"] = _number(m.get("depth", 1.0), f"{where}.depth") * _number(
        data.get("depth", 1.0), "depth")
    scale = {"member_of": data.get("name", ""),
             "width_scale": _number(m.get("width", 1.0), f"{where}.width")}
    if "resolution" in m:
        out["input"] = {**data.get("input", {}), "resolution": m["resolution"]}
    if "chart" in m:
        _require(isinstance(m["chart"], dict), "must be a table", field=f"{where}.chart")
        out["chart"] = {**data.get("chart", {}), **m["chart"]}
    if isinstance(out.get("family"), dict):           # the defining spec defines the family
        out["family"] = out["family"].get("name", "")
    return out, scale


def _parse(data, file, default_name, member_of: str = "", width_scale: float = 1.0) -> Spec:
    for key in data:
        _require(key in TOP_LEVEL, f"unknown top-level field (known: {', '.join(TOP_LEVEL)})",
                 field=key)
    _require("layers" in data, "missing: a spec needs a 'layers' list", field="layers")
    name = data.get("name", default_name)
    _require(isinstance(name, str) and name, "must be text", field="name")
    for key in ("title", "source", "notes"):
        _require(isinstance(data.get(key, ""), str), "must be text", field=key)
    family, family_table = parse_family(data.get("family", ""), file)
    chart = parse_chart(data.get("chart", {}), file)

    classes = data.get("classes", 1000)
    positive_int(classes, "classes")

    inp = data.get("input", {})
    _require(isinstance(inp, dict), "must be a table {channels = 3, resolution = 224}", field="input")
    for key in inp:
        _require(key in ("channels", "resolution"), "unknown field (use channels, resolution)",
                 field=f"input.{key}")
    channels = positive_int(inp.get("channels", 3), "input.channels")
    res = inp.get("resolution", 224)
    if isinstance(res, list):
        _require(len(res) == 2, "must be one number or [height, width]", field="input.resolution")
        h, w = (positive_int(x, "input.resolution") for x in res)
    else:
        h = w = positive_int(res, "input.resolution")

    width = data.get("width", {})
    _require(isinstance(width, dict), "must be a table {tf = ..., torchvision = ...}", field="width")
    rounding = {p: "make_divisible" for p in POLICIES}
    for key, value in width.items():
        _require(key in POLICIES, f"unknown rounding policy (use {', '.join(POLICIES)})",
                 field=f"width.{key}")
        _require(value in ROUNDINGS, f"unknown rounding function {value!r} "
                 f"(use {', '.join(ROUNDINGS)})", field=f"width.{key}")
        rounding[key] = value

    paper = data.get("paper", {})
    _require(isinstance(paper, dict), "must be a table", field="paper")
    variant = data.get("variant", {})
    _require(isinstance(variant, dict), "must be a table", field="variant")

    depth = _number(data.get("depth", 1.0), "depth")
    models = data.get("models", {})
    _require(isinstance(models, dict) and all(isinstance(k, str) and NAME.match(k)
                                              for k in models),
             "must be a table of member names", field="models")

    defaults = data.get("defaults", {})
    _require(isinstance(defaults, dict), "must be a table", field="defaults")
    every_field = set().union(*(k.fields for k in KINDS.values()),
                              *(b["fields"] for b in BLOCKS.values()))
    for key, value in defaults.items():
        if not isinstance(value, dict):
            _require(key in every_field, "no layer or block type has this field (known: "
                     f"{', '.join(sorted(every_field))})", field=f"defaults.{key}")
        else:
            _require(key in KINDS or key in BLOCKS, "unknown layer or block type", field=f"defaults.{key}")
            fields = KINDS[key].fields if key in KINDS else BLOCKS[key]["fields"]
            for sub in value:
                _require(sub in fields, f"unknown field for a '{key}'", field=f"defaults.{key}.{sub}")

    walker = _Walker(defaults, depth)
    layers = data["layers"]
    _require(isinstance(layers, list) and layers, "must be a non-empty list of layers", field="layers")
    walker.walk(layers, "")
    return Spec(name=name, nodes=walker.nodes, title=data.get("title", ""),
                source=data.get("source", ""), notes=data.get("notes", ""),
                family=family, family_table=family_table, chart=chart, paper=paper, variant=variant, classes=classes,
                input=(channels, h, w), rounding=rounding, file=file, data=data,
                depth=depth, width_scale=width_scale, member_of=member_of)


class _Walker:
    """Flattens tables, repeat groups, residual groups and blocks into nodes."""

    def __init__(self, defaults: dict, depth: float = 1.0):
        self.defaults = defaults
        self.depth = depth
        self.counters: Counter = Counter()
        self.nodes: list[Node] = []
        self.names: set[str] = set()

    def _defaults_for(self, type_: str) -> dict:
        out = {k: v for k, v in self.defaults.items() if not isinstance(v, dict)}
        out.update(self.defaults.get(type_, {}))
        return out

    def _name(self, entry: dict, type_: str, prefix: str) -> str:
        given = entry.get("name")
        if given is None:
            name = f"{type_}{self.counters[type_]}"
            self.counters[type_] += 1
        else:
            _require(isinstance(given, str) and NAME.match(given),
                     "must be letters, digits, '_' or '-' (dots separate a path)",
                     layer=str(given), field="name")
            name = given
        return prefix + name

    def _claim(self, name: str):
        _require(name not in self.names, "the same name is used twice", layer=name, field="name")
        self.names.add(name)

    def _add(self, node: Node, where: str):
        _require(len(self.nodes) < MAX_LAYERS, f"the spec expands to more than {MAX_LAYERS:,} "
                 f"layers (the limit)", layer=where)
        self.nodes.append(node)

    def walk(self, entries: list, prefix: str, depth: int = 0):
        for i, entry in enumerate(entries):
            where = f"#{i + 1}" if not prefix else f"{prefix}#{i + 1}"
            _require(isinstance(entry, dict), f"each layer must be a table, got {entry!r}", layer=where)
            if "repeat" in entry or ("residual" in entry and "layers" in entry):
                _require(depth < MAX_DEPTH, f"groups nest more than {MAX_DEPTH} deep (the limit)",
                         layer=where, field="layers")
            if "repeat" in entry:
                self._repeat(entry, prefix, where, depth + 1)
            elif "residual" in entry and "layers" in entry:
                self._residual(entry, prefix, where, depth + 1)
            elif "columns" in entry or "rows" in entry:
                self._table(entry, prefix, where)
            else:
                self._single(entry, prefix, where)

    def _deepen(self, n: int) -> int:
        """A repeat count under the depth coefficient: ``ceil(depth·n)`` (torchvision's
        ``adjust_depth``; timm's ``depth_trunc='ceil'``)."""
        if self.depth == 1.0:
            return n
        return int(math.ceil(n * self.depth))

    def _repeat(self, entry, prefix, where, depth):
        for key in entry:
            _require(key in ("repeat", "layers"), "a repeat group has only 'repeat' and 'layers'",
                     layer=where, field=key)
        n = entry["repeat"]
        try:
            positive_int(n, "repeat")
        except SpecError as e:
            raise e.located(layer=where) from None
        n = self._deepen(n)
        _require(n <= MAX_LAYERS, f"{n:,} repeats: a spec expands to {MAX_LAYERS:,} layers at "
                 f"most (the limit)", layer=where, field="repeat")
        sub = entry.get("layers")
        _require(isinstance(sub, list) and sub, "must be a non-empty list", layer=where, field="layers")
        for _ in range(n):
            self.walk(sub, prefix, depth)

    def _residual(self, entry, prefix, where, depth):
        for key in entry:
            _require(key in ("residual", "layers", "name"),
                     "a residual group has only 'residual', 'name' and 'layers'", layer=where, field=key)
        _require(entry["residual"] is True, "must be true", layer=where, field="residual")
        name = self._name(entry, "residual", prefix)
        self._claim(name)
        sub = entry["layers"]
        _require(isinstance(sub, list) and sub, "must be a non-empty list", layer=name, field="layers")
        self._add(Node("begin", "", name), name)
        self.walk(sub, name + ".", depth)
        self._add(Node("end", "", name), name)

    def _table(self, entry, prefix, where):
        columns, rows = entry.get("columns"), entry.get("rows")
        _require(isinstance(columns, list) and columns and all(isinstance(c, str) for c in columns),
                 "must be a list of field names", layer=where, field="columns")
        _require(isinstance(rows, list) and rows, "must be a non-empty list of rows", layer=where,
                 field="rows")
        shared = {k: v for k, v in entry.items() if k not in ("columns", "rows")}
        for j, row in enumerate(rows):
            _require(isinstance(row, list) and len(row) == len(columns),
                     f"row {j + 1} must have {len(columns)} values ({', '.join(columns)}), got {row!r}",
                     layer=where, field="rows")
            self._single({**shared, **dict(zip(columns, row))}, prefix, f"{where} row {j + 1}")

    def _single(self, entry, prefix, where):
        _require("type" in entry, "missing: each layer needs a 'type'", layer=where, field="type")
        type_ = entry["type"]
        if type_ in KINDS:
            name = self._name(entry, type_, prefix)
            self._claim(name)
            try:
                L = parse_layer(KINDS[type_], entry, self._defaults_for(type_))
            except SpecError as e:
                raise e.located(layer=name) from None
            L["name"] = name
            self._add(Node("layer", type_, name, L), name)
        elif type_ in BLOCKS:
            self._block(entry, type_, prefix, where)
        else:
            known = ", ".join(sorted(KINDS) + sorted(BLOCKS))
            raise SpecError(f"unknown layer type {type_!r} (known: {known})", layer=where, field="type")

    def _block(self, entry, type_, prefix, where):
        block = BLOCKS[type_]
        fields = block["fields"]
        defaults = self._defaults_for(type_)
        given_name = entry.get("name")
        repeat_key = block["repeat"]
        n = 1
        if repeat_key and repeat_key in entry:
            try:
                n = fields[repeat_key].parse(entry[repeat_key], repeat_key)
            except SpecError as e:
                raise e.located(layer=str(given_name or where)) from None
            if entry.get("deepen", defaults.get("deepen", True)) is not False:
                n = self._deepen(n)
            _require(n <= MAX_LAYERS, f"{n:,} blocks: a spec expands to {MAX_LAYERS:,} layers at "
                     f"most (the limit)", layer=str(given_name or where), field=repeat_key)
        for r in range(n):
            if given_name is not None and n != 1:
                name = self._name({**entry, "name": f"{given_name}_{r}"}, type_, prefix)
            else:
                name = self._name(entry, type_, prefix)
            self._claim(name)
            try:
                B = parse_fields(fields, entry, defaults, f"a '{type_}' block")
                for key in block["required"]:
                    if B[key] is None:
                        raise SpecError(f"missing: a '{type_}' block needs '{key}'", field=key)
            except SpecError as e:
                raise e.located(layer=name) from None
            B["name"] = name
            self._add(Node("block", type_, name, B, repeat_index=r), name)

