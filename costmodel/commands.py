"""What the analytic commands compute, as results that render themselves.

Each function takes a command's parsed options and returns a result whose
``render(fmt)`` gives the text, CSV, Markdown, LaTeX or JSON the command prints
(``costmodel.report.tables`` formats them) and whose ``exit_status`` says how it
ends; ``cli.py`` parses the options, calls one of these and prints.  Nothing here
imports torch, fvcore or matplotlib (a PyTorch MODEL is counted lazily).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: What every table-printing command can render.
FORMATS = ("text", "csv", "markdown", "json", "latex")


@dataclass
class ModelList:
    """``costmodel list``: the built-ins at α = 1, 224×224, in the paper convention."""

    unit: str | None = None

    def render(self, fmt: str = "text") -> str:
        from .report.tables import list_frame, render
        return render(list_frame(self.unit), fmt)


def list_models(unit: str | None = None) -> ModelList:
    return ModelList(unit)


@dataclass
class ModelTable:
    """``costmodel table``: a counted model, and the closed form of a spec's MAdds."""

    costing: object
    law: object = None
    by_type: bool = False
    formulas: bool = False

    def render(self, fmt: str = "text") -> str:
        from .report.tables import table_text
        return table_text(self.costing, fmt, by_type=self.by_type, formulas=self.formulas,
                          law=self.law)


def table(model, *, alpha: float = 1.0, resolution=None, rho=None, classes=None,
          rounding: str = "tf", convention: str = "paper", unit=None, kwargs=None,
          input_shape=None, by_type: bool = False, formulas: bool = False) -> ModelTable:
    from . import count
    from .scaling import resolution_for
    from .sweep import scaling_law
    from .torch_bridge import is_pytorch
    c = count(model, alpha=alpha, resolution=resolution_for(model, resolution, rho),
              classes=classes, rounding=rounding, convention=convention, unit=unit,
              kwargs=kwargs, input_shape=input_shape)
    law = None if is_pytorch(model) else scaling_law(
        model, alpha=alpha, classes=classes, rounding=rounding, convention=convention, unit=unit)
    return ModelTable(c, law, by_type, formulas)


@dataclass
class Sweep:
    """``costmodel sweep``: exact counts over an α × resolution grid, and the closed form."""

    rows: list
    law: object
    arch: str
    convention: str
    unit: str

    def render(self, fmt: str = "text") -> str:
        from .report.tables import sweep_text
        return sweep_text(self.rows, fmt, arch=self.arch, convention=self.convention,
                          unit=self.unit, law=self.law)


def sweep(model, alphas: str, resolutions: str, *, classes=None, rounding: str = "tf",
          convention: str = "paper", unit=None) -> Sweep:
    """``alphas`` and ``resolutions`` as the command line gives them (comma lists or
    start:stop:step)."""
    from .conventions import get
    from .sweep import parse_list, scaling_law, sweep as run_sweep
    a_list = parse_list(alphas, float, "--alpha")
    r_list = parse_list(resolutions, int, "--resolution")
    rows = run_sweep(model, a_list, r_list, classes=classes, rounding=rounding,
                     convention=convention, unit=unit)
    law = scaling_law(model, alpha=max(a_list), classes=classes, rounding=rounding,
                      convention=convention, unit=unit)
    return Sweep(rows, law, model if isinstance(model, str) else "model", convention,
                 unit or get(convention).unit)


#: ``costmodel ratio``'s one layer: the V1 paper's Table 3 (14×14×512, Dk = 3, α, ρ).
RATIO_LAYER = {"kernel": 3, "in_channels": 512, "out_channels": 512, "size": 14,
               "alpha": 0.75, "rho": 0.714}


@dataclass
class Ratio:
    """``costmodel ratio``: separable against standard convolutions."""

    rows: list
    title: str
    unit: str | None = None

    def render(self, fmt: str = "text") -> str:
        from .report.tables import ratio_text
        return ratio_text(self.rows, fmt, self.title, self.unit)


