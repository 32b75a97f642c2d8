"""The published-cell search: each published MAdds or params figure against the engine.

Each published figure (``costmodel.published``) is a *cell*.  A cell is checked by
searching a small space of counting rules, the same for every cell, simplest first:

* the architecture: the built-in, or one of its variants (paper versions such as
  MobileNetV3's first arXiv table, and implementation choices such as TF-slim's
  head thinned with α; ``costmodel/spec/builtin/variants``); a paper version's rows
  start from its own variant (``published/version_variants.csv``);
* the classifier: the row's classes, 1000 or 1001;
* the width rounding: the source's own (``sources.csv``), TF-slim's or torchvision's;
* the part counted: the whole model, or the body without pooling and classifier;
* the convention: the conventions ``sources.csv`` allows the source;
* the printing: rounded or truncated to the printed digits; for a row no model explains
  that way, the same with binary prefixes (``G`` = 2³⁰, ``M`` = 2²⁰: the MobileNetV4
  paper's Table 6), never mixed within a row (a single cell: with binary prefixes only
  by the source's own model and convention).

A row's MAdds and params are searched together: the model (architecture, classes,
rounding, part) must be the same for both; only the convention may differ.  The
status of a cell is

* ``reproduced``: the source's own convention and model reproduce it;
* ``explained``: another combination does (the rule is printed);
* ``erratum``: nothing does, but the printed figure with two adjacent digits swapped
  is reproduced (V1 Table 2's 1.19% for 1.91%);
* ``unexplained``: nothing does; the nearest candidate is printed;
* ``uncounted``: the row's network has no spec and no reference implementation here
  (or counting it needs PyTorch, not installed): the cell says why.

Rows of other networks whose ``arch`` is a PyTorch model reference are counted through
it (:mod:`.references`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .. import conventions as _conv
from ..published import BINARY_SCALE, UNIT_SCALE, binary_rules, printed_rules, rows, table
from ..spec import variant_names
from .cells import CellResult, format_value, swapped_digits
from .paper_tables import check_tf_slim_layers, check_v1_tables_2_and_3
from .policy import source_policy, version_variant
from .references import check_reference_row, is_reference, uncounted

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
    from ..spec import load
    v = load(arch).variant
    return f"{v.get('kind', 'variant')} '{v.get('version')}' ({v.get('description', arch)})"


class _Counter:
    """Facts per setup, evaluated once (each evaluation is a few hundred microseconds)."""

    def __init__(self):
        self.cache = {}

    def facts(self, s: Setup, alpha: float, resolution: int):
        """The summed facts of a setup's model (or of its body), or None if it cannot be built."""
        key = (s, alpha, resolution)
        if key not in self.cache:
            import numpy as np
            from .. import count
            from ..conventions import Facts
            from ..layers import FACTS
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
    base_arch = version_variant(row.source, row.version, row.arch)
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

    def matches(setup, metric, printed, unit, rules_of=printed_rules):
        out = []
        for name in convs[metric]:
            v = counter.value(setup, alpha, res, name, metric_key[metric])
            if v is not None:
                rules = rules_of(v, printed, unit)
                if rules:
                    out.append((name, v, rules[0]))
        return out

    def complexity(setup, name, metric):
        return len(setup.describe(base)) + (name != primary[metric_key[metric]])

    def whole_row(rules_of):
        """One model for the whole row (only the conventions may differ), simplest first."""
        best = None
        for setup in setups:
            found = [matches(setup, m, p, u, rules_of) for m, p, u in cells]
            if all(found):
                choice = [min(f, key=lambda t: complexity(setup, t[0], m))
                          for f, (m, _, _) in zip(found, cells)]
                score = sum(complexity(setup, name, m) for (name, _, _), (m, _, _) in zip(choice, cells))
                if best is None or score < best[0]:
                    best = (score, setup, choice)
                if score == 0:
                    break
        return best

    # 1. one model for the whole row; failing that, the same read with binary prefixes
    binary = False
    best = whole_row(printed_rules)
    if best is None and all(u in BINARY_SCALE for _, _, u in cells):
        best, binary = whole_row(binary_rules), True
    results = []
    if best is not None:
        _, setup, choice = best
        for (metric, printed, unit), (name, v, rule) in zip(cells, choice):
            results.append(_result(row, metric, printed, unit, v, setup, base, name,
                                   primary[metric_key[metric]], rule,
                                   _binary_text(unit) if binary else []))
        return results
    # 2. cell by cell (a row whose figures no single model explains)
    setups_used = {}
    for metric, printed, unit in cells:
        found = None
        # binary prefixes cell by cell: only the source's own model and convention
        for rules_of, candidates in ((printed_rules, setups), (binary_rules, [base])):
            for setup in candidates:
                f = [t for t in matches(setup, metric, printed, unit, rules_of)
                     if rules_of is printed_rules or t[0] == primary[metric_key[metric]]]
                if f:
                    name, v, rule = min(f, key=lambda t: complexity(setup, t[0], metric))
                    if found is None or complexity(setup, name, metric) < found[0]:
                        found = (complexity(setup, name, metric), setup, name, v, rule, rules_of)
                    if found[0] == 0:
                        break
            if found is not None:
                break
        if found is not None:
            _, setup, name, v, rule, rules_of = found
            setups_used[metric] = setup
            results.append(_result(row, metric, printed, unit, v, setup, base, name,
                                   primary[metric_key[metric]], rule,
                                   _binary_text(unit) if rules_of is binary_rules else []))
            continue
        p_conv = primary[metric_key[metric]]
        v0 = counter.value(base, alpha, res, p_conv, metric_key[metric])
        swapped = [s for s in swapped_digits(printed) if v0 is not None and printed_rules(v0, s, unit)]
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
                                  f"nearest: {format_value(v, unit)} ({how}); the source's own rules give "
                                  f"{format_value(v0, unit)}"))
    if len(set(setups_used.values())) > 1:
        for r in results:
            if r.status == "explained":
                r.note = "the row's figures are explained by different models"
    return results


