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
          rounding: str = "tf", convention: str = "paper", unit: str | None = None) -> Costing:
    """Count a model's parameters and MAdds, per layer and in total.

    ``model`` is a built-in name (``costmodel.builtin_names()``), a ``.toml`` or
    ``.json`` spec file, a spec dict, or a compiled plan.  ``alpha`` is the
    width multiplier, ``resolution`` the input size (an int, or (h, w); default
    the spec's, 224 for the built-ins), ``classes`` the classifier width
    (default the spec's, 1000 for the built-ins), ``rounding`` the width
    rounding policy (``tf`` or ``torchvision``) and ``convention`` what the
    numbers include (``paper``, ``pytorch``, ...; see ``costmodel.conventions``).
    """
    from .engine import evaluate, plan_for

    plan = plan_for(model)
    F, shapes, res, classes = evaluate(plan, alpha=alpha, resolution=resolution,
                                       classes=classes, rounding=rounding)
    return Costing(plan, F, shapes, alpha=alpha, resolution=res, classes=classes,
                   rounding=rounding, convention=convention, unit=unit)


__all__ = ["count", "builtin_names", "Costing", "LayerRecord", "Totals", "CostmodelError",
           "SpecError", "UsageError"]
