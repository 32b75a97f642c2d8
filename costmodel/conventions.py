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


CONVENTIONS: dict[str, Convention] = {}


def convention(name: str, unit: str, summary: str):
    """Register a convention from a class with ``madds`` and ``params`` static methods."""
    def wrap(cls):
        CONVENTIONS[name] = Convention(name, unit, summary, cls.madds, cls.params,
                                       (cls.__doc__ or "").strip())
        return cls
    return wrap


@convention("paper", "macs", "conv + FC multiply-accumulates; params = weights")
class Paper:
    """The MobileNet papers' convention (and TF-slim's README tables).

    MAdds: multiply-accumulates of convolutions and fully connected layers, the
    squeeze-and-excitation FC layers included; nothing else (no batch norm,
    activations, pooling, residual adds, SE multiply or biases).
    Params: weights only (no biases, no batch-norm parameters).
    """

    def madds(f):
        return f.macs

    def params(f):
        return f.weights


@convention("pytorch", "macs", "conv + FC MACs; params = sum(p.numel()) of the PyTorch model")
class PyTorch:
    """The spec built as a PyTorch model.

    Params: ``sum(p.numel() for p in model.parameters())``: weights, biases and
    batch norm's γ and β (2 per channel; running statistics are buffers).
    MAdds: as ``paper`` (torchvision's ``_ops`` metadata is this number).
    """

    def madds(f):
        return f.macs

    def params(f):
        return f.weights + f.biases + 2 * f.norm_channels


@convention("slim-v1", "macs", "conv + FC MACs; params = TF-slim MobileNetV1 variables")
class SlimV1:
    """TF-slim MobileNetV1's variables (its checkpoint README's params column).

    Params: weights, biases and three batch-norm variables per channel (β,
    moving mean, moving variance: ``mobilenet_v1.py`` uses batch norm with
    ``scale=False``, so no γ).  MAdds: as ``paper``.
    """

    def madds(f):
        return f.macs

    def params(f):
        return f.weights + f.biases + 3 * f.norm_channels


@convention("keras", "macs", "conv + FC MACs; params = Keras count (weights, biases, 4 per BN channel)")
class Keras:
    """Keras ``model.count_params()``: weights, biases and four batch-norm values
    per channel (γ, β, moving mean, moving variance).  MAdds: as ``paper``."""

    def madds(f):
        return f.macs

    def params(f):
        return f.weights + f.biases + 4 * f.norm_channels


@convention("fvcore", "macs", "fvcore 0.1.5: conv + linear MACs, batch norm 2 per element, "
                              "adaptive avg pool at input size")
class FvCore:
    """fvcore's ``FlopCountAnalysis`` (0.1.5.post20221221) on the model in eval mode.

    Written from ``fvcore/nn/flop_count.py``, ``jit_handles.py`` and
    ``jit_analysis.py``; fvcore counts one fused multiply-add as one "flop":

    * ``aten::_convolution``: ``N·prod(w.shape)·Ho·Wo``, no bias; ``aten::linear``:
      ``prod(input)·out_features``, no bias  -> ``macs``;
    * ``aten::batch_norm`` in eval mode: ``numel·(2 if affine else 1)``
      -> ``2·norm_elements``;
    * ``aten::adaptive_avg_pool2d``: input numel -> ``pool_in``;
    * ignored silently (``_IGNORED_OPS``): ``aten::relu(_)``, ``aten::dropout``,
      ``aten::flatten``, views and reshapes;
    * unsupported, skipped with a warning and counted 0: ``aten::hardtanh(_)``
      (ReLU6), ``aten::hardswish(_)``, ``aten::hardsigmoid``, ``aten::sigmoid``,
      ``aten::add(_)`` (residuals), ``aten::mul`` (the SE scale),
      ``aten::dropout_``, ``aten::avg_pool2d``, ``aten::max_pool2d``.

    Params: ``fvcore.nn.parameter_count``: every parameter (weights, biases, γ, β).
    """

    def madds(f):
        return f.macs + 2 * f.norm_elements + f.pool_in

    def params(f):
        return f.weights + f.biases + 2 * f.norm_channels


def get(name: str) -> Convention:
    if name not in CONVENTIONS:
        raise UsageError(f"unknown convention {name!r}: use one of {', '.join(CONVENTIONS)}")
    return CONVENTIONS[name]


UNITS = ("macs", "flops")


def unit_factor(convention_unit: str, unit: str | None) -> int:
    """Multiplier from a convention's own unit to the unit asked for."""
    if unit is None or unit == convention_unit:
        return 1
    if unit not in UNITS:
        raise UsageError(f"unknown unit {unit!r}: use macs or flops")
    if convention_unit == "macs" and unit == "flops":
        return 2
    raise UsageError(f"a count in FLOPs cannot be shown in MACs exactly")


def unit_label(unit: str) -> str:
    return {"macs": "MACs", "flops": "FLOPs"}[unit]
