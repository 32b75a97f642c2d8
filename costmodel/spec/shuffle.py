"""The ShuffleNet unit (Zhang et al., "ShuffleNet: An Extremely Efficient Convolutional Neural
Network for Mobile Devices", CVPR 2018, Figure 2 and Table 1) as a block of the spec language.

``shuffle_unit`` (Table 1's stage rows: output channels ``c``, ``n`` units, the first with
stride ``s``; groups ``g``)
    Each unit: a 1×1 group convolution to ``c/4`` bottleneck channels (+ BN + ReLU), a
    channel shuffle with ``g`` groups, a 3×3 depthwise convolution (+ BN, no ReLU) with the
    unit's stride, a 1×1 group convolution (+ BN).  With stride 1 the unit adds its input
    (Figure 2b); with stride 2 (Figure 2c) the shortcut is a 3×3 average pooling with stride 2
    of the unit's input, concatenated with the branch, whose last convolution therefore writes
    ``c − c_in`` channels.  A ReLU follows the add or the concatenation.
    ``first_grouped = false``: the first unit's first 1×1 convolution is not grouped ("we do
    not apply group convolution on the first pointwise layer [of Stage 2] because the number
    of input channels is relatively small").

Registered into :data:`costmodel.spec.blocks.BLOCKS` (``blocks.py`` imports this module).
"""

from __future__ import annotations

from ..errors import SpecError
from ..layers import Field, boolean, pair, positive_int, text

FIELDS = {
    "name": Field(None, text, "the block's name"),
    "c": Field(None, positive_int, "output channels of the stage"),
    "n": Field(1, positive_int, "how many units"),
    "s": Field(2, pair(positive_int), "stride of the first unit"),
    "g": Field(3, positive_int, "groups of the 1×1 convolutions and of the shuffle"),
    "k": Field(3, pair(positive_int), "depthwise kernel"),
    "first_grouped": Field(True, boolean, "whether the first unit's first 1×1 convolution is "
                                          "grouped (false in Stage 2)"),
}


def shuffle_unit(B: dict, name: str, repeat_index: int, cin: int) -> list[dict]:
    """One ShuffleNet unit (one of the row's ``n``); ``cin`` = input channels at α = 1."""
    first = repeat_index == 0
    stride = B["s"] if first else (1, 1)
    concat = stride != (1, 1)
    c, g = B["c"], B["g"]
    if c % 4:
        raise SpecError(f"the bottleneck is c/4 channels: c = {c} does not divide by 4", field="c")
    branch = c - cin if concat else c
    if branch < 1:
        raise SpecError(f"a stride-2 unit concatenates its {cin} input channels: c = {c} must "
                        f"be more than that", field="c")
    if not concat and cin != c:
        raise SpecError(f"a stride-1 unit adds its input: {cin} input channels, c = {c}",
                        field="c")
    layers = [{"type": "conv", "name": f"{name}.gconv1", "k": 1, "out": c // 4,
               "groups": g if (B["first_grouped"] or not first) else 1, "act": "relu"}]
    if g > 1:
        layers.append({"type": "shuffle", "name": f"{name}.shuffle", "groups": g})
    layers.append({"type": "dw", "name": f"{name}.dw", "k": list(B["k"]), "s": list(stride),
                   "act": "none"})
    layers.append({"type": "conv", "name": f"{name}.gconv2", "k": 1,
                   "out": ("−block", c) if concat else c, "groups": g,
                   "act": "none"})
    if concat:
        layers.append({"type": "pool", "name": f"{name}.shortcut", "fn": "avg", "k": 3,
                       "s": list(stride), "reads": "block"})
        layers.append({"type": "concat", "name": f"{name}.concat", "with": f"{name}.gconv2"})
    else:
        layers.append({"type": "add", "name": f"{name}.add"})
    layers.append({"type": "act", "name": f"{name}.relu", "fn": "relu"})
    return layers


BLOCK = {
    "doc": "ShuffleNet unit row: c, n, s (groups g)",
    "fields": FIELDS,
    "required": ("c",),
    "repeat": "n",
    "expand": shuffle_unit,
    "residual": False,           # the unit writes its own add or concatenation
}
