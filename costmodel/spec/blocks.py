"""Blocks: spec shorthands that expand into several layers.

A block is written as one row, like the papers write it, and expands into the
layers the reference implementations build:

``bottleneck`` (MobileNetV2, Table 2 columns ``t, c, n, s``)
    ``n`` inverted residual blocks, the first with stride ``s``: a 1×1
    expansion to ``t·in`` channels (left out when ``t = 1``), a ``k×k``
    depthwise convolution, a linear 1×1 projection to ``c`` channels, and a
    residual add when the stride is 1 and ``in = c``.

``bneck`` (MobileNetV3, Tables 1 and 2 columns ``kernel, exp, out, se, nl, s``)
    one block: a 1×1 expansion to ``exp`` channels (left out when
    ``exp = in``), a ``kernel×kernel`` depthwise convolution with stride ``s``,
    squeeze-and-excitation when ``se``, a linear 1×1 projection to ``out``, and
    a residual add when ``s = 1`` and ``in = out``.  ``nl`` is the
    non-linearity (``RE`` = ReLU, ``HS`` = h-swish).

``mbconv`` (EfficientNet Table 1, MnasNet Figure 7: columns ``t, k, s, c, n, se``)
    ``n`` mobile inverted bottlenecks (MBConv), the first with stride ``s``: a
    1×1 expansion to ``t·in`` channels (left out when ``t = 1``), a ``k×k``
    depthwise convolution, squeeze-and-excitation when ``se > 0`` with a
    squeeze of ``max(1, int(se · in))`` channels (``in``: the block's input,
    as TF's ``input_filters * se_ratio`` and torchvision's ``input_channels // 4``),
    a linear 1×1 projection to ``c``, and a residual add when the stride is 1
    and ``in = c``.  ``act`` is the activation (EfficientNet: swish).

``shuffle_unit`` (ShuffleNet, Table 1 stage rows ``c, n, s`` with groups ``g``)
    in its own module, ``shuffle.py``.

A block type is a function ``expand(fields, name, repeat_index, cin) -> [layer entries]``
(``cin``: the input channels at α = 1) with its fields; register it in :data:`BLOCKS`.
"""

from __future__ import annotations

from ..layers import Field, activation, boolean, norm, pair, positive_int, ratio, text, width
from ..scaling import POLICIES

# How each reference implementation sizes an expansion layer (see scaling.py):
# TF-slim's expand_input_by_factor follows the rounded input; torchvision's
# MobileNetV2 uses int(round(inp * t)), its MobileNetV3 scales `exp` directly.
V2_EXPANSION = {"tf": "input_ratio", "torchvision": "input_round"}
V3_EXPANSION = {"tf": "input_ratio", "torchvision": "scaled"}

COMMON = {
    "name": Field(None, text, "the block's name"),
    "norm": Field("bn", norm, "normalisation after each convolution"),
    "residual": Field(True, boolean, "add the input when the shapes allow"),
    "width": Field({p: "scaled" for p in POLICIES}, width, "how α scales the output channels"),
}


def bottleneck(B: dict, name: str, repeat_index: int, cin: int) -> list[dict]:
    """One MobileNetV2 inverted residual block (one of the row's ``n``); ``cin`` = input
    channels at α = 1.  With an ``se`` ratio above 0 (``mbconv``), SE after the depthwise."""
    stride = B["s"] if repeat_index == 0 else (1, 1)
    layers = []
    if B["t"] != 1:
        layers.append({"type": "conv", "name": f"{name}.expand", "k": 1, "out": ("×in", B["t"]),
                       "norm": B["norm"], "act": B["act"], "width": B["expansion_width"]})
    layers.append({"type": "dw", "name": f"{name}.dw", "k": list(B["k"]), "s": list(stride),
                   "norm": B["norm"], "act": B["act"]})
    if B.get("se", 0) > 0:
        layers.append({"type": "se", "name": f"{name}.se", "block_ratio": B["se"],
                       "act": B["se_act"] or B["act"], "gate": B["se_gate"]})
    layers.append({"type": "conv", "name": f"{name}.project", "k": 1, "out": B["c"],
                   "norm": B["norm"], "act": "none", "width": B["width"]})
    return layers


