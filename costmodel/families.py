"""Families as data: what the charts, ``fit`` and the report know about each built-in.

A built-in spec names its family (``family = "v3"``); one spec of each family
defines it with a table::

    family = { name = "v2", series = "MobileNet", short = "V2", color = "#ff7f0e",
               alphas = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4], resolutions = [96, 128, 160, 192, 224] }

(``alphas`` × ``resolutions``: the family's published grid, which ``fit`` and
the α × resolution maps consider), and every spec may say how the trade-off
chart draws it::

    chart = { order = 2, marker = "s", legend = "MobileNetV2", label = "" }

``order`` puts the architecture on the trade-off chart (in that order; no
``order``: not on the chart), ``marker`` and ``legend`` are its marker and
legend entry, ``label`` prefixes its points' labels (``"L "`` gives
``L 0.75/224``), ``color`` overrides the family's colour, ``params_note`` is a
line for the params chart's caption when its published params differ.  Which published
sources give accuracies and costs is the published record's own data
(``costmodel/published/preferences.csv``).  No module names a family: a new
family is one spec file (and its published rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .errors import SpecError

#: ``costmodel sweep``'s and the α × resolution map's grid for a spec whose family
#: publishes none (a user's spec): α 0.25 … 1 × the four resolutions 128 … 224.
DEFAULT_GRID = ((0.25, 0.5, 0.75, 1.0), (128, 160, 192, 224))
#: The colour of an architecture whose family gives none.
NEUTRAL_COLOR = "#555555"
FAMILY_FIELDS = ("name", "series", "short", "color", "alphas", "resolutions")
CHART_FIELDS = ("order", "marker", "legend", "label", "color", "params_note")


@dataclass(frozen=True)
class Family:
    """One family: its name (``--families``), display parts and published grid."""

    name: str
    series: str = ""                 # "MobileNet": the chart's title groups families by series
    short: str = ""                  # "V2": the family's name within its series
    color: str = NEUTRAL_COLOR
    alphas: tuple[float, ...] = ()
    resolutions: tuple[int, ...] = ()

    @property
    def grid(self) -> tuple[tuple[float, ...], tuple[int, ...]] | None:
        return (self.alphas, self.resolutions) if self.alphas and self.resolutions else None


@dataclass(frozen=True)
class Chart:
    """How the trade-off chart draws one architecture."""

    order: int | None = None         # its place on the trade-off chart; None: not on it
    marker: str = "o"
    legend: str = ""
    label: str = ""                  # prefix of its points' labels
    color: str | None = None         # overrides the family's colour
    params_note: str = ""            # the params chart's caption line when a point's differ


def _known_keys(value: dict, table: str, known, where: str) -> None:
    """Every key of a ``family`` or ``chart`` table is one of ``known``."""
    for key in value:
        if key not in known:
            raise SpecError(f"unknown field (known: {', '.join(known)})", file=where,
                            field=f"{table}.{key}")


def _text_fields(value: dict, table: str, text_keys, where: str) -> None:
    """The text fields of a ``family`` or ``chart`` table are text."""
    for key in text_keys:
        if not isinstance(value.get(key, ""), str):
            raise SpecError("must be text", file=where, field=f"{table}.{key}")


def parse_family(value, where: str) -> tuple[str, dict]:
    """A spec's ``family`` field: its name, and the table when the spec defines the family."""
    if isinstance(value, str):
        return value, {}
    if not isinstance(value, dict):
        raise SpecError("must be a family name or a table {name = ..., ...}", file=where,
                        field="family")
    _known_keys(value, "family", FAMILY_FIELDS, where)
    if not isinstance(value.get("name"), str) or not value["name"]:
        raise SpecError("missing: a family table needs a 'name'", file=where, field="family.name")
    _text_fields(value, "family", ("series", "short", "color"), where)
    for key, kind in (("alphas", (int, float)), ("resolutions", int)):
        v = value.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, kind) and not isinstance(x, bool)
                                              and x > 0 for x in v):
            raise SpecError("must be a list of positive numbers", file=where,
                            field=f"family.{key}")
    return value["name"], dict(value)


def parse_chart(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise SpecError("must be a table {order = ..., marker = ..., legend = ...}", file=where,
                        field="chart")
    _known_keys(value, "chart", CHART_FIELDS, where)
    order = value.get("order")
    if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
        raise SpecError("must be a whole number", file=where, field="chart.order")
    _text_fields(value, "chart", ("marker", "legend", "label", "color", "params_note"), where)
    return dict(value)


@lru_cache(maxsize=None)
def families() -> dict[str, Family]:
    """Every family the built-ins define, by name (a family named but defined nowhere has
    only its name)."""
    from .spec import builtin_names, load
    out: dict[str, Family] = {}
    for arch in builtin_names():
        spec = load(arch)
        t = spec.family_table
        if t:
            if t["name"] in out and out[t["name"]] != Family(t["name"]):
                raise SpecError(f"family {t['name']!r} is defined twice", file=spec.where,
                                field="family")
            out[t["name"]] = Family(t["name"], t.get("series", ""), t.get("short", ""),
                                    t.get("color", NEUTRAL_COLOR),
                                    tuple(float(a) for a in t.get("alphas", ())),
                                    tuple(int(r) for r in t.get("resolutions", ())))
        elif spec.family and spec.family not in out:
            out[spec.family] = Family(spec.family)
    return out


def family(name: str) -> Family:
    return families().get(name) or Family(name)


def chart(arch: str) -> Chart:
    """The trade-off chart's style of a built-in (an empty style for anything else)."""
    from .spec import builtin_names, load
    if arch not in builtin_names():
        return Chart()
    return Chart(**load(arch).chart)


def chart_archs() -> tuple[str, ...]:
    """The built-ins on the trade-off chart, in their ``chart.order``."""
    from .spec import builtin_names
    on = [(chart(a).order, a) for a in builtin_names() if chart(a).order is not None]
    return tuple(a for _, a in sorted(on))


def color_of(arch: str, family_name: str) -> str:
    return chart(arch).color or family(family_name).color


def grid_of(spec) -> tuple[tuple[float, ...], tuple[int, ...]] | None:
    """The published α × resolution grid of ``spec``'s family, or None."""
    return family(spec.family).grid if spec.family else None
