"""Published accuracies beside exact costs: the points of the accuracy-vs-cost trade-off.

One published top-1 per model configuration (architecture, α, resolution): the
published record (``costmodel.published``) often gives several for the same
model (the TF-slim checkpoint tables, the papers' tables, several versions), so
:func:`accuracy_sources` says which source is preferred.  The cost of each
configuration is the engine's exact count in the ``paper`` convention at the
published row's classifier width (1001 classes for the TF-slim checkpoints,
1000 for the papers) with TF rounding; the printed figure is kept beside it,
with whether the exact count reproduces it at the printed precision.

This module is pure (no matplotlib): the trade-off chart, ``costmodel fit`` and
the report read the same records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import lru_cache

from .errors import UsageError
from .published import UNIT_SCALE, preferences, printed_rules, rows as published_rows

IMAGENET_CLASSES = (1000, 1001)


def accuracy_sources() -> tuple[tuple[str, str, str, str], ...]:
    """Where a configuration's top-1 comes from, most preferred first: (source, table,
    version, short name for captions), from ``costmodel/published/preferences.csv``."""
    return tuple((r["source"], r["table"], r["version"], r["name"])
                 for r in preferences("accuracy"))


def chart_archs() -> tuple[str, ...]:
    """The trade-off chart's architectures (the built-ins with a ``chart.order``)."""
    from .families import chart_archs as archs
    return archs()


def _is_8bit(row) -> bool:
    return "8-bit" in row.label or row.note.startswith("8-bit")


def _value(printed: str, unit: str) -> float:
    return float(Decimal(printed) * UNIT_SCALE[unit])


@lru_cache(maxsize=None)
def families() -> dict[str, tuple[str, ...]]:
    """Family name -> its built-in architectures, from the specs (costmodel.families)."""
    from .spec import builtin_names, load
    out: dict[str, list[str]] = {}
    for name in builtin_names():
        out.setdefault(load(name).family or name, []).append(name)
    return {k: tuple(v) for k, v in sorted(out.items())}


def family_of(arch: str) -> str:
    for fam, archs in families().items():
        if arch in archs:
            return fam
    return ""


def parse_families(text: str | None, what: str = "--families") -> tuple[str, ...]:
    """``"v1,v3"`` (family names or built-in names) -> the built-in architectures, in order.

    ``None`` or empty means every built-in.  An unknown name is a one-line error.
    """
    from .spec import builtin_names
    names = builtin_names()
    if text is None or not str(text).strip():
        return tuple(names)
    fams = families()
    chosen: set[str] = set()
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        key = part.lower()
        if key in fams:
            chosen.update(fams[key])
        elif part in names:
            chosen.add(part)
        else:
            raise UsageError(f"{what}: unknown family {part!r}: use {', '.join(fams)} "
                             f"or a built-in architecture ({', '.join(names)})")
    if not chosen:
        raise UsageError(f"{what} is empty: use {', '.join(fams)}")
    return tuple(n for n in names if n in chosen)


@dataclass(frozen=True)
class Accuracy:
    """The preferred published top-1 of one configuration, with the row it comes from."""

    arch: str
    alpha: float
    resolution: int
    classes: int
    top1: float
    top5: float | None
    source: str          # short name, e.g. "TF-slim V2 checkpoints"
    row: object          # the published Row


@lru_cache(maxsize=None)
def accuracies() -> dict[tuple[str, float, int], Accuracy]:
    """(arch, α, resolution) -> the preferred published ImageNet top-1 (see accuracy_sources)."""
    sources = accuracy_sources()
    rank = {s[:3]: i for i, s in enumerate(sources)}
    best: dict[tuple[str, float, int], tuple[int, object]] = {}
    for r in published_rows():
        key3 = (r.source, r.table, r.version)
        if (key3 not in rank or not r.arch or r.top1 is None or r.alpha is None
                or r.resolution is None or r.classes not in IMAGENET_CLASSES or _is_8bit(r)):
            continue
        key = (r.arch, float(r.alpha), int(r.resolution))
        if key not in best or rank[key3] < best[key][0]:
            best[key] = (rank[key3], r)
    out = {}
    for key, (i, r) in sorted(best.items(), key=lambda kv: (kv[0][0], -kv[0][1], -kv[0][2])):
        out[key] = Accuracy(r.arch, float(r.alpha), int(r.resolution), int(r.classes), r.top1,
                            r.top5, sources[i][3], r)
    return out


def short_label(arch: str, alpha: float, resolution: int) -> str:
    """The chart's point label: ``0.75/160``, after the architecture's ``chart.label``
    (``L 0.75/160`` for V3-Large, ``Lmin`` for its minimalistic model)."""
    from .families import chart
    return f"{chart(arch).label}{alpha_text(alpha)}/{resolution}"


def alpha_text(alpha: float) -> str:
    """α as the checkpoint names write it: ``1.0``, ``0.5``, ``0.75``, ``1.25``."""
    text = ("%.2f" % alpha).rstrip("0")
    return text + "0" if text.endswith(".") else text


@dataclass(frozen=True)
class Point:
    """One model on the trade-off chart: exact cost, published cost and published accuracy."""

    family: str
    arch: str
    alpha: float
    resolution: int
    classes: int
    label: str
    top1: float
    top5: float | None
    source: str                 # short name of the accuracy's source
    published_label: str        # the row's label in its table
    madds: int                  # exact, paper convention, MACs
    params: int                 # exact, paper convention (weights)
    published_madds: float      # the printed figure, in MACs (e.g. 317e6)
    published_madds_text: str   # as printed, with its unit: "317M"
    madds_reproduced: bool      # the exact count shows as the printed figure (rounded or truncated)
    published_params: float
    published_params_text: str
    params_reproduced: bool
    memory: int = 0             # peak inference memory, bytes (fp32, batch 1, costmodel.memory)
    memory_reproduced: bool = True   # nothing published: no hollow marker

    def as_dict(self) -> dict:
        return asdict(self)


