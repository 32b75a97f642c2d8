"""MobileNetV4's blocks (Qin et al. 2024, §3.2–3.3 and the appendix tables), as spec rows.

``uib`` (the Universal Inverted Bottleneck; columns ``uib, dw1, dw2, exp, out, s``)
    an optional ``dw1 × dw1`` depthwise convolution (batch norm, no activation),
    a 1×1 expansion to ``exp`` channels, an optional ``dw2 × dw2`` depthwise
    convolution, a linear 1×1 projection to ``out``, (a layer scale when
    ``layer_scale``), and a residual add when ``s = 1`` and ``in = out``.  The
    stride sits on the second depthwise convolution when there is one, else on
    the first (timm's ``UniversalInvertedResidual``, TF's
    ``middle_dw_downsample``).  Its four instances are named by the optional
    ``uib`` column, which is checked against the kernels:

    ============  ======  ======
    ``uib``       dw1     dw2
    ============  ======  ======
    ExtraDW       k       k
    IB            0       k        (the MobileNetV2 block)
    ConvNext      k       0
    FFN           0       0
    ============  ======  ======

``fused_ib`` (columns ``k, exp, out, s``)
    a ``k × k`` convolution with stride ``s`` to ``exp`` channels, then a 1×1
    projection to ``out`` (linear unless ``project_act``), residual when the
    shapes allow.

``mobile_mqa`` (columns ``heads, key_dim, kv_stride``)
    one ``mqa`` layer (see ``costmodel/attention_kinds.py``), a layer scale when
    ``layer_scale``, and the residual add.

``exp`` is written as the expanded width, as the paper's tables print it; under
α it follows the rounded input (timm: ``make_divisible(in · exp/in)``).
"""

from __future__ import annotations

from ..errors import SpecError
from ..layers import Field, activation, boolean, nonneg_int, pair, positive_int, text, width
from .blocks import BLOCKS, COMMON

#: timm's and TF's expansion: make_divisible(rounded input × ratio, 8), for both policies
EXPANSION = {"tf": "input_ratio", "torchvision": "input_ratio"}
#: the UIB instances by which depthwise convolutions they have: (dw1, dw2) present
UIB_INSTANCES = {"extradw": (True, True), "ib": (False, True), "convnext": (True, False),
                 "ffn": (False, False)}


def _instance(v, field):
    name = text(v, field)
    if name.lower().replace("-", "").replace(" ", "") not in UIB_INSTANCES:
        raise SpecError(f"unknown UIB instance {name!r}: use ExtraDW, IB, ConvNext or FFN",
                        field=field)
    return name


def uib(B: dict, name: str, repeat_index: int, cin: int) -> list[dict]:
    """One Universal Inverted Bottleneck; ``cin`` = input channels at α = 1."""
    dw1, dw2 = B["dw1"], B["dw2"]
    stride = list(B["s"]) if repeat_index == 0 else [1, 1]
    if B["uib"] is not None:
        want = UIB_INSTANCES[B["uib"].lower().replace("-", "").replace(" ", "")]
        if want != (bool(dw1), bool(dw2)):
            article = "an" if B["uib"][0] in "AEIOUaeiou" else "a"
            raise SpecError(f"{article} {B['uib']} block has {'a' if want[0] else 'no'} first and "
                            f"{'a' if want[1] else 'no'} second depthwise convolution; this row "
                            f"gives dw1 = {dw1}, dw2 = {dw2}", layer=name, field="uib")
    if stride != [1, 1] and not (dw1 or dw2):
        raise SpecError("a strided UIB needs a depthwise convolution to carry the stride "
                        "(an FFN has none)", layer=name, field="s")
    layers = []
    if dw1:
        layers.append({"type": "dw", "name": f"{name}.dw_start", "k": dw1,
                       "s": [1, 1] if dw2 else stride, "norm": B["norm"], "act": "none"})
    layers.append({"type": "conv", "name": f"{name}.expand", "k": 1, "out": B["exp"],
                   "norm": B["norm"], "act": B["act"], "width": B["expansion_width"]})
    if dw2:
        layers.append({"type": "dw", "name": f"{name}.dw_mid", "k": dw2, "s": stride,
                       "norm": B["norm"], "act": B["act"]})
    layers.append({"type": "conv", "name": f"{name}.project", "k": 1, "out": B["out"],
                   "norm": B["norm"], "act": "none", "width": B["width"]})
    if B["layer_scale"]:
        layers.append({"type": "layer_scale", "name": f"{name}.layer_scale"})
    return layers


