"""Property-based, with oracles independent of the engine (issue 10).

1. Random valid specs are built as PyTorch models (α = 1); every channel count, kernel,
   stride, group and squeeze written in the spec's text must appear in the built model at
   the layer's path (worked out here from the text alone), and torch's FlopCounterMode and
   sum(p.numel()) must equal the engine's counts of the spec.
2. Random PyTorch models written directly (not from specs: plain nn.Modules with
   convolutions of any padding, dilation and groups, batch norms, activations as modules
   and as functions, residual adds, SE-style multiplies, pooling and linear heads) are
   extracted, and their counts compared with FlopCounterMode and sum(p.numel()).

``make test`` runs a few hundred examples (with test_properties.py: 220 random specs and 60
random PyTorch models); ``make fuzz`` (``COSTMODEL_FUZZ=5``) five times as many: 1,100
random specs and 300 PyTorch models.
"""

from __future__ import annotations

import os
import warnings

import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import costmodel  # noqa: E402
from costmodel.errors import SpecError  # noqa: E402
from costmodel.torch_bridge import build_from_costing  # noqa: E402

warnings.filterwarnings("ignore")
FUZZ = int(os.environ.get("COSTMODEL_FUZZ", "1"))
ACTS = ["relu", "relu6", "hswish", "hsigmoid", "sigmoid", "none"]


def divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


def flop_counter(model, x) -> int:
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(x)
    return counter.get_total_flops()


# --------------------------------------------------------------------------- 1. specs

