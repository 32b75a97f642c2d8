"""Cross-check: the engine's ``fvcore`` convention against fvcore itself, module by module.

For a spec, the model is built from the spec (``torch_bridge.build``); for a
PyTorch model, its layers are extracted by running it once.  fvcore then
counts the same ``nn.Module`` and its ``by_module()`` counts are compared with
the engine's, one row per module path that owns engine layers.

fvcore's ``by_module`` adds every operation to all its ancestors, so a
module's *own* part is its count minus that of the nearest descendants that
are rows themselves (e.g. a block's residual add, or the pooling and
multiplication inside an SE module's ``forward``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CrossCheck:
    """Per-module engine and fvcore counts, totals, and what each side skipped."""

    name: str
    resolution: tuple[int, int]
    rows: list[dict]
    engine_total: int
    fvcore_total: int
    engine_params: int
    model_params: int
    fvcore_skipped: dict = field(default_factory=dict)
    engine_unsupported: dict = field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        return (all(r["difference"] == 0 for r in self.rows)
                and self.engine_total == self.fvcore_total
                and self.engine_params == self.model_params)

    @property
    def mismatches(self) -> list[dict]:
        return [r for r in self.rows if r["difference"]]


def own_counts(paths: list[str], by_module: dict) -> dict[str, int]:
    """Each path's count minus that of its nearest descendants among ``paths``."""
    members = set(paths)

    def is_below(child: str, parent: str) -> bool:
        return child != parent and (parent == "" or child.startswith(parent + "."))

    out = {}
    for p in members:
        below = [q for q in members if is_below(q, p)]
        nearest = [q for q in below if not any(is_below(q, r) for r in below if r != q)]
        out[p] = int(by_module.get(p, 0)) - sum(int(by_module.get(q, 0)) for q in nearest)
    return out


def uncovered(paths: list[str], by_module: dict) -> list[str]:
    """Modules fvcore counted that hold no engine layer and lie in none (the largest such)."""
    members = set(paths)
    if "" in members:
        return []                  # the model's own row takes whatever is left

    def below(child, parent):
        return child != parent and child.startswith(parent + ".")

    free = [q for q, v in by_module.items() if q and v and q not in members
            and not any(below(p, q) or below(q, p) for p in members)]
    return [q for q in free if not any(below(q, r) for r in free)]


def crosscheck(model, *, alpha: float = 1.0, resolution=None, classes=None, rounding: str = "tf",
               kwargs: dict | None = None, input_shape=None) -> CrossCheck:
    """Count ``model`` with the engine (fvcore convention) and with fvcore; compare."""
    from . import count
    from .torch_bridge import (build_from_costing, check_memory, fvcore_counts, is_pytorch,
                               spec_paths)
    if is_pytorch(model):
        costing = count(model, resolution=resolution, kwargs=kwargs, convention="fvcore",
                        input_shape=input_shape, alpha=alpha, classes=classes,
                        rounding=rounding)
        check_memory(costing, "running it on the CPU for fvcore")
        module = costing.module
        model_params = costing.model_params
        name = costing.name
    else:
        costing = count(model, alpha=alpha, resolution=resolution, classes=classes,
                        rounding=rounding, convention="fvcore", kwargs=kwargs)
        module = build_from_costing(costing)
        model_params = sum(p.numel() for p in module.parameters())
        name = costing.name
    res = costing.resolution
    channels = costing.layers[0].input[0] if costing.layers else 3
    shape = tuple(costing.capture.input_shape[1:]) if hasattr(costing, "capture") else None
    by_module, total, skipped = fvcore_counts(module, res, channels, input_shape=shape)
    by_module = spec_paths(module, by_module)
    order: list[str] = []
    engine: dict[str, int] = {}
    kinds: dict[str, list[str]] = {}
    for r in costing.layers:
        if r.module not in engine:
            order.append(r.module)
            engine[r.module] = 0
            kinds[r.module] = []
        engine[r.module] += r.madds
        if r.kind not in kinds[r.module]:
            kinds[r.module].append(r.kind)
    own = own_counts(order, by_module)
    rows = [{"module": p or "(model)", "kind": " + ".join(kinds[p]), "engine": engine[p],
             "fvcore": own[p], "difference": engine[p] - own[p]} for p in order]
    for q in uncovered(order, by_module):
        rows.append({"module": q, "kind": "(no engine layer)", "engine": 0,
                     "fvcore": int(by_module[q]), "difference": -int(by_module[q])})
    return CrossCheck(name=name, resolution=res, rows=rows, engine_total=costing.totals.madds,
                      fvcore_total=total, engine_params=costing.totals.params,
                      model_params=int(model_params), fvcore_skipped=skipped,
                      engine_unsupported=dict(costing.unsupported))


def report_text(cc: CrossCheck, fmt: str = "text", unit: str | None = None) -> str:
    """The cross-check as a table with totals, skipped operators and the verdict.

    Counts are in MACs (fvcore's unit) or, with ``unit="flops"``, in FLOPs (2 per MAC).
    """
    import pandas as pd
    from .conventions import unit_factor, unit_label
    from .report.tables import render
    unit = unit or "macs"
    k = unit_factor("macs", unit)
    label = unit_label(unit)
    rows = [{**r, "engine": k * r["engine"], "fvcore": k * r["fvcore"],
             "difference": k * r["difference"]} for r in cc.rows]
    frame = pd.DataFrame(rows).rename(columns={"engine": f"engine (fvcore convention, {label})",
                                               "fvcore": f"fvcore ({label})",
                                               "difference": f"difference ({label})"})
    skipped = ", ".join(f"{k} ×{v}" for k, v in sorted(cc.fvcore_skipped.items())) or "none"
    unsupported = ", ".join(f"{k} ×{v}" for k, v in sorted(cc.engine_unsupported.items())) or "none"
    verdict = ("agree: every module, the total and the parameters" if cc.agrees else
               f"DISAGREE: {len(cc.mismatches)} module(s), total "
               f"{cc.engine_total - cc.fvcore_total:+,}, params {cc.engine_params - cc.model_params:+,}")
    notes = [f"total ({label}): engine {k * cc.engine_total:,}, fvcore {k * cc.fvcore_total:,} "
             f"(difference {k * (cc.engine_total - cc.fvcore_total):+,})",
             f"params: engine (fvcore convention) {cc.engine_params:,}, "
             f"sum(p.numel()) {cc.model_params:,}",
             f"skipped by fvcore (unsupported, counted 0): {skipped}",
             f"no formula in the engine (not counted): {unsupported}",
             verdict]
    if fmt == "json":
        meta = {"model": cc.name, "resolution": list(cc.resolution), "agrees": cc.agrees,
                "unit": unit, "fvcore_skipped": cc.fvcore_skipped,
                "engine_unsupported": cc.engine_unsupported}
        totals = {"engine": k * cc.engine_total, "fvcore": k * cc.fvcore_total,
                  "engine_params": cc.engine_params, "model_params": cc.model_params}
        return render(pd.DataFrame(rows), "json", meta=meta, totals=totals, key="modules")
    h, w = cc.resolution
    title = f"{cc.name} at {h}×{w}: engine (fvcore convention) vs fvcore.nn.FlopCountAnalysis, by module"
    if fmt in ("csv", "latex"):
        return render(frame, fmt)
    return render(frame, fmt, title=title, notes=notes)
