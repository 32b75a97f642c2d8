"""Figures: the accuracy-vs-cost trade-off, per-layer bars and α × resolution heatmaps.

Each figure has a *data* function (pure: the records that are drawn, which the
tests compare with the engine and the published record) and a *draw* function
that consumes those records.  matplotlib is imported inside the draw functions
only (Agg backend), so the analytic commands never load it.

Files are written atomically (PNG, SVG or PDF by the file's suffix) and
deterministically: fixed sizes and fonts, no dates or software versions in the
metadata, a fixed SVG hash salt.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError

DPI = 120
FORMATS = ("png", "svg", "pdf")
METADATA = {"png": {"Software": None},
            "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}}
RC = {"svg.hashsalt": "costmodel", "svg.fonttype": "path", "font.family": "DejaVu Sans",
      "font.size": 9, "axes.titlesize": 11, "axes.labelsize": 9, "legend.fontsize": 8,
      "xtick.labelsize": 8, "ytick.labelsize": 8, "figure.dpi": DPI, "savefig.dpi": DPI,
      "path.simplify": False}


def _kind_colors() -> dict:
    """Layer kind label -> (color, legend name): each kind declares its own (layers.py)."""
    from ..layers import KINDS
    out = {}
    for kind in KINDS.values():
        for label, style in kind.colours.items():
            out.setdefault(label, style)
    return out


KIND_COLORS = _kind_colors()
OTHER_KIND = ("#c7c7c7", "other")


# --------------------------------------------------------------------------- files

def check_out(path, default_format: str = "png") -> tuple[Path, str]:
    """The output path and its format (from the suffix); a bad suffix is a one-line error."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(f"{path}: unknown figure format {path.suffix or '(no suffix)'!r}: "
                         f"use .png, .svg or .pdf")
    from .io import check_writable
    check_writable(path)
    return path, fmt


def default_out(model, figure: str) -> str:
    """A plot command's file when ``--out`` is not given: ``<model>_<figure>.png`` in the
    current folder, the model's last path part with other characters than letters, digits,
    ``_.-`` replaced by ``_`` (``torchvision:mobilenet_v2`` -> ``torchvision_mobilenet_v2``)."""
    import re
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(model).rsplit("/", 1)[-1]) + f"_{figure}.png"


def _mpl():
    import matplotlib
    matplotlib.use("Agg")
    return matplotlib


def save(fig, path) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix) atomically and reproducibly."""
    from .io import write_atomic
    path, fmt = check_out(path)
    mpl = _mpl()
    buf = io.BytesIO()
    with mpl.rc_context(RC):
        fig.savefig(buf, format=fmt, dpi=DPI, metadata=METADATA[fmt])
    return write_atomic(path, buf.getvalue())


def save_all(fig, paths) -> list[Path]:
    """Write ``fig`` to every path; the layout computed for the first file holds for the
    others (constrained layout is most of a figure's drawing time, and the same figure size
    gives the same layout)."""
    out = []
    for i, p in enumerate(paths):
        out.append(save(fig, p))
        if i == 0 and len(paths) > 1:
            fig.set_layout_engine("none")
    return out


def _figure(width: float, height: float):
    mpl = _mpl()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    with mpl.rc_context(RC):
        fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
    return fig


def millions(v: float) -> str:
    """A count in millions with 3 significant digits: 569, 56.5, 12.1, 0.464."""
    m = v / 1e6
    if m >= 100:
        return f"{m:.0f}"
    if m >= 10:
        return f"{m:.1f}"
    if m >= 1:
        return f"{m:.2f}"
    return f"{m:.3f}"


def _log_axis(axis, values):
    """Log-scale ticks at 1, 2, 5 × 10^k written as plain numbers (values in millions)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
    lo, hi = min(values), max(values)
    ticks = [m * 10 ** e for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1)
             for m in (1, 2, 5)]
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


# --------------------------------------------------------------------------- label placement

@dataclass
class Placed:
    """A label the placement routine drew: its text, its point and its box (display pixels)."""

    text: str
    x: float
    y: float
    box: tuple[float, float, float, float]   # x0, y0, x1, y1
    leader: bool


@dataclass
class Labels:
    placed: list[Placed] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _overlaps(a, b, pad: float = 0.0) -> bool:
    return not (a[2] + pad <= b[0] or b[2] + pad <= a[0] or a[3] + pad <= b[1] or b[3] + pad <= a[1])


