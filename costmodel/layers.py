"""Layer kinds: the shape rule, the per-layer facts and the formula of each.

Counting semantics (read this first)
------------------------------------
A layer is counted as *facts*: exact integers that say what the layer does,
never how some tool or paper chooses to count it.  For a layer with input
``(M, Hi, Wi)`` and output ``(N, Ho, Wo)``:

===================  ============================================================
fact                 meaning
===================  ============================================================
``weights``          multiplicative parameters: ``Kh·Kw·(M/g)·N`` for a
                     convolution with ``g`` groups, ``M·N`` for a fully
                     connected layer, ``2·C·S`` for squeeze-and-excitation
``biases``           additive parameters of convolutions and FC layers
``norm_channels``    channels of a batch norm (its γ and β are 2 per channel;
                     its running mean and variance 2 more)
``macs``             multiply-accumulates of convolutions and FC layers, one
                     per weight per output position, biases excluded:
                     ``Kh·Kw·(M/g)·N·Ho·Wo``
``bias_elements``    output elements that receive a bias add
``norm_elements``    elements a batch norm is applied to, ``C·H·W``
``relu`` ...         elements passed through each activation function
                     (``relu``, ``relu6``, ``hswish``, ``hsigmoid``, ``sigmoid``)
``pool_in``          input elements of global average pooling, ``C·H·W``
``pool_out``         its output elements, ``C``
``mul``              elements of an element-wise multiply (the SE scale)
``add``              elements of an element-wise add (the residual)
``fc_bias_elements`` the part of ``bias_elements`` in fully connected layers
``relu_module`` ...  the part of each activation's elements run by a module
                     (``nn.ReLU``, ``nn.ReLU6``, ``nn.Hardswish``,
                     ``nn.Hardsigmoid``, ``nn.Sigmoid``); the rest is called
                     as a function (``F.relu(x)`` in a parent's ``forward``)
``pool_in_module``   the part of ``pool_in`` (and ``pool_out``) pooled by an
``pool_out_module``  ``nn.AdaptiveAvgPool2d`` module; the rest by
                     ``F.adaptive_avg_pool2d``
===================  ============================================================

Counters that hook modules and patch functions see a module and a function
differently (ptflops counts an ``nn.ReLU`` twice, thop misses a functional
pool), so how an operation is called is a fact too: the ``*_module`` rows
say which part of an activation or pooling runs as a module.  Convolutions'
activations, SE's activation and gate and FC activations are modules; a
standalone ``act`` or ``avgpool`` layer says so in its ``call`` field; SE
pools with ``F.adaptive_avg_pool2d`` and multiplies with ``*`` (torchvision's
old ``_SqueezeExcitation``, and the model ``torch_bridge.build`` makes).

A *convention* (``conventions.py``) turns facts into the numbers a paper or a
tool prints; nothing here knows about conventions.  MAdds in the papers' sense
is ``macs`` of convolutions and FC layers.

Shapes follow PyTorch's convolution arithmetic:
``Ho = floor((Hi + 2·p − d·(k − 1) − 1) / s) + 1``.

Adding a layer kind
-------------------
Subclass :class:`Kind`, give it a spec ``type`` name and its ``fields``, a
``shape`` rule, a vectorised ``facts`` function (it receives numpy arrays, one
entry per layer of this kind) and a ``formula``; decorate it with
``@register``.  The spec language, the engine, the tables and the PyTorch
bridge pick it up from :data:`KINDS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .errors import SpecError
from .scaling import POLICIES, ROLES

#: Every fact, declared once with the operation category it belongs to (the reconcile
#: table's rows and the params rows derive from this list) and what it counts.  The
#: first block is what specs produce; the rest is what operator-level capture of a
#: real PyTorch model adds (``capture.py``): matmuls, attention, other norms, pools.
FACT_DECLS = (
    ("weights", "parameters", "multiplicative parameters of convolutions and linear layers"),
    ("biases", "parameters", "additive parameters of convolutions and linear layers"),
    ("norm_channels", "batch norm", "batch-norm channels (γ and β, 2 parameters each)"),
    ("macs", "convolution", "multiply-accumulates of convolutions and linear layers"),
    ("bias_elements", "convolution bias", "output elements that receive a bias add"),
    ("norm_elements", "batch norm", "elements an affine batch norm is applied to"),
    ("relu", "activation", "elements through ReLU"),
    ("relu6", "activation", "elements through ReLU6"),
    ("hswish", "activation", "elements through h-swish"),
    ("hsigmoid", "activation", "elements through h-sigmoid"),
    ("sigmoid", "activation", "elements through sigmoid"),
    ("pool_in", "global average pool", "input elements of adaptive average pooling (2-D)"),
    ("pool_out", "global average pool", "its output elements"),
    ("mul", "multiply", "elements of an element-wise multiply"),
    ("add", "add", "elements of an element-wise add"),
    ("fc_bias_elements", "linear bias", "the part of bias_elements in linear layers"),
    ("relu_module", "activation", "the part of relu run by an nn.ReLU module"),
    ("relu6_module", "activation", "the part of relu6 run by an nn.ReLU6 module"),
    ("hswish_module", "activation", "the part of hswish run by an nn.Hardswish module"),
    ("hsigmoid_module", "activation", "the part of hsigmoid run by an nn.Hardsigmoid module"),
    ("sigmoid_module", "activation", "the part of sigmoid run by an nn.Sigmoid module"),
    ("pool_in_module", "global average pool", "the part of pool_in pooled by a module"),
    ("pool_out_module", "global average pool", "the part of pool_out pooled by a module"),
    # ---- captured models
    ("matmul_macs", "matmul", "multiply-accumulates of matmul, bmm, einsum and a tensor @ "
                              "(outside attention calls)"),
    ("einsum_print_error", "matmul", "fvcore's count of an einsum minus its exact MACs: "
                                     "fvcore reads a general einsum's cost from numpy's "
                                     "einsum_path report, printed to 4 significant digits"),
    ("attention_macs", "attention", "QKᵀ and AV multiply-accumulates of scaled-dot-product "
                                    "attention calls (and of a multi-head attention's core)"),
    ("fused_macs", "fused attention", "every multiply-accumulate of an nn.MultiheadAttention call "
                                      "that takes PyTorch's fused fast path in eval mode "
                                      "(_native_multi_head_attention): projections and core"),
    ("softmax", "softmax", "elements through softmax (attention weights included)"),
    ("bn_plain_elements", "batch norm", "elements of a batch norm without affine parameters"),
    ("lnorm_elements", "layer/group/instance norm", "elements of layer, group and instance norms"),
    ("lnorm_affine_elements", "layer/group/instance norm", "the part of lnorm_elements with "
                                                           "affine parameters"),
    ("rmsnorm_elements", "RMS norm", "elements of RMS norms"),
    ("norm_affine", "parameters", "affine parameters of layer, group, instance and RMS norms"),
    ("other_params", "parameters", "parameters used by other operations (position embeddings, "
                                   "class tokens, layer scales, ...)"),
    ("uncalled_params", "parameters", "parameters of modules never called (auxiliary heads)"),
    ("act_other", "other activation", "elements through other activations (GELU, SiLU, tanh, ...)"),
    ("eltwise", "other element-wise", "elements of other element-wise arithmetic (sub, div, ...)"),
    ("reduce_in", "mean / sum", "input elements of mean and sum reductions (x.mean((2, 3)))"),
    ("pool_other_in", "other pooling", "input elements of max, windowed average and non-2-D "
                                       "adaptive pooling"),
    ("pool_other_out", "other pooling", "their output elements"),
    ("upsample_nearest_out", "upsample", "output elements of nearest interpolation"),
    ("upsample_linear_out", "upsample", "output elements of (bi)linear interpolation"),
    ("upsample_other_out", "upsample", "output elements of other interpolation (bicubic, ...)"),
    # ---- captured models: the parts that tell how the code was written (the peers' rules)
    ("fc_lead_macs", "linear over tokens", "the part of an nn.Linear module's MACs from the "
                                           "dimensions between the batch and the features "
                                           "(tokens, positions): prod(lead)·in·out − N·in·out"),
    ("fc_lead_bias", "linear over tokens", "the same part of its bias adds"),
    ("fc_function_macs", "linear as a function", "the part of macs of linear products no "
                                                 "nn.Linear module ran (F.linear with another "
                                                 "module's weights, attention's projections)"),
    ("fc_function_bias", "linear as a function", "their bias adds"),
    ("gelu", "other activation", "the part of act_other through GELU"),
    ("silu", "other activation", "the part of act_other through SiLU (swish)"),
    ("softmax_function", "softmax", "the part of softmax run as F.softmax (not a tensor's "
                                    ".softmax, not inside attention)"),
    ("mul_method", "torch.mul / torch.add", "the part of mul run as torch.mul or x.mul (not the "
                                            "* operator)"),
    ("add_method", "torch.mul / torch.add", "the part of add run as torch.add or x.add (not the "
                                            "+ operator)"),
    ("mean_out", "mean / sum", "output elements of mean reductions"),
    ("gelu_module", "other activation", "the part of gelu run by torch's own nn.GELU module"),
    ("ln_module", "layer/group/instance norm", "the part of lnorm_elements run by torch's own "
                                               "nn.LayerNorm module (exactly that class)"),
    ("ln_module_affine", "layer/group/instance norm", "the part of ln_module with affine "
                                                      "parameters"),
    ("gn_module", "layer/group/instance norm", "the part of lnorm_elements run by torch's own "
                                               "nn.GroupNorm module"),
    ("gn_module_affine", "layer/group/instance norm", "the part of gn_module with affine "
                                                      "parameters"),
    ("in_module", "layer/group/instance norm", "the part of lnorm_elements run by torch's own "
                                               "nn.InstanceNorm1d/2d/3d modules"),
    ("in_module_affine", "layer/group/instance norm", "the part of in_module with affine "
                                                      "parameters"),
    ("attention_module_core", "attention module", "QKᵀ and AV multiply-accumulates run inside an "
                                                  "attention module (timm's Attention), however "
                                                  "written (SDPA, @)"),
    ("attention_module_softmax", "attention module", "softmax elements inside such a module"),
    ("attention_module_query", "attention module", "elements of such a module's input (its query, "
                                                   "scaled once)"),
    ("attention_module_fc_macs", "attention module", "MACs of the nn.Linear modules inside such a "
                                                     "module (qkv, proj)"),
    ("attention_module_fc_bias", "attention module", "their bias adds"),
    ("attention_module_bias", "attention module", "bias adds of the projections an "
                                                  "nn.MultiheadAttention runs as functions: "
                                                  "N·L·3E with in-projection biases, and N·L·E "
                                                  "for its output projection"),
    ("matmul_method_macs", "matmul", "the part of matmul_macs run as torch.matmul, x.matmul, "
                                     "mm or bmm (not the @ operator, not einsum)"),
    ("avgpool_other_out", "other pooling", "the part of pool_other_out from average pooling "
                                           "(windowed, or adaptive 1-D / 3-D)"),
)
#: The fact rows, in order.  ``conventions.py`` reads them by name.
FACTS = tuple(name for name, _, _ in FACT_DECLS)
FACT_CATEGORY = {name: cat for name, cat, _ in FACT_DECLS}
FACT_DOC = {name: doc for name, _, doc in FACT_DECLS}
#: The facts that are parameters (every parameter of a model is in exactly one of them
#: under the ``pytorch`` convention: norm_channels counts 2 per channel).
PARAM_FACTS = ("weights", "biases", "norm_channels", "norm_affine", "other_params",
               "uncalled_params")
FACT_ROW = {name: i for i, name in enumerate(FACTS)}
ACTIVATIONS = ("relu", "relu6", "hswish", "hsigmoid", "sigmoid")
#: Row of each activation in the facts matrix; "none" goes to a scratch row, GELU (the
#: MobileNetV4 hybrids') to the captured models' "other activations" row.
ACT_ROW = {**{a: FACT_ROW[a] for a in ACTIVATIONS}, "gelu": FACT_ROW["act_other"],
           "none": len(FACTS)}
#: Row of each activation's module-called part; "none" (and a function call) -> scratch.
ACT_MODULE_ROW = {**{a: FACT_ROW[f"{a}_module"] for a in ACTIVATIONS}, "gelu": len(FACTS),
                  "none": len(FACTS)}
# Swish (SiLU, x·sigmoid(x): EfficientNet) is counted where a captured model's nn.SiLU is,
# with the other activations (no counter's convention counts it; no module row).
ACT_ROW["swish"] = FACT_ROW["act_other"]
ACT_MODULE_ROW["swish"] = len(FACTS)
ACT_ALIASES = {
    "relu": "relu", "re": "relu", "relu6": "relu6", "hswish": "hswish", "hs": "hswish",
    "h-swish": "hswish", "hardswish": "hswish", "hsigmoid": "hsigmoid",
    "h-sigmoid": "hsigmoid", "hardsigmoid": "hsigmoid", "sigmoid": "sigmoid", "gelu": "gelu",
    "none": "none", "linear": "none", "identity": "none",
    "swish": "swish", "silu": "swish",
}
NORMS = ("bn", "none")


# --------------------------------------------------------------------------- fields

@dataclass(frozen=True)
class Field:
    """One field a spec layer may set: its default and how its value is checked."""

    default: Any
    parse: Callable[[Any, str], Any]
    doc: str = ""


def _fail(field: str, msg: str):
    raise SpecError(msg, field=field)


def positive_int(v, field):
    if isinstance(v, bool) or not isinstance(v, int):
        _fail(field, f"must be a whole number, got {v!r}")
    if v <= 0:
        _fail(field, f"must be > 0, got {v}")
    return v


def nonneg_int(v, field):
    if isinstance(v, bool) or not isinstance(v, int):
        _fail(field, f"must be a whole number, got {v!r}")
    if v < 0:
        _fail(field, f"must be >= 0, got {v}")
    return v


def pair(check):
    def parse(v, field):
        if isinstance(v, (list, tuple)):
            if len(v) != 2:
                _fail(field, f"must be one number or two [height, width], got {v!r}")
            return (check(v[0], field), check(v[1], field))
        x = check(v, field)
        return (x, x)
    return parse


def padding(v, field):
    if isinstance(v, str):
        if v.lower() in ("same", "valid"):
            return v.lower()
        _fail(field, f"must be a number, [h, w], 'same' or 'valid', got {v!r}")
    return pair(nonneg_int)(v, field)


def boolean(v, field):
    if not isinstance(v, bool):
        _fail(field, f"must be true or false, got {v!r}")
    return v


def activation(v, field):
    if v is False or v is None:
        return "none"
    if not isinstance(v, str) or v.lower() not in ACT_ALIASES:
        _fail(field, f"unknown activation {v!r}: use one of relu, relu6, hswish, hsigmoid, sigmoid, "
                     f"gelu, swish, none")
    return ACT_ALIASES[v.lower()]


def norm(v, field):
    if v is True:
        return "bn"
    if v is False or v is None:
        return "none"
    if not isinstance(v, str) or v.lower() not in NORMS:
        _fail(field, f"unknown norm {v!r}: use 'bn' or 'none'")
    return v.lower()


def channels(v, field):
    if v == "classes":
        return v
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "×in":  # a block's expansion: t × input
        return v
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "−block":  # c − the block's input
        return v
    return positive_int(v, field)


#: ``groups`` of a depthwise convolution (``groups = "in"`` in a spec): as many groups as
#: input channels, whatever the input's width at α.
DEPTHWISE_GROUPS = 0


def groups(v, field):
    if v == "in":
        return DEPTHWISE_GROUPS
    return positive_int(v, field)


def probability(v, field):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1:
        _fail(field, f"must be a number in [0, 1), got {v!r}")
    return float(v)


def width(v, field):
    """A width role, or a table of roles per rounding policy."""
    if isinstance(v, str):
        if v not in ROLES:
            _fail(field, f"unknown width role {v!r}: use one of {', '.join(ROLES)}")
        return {p: v for p in POLICIES}
    if isinstance(v, dict):
        unknown = set(v) - set(POLICIES)
        if unknown:
            _fail(field, f"unknown rounding policy {sorted(unknown)[0]!r}: use {', '.join(POLICIES)}")
        out = {}
        for p in POLICIES:
            role = v.get(p, "scaled")
            if role not in ROLES:
                _fail(field, f"unknown width role {role!r}: use one of {', '.join(ROLES)}")
            out[p] = role
        return out
    _fail(field, f"must be a width role or a table {{tf = ..., torchvision = ...}}, got {v!r}")


def text(v, field):
    if not isinstance(v, str):
        _fail(field, f"must be text, got {v!r}")
    return v


def ratio(v, field):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
        _fail(field, f"must be a number > 0, got {v!r}")
    try:
        f = float(v)
    except OverflowError:
        f = float("inf")
    if f == float("inf"):
        _fail(field, f"must be a finite number, got {v!r}")
    return f


#: How a PyTorch model calls an operation: as a module, or as a function inside
#: another module's forward.  Some counters see only one of the two.
CALLS = ("module", "function")


def call(v, field):
    if v not in CALLS:
        _fail(field, f"must be 'module' or 'function', got {v!r}")
    return v


def shape3(v, field):
    if not isinstance(v, (list, tuple)) or len(v) != 3:
        _fail(field, f"must be [channels, height, width], got {v!r}")
    return tuple(positive_int(x, field) for x in v)


COMMON = {
    "name": Field(None, text, "the layer's name (default: type and a running number)"),
    "shared": Field(False, boolean, "reuses an earlier layer's parameters (not counted again)"),
    "input": Field(None, shape3, "explicit input shape [C, H, W] (extracted models); "
                                 "default: the previous layer's output"),
    "module": Field(None, text, "the PyTorch module path this layer belongs to"),
}


# --------------------------------------------------------------------------- kinds

class Kind:
    """A layer kind.  Subclasses set ``type``, ``fields`` and the methods below."""

    type: str = ""
    doc: str = ""
    fields: dict[str, Field] = {}
    #: Static fields turned into integer arrays for the vectorised ``facts``.
    static: tuple[str, ...] = ()

    def shape(self, L: dict, b, cin: int, hin: int, win: int):
        """Compile-time shape rule.

        ``cin``, ``hin``, ``win`` are entries of the builder ``b``'s symbolic
        tables (channel counts depend on α, sizes on the resolution).  Returns
        ``(cout, cmid, hout, wout)`` entries; ``cmid`` is ``-1`` unless the
        layer has an inner width (the SE squeeze).
        """
        return cin, -1, hin, win

    #: label -> (colour, legend name) in per-layer charts, for the labels this kind gives
    colours: dict = {}
    #: its role for the architecture check (``costmodel.conformance.reading``)
    role = "other"

    def label(self, L: dict) -> str:
        """What the layer is, for the ``kind`` column."""
        return self.type

    def group_label(self, L: dict, label: str) -> str:
        """The layer's row in a by-type table (the V1 paper's Table 2 rows)."""
        return label.capitalize()

    def build(self, ctx, r):
        """The layer as PyTorch: an ``nn.Module``, ``("function", fn)`` run in its parent's
        forward, ``("add",)`` (the parent's residual), or None (nothing to run).  ``ctx``
        holds torch, ``nn``, ``F`` and the bridge's module classes (``torch_bridge``)."""
        raise NotImplementedError(self.type)

    def is_function(self, L: dict) -> bool:
        """True if a model runs it as a function in its parent's forward (no module)."""
        return L.get("call") == "function"

    def facts(self, q) -> dict:
        """Facts of every layer of this kind at once (numpy arrays in ``q``)."""
        return {}

    def formula(self, r) -> str:
        """The cost formula with its numbers filled in, for one record ``r``."""
        return ""

    def static_value(self, L: dict, name: str) -> int:
        if name in ("act_module", "gate_module"):     # activations inside a kind are modules
            return ACT_MODULE_ROW[L[name[:-len("_module")]]]
        v = L[name]
        if isinstance(v, bool):
            return int(v)
        if name in ("act", "gate"):
            return ACT_ROW[v]
        return v


KINDS: dict[str, Kind] = {}


def register(cls):
    KINDS[cls.type] = cls()
    return cls


def _dot(*xs) -> str:
    return "·".join(str(x) for x in xs)


def _square(a, b, sym_sq, sym_h, sym_w):
    """Paper notation for a k×k (or h×w) pair: ``Dk·Dk = 3·3``."""
    if a == b:
        return [sym_sq, sym_sq], [a, b]
    return [sym_h, sym_w], [a, b]


CONV_FIELDS = {
    "out": Field(None, channels, "output channels N (or \"classes\")"),
    "k": Field(3, pair(positive_int), "kernel size (one number or [h, w])"),
    "s": Field(1, pair(positive_int), "stride"),
    "padding": Field("same", padding, "zero padding; 'same' = d·(k−1)/2 each side"),
    "dilation": Field(1, pair(positive_int), "dilation"),
    "groups": Field(1, groups, "groups (\"in\" = depthwise)"),
    "bias": Field(False, boolean, "a bias per output channel"),
    "norm": Field("bn", norm, "normalisation after the convolution: bn or none"),
    "act": Field("relu", activation, "activation after the norm"),
    "width": Field({p: "scaled" for p in POLICIES}, width, "how α scales `out`"),
}


def conv_out_size(b, hin, win, L):
    (kh, kw), (sh, sw), (dh, dw) = L["k"], L["s"], L["dilation"]
    ph, pw = resolve_padding(L)
    return (b.conv_size(hin, kh, sh, ph, dh, L), b.conv_size(win, kw, sw, pw, dw, L))


def resolve_padding(L) -> tuple[int, int]:
    p = L["padding"]
    if p == "same":
        (kh, kw), (dh, dw) = L["k"], L["dilation"]
        return (dh * (kh - 1) // 2, dw * (kw - 1) // 2)
    if p == "valid":
        return (0, 0)
    return p


@register
class Conv(Kind):
    """Convolution: standard, pointwise (1×1), grouped or depthwise (groups = M).

    weights = Kh·Kw·(M/g)·N,  MAdds = Kh·Kw·(M/g)·N·Ho·Wo
    """

    type = "conv"
    doc = "convolution (+ batch norm + activation): standard, pointwise, grouped or depthwise"
    fields = {**COMMON, **CONV_FIELDS}
    static = ("kh", "kw", "groups", "bias", "norm", "act", "act_module")

    def shape(self, L, b, cin, hin, win):
        if L["groups"] == DEPTHWISE_GROUPS and L["out"] is None:
            cout = cin
        elif L["out"] is None:
            raise SpecError("missing: a convolution needs its output channels", field="out")
        else:
            cout = b.channel(L["out"], L["width"], cin)
        hout, wout = conv_out_size(b, hin, win, L)
        return cout, -1, hout, wout

    def static_value(self, L, name):
        if name == "kh":
            return L["k"][0]
        if name == "kw":
            return L["k"][1]
        if name == "norm":
            return int(L["norm"] == "bn")
        return super().static_value(L, name)

    colours = {"pointwise": ("#1f77b4", "pointwise (1×1) conv"),
               "depthwise": ("#2ca02c", "depthwise conv"),
               "standard": ("#d62728", "standard conv"),
               "grouped": ("#9467bd", "grouped conv")}
    role = "conv"

    def label(self, L):
        g = L["groups"]
        if g == DEPTHWISE_GROUPS:
            return "depthwise"
        if g > 1:
            return "grouped"
        return "pointwise" if L["k"] == (1, 1) else "standard"

    def group_label(self, L, label):
        kh, kw = L["k"]
        k = f"{kh}×{kw}"
        return {"pointwise": "Conv 1×1", "depthwise": f"Conv DW {k}",
                "grouped": f"Conv grouped {k}"}.get(label, f"Conv {k}")

    def build(self, ctx, r):
        L, nn = r.layer, ctx.nn
        cin, cout = r.input[0], r.output[0]
        groups = cin if L["groups"] == DEPTHWISE_GROUPS else L["groups"]
        parts = [nn.Conv2d(cin, cout, L["k"], stride=L["s"], padding=resolve_padding(L),
                           dilation=L["dilation"], groups=groups, bias=L["bias"])]
        if L["norm"] == "bn":
            parts.append(nn.BatchNorm2d(cout))
        if L["act"] != "none":
            parts.append(ctx.act_modules[L["act"]]())
        return nn.Sequential(*parts)

    def facts(self, q):
        g = np.where(q.groups == DEPTHWISE_GROUPS, q.cin, q.groups)
        positions = q.hout * q.wout
        weights = q.kh * q.kw * (q.cin // g) * q.cout
        out_elements = q.cout * positions
        return {
            "weights": weights,
            "biases": q.bias * q.cout,
            "macs": weights * positions,
            "bias_elements": q.bias * out_elements,
            "norm_channels": q.norm * q.cout,
            "norm_elements": q.norm * out_elements,
            "act_elements": out_elements,
        }

    def formula(self, r):
        (kh, kw), (m, ho, wo), n = r.layer["k"], (r.input[0], r.output[1], r.output[2]), r.output[0]
        ks, kv = _square(kh, kw, "Dk", "Kh", "Kw")
        fs, fv = _square(ho, wo, "Df", "Ho", "Wo")
        g = r.layer["groups"]
        if g == DEPTHWISE_GROUPS:
            mult = n // m
            if mult == 1:
                return f"{_dot(*ks, 'M', *fs)} = {_dot(*kv, m, *fv)}"
            return f"{_dot(*ks, 'M', 'm', *fs)} = {_dot(*kv, m, mult, *fv)}"
        if g > 1:
            return f"{_dot(*ks, '(M/g)', 'N', *fs)} = {_dot(*kv, f'({m}/{g})', n, *fv)}"
        if (kh, kw) == (1, 1):
            return f"{_dot('M', 'N', *fs)} = {_dot(m, n, *fv)}"
        return f"{_dot(*ks, 'M', 'N', *fs)} = {_dot(*kv, m, n, *fv)}"


@register
class Depthwise(Conv):
    """Depthwise convolution: one Kh×Kw filter per input channel (groups = M).

    weights = Kh·Kw·M,  MAdds = Kh·Kw·M·Ho·Wo  (times the channel multiplier m)
    """

    type = "dw"
    doc = "depthwise convolution (groups = input channels) + batch norm + activation"
    fields = {**COMMON, **{k: v for k, v in CONV_FIELDS.items() if k not in ("out", "groups", "width")},
              "multiplier": Field(1, positive_int, "channel multiplier m (N = m·M)")}

    def shape(self, L, b, cin, hin, win):
        cout = cin if L["multiplier"] == 1 else b.multiple(cin, L["multiplier"])
        hout, wout = conv_out_size(b, hin, win, L)
        return cout, -1, hout, wout

    def normalise(self, L):
        L["groups"] = DEPTHWISE_GROUPS
        L["out"] = None
        return L

    def label(self, L):
        return "depthwise"


@register
class FullyConnected(Kind):
    """Fully connected layer over the flattened input (M = C·H·W features).

    weights = M·N,  MAdds = M·N
    """

    type = "fc"
    doc = "fully connected layer (flattens its input)"
    fields = {**COMMON,
              "out": Field("classes", channels, "output features N (or \"classes\")"),
              "bias": Field(True, boolean, "a bias per output"),
              "act": Field("none", activation, "activation after the layer"),
              "width": Field({p: "scaled" for p in POLICIES}, width, "how α scales `out`")}
    static = ("bias", "act", "act_module")

    def shape(self, L, b, cin, hin, win):
        return b.channel(L["out"], L["width"], cin), -1, b.one, b.one

    colours = {"fully connected": ("#8c564b", "fully connected")}
    role = "fc"

    def label(self, L):
        return "fully connected"

    def group_label(self, L, label):
        return "Fully Connected"

    def build(self, ctx, r):
        return ctx.FC(r.input[0] * r.input[1] * r.input[2], r.output[0], r.layer["bias"],
                      r.layer["act"])

    def facts(self, q):
        features = q.cin * q.hin * q.win
        weights = features * q.cout
        return {"weights": weights, "biases": q.bias * q.cout, "macs": weights,
                "bias_elements": q.bias * q.cout, "fc_bias_elements": q.bias * q.cout,
                "act_elements": q.cout}

    def formula(self, r):
        c, h, w = r.input
        m = c * h * w
        return f"M·N = {m}·{r.output[0]}"


@register
class BatchNorm(Kind):
    """Batch norm on its own: 2 parameters (γ, β) per channel, applied per element."""

    type = "bn"
    doc = "batch norm"
    fields = dict(COMMON)

    colours = {"batch norm": ("#7f7f7f", "batch norm")}
    role = "bn"

    def label(self, L):
        return "batch norm"

    def build(self, ctx, r):
        return ctx.nn.BatchNorm2d(r.input[0])

    def facts(self, q):
        return {"norm_channels": q.cin, "norm_elements": q.cin * q.hin * q.win}


@register
class Activation(Kind):
    """An activation function on its own (ReLU, ReLU6, h-swish, h-sigmoid, sigmoid)."""

    type = "act"
    doc = "activation: relu, relu6, hswish, hsigmoid, sigmoid"
    fields = {**COMMON, "fn": Field("relu", activation, "the function"),
              "call": Field("module", call, "module or function (how a model calls it)")}
    static = ("act", "act_module")

    def static_value(self, L, name):
        if name == "act_module":
            return ACT_MODULE_ROW["none" if L["call"] == "function" else L["fn"]]
        return ACT_ROW[L["fn"]]

    role = "act"

    def label(self, L):
        return "activation"

    def build(self, ctx, r):
        fn = r.layer["fn"]
        if fn == "none":
            return None
        if r.layer["call"] == "function":
            return ("function", ctx.act_functions[fn])
        return ctx.act_modules[fn]()

    def facts(self, q):
        return {"act_elements": q.cin * q.hin * q.win}


@register
class AvgPool(Kind):
    """Global average pooling to 1×1: C·H·W inputs summed into C outputs."""

    type = "avgpool"
    doc = "global average pooling"
    fields = {**COMMON, "call": Field("module", call, "module or function (how a model calls it)")}
    static = ("module",)

    def static_value(self, L, name):
        return int(L["call"] == "module")

    def shape(self, L, b, cin, hin, win):
        return cin, -1, b.one, b.one

    colours = {"pooling": ("#bcbd22", "pooling")}
    role = "pool"

    def label(self, L):
        return "pooling"

    def build(self, ctx, r):
        if r.layer["call"] == "function":
            F = ctx.F
            return ("function", lambda x: F.adaptive_avg_pool2d(x, 1))
        return ctx.nn.AdaptiveAvgPool2d(1)

    def facts(self, q):
        pool_in = q.cin * q.hin * q.win
        return {"pool_in": pool_in, "pool_out": q.cin,
                "pool_in_module": q.module * pool_in, "pool_out_module": q.module * q.cin}

    def formula(self, r):
        c, h, w = r.input
        return f"C·H·W = {_dot(c, h, w)} (adds)"


@register
class SqueezeExcite(Kind):
    """Squeeze-and-excitation: pool, FC C→S (+act), FC S→C (+gate), scale the input.

    S = make_divisible(C/4, 8).  weights = 2·C·S,  MAdds = 2·C·S (two FC
    layers on the pooled 1×1 map); plus C·H·W pooled inputs and C·H·W
    multiplies, which the papers do not count.
    """

    type = "se"
    doc = "squeeze-and-excitation (pool, FC, act, FC, gate, multiply)"
    fields = {**COMMON,
              "bias": Field(True, boolean, "biases on the two FC layers"),
              "act": Field("relu", activation, "inner activation"),
              "gate": Field("hsigmoid", activation, "gating function"),
              "squeeze": Field(None, positive_int, "squeeze width S at α = 1 (default C/4)"),
              "block_ratio": Field(None, ratio, "S = max(1, int(ratio × the enclosing block's "
                                                "input channels)) (EfficientNet, MnasNet: 0.25)"),
              "pool": Field("module", call, "how it pools: an nn.AdaptiveAvgPool2d module (as "
                                            "torchvision's SqueezeExcitation) or a function"),
              "width": Field({p: "squeeze" for p in POLICIES}, width, "how α scales S")}
    static = ("bias", "act", "gate", "act_module", "gate_module", "pool_module")

    def static_value(self, L, name):
        if name == "pool_module":
            return int(L["pool"] == "module")
        return super().static_value(L, name)

    def shape(self, L, b, cin, hin, win):
        if L["block_ratio"] is not None:
            if L["squeeze"] is not None:
                raise SpecError("give either 'squeeze' or 'block_ratio', not both",
                                field="block_ratio")
            cmid = b.block_fraction(L["block_ratio"])
        elif L["squeeze"] is None:      # S = make_divisible(C/4, 8), however α rounds C
            cmid = b.channel(0, {p: "squeeze" for p in POLICIES}, cin)
        else:
            cmid = b.channel(L["squeeze"], L["width"], cin)
        return cin, cmid, hin, win

    colours = {"squeeze-excite": ("#ff7f0e", "squeeze-excite")}
    role = "se"

    def label(self, L):
        return "squeeze-excite"

    def group_label(self, L, label):
        return "Squeeze-Excite"

    def build(self, ctx, r):
        L = r.layer
        return ctx.SE(r.input[0], r.mid, L["bias"], L["act"], L["gate"], L["pool"] == "module")

    def facts(self, q):
        c, s = q.cin, q.cmid
        spatial = c * q.hin * q.win
        return {"weights": 2 * c * s, "biases": q.bias * (c + s), "macs": 2 * c * s,
                "bias_elements": q.bias * (c + s), "pool_in": spatial, "pool_out": c,
                "pool_in_module": q.pool_module * spatial, "pool_out_module": q.pool_module * c,
                "act_elements": s, "gate_elements": c, "mul": spatial}

    def formula(self, r):
        return f"2·C·S = 2·{r.input[0]}·{r.mid}"


@register
class Add(Kind):
    """Element-wise add (the residual connection): C·H·W adds."""

    type = "add"
    doc = "element-wise add (residual)"
    fields = {**COMMON, "inplace": Field(False, boolean, "adds into its first operand (x += y): "
                                                          "no new tensor")}

    def is_function(self, L):
        return True

    role = "add"

    def label(self, L):
        return "residual add"

    def build(self, ctx, r):
        return ("add",)

    def facts(self, q):
        return {"add": q.cin * q.hin * q.win}


@register
class Multiply(Kind):
    """Element-wise multiply by a broadcast tensor: C·H·W multiplies."""

    type = "mul"
    doc = "element-wise multiply"
    fields = {**COMMON, "inplace": Field(False, boolean, "multiplies into its first operand "
                                                          "(x *= y): no new tensor")}

    def is_function(self, L):
        return True

    role = "mul"

    def label(self, L):
        return "multiply"

    def build(self, ctx, r):
        return ("function", lambda x: x * x)   # the cost of any C·H·W multiply

    def facts(self, q):
        return {"mul": q.cin * q.hin * q.win}


@register
class Flatten(Kind):
    """Flatten to a vector: no arithmetic, no parameters."""

    type = "flatten"
    doc = "flatten (free)"
    fields = dict(COMMON)

    role = "free"

    def label(self, L):
        return "flatten"

    def build(self, ctx, r):
        return ctx.nn.Flatten()


@register
class Dropout(Kind):
    """Dropout: the identity at inference; no arithmetic, no parameters."""

    type = "dropout"
    doc = "dropout (free at inference)"
    fields = {**COMMON, "p": Field(0.2, probability, "drop probability")}

    role = "free"

    def label(self, L):
        return "dropout"

    def build(self, ctx, r):
        return ctx.nn.Dropout(r.layer["p"])


def parse_fields(fields: dict[str, Field], entry: dict, defaults: dict, what: str) -> dict:
    """Check an entry's fields against ``fields`` and fill in defaults.

    ``what`` names the entry in errors ("a 'conv' layer").  Unknown fields are
    errors; the ``type`` key is the caller's.
    """
    for key in entry:
        if key != "type" and key not in fields:
            raise SpecError(f"unknown field for {what} (known: {', '.join(sorted(fields))})",
                            field=key)
    out = {}
    for key, field in fields.items():
        if key in entry:
            out[key] = field.parse(entry[key], key)
        elif key in defaults:
            out[key] = field.parse(defaults[key], key)
        else:
            out[key] = None if field.default is None else field.parse(field.default, key)
    return out


def parse_layer(kind: Kind, entry: dict, defaults: dict) -> dict:
    """Check one spec layer's fields and fill in defaults.  Unknown fields are errors."""
    L = parse_fields(kind.fields, entry, defaults, f"a '{kind.type}' layer")
    if hasattr(kind, "normalise"):
        L = kind.normalise(L)
    return L


from . import layers_shuffle  # noqa: E402,F401  (ShuffleNet's kinds: shuffle, pool, concat)
from . import attention_kinds  # noqa: E402,F401  (mqa, layer_scale: MobileNetV4's hybrids)