def _binary_text(unit: str) -> list[str]:
    return [f"binary prefixes (1{unit} = 2^{BINARY_SCALE[unit].bit_length() - 1})"]


def _result(row, metric, printed, unit, v, setup, base, name, primary_conv, rule,
            printing=()) -> CellResult:
    how = [*printing, *setup.describe(base)]
    if name != primary_conv:
        how = [f"convention {name}"] + how
    status = "reproduced" if not how else "explained"
    text = rule if not how else f"{rule}, with " + "; ".join(how)
    return CellResult(row.source, row.table, row.version, row.label, metric, printed, unit, v,
                      status, text)


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


def check_published(sources: list[str] | None = None, *,
                    references: bool = False) -> tuple[list[CellResult], int]:
    """Every published cost cell against the engine.  Returns (results, rows not checked).
    ``references``: count the rows of other networks through their PyTorch reference
    implementations (:mod:`.references`; imports torch); otherwise they are ``uncounted``."""
    counter = _Counter()
    results: list[CellResult] = []
    skipped = 0
    if not sources or "V1-paper" in sources:
        results += check_v1_tables_2_and_3()
    for row in rows():
        if sources and row.source not in sources:
            continue
        if not row.arch:                 # no spec, no reference implementation: said why
            results += uncounted(row, row.note or "no spec and no reference implementation")
            continue
        if is_reference(row.arch):
            results += (check_reference_row(row) if references else
                        uncounted(row, f"counted through {row.arch} by `costmodel check "
                                       f"--references` (runs PyTorch)"))
            continue
        results += check_row(row, counter)
    if not sources or "TF-slim-v1-code" in sources:
        results += check_tf_slim_layers()
    from ..memory_cells import check_timm_macts, check_v2_table3
    if not sources or "timm" in sources:
        results += check_timm_macts()
    if not sources or "V2-paper" in sources:
        table3, not_checked = check_v2_table3()
        results += table3
        skipped += not_checked
    _evidence(results)
    return results, skipped
