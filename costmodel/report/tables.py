"""Frames and writers: a Costing as a pandas DataFrame, and that frame as text, CSV,
Markdown, LaTeX or JSON (pandas' own writers).

Counting is done elsewhere; this module only arranges numbers.  Every MAdds
and params column header names its convention and unit, e.g.
``MAdds (paper, MACs)``.
"""

from __future__ import annotations

import json

import pandas as pd

from ..commands import FORMATS


def shape_text(shape) -> str:
    return "×".join(str(x) for x in shape)


def layer_frame(costing, formulas: bool = True) -> pd.DataFrame:
    """One row per layer: name, kind, shapes, params split, params and MAdds."""
    rows = []
    for r in costing.layers:
        row = {"layer": r.name, "kind": r.kind, "input": shape_text(r.input),
               "output": shape_text(r.output), "weights": r.weights, "biases": r.biases,
               "norm params": r.norm_params, costing.params_label: r.params,
               costing.madds_label: r.madds}
        if formulas:
            row["formula"] = r.formula
        rows.append(row)
    return pd.DataFrame(rows)


def by_type_frame(costing) -> pd.DataFrame:
    """MAdds and params per layer type with their shares (the V1 paper's Table 2)."""
    groups = costing.group_totals()
    total_m, total_p = costing.totals.madds, costing.totals.params
    rows = [{"type": name, costing.madds_label: m,
             "MAdds %": round(100 * m / total_m, 2) if total_m else 0.0,
             costing.params_label: p,
             "params %": round(100 * p / total_p, 2) if total_p else 0.0}
            for name, (m, p) in groups.items() if m or p]
    rows.sort(key=lambda r: (-r[costing.madds_label], -r[costing.params_label]))
    return pd.DataFrame(rows)


def settings(costing) -> dict:
    """What the numbers are: model, settings, convention and unit."""
    h, w = costing.resolution
    return {"arch": costing.name, "alpha": costing.alpha,
            "resolution": h if h == w else [h, w], "classes": costing.classes,
            "rounding": costing.rounding, "convention": costing.convention.name,
            "unit": costing.unit}


def render(frame: pd.DataFrame, fmt: str, *, title: str = "", totals: dict | None = None,
           meta: dict | None = None, notes: list[str] | None = None, key: str = "rows",
           floatfmt=",.2f") -> str:
    """A frame in one of :data:`FORMATS`.  Text and Markdown get a title and totals
    lines; JSON is ``{"meta"..., "totals": ..., "layers": [...]}``; CSV and LaTeX
    are the bare table (pandas' writers).  ``key`` names the JSON list; ``floatfmt``
    is Markdown's float format (one, or one per column)."""
    notes = notes or []
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "latex":
        return frame.to_latex(index=False)
    if fmt == "json":
        doc = dict(meta or {})
        if totals is not None:
            doc["totals"] = totals
        doc[key] = json.loads(frame.to_json(orient="records", force_ascii=False))
        if notes:
            doc["notes"] = notes
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        out = [f"**{title}**", ""] if title else []
        out.append(frame.to_markdown(index=False, floatfmt=floatfmt, intfmt=",", missingval=""))
        if totals:
            out += ["", "Total: " + ", ".join(f"{k} = {v:,}" if isinstance(v, int) else f"{k} = {v}"
                                              for k, v in totals.items())]
        out += [f"\n{n}" for n in notes]
        return "\n".join(out) + "\n"
    if fmt == "text":
        out = [title] if title else []
        formatters = {c: (lambda v: f"{v:,}") for c in frame.columns
                      if pd.api.types.is_integer_dtype(frame[c])
                      or (frame[c].dtype == object and len(frame) and all(
                          isinstance(v, int) and not isinstance(v, bool) for v in frame[c]))}
        formatters.update({c: _float_text for c in frame.columns
                           if pd.api.types.is_float_dtype(frame[c])})
        if len(frame):
            out.append(frame.to_string(index=False, formatters=formatters, na_rep=""))
        else:                        # not pandas' "Empty DataFrame / Columns: / Index:"
            out.append("(no rows)")
        if totals:
            out.append("total: " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                                             for k, v in totals.items()))
        out += notes
        return "\n".join(out) + "\n"
    from ..errors import UsageError
    raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def _float_text(v) -> str:
    if v != v:          # NaN: an empty cell
        return ""
    if abs(v) >= 1e15:  # past float's exact integers: not a count, show it as what it is
        return "%.4g" % v
    return ("%.4f" % v).rstrip("0").rstrip(".")


