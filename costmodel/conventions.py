"""Conventions: pure functions from a layer's facts to the numbers someone prints.

Papers and tools disagree about MAdds and parameters of the same network
because they count different things, never because the arithmetic differs.
Each convention here states what it counts.  A convention is a pair of
functions of the facts (``layers.FACTS``), so it works the same on one layer,
on every layer at once (numpy arrays) and on the totals; all of them are sums
of facts with integer weights, so the total of a convention is the
convention of the summed facts.

Units: ``macs`` counts one multiply-accumulate as one; ``flops`` counts it as
two (``--unit flops`` doubles a MACs figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .errors import UsageError
from .layers import FACT_ROW


class Facts:
    """Attribute access to fact rows: ``f.macs``, ``f.norm_elements`` ..."""

    __slots__ = ("_v",)

    def __init__(self, values):
        self._v = values

    def __getattr__(self, name):
        try:
            return self._v[FACT_ROW[name]]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Convention:
    """A named way of counting: what its ``madds`` and ``params`` include."""

    name: str
    unit: str                      # "macs" or "flops": what one unit of `madds` is
    summary: str
    madds: Callable
    params: Callable
    doc: str = ""
    #: for a counting tool's convention: the package and version it was written from
    tool: str = ""
    #: one line: how its MAdds differ from the ``paper`` convention's
    versus_paper: str = ""


CONVENTIONS: dict[str, Convention] = {}


def convention(name: str, unit: str, summary: str, *, tool: str = "", versus_paper: str = ""):
    """Register a convention from a class with ``madds`` and ``params`` static methods."""
    def wrap(cls):
        CONVENTIONS[name] = Convention(name, unit, summary, cls.madds, cls.params,
                                       (cls.__doc__ or "").strip(), tool, versus_paper)
        return cls
    return wrap


def _products(f):
    """Every multiply-accumulate of a product: convolution, linear, matmul, attention."""
    return f.macs + f.matmul_macs + f.attention_macs + f.fused_macs


def _other_params(f):
    """Parameters beyond weights, biases and batch norm (captured PyTorch models)."""
    return f.norm_affine + f.other_params + f.uncalled_params


@convention("paper", "macs", "conv + FC (+ matmul, attention) multiply-accumulates; params = weights")
class Paper:
    """The MobileNet papers' convention (and TF-slim's README tables).

    MAdds: multiply-accumulates of convolutions and fully connected layers, the
    squeeze-and-excitation FC layers included, and for a captured PyTorch model
    every matmul, bmm, einsum and attention product (QKᵀ and AV: what the ViT,
    Swin and MobileNetV4 papers count); nothing else (no batch norm,
    activations, pooling, residual adds, SE multiply or biases).  On any model,
    this is torch's ``FlopCounterMode`` total / 2 run on the meta device.
    Params: weights only (no biases, no batch-norm parameters).
    """

    def madds(f):
        return _products(f)

    def params(f):
        return f.weights


@convention("pytorch", "macs", "conv + FC MACs; params = sum(p.numel()) of the PyTorch model")
class PyTorch:
    """The spec built as a PyTorch model.

    Params: ``sum(p.numel() for p in model.parameters())``: weights, biases and
    batch norm's γ and β (2 per channel; running statistics are buffers), other
    norms' affine parameters, every other parameter, and those of modules never
    called (auxiliary heads).
    MAdds: as ``paper`` (torchvision's ``_ops`` metadata is this number).
    """

    def madds(f):
        return _products(f)

    def params(f):
        return f.weights + f.biases + 2 * f.norm_channels + _other_params(f)


@convention("slim-v1", "macs", "conv + FC MACs; params = TF-slim MobileNetV1 variables")
class SlimV1:
    """TF-slim MobileNetV1's variables (its checkpoint README's params column).

    Params: weights, biases and three batch-norm variables per channel (β,
    moving mean, moving variance: ``mobilenet_v1.py`` uses batch norm with
    ``scale=False``, so no γ).  MAdds: as ``paper``.
    """

    def madds(f):
        return _products(f)

    def params(f):
        return f.weights + f.biases + 3 * f.norm_channels + _other_params(f)


@convention("keras", "macs", "conv + FC MACs; params = Keras count (weights, biases, 4 per BN channel)")
class Keras:
    """Keras ``model.count_params()``: weights, biases and four batch-norm values
    per channel (γ, β, moving mean, moving variance).  MAdds: as ``paper``."""

    def madds(f):
        return _products(f)

    def params(f):
        return f.weights + f.biases + 4 * f.norm_channels + _other_params(f)


@convention("fvcore", "macs", "fvcore 0.1.5: conv + linear MACs, batch norm 2 per element, "
                              "adaptive avg pool at input size",
            tool="fvcore 0.1.5.post20221221",
            versus_paper="+ batch norm at 2 per element, + global pooling at its input size; "
                         "activations, adds and the SE multiply 0 (ignored or unsupported)")
class FvCore:
    """fvcore's ``FlopCountAnalysis`` (0.1.5.post20221221) on the model in eval mode.

    Written from ``fvcore/nn/flop_count.py``, ``jit_handles.py`` and
    ``jit_analysis.py``; fvcore counts one fused multiply-add as one "flop":

    * ``aten::_convolution``: ``N·prod(w.shape)·Ho·Wo``, no bias; ``aten::linear``:
      ``prod(input)·out_features``, no bias  -> ``macs``;
    * ``aten::batch_norm`` in eval mode: ``numel·(2 if affine else 1)``
      -> ``2·norm_elements``;
    * ``aten::adaptive_avg_pool2d`` (any output size): input numel -> ``pool_in``;
    * ``aten::matmul``, ``aten::mm``, ``aten::bmm``, ``aten::einsum``: the
      product's MACs -> ``matmul_macs`` (a general einsum's from numpy's
      ``einsum_path`` report at 4 significant digits: ``+ einsum_print_error``);
    * ``aten::batch_norm`` without affine: numel -> ``bn_plain_elements``;
    * ``aten::layer_norm``, ``aten::group_norm``, ``aten::instance_norm``:
      ``numel·(5 if affine else 4)`` -> ``4·lnorm_elements + lnorm_affine_elements``;
    * ``aten::upsample_nearest2d``: output numel; ``aten::upsample_bilinear2d``:
      4 per output element;
    * skipped (unsupported, counted 0): ``aten::scaled_dot_product_attention``
      (``attention_macs``), ``aten::_native_multi_head_attention`` (the fused
      eval path of ``nn.MultiheadAttention``: ``fused_macs``, projections
      included), ``aten::softmax``, ``aten::gelu``, ``aten::silu``, max and
      windowed average pooling, ``aten::mean``, sub, div, ...;
    * ignored silently (``_IGNORED_OPS``): ``aten::relu(_)``, ``aten::dropout``,
      ``aten::flatten``, views and reshapes;
    * unsupported, skipped with a warning and counted 0: ``aten::hardtanh(_)``
      (ReLU6), ``aten::hardswish(_)``, ``aten::hardsigmoid``, ``aten::sigmoid``,
      ``aten::add(_)`` (residuals), ``aten::mul`` (the SE scale),
      ``aten::dropout_``, ``aten::avg_pool2d``, ``aten::max_pool2d``.

    Params: ``fvcore.nn.parameter_count``: every parameter (weights, biases, γ, β).
    """

    def madds(f):
        return (f.macs + f.matmul_macs + f.einsum_print_error + 2 * f.norm_elements
                + f.bn_plain_elements + f.pool_in
                + 4 * f.lnorm_elements + f.lnorm_affine_elements + f.upsample_nearest_out
                + 4 * f.upsample_linear_out)

    def params(f):
        return f.weights + f.biases + 2 * f.norm_channels + _other_params(f)


# --------------------------------------------------------------------------- peer counters
#
# Each convention below rebuilds one counting tool's total from the facts, quirks included.
# They were written from the tools' source (the versions named, the ones the `peers` extra
# pins) and checked by running the tools (`costmodel reconcile`, tests/test_reconcile.py).
# Parameters: every one of these tools that counts parameters reports sum(p.numel()) on
# MobileNets (weights, biases, batch norm γ and β); torchprofile and FlopCounterMode count
# none, and their params are that sum too.

def _torch_params(f):
    return f.weights + f.biases + 2 * f.norm_channels + _other_params(f)


@convention("ptflops-pytorch", "macs",
            "ptflops 0.7.5, default 'pytorch' backend: module hooks + patched functionals",
            tool="ptflops 0.7.5",
            versus_paper="+ conv and linear biases, + batch norm at 2 per element, + ReLU and "
                         "ReLU6 elements (nn.ReLU twice), + global pooling at input size "
                         "(nn.AdaptiveAvgPool2d twice)")
class PtflopsPytorch:
    """ptflops 0.7.5, ``get_model_complexity_info(..., backend="pytorch")`` (the code default).

    Module forward hooks (``pytorch_ops.MODULES_MAPPING``) plus monkey-patched
    ``torch.nn.functional`` calls (``FUNCTIONAL_MAPPING``, ``count_functional=True``):

    * ``nn.Conv2d``: ``k²·Cin·(Cout/g)·N·Ho·Wo`` + ``N·Cout·Ho·Wo`` for a bias
      -> ``macs + bias_elements``; ``nn.Linear``: ``(in·out + out)·N`` with a
      bias -> ``macs + bias_elements``;
    * ``nn.BatchNorm2d``: ``numel·(2 if affine)`` -> ``2·norm_elements``;
    * ``nn.ReLU``: output numel by its hook **and** input numel again by the
      patched ``F.relu`` it calls -> ``2·relu_module``; ``F.relu`` called
      directly -> once; ``nn.ReLU6``: once by its hook (it calls
      ``F.hardtanh``, not patched); ``F.relu6`` -> once; so ``relu + relu_module + relu6``;
    * ``nn.AdaptiveAvgPool2d``: input numel by its hook and again by the patched
      ``F.adaptive_avg_pool2d`` -> ``2·pool_in_module``; the function alone
      once -> ``pool_in + pool_in_module``;
    * ``F.gelu``, ``F.silu`` (patched): numel -> ``gelu + silu``; an ``nn.GELU``
      module (exactly that class: timm's own ``GELU`` is not hooked) again by its
      hook -> ``gelu_module``; ``F.softmax``: numel -> ``softmax_function``;
    * ``torch.mul``/``x.mul``, ``torch.add``/``x.add`` (patched, not the operators):
      the broadcast numel -> ``mul_method + add_method``; ``torch.matmul``,
      ``x.matmul``, ``mm``, ``bmm`` (not ``@``): ``prod(a)·b[-1]`` -> ``matmul_method_macs``;
    * ``nn.LayerNorm``, ``nn.GroupNorm``, ``nn.InstanceNorm*d`` (exactly those
      classes): ``numel·(2 if module.affine)`` -> ``ln_module + gn_module +
      gn_module_affine + in_module + in_module_affine`` (``nn.LayerNorm`` has no
      ``affine`` attribute, its option is ``elementwise_affine``: 1 per element);
    * 0: ``nn.Hardswish``, ``nn.Hardsigmoid``, ``nn.Sigmoid`` (no hook, no
      patched function), ``x + y`` and ``x * s``, dropout, flatten.

    * ``F.linear`` is not patched (its line is commented out): a linear product no
      ``nn.Linear`` module ran is not counted -> ``− fc_function_macs − fc_function_bias``;
    * timm's ``Attention``: its own hook, ``B·(N·C + H·(2·N²·d + N²))`` (the query
      scaling, QKᵀ and AV, the softmax) -> ``attention_module_query +
      attention_module_core + attention_module_softmax``; a hooked module's count
      replaces its children's, so its ``qkv`` and ``proj`` linear layers are lost
      -> ``− attention_module_fc_macs − attention_module_fc_bias``;
    * ``nn.MultiheadAttention`` (fused or not): its own hook, the query scaling,
      the four projections with their biases ("bias is always enabled" for the
      output one), QKᵀ, softmax and AV -> ``attention_module_query +
      attention_module_core + attention_module_bias + attention_module_softmax``
      (self-attention: its formula takes K's and V's widths as Q's).

    Params: ``sum(p.numel() for p in model.parameters() if p.requires_grad)``.
    """

    def madds(f):
        return (f.macs + f.bias_elements + 2 * f.norm_elements + f.relu + f.relu_module
                + f.relu6 + f.pool_in + f.pool_in_module + f.gelu + f.gelu_module + f.silu
                + f.softmax_function + f.mul_method + f.add_method + f.matmul_method_macs
                + f.ln_module + f.gn_module + f.gn_module_affine + f.in_module
                + f.in_module_affine + f.attention_module_query + f.attention_module_core
                + f.attention_module_softmax + f.attention_module_bias
                - f.attention_module_fc_macs - f.attention_module_fc_bias - f.fc_function_macs
                - f.fc_function_bias)

    params = _torch_params


@convention("ptflops-aten", "macs", "ptflops 0.7.5, 'aten' backend: convolution and matmul ops "
                                    "with their biases",
            tool="ptflops 0.7.5",
            versus_paper="+ conv and linear biases (1 per output element); nothing else")
class PtflopsAten:
    """ptflops 0.7.5, ``get_model_complexity_info(..., backend="aten")``.

    A ``TorchDispatchMode`` that counts only ``aten.convolution`` /
    ``aten._convolution`` (``N·prod(w.shape)·Ho·Wo`` + ``N·Cout·Ho·Wo`` for a
    bias) and ``aten.mm`` / ``aten.matmul`` / ``aten.addmm`` / ``aten.bmm``
    (``addmm`` adds ``N·out`` for the bias) -> ``macs + bias_elements``.
    Everything else (batch norm, activations, pooling, adds, multiplies) is a
    "zero-op".  Params: as ``ptflops-pytorch``.
    """

    def madds(f):
        return f.macs + f.matmul_macs + f.bias_elements

    params = _torch_params


@convention("thop", "macs", "thop 0.1.1: leaf-module hooks; batch norm 4 per element",
            tool="thop 0.1.1.post2209072238",
            versus_paper="+ batch norm at 4 per element (affine), + nn.AdaptiveAvgPool2d as "
                         "(H·W+1)·C; misses functional pooling, activations, adds, multiplies")
class Thop:
    """thop 0.1.1.post2209072238, ``thop.profile(model, inputs=(x,))``.

    Forward hooks on leaf modules of registered types (``profile.register_hooks``,
    formulas in ``vision/basic_hooks.py`` and ``vision/calc_func.py``):

    * ``nn.Conv2d``: ``numel(out)·(Cin/g)·k²``, the bias ignored -> ``macs``;
      ``nn.Linear``: ``in_features·numel(out)`` -> ``macs``;
    * ``nn.BatchNorm2d``: ``calculate_norm`` = 2·numel, doubled again when affine
      -> ``4·norm_elements``;
    * ``nn.AdaptiveAvgPool2d``: ``(in_area/out_area + 1)·numel(out)``, for a
      global pool ``(H·W + 1)·C`` -> ``pool_in_module + pool_out_module``;
    * ``nn.LayerNorm``, ``nn.InstanceNorm*d`` (exactly those classes):
      ``2·numel``, doubled when affine -> ``2·(ln_module + ln_module_affine +
      in_module + in_module_affine)``; ``nn.GroupNorm``: no rule (0);
    * 0: ``nn.ReLU``, ``nn.ReLU6``, ``nn.Dropout`` (``zero_ops``); no rule (0):
      ``nn.Hardswish``, ``nn.Hardsigmoid``, ``nn.Sigmoid``, ``nn.GELU``,
      ``nn.Flatten``, ``nn.MultiheadAttention``; never seen: functional calls
      (``F.adaptive_avg_pool2d``, ``F.relu``, ``F.linear`` with a module's weights
      -> ``− fc_function_macs``), ``+``, ``*``, matmul, attention.

    Params: ``sum(p.numel())`` of the modules with a rule (all of them in these models).
    """

    def madds(f):
        return (f.macs - f.fc_function_macs + 4 * f.norm_elements + f.pool_in_module
                + f.pool_out_module + 2 * (f.ln_module + f.ln_module_affine + f.in_module
                                           + f.in_module_affine))

    params = _torch_params


@convention("torchinfo", "macs", "torchinfo 1.8.0: parameters × output positions",
            tool="torchinfo 1.8.0",
            versus_paper="+ conv and linear biases (parameters × output positions), "
                         "+ batch norm at 2 per channel (not per element); a linear layer "
                         "over tokens at N·params, functional linears, matmul and attention 0")
class Torchinfo:
    """torchinfo 1.8.0, ``summary(model, input_data=x).total_mult_adds``.

    ``LayerInfo.calculate_macs`` on every leaf module called: for each ``weight``
    and ``bias`` parameter, ``Conv*``: ``numel(param)·N·Ho·Wo``; any other module:
    ``output_size[0]·numel(param)`` (``N`` times its parameters):

    * convolution: ``(weights + biases)·Ho·Wo`` -> ``macs + bias_elements``;
    * ``nn.Linear``: ``N·(in·out + out)`` -> ``macs + bias_elements``;
    * ``nn.BatchNorm2d``: ``N·2C`` (γ and β) -> ``2·norm_channels``;
    * 0: every module without parameters (activations, pooling) and every
      function (``+``, ``*``).

    * ``nn.Linear`` over tokens (``N×L×in``): still ``N·(in·out + out)``, its
      output's first dimension times its parameters -> ``− fc_lead_macs − fc_lead_bias``;
    * ``nn.LayerNorm``, ``nn.GroupNorm`` (any leaf module with ``weight`` and
      ``bias``): ``N·(weight + bias)`` -> ``norm_affine``;
    * 0: a linear product no ``nn.Linear`` module ran (``F.linear`` with another
      module's weights, as torchvision's Swin writes it; ``nn.MultiheadAttention``,
      which is not a leaf and runs its projections as functions)
      -> ``− fc_function_macs − fc_function_bias``; parameters held by modules with
      children (a ViT's class token and position embedding, layer scales); matmul
      and attention.

    A module called twice is counted twice; ``norm_channels`` counts a shared
    batch norm's parameters once, so a model that reuses a batch norm module
    differs by ``2C`` per extra call.  Params: ``sum(p.numel())``, shared
    parameters once.
    """

    def madds(f):
        return (f.macs + f.bias_elements + 2 * f.norm_channels + f.norm_affine
                - f.fc_lead_macs - f.fc_lead_bias - f.fc_function_macs - f.fc_function_bias)

    params = _torch_params


@convention("torchprofile", "macs", "torchprofile 0.1.0: traced aten ops; batch norm, pooling "
                                    "output and the SE multiply",
            tool="torchprofile 0.1.0",
            versus_paper="+ batch norm at 1 per element, + global pooling at its output size, "
                         "+ the SE multiply (aten::mul), + affine layer/group norm at 1 per "
                         "element, + mean at its output size")
class Torchprofile:
    """torchprofile 0.1.0, ``profile_macs(model, x)`` (``handlers.HANDLER_MAP``).

    A ``torch.jit`` trace, counted per aten operator:

    * ``aten::_convolution``: ``numel(out)·(Cin/g)·k²``, no bias -> ``macs``;
      ``aten::linear``: the matmul, no bias -> ``macs``;
    * ``aten::batch_norm``: ``numel(out)`` when affine -> ``norm_elements``;
    * ``aten::adaptive_avg_pool2d`` (module or function): ``numel(out)`` -> ``pool_out``;
    * ``aten::mul`` / ``aten::mul_``: ``numel(out)`` -> ``mul``;
    * ``aten::matmul``, ``bmm``, ``baddbmm``, ``addmm``, ``einsum``: the product's
      MACs -> ``matmul_macs``; ``aten::scaled_dot_product_attention`` (and the
      unfused ``nn.MultiheadAttention``'s products): QKᵀ + AV -> ``attention_macs``;
    * ``aten::layer_norm``, ``group_norm``, ``instance_norm`` with affine:
      ``numel(out)`` -> ``lnorm_affine_elements``;
    * ``aten::mean``, ``avg_pool*d``, ``adaptive_avg_pool1d/3d``: ``numel(out)``
      -> ``mean_out + avgpool_other_out``; ``aten::upsample_bilinear2d``,
      ``grid_sampler``: ``4·numel(out)`` -> ``4·upsample_linear_out``;
    * 0 (``_ZERO_COST_OPS``): ``aten::relu(_)``, ``aten::hardtanh(_)`` (ReLU6),
      ``aten::sigmoid``, ``aten::gelu``, ``aten::silu``, ``aten::softmax``,
      ``aten::add(_)``, ``sub``, ``div``, ``sum``, max pooling, dropout, flatten; 0
      with a "No handlers found" warning: ``aten::hardswish(_)``,
      ``aten::hardsigmoid``, ``aten::_native_multi_head_attention`` (``fused_macs``).

    Params: not counted by the tool; ``sum(p.numel())``.
    """

    def madds(f):
        return (f.macs + f.norm_elements + f.pool_out + f.mul + f.matmul_macs
                + f.attention_macs + f.lnorm_affine_elements + f.mean_out
                + f.avgpool_other_out + 4 * f.upsample_linear_out)

    params = _torch_params


@convention("flopcountermode", "flops", "torch.utils.flop_counter.FlopCounterMode: "
                                        "2 FLOPs per conv/matmul MAC, nothing else",
            tool="torch (torch.utils.flop_counter)",
            versus_paper="the paper's MACs in FLOPs (×2), biases excluded; nothing else")
class TorchFlopCounter:
    """PyTorch's ``torch.utils.flop_counter.FlopCounterMode`` (``get_total_flops()``).

    A ``TorchDispatchMode`` with formulas for ``aten.convolution``
    (``2·N·Cout·(Cin/g)·k²·Ho·Wo``, bias ignored) and ``aten.mm`` /
    ``aten.addmm`` (``2·m·n·k``, bias ignored) -> ``2·macs`` FLOPs; every
    other operator (batch norm, activations, pooling, adds, multiplies) is
    silently 0.  Its unit is FLOPs: 2 per multiply-accumulate.

    ``aten.bmm``, ``aten.baddbmm`` and the scaled-dot-product attention kernels
    (flash, efficient, cuDNN) are counted too.  It is run on the meta device,
    where ``F.scaled_dot_product_attention`` decomposes into counted ``bmm``s and
    ``nn.MultiheadAttention`` takes no fused path; on the CPU it would miss
    ``_scaled_dot_product_flash_attention_for_cpu`` and
    ``_native_multi_head_attention`` (no formula in its registry): ``2·paper``.

    Params: not counted by the tool; ``sum(p.numel())``.
    """

    def madds(f):
        return 2 * _products(f)

    params = _torch_params


@convention("deepspeed", "flops", "DeepSpeed 0.19.8 flops profiler: FLOPs = 2·MACs + conv bias, "
                                  "batch norm, F.relu/F.relu6 and pooling elements",
            tool="deepspeed 0.19.8",
            versus_paper="FLOPs: 2 × the paper's MACs + conv biases (not linear), + batch norm at 2 "
                         "per element, + F.relu / F.relu6 elements (not nn.ReLU6), + pooling input, "
                         "+ layer norm at 5 per element, + GELU, SiLU, F.softmax, torch.mul/add")
class DeepSpeed:
    """DeepSpeed 0.19.8's flops profiler, ``get_model_profile(...)``: its FLOPs total.

    It patches ``torch.nn.functional`` and some tensor methods
    (``profiler._patch_functionals``, ``_patch_tensor_methods``) and counts FLOPs:

    * ``F.conv2d``: ``2·k²·Cin·(Cout/g)·N·Ho·Wo`` + ``Cout·N·Ho·Wo`` for a bias
      -> ``2·macs`` + the convolutions' ``bias_elements``;
    * ``F.linear``: ``2·numel(in)·out``, the bias ignored -> ``2·macs``, no
      ``fc_bias_elements``;
    * ``F.batch_norm`` (eval): ``numel·(2 if affine)`` -> ``2·norm_elements``;
    * ``F.relu``: numel; ``nn.ReLU`` calls it -> ``relu``; ``F.relu6``:
      numel, but ``nn.ReLU6`` calls ``F.hardtanh`` (not patched) -> ``relu6 − relu6_module``;
    * ``F.adaptive_avg_pool2d`` (``nn.AdaptiveAvgPool2d`` calls it): input numel -> ``pool_in``;
      the other ``F`` poolings (max, windowed average, 1-D / 3-D): input numel
      -> ``pool_other_in``;
    * ``torch.matmul``, ``@``, ``mm``, ``bmm``: ``2·prod(a)·b[-1]`` -> ``2·matmul_macs``;
      ``torch.einsum``: numpy's ``einsum_path`` "optimized flop" -> ``2·(matmul_macs
      + einsum_print_error)`` (to its last digit: the printed value may be odd);
      ``F.scaled_dot_product_attention``: ``2·(QKᵀ + AV)`` -> ``2·attention_macs``;
    * ``F.layer_norm``, ``F.group_norm``, ``F.instance_norm``: ``numel·(5 if affine
      else 4)`` -> ``4·lnorm_elements + lnorm_affine_elements``; ``F.batch_norm``
      without affine: numel -> ``bn_plain_elements``;
    * ``F.gelu``, ``F.silu``: numel -> ``gelu + silu``; ``F.softmax`` (not a
      tensor's ``.softmax``): numel -> ``softmax_function``;
    * ``torch.mul`` / ``x.mul``, ``torch.add`` / ``x.add``: the broadcast numel
      -> ``mul_method + add_method``;
    * 0: ``F.hardswish``, ``F.hardsigmoid``, ``torch.sigmoid`` (not patched),
      the ``+`` and ``*`` operators, ``x.mean``, dropout, the fused
      ``_native_multi_head_attention`` (``fused_macs``).

    Its MACs total (the second number it returns) is ``macs``: the paper's.
    Params: ``sum(p.numel())`` per module.
    """

    def madds(f):
        return (2 * f.macs + f.bias_elements - f.fc_bias_elements + 2 * f.norm_elements
                + f.relu + f.relu6 - f.relu6_module + f.pool_in
                + 2 * (f.matmul_macs + f.einsum_print_error + f.attention_macs)
                + 4 * f.lnorm_elements + f.lnorm_affine_elements + f.bn_plain_elements
                + f.gelu + f.silu + f.softmax_function + f.mul_method + f.add_method
                + f.pool_other_in)

    params = _torch_params


def get(name: str) -> Convention:
    if name not in CONVENTIONS:
        raise UsageError(f"unknown convention {name!r}: use one of {', '.join(CONVENTIONS)}")
    return CONVENTIONS[name]


UNITS = ("macs", "flops")


def unit_factor(convention_unit: str, unit: str | None, convention: str | None = None) -> int:
    """Multiplier from a convention's own unit to the unit asked for."""
    if unit is None or unit == convention_unit:
        return 1
    if unit not in UNITS:
        raise UsageError(f"--unit {unit!r}: unknown unit, use macs or flops")
    if convention_unit == "macs" and unit == "flops":
        return 2
    who = f"--convention {convention} counts" if convention else "this count is in"
    raise UsageError(f"--unit {unit}: {who} FLOPs, which cannot be shown in MACs exactly "
                     f"(use --unit flops, or leave --unit out)")


def weights_of(conv: Convention, metric: str = "madds") -> dict[str, int]:
    """The integer weight of every fact in a convention's MAdds (or params): it is linear."""
    from .layers import FACTS
    count = conv.params if metric == "params" else conv.madds
    out = {}
    for name in FACTS:
        unit = [0] * len(FACTS)
        unit[FACT_ROW[name]] = 1
        w = int(count(Facts(unit)))
        if w:
            out[name] = w
    return out


def unit_label(unit: str) -> str:
    return {"macs": "MACs", "flops": "FLOPs"}[unit]
