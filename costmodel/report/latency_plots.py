"""Latency figures, from measurements stored in a CSV (no torch): accuracy against measured
latency, and measured latency against MAdds and against the calibrated profile's prediction.

The measurements are ``costmodel/measurements/cpu_1thread.csv`` (written by
``benchmarks/latency.py``) unless another file with the same columns is given.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import UsageError

MEASUREMENTS = Path(__file__).resolve().parents[1] / "measurements" / "cpu_1thread.csv"


def read_rows(path=None) -> list[dict]:
    """The benchmark's rows (model, alpha, resolution, madds, latency_ms, split, predicted_ms, ...)."""
    path = Path(path or MEASUREMENTS)
    if not path.is_file():
        raise UsageError(f"{path}: no measurements (run benchmarks/latency.py, or give "
                         f"--measurements CSV from `costmodel bench --format csv`)")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for need in ("model", "alpha", "resolution", "latency_ms"):
        if rows and need not in rows[0]:
            raise UsageError(f"{path}: missing column '{need}'")
    for r in rows:
        r["alpha"], r["resolution"] = float(r.get("alpha") or 1.0), int(r["resolution"])
        r["latency_ms"] = float(r["latency_ms"])
    return rows


def _plain_ticks(axis):
    """Log-axis ticks written as plain numbers (20, 30, 50, 100), not 2×10¹."""
    from matplotlib.ticker import FuncFormatter
    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    axis.set_major_formatter(fmt)
    axis.set_minor_formatter(FuncFormatter(
        lambda v, _: f"{v:g}" if f"{v:g}"[0] in "235" else ""))


def latency_tradeoff_data(path=None, archs=None) -> dict:
    """Published top-1 against latency measured here: the trade-off points that were measured
    (matched by architecture, α and resolution), and the Pareto front by latency."""
    from ..accuracy import chart_archs, sources_used, tradeoff_points
    on_chart = chart_archs()
    archs = on_chart if archs is None else tuple(a for a in on_chart if a in archs)
    measured = {(r["model"], r["alpha"], r["resolution"]): r["latency_ms"] for r in read_rows(path)}
    points, missing = [], []
    for p in tradeoff_points(archs):
        ms = measured.get((p.arch, p.alpha, p.resolution))
        if ms is None:
            missing.append(p)
        else:
            points.append((p, ms))
    if not points:
        raise UsageError("none of the trade-off chart's models was measured in these measurements")
    front = []
    for p, ms in points:
        if not any(m2 <= ms and q.top1 >= p.top1 and (m2 < ms or q.top1 > p.top1)
                   for q, m2 in points):
            front.append((p, ms))
    front.sort(key=lambda x: x[1])
    return {"points": points, "front": front, "missing": missing, "archs": archs,
            "sources": sources_used([p for p, _ in points]), "file": str(path or MEASUREMENTS)}


def draw_latency_tradeoff(data: dict, paths, machine: str = ""):
    """Top-1 against measured latency (log x), one color per family, the Pareto front."""
    from ..families import chart, color_of
    from .plots import (RC, _darker, _figure, _marker_boxes, _mpl,
                        _steps, _line_boxes, place_labels, save_all)
    mpl = _mpl()
    from matplotlib.lines import Line2D
    points = data["points"]
    with mpl.rc_context(RC):
        fig = _figure(10, 6.5)
        ax = fig.add_subplot()
        ax.set_xscale("log")
        xs = [ms for _, ms in points]
        ax.set_xlim(min(xs) / 1.2, max(xs) * 1.2)
        ys = [p.top1 for p, _ in points]
        ax.set_ylim(min(ys) - 2.5, max(ys) + 2.0)
        ax.grid(True, which="both", color="#eeeeee", lw=0.5, zorder=0)
        handles, marker_xy = [], []
        for arch in data["archs"]:
            pts = [(p, ms) for p, ms in points if p.arch == arch]
            if not pts:
                continue
            marker, legend = chart(arch).marker, chart(arch).legend or arch
            color = color_of(arch, pts[0][0].family)
            ax.scatter([ms for _, ms in pts], [p.top1 for p, _ in pts], s=30, marker=marker,
                       color=color, edgecolors="white", linewidths=0.4, zorder=4)
            marker_xy += [(ms, p.top1) for p, ms in pts]
            handles.append(Line2D([], [], ls="", marker=marker, color=color, markersize=6,
                                  label=f"{legend}: {len(pts)} model{'s' if len(pts) > 1 else ''}"))
        fx, fy = [ms for _, ms in data["front"]], [p.top1 for p, _ in data["front"]]
        ax.plot(fx, fy, color="#444444", lw=1.0, ls="--", drawstyle="steps-post", zorder=2)
        handles.append(Line2D([], [], color="#444444", lw=1.0, ls="--",
                              label=f"Pareto front ({len(fx)} models)"))
        _plain_ticks(ax.xaxis)
        ax.set_xlabel(f"latency measured here (ms, median){': ' + machine if machine else ''}")
        ax.set_ylabel("ImageNet top-1 accuracy (%), as published")
        ax.set_title("Accuracy vs measured latency: MobileNets on this machine's CPU",
                     fontweight="bold")
        legend = ax.legend(handles=handles, loc="lower right", fontsize=7.5, framealpha=0.92)
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        obstacles = [tuple(legend.get_window_extent(r).extents)]
        obstacles += _marker_boxes(ax, [m[0] for m in marker_xy], [m[1] for m in marker_xy], 4.5)
        soft = _line_boxes(ax, *_steps(fx, fy)) if len(fx) > 1 else []
        items = []
        for p, ms in points:
            items.append((ms, p.top1, p.label, _darker(color_of(p.arch, p.family))))
        labels = place_labels(fig, ax, items, obstacles=obstacles, soft=soft)
        save_all(fig, paths)
    return labels