def costing_totals(costing) -> dict:
    return {costing.params_label: costing.totals.params,
            costing.madds_label: costing.totals.madds}


# --------------------------------------------------------------------------- command outputs

def machine_frame(costing, formulas: bool = True) -> pd.DataFrame:
    """The per-layer frame with JSON-friendly column names (``name``, ``params``, ``madds``)."""
    rows = []
    for r in costing.layers:
        row = {"name": r.name, "kind": r.kind, "input": list(r.input), "output": list(r.output),
               "weights": r.weights, "biases": r.biases, "norm_params": r.norm_params,
               "params": r.params, "madds": r.madds}
        if formulas:
            row["formula"] = r.formula
        rows.append(row)
    return pd.DataFrame(rows)


def table_text(costing, fmt: str = "text", *, by_type: bool = False, formulas: bool = False,
               law=None) -> str:
    """What ``costmodel table`` prints: per-layer rows (or the by-type summary),
    totals, and the closed form in α and ρ."""
    from ..sweep import law_error
    meta = settings(costing)
    notes = []
    if law is not None:
        rho = costing.resolution[0] / law.base_resolution
        err = law_error(law, costing.alpha, costing.resolution[0], costing.totals.madds)
        predicted = law.predict(costing.alpha, costing.resolution[0])[0]
        notes.append(f"closed form: {law.text()}; at α = {costing.alpha:g}, ρ = {rho:.4g}: "
                     f"{round(predicted):,} ({err:+.2f}% against the exact "
                     f"{costing.totals.madds:,})")
    notes += capture_notes(costing)
    if costing.model_params is not None and costing.convention.name in ("pytorch", "fvcore"):
        notes.append(f"sum(p.numel()) of the model: {costing.model_params:,}")
    if by_type:
        frame = by_type_frame(costing)
        notes += by_type_notes(costing, frame)
        if fmt == "json":
            frame = frame.rename(columns={costing.madds_label: "madds", costing.params_label: "params",
                                          "MAdds %": "madds_pct", "params %": "params_pct"})
    elif fmt == "json":
        frame = machine_frame(costing, formulas=formulas)
    else:
        frame = layer_frame(costing, formulas=formulas)
    if fmt == "json":
        totals = {"params": costing.totals.params, "madds": costing.totals.madds}
        if law is not None:
            meta["closed_form"] = law.text()
        if costing.model_params is not None:
            meta["uncounted"] = dict(costing.unsupported)
            meta["complete"] = not costing.unsupported
            meta["uncalled"] = dict(getattr(costing, "uncalled", {}))
            meta["model_params"] = costing.model_params
        return render(frame, fmt, totals=totals, meta=meta, notes=notes,
                      key="rows" if by_type else "layers")
    return render(frame, fmt, title=costing.describe(), totals=costing_totals(costing), notes=notes)


def capture_notes(costing) -> list[str]:
    """What a captured model's totals leave out (operations without a formula) and the
    modules never called (their parameters are in the ``pytorch`` params), one line each."""
    notes = []
    if costing.unsupported:
        notes.append("INCOMPLETE: no formula, not counted: " + ", ".join(
            f"{k} ×{v}" for k, v in sorted(costing.unsupported.items())))
    uncalled = getattr(costing, "uncalled", None)
    if uncalled:
        notes.append("never called (parameters counted in pytorch params, no MAdds): " + ", ".join(
            f"{k or '(model)'} ({v:,} params)" for k, v in sorted(uncalled.items())))
    return notes