def fused_ib(B: dict, name: str, repeat_index: int, cin: int) -> list[dict]:
    """One fused inverted bottleneck: a k×k expansion convolution, a 1×1 projection."""
    stride = list(B["s"]) if repeat_index == 0 else [1, 1]
    return [{"type": "conv", "name": f"{name}.expand", "k": list(B["k"]), "s": stride,
             "out": B["exp"], "norm": B["norm"], "act": B["act"], "width": B["expansion_width"]},
            {"type": "conv", "name": f"{name}.project", "k": 1, "out": B["out"],
             "norm": B["norm"], "act": B["project_act"], "width": B["width"]}]


def mobile_mqa(B: dict, name: str, repeat_index: int, cin: int) -> list[dict]:
    """One Mobile MQA block: the attention layer, its layer scale, the residual."""
    layers = [{"type": "mqa", "name": f"{name}.attn", "heads": B["heads"],
               "key_dim": B["key_dim"], "value_dim": B["value_dim"] or B["key_dim"],
               "kv_stride": B["kv_stride"], "kv_k": B["kv_k"],
               "query_stride": B["query_stride"], "norm": B["norm"]}]
    if B["layer_scale"]:
        layers.append({"type": "layer_scale", "name": f"{name}.layer_scale"})
    return layers


_COMMON = {**COMMON, "n": Field(1, positive_int, "how many blocks (the first has the stride)")}
#: an expanding block's widths and stride
_EXPANSION_FIELDS = {
    "exp": Field(None, positive_int, "expanded width"),
    "out": Field(None, positive_int, "output channels"),
    "s": Field(1, pair(positive_int), "stride"),
    "expansion_width": Field(dict(EXPANSION), width, "how α sizes the expansion"),
}

BLOCKS["uib"] = {
    "doc": "MobileNetV4 Universal Inverted Bottleneck row: uib, dw1, dw2, exp, out, s",
    "fields": {**_COMMON,
               "uib": Field(None, _instance, "the instance: ExtraDW, IB, ConvNext or FFN "
                                             "(checked against dw1 and dw2)"),
               "dw1": Field(0, nonneg_int, "kernel of the depthwise conv before the expansion "
                                           "(0: none)"),
               "dw2": Field(0, nonneg_int, "kernel of the depthwise conv after the expansion "
                                           "(0: none)"),
               **_EXPANSION_FIELDS,
               "act": Field("relu", activation, "activation after the expansion and dw2"),
               "layer_scale": Field(False, boolean, "a layer scale before the residual")},
    "required": ("exp", "out"),
    "repeat": "n",
    "expand": uib,
}

BLOCKS["fused_ib"] = {
    "doc": "MobileNetV4 fused inverted bottleneck row: k, exp, out, s",
    "fields": {**_COMMON,
               "k": Field(3, pair(positive_int), "kernel of the expansion convolution"),
               **_EXPANSION_FIELDS,
               "act": Field("relu", activation, "activation after the expansion"),
               "project_act": Field("none", activation, "activation after the projection "
                                                        "(none: linear)")},
    "required": ("exp", "out"),
    "repeat": "n",
    "expand": fused_ib,
}

BLOCKS["mobile_mqa"] = {
    "doc": "MobileNetV4 Mobile MQA block row: heads, key_dim, kv_stride",
    "fields": {**{k: v for k, v in _COMMON.items() if k != "width"},   # out = in
               "heads": Field(4, positive_int, "query heads"),
               "key_dim": Field(64, positive_int, "key (and value) width per head"),
               "value_dim": Field(None, positive_int, "value width (default: key_dim)"),
               "kv_stride": Field(1, positive_int, "keys' and values' downsampling stride"),
               "kv_k": Field(3, positive_int, "kernel of that depthwise downsampling"),
               "query_stride": Field(1, positive_int, "queries' average-pool stride"),
               "layer_scale": Field(True, boolean, "a layer scale before the residual")},
    "required": (),
    "repeat": "n",
    "expand": mobile_mqa,
}
