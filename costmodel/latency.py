"""Latency: a roofline model with a per-operation overhead, over the engine's exact facts.

The model (read this first)
---------------------------
Every layer of a :class:`~costmodel.costing.Costing` becomes a :class:`LayerCost`
(the small interface the model needs): its compute *kind* (``conv``,
``depthwise``, ``fc`` or ``none``), its multiply-accumulates, the bytes its main
operation moves (weights + input + output, at a dtype), the bytes moved by the
element-wise passes that follow it when they are not fused (batch norm,
activation, pooling, the SE scale, residual adds), and its number of
operations (kernels a runtime launches).  A :class:`Profile` then says how fast
a device is::

    time(layer) = max(MACs / rate[kind], bytes / bandwidth)      # compute or memory
                  + extra_bytes / bandwidth                        # unfused element-wise passes
                  + ops · overhead                                 # per-operation fixed cost

and the model's time is the sum over layers.  The *bound* of a layer is the
largest of its three terms: ``compute``, ``memory`` or ``overhead``.

MobileNetV4's roofline (Qin et al. 2024: ModelTime = Σ max(MACs/PeakMACs,
bytes/PeakMemBW)) is the special case of one rate, no overhead and fused
element-wise work; its Table 16 ridge points (PeakMACs / PeakMemBW, MACs per
byte) are the ``mnv4-*`` presets.  Counting MACs alone is ridge point 0
(``macs-only``).

``fused=False`` (eager PyTorch) runs batch norm and each activation as their
own operations, each reading and writing the layer's output; ``fused=True``
(TFLite and other inference runtimes) folds them into the convolution.  Flatten
and dropout are free (a view; the identity at inference).

Calibration (:func:`calibrate`) fits the profile's non-negative parameters to
measured latencies by a robust (Huber-weighted) non-negative least squares on
relative errors, alternating with the assignment of each layer's bound.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .errors import UsageError
from .op_kinds import numel

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
#: The compute kinds a profile gives a MAC rate for.
COMPUTE_KINDS = ("conv", "depthwise", "fc")
BOUNDS = ("compute", "memory", "overhead")


# --------------------------------------------------------------------------- layers

@dataclass(frozen=True)
class LayerCost:
    """What the latency model needs of one layer (all integers, at one batch and dtype).

    ``kind``: the compute kind of its main operation (``conv``, ``depthwise``, ``fc``)
    or ``none`` (element-wise only); ``macs``: its multiply-accumulates; ``bytes``:
    bytes its main operation reads and writes (weights, input, output);
    ``extra_bytes``: bytes of the element-wise passes after it that run as their own
    operations; ``ops``: how many operations it runs.
    """

    name: str
    type: str
    kind: str
    macs: int
    bytes: int
    extra_bytes: int
    ops: int
    group: str = ""


def layer_costs(costing, *, dtype: str = "float32", batch: int = 1,
                fused: bool = False) -> list[LayerCost]:
    """Every layer of ``costing`` as a :class:`LayerCost`.

    Bytes (``d`` bytes per element, ``B`` the batch; activations scale with ``B``,
    parameters do not):

    * convolution, FC: main = d·(B·(in + out) + weights + biases); unfused, a batch
      norm adds d·(2·B·out + 4·C) (x, y and its four per-channel values) and one
      operation, an activation d·2·B·out and one operation; fused, both fold in;
    * batch norm, activation on their own: d·2·B·elements (+ 4·C for batch norm);
    * global pooling: d·B·(in + out); residual add, multiply: d·3·B·elements;
    * squeeze-excite: its two FC layers are the main operation (kind ``fc``); the
      pooling, the inner activation, the gate and the scale are element-wise
      (6 operations unfused, 4 fused: the activations fold into the FC layers).
    """
    if dtype not in DTYPE_BYTES:
        raise UsageError(f"unknown dtype {dtype!r}: use one of {', '.join(DTYPE_BYTES)}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch <= 0:
        raise UsageError(f"batch must be a whole number > 0, got {batch!r}")
    d, B = DTYPE_BYTES[dtype], batch
    out = []
    for r in costing.layers:
        f = r.facts
        L = r.layer or {}
        i_el, o_el = numel(r.input), numel(r.output)
        params = f["weights"] + f["biases"]
        kind, main, extra, ops, macs = "none", 0, 0, 0, f["macs"] * B
        captured = getattr(r, "captured", None)
        if captured is not None and r.type not in ("conv", "fc", "bn", "act", "avgpool", "add",
                                                   "mul"):
            kind, main, extra, ops, macs = _captured_cost(r, captured, B)
        elif r.type in ("conv", "dw", "fc"):
            kind = "depthwise" if r.kind == "depthwise" else ("fc" if r.type == "fc" else "conv")
            main, ops = B * (i_el + o_el) + params, 1
            nc = f["norm_channels"]
            act = L.get("act", "none") != "none"
            if fused:
                main += nc                           # batch norm folded into a bias
            else:
                if nc:
                    extra += 2 * B * o_el + 4 * nc
                    ops += 1
                if act:
                    extra += 2 * B * o_el
                    ops += 1
        elif r.type == "bn":
            extra, ops = 2 * B * i_el + 4 * f["norm_channels"], 1
        elif r.type == "act":
            if L.get("fn", "relu") != "none":
                extra, ops = 2 * B * i_el, 1
        elif r.type == "avgpool":
            extra, ops = B * (i_el + r.output[0]), 1
        elif r.type in ("add", "mul", "layer_scale"):
            extra, ops = 3 * B * i_el, 1
        elif r.type == "mqa":
            # Mobile MQA: its projections and QKᵀ, AV as convolution-rate work, its input,
            # output, weights and attention scores (h·Nq·Nk, written and read once) as traffic
            kind, macs = "conv", (f["macs"] + f["attention_macs"]) * B
            main, ops = B * (i_el + o_el + 2 * f["softmax"]) + params, 8
        elif r.type in ("pool", "shuffle", "concat"):   # local pooling and copies (ShuffleNet)
            extra, ops = B * (o_el + (o_el if r.type == "concat" else i_el)), 1   # read + write
        elif r.type == "se":
            c, s = r.input[0], r.mid
            kind = "fc"
            main = B * 2 * (c + s) + params           # fc1: c -> s, fc2: s -> c, on 1×1 maps
            extra = B * (i_el + c) + B * (2 * i_el + c)   # pool, scale
            if fused:
                ops = 4
            else:
                extra += B * (2 * s + 2 * c)            # inner activation, gate
                ops = 6
        # flatten, dropout: free
        out.append(LayerCost(name=r.name, type=r.type, kind=kind, macs=int(macs),
                             bytes=int(d * main), extra_bytes=int(d * extra), ops=int(ops),
                             group=r.group))
    return out


def _captured_cost(r, captured, B):
    """A captured layer of a kind the spec has not (``LayerCost`` fields but name and
    type, in elements): a matrix product or attention is an ``fc`` operation moving its
    activation inputs, output and parameters; any other layer with arithmetic is one
    element-wise operation reading its inputs and writing its output; a view is free."""
    f = r.facts
    ins = sum(numel(u.shape) for u in captured.inputs if u.storage is not None)
    outs = numel(captured.outputs[0].shape) if captured.outputs else 0
    params = f["weights"] + f["biases"] + f.get("other_params", 0) + f.get("norm_affine", 0)
    macs = (f["macs"] + f.get("matmul_macs", 0) + f.get("attention_macs", 0)) * B
    if r.type in ("matmul", "attention", "mha"):
        return "fc", B * (ins + outs) + params, 0, 1, macs
    if r.type in ("reshape", "flatten", "dropout", "uncalled") and (
            not captured.outputs or captured.outputs[0].storage in
            {u.storage for u in captured.inputs}):
        return "none", 0, 0, 0, macs
    return "none", 0, B * (ins + outs) + params, 1, macs


# --------------------------------------------------------------------------- profiles

@dataclass(frozen=True)
class Profile:
    """A device as the latency model sees it.

    ``mac_rate``: MACs per second per compute kind; ``bandwidth``: bytes per second
    (``inf``: no memory term); ``overhead``: seconds per operation; ``fused``: batch
    norm and activations folded into the convolutions; ``relative``: only a ridge
    point is known (times are then in units of a peak normalised to 1 GMAC/s).
    """

    name: str
    mac_rate: dict
    bandwidth: float
    overhead: float = 0.0
    fused: bool = False
    dtype: str = "float32"
    relative: bool = False
    source: str = ""
    notes: str = ""
    threads: int | None = None
    batch: int = 1
    device: str = ""

    @property
    def time_unit(self) -> str:
        return "ms (relative: peak = 1 GMAC/s)" if self.relative else "ms"

    @property
    def ridge_point(self) -> float:
        """MACs per byte where a dense convolution turns compute-bound."""
        return self.mac_rate["conv"] / self.bandwidth if self.bandwidth else math.inf

    def to_json(self) -> dict:
        return {"name": self.name,
                "gmacs_per_s": {k: round(v / 1e9, 6) for k, v in self.mac_rate.items()},
                "gbytes_per_s": None if math.isinf(self.bandwidth) else round(self.bandwidth / 1e9, 6),
                "overhead_us": round(self.overhead * 1e6, 6), "fused": self.fused,
                "dtype": self.dtype, "relative": self.relative, "threads": self.threads,
                "batch": self.batch, "device": self.device, "source": self.source,
                "notes": self.notes}

    def describe(self) -> str:
        rates = ", ".join(f"{k} {v / 1e9:.3g}" for k, v in self.mac_rate.items())
        bw = "∞" if math.isinf(self.bandwidth) else f"{self.bandwidth / 1e9:.3g}"
        return (f"profile {self.name}: GMAC/s {rates}; GB/s {bw}; overhead "
                f"{self.overhead * 1e6:.3g} µs/op; {'fused' if self.fused else 'unfused'}; "
                f"{self.dtype}" + (f"; source: {self.source}" if self.source else ""))


def _ridge_preset(name, rp, device, spearman):
    return Profile(
        name=name, mac_rate={k: 1e9 for k in COMPUTE_KINDS},
        bandwidth=1e9 / rp if rp else math.inf, fused=True, relative=True, device=device,
        source="Qin et al. 2024, MobileNetV4: Universal Models for the Mobile Ecosystem, Table 16 "
               f"(ridge point {rp} MACs/byte; Spearman with measured latency, roofline / MACs: "
               f"{spearman})",
        notes="Table 16 gives the ridge point (PeakMACs / PeakMemBW) only: times are relative "
              "(peak normalised to 1 GMAC/s). The data type of its bytes is not in our "
              "transcription (shared/reference/latency.md); --dtype sets it.")


#: Named profiles with their sources.
PRESETS: dict[str, Profile] = {
    p.name: p for p in (
        _ridge_preset("mnv4-pixel6-cpu", 31.2, "Pixel 6 CPU", "0.973 / 0.962"),
        _ridge_preset("mnv4-s23-cpu", 39.7, "Samsung S23 CPU", "0.962 / 0.940"),
        _ridge_preset("mnv4-pixel4-dsp", 347.3, "Pixel 4 DSP", "0.962 / 0.758"),
        _ridge_preset("mnv4-pixel8-edgetpu", 433.8, "Pixel 8 EdgeTPU", "0.973 / 0.857"),
        Profile(name="macs-only", mac_rate={k: 1e9 for k in COMPUTE_KINDS}, bandwidth=math.inf,
                fused=True, relative=True,
                source="MobileNetV4 (Qin et al. 2024), Section on the roofline model: counting "
                       "MACs alone is the ridge point 0",
                notes="time ∝ MACs (peak normalised to 1 GMAC/s)"),
    )
}
PRESET_DIR = Path(__file__).parent / "measurements"


def presets() -> dict[str, Profile]:
    """The named presets, and the profiles calibrated here (``measurements/*.profile.json``)."""
    out = dict(PRESETS)
    for p in sorted(PRESET_DIR.glob("*.profile.json")):
        prof = load_profile(p)
        out[prof.name] = prof
    return out


def _num(doc, key, where, *, allow_none=False):
    v = doc.get(key)
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or v != v:
        raise UsageError(f"{where}: field '{key}' must be a number >= 0, got {v!r}")
    return float(v)


def profile_from_json(doc: dict, where: str = "profile") -> Profile:
    """A profile from its JSON form (see :meth:`Profile.to_json`); errors name the field."""
    if not isinstance(doc, dict):
        raise UsageError(f"{where}: a profile is a JSON object")
    known = {"name", "gmacs_per_s", "gbytes_per_s", "overhead_us", "fused", "dtype", "relative",
             "threads", "batch", "device", "source", "notes", "fit"}
    for k in doc:
        if k not in known:
            raise UsageError(f"{where}: unknown field '{k}' (known: {', '.join(sorted(known))})")
    rates = doc.get("gmacs_per_s")
    if isinstance(rates, (int, float)) and not isinstance(rates, bool):
        rates = {k: rates for k in COMPUTE_KINDS}
    if not isinstance(rates, dict):
        raise UsageError(f"{where}: field 'gmacs_per_s' must be a number or "
                         f"{{{', '.join(COMPUTE_KINDS)}}}")
    mac_rate = {}
    for k in COMPUTE_KINDS:
        if k not in rates:
            raise UsageError(f"{where}: field 'gmacs_per_s' needs '{k}'")
        v = _num(rates, k, f"{where}: gmacs_per_s")
        if v <= 0:
            raise UsageError(f"{where}: field 'gmacs_per_s.{k}' must be > 0")
        mac_rate[k] = v * 1e9
    bw = _num(doc, "gbytes_per_s", where, allow_none=True)
    dtype = doc.get("dtype", "float32")
    if dtype not in DTYPE_BYTES:
        raise UsageError(f"{where}: field 'dtype' must be one of {', '.join(DTYPE_BYTES)}")
    for k in ("fused", "relative"):
        if not isinstance(doc.get(k, False), bool):
            raise UsageError(f"{where}: field '{k}' must be true or false")
    return Profile(name=str(doc.get("name") or Path(where).stem), mac_rate=mac_rate,
                   bandwidth=math.inf if not bw else bw * 1e9,
                   overhead=(_num(doc, "overhead_us", where, allow_none=True) or 0.0) * 1e-6,
                   fused=doc.get("fused", False), dtype=dtype, relative=doc.get("relative", False),
                   source=str(doc.get("source", "")), notes=str(doc.get("notes", "")),
                   threads=doc.get("threads"), batch=int(doc.get("batch") or 1),
                   device=str(doc.get("device", "")))


def load_profile(ref) -> Profile:
    """A preset name or a JSON file."""
    if isinstance(ref, Profile):
        return ref
    ref = str(ref)
    if ref in PRESETS:
        return PRESETS[ref]
    path = Path(ref)
    if not path.suffix == ".json":
        for name, p in presets().items():
            if name == ref:
                return p
        raise UsageError(f"unknown device profile {ref!r}: give a JSON file or a preset "
                         f"({', '.join(presets())})")
    if not path.is_file():
        raise UsageError(f"{ref}: no such profile file")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{ref}: not valid JSON ({e})") from None
    return profile_from_json(doc, ref)


# --------------------------------------------------------------------------- prediction

@dataclass
class LayerTime:
    """One layer's predicted time, split into its terms (seconds)."""

    cost: LayerCost
    compute: float
    memory: float
    elementwise: float
    overhead: float

    @property
    def main(self) -> float:
        return max(self.compute, self.memory)

    @property
    def time(self) -> float:
        return self.main + self.elementwise + self.overhead

    @property
    def bound(self) -> str:
        if self.time == 0:
            return "-"
        terms = {"compute": self.compute if self.compute >= self.memory else 0.0,
                 "memory": (self.memory if self.memory > self.compute else 0.0) + self.elementwise,
                 "overhead": self.overhead}
        return max(terms, key=terms.get)


def layer_times(costs: list[LayerCost], profile: Profile) -> list[LayerTime]:
    bw = profile.bandwidth
    out = []
    for c in costs:
        compute = c.macs / profile.mac_rate[c.kind] if c.kind in profile.mac_rate else 0.0
        out.append(LayerTime(cost=c, compute=compute,
                             memory=0.0 if math.isinf(bw) else c.bytes / bw,
                             elementwise=0.0 if math.isinf(bw) else c.extra_bytes / bw,
                             overhead=c.ops * profile.overhead))
    return out


@dataclass
class Latency:
    """A model's predicted latency on a profile: per layer and in total."""

    name: str
    describe: str
    profile: Profile
    layers: list[LayerTime]
    batch: int = 1

    @property
    def total_ms(self) -> float:
        return sum(t.time for t in self.layers) * 1e3

    def bound_shares(self) -> dict:
        out = {b: 0.0 for b in BOUNDS}
        for t in self.layers:
            if t.bound in out:
                out[t.bound] += t.time
        total = sum(out.values()) or 1.0
        return {b: 100 * v / total for b, v in out.items()}

    def frame(self):
        import pandas as pd
        rows = [{"name": t.cost.name, "kind": t.cost.kind, "MACs": t.cost.macs,
                 "bytes": t.cost.bytes + t.cost.extra_bytes, "ops": t.cost.ops,
                 "compute ms": t.compute * 1e3, "memory ms": (t.memory + t.elementwise) * 1e3,
                 "overhead ms": t.overhead * 1e3, "time ms": t.time * 1e3, "bound": t.bound}
                for t in self.layers]
        return pd.DataFrame(rows)

    def totals(self) -> dict:
        return {"MACs": sum(t.cost.macs for t in self.layers),
                "bytes": sum(t.cost.bytes + t.cost.extra_bytes for t in self.layers),
                "ops": sum(t.cost.ops for t in self.layers),
                f"time {self.profile.time_unit}": round(self.total_ms, 4)}

    def text(self, fmt: str = "text") -> str:
        from .report.tables import render
        shares = self.bound_shares()
        title = (f"{self.describe}, batch {self.batch}, {self.profile.dtype}\n"
                 f"{self.profile.describe()}")
        notes = ["time by bound: " + ", ".join(f"{b} {v:.1f}%" for b, v in shares.items()),
                 "time = max(MACs / rate[kind], bytes / bandwidth) + unfused element-wise "
                 "bytes / bandwidth + ops · overhead (per layer; MACs and bytes exact counts)"]
        meta = {"model": self.name, "profile": self.profile.to_json(), "batch": self.batch,
                "unit": self.profile.time_unit, "bound_shares_pct": shares}
        return render(self.frame(), fmt, title=title, totals=self.totals(), meta=meta,
                      notes=notes, key="layers", floatfmt=",.4f")


def predict(costing, profile, *, batch: int = 1, dtype: str | None = None) -> Latency:
    """The latency of a counted model on ``profile`` (a :class:`Profile`, preset name or file)."""
    profile = load_profile(profile)
    dtype = dtype or profile.dtype
    if dtype != profile.dtype:
        profile = replace(profile, dtype=dtype)
    costs = layer_costs(costing, dtype=dtype, batch=batch, fused=profile.fused)
    return Latency(name=costing.name, describe=costing.describe(), profile=profile,
                   layers=layer_times(costs, profile), batch=batch)


def predict_ms(costs: list[LayerCost], profile: Profile) -> float:
    return sum(t.time for t in layer_times(costs, profile)) * 1e3


# --------------------------------------------------------------------------- calibration

#: Parameter order of the fit: seconds per MAC of each compute kind, seconds per byte,
#: seconds per operation.
PARAMS = tuple(f"s_per_mac_{k}" for k in COMPUTE_KINDS) + ("s_per_byte", "s_per_op")


def _summaries(costs: list[LayerCost]):
    """Arrays over one model's layers: kind index, MACs, main bytes, extra bytes, ops."""
    kind = np.array([COMPUTE_KINDS.index(c.kind) if c.kind in COMPUTE_KINDS else -1
                     for c in costs])
    return (kind, np.array([c.macs for c in costs], dtype=float),
            np.array([c.bytes for c in costs], dtype=float),
            np.array([c.extra_bytes for c in costs], dtype=float),
            np.array([c.ops for c in costs], dtype=float))


def _features(summ, theta) -> np.ndarray:
    """One model's row of the linear system, given which bound each layer takes at ``theta``."""
    kind, macs, by, extra, ops = summ
    k = len(COMPUTE_KINDS)
    compute_t = np.where(kind >= 0, macs * theta[np.maximum(kind, 0)], 0.0)
    memory_t = by * theta[k]
    is_compute = compute_t >= memory_t
    row = np.zeros(k + 2)
    for j in range(k):
        row[j] = macs[(kind == j) & is_compute].sum()
    row[k] = by[~is_compute].sum() + extra.sum()
    row[k + 1] = ops.sum()
    return row


def nnls(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Non-negative least squares, exactly, by trying every support (few parameters)."""
    n = A.shape[1]
    best, best_err = np.zeros(n), float(b @ b)
    cols = [j for j in range(n) if A[:, j].any()]
    from itertools import combinations
    for size in range(1, len(cols) + 1):
        for sub in combinations(cols, size):
            x, *_ = np.linalg.lstsq(A[:, sub], b, rcond=None)
            if (x < 0).any():
                continue
            r = A[:, sub] @ x - b
            err = float(r @ r)
            if err < best_err - 1e-15 * max(1.0, best_err):
                best_err = err
                best = np.zeros(n)
                best[list(sub)] = x
    return best


def _robust_fit(X: np.ndarray, y: np.ndarray, iterations: int = 20) -> np.ndarray:
    """Non-negative fit of y ≈ X·θ minimising Huber-weighted *relative* errors (IRLS)."""
    scale = X.max(axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    w = np.ones(len(y))
    theta = np.zeros(X.shape[1])
    for _ in range(iterations):
        sw = np.sqrt(w) / y
        theta_s = nnls(Xs * sw[:, None], y * sw)
        rel = (Xs @ theta_s - y) / y
        mad = np.median(np.abs(rel - np.median(rel))) * 1.4826
        k = 1.345 * max(mad, 1e-3)
        new_w = np.where(np.abs(rel) <= k, 1.0, k / np.maximum(np.abs(rel), 1e-300))
        if np.allclose(new_w, w):
            w = new_w
            theta = theta_s / scale
            break
        w = new_w
        theta = theta_s / scale
    return theta


def fit_parameters(summaries: list, y_s: np.ndarray, *, iterations: int = 30) -> np.ndarray:
    """θ (see :data:`PARAMS`) ≥ 0 with Σ_layers max(...) + ... ≈ measured seconds ``y_s``.

    Alternates a robust linear fit (with every layer's bound fixed) and the bounds'
    re-assignment at the new θ, from two starts (every layer compute-bound; every
    layer memory-bound); keeps the θ with the smallest median relative error.
    """
    k = len(COMPUTE_KINDS)
    starts = [np.r_[np.ones(k), 0.0, 1.0], np.r_[np.zeros(k), 1.0, 1.0]]
    best, best_err = None, math.inf
    for theta in starts:
        theta = theta.astype(float)
        seen = set()
        for _ in range(iterations):
            X = np.array([_features(s, theta) for s in summaries])
            key = X.tobytes()
            if key in seen:
                break
            seen.add(key)
            theta = _robust_fit(X, y_s)
            pred = np.array([_features(s, theta) @ theta for s in summaries])
            err = float(np.median(np.abs(pred - y_s) / y_s))
            if err < best_err:
                best, best_err = theta.copy(), err
    return best


def profile_from_theta(theta, *, name: str, fused: bool = False, dtype: str = "float32",
                       **kw) -> Profile:
    k = len(COMPUTE_KINDS)
    rates = {kind: (1.0 / theta[j] if theta[j] > 0 else math.inf)
             for j, kind in enumerate(COMPUTE_KINDS)}
    # a kind that never binds (rate ∞) gets the fastest fitted rate: it costs nothing here
    finite = [v for v in rates.values() if not math.isinf(v)]
    for kind, v in rates.items():
        if math.isinf(v):
            rates[kind] = max(finite) if finite else 1e15
    return Profile(name=name, mac_rate=rates,
                   bandwidth=1.0 / theta[k] if theta[k] > 0 else math.inf,
                   overhead=float(theta[k + 1]), fused=fused, dtype=dtype, **kw)


def spearman(a, b) -> float:
    """Spearman's rank correlation (ties get their average rank)."""
    import pandas as pd
    ra = pd.Series(list(a)).rank().to_numpy()
    rb = pd.Series(list(b)).rank().to_numpy()
    if len(ra) < 2 or ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def median_ape(pred, meas) -> float:
    """Median absolute percentage error."""
    pred, meas = np.asarray(pred, float), np.asarray(meas, float)
    return float(np.median(np.abs(pred - meas) / meas) * 100)


@dataclass
class Measurement:
    """One measured configuration (a row of a calibration CSV)."""

    model: str
    resolution: int
    latency_ms: float
    alpha: float = 1.0
    batch: int = 1
    threads: int | None = None
    line: int = 0
    costs: list = field(default_factory=list, repr=False)
    macs: int = 0

    @property
    def label(self) -> str:
        return f"{self.model} α={self.alpha:g} r={self.resolution}"


def read_measurements(path) -> list[Measurement]:
    """Rows ``model,resolution,latency_ms`` (optional ``alpha``, ``batch``, ``threads``)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        cols = reader.fieldnames or []
        for need in ("model", "resolution", "latency_ms"):
            if need not in cols:
                raise UsageError(f"{path}: missing column '{need}' (need model, resolution, "
                                 f"latency_ms; optional alpha, batch, threads)")
        out = []
        for i, r in enumerate(reader, start=2):
            def num(key, kind, default=None, positive=True):
                v = (r.get(key) or "").strip()
                if not v:
                    if default is None and key in ("resolution", "latency_ms"):
                        raise UsageError(f"{path}: line {i}: field '{key}' is empty")
                    return default
                try:
                    x = kind(v)
                except ValueError:
                    raise UsageError(f"{path}: line {i}: field '{key}' is not a number: {v!r}") from None
                if positive and not x > 0:
                    raise UsageError(f"{path}: line {i}: field '{key}' must be > 0, got {v}")
                return x
            model = (r.get("model") or "").strip()
            if not model:
                raise UsageError(f"{path}: line {i}: field 'model' is empty")
            out.append(Measurement(model=model, resolution=num("resolution", int),
                                   latency_ms=num("latency_ms", float),
                                   alpha=num("alpha", float, 1.0), batch=num("batch", int, 1),
                                   threads=num("threads", int, None), line=i))
    if len(out) < 3:
        raise UsageError(f"{path}: need at least 3 measurements to calibrate, got {len(out)}")
    threads = {m.threads for m in out if m.threads is not None}
    if len(threads) > 1:
        raise UsageError(f"{path}: measurements at several thread counts ({sorted(threads)}): "
                         f"a profile is for one; calibrate each separately")
    return out


def attach_costs(ms: list[Measurement], *, dtype: str = "float32", fused: bool = False,
                 where: str = "") -> None:
    """Count every measured model (the engine, exactly) and keep its layer costs."""
    import costmodel
    from .errors import CostmodelError
    cache = {}
    for m in ms:
        key = (m.model, m.alpha, m.resolution, m.batch)
        if key not in cache:
            try:
                c = costmodel.count(m.model, alpha=m.alpha, resolution=m.resolution)
            except CostmodelError as e:
                raise UsageError(f"{where}: line {m.line}: {e}") from None
            cache[key] = (layer_costs(c, dtype=dtype, batch=m.batch, fused=fused), c.totals.madds)
        m.costs, m.macs = cache[key]


@dataclass
class Calibration:
    """A fitted profile and its cross-validated figures."""

    profile: Profile
    n: int
    folds: int
    cv: dict                 # "profile" / "madds": {"spearman": .., "mdape": ..}
    in_sample: dict
    rows: list               # (measurement, predicted ms out of fold, MAdds-alone ms out of fold)

    def text(self) -> str:
        p = self.profile
        lines = [f"calibrated on {self.n} measurements: {p.describe()}",
                 f"cross-validation ({self.folds}-fold, each measurement predicted by a fit "
                 f"without it):",
                 f"  profile:     Spearman {self.cv['profile']['spearman']:.3f}, median absolute "
                 f"error {self.cv['profile']['mdape']:.1f}%",
                 f"  MAdds alone: Spearman {self.cv['madds']['spearman']:.3f}, median absolute "
                 f"error {self.cv['madds']['mdape']:.1f}% (time = a·MAdds + b, fitted the same way)",
                 f"in sample: profile Spearman {self.in_sample['spearman']:.3f}, median absolute "
                 f"error {self.in_sample['mdape']:.1f}%"]
        return "\n".join(lines) + "\n"


def _fit_profile(ms, name, fused, dtype, **kw) -> Profile:
    theta = fit_parameters([_summaries(m.costs) for m in ms],
                           np.array([m.latency_ms / 1e3 for m in ms]))
    return profile_from_theta(theta, name=name, fused=fused, dtype=dtype, **kw)


def _fit_madds(ms):
    X = np.array([[m.macs, 1.0] for m in ms])
    return _robust_fit(X, np.array([m.latency_ms for m in ms]))


def fit_and_validate(train: list[Measurement], test: list[Measurement], *, name="calibrated",
                     fused=False, dtype="float32", **kw):
    """Fit on ``train``; predictions (profile, MAdds alone) for ``test`` in ms."""
    prof = _fit_profile(train, name, fused, dtype, **kw)
    ab = _fit_madds(train)
    return prof, [predict_ms(m.costs, prof) for m in test], [ab[0] * m.macs + ab[1] for m in test]


def calibrate(ms: list[Measurement], *, name: str = "calibrated", folds: int = 5,
              fused: bool = False, dtype: str = "float32", source: str = "",
              progress=None) -> Calibration:
    """Fit a profile to measurements and cross-validate it (``folds``-fold, interleaved)."""
    if not ms or not ms[0].costs:
        attach_costs(ms, dtype=dtype, fused=fused)
    n = len(ms)
    folds = max(2, min(folds, n))
    order = sorted(range(n), key=lambda i: ms[i].macs)
    pred = [0.0] * n
    pmadds = [0.0] * n
    for f in range(folds):
        test = [i for j, i in enumerate(order) if j % folds == f]
        train = [i for i in range(n) if i not in set(test)]
        if progress:
            progress(f"calibrate: fold {f + 1}/{folds} ({len(train)} to fit, {len(test)} to predict)")
        _, p, pm = fit_and_validate([ms[i] for i in train], [ms[i] for i in test],
                                    fused=fused, dtype=dtype)
        for i, a, b in zip(test, p, pm):
            pred[i], pmadds[i] = a, b
    meas = [m.latency_ms for m in ms]
    threads = next((m.threads for m in ms if m.threads is not None), None)
    batches = {m.batch for m in ms}
    prof = _fit_profile(ms, name, fused, dtype, source=source, threads=threads,
                        batch=batches.pop() if len(batches) == 1 else 1)
    full = [predict_ms(m.costs, prof) for m in ms]
    cv = {"profile": {"spearman": spearman(pred, meas), "mdape": median_ape(pred, meas)},
          "madds": {"spearman": spearman([m.macs for m in ms], meas),
                    "mdape": median_ape(pmadds, meas)}}
    return Calibration(profile=prof, n=n, folds=folds, cv=cv,
                       in_sample={"spearman": spearman(full, meas), "mdape": median_ape(full, meas)},
                       rows=list(zip(ms, pred, pmadds)))



# --------------------------------------------------------------------------- published latencies

#: The Pixel 1 float latencies used for the published-latency study, one per configuration:
#: the V3 paper's Table 9 (V3-Large and Small over α and resolution), TF-slim's V2 table (22
#: checkpoints), TF-slim's V3 table (the minimalistic models), the V2 paper's Table 4 (V1).
PIXEL1_TABLES = (("V3-paper", "Table 9", "final"), ("TF-slim-v2-v3", "MobileNetV2 table", "0ba83cf0"),
                 ("TF-slim-v2-v3", "MobileNetV3 table", "0ba83cf0"), ("V2-paper", "Table 4", "v4"))


def pixel1_measurements() -> list[Measurement]:
    """Published Pixel 1 (float, TF-Lite, one large core) latencies as measurements."""
    from .published import latencies
    seen, out = set(), []
    for want in PIXEL1_TABLES:
        for r in latencies():
            if (r.source, r.table, r.version) != want or not r.arch or r.device != "Pixel 1" \
                    or r.precision != "float":
                continue
            key = (r.arch, r.alpha, r.resolution)
            if key in seen:
                continue
            seen.add(key)
            out.append(Measurement(model=r.arch, resolution=r.resolution,
                                   latency_ms=float(r.latency_ms), alpha=r.alpha, line=r.line))
    return out


def split_thirds(ms: list[Measurement]):
    """Every third configuration (by MAdds, within each model) to fit, the rest to predict."""
    fit, rest = [], []
    by_model: dict = {}
    for m in ms:
        by_model.setdefault(m.model, []).append(m)
    for group in by_model.values():
        for j, m in enumerate(sorted(group, key=lambda m: (m.macs, m.alpha, m.resolution))):
            (fit if j % 3 == 1 else rest).append(m)
    return fit, rest


def holdout_study(ms: list[Measurement], *, fused: bool, name: str, dtype: str = "float32",
                  **kw) -> dict:
    """Calibrate on a third of ``ms``, predict the rest: Spearman and median absolute
    percentage error of the profile and of MAdds alone on the held-out rows."""
    if not ms[0].costs:
        attach_costs(ms, dtype=dtype, fused=fused)
    fit, rest = split_thirds(ms)
    prof, pred, pmadds = fit_and_validate(fit, rest, name=name, fused=fused, dtype=dtype, **kw)
    meas = [m.latency_ms for m in rest]
    return {"profile": prof, "fit": fit, "rest": rest, "predicted": pred, "madds_predicted": pmadds,
            "spearman": spearman(pred, meas), "mdape": median_ape(pred, meas),
            "madds_spearman": spearman([m.macs for m in rest], meas),
            "madds_mdape": median_ape(pmadds, meas)}


def published_latency_frame():
    """Every published latency, with the engine's MAdds (paper convention) where the model is
    a built-in configuration."""
    import pandas as pd
    import costmodel
    from .published import latencies
    rows = []
    for r in latencies():
        madds = ""
        if r.arch:
            madds = costmodel.count(r.arch, alpha=r.alpha or 1.0, resolution=r.resolution).totals.madds
        rows.append({"source": r.source, "table": r.table, "version": r.version, "model": r.label,
                     "device": r.device, "precision": r.precision, "published ms": r.latency_ms,
                     "MAdds (paper, MACs)": madds, "note": r.note})
    return pd.DataFrame(rows)


def published_latency_text(fmt: str = "text") -> str:
    """What ``costmodel check --latency`` prints: every published latency with its source,
    then the Pixel 1 study (a fused profile calibrated on a third, predicting the rest)."""
    from .report.tables import render
    study = holdout_study(pixel1_measurements(), fused=True, name="pixel1-fitted",
                          source="fitted to a third of the published Pixel 1 latencies")
    line = (f"Pixel 1 (float, TF-Lite, one large core; {len(study['fit']) + len(study['rest'])} "
            f"published configurations): a fused profile calibrated on {len(study['fit'])} predicts "
            f"the other {len(study['rest'])} with Spearman {study['spearman']:.3f} and median "
            f"absolute error {study['mdape']:.1f}%; MAdds alone (a·MAdds + b): Spearman "
            f"{study['madds_spearman']:.3f}, {study['madds_mdape']:.1f}%. "
            f"{study['profile'].describe()}")
    frame = published_latency_frame()
    title = (f"{len(frame)} published latencies (ms as printed; measured by their authors, listed "
             f"with their sources: a time cannot be reproduced by counting)")
    return render(frame, fmt, title=title, notes=[line], key="latencies",
                  meta={"pixel1_study": {k: study[k] for k in ("spearman", "mdape", "madds_spearman",
                                                               "madds_mdape")}})

__all__ = ["LayerCost", "Profile", "PRESETS", "layer_costs", "load_profile", "predict",
           "calibrate", "read_measurements", "spearman", "median_ape", "Latency"]