def prediction_data(path=None) -> dict:
    """Measured latency beside MAdds and beside the profile's held-out prediction, with the
    Spearman figures (held-out rows only for the prediction)."""
    from ..latency import median_ape, spearman
    rows = read_rows(path)
    held = [r for r in rows if r.get("split") == "predict" and r.get("predicted_ms")]
    meas = [r["latency_ms"] for r in held]
    pred = [float(r["predicted_ms"]) for r in held]
    out = {"rows": rows, "held": held,
           "madds_spearman_all": spearman([int(r["madds"]) for r in rows],
                                          [r["latency_ms"] for r in rows]),
           "madds_spearman": spearman([int(r["madds"]) for r in held], meas),
           "profile_spearman": spearman(pred, meas), "profile_mdape": median_ape(pred, meas)}
    if held and held[0].get("pass1_ms"):
        out["ceiling_spearman"] = spearman([float(r["pass1_ms"]) for r in held],
                                           [float(r["pass2_ms"]) for r in held])
    return out


def draw_prediction(data: dict, paths):
    """Two panels: measured latency against MAdds, and against the calibrated prediction."""
    from ..families import chart, color_of
    from .plots import RC, _figure, _mpl, save_all
    from ..accuracy import family_of
    mpl = _mpl()
    with mpl.rc_context(RC):
        fig = _figure(11, 5)
        a1, a2 = fig.subplots(1, 2)
        for arch in dict.fromkeys(r["model"] for r in data["rows"]):
            marker, legend = chart(arch).marker, chart(arch).legend or arch
            color = color_of(arch, family_of(arch))
            rs = [r for r in data["rows"] if r["model"] == arch]
            a1.scatter([int(r["madds"]) / 1e6 for r in rs], [r["latency_ms"] for r in rs], s=18,
                       marker=marker, color=color, label=legend, edgecolors="white", linewidths=0.3)
            hs = [r for r in data["held"] if r["model"] == arch]
            a2.scatter([float(r["predicted_ms"]) for r in hs], [r["latency_ms"] for r in hs], s=18,
                       marker=marker, color=color, label=legend, edgecolors="white", linewidths=0.3)
        for ax in (a1, a2):
            ax.set_xscale("log")
            ax.set_yscale("log")
            _plain_ticks(ax.xaxis)
            _plain_ticks(ax.yaxis)
            ax.grid(True, which="both", color="#eeeeee", lw=0.5)
            ax.set_ylabel("measured latency (ms, median of 2 passes)")
        a1.set_xlabel("MAdds (paper convention, millions of MACs)")
        a1.set_title(f"MAdds: Spearman {data['madds_spearman_all']:.3f} (all {len(data['rows'])})",
                     fontsize=10)
        lo = min([float(r["predicted_ms"]) for r in data["held"]] + [r["latency_ms"] for r in data["held"]])
        hi = max([float(r["predicted_ms"]) for r in data["held"]] + [r["latency_ms"] for r in data["held"]])
        a2.plot([lo, hi], [lo, hi], color="#444444", lw=0.8, ls="--", label="measured = predicted")
        a2.set_xlabel("predicted (ms): profile calibrated on the other third")
        ceiling = (f"; noise ceiling {data['ceiling_spearman']:.3f}"
                   if "ceiling_spearman" in data else "")
        a2.set_title(f"profile: Spearman {data['profile_spearman']:.3f}, median error "
                     f"{data['profile_mdape']:.1f}%\n({len(data['held'])} held out{ceiling})",
                     fontsize=10)
        a1.legend(fontsize=7, loc="upper left")
        save_all(fig, paths)


