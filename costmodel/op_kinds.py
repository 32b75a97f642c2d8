"""Operation kinds of a captured PyTorch model: one class per kind, owning its whole contract.

``capture.py`` runs a model once and sees every operation twice: as the
function the model's code called (``F.linear``, ``x @ y``, ``F.layer_norm``,
``x.mean((2, 3))``: what the code *wrote*, and what fvcore's trace sees) and
as the aten operators that call ran (``aten.addmm``, ``aten.bmm``,
``aten.convolution``: what the code *did*, and what ``FlopCounterMode`` sees).
A kind here reads one call and returns its facts (``layers.FACT_DECLS``):

* multiply-accumulates come from the aten operators, with ``FlopCounterMode``'s
  semantics (``capture.aten_products``): convolution
  ``N·prod(w.shape)·prod(out spatial)`` (input spatial for transposed),
  ``mm``/``addmm`` ``m·k·n``, ``bmm``/``baddbmm`` ``b·m·k·n``, attention kernels
  ``B·H·L·S·(E + Ev)``; biases are never multiply-accumulates;
* element counts (norms, activations, pooling, element-wise) come from the
  call's tensors, and parameters from the model's own ``nn.Parameter``\\ s (the
  first call that uses one owns it, in the role the kind gives it).

Each kind says which functions it reads (``functions``), which aten operators
carry its arithmetic (``aten``), its by-type label, its role for the
architecture check and its colour in charts.  A function no kind reads, with
arithmetic aten operators inside, is *uncounted*: listed, never zero silently.
"""

from __future__ import annotations

from math import prod

ACT_MODULES = {"relu": "ReLU", "relu6": "ReLU6", "hswish": "Hardswish", "hsigmoid": "Hardsigmoid",
               "sigmoid": "Sigmoid"}

# --------------------------------------------------------------------------- helpers

#: torch's own module classes some peers hook by exact type (a subclass is not hooked)
TORCH_MODULES = {"GELU": "torch.nn.modules.activation.GELU"}
#: attention modules some peers count whole, by their own formula (ptflops: timm's Attention)
ATTENTION_MODULES = {"timm.layers.attention.Attention",
                     "torch.nn.modules.activation.MultiheadAttention"}


def attention_module_facts(layers, query_elements: int, bias_elements: int = 0) -> dict:
    """What ran inside one call of an attention module (``ATTENTION_MODULES``): its
    products (QKᵀ and AV, SDPA or ``@``; all of an ``nn.MultiheadAttention``'s, which runs
    its projections as functions), softmax elements, query elements, and the MACs and bias
    adds of the nn.Linear modules inside it."""
    out = {"attention_module_core": 0, "attention_module_softmax": 0,
           "attention_module_query": query_elements, "attention_module_fc_macs": 0,
           "attention_module_fc_bias": 0, "attention_module_bias": bias_elements}
    for layer in layers:
        f = layer.facts
        out["attention_module_core"] += (f.get("attention_macs", 0) + f.get("matmul_macs", 0)
                                         + f.get("fused_macs", 0)
                                         + (f.get("macs", 0) if layer.type == "mha" else 0))
        out["attention_module_softmax"] += f.get("softmax", 0)
        if layer.type == "fc" and not f.get("fc_function_macs"):
            out["attention_module_fc_macs"] += f.get("macs", 0)
            out["attention_module_fc_bias"] += f.get("bias_elements", 0)
    return out


TORCH_NORMS = {"torch.nn.modules.normalization.LayerNorm": "ln",
               "torch.nn.modules.normalization.GroupNorm": "gn",
               **{f"torch.nn.modules.instancenorm.InstanceNorm{d}d": "in" for d in (1, 2, 3)}}


def numel(shape) -> int:
    """Elements of a tensor of ``shape``: the product of its sizes, as an exact Python int."""
    return prod(int(x) for x in shape)


def _first(call):
    return call.ins[0].shape if call.ins else ()


def _out(call):
    return call.outs[0] if call.outs else ()


def _dot(*xs) -> str:
    return "·".join(str(x) for x in xs)


