"""The report job (``costmodel report``, run by ``make report``): everything at a glance.

``README.md`` (a summary table of every built-in at its paper configurations
under the ``paper`` and ``fvcore`` conventions, the conformance summary, the
figures embedded), per-model tables in CSV and Markdown, the data behind the
figures, and every figure as PNG and SVG::

    reports/
      README.md
      tables/   <model>.csv, <model>.md, summary.csv, summary.md, tradeoff.csv, tradeoff.md
      figures/  tradeoff_madds, tradeoff_params, layers_<model>, sweep_<model> (.png and .svg)

The whole report is built in a temporary folder beside the target and swapped
in at the end, so a failure leaves the previous report intact.  It is
deterministic: tables (and the README) are byte-identical on re-runs, figures
carry no dates.  It needs neither torch nor network nor weights: every count is
analytic (the ``fvcore`` convention included).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import tempfile
import time
from pathlib import Path

import pandas as pd

from ..errors import UsageError
from .tables import layer_frame, render, tradeoff_frame

FIGURE_FORMATS = ("png", "svg")


def _write(folder: Path, name: str, text: str):
    (folder / name).write_text(text, encoding="utf-8", newline="")


def conformance_section() -> list[str]:
    """The README's conformance summary (lines of Markdown, without the heading): every
    published MAdds and params cell reproduced, explained, erratum or unexplained, per source
    (``costmodel check``)."""
    from ..conformance import conformance_markdown
    return conformance_markdown()


# --------------------------------------------------------------------------- summary

def summary_configurations(arch: str) -> list[tuple[float, int]]:
    """A built-in's paper configurations: α = 1 at its own resolution (224; EfficientNet-B3:
    300), every configuration with a published top-1 and every published MAdds figure
    (papers, TF-slim, torchvision); α, then resolution, descending."""
    from ..accuracy import accuracies, published_cells
    from ..spec import load
    configs = {(1.0, load(arch).input[1])}
    configs |= {(a, r) for (name, a, r) in accuracies() if name == arch}
    configs |= set(published_cells(arch))
    return sorted(configs, key=lambda k: (-k[0], -k[1]))


def summary_frame() -> pd.DataFrame:
    """Every built-in at its paper configurations: MAdds under ``paper`` and ``fvcore``,
    params under both, and the published top-1 (1000 classes, TF rounding)."""
    from .. import count
    from ..accuracy import accuracies
    from ..spec import builtin_names
    acc = accuracies()
    rows = []
    for arch in builtin_names():
        for alpha, res in summary_configurations(arch):
            c = count(arch, alpha=alpha, resolution=res, classes=1000, rounding="tf",
                      convention="paper")
            f = c.in_convention("fvcore")
            a = acc.get((arch, alpha, res))
            rows.append({"model": arch, "α": alpha, "resolution": res,
                         "MAdds (paper, MACs)": c.totals.madds,
                         "MAdds (fvcore, MACs)": f.totals.madds,
                         "params (paper)": c.totals.params, "params (fvcore)": f.totals.params,
                         "top-1 %": a.top1 if a else None,
                         "top-1 source": a.source if a else ""})
    frame = pd.DataFrame(rows)
    frame["top-1 %"] = frame["top-1 %"].astype("float64")
    return frame


SUMMARY_FLOATFMT = ["", "g", "", "", "", "", "", ".1f", ""]


def summary_markdown(frame: pd.DataFrame) -> str:
    shown = frame.copy()
    shown["top-1 %"] = pd.Series([None if v != v else v for v in frame["top-1 %"]], dtype=object)
    return render(shown, "markdown", floatfmt=SUMMARY_FLOATFMT)


# --------------------------------------------------------------------------- the job

def _draw_tradeoff(data, paths):
    from . import plots
    return plots.draw_tradeoff(data, paths).dropped


def _draw_sweep(name, paths):
    from . import plots
    plots.draw_sweep(plots.sweep_grid(name), paths)


def _draw_layers(name, paths, title):
    from .. import count
    from . import plots
    plots.draw_layers(count(name), paths, title=title)


def _draw_latency(tradeoff_paths, prediction_paths):
    from .latency_plots import draw_report_figures
    return draw_report_figures(tradeoff_paths, prediction_paths)


#: The figures folder's record of what its figures were drawn from (:func:`inputs_digest`)
#: and what each drawing returned: a report whose inputs are unchanged keeps its figures.
FIGURE_INPUTS = "inputs.json"


def inputs_digest() -> str:
    """What the figures depend on: every source and data file of the ``costmodel`` package
    (code, specs, the published record, the measurements) and the versions of Python,
    matplotlib, numpy and pandas (matplotlib ships its fonts and FreeType).  A SHA-256."""
    import hashlib
    import sys
    import matplotlib
    import numpy
    h = hashlib.sha256()
    for part in (sys.version_info[:2], matplotlib.__version__, numpy.__version__, pd.__version__):
        h.update(repr(part).encode() + b"\0")
    root = Path(__file__).resolve().parents[1]
    for path in sorted(p for p in root.rglob("*") if p.is_file()
                       and p.suffix in (".py", ".toml", ".csv", ".json", ".txt")
                       and "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _kept_figures(previous: Path | None, digest: str) -> dict:
    """The previous report's figure results (stem -> what drawing it returned) when it was
    drawn from the same inputs, else {}."""
    import json
    try:
        doc = json.loads((previous / "figures" / FIGURE_INPUTS).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return {}
    return doc.get("figures", {}) if doc.get("digest") == digest else {}


def workers_default() -> int:
    """One drawing process per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                                  # not on Linux
        return max(1, os.cpu_count() or 1)


