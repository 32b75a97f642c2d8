"""Property-based: random MobileNet-style models, counted by the engine and by fvcore.

Random specs (kernels 1–7, strides 1–2, groups, depthwise multipliers, SE, residual
groups, V2 and V3 blocks, every activation, odd resolutions) are built as PyTorch
models; fvcore's count of every module, and sum(p.numel()), must equal the engine's.
``test_fuzz.py`` adds two more oracles (the spec's own text, torch's FlopCounterMode)
and random PyTorch models written directly.

``make test`` runs a few hundred examples; ``make fuzz`` sets ``COSTMODEL_FUZZ=5`` and
runs five times as many (over a thousand random specs in all).
"""

import os
import warnings

import pytest

pytest.importorskip("torch")
pytest.importorskip("fvcore")

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import costmodel  # noqa: E402
from costmodel.crosscheck import crosscheck  # noqa: E402
from costmodel.errors import SpecError  # noqa: E402
from costmodel.torch_bridge import build_from_costing  # noqa: E402

warnings.filterwarnings("ignore")

ACTS = ["relu", "relu6", "hswish", "hsigmoid", "sigmoid", "none"]
#: ``make fuzz`` multiplies every property test's examples by this
FUZZ = int(os.environ.get("COSTMODEL_FUZZ", "1"))


def divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def specs(draw):
    c = draw(st.integers(1, 6))
    res = draw(st.integers(7, 48))
    spec = {"name": "random", "input": {"channels": c, "resolution": res}, "layers": []}
    layers = spec["layers"]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["conv", "grouped", "dw", "se", "residual", "bneck",
                                     "bottleneck", "bn", "act"]))
        k = draw(st.integers(1, 7))
        s = draw(st.integers(1, 2))
        if kind == "conv":
            out = draw(st.integers(1, 24))
            layers.append({"type": "conv", "k": k, "s": s, "out": out, "bias": draw(st.booleans()),
                           "norm": draw(st.sampled_from(["bn", "none"])),
                           "act": draw(st.sampled_from(ACTS))})
            c = out
        elif kind == "grouped":
            g = draw(st.sampled_from(divisors(c)))
            out = g * draw(st.integers(1, 4))
            layers.append({"type": "conv", "k": k, "s": s, "out": out, "groups": g,
                           "act": draw(st.sampled_from(ACTS))})
            c = out
        elif kind == "dw":
            m = draw(st.integers(1, 2))
            layers.append({"type": "dw", "k": k, "s": s, "multiplier": m,
                           "dilation": draw(st.integers(1, 2)), "act": draw(st.sampled_from(ACTS))})
            c *= m
        elif kind == "se":
            layers.append({"type": "se", "act": draw(st.sampled_from(ACTS[:-1])),
                           "gate": draw(st.sampled_from(["hsigmoid", "sigmoid"]))})
        elif kind == "residual":
            k_odd = draw(st.sampled_from([1, 3, 5, 7]))
            layers.append({"residual": True, "layers": [
                {"type": "conv", "k": k_odd, "out": draw(st.integers(1, 16))},
                {"type": "conv", "k": 1, "out": c, "act": "none"}]})
        elif kind == "bneck":
            out = draw(st.sampled_from([c, draw(st.integers(1, 24))]))
            layers.append({"type": "bneck", "kernel": draw(st.sampled_from([3, 5, 7])),
                           "exp": draw(st.integers(c, 4 * c + 8)), "out": out,
                           "se": draw(st.booleans()), "nl": draw(st.sampled_from(["RE", "HS"])),
                           "s": s})
            c = out
        elif kind == "bottleneck":
            out = draw(st.integers(1, 24))
            layers.append({"type": "bottleneck", "t": draw(st.sampled_from([1, 2, 6])), "c": out,
                           "n": draw(st.integers(1, 2)), "s": s})
            c = out
        elif kind == "bn":
            layers.append({"type": "bn"})
        else:
            layers.append({"type": "act", "fn": draw(st.sampled_from(ACTS[:-1])),
                           "call": draw(st.sampled_from(["module", "function"]))})
    layers.append({"type": "avgpool", "call": draw(st.sampled_from(["module", "function"]))})
    layers.append({"type": "fc", "out": draw(st.integers(1, 12)), "act": draw(st.sampled_from(ACTS))})
    return spec


def valid(spec):
    """Random specs may have a kernel larger than what is left of a small input: those are
    rejected with a SpecError (tested elsewhere); here they are not examples."""
    try:
        costmodel.count(spec)
    except SpecError:
        assume(False)


@settings(max_examples=80 * FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_random_models_agree_with_fvcore(spec):
    valid(spec)
    cc = crosscheck(spec)
    assert cc.agrees, (cc.mismatches, cc.engine_total, cc.fvcore_total, cc.engine_params, cc.model_params)


@settings(max_examples=40 * FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_extracting_a_built_model_gives_back_its_costs(spec):
    valid(spec)
    c = costmodel.count(spec)
    model = build_from_costing(c)
    e = costmodel.count(model, resolution=spec["input"]["resolution"],
                        channels=spec["input"]["channels"])
    assert e.unsupported == {}
    for conv in ("paper", "pytorch", "fvcore"):
        assert e.in_convention(conv).totals == c.in_convention(conv).totals
    assert e.in_convention("pytorch").totals.params == sum(p.numel() for p in model.parameters())
