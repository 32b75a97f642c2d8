"""Why counters disagree: every tool's total rebuilt from the engine's facts, and measured.

Each peer counter is a convention over the same per-layer facts
(``conventions.py``).  Reconciling a model:

1. counts it once with the engine (a spec directly; a PyTorch model by
   extracting its layers), and builds the spec as a model when it is one;
2. splits the facts into operation categories (convolution MACs, convolution
   bias, linear, batch norm, each activation by how it is called, pooling,
   the SE multiply, residual adds) and evaluates every tool's convention on
   each category: a category × tool table whose columns sum to each tool's
   rebuilt total (the conventions are linear, so the split is exact);
3. runs each installed tool on the model (``peers.py``) and compares.

Numbers are in each tool's own unit (MACs, or FLOPs = 2 per MAC for
``flopcountermode`` and ``deepspeed``) unless a unit is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .conventions import CONVENTIONS, Facts, get as get_convention, unit_label, weights_of
from .errors import UsageError
from .layers import ACTIVATIONS, FACT_CATEGORY, FACT_ROW, FACTS, PARAM_FACTS

ACT_NAMES = {"relu": "ReLU", "relu6": "ReLU6", "hswish": "h-swish", "hsigmoid": "h-sigmoid",
             "sigmoid": "sigmoid"}


@dataclass
class Category:
    """One operation category: its facts (a vector over ``FACTS``) and its basic count."""

    label: str
    vector: np.ndarray
    count: int           # MACs for convolution and linear, elements (or channels) otherwise
    counted_as: str      # what `count` is


def categories(costing) -> list[Category]:
    """The facts of ``costing`` split into operation categories that sum to its totals."""
    n = len(FACTS)
    fc = np.zeros(n, dtype=np.int64)
    total = np.zeros(n, dtype=np.int64)
    for r in costing.layers:
        v = np.fromiter((r.facts[f] for f in FACTS), dtype=np.int64, count=n)
        total += v
        if r.type in ("fc", "mha"):         # linear layers (and attention's projections)
            fc += v
    rest = total - fc

    def vec(**kw):
        x = np.zeros(n, dtype=object)
        for k, v in kw.items():
            x[FACT_ROW[k]] = int(v)
        return x

    def T(name, of=total):
        return int(of[FACT_ROW[name]])

    out = [
        Category("convolution", vec(macs=T("macs", rest)), T("macs", rest), "MACs"),
        Category("convolution bias", vec(bias_elements=T("bias_elements", rest),
                                         fc_bias_elements=T("fc_bias_elements", rest)),
                 T("bias_elements", rest), "bias adds"),
        Category("linear", vec(macs=T("macs", fc)), T("macs", fc), "MACs"),
        Category("linear bias", vec(bias_elements=T("bias_elements", fc),
                                    fc_bias_elements=T("fc_bias_elements", fc)),
                 T("bias_elements", fc), "bias adds"),
        Category("batch norm", vec(norm_elements=T("norm_elements"),
                                   norm_channels=T("norm_channels")),
                 T("norm_elements"), f"elements ({T('norm_channels'):,} channels)"),
    ]
    for a in ACTIVATIONS:
        mod = T(f"{a}_module")
        out.append(Category(f"{ACT_NAMES[a]} (module)", vec(**{a: mod, f"{a}_module": mod}),
                            mod, "elements"))
        out.append(Category(f"{ACT_NAMES[a]} (function)", vec(**{a: T(a) - mod}),
                            T(a) - mod, "elements"))
    pin, pout = T("pool_in_module"), T("pool_out_module")
    out.append(Category("global average pool (module)",
                        vec(pool_in=pin, pool_out=pout, pool_in_module=pin, pool_out_module=pout),
                        pin, f"input elements ({pout:,} out)"))
    out.append(Category("global average pool (function)",
                        vec(pool_in=T("pool_in") - pin, pool_out=T("pool_out") - pout),
                        T("pool_in") - pin, f"input elements ({T('pool_out') - pout:,} out)"))
    out.append(Category("multiply (SE scale)", vec(mul=T("mul")), T("mul"), "elements"))
    out.append(Category("residual add", vec(add=T("add")), T("add"), "elements"))
    # the facts of captured PyTorch models: one category per declared category
    handled = set(FACTS[:FACTS.index("matmul_macs")]) | set(PARAM_FACTS)
    by_label: dict[str, dict] = {}
    for name in FACTS:
        if name not in handled:
            by_label.setdefault(FACT_CATEGORY[name], {})[name] = T(name)
    for label, facts in by_label.items():
        first = next(iter(facts))
        unit = "MACs" if first.endswith("_macs") else "elements"
        out.append(Category(label, vec(**facts), facts[first], unit))
    # parameters some tool counts as MAdds (torchinfo: N × a layer norm's γ and β) have a row
    counted = [p for p in PARAM_FACTS if p != "norm_channels"
               and any(weights_of(c).get(p) for c in CONVENTIONS.values())]
    for p in counted:
        out.append(Category(p.replace("_", " "), vec(**{p: T(p)}), T(p), "parameters"))
    params = Category("parameters", vec(**{p: T(p) for p in PARAM_FACTS
                                           if p != "norm_channels" and p not in counted}), 0, "")
    # The categories partition the facts exactly: each convention's cells sum to its total.
    summed = sum((c.vector for c in out), params.vector)
    assert [int(x) for x in summed] == [int(x) for x in total], "categories must partition the facts"
    return [c for c in out if any(int(x) for x in c.vector)]


@dataclass
class ToolResult:
    """One tool: its rebuilt total and cells, and what running it reported."""

    name: str
    unit: str
    rebuilt: int
    cells: list[int]
    measured: int | None = None
    status: str = "not measured"      # "measured", "not installed", "failed: ..."
    version: str | None = None
    pinned: str = ""                  # the version its convention was written from
    explanation: str = ""

    @property
    def difference(self) -> int | None:
        return None if self.measured is None else self.rebuilt - self.measured

    @property
    def agrees(self) -> bool | None:
        if self.status.startswith("failed"):
            return False
        return None if self.measured is None else self.measured == self.rebuilt


@dataclass
class Reconciliation:
    """A category × tool table for one model, with each tool rebuilt and measured."""

    name: str
    resolution: tuple[int, int]
    categories: list[Category]
    paper: ToolResult
    tools: list[ToolResult]
    engine_unsupported: dict = field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        """No installed tool measured a total different from its rebuilt one (or failed)."""
        return all(t.agrees is not False for t in self.tools)

    @property
    def mismatches(self) -> list[ToolResult]:
        return [t for t in self.tools if t.agrees is False]


def rebuild(costing, name: str, cats: list[Category] | None = None) -> ToolResult:
    """Convention ``name``'s total and its value on every category of ``costing``."""
    conv = get_convention(name)
    cats = categories(costing) if cats is None else cats
    totals = costing.fact_totals()
    sums = np.array([totals[f] for f in FACTS], dtype=object)
    total = int(conv.madds(Facts(sums)))
    cells = [int(conv.madds(Facts(c.vector))) for c in cats]
    assert sum(cells) == total
    return ToolResult(name=name, unit=conv.unit, rebuilt=total, cells=cells,
                      explanation=conv.versus_paper)


