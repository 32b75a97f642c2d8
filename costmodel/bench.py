"""Measured latency on this machine: models timed in PyTorch, designed to resist noise.

Measurement design (shared, noisy machines):

* one intra-op thread by default, the process pinned to one CPU (``pin``) so the
  scheduler cannot migrate it mid-run;
* warm-up runs first (allocator, caches, lazy initialisation);
* *interleaved* repeats: each round runs every configuration once, in a freshly
  shuffled order, so a burst of load from another process spreads over all
  configurations instead of landing on one;
* each sample times enough back-to-back runs to last at least ``min_sample_s``
  (short models get more runs per sample, so timer resolution and one-off
  interruptions weigh less), and a configuration's latency is the *median* of
  its samples, its spread the 10th and 90th percentiles;
* ``passes`` > 1 repeats the whole measurement independently (after the first
  pass ends), so the noise ceiling (agreement of two passes) can be stated.

On CUDA each sample is timed with CUDA events after a synchronisation, in eager
mode or replaying a captured CUDA graph (``cuda_graphs``), which removes Python's
launch overhead.

torch is imported only when a function here runs.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from .errors import UsageError

DTYPES = ("float32", "float16", "bfloat16")


def _torch():
    from .torch_bridge import require_torch
    return require_torch()


def machine(device: str = "cpu", threads: int | None = None) -> dict:
    """The machine described: CPU model, cores, threads used, torch version, GPU if any."""
    torch = _torch()
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "threads": threads or torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(),
            "platform": platform.platform(), "device": device}
    if device == "cuda" and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
    return info


def check_device(device: str):
    torch = _torch()
    if device not in ("cpu", "cuda"):
        raise UsageError(f"unknown device {device!r}: use cpu or cuda")
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is available on this machine "
                         "(torch.cuda.is_available() is False)")


@dataclass
class Config:
    """One configuration to time: a MODEL at (α, resolution)."""

    model: str
    alpha: float = 1.0
    resolution: int = 224
    kwargs: dict | None = None
    module: object = field(default=None, repr=False)
    costing: object = field(default=None, repr=False)
    x: object = field(default=None, repr=False)
    run: object = field(default=None, repr=False)
    inner: int = 1
    samples: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.model} α={self.alpha:g} r={self.resolution}"


def prepare(cfg: Config, *, device="cpu", batch=1, dtype="float32", cuda_graphs=False):
    """Build (a spec) or load (a PyTorch model) ``cfg``'s module and its input."""
    torch = _torch()
    import costmodel
    from .torch_bridge import build_from_costing, is_model_ref, load_model
    if dtype not in DTYPES:
        raise UsageError(f"unknown dtype {dtype!r}: use one of {', '.join(DTYPES)}")
    if is_model_ref(cfg.model):
        module = load_model(cfg.model, cfg.kwargs)
        cfg.costing = costmodel.count(module, resolution=cfg.resolution)
        cfg.costing.name = cfg.model
    else:
        cfg.costing = costmodel.count(cfg.model, alpha=cfg.alpha, resolution=cfg.resolution)
        module = build_from_costing(cfg.costing)
    tdtype = getattr(torch, dtype)
    module = module.eval().to(device=device, dtype=tdtype)
    c = cfg.costing.plan.spec.input[0] if cfg.costing.model_params is None else 3
    x = torch.randn(batch, c, cfg.resolution, cfg.resolution, device=device, dtype=tdtype)
    cfg.module, cfg.x = module, x

    if device == "cuda" and cuda_graphs:
        with torch.inference_mode():
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(3):
                    module(x)
            torch.cuda.current_stream().wait_stream(s)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                module(x)
        cfg.run = g.replay
    else:
        def run():
            module(x)
        cfg.run = run
    return cfg


def _time_once(cfg: Config, device: str) -> float:
    """Seconds per run of one sample (``cfg.inner`` back-to-back runs)."""
    torch = _torch()
    if device == "cuda":
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(cfg.inner):
            cfg.run()
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / 1e3 / cfg.inner
    t = time.perf_counter()
    for _ in range(cfg.inner):
        cfg.run()
    return (time.perf_counter() - t) / cfg.inner


def _percentile(xs, q):
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@contextmanager
def threads_pinned(threads: int, pin: bool):
    """Inside: ``threads`` intra-op threads for torch and (``pin``) the process pinned to that
    many CPUs (the last ones); both restored on leaving."""
    torch = _torch()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads <= 0:
        raise UsageError(f"--threads must be a whole number > 0, got {threads!r}")
    before = torch.get_num_threads()
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    torch.set_num_threads(threads)
    try:
        if pin and affinity is not None and len(affinity) >= threads:
            os.sched_setaffinity(0, set(sorted(affinity)[-threads:]))
        yield
    finally:
        torch.set_num_threads(before)
        if affinity is not None:
            os.sched_setaffinity(0, affinity)


