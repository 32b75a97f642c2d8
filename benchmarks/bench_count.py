"""Speed of the analytic engine, measured side by side with fvcore in one run.

Goals (issue: the cost engine):
  * costmodel.count("mobilenet_v3_large", alpha=a, resolution=r) under 100 µs per call over
    fresh (α, resolution) pairs (the spec file is read once per process; nothing is cached
    per (α, resolution));
  * at least 1000× faster than fvcore counting the same model;
  * a sweep of 36 α × 15 resolutions × 4 architectures under 1 s.

Run: make bench   (or .venv/bin/python benchmarks/bench_count.py)
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import costmodel  # noqa: E402


def best_of(fn, repeats=5):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main():
    random.seed(0)
    arch = "mobilenet_v3_large"
    costmodel.count(arch)                      # read and compile the spec once
    pairs = [(round(random.uniform(0.2, 1.5), 4), random.randrange(96, 513)) for _ in range(2000)]
    assert len(set(pairs)) == len(pairs)

    def engine_calls():
        for a, r in pairs:
            costmodel.count(arch, alpha=a, resolution=r).totals.madds

    best, median = best_of(engine_calls)
    per_call = best / len(pairs)
    print(f"engine: count({arch!r}, alpha, resolution) over {len(pairs)} fresh pairs: "
          f"{per_call * 1e6:.1f} µs/call (median run {median / len(pairs) * 1e6:.1f} µs)  "
          f"goal < 100 µs: {'met' if per_call < 100e-6 else 'NOT met'}")

    alphas = [round(0.25 + 0.05 * i, 2) for i in range(36)]
    resolutions = list(range(96, 96 + 16 * 15, 16))
    archs = ["mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"]

    def sweep():
        for name in archs:
            for a in alphas:
                for r in resolutions:
                    costmodel.count(name, alpha=a, resolution=r).totals.madds

    for name in archs:
        costmodel.count(name)
    s_best, _ = best_of(sweep, repeats=3)
    n = len(archs) * len(alphas) * len(resolutions)
    print(f"engine: sweep of {len(alphas)} α × {len(resolutions)} resolutions × {len(archs)} "
          f"architectures ({n} counts): {s_best:.3f} s  goal < 1 s: {'met' if s_best < 1 else 'NOT met'}")

    try:
        import torch
        import torchvision
        from fvcore.nn import FlopCountAnalysis
    except ImportError:
        print("fvcore: not installed (pip install -e '.[torch]'); ratio not measured")
        return
    import warnings
    warnings.filterwarnings("ignore")
    from costmodel.torch_bridge import build
    torch.set_num_threads(1)
    sample = pairs[:10]

    def fvcore_seconds(make_model):
        times = []
        for a, r in sample:
            model = make_model(a, r)
            x = torch.zeros(1, 3, r, r)
            t = time.perf_counter()
            with torch.no_grad():
                f = FlopCountAnalysis(model, x)
                f.unsupported_ops_warnings(False)
                f.uncalled_modules_warnings(False)
                f.tracer_warnings("none")
                f.total()
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    def engine_seconds():
        """Per count over the same pairs: the best of 5 runs of 100 passes (single calls are
        too short to time one by one on a shared machine)."""
        def passes():
            for _ in range(100):
                for a, r in sample:
                    costmodel.count(arch, alpha=a, resolution=r, convention="fvcore").totals.madds
        best, _ = best_of(passes)
        return best / (100 * len(sample))

    e = engine_seconds()
    built = fvcore_seconds(lambda a, r: build(arch, alpha=a, resolution=r))
    tv = fvcore_seconds(lambda a, r: torchvision.models.mobilenet_v3_large(weights=None, width_mult=a).eval())
    print(f"same {len(sample)} (α, resolution) pairs, per count: engine {e * 1e6:.0f} µs; fvcore "
          f"(median of the pairs) on the spec built as a model {built * 1e3:.1f} ms; "
          f"fvcore on torchvision's {arch} {tv * 1e3:.1f} ms")
    for label, fv in (("spec built as a model", built), ("torchvision model", tv)):
        ratio = fv / e
        print(f"ratio: fvcore ({label}) / engine = {ratio:,.0f}×  goal ≥ 1000×: "
              f"{'met' if ratio >= 1000 else 'NOT met'}")


if __name__ == "__main__":
    main()