def reconcile(model, *, tools=None, alpha: float = 1.0, resolution=None, classes=None,
              rounding: str = "tf", kwargs: dict | None = None, measure: bool = True,
              channels: int = 3, input_shape=None) -> Reconciliation:
    """Rebuild every tool's total for ``model`` from the engine and (``measure``) run the tool.

    ``model``: a spec (built-in name, file, dict) — built as a PyTorch model to
    be measured — or a PyTorch model / ``torchvision:NAME`` / ``file.py:callable``.
    """
    from . import count
    from . import peers
    from .torch_bridge import build_from_costing, check_memory, is_pytorch, require_torch
    names = list(peers.TOOLS) if tools is None else list(tools)
    for t in names:
        if t not in peers.PEERS:
            raise UsageError(f"unknown tool {t!r}: use {', '.join(peers.TOOLS)}")
    if measure:
        require_torch()
    if is_pytorch(model):
        costing = count(model, resolution=resolution, kwargs=kwargs, channels=channels,
                        input_shape=input_shape, alpha=alpha, classes=classes,
                        rounding=rounding)
        if measure:
            check_memory(costing, "running it on the CPU for the counters")
        module = costing.module
    else:
        costing = count(model, alpha=alpha, resolution=resolution, classes=classes,
                        rounding=rounding, kwargs=kwargs)
        module = build_from_costing(costing) if measure else None
    cats = categories(costing)
    paper = rebuild(costing, "paper", cats)
    paper.explanation = "conv + FC multiply-accumulates only (the MobileNet papers, TF-slim)"
    results = []
    res = costing.resolution
    ch = costing.layers[0].input[0] if costing.layers else channels
    shape = tuple(costing.capture.input_shape[1:]) if hasattr(costing, "capture") else None
    for t in names:
        r = rebuild(costing, t, cats)
        r.version = peers.version(t)
        r.pinned = peers.PEERS[t].pinned
        if not measure:
            r.status = "not measured"
        elif r.version is None:
            r.status = "not installed"
        else:
            try:
                r.measured = peers.measure(t, module, res, ch, input_shape=shape)
                r.status = "measured"
            except ImportError as e:
                r.status = f"not installed ({e})"
            except RuntimeError as e:
                r.status = f"failed: {e}"
        results.append(r)
    return Reconciliation(name=costing.name, resolution=res, categories=cats, paper=paper,
                          tools=results, engine_unsupported=dict(costing.unsupported))


