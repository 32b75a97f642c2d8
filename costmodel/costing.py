"""A Costing: the per-layer facts of one evaluated model, and its numbers in a convention.

``costmodel.count()`` returns one.  It holds the exact integer facts of every
layer (computed by the engine) and reads them through a convention:
``totals`` are the convention's parameters and MAdds of the whole model,
``layers`` one :class:`LayerRecord` per layer, ``to_frame()`` the pandas
DataFrame the command line prints.  Nothing here computes a cost; it only
selects and formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import conventions as _conv
from .conventions import Facts
from .layers import FACTS, KINDS
from .scaling import NO_ROUNDING


@dataclass(frozen=True)
class Totals:
    """A model's parameters and MAdds under a named convention and unit."""

    params: int
    madds: int
    convention: str
    unit: str

    def __iter__(self):
        return iter((self.params, self.madds))


class LayerRecord:
    """One layer: its name, kind, shapes, parameters and MAdds (in the costing's convention)."""

    __slots__ = ("name", "type", "kind", "input", "output", "mid", "weights", "biases",
                 "norm_params", "params", "madds", "facts", "layer", "module", "block", "_group",
                 "_formula", "captured")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)

    @property
    def formula(self) -> str:
        """The layer's cost formula with its numbers filled in (paper notation)."""
        text = getattr(self, "_formula", None)
        if text is not None:
            return text
        return KINDS[self.type].formula(self)

    @property
    def group(self) -> str:
        """Its row in a by-type table ("Conv 1×1", "Conv DW 3×3", ...)."""
        return self._group

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "input": list(self.input),
                "output": list(self.output), "weights": self.weights, "biases": self.biases,
                "norm_params": self.norm_params, "params": self.params, "madds": self.madds,
                "formula": self.formula}

    def __repr__(self):
        return (f"LayerRecord({self.name!r}, {self.kind}, {self.input}->{self.output}, "
                f"params={self.params}, madds={self.madds})")


class Costing:
    """Per-layer facts of one model at one (α, resolution, classes, rounding)."""

    def __init__(self, plan, F, shapes, *, alpha, resolution, classes, rounding,
                 convention="paper", unit=None, name=None):
        self.plan = plan
        self.F = F
        self.shapes = shapes
        self.alpha = alpha
        self.resolution = resolution
        self.classes = classes
        self.rounding = rounding
        self.name = name or plan.name
        #: operations the engine has no formula for (PyTorch models): name -> count
        self.unsupported = {}
        #: sum(p.numel()) of the PyTorch model, when one was counted
        self.model_params = None
        self.convention = _conv.get(convention)
        self.unit = unit or self.convention.unit
        self._factor = _conv.unit_factor(self.convention.unit, self.unit,
                                            self.convention.name)
        sums = F[: len(FACTS)].sum(axis=1)
        self._sums = sums
        self.totals = Totals(int(self.convention.params(Facts(sums))),
                             int(self.convention.madds(Facts(sums))) * self._factor,
                             self.convention.name, self.unit)

    # -- other views of the same facts
    def in_convention(self, convention: str, unit: str | None = None) -> "Costing":
        """The same model counted in another convention (no re-evaluation)."""
        other = Costing(self.plan, self.F, self.shapes, alpha=self.alpha,
                        resolution=self.resolution, classes=self.classes, rounding=self.rounding,
                        convention=convention, unit=unit, name=self.name)
        other.unsupported, other.model_params = self.unsupported, self.model_params
        return other

    def fact_totals(self) -> dict:
        """Every fact summed over the model."""
        return {name: int(v) for name, v in zip(FACTS, self._sums)}

    @property
    def unit_label(self) -> str:
        return _conv.unit_label(self.unit)

    # -- per layer
    def _columns(self):
        f = Facts(self.F)
        c = self.convention
        return (np.asarray(c.params(f)) * np.ones(self.F.shape[1], dtype=np.int64),
                np.asarray(c.madds(f)) * self._factor * np.ones(self.F.shape[1], dtype=np.int64))

    @cached_property
    def layers(self) -> list[LayerRecord]:
        """One record per layer, in spec order."""
        params, madds = self._columns()
        s = self.shapes
        out = []
        F = self.F
        active = s.get("active")
        for d, col in zip(self.plan.layers, self.plan.order):
            col = int(col)
            if active is not None and not active[col]:
                continue                   # a residual add that this α does not have
            cin = int(s["cin"][col])
            inp = (cin, int(s["hin"][col]), int(s["win"][col]))
            outp = (int(s["cout"][col]), int(s["hout"][col]), int(s["wout"][col]))
            if d.type == "flatten":
                outp = (inp[0] * inp[1] * inp[2], 1, 1)
            facts = {name: int(F[i, col]) for i, name in enumerate(FACTS)}
            out.append(LayerRecord(
                name=d.name, type=d.type, kind=d.label, input=inp, output=outp,
                mid=int(s["cmid"][col]), weights=facts["weights"], biases=facts["biases"],
                norm_params=2 * facts["norm_channels"], params=int(params[col]),
                madds=int(madds[col]), facts=facts, layer=d.L, module=d.module, block=d.block,
                _group=d.group_label))
        return out

    def __iter__(self):
        return iter(self.layers)

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, name: str) -> LayerRecord:
        for r in self.layers:
            if r.name == name:
                return r
        raise KeyError(name)

    # -- labels
    @property
    def madds_label(self) -> str:
        return f"MAdds ({self.convention.name}, {self.unit_label})"

    @property
    def params_label(self) -> str:
        return f"params ({self.convention.name})"

    def describe(self) -> str:
        """One line: what was counted, at which settings."""
        res = self.resolution
        res = f"{res[0]}" if res[0] == res[1] else f"{res[0]}×{res[1]}"
        if self.model_params is not None:          # a PyTorch model: no α, classes or rounding
            return (f"{self.name}: resolution={res}, convention={self.convention.name} "
                    f"({self.convention.summary})")
        return (f"{self.name}: alpha={self.alpha:g}, resolution={res}, classes={self.classes}, "
                f"rounding={self.rounding}, convention={self.convention.name} "
                f"({self.convention.summary})")

    def to_frame(self, formulas: bool = True):
        """The per-layer pandas DataFrame (what ``costmodel table`` prints)."""
        from .report.tables import layer_frame
        return layer_frame(self, formulas=formulas)

    def group_totals(self) -> dict[str, tuple[int, int]]:
        """MAdds and params summed per layer type (``LayerRecord.group``), in the order the
        types first appear."""
        groups: dict[str, list[int]] = {}
        for r in self.layers:
            g = groups.setdefault(r.group, [0, 0])
            g[0] += r.madds
            g[1] += r.params
        return {name: (m, p) for name, (m, p) in groups.items()}

    def by_type(self):
        """MAdds and params per layer type, with shares (the V1 paper's Table 2)."""
        from .report.tables import by_type_frame
        return by_type_frame(self)

    def __repr__(self):
        return (f"<Costing {self.name} α={self.alpha:g} res={self.resolution[0]} "
                f"{self.convention.name}: params={self.totals.params:,} "
                f"madds={self.totals.madds:,} {self.unit_label}>")


