"""The networks the MobileNet papers compare against: counted through a reference PyTorch
implementation where the spec language cannot write them, or marked as not counted.

A published row's ``arch`` is a built-in spec (searched by :mod:`.search`), or a model
reference (the networks of V1 Tables 8–10, V2 Table 4, V3 Table 3 that are not MobileNets):

* ``torchvision:NAME`` or ``timm:NAME``: that library's model, ``weights=None`` /
  ``pretrained=False``;
* ``reference:NAME``: a builder in :mod:`.reference_nets`, the network as its paper built it
  where the libraries' versions differ (AlexNet's two GPU groups, GoogLeNet's 5×5 branches).

Such a row is counted once by running the model under the operator-level capture
(:mod:`costmodel.capture`) at the row's resolution with the row's classes, and each cell is
matched as a spec's is: the source's own convention (``reproduced``), another convention
``sources.csv`` allows it (``explained``), two swapped digits (``erratum``), or nothing
(``unexplained``, with the counts and the evidence of ``discrepancies.csv``).

A row with no ``arch`` (no spec the language can write, no implementation offline), and a
reference row when PyTorch (or timm) is not installed, has the status ``uncounted``: the cell
names why (the row's note, or the missing extra).  Nothing here imports torch until a
reference row is counted.
"""

from __future__ import annotations

from ..published import printed_rules
from .cells import CellResult, format_value, swapped_digits
from .policy import source_policy

REFERENCE_PREFIX = "reference:"
#: Construction arguments that only save time (no weight initialisation), never the model.
_FAST = {"torchvision:googlenet": {"init_weights": False},
         "torchvision:inception_v3": {"init_weights": False}}


def is_reference(arch: str) -> bool:
    """A published row's ``arch`` that names a PyTorch model rather than a built-in spec."""
    from ..torch_bridge import is_model_ref
    return arch.startswith(REFERENCE_PREFIX) or is_model_ref(arch)


def _cells(row):
    return [(m, p, u) for m, p, u in (("MAdds", row.madds, row.madds_unit),
                                      ("params", row.params, row.params_unit)) if p]


def uncounted(row, why: str) -> list[CellResult]:
    """Cells of a row that cannot be counted here, with the reason."""
    return [CellResult(row.source, row.table, row.version, row.label, metric, printed, unit,
                       None, "uncounted", why) for metric, printed, unit in _cells(row)]


def build(arch: str, classes: int | None):
    """The reference model of ``arch`` (an ``nn.Module`` in eval mode)."""
    kwargs = {} if classes in (None, 1000) else {"num_classes": classes}
    if arch.startswith(REFERENCE_PREFIX):
        from . import reference_nets
        name = arch[len(REFERENCE_PREFIX):]
        builder = getattr(reference_nets, name, None)
        if builder is None or name.startswith("_"):
            raise LookupError(f"{arch}: no such builder in costmodel/conformance/reference_nets.py")
        return builder(**kwargs).eval()
    from ..torch_bridge import load_model
    return load_model(arch, {**_FAST.get(arch, {}), **kwargs}).eval()


def count_reference(arch: str, resolution: int, classes: int | None):
    """The summed facts of the reference model at ``resolution`` and the operations the
    capture has no formula for."""
    import numpy as np
    from .. import count_module
    from ..conventions import Facts
    c = count_module(build(arch, classes), resolution=resolution)
    F = np.asarray(c.F, dtype=object).sum(axis=1)
    return Facts(F), dict(getattr(c, "unsupported", {}) or {})


def check_reference_row(row) -> list[CellResult]:
    """A published row whose ``arch`` is a model reference, counted through PyTorch."""
    from ..errors import MissingExtra
    try:
        facts, unsupported = count_reference(row.arch, row.resolution or 224, row.classes)
    except MissingExtra as e:
        return uncounted(row, f"counting {row.arch} needs PyTorch: {e}")
    from .. import conventions as _conv
    policy = source_policy(row.source)
    key = {"MAdds": "madds", "params": "params"}
    extra = ""
    if unsupported:
        ops = ", ".join(f"{k} ×{v}" for k, v in sorted(unsupported.items()))
        extra = f"; operations without a formula (no multiply-accumulates): {ops}"
    out = []
    for metric, printed, unit in _cells(row):
        primary = policy[key[metric]]
        names = [primary] + [n for n in policy["allowed"][key[metric]] if n != primary]
        values = {}
        for name in names:
            c = _conv.get(name)
            if c.unit != "macs":
                continue
            values[name] = int(c.params(facts) if metric == "params" else c.madds(facts))
        found = [(n, v, printed_rules(v, printed, unit)) for n, v in values.items()]
        found = [(n, v, rules[0]) for n, v, rules in found if rules]
        v0 = values[primary]
        where = f"{row.arch} at {row.resolution or 224}"
        if found:
            name, v, rule = found[0]
            how = rule if name == primary else f"{rule}, with convention {name}"
            out.append(CellResult(row.source, row.table, row.version, row.label, metric,
                                  printed, unit, v, "reproduced" if name == primary else "explained",
                                  f"{how} ({where}){extra}"))
            continue
        swapped = [s for s in swapped_digits(printed) if printed_rules(v0, s, unit)]
        if swapped:
            out.append(CellResult(row.source, row.table, row.version, row.label, metric, printed,
                                  unit, v0, "erratum", f"digits swapped: printed {printed}, "
                                                       f"{where} gives {swapped[0]}{extra}"))
            continue
        counts = "; ".join(f"{format_value(v, unit)} (convention {n})" for n, v in values.items())
        out.append(CellResult(row.source, row.table, row.version, row.label, metric, printed,
                              unit, v0, "unexplained",
                              f"nearest: {counts}; {where}{extra}"))
    return out