@st.composite
def named_specs(draw):
    """A random spec whose every layer is named, and what its text says each module is.

    ``expect`` lists (module path, attribute path, value) worked out from the text alone:
    the widths are tracked here from each layer's written ``out``/``c``/``exp``/``t``."""
    c = draw(st.integers(1, 6))
    res = draw(st.integers(8, 40))
    layers, expect = [], []
    spec = {"name": "fuzz", "input": {"channels": c, "resolution": res}, "layers": layers}

    def conv_expect(path, cin, cout, k, s, g, d=1):
        expect.extend([(path, "0.in_channels", cin), (path, "0.out_channels", cout),
                       (path, "0.kernel_size", (k, k)), (path, "0.stride", (s, s)),
                       (path, "0.groups", g), (path, "0.dilation", (d, d))])

    def unit(i, c, prefix=""):
        """One random entry named u<i>; returns the channels after it."""
        name = f"u{i}"
        path = prefix + name
        kind = draw(st.sampled_from(["conv", "grouped", "dw", "se", "bneck", "bottleneck",
                                     "bn", "act", "forward_named"]))
        k, s = draw(st.integers(1, 5)), draw(st.integers(1, 2))
        if kind in ("conv", "forward_named"):
            out = draw(st.integers(1, 24))
            if kind == "forward_named":           # names that are module attributes elsewhere
                name = draw(st.sampled_from(["forward", "steps", "training", "eval"]))
                path = prefix + name
            layers_of.append({"type": "conv", "name": name, "k": k, "s": s, "out": out,
                              "bias": draw(st.booleans()), "act": draw(st.sampled_from(ACTS))})
            conv_expect(path, c, out, k, s, 1)
            return out
        if kind == "grouped":
            g = draw(st.sampled_from(divisors(c)))
            out = g * draw(st.integers(1, 4))
            layers_of.append({"type": "conv", "name": name, "k": k, "s": s, "out": out,
                              "groups": g})
            conv_expect(path, c, out, k, s, g)
            return out
        if kind == "dw":
            m, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
            layers_of.append({"type": "dw", "name": name, "k": k, "s": s, "multiplier": m,
                              "dilation": d})
            conv_expect(path, c, c * m, k, s, c, d)
            return c * m
        if kind == "se":
            sq = draw(st.one_of(st.none(), st.integers(1, 12)))
            entry = {"type": "se", "name": name}
            if sq is not None:
                entry["squeeze"] = sq
                expect.extend([(path, "fc1.out_channels", sq), (path, "fc2.in_channels", sq)])
            expect.append((path, "fc1.in_channels", c))
            layers_of.append(entry)
            return c
        if kind == "bneck":
            out = draw(st.integers(1, 24))
            exp = draw(st.integers(max(c, 1), 4 * c + 8))
            kernel = draw(st.sampled_from([3, 5]))
            se = draw(st.booleans())
            layers_of.append({"type": "bneck", "name": name, "kernel": kernel, "exp": exp,
                              "out": out, "se": se, "nl": draw(st.sampled_from(["RE", "HS"])),
                              "s": s})
            if exp != c:
                conv_expect(f"{path}.expand", c, exp, 1, 1, 1)
            conv_expect(f"{path}.dw", exp, exp, kernel, s, exp)
            conv_expect(f"{path}.project", exp, out, 1, 1, 1)
            expect.append((path, "se" if se else "!se", True))
            return out
        if kind == "bottleneck":
            out, t, n = draw(st.integers(1, 24)), draw(st.sampled_from([1, 2, 6])), draw(st.integers(1, 2))
            layers_of.append({"type": "bottleneck", "name": name, "t": t, "c": out, "n": n, "s": s})
            cin = c
            for r in range(n):
                p = path if n == 1 else f"{path}_{r}"
                e = t * cin
                if t != 1:
                    conv_expect(f"{p}.expand", cin, e, 1, 1, 1)
                conv_expect(f"{p}.dw", e, e, 3, s if r == 0 else 1, e)
                conv_expect(f"{p}.project", e, out, 1, 1, 1)
                cin = out
            return out
        if kind == "bn":
            layers_of.append({"type": "bn", "name": name})
            expect.append((path, "num_features", c))
            return c
        layers_of.append({"type": "act", "name": name, "fn": draw(st.sampled_from(ACTS[:-1])),
                          "call": "module"})
        return c

    layers_of = layers
    for i in range(draw(st.integers(1, 5))):
        if draw(st.integers(0, 4)) == 0:                  # a residual group around a unit
            group = f"r{i}"
            inner: list = []
            layers.append({"residual": True, "name": group, "layers": inner})
            layers_of = inner
            mid = draw(st.integers(1, 12))
            inner.append({"type": "conv", "name": "a", "k": 1, "out": mid})
            conv_expect(f"{group}.a", c, mid, 1, 1, 1)
            inner.append({"type": "conv", "name": "b", "k": 3, "out": c, "act": "none"})
            conv_expect(f"{group}.b", mid, c, 3, 1, 1)
            layers_of = layers
        else:
            c = unit(i, c)
    layers.append({"type": "avgpool", "name": "pool"})
    out = draw(st.integers(1, 12))
    layers.append({"type": "fc", "name": "head", "out": out})
    expect.extend([("head", "linear.in_features", c), ("head", "linear.out_features", out)])
    return spec, expect


def _attr(module, dotted: str):
    for part in dotted.split("."):
        module = module[int(part)] if part.isdigit() else getattr(module, part)
    return module


def _module_at(model, spec_path: str):
    """The module built for a spec path (through ``costmodel_paths`` where it was renamed)."""
    back = getattr(model, "costmodel_paths", {})
    built = next((b for b, p in back.items() if p == spec_path), spec_path)
    return model.get_submodule(built)


def _valid(spec):
    try:
        return costmodel.count(spec)
    except SpecError:               # a kernel larger than what is left of a small input
        assume(False)