class CapturedCosting(Costing):
    """The facts of a PyTorch model captured at the operator level (``capture.py``).

    ``capture`` holds every layer's record (all input and output shapes, where each input
    came from); ``unsupported`` the operations with no formula, ``uncalled`` the modules
    never called (their parameters are in the ``pytorch`` params).
    """

    def __init__(self, capture, F=None, *, convention="paper", unit=None, name=None):
        self.capture = capture
        F = capture.matrix() if F is None else F
        super().__init__(_NamedPlan(name or capture.name), F, {}, alpha=1.0,
                         resolution=capture.resolution, classes=None, rounding=NO_ROUNDING,
                         convention=convention, unit=unit, name=name or capture.name)
        self.unsupported = dict(capture.uncounted)
        self.uncalled = dict(capture.uncalled)
        self.model_params = capture.params
        self.module = capture.model

    @property
    def complete(self) -> bool:
        """True when every operation has a formula."""
        return not self.unsupported

    def in_convention(self, convention: str, unit: str | None = None) -> "CapturedCosting":
        return CapturedCosting(self.capture, self.F, convention=convention, unit=unit,
                               name=self.name)

    @cached_property
    def layers(self) -> list[LayerRecord]:
        params, madds = self._columns()
        batch = self.capture.input_shape[0]

        def strip(shape):
            shape = tuple(shape)
            return shape[1:] if len(shape) >= 2 and shape[0] == batch else shape

        out = []
        for j, c in enumerate(self.capture.layers):
            facts = {name: int(self.F[i, j]) for i, name in enumerate(FACTS)}
            inp = strip(c.inputs[0].shape) if c.inputs else ()
            outp = strip(c.outputs[0].shape) if c.outputs else ()
            out.append(LayerRecord(
                name=c.name, type=c.type, kind=c.label, input=inp, output=outp, mid=0,
                weights=facts["weights"], biases=facts["biases"],
                norm_params=2 * facts["norm_channels"] + facts["norm_affine"],
                params=int(params[j]), madds=int(madds[j]), facts=facts, layer=c.fields,
                module=c.module, block=None, _group=c.group, _formula=c.formula, captured=c))
        return out

    def describe(self) -> str:
        shape = "×".join(str(v) for v in self.capture.input_shape[1:])
        return (f"{self.name}: input={shape}, convention={self.convention.name} "
                f"({self.convention.summary})")


class _NamedPlan:
    """What a Costing reads of a plan, for a captured model: its name."""

    def __init__(self, name):
        self.name = name