#: Relative drawing time of each kind of figure: the slowest are started first.
DRAWING_ORDER = {_draw_tradeoff: 0, _draw_latency: 0, _draw_sweep: 1, _draw_layers: 2}


@contextlib.contextmanager
def _drawing(tasks, workers: int):
    """Start ``(stem, line, function, args)`` tasks in ``workers`` processes when more than one
    (the slowest kinds first) and yield a function that yields ``(stem, line, result)`` in the
    tasks' order; until it is called this process is free for other work (the README's other
    parts).  With one worker the tasks run in this process, when their results are read.  A
    failure in any task is raised."""
    if workers <= 1 or not tasks:
        yield lambda: ((stem, line, fn(*args)) for stem, line, fn, args in tasks)
        return
    from concurrent.futures import ProcessPoolExecutor
    # matplotlib and its font cache loaded once here: forked workers share them
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    from . import plots
    plots._mpl()
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        submitted = {}
        for i in sorted(range(len(tasks)), key=lambda i: DRAWING_ORDER.get(tasks[i][2], 3)):
            submitted[i] = pool.submit(tasks[i][2], *tasks[i][3])
        futures = [(stem, line, submitted[i]) for i, (stem, line, _, _) in enumerate(tasks)]
        try:
            yield lambda: ((stem, line, future.result()) for stem, line, future in futures)
        except BaseException:
            for _, _, future in futures:
                future.cancel()
            raise