class OpKind:
    """A kind of captured operation.  Subclasses set the attributes and ``facts``."""

    type = ""               # the layer type (shared with the spec kinds where they coincide)
    label_text = ""         # the ``kind`` column
    functions: tuple = ()   # the function names (as written, normalised) it reads
    aten: tuple = ()        # the aten operators that carry its arithmetic
    role = "other"          # its role for the architecture check
    colour = "#999999"      # its colour in per-layer charts
    #: the fact each parameter it uses goes to: by rank (>= 2: "weight", <= 1: "bias")
    param_facts = {"weight": "other_params", "bias": "other_params"}

    def label(self, call) -> str:
        return self.label_text

    def group(self, call) -> str:
        """Its row in a by-type table."""
        return self.label(call).capitalize()

    def facts(self, call) -> dict:
        return {}

    def fields(self, call) -> dict:
        return {}

    def formula(self, call, facts) -> str:
        return ""


KINDS: dict[str, OpKind] = {}
BY_FUNCTION: dict[str, OpKind] = {}


def register(cls):
    k = cls()
    KINDS[cls.__name__] = k
    for f in cls.functions:
        BY_FUNCTION[f] = k
    return cls


# --------------------------------------------------------------------------- products

@register
class Convolution(OpKind):
    """Convolution of any dimensionality: standard, pointwise, grouped, depthwise, dilated,
    transposed.  MACs = N·Cout·(Cin/g)·prod(k)·prod(out spatial) (transposed: input spatial)."""

    type = "conv"
    functions = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "convolution", "_convolution")
    aten = ("aten.convolution", "aten._convolution", "aten.convolution_overrideable",
            "aten.cudnn_convolution", "aten._slow_conv2d_forward")
    role = "conv"
    colour = "#4c72b0"
    param_facts = {"weight": "weights", "bias": "biases"}

    def _geometry(self, call):
        x = _first(call)
        w = call.weight_shape or ()
        transposed = call.base.startswith("conv_transpose") or bool(call.conv_transposed)
        g = call.conv_groups or 1
        cin = int(x[1]) if len(x) > 1 else 0
        cout = int(_out(call)[1]) if len(_out(call)) > 1 else 0
        k = tuple(int(v) for v in w[2:])
        return x, w, transposed, g, cin, cout, k

    def is_depthwise(self, call) -> bool:
        x, w, transposed, g, cin, cout, k = self._geometry(call)
        return not transposed and g == cin and cin > 1 and cout % cin == 0

    def label(self, call):
        x, w, transposed, g, cin, cout, k = self._geometry(call)
        dims = len(k)
        prefix = "" if dims == 2 else f"{dims}-D "
        if transposed:
            return prefix + "transposed"
        if self.is_depthwise(call):
            return prefix + "depthwise"
        if g > 1:
            return prefix + "grouped"
        return prefix + ("pointwise" if all(v == 1 for v in k) else "standard")

    def group(self, call):
        x, w, transposed, g, cin, cout, k = self._geometry(call)
        ks = "×".join(str(v) for v in k)
        lab = self.label(call).split(" ")[-1]
        name = "Conv" if len(k) == 2 else f"Conv{len(k)}d"
        return {"pointwise": f"{name} 1×1" if len(k) == 2 else f"{name} pointwise",
                "depthwise": f"{name} DW {ks}", "grouped": f"{name} grouped {ks}",
                "transposed": f"{name} transposed {ks}"}.get(lab, f"{name} {ks}")

    def facts(self, call):
        out = numel(_out(call))
        return {"macs": call.products_total(), "bias_elements": out if call.has_bias else 0}

    def fields(self, call):
        from .layers import DEPTHWISE_GROUPS
        x, w, transposed, g, cin, cout, k = self._geometry(call)
        f = {"k": k if len(k) == 2 else k, "s": call.conv_stride,
             "groups": DEPTHWISE_GROUPS if self.is_depthwise(call) else g, "bias": call.has_bias,
             "norm": "none", "act": "none", "transposed": transposed}
        if self.is_depthwise(call):
            f["multiplier"] = cout // cin
        return f

    def formula(self, call, facts):
        x, w, transposed, g, cin, cout, k = self._geometry(call)
        spatial = tuple(int(v) for v in (x[2:] if transposed else _out(call)[2:]))
        return f"{_dot('N', 'Cout', '(Cin/g)', *['k'] * len(k), *['S'] * len(spatial))} = " \
               f"{_dot(int(x[0]), *w[:1], *w[1:2], *k, *spatial)}"


