"""Conformance: every published number against the engine, and a model against its paper.

Published cells
---------------
Each published MAdds or params figure (``costmodel.published``) is a *cell*.
A cell is checked by searching a small space of counting rules, the same for
every cell, simplest first:

* the architecture: the built-in, or one of its variants (paper versions such as
  MobileNetV3's first arXiv table, and implementation choices such as TF-slim's
  head thinned with α; ``costmodel/spec/builtin/variants``);
* the classifier: the row's classes, 1000 or 1001;
* the width rounding: TF-slim's or torchvision's;
* the part counted: the whole model, or the body without pooling and classifier;
* the convention: every registered convention (``paper``, ``pytorch``, ``fvcore``, ...);
* the printing: rounded or truncated to the printed digits.

A row's MAdds and params are searched together: the model (architecture,
classes, rounding, part) must be the same for both; only the convention may
differ.  The status of a cell is

* ``reproduced``: the source's own convention and model reproduce it;
* ``explained``: another combination does (the rule is printed);
* ``erratum``: nothing does, but the printed figure with two adjacent digits
  swapped is reproduced (V1 Table 2's 1.19% for 1.91%);
* ``unexplained``: nothing does; the nearest candidate is printed.

Model against paper
-------------------
:func:`check_model` reads a model (a spec, or a PyTorch model by running it)
as a stem, a sequence of blocks (expansion, depthwise, SE, projection,
residual), a last convolution, pooling and a head, and compares it block by
block with a paper's architecture, with the MAdds and params effect of each
deviation.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from . import conventions as _conv
from .errors import UsageError
from .published import UNIT_SCALE, printed_rules, rows, table
from .spec import variant_names

STATUSES = ("reproduced", "explained", "erratum", "unexplained")

def source_policy(source: str) -> dict:
    """What a source itself counts and what it could have counted, from ``sources.csv``:
    ``{"madds": its own MAdds convention, "params": its own params convention, "rounding":
    its width rounding, "allowed": {"madds": (...), "params": (...)}}``.  A cell reproduced
    with the source's own rules is `reproduced`, with another allowed convention `explained`
    (the papers and TF-slim predate the PyTorch counters, so only TF-side counts are allowed
    for them; torchvision's metadata was measured with a dispatch counter of conv + linear
    MACs; timm measures with fvcore, or DeepSpeed's profiler when it is installed).  A source
    ``sources.csv`` does not list is an error, never another source's rules."""
    policies = _source_policies()
    if source not in policies:
        raise UsageError(f"published source {source!r} is not in costmodel/published/sources.csv "
                         f"(known: {', '.join(policies)})")
    return policies[source]


@lru_cache(maxsize=None)
def _source_policies() -> dict[str, dict]:
    return {r["source"]: {"madds": r["madds_convention"], "params": r["params_convention"],
                          "rounding": r["rounding"],
                          "allowed": {"madds": tuple(r["madds_conventions"].split()),
                                      "params": tuple(r["params_conventions"].split())}}
            for r in table("sources")}


# A paper version's own architecture: rows of that version are checked against it first.
VERSION_VARIANT = {("V3-paper", "mid", "mobilenet_v3_small"): "mobilenet_v3_small@mid",
                   ("V3-paper", "v1", "mobilenet_v3_large"): "mobilenet_v3_large@v1",
                   ("V3-paper", "v1", "mobilenet_v3_small"): "mobilenet_v3_small@mid"}
PARTS = ("whole model", "body only")


@dataclass(frozen=True)
class Setup:
    """One model to count: architecture (variant), classes, rounding and part."""

    arch: str
    classes: int
    rounding: str
    part: str

    def describe(self, base: "Setup") -> list[str]:
        out = []
        if self.arch != base.arch:
            out.append(_variant_text(self.arch))
        if self.classes != base.classes:
            out.append(f"{self.classes} classes")
        if self.rounding != base.rounding:
            out.append(f"{self.rounding} width rounding")
        if self.part != base.part:
            out.append("the body only (no pooling, no classifier)" if self.part == "body only"
                       else "the whole model")
        return out


def _variant_text(arch: str) -> str:
    if "@" not in arch:
        return f"the {arch} built-in"
    from .spec import load
    v = load(arch).variant
    return f"{v.get('kind', 'variant')} '{v.get('version')}' ({v.get('description', arch)})"


@dataclass
class CellResult:
    """A published figure, what the engine gives, and how (or whether) it reproduces."""

    source: str
    table: str
    version: str
    label: str
    metric: str              # "MAdds", "params", "MAdds %", "params %"
    published: str
    unit: str
    computed: int | None
    status: str
    rule: str
    note: str = ""

    @property
    def key(self) -> str:
        v = f" ({self.version})" if self.version else ""
        return f"{self.source} {self.table}{v}: {self.label}: {self.metric}"


# --------------------------------------------------------------------------- counting

class _Counter:
    """Facts per setup, evaluated once (each evaluation is a few hundred microseconds)."""

    def __init__(self):
        self.cache = {}

    def facts(self, s: Setup, alpha: float, resolution: int):
        """The summed facts of a setup's model (or of its body), or None if it cannot be built."""
        key = (s, alpha, resolution)
        if key not in self.cache:
            import numpy as np
            from . import count
            from .conventions import Facts
            from .layers import FACTS
            try:
                c = count(s.arch, alpha=alpha, resolution=resolution, classes=s.classes,
                          rounding=s.rounding)
            except Exception:  # noqa: BLE001 - a variant may not exist at some α
                self.cache[key] = None
            else:
                layers = c.layers
                if s.part == "body only":
                    layers = layers[:next((i for i, r in enumerate(layers) if r.type == "avgpool"),
                                          len(layers))]
                self.cache[key] = Facts(np.array([sum(r.facts[f] for r in layers) for f in FACTS],
                                                 dtype=np.int64))
        return self.cache[key]

    def value(self, s: Setup, alpha, resolution, convention: str, metric: str) -> int | None:
        f = self.facts(s, alpha, resolution)
        if f is None:
            return None
        conv = _conv.get(convention)
        return int(conv.params(f) if metric == "params" else conv.madds(f))


def _conventions(metric: str, primary: str, allowed) -> list[str]:
    """The allowed registered conventions in MACs with distinct rules for ``metric``, primary first."""
    seen, out = set(), []
    names = [primary] + [n for n in allowed if n != primary and n in _conv.CONVENTIONS]
    for name in names:
        c = _conv.CONVENTIONS[name]
        if c.unit != "macs":
            continue
        sig = tuple(sorted(_conv.weights_of(c, metric).items()))
        if sig not in seen:
            seen.add(sig)
            out.append(name)
    return out


def _setups(row, primary_rounding: str) -> tuple[Setup, list[Setup]]:
    base_arch = VERSION_VARIANT.get((row.source, row.version, row.arch), row.arch)
    classes = row.classes if row.classes else 1000
    part = "body only" if row.classes == 0 else "whole model"
    base = Setup(base_arch, classes, primary_rounding, part)
    archs = list(dict.fromkeys([base_arch, row.arch] + variant_names(row.arch)))
    all_classes = list(dict.fromkeys([classes, 1000, 1001]))
    roundings = list(dict.fromkeys([primary_rounding, "tf", "torchvision"]))
    parts = list(dict.fromkeys([part, *PARTS]))
    setups = [Setup(a, c, r, p) for a, c, r, p in itertools.product(archs, all_classes, roundings, parts)]
    setups.sort(key=lambda s: len(s.describe(base)))        # simplest first (stable)
    return base, setups


def _swapped(printed: str) -> list[str]:
    """The printed figure with two adjacent digits swapped (a typo's usual shape)."""
    out = []
    chars = list(printed)
    digits = [i for i, ch in enumerate(chars) if ch.isdigit()]
    for a, b in zip(digits, digits[1:]):
        if b == a + 1 or (b == a + 2 and chars[a + 1] == "."):
            c = chars[:]
            c[a], c[b] = c[b], c[a]
            s = "".join(c)
            if s != printed and not (s[0] == "0" and len(s) > 1 and s[1] != "."):
                out.append(s)
    return out


def _nearest(value: int, printed: str, unit: str) -> float:
    return abs(value / UNIT_SCALE[unit] - float(printed)) / max(float(printed), 1e-12)


def check_row(row, counter: _Counter) -> list[CellResult]:
    """Search the rules for one published row's MAdds and params cells."""
    primary = source_policy(row.source)
    base, setups = _setups(row, primary["rounding"])
    cells = [(m, p, u) for m, p, u in (("MAdds", row.madds, row.madds_unit),
                                       ("params", row.params, row.params_unit)) if p]
    metric_key = {"MAdds": "madds", "params": "params"}
    allowed = primary["allowed"]
    convs = {m: _conventions(metric_key[m], primary[metric_key[m]], allowed[metric_key[m]])
             for m, _, _ in cells}
    alpha, res = row.alpha, row.resolution

    def matches(setup, metric, printed, unit):
        out = []
        for name in convs[metric]:
            v = counter.value(setup, alpha, res, name, metric_key[metric])
            if v is not None:
                rules = printed_rules(v, printed, unit)
                if rules:
                    out.append((name, v, rules[0]))
        return out

    def complexity(setup, name, metric):
        return len(setup.describe(base)) + (name != primary[metric_key[metric]])

    # 1. one model for the whole row (only the conventions may differ), simplest first
    best = None
    for setup in setups:
        found = [matches(setup, m, p, u) for m, p, u in cells]
        if all(found):
            choice = [min(f, key=lambda t: complexity(setup, t[0], m)) for f, (m, _, _) in zip(found, cells)]
            score = sum(complexity(setup, name, m) for (name, _, _), (m, _, _) in zip(choice, cells))
            if best is None or score < best[0]:
                best = (score, setup, choice)
            if score == 0:
                break
    results = []
    if best is not None:
        _, setup, choice = best
        for (metric, printed, unit), (name, v, rule) in zip(cells, choice):
            results.append(_result(row, metric, printed, unit, v, setup, base, name,
                                   primary[metric_key[metric]], rule))
        return results
    # 2. cell by cell (a row whose figures no single model explains)
    setups_used = {}
    for metric, printed, unit in cells:
        found = None
        for setup in setups:
            f = matches(setup, metric, printed, unit)
            if f:
                name, v, rule = min(f, key=lambda t: complexity(setup, t[0], metric))
                if found is None or complexity(setup, name, metric) < found[0]:
                    found = (complexity(setup, name, metric), setup, name, v, rule)
                if found[0] == 0:
                    break
        if found is not None:
            _, setup, name, v, rule = found
            setups_used[metric] = setup
            results.append(_result(row, metric, printed, unit, v, setup, base, name,
                                   primary[metric_key[metric]], rule))
            continue
        p_conv = primary[metric_key[metric]]
        v0 = counter.value(base, alpha, res, p_conv, metric_key[metric])
        swapped = [s for s in _swapped(printed) if v0 is not None and printed_rules(v0, s, unit)]
        if swapped:
            results.append(CellResult(row.source, row.table, row.version, row.label, metric, printed,
                                      unit, v0, "erratum",
                                      f"digits swapped: printed {printed}, the count gives {swapped[0]}"))
            continue
        nearest = None
        for setup in setups:
            for name in convs[metric]:
                v = counter.value(setup, alpha, res, name, metric_key[metric])
                if v is not None and (nearest is None or _nearest(v, printed, unit) < nearest[0]):
                    nearest = (_nearest(v, printed, unit), setup, name, v)
        _, setup, name, v = nearest
        how = "; ".join([f"convention {name}"] + setup.describe(base)) or f"convention {name}"
        results.append(CellResult(row.source, row.table, row.version, row.label, metric, printed, unit,
                                  v0, "unexplained",
                                  f"nearest: {_fmt(v, unit)} ({how}); the source's own rules give "
                                  f"{_fmt(v0, unit)}"))
    if len(set(setups_used.values())) > 1:
        for r in results:
            if r.status == "explained":
                r.note = "the row's figures are explained by different models"
    return results


def _fmt(v: int | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "Kb":                  # V2 Table 3: computed in bytes, printed in Kb (1,000 bytes)
        return f"{v / 1000:,.3f} Kb"
    return f"{v / UNIT_SCALE[unit]:,.3f}{unit if unit != '1' else ''}"


def _result(row, metric, printed, unit, v, setup, base, name, primary_conv, rule) -> CellResult:
    how = setup.describe(base)
    if name != primary_conv:
        how = [f"convention {name}"] + how
    status = "reproduced" if not how else "explained"
    text = rule if not how else f"{rule}, with " + "; ".join(how)
    return CellResult(row.source, row.table, row.version, row.label, metric, printed, unit, v,
                      status, text)


def _percent_rules(part: int, total: int, printed: str) -> list[str]:
    value = Decimal(100 * part) / Decimal(total)
    places = Decimal(1).scaleb(Decimal(printed).as_tuple().exponent)
    return [n for n, mode in (("rounded", ROUND_HALF_UP), ("truncated", ROUND_DOWN))
            if value.quantize(places, rounding=mode) == Decimal(printed)]


def check_v1_tables_2_and_3() -> list[CellResult]:
    """The V1 paper's Table 2 (shares per layer type) and Table 3 (one layer)."""
    from . import count
    from .ratio import separable_table
    out = []
    c = count("mobilenet_v1")
    groups = {}
    for r in c.layers:
        g = groups.setdefault(r.group, [0, 0])
        g[0] += r.madds
        g[1] += r.params
    for printed in table("v1_table2"):
        m, p = groups.get(printed["type"], (0, 0))
        for metric, part, total, value in (("MAdds %", m, c.totals.madds, printed["madds_pct"]),
                                           ("params %", p, c.totals.params, printed["params_pct"])):
            pct = round(100 * part / total, 4)
            rules = _percent_rules(part, total, value)
            if rules:
                res = CellResult("V1-paper", "Table 2", "", printed["type"], metric, value, "%", part,
                                 "reproduced", rules[0])
            else:
                swapped = [s for s in _swapped(value) if _percent_rules(part, total, s)]
                status = "erratum" if swapped else "unexplained"
                rule = (f"digits swapped: printed {value}%, the count gives {swapped[0]}%"
                        if swapped else f"the count gives {pct:.2f}%")
                res = CellResult("V1-paper", "Table 2", "", printed["type"], metric, value, "%", part,
                                 status, rule)
            out.append(res)
    for got, printed in zip(separable_table(), table("v1_table3")):
        for metric, v, value, unit in (("MAdds", got["MAdds"], printed["madds"], printed["madds_unit"]),
                                       ("params", got["params"], printed["params"], printed["params_unit"])):
            rules = printed_rules(v, value, unit)
            out.append(CellResult("V1-paper", "Table 3", "", printed["modification"], metric, value, unit,
                                  v, "reproduced" if rules else "unexplained",
                                  rules[0] if rules else f"the count gives {_fmt(v, unit)}"))
    return out


def check_tf_slim_layers() -> list[CellResult]:
    """Every layer of TF-slim's own MobileNetV1 tables (exact integers)."""
    from . import count
    out = []
    docs = table("tfslim_v1_layers")
    for alpha, res in sorted({(float(d["alpha"]), int(d["resolution"])) for d in docs}, reverse=True):
        c = count("mobilenet_v1", alpha=alpha, resolution=res)
        convs = [r for r in c.layers if r.kind in ("standard", "depthwise", "pointwise")]
        rows_ = [d for d in docs if float(d["alpha"]) == alpha and int(d["resolution"]) == res]
        for r, d in zip(convs, rows_):
            for metric, v, printed in (("MAdds", r.madds, d["macs"]), ("params", r.weights, d["params"])):
                ok = v == int(printed)
                out.append(CellResult("TF-slim-v1-code", "docstring per layer", "", f"{d['config']}: {d['layer']}",
                                      metric, printed, "1", v, "reproduced" if ok else "unexplained",
                                      "exact" if ok else f"the count gives {v:,}"))
    return out


def _evidence(results: list[CellResult]):
    """Attach the published-numbers notes (``discrepancies.csv``) to the cells they concern."""
    notes = table("discrepancies")
    for r in results:
        if r.status in ("reproduced",):
            continue
        for n in notes:
            if (n["source"], n["table"], n["label"], n["metric"]) == (r.source, r.table, r.label, r.metric) \
                    and n["version"] in ("", r.version):
                r.note = (r.note + "; " if r.note else "") + n["note"]


def check_published(sources: list[str] | None = None) -> tuple[list[CellResult], int]:
    """Every published cost cell against the engine.  Returns (results, rows not checked)."""
    counter = _Counter()
    results: list[CellResult] = []
    skipped = 0
    if not sources or "V1-paper" in sources:
        results += check_v1_tables_2_and_3()
    for row in rows():
        if sources and row.source not in sources:
            continue
        if not row.arch:
            skipped += 1
            continue
        results += check_row(row, counter)
    if not sources or "TF-slim-v1-code" in sources:
        results += check_tf_slim_layers()
    from .memory_cells import check_timm_macts, check_v2_table3
    if not sources or "timm" in sources:
        results += check_timm_macts()
    if not sources or "V2-paper" in sources:
        table3, not_checked = check_v2_table3()
        results += table3
        skipped += not_checked
    _evidence(results)
    return results, skipped


def status_counts(results: list[CellResult]) -> dict[str, int]:
    return {s: sum(r.status == s for r in results) for s in STATUSES}


def parse_statuses(text: str) -> list[str]:
    """``--status``'s comma list; an unknown status is a one-line error."""
    wanted = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in wanted if x not in STATUSES]
    if bad:
        raise UsageError(f"unknown status {bad[0]!r}: use {', '.join(STATUSES)}")
    return wanted


def summary_line(results: list[CellResult], skipped: int = 0) -> str:
    counts = status_counts(results)
    line = ", ".join(f"{n} {s}" for s, n in counts.items())
    if skipped:
        line += f" ({skipped} rows of other networks not checked)"
    return f"{len(results)} published cells: {line}"


# --------------------------------------------------------------------------- model vs paper

@dataclass
class Unit:
    """One computation of a model in the paper's terms."""

    kind: str                      # conv | pw | dw | se | pool | fc | add | bn | act | other
    name: str
    k: tuple = (1, 1)
    s: tuple = (1, 1)
    cin: int = 0
    cout: int = 0
    act: str = "none"
    norm: bool = False
    bias: bool = False
    madds: int = 0
    params: int = 0


@dataclass
class Block:
    expand: Unit | None = None
    dw: Unit | None = None
    se: Unit | None = None
    project: Unit | None = None
    residual: bool = False

    def units(self):
        return [u for u in (self.expand, self.dw, self.se, self.project) if u is not None]

    @property
    def madds(self):
        return sum(u.madds for u in self.units())

    @property
    def params(self):
        return sum(u.params for u in self.units())


@dataclass
class Architecture:
    """A model read the way the papers' tables are written."""

    stem: Unit | None
    blocks: list[Block]
    last: list[Unit]               # 1×1 convolutions after the blocks
    head: list[Unit]               # fully connected layers after pooling (the last is the classifier)
    other: list[Unit] = field(default_factory=list)   # anything left over

    @property
    def classes(self) -> int | None:
        return self.head[-1].cout if self.head else None

    def convs(self):
        units = ([self.stem] if self.stem else []) + [u for b in self.blocks for u in b.units()]
        return units + self.last + self.head


def _units(costing) -> list[Unit]:
    """Records fused into units: conv + batch norm + activation, SE patterns, adds.
    Params are counted with biases and batch norm (the ``pytorch`` convention)."""
    recs = costing.in_convention("pytorch").layers
    units: list[Unit] = []
    i = 0

    def cost(r):
        return r.facts["macs"], r.params

    while i < len(recs):
        r = recs[i]
        if r.type in ("conv", "dw", "fc"):
            L = r.layer
            kind = ("fc" if r.type == "fc" else "dw" if r.kind == "depthwise" else
                    "pw" if r.kind == "pointwise" else "conv")
            u = Unit(kind, r.name, tuple(L.get("k", (1, 1))), tuple(L.get("s", (1, 1))), r.input[0],
                     r.output[0], L.get("act", "none"), L.get("norm") == "bn", bool(L.get("bias")))
            u.madds, u.params = cost(r)
            j = i + 1
            if j < len(recs) and recs[j].type == "bn" and recs[j].input == r.output:
                u.norm = True
                u.params += recs[j].params
                j += 1
            if u.act == "none" and j < len(recs) and recs[j].type == "act" and recs[j].input == r.output:
                u.act = recs[j].layer["fn"]
                j += 1
            units.append(u)
            i = j
            continue
        if r.type == "se":
            u = Unit("se", r.name, cin=r.input[0], cout=r.mid, act=r.layer["gate"], bias=r.layer["bias"])
            u.madds, u.params = cost(r)
            units.append(u)
        elif r.type == "avgpool":
            # SE written out: avgpool (C,H,W) -> conv C->S on 1x1 -> act -> conv S->C -> gate -> mul
            nxt = recs[i + 1] if i + 1 < len(recs) else None
            if (nxt is not None and nxt.type == "conv" and nxt.input[1:] == (1, 1)
                    and r.input[1] * r.input[2] > 1):
                j = i + 1
                parts = []
                while j < len(recs) and recs[j].type in ("conv", "act") and recs[j].input[1:] == (1, 1):
                    parts.append(recs[j])
                    j += 1
                if j < len(recs) and recs[j].type == "mul" and recs[j].input == r.input:
                    convs = [x for x in parts if x.type == "conv"]
                    gates = [x for x in parts if x.type == "act"]
                    u = Unit("se", r.name.rpartition(".")[0] or r.name, cin=r.input[0],
                             cout=convs[0].output[0] if convs else 0,
                             act=gates[-1].layer["fn"] if gates else "none",
                             bias=all(x.layer.get("bias") for x in convs))
                    u.madds = sum(x.facts["macs"] for x in convs)
                    u.params = sum(x.params for x in convs)
                    units.append(u)
                    i = j + 1
                    continue
            units.append(Unit("pool", r.name, cin=r.input[0], cout=r.output[0]))
        elif r.type == "add":
            units.append(Unit("add", r.name))
        elif r.type in ("bn", "act"):
            units.append(Unit(r.type, r.name, cin=r.input[0], cout=r.output[0],
                              act=r.layer.get("fn", "none"), params=r.params))
        elif r.type in ("dropout", "flatten", "mul"):
            pass
        i += 1
    return units


def architecture(costing) -> Architecture:
    """A counted model read as stem, blocks, last convolutions and head."""
    units = _units(costing)
    stem = None
    i = 0
    if units and units[0].kind in ("conv", "pw"):
        stem, i = units[0], 1
    blocks: list[Block] = []
    last: list[Unit] = []
    head: list[Unit] = []
    other: list[Unit] = []
    pooled = False
    while i < len(units):
        u = units[i]
        nxt = units[i + 1] if i + 1 < len(units) else None
        if pooled:
            (head if u.kind == "fc" else other).append(u)
            i += 1
            continue
        if u.kind == "pool":
            pooled = True
            i += 1
            continue
        if u.kind == "pw" and nxt is not None and nxt.kind == "dw":
            b = Block(expand=u)
            i += 1
            u = units[i]
        elif u.kind == "dw":
            b = Block()
        else:
            # 1×1 (or other) convolutions after the blocks; anything else (an SE after the last
            # convolution, a lone batch norm or activation) is kept aside
            (last if u.kind in ("pw", "conv") else other).append(u)
            i += 1
            continue
        b.dw = u
        i += 1
        if i < len(units) and units[i].kind == "se":
            b.se = units[i]
            i += 1
        if i < len(units) and units[i].kind == "pw":
            b.project = units[i]
            i += 1
        if i < len(units) and units[i].kind == "add":
            b.residual = True
            i += 1
        blocks.append(b)
    return Architecture(stem, blocks, last, head, other)


@dataclass
class Deviation:
    kind: str          # the --allow name
    where: str
    text: str
    madds: int = 0     # effect on MAdds (model − paper), paper convention
    params: int = 0    # effect on params (model − paper), weights + biases + batch norm

    def line(self) -> str:
        eff = []
        if self.madds:
            eff.append(f"{self.madds:+,} MAdds")
        if self.params:
            eff.append(f"{self.params:+,} params")
        return f"{self.where}: {self.text}" + (f": {', '.join(eff)}" if eff else "")


DEVIATION_KINDS = ("blocks", "stem", "kernel", "stride", "expansion", "width", "se", "nonlinearity",
                   "residual", "last", "head", "classes", "biases", "norms")

def _act(a: str) -> str:
    from .reconcile import ACT_NAMES
    return ACT_NAMES.get(a, a)


def compare(model: Architecture, paper: Architecture) -> list[Deviation]:
    """Block-by-block differences between a model and a paper's architecture."""
    devs: list[Deviation] = []

    def unit_diff(where, m: Unit, p: Unit, fields, block_effect=None):
        first = True
        for name, kind in fields:
            mv, pv = getattr(m, name), getattr(p, name)
            if name == "act":
                if _act(mv) != _act(pv):
                    devs.append(Deviation("nonlinearity", where, f"{_act(mv)}, the paper has {_act(pv)}"))
                continue
            if mv != pv:
                show = (lambda v: "×".join(map(str, v)) if isinstance(v, tuple) and v[0] == v[1]
                        and name == "k" else (v[0] if isinstance(v, tuple) else v))
                label = {"k": "kernel", "s": "stride", "cout": "output channels"}[name]
                d = Deviation(kind, where, f"{label} {show(mv)}, the paper has {show(pv)}")
                if first:
                    d.madds, d.params = (block_effect if block_effect else
                                         (m.madds - p.madds, m.params - p.params))
                    first = False
                devs.append(d)

    # stem
    if model.stem and paper.stem:
        unit_diff("stem", model.stem, paper.stem, [("k", "stem"), ("s", "stride"), ("cout", "stem"),
                                                    ("act", "nonlinearity")])
    # blocks
    n = min(len(model.blocks), len(paper.blocks))
    if len(model.blocks) != len(paper.blocks):
        dm = sum(b.madds for b in model.blocks) - sum(b.madds for b in paper.blocks)
        dp = sum(b.params for b in model.blocks) - sum(b.params for b in paper.blocks)
        devs.append(Deviation("blocks", "blocks", f"{len(model.blocks)} blocks, the paper has "
                              f"{len(paper.blocks)} (all blocks)", dm, dp))
    for i in range(n):
        mb, pb = model.blocks[i], paper.blocks[i]
        where = f"block {i + 1}"
        effect = (mb.madds - pb.madds, mb.params - pb.params)
        before = len(devs)
        unit_diff(where, mb.dw, pb.dw, [("k", "kernel"), ("s", "stride")], effect)
        me = mb.expand.cout if mb.expand else None
        pe = pb.expand.cout if pb.expand else None
        if me != pe:
            devs.append(Deviation("expansion", where, f"expansion {me or 'none'}, the paper has {pe or 'none'}"))
        if mb.project and pb.project and mb.project.cout != pb.project.cout:
            devs.append(Deviation("width", where, f"output channels {mb.project.cout}, the paper has "
                                  f"{pb.project.cout}"))
        if bool(mb.se) != bool(pb.se):
            devs.append(Deviation("se", where, ("squeeze-and-excitation, the paper has none" if mb.se
                                                else "no squeeze-and-excitation, the paper has it")))
        elif mb.se and pb.se and mb.se.cout != pb.se.cout:
            devs.append(Deviation("se", where, f"SE squeeze {mb.se.cout}, the paper has {pb.se.cout}"))
        m_act = (mb.expand or mb.dw).act
        p_act = (pb.expand or pb.dw).act
        if _act(m_act) != _act(p_act):
            devs.append(Deviation("nonlinearity", where, f"{_act(m_act)}, the paper has {_act(p_act)}"))
        if mb.residual != pb.residual:
            devs.append(Deviation("residual", where, ("a residual add, the paper has none" if mb.residual
                                                      else "no residual add, the paper has one")))
        if len(devs) > before and not any(d.madds or d.params for d in devs[before:]):
            devs[before].madds, devs[before].params = effect
    # last convolutions
    for j, (mu, pu) in enumerate(itertools.zip_longest(model.last, paper.last)):
        where = "last conv" if max(len(model.last), len(paper.last)) == 1 else f"last conv {j + 1}"
        if mu is None or pu is None:
            u = mu or pu
            devs.append(Deviation("last", where, ("present, the paper has none" if mu else "missing"),
                                  (u.madds if mu else -u.madds), (u.params if mu else -u.params)))
            continue
        unit_diff(where, mu, pu, [("k", "last"), ("cout", "last"), ("act", "nonlinearity")])
    m_last_se = any(u.kind == "se" for u in model.other)
    p_last_se = any(u.kind == "se" for u in paper.other)
    if m_last_se != p_last_se:
        u = next(u for u in (model.other if m_last_se else paper.other) if u.kind == "se")
        devs.append(Deviation("se", "last conv", ("squeeze-and-excitation, the paper has none" if m_last_se
                                                  else "no squeeze-and-excitation, the paper has it"),
                              u.madds if m_last_se else -u.madds, u.params if m_last_se else -u.params))
    # head and classifier
    mh, ph = model.head, paper.head
    if len(mh) != len(ph):
        devs.append(Deviation("head", "head", f"{len(mh)} fully connected layers after pooling, the paper "
                              f"has {len(ph)}", sum(u.madds for u in mh) - sum(u.madds for u in ph),
                              sum(u.params for u in mh) - sum(u.params for u in ph)))
    else:
        for j, (mu, pu) in enumerate(zip(mh, ph)):
            last = j == len(mh) - 1
            where = "classifier" if last else f"head {j + 1}"
            if mu.cout != pu.cout:
                kind = "classes" if last else "head"
                what = "classes" if last else "outputs"
                devs.append(Deviation(kind, where, f"{mu.cout} {what}, the paper has {pu.cout}",
                                      mu.madds - pu.madds, mu.params - pu.params))
            if _act(mu.act) != _act(pu.act):
                devs.append(Deviation("nonlinearity", where, f"{_act(mu.act)}, the paper has {_act(pu.act)}"))
    # biases and norms, over all convolutions, one line each
    for attr, kind, noun in (("bias", "biases", "a bias"), ("norm", "norms", "batch norm")):
        extra = [(m, p) for m, p in zip(model.convs(), paper.convs()) if getattr(m, attr) and not getattr(p, attr)]
        missing = [(m, p) for m, p in zip(model.convs(), paper.convs()) if getattr(p, attr) and not getattr(m, attr)]
        if extra:
            dp = sum((m.cout if attr == "bias" else 2 * m.cout) for m, _ in extra)
            devs.append(Deviation(kind, kind, f"{len(extra)} layer(s) with {noun} where the paper has none "
                                  f"({', '.join(m.name for m, _ in extra[:3])}{', ...' if len(extra) > 3 else ''})",
                                  0, dp))
        if missing:
            dp = -sum((p.cout if attr == "bias" else 2 * p.cout) for _, p in missing)
            devs.append(Deviation(kind, kind, f"{len(missing)} layer(s) without the {noun} the paper has "
                                  f"({', '.join(m.name for m, _ in missing[:3])}{', ...' if len(missing) > 3 else ''})",
                                  0, dp))
    return devs


@dataclass
class ModelCheck:
    model: str
    paper: str
    version: str
    deviations: list[Deviation]
    allowed: list[Deviation]
    matches: list[str]               # other paper versions the model matches exactly
    madds: tuple[int, int]           # (model, paper), paper convention
    params: tuple[int, int]          # (model, paper), pytorch convention

    @property
    def conforms(self) -> bool:
        return not self.deviations

    def text(self) -> str:
        lines = [f"{self.model} against {self.paper} ({self.version}): "
                 f"MAdds {self.madds[0]:,} vs {self.madds[1]:,} (paper convention), "
                 f"params {self.params[0]:,} vs {self.params[1]:,} (weights, biases, batch norm)"]
        for d in self.deviations:
            lines.append(f"  deviation [{d.kind}] {d.line()}")
        for d in self.allowed:
            lines.append(f"  allowed [{d.kind}] {d.line()}")
        if self.matches:
            lines.append(f"  the model matches the paper's '{self.matches[0]}' version exactly")
        lines.append("conforms" + (f" (allowing {len(self.allowed)} named deviation(s))" if self.allowed else "")
                     if self.conforms else f"does not conform: {len(self.deviations)} deviation(s)")
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict:
        return {"model": self.model, "paper": self.paper, "version": self.version,
                "conforms": self.conforms, "matches_version": self.matches,
                "madds": {"model": self.madds[0], "paper": self.madds[1]},
                "params": {"model": self.params[0], "paper": self.params[1]},
                "deviations": [vars(d) for d in self.deviations],
                "allowed": [vars(d) for d in self.allowed]}

    def render(self, fmt: str = "text") -> str:
        """``json``: :meth:`as_dict` as JSON; every other format: the text."""
        if fmt == "json":
            import json
            return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"
        return self.text()


def paper_versions(arch: str) -> list[str]:
    """``latest`` (the built-in) and the paper versions among the variants."""
    from .spec import load
    out = ["latest"]
    for v in variant_names(arch):
        meta = load(v).variant
        if meta.get("kind") == "paper version":
            out.append(meta["version"])
    return out


def check_model(model, paper: str, *, alpha: float = 1.0, resolution: int = 224, version: str = "latest",
                allow: tuple[str, ...] = (), rounding: str = "tf", kwargs: dict | None = None,
                classes: int = 1000) -> ModelCheck:
    """Compare ``model`` (a spec or a PyTorch model) block by block with a paper's architecture."""
    from . import count
    from .spec import builtin_names
    from .torch_bridge import is_model_ref, is_module
    if paper not in builtin_names():
        raise UsageError(f"unknown paper architecture {paper!r}: use one of {', '.join(builtin_names())}")
    versions = paper_versions(paper)
    if version not in versions:
        raise UsageError(f"{paper} has no version {version!r}: use one of {', '.join(versions)}")
    bad = [a for a in allow if a not in DEVIATION_KINDS]
    if bad:
        raise UsageError(f"unknown deviation kind {bad[0]!r} for --allow: use {', '.join(DEVIATION_KINDS)}")
    if is_module(model) or is_model_ref(model):
        m = count(model, resolution=resolution, kwargs=kwargs)
        name = m.name
    else:
        m = count(model, alpha=alpha, resolution=resolution, rounding=rounding, kwargs=kwargs)
        name = m.name

    def paper_costing(v):
        arch = paper if v == "latest" else f"{paper}@{v}"
        return count(arch, alpha=alpha, resolution=resolution, rounding=rounding, classes=classes)

    march = architecture(m)
    p = paper_costing(version)
    devs = compare(march, architecture(p))
    kept = [d for d in devs if d.kind not in allow]
    allowed = [d for d in devs if d.kind in allow]
    matches = []
    if kept:
        for v in versions:
            if v != version and not [d for d in compare(march, architecture(paper_costing(v)))
                                     if d.kind not in allow]:
                matches.append(v)
    return ModelCheck(name, paper, version, kept, allowed, matches,
                      (m.totals.madds, p.totals.madds),
                      (m.in_convention("pytorch").totals.params, p.in_convention("pytorch").totals.params))


# --------------------------------------------------------------------------- output

def cells_frame(results: list[CellResult]):
    import pandas as pd
    return pd.DataFrame([{"source": r.source, "table": r.table, "version": r.version, "model": r.label,
                          "metric": r.metric, "published": r.published,
                          "computed": r.computed, "unit": r.unit, "status": r.status, "rule": r.rule,
                          "evidence": r.note} for r in results])


def published_text(results: list[CellResult], skipped: int, fmt: str = "text") -> str:
    """The published-cell check: one line (or row) per cell, then the status counts."""
    from .report.tables import render
    counts = status_counts(results)
    last = summary_line(results, skipped)
    if fmt == "json":
        meta = {"counts": counts, "not_checked": skipped}
        return render(cells_frame(results), "json", meta=meta, key="cells")
    if fmt in ("csv", "latex", "markdown"):
        body = render(cells_frame(results), fmt)
        return body if fmt != "markdown" else body + "\n" + last + "\n"
    lines = []
    for r in results:
        got = _fmt(r.computed, r.unit) if r.unit != "%" else ""
        lines.append(f"[{r.status}] {r.key}: {r.published}{'' if r.unit in ('1', '%') else r.unit}"
                     + (f" (engine {got})" if got else "") + f": {r.rule}")
        if r.note:
            lines.append(f"    {r.note}")
    lines.append(last)
    return "\n".join(lines) + "\n"


def conformance_markdown(results: list[CellResult] | None = None, skipped: int | None = None) -> list[str]:
    """The conformance summary for the report: status counts per source, the errata and the
    cells that remain unexplained."""
    if results is None:
        results, skipped = check_published()
    by_source: dict[str, dict[str, int]] = {}
    for r in results:
        by_source.setdefault(r.source, {s: 0 for s in STATUSES})[r.status] += 1
    lines = ["| source | " + " | ".join(STATUSES) + " |", "|---|" + "---:|" * len(STATUSES)]
    for source, counts in by_source.items():
        lines.append(f"| {source} | " + " | ".join(str(counts[s]) for s in STATUSES) + " |")
    total = status_counts(results)
    lines.append("| **all** | " + " | ".join(f"**{total[s]}**" for s in STATUSES) + " |")
    lines += ["", summary_line(results, skipped or 0) + " (`costmodel check`)."]
    errata = [r for r in results if r.status == "erratum"]
    if errata:
        lines += ["", "Errata:", ""] + [f"- {r.key}: {r.rule}" for r in errata]
    unexplained = [r for r in results if r.status == "unexplained"]
    if unexplained:
        lines += ["", "Unexplained (no rule in the search reproduces them; the evidence is in the "
                      "repository README):", ""]
        lines += [f"- {r.key}: published {r.published}{'' if r.unit in ('1', '%') else r.unit}, "
                  f"the source's own rules give {_fmt(r.computed, r.unit)}" for r in unexplained]
    return lines