def build(folder: Path, progress=print, workers: int | None = None, previous: Path | None = None):
    """Write the report's files into ``folder`` (which exists and is empty); figures are
    drawn in ``workers`` processes (default: one per CPU), or copied from the ``previous``
    report when they were drawn from the same inputs (:func:`inputs_digest`)."""
    import json
    workers = workers_default() if workers is None else workers
    digest = inputs_digest()
    kept = _kept_figures(previous, digest) if previous is not None else {}
    from .. import count
    from ..accuracy import alpha_text, chart_archs, sources_used
    from ..spec import builtin_names, load
    from . import plots
    tables, figures = folder / "tables", folder / "figures"
    tables.mkdir()
    figures.mkdir()
    names = builtin_names()

    def figure_paths(stem):
        return [figures / f"{stem}.{fmt}" for fmt in FIGURE_FORMATS]

    # per-model tables
    index = []
    costings = {}
    for name in names:
        progress(f"report: {name}: per-layer tables")
        c = count(name)
        costings[name] = c
        frame = layer_frame(c)
        _write(tables, f"{name}.csv", render(frame, "csv"))
        _write(tables, f"{name}.md",
               render(frame, "markdown", title=c.describe(),
                      totals={c.params_label: c.totals.params, c.madds_label: c.totals.madds}))
        p = c.in_convention("pytorch").totals.params
        index.append(f"| {load(name).title} (`{name}`) | {c.totals.madds:,} | {c.totals.params:,} | "
                     f"{p:,} | [csv](tables/{name}.csv), [md](tables/{name}.md) |")

    # summary
    progress("report: summary table (paper and fvcore conventions)")
    summary = summary_frame()
    _write(tables, "summary.csv", render(summary, "csv"))
    summary_md = summary_markdown(summary)
    _write(tables, "summary.md", "**Every built-in at its paper configurations (1000 classes, "
                                 "TF rounding)**\n\n" + summary_md)

    # trade-off
    data = {m: plots.tradeoff_data(m) for m in ("madds", "params")}
    points = data["madds"]["points"]
    fronts = {"MAdds": data["madds"]["front"], "params": data["params"]["front"]}
    tradeoff = tradeoff_frame(points, fronts)
    _write(tables, "tradeoff.csv", render(tradeoff, "csv"))
    _write(tables, "tradeoff.md", render(tradeoff, "markdown", floatfmt="g",
                                         title="The trade-off charts' points"))
    # figures: drawn in parallel processes (matplotlib's layout and drawing are most of the
    # job's time), the slowest kinds started first; progress lines in this order
    shares = {name: plots.kind_shares(plots.layer_data(costings[name])) for name in names}
    tasks = [(f"tradeoff_{metric}", f"report: figure tradeoff_{metric} ({len(points)} models, "
              f"{len(data[metric]['front'])} on the Pareto front)",
              _draw_tradeoff, (data[metric], figure_paths(f"tradeoff_{metric}")))
             for metric in ("madds", "params")]
    tasks += [(f"layers_{name}", f"report: figure layers_{name}", _draw_layers,
               (name, figure_paths(f"layers_{name}"), f"{load(name).title} ({name})"))
              for name in names]
    tasks += [(f"sweep_{name}", f"report: figure sweep_{name}", _draw_sweep,
               (name, figure_paths(f"sweep_{name}"))) for name in names]
    from .latency_plots import MEASUREMENTS, report_section
    if MEASUREMENTS.is_file():
        tasks.append(("latency", "report: figure tradeoff_latency and latency_prediction "
                                 "(committed measurements)", _draw_latency,
                      (figure_paths("tradeoff_latency"), figure_paths("latency_prediction"))))
    results_of = {}

    def finished(stem, line, result, kept_=False):
        results_of[stem] = result
        progress(line + (" (inputs unchanged: kept)" if kept_ else ""))
        if stem.startswith("tradeoff_") and result:
            progress(f"report: {stem}: no free spot for {', '.join(result)}")

    drawn = []
    for stem, line, fn, args in tasks:
        paths = [p for arg in args if isinstance(arg, list) for p in arg]
        if stem in kept and all((previous / "figures" / p.name).is_file() for p in paths):
            for p in paths:
                shutil.copyfile(previous / "figures" / p.name, p)
            finished(stem, line, kept[stem], kept_=True)
        else:
            drawn.append((stem, line, fn, args))
    with _drawing(drawn, workers) as results:
        # while the figures are drawn: the conformance summary and the published latencies
        progress("report: conformance summary (every published cell)")
        conformance = conformance_section()
        progress("report: published latencies (Pixel 1 study)")
        from ..latency import published_latency_text
        published_latencies = published_latency_text("text")
        for stem, line, result in results():
            finished(stem, line, result)
    measured = results_of.get("latency")
    _write(figures, FIGURE_INPUTS, json.dumps({"digest": digest, "figures": results_of},
                                              indent=1, sort_keys=True) + "\n")

    # README
    sources = sources_used(points)
    out = ["# costmodel report", "",
           "Generated by `make report` (`costmodel report --out reports`) from the built-in "
           "architectures and the published record (`costmodel/published/`): no network, no "
           "model weights, no PyTorch. Every count is exact and names its convention:",
           "",
           "* `paper`: MAdds = multiply-accumulates of convolutions and fully connected layers "
           "(MACs); params = weights.",
           "* `fvcore`: fvcore 0.1.5's rules, computed analytically: the `paper` MACs plus batch "
           "norm (2 per element) and adaptive average pooling (its input size); params = every "
           "parameter (weights, biases, batch-norm γ and β), i.e. `sum(p.numel())`.",
           "",
           "Contents: [accuracy vs cost](#accuracy-vs-cost) · [summary](#summary) · "
           "[conformance](#conformance-summary) · [latency](#latency) · "
           "[per-layer cost](#per-layer-cost) · "
           "[width × resolution](#sweeps-over-width-and-resolution) · [tables](#tables)",
           "", "## Accuracy vs cost", "",
           f"Published ImageNet top-1 of {len(points)} models against their exact MAdds and "
           f"params ({', '.join(_title(a) for a in chart_archs())}). Top-1 from: "
           f"{'; '.join(sources)} (one point per model: where several sources give the same "
           f"model, the first of these). Hollow markers: the published figure, where the exact "
           f"count differs from it at its printed precision. Data: "
           f"[tables/tradeoff.csv](tables/tradeoff.csv).", "",
           "![Accuracy vs MAdds](figures/tradeoff_madds.png)", "",
           "![Accuracy vs params](figures/tradeoff_params.png)", "",
           "Pareto front (MAdds): " + ", ".join(
               f"{p.arch} {alpha_text(p.alpha)}/{p.resolution} ({p.top1:.1f}%, {p.madds / 1e6:.1f}M)"
               for p in fronts["MAdds"]) + ".", "",
           "SVG: [MAdds](figures/tradeoff_madds.svg), [params](figures/tradeoff_params.svg).",
           "", "## Summary", "",
           "Every built-in at its paper configurations: α = 1 at 224 and every α × resolution "
           "with a published top-1 or MAdds figure. 1000 classes, TF rounding; the top-1 is the "
           "published one (the trade-off chart's source). "
           "[CSV](tables/summary.csv).", "",
           summary_md.rstrip("\n"), "",
           "## Conformance summary", ""]
    out += conformance
    out += [""] + report_section(figure_paths, tables, progress, measured=measured,
                                 published_text=published_latencies)
    out += ["", "## Per-layer cost", "",
            "MAdds and params of every layer, colored by kind (`paper` convention, α = 1, 224×224, "
            "1000 classes), with each kind's share; the per-layer tables have shapes, weights, "
            "biases, norm params and each layer's formula.", ""]
    for name in names:
        pw = next((s for s in shares[name] if s["kind"] == "pointwise"), None)
        claim = (f" 1×1 (pointwise) convolutions: {pw['madds %']:.2f}% of the MAdds, "
                 f"{pw['params %']:.2f}% of the params." if pw else "")
        out += [f"### {load(name).title} (`{name}`)", "",
                f"Tables: [csv](tables/{name}.csv), [md](tables/{name}.md); figure: "
                f"[svg](figures/layers_{name}.svg).{claim}", "",
                f"![{name} per layer](figures/layers_{name}.png)", ""]
    out += ["## Sweeps over width and resolution", "",
            "Exact MAdds and params of each built-in over its family's published α × resolution "
            "grid (1000 classes, TF rounding, `paper` convention), the closed form's error "
            "(MAdds ≈ A·α²ρ² + B·αρ² + C·α + D, from the layers' exponents; `costmodel table` "
            "prints it), and the published configurations (dots; a red outline where a "
            "published MAdds figure differs from the exact count).", ""]
    for name in names:
        out += [f"### {load(name).title} (`{name}`)", "",
                f"![{name} over α × resolution](figures/sweep_{name}.png)", "",
                f"[svg](figures/sweep_{name}.svg)", ""]
    out += ["## Tables", "",
            "Per-layer tables at α = 1, 224×224, 1000 classes: MAdds and params in the `paper` "
            "convention; params also in the `pytorch` convention (`sum(p.numel())` of the model "
            "built from the spec).", "",
            "| model | MAdds (paper, MACs) | params (paper) | params (pytorch) | tables |",
            "|---|---:|---:|---:|---|"] + index
    out += ["", "Also: [summary.csv](tables/summary.csv), [summary.md](tables/summary.md), "
            "[tradeoff.csv](tables/tradeoff.csv), [tradeoff.md](tables/tradeoff.md).", ""]
    _write(folder, "README.md", "\n".join(out))