def draw_report_figures(tradeoff_paths, prediction_paths) -> int | None:
    """The report's two latency figures from the committed measurements; the number of
    measured published models (None, and no figure, without measurements)."""
    if not MEASUREMENTS.is_file():
        return None
    d = latency_tradeoff_data()
    draw_latency_tradeoff(d, tradeoff_paths)
    draw_prediction(prediction_data(), prediction_paths)
    return len(d["points"])


def report_section(figure_paths, tables: Path, progress=print, measured: int | None = None,
                   published_text: str | None = None) -> list[str]:
    """The report's latency section (Markdown lines) and its tables; torch-free: it reads the
    committed measurements (``costmodel/measurements/``).  ``measured``: what
    :func:`draw_report_figures` returned (the figures drawn apart, in parallel); ``None``
    draws them here.  ``published_text``: ``published_latency_text("text")`` when already
    computed."""
    from ..latency import published_latency_text
    here = MEASUREMENTS.parent
    out = ["## Latency", ""]
    if not MEASUREMENTS.is_file():
        return out + ["No measurements committed (run `benchmarks/latency.py`).", ""]
    if measured is None:
        progress("report: figure tradeoff_latency and latency_prediction (committed measurements)")
        measured = draw_report_figures(figure_paths("tradeoff_latency"),
                                       figure_paths("latency_prediction"))
    bench_text = (here / "latency_benchmark.txt").read_text(encoding="utf-8").rstrip("\n") \
        if (here / "latency_benchmark.txt").is_file() else ""
    (tables / "latency_cpu_1thread.csv").write_text(MEASUREMENTS.read_text(encoding="utf-8"),
                                                    encoding="utf-8")
    out += ["Measured on this machine by `benchmarks/latency.py` (CPU, 1 thread pinned, batch 1, "
            "float32, eager PyTorch; two independent passes of interleaved, repeated medians) "
            "and stored in `costmodel/measurements/`; the report reads the stored measurements "
            "(no torch). The latency model: per layer, max(MACs / rate[kind], bytes / "
            "bandwidth) + unfused element-wise bytes / bandwidth + operations × overhead, "
            "calibrated on a third of the configurations and judged on the rest. "
            f"Data: [tables/latency_cpu_1thread.csv](tables/latency_cpu_1thread.csv).", "",
            "```", bench_text, "```", "",
            "![Measured latency vs MAdds and vs the profile](figures/latency_prediction.png)", "",
            f"Accuracy against measured latency ({measured} published models that were "
            f"measured; top-1 as on the MAdds chart):", "",
            "![Accuracy vs measured latency](figures/tradeoff_latency.png)", ""]
    if (here / "v1_time_by_type.csv").is_file():
        with open(here / "v1_time_by_type.csv", newline="", encoding="utf-8") as f:
            groups = list(csv.DictReader(f))
        out += ["### V1: \"95% of the computation time in 1×1 convolutions\"", "",
                "MobileNetV1 1.0-224 timed per leaf module (hooks) on this machine, by layer "
                "type, beside the exact MAdds shares (the paper's Table 2 prints 94.86% for "
                "Conv 1×1: a share of mult-adds, not of time):", "",
                "| type | time % of the forward (here) | time % of the timed modules | "
                "MAdds % (exact) |", "|---|---:|---:|---:|"]
        out += [f"| {g['group']} | {float(g['time_pct']):.1f} | "
                f"{float(g['module_time_pct']):.1f} | {float(g['madds_pct']):.2f} |"
                if g.get("module_time_pct") else
                f"| {g['group']} | {float(g['time_pct']):.1f} |  | {float(g['madds_pct']):.2f} |"
                for g in groups]
        out += ["", "\"outside modules\" is the forward's time not inside a timed module "
                    "(Python glue and the hooks' own cost).", ""]
    if published_text is None:
        progress("report: published latencies (Pixel 1 study)")
        published_text = published_latency_text("text")
    text = published_text.rstrip("\n").splitlines()
    out += ["### Published latencies (Pixel phones, TF-Lite)", "",
            text[-1], "", "`costmodel check --latency` lists all of them with their sources.", ""]
    return out
