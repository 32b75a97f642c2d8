"""What ``costmodel memory`` prints: per-layer memory facts, totals and the peak; Table 3's view.

Every bytes column names its dtype (``bytes, fp16``); the paper's Table 3 view gives
kilobytes as the paper does (Kb = 1,000 bytes, see ``published-numbers.md`` §3.3).
"""

from __future__ import annotations

import pandas as pd

from .tables import render, settings, shape_text


def memory_frame(rep, machine: bool = False) -> pd.DataFrame:
    """One row per layer: shapes, bytes of inputs, output and parameters, bytes moved,
    MACs, MACs per byte and the bytes alive while it runs (the peak row marked)."""
    d = rep.dtype
    rows = []
    for i, x in enumerate(rep.layers):
        if machine:
            row = x.as_dict()
            row["peak"] = i == rep.peak.index
        else:
            row = {"layer": x.name, "kind": x.kind,
                   "input": " + ".join(shape_text(s) for s in x.inputs),
                   "output": shape_text(x.output),
                   f"input (bytes, {d})": x.input_bytes, f"output (bytes, {d})": x.output_bytes,
                   f"params (bytes, {d})": x.param_bytes, f"moved (bytes, {d})": x.bytes_moved,
                   "MACs": x.macs, "MACs/byte": round(float(x.intensity), 2),
                   f"alive (bytes, {d})": x.live_bytes,
                   "peak": "◀ peak" if i == rep.peak.index else ""}
        rows.append(row)
    return pd.DataFrame(rows)


def memory_totals(rep) -> dict:
    d = rep.dtype
    t = rep.totals
    return {f"params (bytes, {d})": t["param_bytes"], f"bytes moved ({d})": t["bytes_moved"],
            f"peak (bytes, {d}, eager)": t["peak_bytes"], "peak at": t["peak_layer"],
            f"peak (bytes, {d}, V2 paper's rule)": t["paper_peak_bytes"],
            "paper's peak at": t["paper_peak_op"]}


def _meta(rep) -> dict:
    meta = settings(rep.costing)
    meta.pop("convention", None)
    meta.pop("unit", None)
    meta.update({"dtype": rep.dtype, "batch": rep.batch})
    return meta


def _title(rep) -> str:
    c = rep.costing
    capture = getattr(c, "capture", None)
    if capture is not None:                  # a PyTorch model: its input, no α
        shape = "×".join(str(v) for v in capture.input_shape[1:])
        return f"{c.name}: input={shape}, dtype={rep.dtype}, batch={rep.batch}"
    h, w = c.resolution
    res = f"{h}" if h == w else f"{h}×{w}"
    return f"{c.name}: alpha={c.alpha:g}, resolution={res}, dtype={rep.dtype}, batch={rep.batch}"


NOTES = ["alive = every tensor alive while the layer runs (eager PyTorch: a module holds its input "
         "until it returns; the caller holds the model input; batch norm folded, activations in "
         "place); moved = parameters + inputs + output, each once; the V2 paper's rule = the "
         "largest inputs + output of an operation, a block's inner tensors not materialised"]


def memory_text(rep, fmt: str = "text") -> str:
    if fmt == "json":
        t = rep.totals
        return render(memory_frame(rep, machine=True), fmt, meta=_meta(rep), totals=t, key="layers")
    return render(memory_frame(rep), fmt, title=_title(rep), totals=memory_totals(rep), notes=NOTES)


def resolution_frame(rows, dtype: str) -> pd.DataFrame:
    return pd.DataFrame([{"size": f"{r.size[0]}x{r.size[1]}", "max channels": r.channels,
                          f"memory (Kb, {dtype})": r.bytes / 1000,
                          f"largest op inputs + output (Kb, {dtype})": r.op_bytes / 1000,
                          "channels of an op reading this size": r.input_row_channels}
                         for r in rows])


def by_resolution_text(rep, rows, fmt: str = "text") -> str:
    frame = resolution_frame(rows, rep.dtype)
    notes = ["the V2 paper's Table 3 view: the widest tensor materialised at each size (the first "
             "layer streamed into the first block or pool, a layer before global pooling "
             "accumulated into it, a block's expanded tensor never materialised); Kb = 1,000 bytes"]
    if not any(r.block for r in rep.costing.layers):
        notes.append("this model has no blocks the engine knows (a PyTorch model, or a spec without "
                     "bottleneck/bneck rows): every layer is one operation, its tensors all "
                     "materialised")
    top = max(rows, key=lambda r: r.bytes)
    totals = {f"max (Kb, {rep.dtype})": top.bytes / 1000, "at": f"{top.size[0]}x{top.size[1]}"}
    if fmt == "json":
        return render(frame.rename(columns=lambda c: c.split(" (")[0].replace(" ", "_")), fmt,
                      meta=_meta(rep), totals=totals, key="rows")
    return render(frame, fmt, title=_title(rep) + " (by resolution)", totals=totals, notes=notes)


def reconcile_memory_frame(figs, rep) -> pd.DataFrame:
    rows = []
    peak = rep.peak.bytes
    for f in figs:
        label = (f"{f.figure} (elements)" if f.unit == "elements"
                 else f"{_TORCHINFO.get(f.figure, f.figure)} (bytes)")
        # an element count is compared with the peak as fp32 bytes (4 per element)
        as_bytes = f.rebuilt * 4 if f.unit == "elements" else f.rebuilt
        rows.append({"tool": f.tool, "figure": label, "rebuilt": f.rebuilt,
                     "measured": f.measured if f.measured is not None else f.status,
                     "difference": (f.rebuilt - f.measured) if f.measured is not None else "",
                     "vs our peak": f"{as_bytes / peak:.2f}×" if peak else ""})
    rows.append({"tool": "costmodel", "figure": "peak, eager lifetimes (bytes)", "rebuilt": peak,
                 "measured": "", "difference": "", "vs our peak": "1.00×"})
    rows.append({"tool": "costmodel", "figure": "V2 paper's rule (bytes)", "rebuilt": rep.paper.bytes,
                 "measured": "", "difference": "",
                 "vs our peak": f"{rep.paper.bytes / peak:.2f}×" if peak else ""})
    return pd.DataFrame(rows)


_TORCHINFO = {"input": "Input size", "forward_backward": "Forward/backward pass size",
              "params": "Params size", "total": "Estimated Total Size"}


def reconcile_memory_text(figs, rep, fmt: str = "text") -> str:
    frame = reconcile_memory_frame(figs, rep)
    notes = [f"peak at {rep.peak.layer}; fp32, batch 1 (what the tools run). fvcore's "
             "ActivationCountAnalysis counts the output elements of convolutions and linear layers "
             "(compared as fp32 bytes); torchinfo's forward/backward pass size is 2 × the output bytes "
             "of every leaf module with parameters (a sum, not a peak); its sizes are printed in MB "
             "(10⁶ bytes)"]
    if fmt == "json":
        return render(frame, fmt, meta={"model": rep.costing.name, "peak_layer": rep.peak.layer},
                      key="figures", notes=notes)
    return render(frame, fmt, title=f"{_title(rep)}: the peers' memory figures rebuilt and measured",
                  notes=notes)