def place_labels(fig, ax, items, obstacles=(), soft=(), fontsize: float = 7.0) -> Labels:
    """Label points without overlaps: each label tries 8 directions at growing distances
    around its point and takes the first spot inside the axes that overlaps no marker,
    no other label and no box in ``obstacles`` (display pixels); spots that cross
    ``soft`` boxes (lines) are used only when nothing else fits.  Far spots get a
    thin leader line.  ``items`` are ``(x, y, text, color)`` in data coordinates, most
    important first; a label with no free spot is left out (and listed in ``dropped``).
    """
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    ax_box = ax.get_window_extent(renderer)
    frame = (ax_box.x0 + 2, ax_box.y0 + 2, ax_box.x1 - 2, ax_box.y1 - 2)
    scale = fig.dpi / 72.0
    hard = [tuple(o) for o in obstacles]
    soft = [tuple(o) for o in soft]
    out = Labels()
    radii = (3, 6, 10, 15, 22, 30)                    # points
    dirs = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1))
    for x, y, text, color in items:
        px, py = ax.transData.transform((x, y))
        t = ax.annotate(text, (x, y), xytext=(0, 0), textcoords="offset points",
                        fontsize=fontsize, color=color, ha="left", va="bottom", zorder=6)
        bb = t.get_window_extent(renderer)
        w, h = bb.width, bb.height
        best = None
        for r in radii:
            for dx, dy in dirs:
                norm = math.hypot(dx, dy)
                ox, oy = dx / norm * r * scale, dy / norm * r * scale
                # anchor the label's near edge at the offset point
                x0 = px + ox - (w if dx < 0 else (w / 2 if dx == 0 else 0))
                y0 = py + oy - (h if dy < 0 else (h / 2 if dy == 0 else 0))
                box = (x0, y0, x0 + w, y0 + h)
                if box[0] < frame[0] or box[1] < frame[1] or box[2] > frame[2] or box[3] > frame[3]:
                    continue
                if any(_overlaps(box, o, 1.0) for o in hard):
                    continue
                crosses = any(_overlaps(box, o) for o in soft)
                if not crosses:
                    best = (box, r)
                    break
                if best is None:
                    best = (box, r)
            if best is not None and not any(_overlaps(best[0], o) for o in soft):
                break
        if best is None:
            t.remove()
            out.dropped.append(text)
            continue
        box, r = best
        leader = r >= 15
        t.set_position(((box[0] - px) / scale, (box[1] - py) / scale))
        if leader:
            t.arrow_patch = None
            cx = min(max(px, box[0]), box[2])
            cy = min(max(py, box[1]), box[3])
            ax.annotate("", (x, y), xytext=((cx - px) / scale, (cy - py) / scale),
                        textcoords="offset points",
                        arrowprops={"arrowstyle": "-", "color": color, "lw": 0.5, "alpha": 0.6,
                                    "shrinkA": 0, "shrinkB": 3})
        hard.append(box)
        out.placed.append(Placed(text, x, y, box, leader))
    return out


def _marker_boxes(ax, xs, ys, radius_px: float):
    pts = ax.transData.transform(list(zip(xs, ys))) if len(xs) else []
    return [(px - radius_px, py - radius_px, px + radius_px, py + radius_px) for px, py in pts]


def _line_boxes(ax, xs, ys, step_px: float = 3.0, half: float = 1.5):
    """Small boxes along a polyline (display pixels): lines labels should avoid."""
    pts = ax.transData.transform(list(zip(xs, ys))) if len(xs) else []
    out = []
    for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:]):
        n = max(1, int(math.hypot(x1 - x0, y1 - y0) / step_px))
        for i in range(n + 1):
            x, y = x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n
            out.append((x - half, y - half, x + half, y + half))
    return out


# --------------------------------------------------------------------------- trade-off

METRICS = {
    "madds": ("MAdds", "MAdds (paper convention: conv + FC multiply-accumulates), millions, log scale",
              "madds", "published_madds", "madds_reproduced"),
    "params": ("params", "Parameters (paper convention: weights only), millions, log scale",
               "params", "published_params", "params_reproduced"),
    "memory": ("peak memory", "Peak inference memory (eager lifetimes, fp32, batch 1; "
                              "costmodel memory), MB (10⁶ bytes), log scale",
               "memory", "memory", "memory_reproduced"),
}


def check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise UsageError(f"--metric: unknown metric {metric!r}: use {', '.join(METRICS)}")
    return metric