def measure(configs: list[Config], *, device="cpu", threads=1, batch=1, dtype="float32",
            warmup=5, repeats=15, min_sample_s=0.02, passes=1, cuda_graphs=False, pin=True,
            seed=0, progress=None) -> list[dict]:
    """Time every configuration; one row per configuration (medians of interleaved samples).

    Row: model, alpha, resolution, batch, threads, device, dtype, latency_ms (median of
    the samples of all passes: with 2 passes, the median of each pass averaged),
    p10_ms, p90_ms, samples, runs_per_sample, and with several passes pass1_ms,
    pass2_ms, ... (each pass's median).
    """
    check_device(device)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch <= 0:
        raise UsageError(f"--batch must be a whole number > 0, got {batch!r}")
    for name, v in (("--warmup", warmup), ("--repeats", repeats), ("--passes", passes)):
        if isinstance(v, bool) or not isinstance(v, int) or v < (0 if name == "--warmup" else 1):
            raise UsageError(f"{name} must be a whole number >= {0 if name == '--warmup' else 1}, "
                             f"got {v!r}")
    if cuda_graphs and device != "cuda":
        raise UsageError("--cuda-graphs needs --device cuda")
    with threads_pinned(threads, pin and device == "cpu"):
        return _measure(configs, device=device, threads=threads, batch=batch, dtype=dtype,
                        warmup=warmup, repeats=repeats, min_sample_s=min_sample_s, passes=passes,
                        cuda_graphs=cuda_graphs, seed=seed, progress=progress)


