"""A model against its paper: :func:`check_model` reads a model (a spec, or a PyTorch model
by running it) as a stem, blocks, last convolutions, pooling and a head
(:mod:`.reading`), and compares it part by part with a paper's architecture
(:mod:`.compare`), with the MAdds and params effect of each deviation."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError
from ..spec import variant_names
from .compare import DEVIATION_KINDS, Deviation, compare
from .reading import architecture


@dataclass
class ModelCheck:
    """The result of :func:`check_model`; renders itself (:mod:`.render`)."""

    model: str
    paper: str
    version: str
    deviations: list[Deviation]
    allowed: list[Deviation]
    matches: list[str]               # other paper versions the model matches exactly
    madds: tuple[int, int]           # (model, paper), paper convention
    params: tuple[int, int]          # (model, paper), pytorch convention

    @property
    def conforms(self) -> bool:
        return not self.deviations

    def text(self) -> str:
        from .render import model_check_text
        return model_check_text(self)

    def as_dict(self) -> dict:
        from .render import model_check_dict
        return model_check_dict(self)

    def render(self, fmt: str = "text") -> str:
        """``json``: :meth:`as_dict` as JSON; every other format: the text."""
        from .render import render_model_check
        return render_model_check(self, fmt)


def paper_versions(arch: str) -> list[str]:
    """``latest`` (the built-in) and the paper versions among the variants."""
    from ..spec import load
    out = ["latest"]
    for v in variant_names(arch):
        meta = load(v).variant
        if meta.get("kind") == "paper version":
            out.append(meta["version"])
    return out


def check_model(model, paper: str, *, alpha: float = 1.0, resolution: int | None = None,
                version: str = "latest",
                allow: tuple[str, ...] = (), rounding: str = "tf", kwargs: dict | None = None,
                classes: int = 1000) -> ModelCheck:
    """Compare ``model`` (a spec or a PyTorch model) block by block with a paper's architecture."""
    from .. import count
    from ..spec import builtin_names
    from ..torch_bridge import is_pytorch
    if paper not in builtin_names():
        raise UsageError(f"unknown paper architecture {paper!r}: use one of {', '.join(builtin_names())}")
    versions = paper_versions(paper)
    if version not in versions:
        raise UsageError(f"{paper} has no version {version!r}: use one of {', '.join(versions)}")
    bad = [a for a in allow if a not in DEVIATION_KINDS]
    if bad:
        raise UsageError(f"unknown deviation kind {bad[0]!r} for --allow: use {', '.join(DEVIATION_KINDS)}")
    if resolution is None:              # the paper model's own (EfficientNet-B3: 300)
        from ..spec import load
        resolution = load(paper).input[1]
    if is_pytorch(model):
        m = count(model, resolution=resolution, kwargs=kwargs)
        name = m.name
    else:
        m = count(model, alpha=alpha, resolution=resolution, rounding=rounding, kwargs=kwargs)
        name = m.name

    def paper_costing(v):
        arch = paper if v == "latest" else f"{paper}@{v}"
        return count(arch, alpha=alpha, resolution=resolution, rounding=rounding, classes=classes)

    march = architecture(m)
    p = paper_costing(version)
    devs = compare(march, architecture(p))
    kept = [d for d in devs if d.kind not in allow]
    allowed = [d for d in devs if d.kind in allow]
    matches = []
    if kept:
        for v in versions:
            if v != version and not [d for d in compare(march, architecture(paper_costing(v)))
                                     if d.kind not in allow]:
                matches.append(v)
    return ModelCheck(name, paper, version, kept, allowed, matches,
                      (m.totals.madds, p.totals.madds),
                      (m.in_convention("pytorch").totals.params, p.in_convention("pytorch").totals.params))