@register
class Linear(OpKind):
    """A linear layer over any leading dimensions: MACs = prod(leading)·in·out."""

    type = "fc"
    label_text = "fully connected"
    functions = ("linear", "bilinear")
    aten = ("aten.addmm", "aten.mm", "aten.bmm")
    role = "fc"
    colour = "#dd8452"
    param_facts = {"weight": "weights", "bias": "biases"}

    def group(self, call):
        return "Fully Connected"

    def by_module(self, call) -> bool:
        """Run by an nn.Linear-like leaf module with its own weight (not ``F.linear`` with
        another module's)."""
        w = call.ins[1] if len(call.ins) > 1 else None
        return bool(call.module_leaf and w is not None and w.source == "param"
                    and w.name == f"{call.module_path}.weight")

    def facts(self, call):
        out = numel(_out(call)) if call.has_bias else 0
        macs = call.products_total()
        f = {"macs": macs, "bias_elements": out, "fc_bias_elements": out}
        if not self.by_module(call):
            f.update(fc_function_macs=macs, fc_function_bias=out)
        else:
            x, y = _first(call), _out(call)
            rows = numel(x[:-1]) if x else 0
            n = int(x[0]) if len(x) > 1 else rows
            if rows and rows != n:
                per_row = macs // rows
                f.update(fc_lead_macs=macs - n * per_row,
                         fc_lead_bias=out - n * int(y[-1]) if out else 0)
        return f

    def fields(self, call):
        return {"bias": call.has_bias, "act": "none"}

    def formula(self, call, facts):
        x = _first(call)
        return f"prod(lead)·in·out = {_dot(*x[:-1], x[-1], _out(call)[-1])}" if x else ""


@register
class MatMul(OpKind):
    """matmul, @, mm, bmm, baddbmm, einsum: the product's multiply-accumulates."""

    type = "matmul"
    label_text = "matmul"
    functions = ("matmul", "mm", "bmm", "baddbmm", "addmm", "addbmm", "einsum", "tensordot",
                 "dot", "mv", "inner", "outer")
    aten = ("aten.mm", "aten.bmm", "aten.addmm", "aten.baddbmm")
    role = "matmul"
    colour = "#937860"
    param_facts = {"weight": "weights", "bias": "biases"}

    def label(self, call):
        return "einsum" if call.base == "einsum" else "matmul"

    def group(self, call):
        return "Matmul / einsum"

    def facts(self, call):
        macs = call.products_total()
        out = {"matmul_macs": macs, "matmul_method_macs": macs if call.method else 0}
        if call.base == "einsum" and call.einsum is not None:
            out["einsum_print_error"] = fvcore_einsum(*call.einsum) - macs
        return out

    def formula(self, call, facts):
        return " + ".join(f"{_dot(*dims)}" for dims in call.product_dims) or "0"


@register
class Attention(OpKind):
    """Scaled-dot-product attention: QKᵀ and AV, B·H·L·S·(E + Ev) MACs; L·S softmax elements
    per head."""

    type = "attention"
    label_text = "attention"
    functions = ("scaled_dot_product_attention",)
    aten = ("aten._scaled_dot_product_flash_attention", "aten._scaled_dot_product_efficient_attention",
            "aten._scaled_dot_product_cudnn_attention", "aten._scaled_dot_product_flash_attention_for_cpu",
            "aten.bmm", "aten._safe_softmax", "aten._softmax")
    role = "attention"
    colour = "#8172b3"

    def group(self, call):
        return "Attention"

    def facts(self, call):
        return {"attention_macs": call.products_total(), "softmax": call.softmax}

    def formula(self, call, facts):
        if len(call.ins) >= 3:
            q, k, v = (c.shape for c in call.ins[:3])
            lead = numel(q[:-2])
            return f"B·H·L·S·(E + Ev) = {_dot(lead, q[-2], k[-2])}·({q[-1]} + {v[-1]})"
        return ""