# --------------------------------------------------------------------------- units

def converter(result: ToolResult, unit: str | None):
    """A function from the tool's own unit to ``unit`` (exact; FLOPs -> MACs only when even)."""
    if unit is None or unit == result.unit:
        return lambda v: v
    if unit not in ("macs", "flops"):
        raise UsageError(f"unknown unit {unit!r}: use macs or flops")
    if result.unit == "macs":
        return lambda v: None if v is None else 2 * v
    odd = [f for f, w in weights_of(CONVENTIONS[result.name]).items() if w % 2 and w > 0]
    if odd:
        raise UsageError(f"{result.name} counts 1 FLOP (half a MAC) per element of "
                         f"{', '.join(odd)}: its numbers cannot be shown in MACs exactly "
                         f"(use --unit flops, or leave {result.name} out with --tools)")

    def half(v):
        if v is None:
            return None
        q = Fraction(v, 2)
        return int(q) if q.denominator == 1 else float(q)
    return half


def check_unit(names, unit: str | None) -> None:
    """Refuse, before anything runs, a unit some tool's numbers cannot be shown in exactly."""
    for name in names:
        conv = get_convention(name)
        converter(ToolResult(name=name, unit=conv.unit, rebuilt=0, cells=[]), unit)


def _unit_of(result: ToolResult, unit: str | None) -> str:
    return unit or result.unit


# --------------------------------------------------------------------------- output

def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.1f}"
    return f"{v:,}"


def _signed(v) -> str:
    if v is None:
        return ""
    return "0" if v == 0 else (f"{v:+,.1f}" if isinstance(v, float) else f"{v:+,}")


def frame(rec: Reconciliation, unit: str | None = None, strings: bool = True):
    """The category × tool table as a DataFrame (strings with separators for text/markdown)."""
    import pandas as pd
    cols = [rec.paper] + rec.tools
    convs = [converter(t, unit) for t in cols]
    headers = [f"{t.name} ({unit_label(_unit_of(t, unit))})" for t in cols]
    rows = []
    for i, c in enumerate(rec.categories):
        row = ({"operation": c.label, "count": f"{c.count:,} {c.counted_as}"} if strings else
               {"operation": c.label, "count": c.count, "counted as": c.counted_as})
        for t, cv, h in zip(cols, convs, headers):
            v = cv(t.cells[i])
            row[h] = _fmt(v) if strings else v
        rows.append(row)

    def total_row(label, get, signed=False):
        row = {"operation": label, "count": ""} if strings else \
            {"operation": label, "count": None, "counted as": ""}
        for t, cv, h in zip(cols, convs, headers):
            v = get(t)
            if isinstance(v, str):
                row[h] = v
                continue
            v = cv(v)
            row[h] = (_signed(v) if signed else _fmt(v)) if strings else v
        return row

    rows.append(total_row("rebuilt total", lambda t: t.rebuilt))
    rows.append(total_row("measured total", lambda t: (
        "" if t is rec.paper else
        t.measured if t.measured is not None else _short_status(t.status))))
    rows.append(total_row("difference", lambda t: (
        "" if t is rec.paper else t.difference if t.measured is not None else ""), signed=True))
    out = pd.DataFrame(rows)
    if not strings:
        out["count"] = out["count"].astype("Int64")      # empty on the total rows
    return out