def tradeoff_data(metric: str = "madds", archs=None) -> dict:
    """What the trade-off chart draws: the points (:func:`costmodel.accuracy.tradeoff_points`),
    the Pareto front and the accuracy sources."""
    from ..accuracy import chart_archs, pareto_front, sources_used, tradeoff_points
    check_metric(metric)
    on_chart = chart_archs()
    archs = on_chart if archs is None else tuple(a for a in on_chart if a in archs)
    if not archs:
        raise UsageError("--families: none of these architectures is on the trade-off chart "
                         f"(it plots {', '.join(on_chart)})")
    points = tradeoff_points(archs)
    return {"metric": metric, "points": points, "front": pareto_front(points, metric),
            "sources": sources_used(points), "archs": archs}


def draw_tradeoff(data: dict, paths) -> Labels:
    """Top-1 against exact MAdds or params (log x), one color per family, one marker per
    architecture, the published figure as a hollow marker where it differs, the Pareto
    front, every point labelled ``α/resolution`` where a free spot exists."""
    mpl = _mpl()
    from matplotlib.lines import Line2D
    from ..families import chart, color_of
    metric = data["metric"]
    name, xlabel, key, pub_key, ok_key = METRICS[metric]
    points = data["points"]
    with mpl.rc_context(RC):
        fig = _figure(14, 6.5)
        ax = fig.add_subplot()
        ax.set_xscale("log")
        xs_all = [getattr(p, key) / 1e6 for p in points] + \
                 [getattr(p, pub_key) / 1e6 for p in points if not getattr(p, ok_key)]
        lo, hi = min(xs_all), max(xs_all)
        ax.set_xlim(lo / 1.25, hi * 1.25)
        ys = [p.top1 for p in points]
        # headroom above the top point for its label
        ax.set_ylim(math.floor(min(ys) - 2.5), math.ceil(max(ys) + 3.0))
        _log_axis(ax.xaxis, [lo / 1.25, hi * 1.25])
        ax.grid(True, which="major", color="#e6e6e6", lw=0.6, zorder=0)
        ax.set_axisbelow(True)
        handles = []
        legends: dict = {}
        marker_xy = []
        for arch in data["archs"]:
            pts = [p for p in points if p.arch == arch]
            if not pts:
                continue
            style = chart(arch)
            marker, legend = style.marker, style.legend or arch
            color = color_of(arch, pts[0].family)
            xs = [getattr(p, key) / 1e6 for p in pts]
            ax.scatter(xs, [p.top1 for p in pts], s=30, marker=marker, color=color,
                       edgecolors="white", linewidths=0.4, zorder=4)
            marker_xy += list(zip(xs, [p.top1 for p in pts]))
            diff = [p for p in pts if not getattr(p, ok_key)]
            for p in diff:
                ax.plot([getattr(p, key) / 1e6, getattr(p, pub_key) / 1e6], [p.top1, p.top1],
                        color=color, lw=0.6, alpha=0.5, zorder=3)
            if diff:
                hx = [getattr(p, pub_key) / 1e6 for p in diff]
                ax.scatter(hx, [p.top1 for p in diff], s=30, marker=marker, facecolors="none",
                           edgecolors=color, linewidths=0.9, zorder=3)
                marker_xy += list(zip(hx, [p.top1 for p in diff]))
            # architectures with one legend entry (a family's models, one spec each) share it
            entry = legends.setdefault((legend, marker, color), [0, set()])
            entry[0] += len(pts)
            entry[1].update(p.source for p in pts)
        for (legend, marker, color), (n, sources) in legends.items():
            handles.append(Line2D([], [], ls="", marker=marker, color=color, markersize=6,
                                  label=f"{legend}: {n} model{'s' if n > 1 else ''}, "
                                        f"top-1 from {', '.join(sorted(sources))}"))
        front = data["front"]
        fx = [getattr(p, key) / 1e6 for p in front]
        fy = [p.top1 for p in front]
        ax.plot(fx, fy, color="#444444", lw=1.0, ls="--", drawstyle="steps-post", zorder=2)
        handles.append(Line2D([], [], color="#444444", lw=1.0, ls="--",
                              label=f"Pareto front ({len(front)} models: none cheaper "
                                    f"and at least as accurate)"))
        if metric != "memory":              # nothing published to differ from
            handles.append(Line2D([], [], ls="", marker="o", markerfacecolor="none",
                                  markeredgecolor="#555555", markersize=6,
                                  label=f"published {name} where the exact count differs "
                                        f"(same top-1; joined to its exact point)"))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("ImageNet top-1 accuracy (%), as published")
        # the families on a line of their own: the list grows with every family file
        ax.set_title(f"Accuracy vs {name} (exact {name}, published top-1)\n"
                     f"{families_text(sorted({p.family for p in points}))}", fontweight="bold")
        # the caption in the empty corner: MAdds rise with accuracy steeply (upper left is
        # free), params less so (lower right is free)
        cap_xy = (0.01, 0.985, "left", "top") if metric == "madds" else (0.99, 0.015, "right", "bottom")
        # the legend outside the axes, on the right: with a dozen families it would hide points
        legend = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                           frameon=True, framealpha=0.92, fontsize=7.5, borderaxespad=0.0)
        caption = ("Labels: α/resolution (L = V3-Large, S = V3-Small, min = minimalistic).\n"
                   "Exact counts: TF rounding, the published model's classes (TF-slim 1001).")
        if metric == "params":
            for arch in data["archs"]:
                note = chart(arch).params_note
                if note and any(p.arch == arch and not p.params_reproduced for p in points):
                    caption += "\n" + note
        cap = ax.text(cap_xy[0], cap_xy[1], caption, transform=ax.transAxes, ha=cap_xy[2],
                      va=cap_xy[3],
                      fontsize=7, color="#444444", zorder=5,
                      bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 2})
        fig.draw_without_rendering()
        r = fig.canvas.get_renderer()
        obstacles = [tuple(legend.get_window_extent(r).extents), tuple(cap.get_window_extent(r).extents)]
        obstacles += _marker_boxes(ax, [m[0] for m in marker_xy], [m[1] for m in marker_xy], 4.5)
        soft = _line_boxes(ax, *_steps(fx, fy))
        for p in points:
            if not getattr(p, ok_key):
                soft += _line_boxes(ax, [getattr(p, key) / 1e6, getattr(p, pub_key) / 1e6],
                                    [p.top1, p.top1])
        front_ids = {id(p) for p in front}
        order = [p for p in points if id(p) in front_ids] + [p for p in points if id(p) not in front_ids]
        items = []
        for p in order:
            color = color_of(p.arch, p.family)
            items.append((getattr(p, key) / 1e6, p.top1, p.label, _darker(color)))
        labels = place_labels(fig, ax, items, obstacles=obstacles, soft=soft)
        save_all(fig, paths)
    return labels


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def families_text(names) -> str:
    """The families of a chart by series: ``MobileNet V1, V2 and V3``; a family without a
    series or short name is written by its name."""
    from ..families import family
    series: dict[str, list[str]] = {}
    for name in names:
        f = family(name)
        if f.series:
            series.setdefault(f.series, []).extend([f.short] if f.short else [])
        else:
            series.setdefault(name.upper(), [])
    return "; ".join(f"{s} {_and(shorts)}" if shorts else s for s, shorts in series.items())


