"""costmodel: exact parameters and mult-adds of every layer of a CNN, without running it.

>>> import costmodel
>>> c = costmodel.count("mobilenet_v1")
>>> c.totals.madds, c.totals.params
(568740352, 4209088)
>>> costmodel.count("mobilenet_v2", alpha=0.5, resolution=160).totals.madds
50176096

``count()`` is the fast path: it returns a :class:`~costmodel.costing.Costing`
(per-layer records and totals) without building a DataFrame; ``.to_frame()``
gives the DataFrame the command line prints.
"""

from __future__ import annotations

from .costing import Costing, LayerRecord, Totals
from .errors import CostmodelError, SpecError, UsageError
from .spec import builtin_names

__version__ = "0.1.0"


def count(model, *, alpha: float = 1.0, resolution=None, classes: int | None = None,
          rounding: str = "tf", convention: str = "paper", unit: str | None = None,
          kwargs: dict | None = None, channels: int = 3, input_shape=None) -> Costing:
    """Count a model's parameters and MAdds, per layer and in total.

    ``model`` is a built-in name (``costmodel.builtin_names()``), a ``.toml`` or
    ``.json`` spec file, a spec dict, a compiled plan, a PyTorch ``nn.Module``,
    ``"torchvision:NAME"`` or ``"path/to/file.py:callable"`` (built with
    ``kwargs``; both need the ``torch`` extra).  ``alpha`` is the width
    multiplier, ``resolution`` the input size (an int, or (h, w); default the
    spec's, 224 for the built-ins), ``classes`` the classifier width (default
    the spec's, 1000 for the built-ins), ``rounding`` the width rounding policy
    (``tf`` or ``torchvision``) and ``convention`` what the numbers include
    (``paper``, ``pytorch``, ``fvcore``, ...; see ``costmodel.conventions``).

    A PyTorch model is run once at ``resolution`` to extract its layers; ``alpha``,
    ``classes`` and ``rounding`` do not apply to it (build it with its own width
    argument instead), ``channels`` is its input's channels (3), and the
    operations the engine has no formula for are in ``Costing.unsupported``.
    """
    from .engine import evaluate, plan_for
    from .torch_bridge import is_pytorch

    if is_pytorch(model):
        return count_module(model, resolution=resolution, convention=convention, unit=unit,
                            kwargs=kwargs, alpha=alpha, classes=classes, channels=channels,
                            input_shape=input_shape, rounding=rounding)
    if kwargs:
        raise UsageError(f"--kwargs ({', '.join(kwargs)}) applies to a torchvision:NAME, timm:NAME "
                         f"or file.py:callable MODEL; "
                         f"{model if isinstance(model, str) else 'a spec'} "
                         f"is a spec: change the spec, or use --alpha, --classes, --resolution")
    plan = plan_for(model)
    F, shapes, res, classes = evaluate(plan, alpha=alpha, resolution=resolution,
                                       classes=classes, rounding=rounding)
    return Costing(plan, F, shapes, alpha=alpha, resolution=res, classes=classes,
                   rounding=rounding, convention=convention, unit=unit)


def count_module(model, *, resolution=None, convention: str = "paper", unit: str | None = None,
                 kwargs: dict | None = None, alpha: float = 1.0, classes=None,
                 channels: int = 3, input_shape=None, rounding: str = "tf") -> Costing:
    """Count a PyTorch model (or a ``torchvision:``/``timm:``/``file.py:`` reference) by
    running it once under an operator-level capture (``costmodel.capture``).

    The input is ``input_shape`` (without the batch, e.g. ``(1, 28, 28)``), else
    ``channels`` × ``resolution`` (an int or (h, w); default 224).
    """
    from .capture import capture
    from .costing import CapturedCosting
    from .errors import UsageError
    from .torch_bridge import DEFAULT_RESOLUTION, is_module, load_model
    if alpha != 1.0 or classes is not None or rounding != "tf":
        given = [n for n, v in (("alpha", alpha != 1.0), ("classes", classes is not None),
                                ("rounding", rounding != "tf")) if v]
        raise UsageError(f"--{', --'.join(given)} apply to specs; a PyTorch model has its own "
                         f"widths (build it with its width argument, e.g. --kwargs "
                         f"width_mult=0.75)")
    name = model if isinstance(model, str) else type(model).__name__
    module = model if is_module(model) else load_model(model, kwargs)
    if input_shape is None:
        res = DEFAULT_RESOLUTION if resolution is None else resolution
        h, w = (res, res) if isinstance(res, int) else res
        input_shape = (channels, h, w)
    cap = capture(module, input_shape, name=name)
    return CapturedCosting(cap, convention=convention, unit=unit, name=name)


def predict_latency(model, device="mnv4-pixel6-cpu", *, batch: int = 1, dtype: str | None = None,
                    **count_kwargs):
    """Predicted latency of a model on a device profile (a preset name, a JSON file or a
    :class:`costmodel.latency.Profile`): a :class:`costmodel.latency.Latency` with per-layer
    times, bounds and ``total_ms``.  ``model`` and ``count_kwargs`` are as for :func:`count`
    (or an existing :class:`Costing`).

    >>> import costmodel
    >>> round(costmodel.predict_latency("mobilenet_v1", "macs-only").total_ms, 3)
    568.74
    """
    from .latency import predict
    c = model if isinstance(model, Costing) else count(model, **count_kwargs)
    return predict(c, device, batch=batch, dtype=dtype)


def memory_of(model, *, dtype: str = "fp32", batch: int = 1, **count_options):
    """Memory of a model: per-layer facts, totals, the eager peak and the V2 paper's rule.

    ``model`` and ``count_options`` as for :func:`count` (or an evaluated Costing);
    ``dtype`` is ``fp32``, ``fp16``, ``bf16`` or ``int8``.  Returns a
    :class:`costmodel.memory.MemoryReport`: ``.layers`` (one
    :class:`~costmodel.memory.LayerMemory` each: input, output and parameter elements and
    bytes, ``bytes_moved``, ``macs``, ``intensity`` in MACs per byte, ``live_bytes``),
    ``.peak`` (bytes, layer, live bytes per layer) and ``.paper`` (the V2 paper's rule).

    >>> costmodel.memory_of("mobilenet_v2", dtype="fp16").peak.layer
    'bottleneck1.dw'
    """
    from .memory import memory
    c = model if isinstance(model, Costing) else count(model, **count_options)
    return memory(c, dtype=dtype, batch=batch)


__all__ = ["count", "count_module", "predict_latency", "memory_of", "builtin_names", "Costing", "LayerRecord", "Totals", "CostmodelError",
           "SpecError", "UsageError"]