def _title(arch: str) -> str:
    from ..spec import load
    return load(arch).title


#: Files of the report folder written by the benchmarks (``benchmarks/zoo.py``), not by this
#: job: kept as they are when the report is replaced.
BENCHMARK_FILES = ("zoo.md",)


@contextlib.contextmanager
def _deferred_interrupt():
    """Hold back Ctrl-C (SIGINT) while the block runs; yields the list of those caught.

    Used for the report's folder swap: once the new report is complete, swapping it in
    and removing the old one is not interrupted half-way (no hidden ``.old`` folder), and
    a Ctrl-C that came during it does not report "aborted" for a report that is in place:
    the work was done, and the run ends normally, saying so."""
    caught: list = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)


def run(out: str | os.PathLike = "reports", progress=print, workers: int | None = None,
        redraw: bool = False) -> Path:
    """Build the report in a temporary folder, then replace ``out`` with it (figures drawn
    in ``workers`` processes, default one per CPU; those of a previous report in ``out``
    drawn from the same inputs are kept, unless ``redraw``)."""
    start = time.perf_counter()
    out = Path(out)
    parent = out.resolve().parent
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: is a file, not a report folder")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as e:
        raise UsageError(f"{out}: cannot write the report into {parent}: {e.strerror}") from None
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)            # mkdtemp's folder is private; the report is not
    try:
        build(tmp, progress, workers, previous=None if redraw or not out.is_dir() else out)
        for name in BENCHMARK_FILES:
            if (out / name).is_file():
                shutil.copy2(out / name, tmp / name)
        with _deferred_interrupt() as interrupted:     # the swap is all or nothing
            old = None
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
                old.rmdir()
                os.replace(out, old)
            os.replace(tmp, out)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if interrupted:
        progress("report: Ctrl-C came while the finished report was being put in place: "
                 "it is complete")
    n = sum(1 for p in out.rglob("*") if p.is_file())
    progress(f"report: wrote {n} files into {out}/ in {time.perf_counter() - start:.1f} s")
    return out