def _steps(xs, ys):
    """The vertices of a steps-post polyline."""
    if not xs:
        return [], []
    sx, sy = [xs[0]], [ys[0]]
    for x, y in zip(xs[1:], ys[1:]):
        sx += [x, x]
        sy += [sy[-1], y]
    return sx, sy


def _darker(color: str, f: float = 0.75) -> str:
    c = color.lstrip("#")
    rgb = [int(c[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{int(v * f):02x}" for v in rgb)


# --------------------------------------------------------------------------- per-layer bars

def layer_data(costing) -> list[dict]:
    """One record per layer that has MAdds or params in the costing's convention."""
    return [{"name": r.name, "kind": r.kind, "madds": r.madds, "params": r.params}
            for r in costing.layers if r.madds or r.params]


def kind_shares(rows: list[dict]) -> list[dict]:
    """MAdds and params per layer kind with their shares (percent), in KIND_COLORS order."""
    total_m = sum(r["madds"] for r in rows) or 1
    total_p = sum(r["params"] for r in rows) or 1
    kinds = [k for k in KIND_COLORS if any(r["kind"] == k for r in rows)]
    kinds += sorted({r["kind"] for r in rows} - set(kinds))
    out = []
    for k in kinds:
        m = sum(r["madds"] for r in rows if r["kind"] == k)
        p = sum(r["params"] for r in rows if r["kind"] == k)
        out.append({"kind": k, "madds": m, "params": p,
                    "madds %": 100 * m / total_m, "params %": 100 * p / total_p})
    return out


def draw_layers(costing, paths, title: str | None = None):
    """Per-layer MAdds and params as bars colored by kind, with each kind's share beside."""
    from ..limits import MAX_PLOT_LAYERS
    if len(costing.layers) > MAX_PLOT_LAYERS:
        raise UsageError(f"plot layers: {costing.name} has {len(costing.layers):,} layers, more "
                         f"than the limit of {MAX_PLOT_LAYERS:,} bars (use `costmodel table`)")
    mpl = _mpl()
    from matplotlib.patches import Patch
    from matplotlib.ticker import EngFormatter
    rows = layer_data(costing)
    if not rows:
        raise UsageError(f"{costing.name}: no layer has MAdds or params in the "
                         f"{costing.convention.name} convention")
    shares = kind_shares(rows)
    n = len(rows)
    width = min(16.0, max(10.0, 4.5 + 0.13 * n))
    with mpl.rc_context(RC):
        fig = _figure(width, 6.8)
        gs = fig.add_gridspec(2, 2, width_ratios=[max(4.0, (width - 2.6) / 2.6), 1.0])
        ax_m = fig.add_subplot(gs[0, 0])
        ax_p = fig.add_subplot(gs[1, 0], sharex=ax_m)
        ax_s = fig.add_subplot(gs[:, 1])
        colors = [KIND_COLORS.get(r["kind"], OTHER_KIND)[0] for r in rows]
        idx = list(range(n))
        ax_m.bar(idx, [float(r["madds"]) for r in rows], color=colors, width=0.8, zorder=3)
        ax_p.bar(idx, [float(r["params"]) for r in rows], color=colors, width=0.8, zorder=3)
        for ax, what in ((ax_m, costing.madds_label), (ax_p, costing.params_label)):
            ax.yaxis.set_major_formatter(EngFormatter(sep=""))
            ax.set_ylabel(what)
            ax.grid(True, axis="y", color="#e6e6e6", lw=0.6, zorder=0)
            ax.set_xlim(-0.7, n - 0.3)
        ax_m.tick_params(axis="x", labelbottom=False)
        fs = 7 if n <= 40 else (6 if n <= 70 else 5)
        ax_p.set_xticks(idx)
        ax_p.set_xticklabels([r["name"] for r in rows], rotation=90, fontsize=fs)
        ax_p.set_xlabel("layer (in order; layers with no MAdds and no params left out)")
        ax_m.set_title("MAdds per layer", loc="left", fontsize=9)
        ax_p.set_title("Parameters per layer", loc="left", fontsize=9)
        # shares: two stacked 100 % columns
        for col, key in enumerate(("madds %", "params %")):
            bottom = 0.0
            for s in shares:
                color = KIND_COLORS.get(s["kind"], OTHER_KIND)[0]
                ax_s.bar(col, s[key], bottom=bottom, color=color, width=0.62, edgecolor="white",
                         linewidth=0.5)
                if s[key] >= 4.0:
                    ax_s.text(col, bottom + s[key] / 2, f"{s[key]:.1f}%", ha="center", va="center",
                              fontsize=7.5, color=_text_color(color))
                bottom += s[key]
        ax_s.set_xticks([0, 1])
        ax_s.set_xticklabels(["MAdds", "params"])
        ax_s.set_ylim(0, 100)
        ax_s.set_xlim(-0.5, 1.5)
        ax_s.set_ylabel("share of the total (%)")
        ax_s.set_title("Share by layer kind", loc="left", fontsize=9)
        handles = [Patch(color=KIND_COLORS.get(s["kind"], OTHER_KIND)[0],
                         label=f"{KIND_COLORS.get(s['kind'], (None, s['kind']))[1]}: "
                               f"{_pct(s['madds %'])} MAdds, {_pct(s['params %'])} params")
                   for s in shares]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)),
                   fontsize=7.5, frameon=False)
        pw = next((s for s in shares if s["kind"] == "pointwise"), None)
        c = costing
        res = (f"{c.resolution[0]}×{c.resolution[0]}" if c.resolution[0] == c.resolution[1]
               else "×".join(map(str, c.resolution)))
        spec_title = getattr(getattr(c.plan, "spec", None), "title", "")
        head = title or (f"{spec_title} ({c.name})" if spec_title and spec_title != c.name else c.name)
        settings = (f"α = {c.alpha:g}, {res}" if c.model_params is None else res) + \
            f", {c.convention.name} convention"
        lines = [f"{head}: MAdds and parameters per layer",
                 f"{settings}: {millions(c.totals.madds)}M {c.unit_label} and "
                 f"{millions(c.totals.params)}M params in total"]
        if pw:
            lines.append(f"1×1 (pointwise) convolutions: {pw['madds %']:.1f}% of the MAdds, "
                         f"{pw['params %']:.1f}% of the params")
        fig.suptitle("\n".join(lines), fontsize=10.5, fontweight="bold")
        save_all(fig, paths)
    return {"rows": rows, "shares": shares}