@register
class MultiHeadAttention(OpKind):
    """``nn.MultiheadAttention`` (``F.multi_head_attention_forward`` or the fused
    ``_native_multi_head_attention``): in and out projections (linear MACs and biases) and
    the attention core.  A call that takes PyTorch's fused eval path puts all its MACs in
    ``fused_macs`` (fvcore skips that operator whole)."""

    type = "mha"
    label_text = "multi-head attention"
    functions = ("multi_head_attention_forward", "_native_multi_head_attention",
                 "native_multi_head_attention")
    aten = ("aten.addmm", "aten.mm", "aten.bmm", "aten.baddbmm", "aten._native_multi_head_attention")
    role = "attention"
    colour = "#8172b3"
    param_facts = {"weight": "weights", "bias": "biases"}

    def group(self, call):
        return "Attention"

    def facts(self, call):
        if call.fused:
            return {"fused_macs": call.products_total(), "softmax": call.softmax}
        linear = call.products_total(("mm", "addmm"))
        core = call.products_total() - linear
        bias = call.bias_elements
        return {"macs": linear, "attention_macs": core, "softmax": call.softmax,
                "bias_elements": bias, "fc_bias_elements": bias,
                "fc_function_macs": linear, "fc_function_bias": bias}


# --------------------------------------------------------------------------- norms

@register
class BatchNorm(OpKind):
    """Batch norm (any module or ``F.batch_norm``, timm's ``BatchNormAct2d`` included)."""

    type = "bn"
    label_text = "batch norm"
    functions = ("batch_norm",)
    aten = ("aten._native_batch_norm_legit_no_training", "aten.native_batch_norm",
            "aten._native_batch_norm_legit", "aten.cudnn_batch_norm")
    role = "norm"
    colour = "#55a868"
    param_facts = {"weight": "batch norm", "bias": "batch norm"}

    def facts(self, call):
        n = numel(_first(call))
        return {"norm_elements": n} if call.norm_affine else {"bn_plain_elements": n}


@register
class Norm(OpKind):
    """Layer, group and instance norm: elements normalised, with or without affine."""

    type = "norm"
    functions = ("layer_norm", "group_norm", "instance_norm")
    aten = ("aten.native_layer_norm", "aten.native_group_norm", "aten.native_batch_norm")
    role = "norm"
    colour = "#55a868"
    param_facts = {"weight": "norm_affine", "bias": "norm_affine"}

    def label(self, call):
        return call.base.replace("_", " ")

    def facts(self, call):
        n = numel(_first(call))
        f = {"lnorm_elements": n, "lnorm_affine_elements": n if call.norm_affine else 0}
        own = TORCH_NORMS.get(call.module_class)          # run by torch's own norm module
        if own:
            f[f"{own}_module"] = n
            f[f"{own}_module_affine"] = n if call.norm_affine else 0
        return f


@register
class RMSNorm(OpKind):
    type = "norm"
    label_text = "RMS norm"
    functions = ("rms_norm",)
    role = "norm"
    colour = "#55a868"
    param_facts = {"weight": "norm_affine", "bias": "norm_affine"}

    def facts(self, call):
        return {"rmsnorm_elements": numel(_first(call))}


# --------------------------------------------------------------------------- activations

@register
class Activation(OpKind):
    """ReLU, ReLU6 (``hardtanh(0, 6)``), h-swish, h-sigmoid, sigmoid: the spec's activations,
    with how they were called (an activation module, or a function)."""

    type = "act"
    label_text = "activation"
    functions = ("relu", "relu6", "hardswish", "hardsigmoid", "sigmoid")
    role = "act"
    colour = "#c44e52"
    NAMES = {"relu": "relu", "relu6": "relu6", "hardswish": "hswish", "hardsigmoid": "hsigmoid",
             "sigmoid": "sigmoid", "hardtanh": "relu6"}

    def fn(self, call):
        return self.NAMES[call.base]

    def facts(self, call):
        fn = self.fn(call)
        n = numel(_out(call))
        by_module = call.module_type == ACT_MODULES[fn]
        return {fn: n, f"{fn}_module": n if by_module else 0}

    def fields(self, call):
        fn = self.fn(call)
        return {"fn": fn, "call": "module" if call.module_type == ACT_MODULES[fn] else "function"}


