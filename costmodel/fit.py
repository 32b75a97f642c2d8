"""``costmodel fit``: the built-in configurations within a MAdds (and params) budget.

A *configuration* is a built-in architecture at one (α, resolution): every point
of its family's published α × resolution grid (the ``family`` table of its spec)
and every configuration with a published top-1.  Each is counted exactly
(TF rounding; the published row's classes where an accuracy is published,
otherwise the spec's 1000) in the chosen convention; those within the budget
come back with the best published top-1 first, then the ones whose accuracy is
not published, by cost alone (most MAdds first: the ones that use most of the
budget).

Pure: no matplotlib, no torch.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from .accuracy import accuracies, family_of
from .errors import UsageError

SUFFIXES = {"": 1, "k": 10 ** 3, "m": 10 ** 6, "g": 10 ** 9}
BUDGET = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([kKmMgG]?)\s*$")


def parse_budget(text, what: str = "--madds") -> int:
    """``150M``, ``1.5G``, ``800k``, ``150000000`` -> an integer count (k = 10³, M = 10⁶, G = 10⁹)."""
    m = BUDGET.match(str(text))
    if m is None:
        raise UsageError(f"{what}: cannot read {text!r} as a budget: write a number with an "
                         f"optional k, M or G suffix, e.g. 150M, 1.5G, 800k or 150000000")
    try:
        value = Decimal(m.group(1)) * SUFFIXES[m.group(2).lower()]
    except InvalidOperation:  # pragma: no cover (the pattern admits only numbers)
        raise UsageError(f"{what}: cannot read {text!r} as a budget") from None
    if value <= 0:
        raise UsageError(f"{what}: the budget must be positive, got {text!r}")
    return int(value)


def budget_text(value: int) -> str:
    """An integer budget written back with a suffix: 150000000 -> ``150M``."""
    for suffix, scale in (("G", 10 ** 9), ("M", 10 ** 6), ("k", 10 ** 3)):
        if value >= scale:
            text = f"{Decimal(value) / scale:f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return text + suffix
    return str(value)


def configurations(archs) -> list[tuple[str, float, int]]:
    """Every (arch, α, resolution) ``fit`` considers for the given built-ins, sorted."""
    from .families import grid_of
    from .spec import load
    out = set()
    for arch in archs:
        spec = load(arch)
        alphas, resolutions = grid_of(spec) or ((1.0,), (spec.input[1],))
        out.update((arch, a, r) for a in alphas for r in resolutions)
    out.update(k for k in accuracies() if k[0] in archs)
    return sorted(out, key=lambda k: (k[0], -k[1], -k[2]))


@dataclass(frozen=True)
class Candidate:
    arch: str
    family: str
    alpha: float
    resolution: int
    classes: int
    madds: int
    params: int
    top1: float | None
    top5: float | None
    source: str

    def as_dict(self) -> dict:
        return asdict(self)


def candidates(archs=None, *, convention: str = "paper", unit: str | None = None) -> list[Candidate]:
    """Every configuration of ``archs`` (default: every built-in), counted, with its accuracy."""
    from . import count
    from .spec import builtin_names
    archs = tuple(builtin_names()) if archs is None else tuple(archs)
    acc = accuracies()
    out = []
    for arch, alpha, res in configurations(archs):
        a = acc.get((arch, alpha, res))
        classes = a.classes if a else 1000
        c = count(arch, alpha=alpha, resolution=res, classes=classes, rounding="tf",
                  convention=convention, unit=unit)
        out.append(Candidate(arch, family_of(arch), alpha, res, classes, c.totals.madds,
                             c.totals.params, a.top1 if a else None, a.top5 if a else None,
                             a.source if a else ""))
    return out


def rank(found: list[Candidate]) -> list[Candidate]:
    """Best published top-1 first (ties: cheaper first); then unpublished, most MAdds first."""
    published = sorted((c for c in found if c.top1 is not None),
                       key=lambda c: (-c.top1, c.madds, c.params, c.arch, -c.alpha, -c.resolution))
    unpublished = sorted((c for c in found if c.top1 is None),
                         key=lambda c: (-c.madds, c.params, c.arch, -c.alpha, -c.resolution))
    return published + unpublished


def within(cands, madds: int | None = None, params: int | None = None) -> list[Candidate]:
    """The candidates with MAdds <= ``madds`` and params <= ``params`` (either may be None),
    ranked by :func:`rank`."""
    if madds is None and params is None:
        raise UsageError("give a budget: --madds (e.g. 150M) and/or --params (e.g. 2M)")
    return rank([c for c in cands
                 if (madds is None or c.madds <= madds) and (params is None or c.params <= params)])


def check_budget(madds: int | None, params: int | None):
    """At least one budget is given (else a one-line error)."""
    if madds is None and params is None:
        raise UsageError("give a budget: --madds (e.g. 150M) and/or --params (e.g. 2M)")


def fit(madds: int | None = None, params: int | None = None, archs=None, *,
        convention: str = "paper", unit: str | None = None) -> list[Candidate]:
    """The built-in configurations within the budget, best published top-1 first."""
    check_budget(madds, params)
    return within(candidates(archs, convention=convention, unit=unit), madds, params)


def shorten(found: list[Candidate], unpublished: int | None = 10) -> tuple[list[Candidate], int]:
    """Keep every configuration with a published top-1 and the first ``unpublished`` others
    (all of them if None); returns the kept list and how many were left out."""
    if unpublished is None:
        return found, 0
    kept, extra = [], 0
    for c in found:
        if c.top1 is None:
            if extra >= unpublished:
                continue
            extra += 1
        kept.append(c)
    return kept, len(found) - len(kept)


def cheapest(cands) -> Candidate | None:
    """The configuration with the fewest MAdds (then params)."""
    return min(cands, key=lambda c: (c.madds, c.params, c.arch), default=None)