def _pct(v: float) -> str:
    """A share with one decimal; a small nonzero share shows as "<0.1%", not "0.0%"."""
    return "<0.1%" if 0 < v < 0.05 else f"{v:.1f}%"


def _text_color(color: str) -> str:
    c = color.lstrip("#")
    r, g, b = (int(c[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


# --------------------------------------------------------------------------- α × resolution

def sweep_grid(arch, alphas=None, resolutions=None, *, classes=None, rounding: str = "tf",
               convention: str = "paper") -> dict:
    """What the α × resolution heatmap draws: exact MAdds and params on the grid, the
    closed form's error in percent, and the published configurations of ``arch``.

    Default grid: the α and resolutions of the family's published checkpoints (its
    ``family`` table), else :data:`costmodel.families.DEFAULT_GRID` (``costmodel sweep``'s).
    """
    from ..accuracy import published_cells
    from ..families import DEFAULT_GRID, grid_of
    from ..spec import load
    from ..limits import MAX_PLOT_SWEEP_POINTS
    from ..sweep import check_grid, scaling_law, sweep
    spec = load(arch)
    g_a, g_r = grid_of(spec) or DEFAULT_GRID
    alphas = sorted(set(g_a if alphas is None else alphas))
    resolutions = sorted(set(g_r if resolutions is None else resolutions))
    check_grid(alphas, resolutions, MAX_PLOT_SWEEP_POINTS, "plot sweep")
    rows = sweep(arch, alphas, resolutions, classes=classes, rounding=rounding,
                 convention=convention)
    cell = {(r["alpha"], r["resolution"]): r for r in rows}
    name = arch if isinstance(arch, str) and not arch.endswith((".toml", ".json")) else spec.name
    cells = published_cells(arch) if isinstance(arch, str) and arch in _builtins() else {}
    from ..conventions import get
    laws = []
    for label, sel in (("α ≤ 1", [a for a in alphas if a <= 1.0]), ("α > 1", [a for a in alphas if a > 1.0])):
        if sel:
            law = scaling_law(arch, alpha=max(sel), classes=classes, rounding=rounding,
                              convention=convention)
            text = "MAdds ≈ " + law.madds.text() + f", ρ = resolution / {law.base_resolution}"
            if not laws or laws[-1][1] != text:
                laws.append((label, text))
    if len(laws) == 1:
        laws = [("every α", laws[0][1])]
    return {"laws": laws, "arch": name, "title": spec.title or name, "alphas": alphas, "resolutions": resolutions,
            "madds": [[cell[(a, r)]["madds"] for r in resolutions] for a in alphas],
            "params": [[cell[(a, r)]["params"] for r in resolutions] for a in alphas],
            "closed": [[cell[(a, r)]["closed form"] for r in resolutions] for a in alphas],
            "error": [[cell[(a, r)]["error %"] for r in resolutions] for a in alphas],
            "published": {k: v for k, v in cells.items() if k[0] in alphas and k[1] in resolutions},
            "classes": spec.classes if classes is None else classes, "rounding": rounding,
            "convention": convention, "unit": get(convention).unit}


def _builtins():
    from ..spec import builtin_names
    return set(builtin_names())


def draw_sweep(grid: dict, paths):
    """Three heatmaps over α (rows) × resolution (columns): exact MAdds, exact params and
    the closed form's error, with the published configurations marked."""
    mpl = _mpl()
    import numpy as np
    from matplotlib.colors import LogNorm, Normalize, TwoSlopeNorm
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter
    alphas, res = grid["alphas"], grid["resolutions"]
    na, nr = len(alphas), len(res)
    madds = np.array(grid["madds"], dtype=float) / 1e6
    params = np.array(grid["params"], dtype=float) / 1e6
    err = np.array(grid["error"], dtype=float)
    conv = grid["convention"]
    unit = "MACs" if grid["unit"] == "macs" else "FLOPs"
    diffs = [f"{a:g}/{r}: {', '.join(c.differing())}" for (a, r), c in grid["published"].items()
             if not c.reproduced]
    width = max(12.0, 3 * (0.5 * nr + 1.75))
    chars = int(width * 15)
    notes = [f"Closed form ({label}): {text}" for label, text in grid["laws"]]
    if diffs:
        notes.append("Printed MAdds that differ from the exact count (source): " + "; ".join(diffs))
    note_text = "\n".join(_wrap(n, chars) for n in notes)
    n_lines = note_text.count("\n") + 1
    height = max(4.4, 0.45 * na + 2.6) + 0.16 * n_lines + 0.35
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    sparse = FuncFormatter(lambda v, _: f"{v:g}" if v > 0 and round(
        v / 10 ** math.floor(math.log10(v)), 6) in (1, 2, 5) else "")
    with mpl.rc_context(RC):
        fig = _figure(width, height)
        gs = fig.add_gridspec(2, 3, height_ratios=[max(4.4, 0.45 * na + 2.6) - 1.0,
                                                   0.16 * n_lines + 0.35])
        axes = [fig.add_subplot(gs[0, i]) for i in range(3)]
        note_ax = fig.add_subplot(gs[1, :])
        note_ax.axis("off")
        lim = max(0.5, float(np.abs(err).max()))
        p_hi = params.max() if params.max() > params.min() else params.min() * 1.01 + 1e-9
        panels = (
            (madds, f"MAdds ({conv}, {unit}), millions", "viridis",
             LogNorm(vmin=madds.min(), vmax=madds.max()) if 0 < madds.min() < madds.max()
             else Normalize(), lambda v: millions(v * 1e6), "exact MAdds"),
            (params, f"params ({conv}), millions", "cividis", Normalize(params.min(), p_hi),
             lambda v: millions(v * 1e6), "exact params"),
            (err, "(closed form − exact) / exact MAdds, %", "RdBu_r",
             TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim),
             lambda v: "0" if abs(v) < 0.005 else f"{v:+.2f}", "closed-form α/ρ law: error"),
        )
        for k, (ax, (data, label, cmap, norm, fmt, title)) in enumerate(zip(axes, panels)):
            im = ax.imshow(data, cmap=cmap, norm=norm, origin="lower", aspect="auto")
            cb = fig.colorbar(im, ax=ax, shrink=0.92, pad=0.02)
            cb.set_label(label, fontsize=8)
            cb.ax.tick_params(labelsize=7)
            cb.ax.yaxis.set_major_formatter(sparse if k == 0 else plain)
            if k == 0:
                cb.ax.yaxis.set_minor_formatter(sparse)
            for i in range(na):
                for j in range(nr):
                    rgba = im.cmap(im.norm(data[i, j]))
                    lum = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]
                    ax.text(j, i, fmt(data[i, j]), ha="center", va="center", fontsize=7.5,
                            color="black" if lum > 0.5 else "white")
            ax.set_xticks(range(nr))
            ax.set_xticklabels([str(r) for r in res])
            ax.set_yticks(range(na))
            ax.set_yticklabels([f"{a:g}" for a in alphas])
            ax.set_xlabel("input resolution (pixels)")
            ax.set_ylabel("width multiplier α")
            ax.set_title(title, fontsize=9.5)
            for (a, r), c in grid["published"].items():
                i, j = alphas.index(a), res.index(r)
                ax.plot(j + 0.36, i + 0.3, marker="o", ms=4.5, color="black",
                        markeredgecolor="white", markeredgewidth=0.6, zorder=5)
                if not c.reproduced and k == 0:
                    ax.add_patch(_rect(j, i))
        handles = [Line2D([], [], ls="", marker="o", ms=5, color="black", markeredgecolor="white",
                          label="published configuration (papers, TF-slim, torchvision)")]
        if diffs:
            handles.append(Line2D([], [], ls="-", lw=2, color="#e4003a",
                                  label="a published MAdds figure differs from the exact count"))
        note_ax.legend(handles=handles, loc="upper center", ncols=2, frameon=False, fontsize=8,
                       borderaxespad=0.0)
        note_ax.text(0.5, 0.0, note_text, transform=note_ax.transAxes, ha="center", va="bottom",
                     fontsize=7.5, color="#333333")
        fig.suptitle(f"{grid['title']} ({grid['arch']}) over α × resolution: exact MAdds and params, "
                     f"and the closed form's error\n{grid['classes']} classes, {grid['rounding']} "
                     f"rounding, {conv} convention", fontsize=10.5, fontweight="bold")
        save_all(fig, paths)
    return grid


def _rect(j, i):
    from matplotlib.patches import Rectangle
    return Rectangle((j - 0.47, i - 0.47), 0.94, 0.94, fill=False, edgecolor="#e4003a", lw=2.0,
                     zorder=4)


def _wrap(text: str, width: int) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(text, width))