@register
class OtherActivation(OpKind):
    """GELU, SiLU, tanh, leaky ReLU, ELU, Mish, softplus, ...: elements."""

    type = "act_other"
    functions = ("gelu", "silu", "tanh", "leaky_relu", "elu", "selu", "celu", "mish", "softplus",
                 "prelu", "glu", "logsigmoid", "softsign", "hardshrink", "softshrink", "tanhshrink",
                 "rrelu", "hardtanh", "threshold", "relu_6")
    role = "act"
    colour = "#c44e52"

    def label(self, call):
        return call.base

    def group(self, call):
        return "Activation (other)"

    def facts(self, call):
        n = numel(_out(call))
        gelu = n if call.base == "gelu" else 0
        return {"act_other": n, "gelu": gelu, "silu": n if call.base == "silu" else 0,
                "gelu_module": gelu if call.module_class == TORCH_MODULES["GELU"] else 0}


@register
class Softmax(OpKind):
    type = "softmax"
    label_text = "softmax"
    functions = ("softmax", "log_softmax", "softmin")
    role = "act"
    colour = "#c44e52"

    def facts(self, call):
        n = numel(_out(call))
        return {"softmax": n,
                "softmax_function": n if call.functional and call.base == "softmax" else 0}


# --------------------------------------------------------------------------- pooling, resizing

@register
class AdaptiveAvgPool(OpKind):
    """Adaptive average pooling (2-D, any output size): inputs summed into outputs.
    To 1×1 it is the spec's global pooling (``avgpool``)."""

    type = "avgpool"
    functions = ("adaptive_avg_pool2d",)
    role = "pool"
    colour = "#8c8c8c"

    def is_global(self, call):
        return all(int(v) == 1 for v in _out(call)[-2:])

    def label(self, call):
        return "pooling" if self.is_global(call) else "adaptive average pool"

    def group(self, call):
        return "Pooling"

    def facts(self, call):
        i, o = numel(_first(call)), numel(_out(call))
        mod = call.module_type == "AdaptiveAvgPool2d"
        return {"pool_in": i, "pool_out": o, "pool_in_module": i if mod else 0,
                "pool_out_module": o if mod else 0}

    def fields(self, call):
        return {"call": "module" if call.module_type == "AdaptiveAvgPool2d" else "function"}

    def formula(self, call, facts):
        return f"inputs = {_dot(*_first(call)[1:])} (adds)"


@register
class Pool(OpKind):
    """Max, windowed average, 1-D/3-D adaptive and adaptive max pooling: input and output
    elements."""

    type = "pool"
    functions = ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
                 "adaptive_avg_pool1d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
                 "adaptive_max_pool2d", "adaptive_max_pool3d", "lp_pool1d", "lp_pool2d",
                 "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
                 "adaptive_max_pool2d_with_indices", "fractional_max_pool2d")
    role = "pool"
    colour = "#8c8c8c"

    def label(self, call):
        return call.base.replace("_with_indices", "").replace("_", " ")

    def group(self, call):
        return "Pooling"

    def facts(self, call):
        o = numel(_out(call))
        return {"pool_other_in": numel(_first(call)), "pool_other_out": o,
                "avgpool_other_out": o if "avg_pool" in call.base else 0}


@register
class Reduce(OpKind):
    """mean, sum, amax ... over dimensions (``x.mean((2, 3))``): input elements."""

    type = "reduce"
    functions = ("mean", "sum", "amax", "amin", "max", "min", "std", "var", "norm", "prod",
                 "logsumexp", "std_mean", "var_mean")
    role = "pool"
    colour = "#8c8c8c"

    def label(self, call):
        return call.base

    def group(self, call):
        return "Reduction"

    def facts(self, call):
        return {"reduce_in": numel(_first(call)),
                "mean_out": numel(_out(call)) if call.base == "mean" else 0}


@register
class Upsample(OpKind):
    """interpolate / upsample: output elements, by mode (nearest, (bi)linear, other)."""

    type = "upsample"
    functions = ("interpolate", "upsample", "upsample_nearest", "upsample_bilinear")
    role = "other"
    colour = "#64b5cd"

    def label(self, call):
        return "upsample " + (call.upsample_mode or "")

    def group(self, call):
        return "Upsample"

    def facts(self, call):
        n = numel(_out(call))
        m = call.upsample_mode
        if m == "nearest2d":
            return {"upsample_nearest_out": n}
        if m == "bilinear2d":
            return {"upsample_linear_out": n}
        return {"upsample_other_out": n}