def _norm(version: str) -> str:
    """``0.1.1-2209072238`` (installed metadata) and ``0.1.1.post2209072238`` are one version."""
    return version.replace("-", ".post")


def _short_status(status: str) -> str:
    if status.startswith("not installed"):
        return "not installed"
    if status.startswith("failed"):
        return "failed"
    return status


def notes(rec: Reconciliation, unit: str | None = None) -> list[str]:
    """The explanation lines under the table: each tool against the paper convention."""
    out = ["count: the engine's facts (MACs for convolution and linear, elements otherwise); "
           "each tool's column is its convention on those facts, in its own unit "
           "(FLOPs = 2 per MAC) unless --unit says otherwise",
           f"paper: {rec.paper.explanation}"]
    for t in rec.tools:
        ver = t.version or "not installed"
        if t.version and t.pinned != "torch" and _norm(t.version) != _norm(t.pinned):
            ver += f", convention written from {t.pinned}"
        out.append(f"{t.name} ({ver}): {t.explanation}")
    failed = [t for t in rec.tools if t.status.startswith("failed")]
    for t in failed:
        out.append(f"{t.name} could not run on this model: {t.status[len('failed: '):]}")
    unsupported = ", ".join(f"{k} ×{v}" for k, v in sorted(rec.engine_unsupported.items()))
    out.append(f"no formula in the engine (not counted): {unsupported or 'none'}")
    measured = [t for t in rec.tools if t.measured is not None]
    if rec.mismatches:
        out.append("DISAGREE: " + "; ".join(
            f"{t.name} rebuilt {t.rebuilt:,}, measured {t.measured:,} ({t.difference:+,} "
            f"{unit_label(t.unit)})" if t.measured is not None else f"{t.name} failed"
            for t in rec.mismatches))
    elif measured:
        missing = [t.name for t in rec.tools if t.measured is None]
        out.append("agree: every rebuilt total equals the tool's measured total"
                   + (f" (not measured: {', '.join(missing)})" if missing else ""))
    else:
        out.append("no tool measured (none installed)")
    return out


def report_text(rec: Reconciliation, fmt: str = "text", unit: str | None = None) -> str:
    """The reconcile table in one of the writers' formats."""
    import json
    from .report.tables import render
    h, w = rec.resolution
    if fmt == "json":
        return json.dumps(as_json(rec, unit), indent=2, ensure_ascii=False) + "\n"
    title = (f"{rec.name} at {h}×{w}: each counter's total rebuilt from the engine's facts "
             f"and measured by running it")
    if fmt in ("csv", "latex"):
        return render(frame(rec, unit, strings=False), fmt)
    return render(frame(rec, unit), fmt, title=title, notes=notes(rec, unit))


def as_json(rec: Reconciliation, unit: str | None = None) -> dict:
    def tool_doc(t: ToolResult) -> dict:
        cv = converter(t, unit)
        return {"rebuilt": cv(t.rebuilt), "measured": cv(t.measured),
                "unit": _unit_of(t, unit), "own_unit": t.unit,
                "difference": cv(t.difference), "status": t.status, "version": t.version,
                "written_from": t.pinned, "explanation": t.explanation,
                "categories": {c.label: cv(v) for c, v in zip(rec.categories, t.cells)}}
    paper = tool_doc(rec.paper)
    for k in ("measured", "difference", "status", "version", "written_from"):
        paper.pop(k)
    return {"model": rec.name, "resolution": list(rec.resolution), "agrees": rec.agrees,
            "categories": [{"operation": c.label, "count": c.count, "counted_as": c.counted_as}
                           for c in rec.categories],
            "paper": paper,
            "tools": {t.name: tool_doc(t) for t in rec.tools},
            "engine_unsupported": rec.engine_unsupported}


__all__ = ["reconcile", "rebuild", "categories", "check_unit", "Reconciliation", "ToolResult", "report_text",
           "frame", "as_json"]