# --------------------------------------------------------------------------- memory per layer

def draw_memory(rep, paths, title: str | None = None):
    """Bytes alive while each layer runs (bars colored by kind, the peak marked), and each
    layer's output and parameter bytes below, at the report's dtype and batch."""
    mpl = _mpl()
    from matplotlib.patches import Patch
    from matplotlib.ticker import EngFormatter
    from ..limits import MAX_PLOT_LAYERS
    rows = rep.layers
    if not rows:
        raise UsageError(f"{rep.costing.name}: no layers")
    if len(rows) > MAX_PLOT_LAYERS:
        raise UsageError(f"{rep.costing.name}: {len(rows):,} layers are more than the limit of "
                         f"{MAX_PLOT_LAYERS:,} bars (use `costmodel memory`)")
    n = len(rows)
    width = min(16.0, max(10.0, 4.5 + 0.11 * n))
    idx = list(range(n))
    colors = [KIND_COLORS.get(x.kind, OTHER_KIND)[0] for x in rows]
    with mpl.rc_context(RC):
        fig = _figure(width, 6.8)
        ax_a = fig.add_subplot(2, 1, 1)
        ax_b = fig.add_subplot(2, 1, 2, sharex=ax_a)
        ax_a.bar(idx, [x.live_bytes for x in rows], color=colors, width=0.8, zorder=3)
        i = rep.peak.index
        ax_a.annotate(f"peak {rep.peak.bytes / 1e6:.2f} MB\n{rep.peak.layer}",
                      xy=(i, rep.peak.bytes), xytext=(0, 14), textcoords="offset points",
                      ha="center", fontsize=8, fontweight="bold",
                      arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 0.8})
        ax_a.set_ylim(0, rep.peak.bytes * 1.25)
        ax_b.bar([k - 0.2 for k in idx], [x.output_bytes for x in rows], color=colors, width=0.4,
                 zorder=3)
        ax_b.bar([k + 0.2 for k in idx], [x.param_bytes for x in rows], color="#555555", width=0.4,
                 zorder=3)
        for ax, what in ((ax_a, f"bytes alive ({rep.dtype})"), (ax_b, f"bytes ({rep.dtype})")):
            ax.yaxis.set_major_formatter(EngFormatter(unit="B", sep=""))
            ax.set_ylabel(what)
            ax.grid(True, axis="y", color="#e6e6e6", lw=0.6, zorder=0)
            ax.set_xlim(-0.7, n - 0.3)
        ax_a.tick_params(axis="x", labelbottom=False)
        fs = 7 if n <= 40 else (6 if n <= 70 else 5)
        ax_b.set_xticks(idx)
        ax_b.set_xticklabels([x.name for x in rows], rotation=90, fontsize=fs)
        ax_b.set_xlabel("layer (in order)")
        ax_a.set_title("Memory alive while each layer runs (eager lifetimes; inputs held by their "
                       "block, batch norm folded, activations in place)", loc="left", fontsize=9)
        ax_b.set_title("Output bytes (colored by kind) and parameter bytes (grey) per layer",
                       loc="left", fontsize=9)
        kinds = [k for k in dict.fromkeys(x.kind for x in rows)]
        handles = [Patch(color=KIND_COLORS.get(k, OTHER_KIND)[0],
                         label=KIND_COLORS.get(k, (None, k))[1]) for k in kinds]
        handles.append(Patch(color="#555555", label="parameters"))
        fig.legend(handles=handles, loc="outside lower center", ncols=min(5, len(handles)),
                   fontsize=7.5, frameon=False)
        c = rep.costing
        res = (f"{c.resolution[0]}×{c.resolution[0]}" if c.resolution[0] == c.resolution[1]
               else "×".join(map(str, c.resolution)))
        settings = (f"α = {c.alpha:g}, {res}" if c.model_params is None else res)
        t = rep.totals
        lines = [f"{title or c.name}: memory per layer",
                 f"{settings}, {rep.dtype}, batch {rep.batch}: peak {t['peak_bytes'] / 1e6:.2f} MB "
                 f"at {t['peak_layer']}; parameters {t['param_bytes'] / 1e6:.2f} MB; "
                 f"V2 paper's rule {t['paper_peak_bytes'] / 1e6:.2f} MB"]
        fig.suptitle("\n".join(lines), fontsize=10.5, fontweight="bold")
        save_all(fig, paths)
    return {"peak": rep.peak.index}