@settings(max_examples=100 * FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(named_specs())
def test_built_model_is_the_spec_text_and_flopcountermode_agrees(case):
    spec, expect = case
    c = _valid(spec)
    model = build_from_costing(c)
    for path, attr, value in expect:
        m = _module_at(model, path)
        if attr in ("se", "!se"):
            assert hasattr(m, "se") == (attr == "se"), path
            continue
        assert _attr(m, attr) == value, (path, attr, _attr(m, attr), value)
    x = torch.zeros(1, spec["input"]["channels"], spec["input"]["resolution"],
                    spec["input"]["resolution"])
    assert flop_counter(model, x) == c.in_convention("flopcountermode").totals.madds
    assert sum(p.numel() for p in model.parameters()) == c.in_convention("pytorch").totals.params


# --------------------------------------------------------------------------- 2. PyTorch models

class Step(nn.Module):
    """One random operation: a module, a function, or a block with a residual/SE path."""

    def __init__(self, kind, body=None, fn=None):
        super().__init__()
        self.kind = kind
        if body is not None:
            self.body = body
        self.fn = fn

    def forward(self, x):
        if self.kind == "module":
            return self.body(x)
        if self.kind == "function":
            return self.fn(x)
        if self.kind == "residual":
            return x + self.body(x)
        s = F.adaptive_avg_pool2d(x, 1)                  # "se": gate the input
        return x * torch.sigmoid(self.body(s))


class RandomNet(nn.Module):
    def __init__(self, steps, head):
        super().__init__()
        self.steps = nn.ModuleList(steps)
        self.head = head

    def forward(self, x):
        for s in self.steps:
            x = s(x)
        return self.head(torch.flatten(x, 1))


ACT_MODULES = [nn.ReLU, nn.ReLU6, nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid]
ACT_FUNCTIONS = [F.relu, F.relu6, F.hardswish, F.hardsigmoid, torch.sigmoid]


@st.composite
def pytorch_models(draw):
    """A random nn.Module, its input channels and resolution (sizes tracked so they stay ≥ 1)."""
    c0 = c = draw(st.integers(1, 6))
    res = size = draw(st.integers(6, 40))
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["conv", "bn", "act", "fact", "residual", "se"]))
        if kind == "conv":
            g = draw(st.sampled_from(divisors(c)))
            out = g * draw(st.integers(1, 4))
            k, s = draw(st.integers(1, 5)), draw(st.integers(1, 2))
            d, p = draw(st.integers(1, 2)), draw(st.integers(0, 3))
            new = (size + 2 * p - d * (k - 1) - 1) // s + 1
            if new < 1:
                continue
            steps.append(Step("module", nn.Conv2d(c, out, k, s, p, d, groups=g,
                                                  bias=draw(st.booleans()))))
            c, size = out, new
        elif kind == "bn":
            steps.append(Step("module", nn.BatchNorm2d(c)))
        elif kind == "act":
            steps.append(Step("module", draw(st.sampled_from(ACT_MODULES))()))
        elif kind == "fact":
            steps.append(Step("function", fn=draw(st.sampled_from(ACT_FUNCTIONS))))
        elif kind == "residual":
            mid = draw(st.integers(1, 8))
            steps.append(Step("residual", nn.Sequential(
                nn.Conv2d(c, mid, 1), draw(st.sampled_from(ACT_MODULES))(),
                nn.Conv2d(mid, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))))
        else:
            sq = draw(st.integers(1, 8))
            steps.append(Step("se", nn.Sequential(nn.Conv2d(c, sq, 1), nn.ReLU(),
                                                  nn.Conv2d(sq, c, 1))))
    steps.append(Step("function", fn=lambda x: F.adaptive_avg_pool2d(x, 1)))
    head = nn.Linear(c, draw(st.integers(1, 10)), bias=draw(st.booleans()))
    return RandomNet(steps, head).eval(), c0, res


@settings(max_examples=60 * FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pytorch_models())
def test_random_pytorch_models_against_flopcountermode(case):
    model, channels, res = case
    e = costmodel.count(model, resolution=res, channels=channels)
    assert e.unsupported == {}
    x = torch.zeros(1, channels, res, res)
    assert e.in_convention("flopcountermode").totals.madds == flop_counter(model, x)
    numel = sum(p.numel() for p in model.parameters())
    assert e.in_convention("pytorch").totals.params == numel == e.model_params