def bneck(B: dict, name: str, repeat_index: int, cin: int) -> list[dict]:
    """One MobileNetV3 bottleneck (``bneck``) block; ``cin`` = input channels at α = 1."""
    layers = []
    act = B["nl"]
    if B["exp"] != cin:
        layers.append({"type": "conv", "name": f"{name}.expand", "k": 1, "out": B["exp"],
                       "norm": B["norm"], "act": act, "width": B["expansion_width"]})
    layers.append({"type": "dw", "name": f"{name}.dw", "k": list(B["kernel"]), "s": list(B["s"]),
                   "norm": B["norm"], "act": act})
    if B["se"]:
        layers.append({"type": "se", "name": f"{name}.se", "gate": B["se_gate"],
                       "act": B["se_act"]})
    layers.append({"type": "conv", "name": f"{name}.project", "k": 1, "out": B["out"],
                   "norm": B["norm"], "act": "none", "width": B["width"]})
    return layers


def _se_ratio(v, field):
    if v is False or v == 0:
        return 0.0
    return ratio(v, field)


BLOCKS = {
    "bottleneck": {
        "doc": "MobileNetV2 inverted residual row: t, c, n, s",
        "fields": {**COMMON,
                   "t": Field(None, ratio, "expansion factor t"),
                   "c": Field(None, positive_int, "output channels c"),
                   "n": Field(1, positive_int, "how many blocks"),
                   "s": Field(1, pair(positive_int), "stride of the first block"),
                   "k": Field(3, pair(positive_int), "depthwise kernel"),
                   "act": Field("relu6", activation, "activation after expansion and depthwise"),
                   "expansion_width": Field(dict(V2_EXPANSION), width,
                                            "how α sizes the expansion")},
        "required": ("t", "c"),
        "repeat": "n",
        "expand": bottleneck,
    },
    "bneck": {
        "doc": "MobileNetV3 bottleneck row: kernel, exp, out, se, nl, s",
        "fields": {**COMMON,
                   "kernel": Field(3, pair(positive_int), "depthwise kernel"),
                   "exp": Field(None, positive_int, "expansion size"),
                   "out": Field(None, positive_int, "output channels"),
                   "se": Field(False, boolean, "squeeze-and-excitation"),
                   "nl": Field("relu", activation, "non-linearity: RE (ReLU) or HS (h-swish)"),
                   "s": Field(1, pair(positive_int), "stride"),
                   "se_act": Field("relu", activation, "SE inner activation"),
                   "se_gate": Field("hsigmoid", activation, "SE gate"),
                   "expansion_width": Field(dict(V3_EXPANSION), width,
                                            "how α sizes the expansion")},
        "required": ("exp", "out"),
        "repeat": None,
        "expand": bneck,
    },
    "mbconv": {
        "doc": "MBConv row (EfficientNet, MnasNet): t, k, s, c, n, se",
        "fields": {**COMMON,
                   "t": Field(None, ratio, "expansion factor t (MBConv1, MBConv6)"),
                   "c": Field(None, positive_int, "output channels c"),
                   "n": Field(1, positive_int, "how many blocks (scaled by the spec's depth)"),
                   "deepen": Field(True, boolean, "false: n is not scaled by the spec's depth "
                                                  "(EfficientNet-Lite's first and last stages)"),
                   "s": Field(1, pair(positive_int), "stride of the first block"),
                   "k": Field(3, pair(positive_int), "depthwise kernel"),
                   "se": Field(0, _se_ratio, "squeeze-and-excitation ratio of the block's "
                                             "input channels (0: none)"),
                   "act": Field("relu", activation, "activation after expansion and depthwise"),
                   "se_act": Field(None, activation, "SE inner activation (default: act)"),
                   "se_gate": Field("sigmoid", activation, "SE gate"),
                   "expansion_width": Field({p: "input_ratio" for p in POLICIES}, width,
                                            "how α sizes the expansion (make_divisible(t·in, 8))")},
        "required": ("t", "c"),
        "repeat": "n",
        "expand": bottleneck,
    },
}

from .shuffle import BLOCK as _SHUFFLE_UNIT  # noqa: E402  (ShuffleNet's unit, its own module)

BLOCKS["shuffle_unit"] = _SHUFFLE_UNIT

# Block types kept in their own modules add themselves to BLOCKS on import.
from . import uib_blocks  # noqa: E402,F401  (uib, fused_ib, mobile_mqa: MobileNetV4)