def ratio(model=None, *, kernel: int = 3, in_channels: int = 512, out_channels: int = 512,
          size: int = 14, alpha: float | None = None, rho: float | None = None, resolution=None,
          rounding: str = "tf", unit=None) -> Ratio:
    """Without ``model``: one layer, the rows of the V1 paper's Table 3; with it, every
    depthwise + pointwise pair of the model."""
    from .ratio import model_pairs, separable_table
    if model is None:
        rows = separable_table(kernel, in_channels, out_channels, size,
                               alpha=RATIO_LAYER["alpha"] if alpha is None else alpha,
                               rho=RATIO_LAYER["rho"] if rho is None else rho)
        title = (f"one layer: {size}×{size}×{in_channels} → {out_channels}, Dk = {kernel} "
                 f"(params = weights; rows are cumulative)")
        return Ratio(rows, title, unit)
    from . import count
    c = count(model, alpha=1.0 if alpha is None else alpha, resolution=resolution,
              rounding=rounding)
    return Ratio(model_pairs(c), f"{c.describe()}: depthwise + pointwise pairs vs standard "
                                 f"convolutions", unit)


@dataclass
class Fit:
    """``costmodel fit``: the configurations within a budget, best published top-1 first."""

    found: list
    left_out: int
    madds: int | None
    params: int | None
    archs: tuple
    total: int
    convention: str
    unit: str
    cheapest: object

    def render(self, fmt: str = "text") -> str:
        from .report.tables import fit_text
        return fit_text(self.found, fmt, madds=self.madds, params=self.params, archs=self.archs,
                        total=self.total, convention=self.convention, unit=self.unit,
                        cheapest=self.cheapest, left_out=self.left_out)


def fit(madds: str | None = None, params: str | None = None, families: str | None = None, *,
        convention: str = "paper", unit=None, show_all: bool = False, shown: int = 10) -> Fit:
    """Budgets as the command line gives them (``150M``, ``4M``, ``1.5G``)."""
    from .accuracy import parse_families
    from .conventions import get
    from .fit import candidates, check_budget, cheapest, parse_budget, shorten, within
    m = parse_budget(madds, "--madds") if madds is not None else None
    p = parse_budget(params, "--params") if params is not None else None
    archs = parse_families(families, "--families")
    check_budget(m, p)
    cands = candidates(archs, convention=convention, unit=unit)
    found, left_out = shorten(within(cands, m, p), None if show_all else shown)
    return Fit(found, left_out, m, p, archs, len(cands), convention, unit or get(convention).unit,
               cheapest(cands))


@dataclass
class PublishedCheck:
    """``costmodel check`` without a MODEL: every published cell, those of ``statuses``
    shown; exit status 1 while any cell is unexplained."""

    results: list
    skipped: int
    statuses: list = field(default_factory=list)

    @property
    def shown(self) -> list:
        if not self.statuses:
            return self.results
        return [r for r in self.results if r.status in self.statuses]

    def render(self, fmt: str = "text") -> str:
        from .conformance import published_text, summary_line
        shown = self.shown
        text = published_text(shown, self.skipped, fmt)
        if shown is not self.results and fmt == "text":
            text += summary_line(self.results, self.skipped) + " (all cells)\n"
        return text

    @property
    def exit_status(self) -> int:
        from .conformance import status_counts
        return 1 if status_counts(self.results)["unexplained"] else 0


def check_published(statuses: str | None = None, references: bool = False) -> PublishedCheck:
    """``statuses``: ``--status``'s comma list (an unknown status is a one-line error);
    ``references``: count the other networks through their PyTorch implementations."""
    from .conformance import check_published as run, parse_statuses
    wanted = parse_statuses(statuses) if statuses else []
    results, skipped = run(references=references)
    return PublishedCheck(results, skipped, wanted)