def tradeoff_points(archs=None) -> list[Point]:
    """The trade-off chart's points: every configuration of ``archs`` with a published top-1.

    One point per (arch, α, resolution), its accuracy from the preferred source
    (:func:`accuracy_sources`), its cost counted by the engine (paper
    convention, the published row's classes, TF rounding); ``archs`` defaults to
    :func:`chart_archs`.
    """
    from . import count
    from .memory import peak
    archs = chart_archs() if archs is None else archs
    out = []
    for (arch, alpha, res), acc in accuracies().items():
        if arch not in archs:
            continue
        r = acc.row
        c = count(arch, alpha=alpha, resolution=res, classes=acc.classes, rounding="tf",
                  convention="paper")
        madds, params = c.totals.madds, c.totals.params
        out.append(Point(
            family=family_of(arch), arch=arch, alpha=alpha, resolution=res, classes=acc.classes,
            label=short_label(arch, alpha, res), top1=acc.top1, top5=acc.top5, source=acc.source,
            published_label=r.label, madds=madds, params=params,
            published_madds=_value(r.madds, r.madds_unit),
            published_madds_text=f"{r.madds}{r.madds_unit}",
            madds_reproduced=bool(printed_rules(madds, r.madds, r.madds_unit)),
            published_params=_value(r.params, r.params_unit),
            published_params_text=f"{r.params}{'' if r.params_unit == '1' else r.params_unit}",
            params_reproduced=bool(printed_rules(params, r.params, r.params_unit)),
            memory=peak(c).bytes))
    order = {a: i for i, a in enumerate(archs)}
    out.sort(key=lambda p: (order[p.arch], -p.alpha, -p.resolution))
    return out


def pareto_front(points, metric: str = "madds") -> list:
    """The points no other point beats: none cheaper (or as cheap) and at least as accurate.

    Strict dominance: ``q`` dominates ``p`` if ``q.cost <= p.cost`` and
    ``q.top1 >= p.top1`` with one of them strict.  Returned by increasing cost.
    """
    def cost(p):
        return getattr(p, metric)
    front = []
    for p in points:
        dominated = any(cost(q) <= cost(p) and q.top1 >= p.top1
                        and (cost(q) < cost(p) or q.top1 > p.top1) for q in points)
        if not dominated:
            front.append(p)
    front.sort(key=lambda p: (cost(p), p.top1))
    return front


def sources_used(points) -> list[str]:
    """The short names of the accuracy sources behind ``points``, in preference order."""
    used = {p.source for p in points}
    return [s[3] for s in accuracy_sources() if s[3] in used]


def cost_sources() -> dict[str, tuple[str, ...]]:
    """Published MAdds figures in the paper convention (conv + FC MACs) for the models the
    built-ins describe: source -> its versions that count (empty: every version), from
    ``costmodel/published/preferences.csv`` (the papers, the V3 paper's latest version only,
    the TF-slim checkpoint tables, torchvision's ``_ops``; timm's figures are fvcore counts of
    timm's own models)."""
    out: dict[str, tuple[str, ...]] = {}
    for r in preferences("cost"):
        out[r["source"]] = out.get(r["source"], ()) + ((r["version"],) if r["version"] else ())
    return out


@dataclass(frozen=True)
class PublishedCell:
    """A published configuration of one built-in: its printed MAdds, and whether they reproduce."""

    arch: str
    alpha: float
    resolution: int
    entries: tuple          # ((source, table, version, printed "317M", classes, reproduced), ...)

    @property
    def reproduced(self) -> bool:
        """Every printed MAdds figure of this configuration reproduces at its precision."""
        return all(e[5] for e in self.entries)

    def differing(self) -> list[str]:
        """The printed figures that do not reproduce, with their sources: ``317M (TF-slim-v1)``."""
        seen: dict[str, list[str]] = {}
        for source, _table, _version, printed, _classes, ok in self.entries:
            if not ok and source not in seen.setdefault(printed, []):
                seen[printed].append(source)
        return [f"{p} ({', '.join(s)})" for p, s in seen.items()]


def published_cells(arch: str) -> dict[tuple[float, int], PublishedCell]:
    """(α, resolution) -> the published MAdds of ``arch`` at that configuration (paper
    convention sources, ImageNet classifiers), each compared with the exact count at the
    row's classes."""
    from . import count
    found: dict[tuple[float, int], list] = {}
    cost = cost_sources()
    for r in published_rows():
        versions = cost.get(r.source, ())
        if (r.source not in cost or (versions and r.version not in versions)
                or r.arch != arch or not r.madds or r.alpha is None or r.resolution is None
                or r.classes not in IMAGENET_CLASSES):
            continue
        exact = count(arch, alpha=float(r.alpha), resolution=int(r.resolution),
                      classes=int(r.classes), rounding="tf", convention="paper").totals.madds
        entry = (r.source, r.table, r.version, f"{r.madds}{r.madds_unit}", int(r.classes),
                 bool(printed_rules(exact, r.madds, r.madds_unit)))
        found.setdefault((float(r.alpha), int(r.resolution)), []).append(entry)
    return {k: PublishedCell(arch, k[0], k[1], tuple(v)) for k, v in sorted(found.items())}