@register
class GridSample(OpKind):
    """``F.grid_sample``: bilinear sampling at a grid, 4 input elements per output element
    (fvcore's count); its output elements are bilinear interpolation's fact."""

    type = "upsample"
    label_text = "grid sample"
    functions = ("grid_sample",)
    aten = ("aten.grid_sampler_2d", "aten.grid_sampler")
    role = "other"
    colour = "#64b5cd"

    def group(self, call):
        return "Upsample"

    def facts(self, call):
        return {"upsample_linear_out": numel(_out(call))}


# --------------------------------------------------------------------------- element-wise

@register
class Add(OpKind):
    type = "add"
    label_text = "add"
    functions = ("add", "add_")
    role = "add"
    colour = "#da8bc3"

    def label(self, call):
        return "residual add" if call.residual else "add"

    def group(self, call):
        return "Add"

    def facts(self, call):
        n = numel(_out(call))
        return {"add": n, "add_method": n if call.method else 0}


@register
class Multiply(OpKind):
    type = "mul"
    label_text = "multiply"
    functions = ("mul", "multiply")
    role = "mul"
    colour = "#da8bc3"

    def facts(self, call):
        n = numel(_out(call))
        return {"mul": n, "mul_method": n if call.method else 0}


@register
class ElementWise(OpKind):
    """Other element-wise arithmetic: output elements."""

    type = "eltwise"
    functions = ("sub", "subtract", "div", "divide", "truediv", "floordiv", "floor_divide", "pow",
                 "sqrt", "rsqrt", "exp", "log", "neg", "abs", "clamp", "clip", "minimum", "maximum",
                 "where", "reciprocal", "square", "addcmul", "addcdiv", "lerp", "erf", "sin", "cos",
                 "masked_fill", "floor", "ceil", "round", "sign", "eq", "ne", "lt", "le", "gt", "ge",
                 "logical_not", "logical_and", "logical_or", "and", "or", "xor", "invert", "mod",
                 "remainder", "fmod", "clamp_min", "clamp_max", "exp2", "log2", "log1p", "expm1",
                 "cumsum", "cumprod", "sigmoid_", "hypot", "atan2", "tril", "triu", "normalize",
                 "l2_normalize", "cosine_similarity", "isinf", "isnan", "nan_to_num", "frac",
                 "trunc", "copysign")
    role = "other"
    colour = "#ccb974"

    def label(self, call):
        return call.base

    def group(self, call):
        return "Element-wise (other)"

    def facts(self, call):
        return {"eltwise": numel(_out(call))}


# --------------------------------------------------------------------------- free

@register
class Reshape(OpKind):
    """Views, reshapes, permutations, concatenation, splitting, padding, copies, constants:
    no arithmetic (0 MACs), recorded (their tensors matter for memory)."""

    type = "reshape"
    functions = ("view", "reshape", "unflatten", "permute", "transpose", "t", "contiguous",
                 "expand", "expand_as", "repeat", "squeeze", "unsqueeze", "getitem", "cat",
                 "concat", "concatenate", "stack", "hstack", "vstack", "split", "chunk", "unbind",
                 "narrow", "select", "index_select", "gather", "clone", "to", "type", "float",
                 "half", "double", "bfloat16", "roll", "flip", "pad", "constant_pad_nd", "zeros_like",
                 "ones_like", "full_like", "empty_like", "new_zeros", "new_ones", "new_full",
                 "new_empty", "detach", "view_as", "reshape_as", "movedim", "moveaxis",
                 "swapaxes", "swapdims", "repeat_interleave", "tile", "pixel_shuffle",
                 "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "get", "identity",
                 "arange", "zeros", "ones", "full", "empty", "tensor", "as_tensor", "linspace",
                 "meshgrid", "cpu", "cuda", "type_as", "split_with_sizes", "tensor_split",
                 "masked_select", "index", "take_along_dim", "scatter", "index_put", "fill",
                 "zero", "copy", "requires_grad", "broadcast_to", "atleast_1d", "atleast_2d",
                 "flatten_parameters", "diagonal", "diag", "unfold", "fold", "im2col",
                 "rot90", "sort", "argsort", "topk", "argmax", "argmin", "one_hot", "embedding",
                 "setitem", "randn", "rand", "randint", "normal", "bernoulli", "uniform",
                 "where_", "nonzero", "masked_scatter", "numpy", "tolist", "item", "unique",
                 "bucketize", "searchsorted", "mT", "T", "H", "mH", "real", "imag", "as_strided",
                 "unsafe_view", "alias", "chunk_", "positive", "resolve_conj", "resolve_neg",
                 "lift_fresh", "clone_", "data", "new_tensor", "empty_strided", "zeros_",
                 "ravel", "unsqueeze_copy", "trace", "channels_last")
    role = "free"
    colour = "#eeeeee"

    def label(self, call):
        return call.base

    def group(self, call):
        return "Reshape / copy (free)"