def by_type_notes(costing, frame) -> list[str]:
    """Beside a by-type table of a model the V1 paper tabulates (Table 2): the printed shares."""
    if costing.name != "mobilenet_v1" or costing.alpha != 1.0 or costing.convention.name != "paper":
        return []
    from ..published import table
    notes = ["V1 paper, Table 2 (printed): " + "; ".join(
        f"{r['type']} {r['madds_pct']}% MAdds, {r['params_pct']}% params" for r in table("v1_table2"))]
    computed = dict(zip(frame["type"], frame["MAdds %"]))
    for r in table("v1_table2"):
        got = computed.get(r["type"])
        if got is not None and f"{got:.2f}" != r["madds_pct"] and r["note"]:
            notes.append(f"{r['type']}: computed {got:.2f}% MAdds, printed {r['madds_pct']}%: {r['note']}")
    return notes


def list_frame(unit: str | None = None) -> pd.DataFrame:
    """The built-in architectures with their paper-convention totals at α = 1, 224."""
    from .. import count
    from ..conventions import unit_label
    from ..spec import builtin_names, load
    rows = []
    for name in builtin_names():
        spec = load(name)
        c = count(name, unit=unit)
        rows.append({"name": name, "title": spec.title,
                     f"MAdds (paper, {unit_label(c.unit)})": c.totals.madds,
                     "params (paper)": c.totals.params, "source": spec.source})
    return pd.DataFrame(rows)


def sweep_text(rows: list[dict], fmt: str, *, arch: str, convention: str, unit: str,
               law=None) -> str:
    from ..conventions import unit_label
    frame = pd.DataFrame(rows)
    labels = {"params": f"params ({convention})", "madds": f"MAdds ({convention}, {unit_label(unit)})",
              "closed form": "closed form"}
    meta = {"arch": arch, "convention": convention, "unit": unit}
    notes = [f"closed form: {law.text()}"] if law is not None else []
    if fmt == "json":
        if law is not None:
            meta["closed_form"] = law.text()
        return render(frame, fmt, meta=meta)
    return render(frame.rename(columns=labels), fmt,
                  title=f"{arch}: exact {convention} counts over α × resolution", notes=notes)


def ratio_text(rows: list[dict], fmt: str, title: str, unit: str | None = None) -> str:
    """The ratio rows; MAdds columns name their unit (MACs, or FLOPs = 2 per MAC)."""
    from ..conventions import unit_factor, unit_label
    unit = unit or "macs"
    factor = unit_factor("macs", unit)
    frame = pd.DataFrame(rows)
    columns = {}
    for c in frame.columns:
        if c in ("MAdds", "separable MAdds", "standard MAdds"):
            frame[c] = frame[c] * factor
        elif c == "Million Mult-Adds":       # the paper's 3 significant digits, in this unit
            frame[c] = [float(f"{r['MAdds'] * factor / 1e6:.3g}") for r in rows]
        else:
            continue
        columns[c] = f"{c} ({unit_label(unit)})"
    return render(frame.rename(columns=columns), fmt, title=title)


def fit_frame(found, *, convention: str = "paper", unit: str = "macs") -> pd.DataFrame:
    """``costmodel fit``'s rows (top-1 empty where not published)."""
    from ..conventions import unit_label
    cols = ["model", "α", "resolution", "classes", f"MAdds ({convention}, {unit_label(unit)})",
            f"params ({convention})", "top-1 %", "top-1 source"]
    rows = [dict(zip(cols, (c.arch, c.alpha, c.resolution, c.classes, c.madds, c.params,
                            c.top1, c.source))) for c in found]
    frame = pd.DataFrame(rows, columns=cols)
    frame["top-1 %"] = frame["top-1 %"].astype("float64")
    return frame