def _measure(configs, *, device, threads, batch, dtype, warmup, repeats, min_sample_s, passes,
             cuda_graphs, seed, progress):
    torch = _torch()
    rng = random.Random(seed)
    for i, cfg in enumerate(configs):
        if progress:
            progress(f"bench: building {i + 1}/{len(configs)} {cfg.label}")
        prepare(cfg, device=device, batch=batch, dtype=dtype, cuda_graphs=cuda_graphs)
    per_pass = []
    with torch.inference_mode():
        for cfg in configs:                          # warm up, then size each sample
            cfg.inner = 1
            for _ in range(warmup):
                cfg.run()
            t = min(_time_once(cfg, device) for _ in range(3))
            cfg.inner = max(1, int(min_sample_s / max(t, 1e-7)) + 1) if t < min_sample_s else 1
        for p in range(passes):
            for cfg in configs:
                cfg.samples = []
            for r in range(repeats):
                order = list(configs)
                rng.shuffle(order)
                for cfg in order:
                    cfg.samples.append(_time_once(cfg, device))
                if progress and (r + 1) % max(1, repeats // 5) == 0:
                    progress(f"bench: pass {p + 1}/{passes}, round {r + 1}/{repeats}")
            per_pass.append([list(cfg.samples) for cfg in configs])
    rows = []
    for i, cfg in enumerate(configs):
        medians = [statistics.median(per_pass[p][i]) * 1e3 for p in range(passes)]
        every = [s * 1e3 for p in range(passes) for s in per_pass[p][i]]
        row = {"model": cfg.model, "alpha": cfg.alpha, "resolution": cfg.resolution,
               "batch": batch, "threads": threads, "device": device, "dtype": dtype,
               "mode": "cuda-graphs" if cuda_graphs else "eager",
               "latency_ms": round(statistics.median(medians), 6),
               "p10_ms": round(_percentile(every, 0.1), 6),
               "p90_ms": round(_percentile(every, 0.9), 6),
               "samples": len(every), "runs_per_sample": cfg.inner,
               "madds": cfg.costing.totals.madds}
        if passes > 1:
            for p, m in enumerate(medians):
                row[f"pass{p + 1}_ms"] = round(m, 6)
        rows.append(row)
        cfg.module = cfg.x = cfg.run = None
    return rows


# --------------------------------------------------------------------------- per layer

def layer_group(record, child) -> str:
    """The by-type row a timed module belongs to (V1's Table 2 rows, plus batch norm and
    activations, which run as their own modules in PyTorch)."""
    name = type(child).__name__
    if name.startswith("BatchNorm"):
        return "batch norm"
    if name in ("ReLU", "ReLU6", "Hardswish", "Hardsigmoid", "Sigmoid"):
        return "activation"
    if name in ("AdaptiveAvgPool2d",):
        return "pooling"
    return record.group


def measure_layers(model: str, *, alpha=1.0, resolution=224, device="cpu", threads=1, batch=1,
                   dtype="float32", warmup=5, repeats=30, pin=True, kwargs=None,
                   progress=None) -> list[dict]:
    """Time every leaf module of MODEL (forward pre/post hooks), mapped to the engine's layers.

    One row per (engine layer, leaf module): layer, module, group (Conv 1×1, Conv DW 3×3,
    Conv 3×3, Fully Connected, batch norm, activation, ...), MACs of the engine layer (on
    its convolution or linear module), median ms over ``repeats`` forward passes; and one
    row ``(outside modules)``: the whole forward's median minus the leaf modules' sum
    (functional adds and multiplies, Python glue, the hooks' own cost).
    """
    check_device(device)
    with threads_pinned(threads, pin and device == "cpu"):
        return _measure_layers(model, alpha=alpha, resolution=resolution, device=device,
                               batch=batch, dtype=dtype, warmup=warmup, repeats=repeats,
                               kwargs=kwargs, progress=progress)


def _measure_layers(model, *, alpha, resolution, device, batch, dtype, warmup, repeats, kwargs,
                    progress):
    torch = _torch()
    cfg = prepare(Config(model, alpha, resolution, kwargs), device=device, batch=batch,
                  dtype=dtype)
    modules = dict(cfg.module.named_modules())
    records = {}
    for r in cfg.costing.layers:
        if getattr(r, "captured", None) is None:
            records[r.name] = r
        elif r.module and r.module not in records and r.module in modules and \
                next(modules[r.module].children(), None) is None:
            records[r.module] = r                 # a captured model: its leaf modules' first layer
    timed = []                                    # (layer record, path, module)
    for name, r in records.items():
        m = modules.get(name)
        if m is None:
            continue
        leaves = [(f"{name}.{p}" if p else name, c) for p, c in m.named_modules()
                  if not list(c.children())]
        for path, leaf in leaves:
            timed.append((r, path, leaf))
    starts, totals = {}, {path: [] for _, path, _ in timed}
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def pre(path):
        def hook(mod, args):
            sync()
            starts[path] = time.perf_counter()
        return hook

    def post(path):
        def hook(mod, args, out):
            sync()
            totals[path].append(time.perf_counter() - starts[path])
        return hook

    handles = []
    for _, path, leaf in timed:
        handles.append(leaf.register_forward_pre_hook(pre(path)))
        handles.append(leaf.register_forward_hook(post(path)))
    whole = []
    try:
        with torch.inference_mode():
            for _ in range(warmup):
                cfg.module(cfg.x)
            for v in totals.values():
                v.clear()
            for i in range(repeats):
                sync()
                t = time.perf_counter()
                cfg.module(cfg.x)
                sync()
                whole.append(time.perf_counter() - t)
                if progress and (i + 1) % max(1, repeats // 5) == 0:
                    progress(f"bench: per-layer forward {i + 1}/{repeats}")
    finally:
        for h in handles:
            h.remove()
    rows = []
    for r, path, leaf in timed:
        ts = totals[path]
        main = type(leaf).__name__ in ("Conv2d", "Linear")
        rows.append({"layer": r.name, "module": path, "type": type(leaf).__name__,
                     "group": layer_group(r, leaf) if type(leaf).__name__ not in ("Conv2d", "Linear")
                     else r.group,
                     "macs": r.facts["macs"] if main and r.type != "se" else 0,
                     "ms": round(statistics.median(ts) * 1e3, 6) if ts else 0.0})
    if any(r.type == "se" for r in records.values()):
        for row in rows:            # the SE's two 1×1 convolutions: its MACs, split evenly
            r = records[row["layer"]]
            if r.type == "se" and row["type"] == "Conv2d":
                row["macs"] = r.facts["macs"] // 2
                row["group"] = "Squeeze-Excite"
    inside = sum(row["ms"] for row in rows)
    rows.append({"layer": "(outside modules)", "module": "", "type": "",
                 "group": "outside modules", "macs": 0,
                 "ms": round(max(0.0, statistics.median(whole) * 1e3 - inside), 6)})
    return rows


def by_group(rows: list[dict]) -> list[dict]:
    """Per-layer timings summed by group, with shares of time (of the whole forward, and of
    the time inside timed modules) and of MACs."""
    groups: dict[str, dict] = {}
    for r in rows:
        g = groups.setdefault(r["group"], {"group": r["group"], "ms": 0.0, "macs": 0})
        g["ms"] += r["ms"]
        g["macs"] += r["macs"]
    total_ms = sum(g["ms"] for g in groups.values()) or 1.0
    inside_ms = sum(g["ms"] for g in groups.values() if g["group"] != "outside modules") or 1.0
    total_macs = sum(g["macs"] for g in groups.values()) or 1
    out = sorted(groups.values(), key=lambda g: -g["ms"])
    for g in out:
        g["ms"] = round(g["ms"], 6)
        g["time_pct"] = round(100 * g["ms"] / total_ms, 2)
        g["module_time_pct"] = (round(100 * g["ms"] / inside_ms, 2)
                                if g["group"] != "outside modules" else None)
        g["madds_pct"] = round(100 * g["macs"] / total_macs, 2)
    return out


def noise_ceiling(rows: list[dict]) -> dict:
    """Agreement of two independent passes: Spearman of their medians, and the median
    absolute difference relative to their mean (percent)."""
    from .latency import spearman
    a = [r["pass1_ms"] for r in rows]
    b = [r["pass2_ms"] for r in rows]
    rel = sorted(abs(x - y) / ((x + y) / 2) * 100 for x, y in zip(a, b))
    return {"spearman": spearman(a, b), "mdape": statistics.median(rel),
            "ratio_p10": _percentile([x / y for x, y in zip(a, b)], 0.1),
            "ratio_p90": _percentile([x / y for x, y in zip(a, b)], 0.9)}