@register
class Flatten(OpKind):
    type = "flatten"
    label_text = "flatten"
    functions = ("flatten",)
    role = "free"
    colour = "#eeeeee"

    def group(self, call):
        return "Reshape / copy (free)"


@register
class Dropout(OpKind):
    type = "dropout"
    label_text = "dropout"
    functions = ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                 "feature_alpha_dropout", "drop_path")
    role = "free"
    colour = "#eeeeee"

    def group(self, call):
        return "Dropout"


class Uncounted(OpKind):
    """An operation with no formula: listed by name, never counted as zero silently."""

    type = "uncounted"
    role = "other"
    colour = "#000000"

    def label(self, call):
        return f"{call.base} (no formula)"

    def group(self, call):
        return "No formula"


class Uncalled(OpKind):
    """The parameters of a module the forward never called (an auxiliary head)."""

    type = "uncalled"
    label_text = "never called"
    role = "other"
    colour = "#000000"

    def group(self, call):
        return "Never called (parameters)"


UNCOUNTED = Uncounted()
UNCALLED = Uncalled()

#: Kind types, their role for the architecture check and colour: read by checks and plots.
ROLES = {k.type: k.role for k in KINDS.values()}
COLOURS = {k.type: k.colour for k in KINDS.values()}


def normalise(name: str) -> str:
    """``__iadd__`` -> ``add``, ``relu_`` -> ``relu``, ``_max_pool2d`` -> ``max_pool2d``."""
    n = name
    if n.startswith("__") and n.endswith("__"):
        n = n[2:-2]
        if n[:1] in ("i", "r") and n[1:] in ("add", "sub", "mul", "truediv", "floordiv", "matmul",
                                             "pow", "and", "or", "xor", "mod", "div"):
            n = n[1:]
    n = n.strip("_")
    return {"truediv": "div", "floordiv": "floor_divide"}.get(n, n)


def fvcore_einsum(equation: str, shapes) -> int:
    """fvcore 0.1.5's count of an einsum (``jit_handles.einsum_flop_jit``): exact for
    ``abc,abd->acd`` and ``abc,adc->adb``, else numpy's ``einsum_path`` "optimized flop"
    line (printed ``%.3e``) halved and floored."""
    import numpy as np
    equation = equation.replace(" ", "")
    letters = dict.fromkeys(ch for ch in equation if ch.isalpha())
    equation = equation.translate({ord(x): 97 + i for i, x in enumerate(letters)})
    if equation == "abc,abd->acd":
        n, c, t = shapes[0]
        return int(n * c * t * shapes[-1][-1])
    if equation == "abc,adc->adb":
        n, t, g = shapes[0]
        return int(n * t * g * shapes[-1][1])
    arrs = [np.broadcast_to(np.zeros(1), s) for s in shapes]
    report = np.einsum_path(equation, *arrs, optimize="optimal")[1]
    for line in report.split("\n"):
        if "optimized flop" in line.lower():
            return int(np.floor(float(line.split(":")[-1]) / 2))
    raise NotImplementedError(equation)


def kind_for(base: str, call) -> OpKind | None:
    """The kind that reads the normalised function ``base`` (None: no kind reads it)."""
    if base == "hardtanh" and call.hardtanh_bounds == (0.0, 6.0):
        return KINDS["Activation"]
    if base == "addmm" and call.has_param_weight:
        return KINDS["Linear"]
    if base.startswith("fft_") or base.startswith("linalg_"):
        return None
    return BY_FUNCTION.get(base)