#: Markdown float formats of fit_frame's columns: α as written, top-1 with one decimal.
FIT_FLOATFMT = ["", "g", "", "", "", "", ".1f", ""]


def fit_text(found, fmt: str, *, madds=None, params=None, archs=(), total: int = 0,
             convention: str = "paper", unit: str = "macs", cheapest=None,
             left_out: int = 0) -> str:
    """What ``costmodel fit`` prints: the configurations within the budget, best top-1 first."""
    from ..fit import budget_text
    budget = " and ".join(x for x in (
        f"MAdds ≤ {budget_text(madds)} ({madds:,})" if madds is not None else "",
        f"params ≤ {budget_text(params)} ({params:,})" if params is not None else "") if x)
    n_pub = sum(1 for c in found if c.top1 is not None)
    n_fit = len(found) + left_out
    title = (f"built-in configurations within {budget} ({convention} convention): "
             f"{n_fit} of {total} fit, {n_pub} with a published top-1")
    notes = ["Ranked by published ImageNet top-1 (the source column names the table), then the "
             "configurations whose accuracy is not published, by MAdds (most first)."]
    if left_out:
        notes.append(f"{left_out} more configurations without a published top-1 fit the budget "
                     f"(--all lists them).")
    notes.append("Exact counts with TF rounding; classes as the published model (TF-slim 1001), "
                 "otherwise 1000. Configurations: each family's published α × resolution grid.")
    if fmt == "json":
        doc = {"budget": {"madds": madds, "params": params}, "convention": convention,
               "unit": unit, "families": list(archs), "considered": total, "fit": n_fit,
               "left_out": left_out, "rows": [c.as_dict() for c in found]}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if not found and fmt in ("text", "markdown"):
        line = "No built-in configuration fits this budget."
        if cheapest is not None:
            line += (f" The cheapest: {cheapest.arch} α = {cheapest.alpha:g} at {cheapest.resolution}, "
                     f"{cheapest.madds:,} MAdds and {cheapest.params:,} params.")
        return (f"**{title}**\n\n{line}\n" if fmt == "markdown" else f"{title}\n{line}\n")
    frame = fit_frame(found, convention=convention, unit=unit)
    if fmt in ("csv", "latex"):
        return render(frame, fmt)
    if fmt == "text":
        frame["top-1 %"] = [("" if v != v else f"{v:.1f}") for v in frame["top-1 %"]]
    else:                                   # Markdown: an empty cell, not "nan"
        frame["top-1 %"] = pd.Series([None if v != v else v for v in frame["top-1 %"]], dtype=object)
    return render(frame, fmt, title=title, notes=notes, floatfmt=FIT_FLOATFMT)


def tradeoff_frame(points, fronts: dict | None = None) -> pd.DataFrame:
    """The trade-off chart's points, one row each (the data behind the figure); ``fronts``
    maps a metric name ("MAdds", "params") to its Pareto front (a column each)."""
    fronts = {k: {id(p) for p in v} for k, v in (fronts or {}).items()}
    rows = []
    for p in points:
        rows.append({"arch": p.arch, "family": p.family, "alpha": p.alpha,
                     "resolution": p.resolution, "classes": p.classes, "label": p.label,
                     "top-1 %": p.top1, "top-5 %": p.top5, "top-1 source": p.source,
                     "published label": p.published_label,
                     "MAdds (paper, MACs)": p.madds, "published MAdds": p.published_madds_text,
                     "MAdds reproduced": p.madds_reproduced, "params (paper)": p.params,
                     "published params": p.published_params_text,
                     "params reproduced": p.params_reproduced,
                     "peak memory (bytes, fp32)": p.memory,
                     **{f"Pareto ({k})": id(p) in v for k, v in fronts.items()}})
    return pd.DataFrame(rows)
