"""The published record: every MAdds, params and accuracy figure from the papers,
the TF-slim checkpoint tables, torchvision's and timm's metadata, with its source.

The CSV files in this folder are transcriptions (see ``sources.csv`` for where
each comes from); every row names its source, table and version.  Values are
kept *as printed* (``"4.24"``, ``"569"``) because the printed precision is part
of the evidence: :func:`printed_rules` says whether an exact count reproduces a
printed figure by rounding or truncation.

Every CSV here whose columns are :data:`COST_COLUMNS` is a file of published
model entries (:func:`rows`): a new family's figures are a new file, found
without naming it.  Other CSVs are tables with their own columns
(:func:`table`).  ``preferences.csv`` says which sources give the trade-off's
accuracies (most preferred first) and which give MAdds in the paper convention.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent
COST_COLUMNS = ("source", "table", "version", "label", "arch", "alpha", "resolution", "classes",
                "madds", "madds_unit", "params", "params_unit", "top1", "top5", "note")
UNIT_SCALE = {"M": 10 ** 6, "G": 10 ** 9, "1": 1}


@dataclass(frozen=True)
class Row:
    """One published model entry (a table row) with its cost figures as printed."""

    source: str
    table: str
    version: str
    label: str
    arch: str
    alpha: float | None
    resolution: int | None
    classes: int | None
    madds: str
    madds_unit: str
    params: str
    params_unit: str
    top1: float | None
    top5: float | None
    note: str
    file: str
    line: int

    @property
    def key(self) -> str:
        v = f" ({self.version})" if self.version else ""
        return f"{self.source} {self.table}{v}: {self.label}"


def _num(s: str, kind=float):
    s = s.strip()
    return kind(s) if s else None


class PublishedError(ValueError):
    """A published CSV that does not follow its schema (a packaging mistake, not user input)."""


def _header(path: Path) -> tuple[str, ...]:
    with open(path, newline="", encoding="utf-8") as f:
        return tuple(next(csv.reader(f), ()))


@lru_cache(maxsize=None)
def cost_files() -> tuple[str, ...]:
    """The CSV files of published model entries (columns :data:`COST_COLUMNS`), in the order
    of their sources in ``sources.csv``; a file with ``arch`` and ``madds`` columns but not
    exactly these, or naming a source ``sources.csv`` does not list, is an error naming the
    file."""
    order = {r["source"]: i for i, r in enumerate(table("sources"))}
    found = []
    for path in sorted(HERE.glob("*.csv")):
        header = _header(path)
        if not {"arch", "madds"} <= set(header):              # a table with its own columns
            continue
        if header != COST_COLUMNS:
            raise PublishedError(f"{path.name}: columns {', '.join(header)}; a file of published "
                                 f"entries has {', '.join(COST_COLUMNS)}")
        with open(path, newline="", encoding="utf-8") as f:
            sources = [r["source"] for r in csv.DictReader(f)]
        unknown = sorted(set(sources) - set(order))
        if unknown:
            raise PublishedError(f"{path.name}: source {unknown[0]!r} is not in sources.csv")
        found.append((order[sources[0]] if sources else len(order), path.name))
    return tuple(name for _, name in sorted(found))


@lru_cache(maxsize=None)
def rows() -> tuple[Row, ...]:
    """Every published model entry, from every file of them (:func:`cost_files`)."""
    out = []
    for name in cost_files():
        with open(HERE / name, newline="", encoding="utf-8") as f:
            for i, r in enumerate(csv.DictReader(f), start=2):
                out.append(Row(source=r["source"], table=r["table"], version=r["version"],
                               label=r["label"], arch=r["arch"], alpha=_num(r["alpha"]),
                               resolution=_num(r["resolution"], int), classes=_num(r["classes"], int),
                               madds=r["madds"].strip(), madds_unit=r["madds_unit"].strip(),
                               params=r["params"].strip(), params_unit=r["params_unit"].strip(),
                               top1=_num(r["top1"]), top5=_num(r["top5"]), note=r["note"],
                               file=name, line=i))
    return tuple(out)


def table(name: str) -> list[dict]:
    """A small table with its own columns (``v1_table2``, ``v1_table3``, ``v2_table3``, ``sources``)."""
    with open(HERE / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=None)
def preferences(use: str) -> tuple[dict, ...]:
    """``preferences.csv``'s rows for ``use`` ("accuracy" or "cost"), in preference order."""
    return tuple(r for r in table("preferences") if r["use"] == use)


#: How a printed figure can come from an exact count, tried in this order.
RULES = ("rounded", "truncated")


def printed_rules(exact: int, printed: str, unit: str = "M") -> list[str]:
    """Every way ``exact`` shows as ``printed`` (in ``unit``).

    * ``rounded``: to the printed number of decimals, halves up;
    * ``truncated``: the digits beyond the printed ones dropped (for these
      positive counts the same as the floor, so "floored" is this rule too).
    """
    return decimal_rules(Decimal(exact) / UNIT_SCALE[unit], printed)


#: Binary prefixes (M = 2²⁰, G = 2³⁰): a printing some tables use without saying so.
BINARY_SCALE = {"M": 2 ** 20, "G": 2 ** 30}


def binary_rules(exact: int, printed: str, unit: str = "M") -> list[str]:
    """Every way ``exact`` shows as ``printed`` read with a binary prefix (``G`` = 2³⁰,
    ``M`` = 2²⁰): :func:`decimal_rules` of ``exact / 2³⁰``.  None for other units."""
    if unit not in BINARY_SCALE:
        return []
    return decimal_rules(Decimal(exact) / BINARY_SCALE[unit], printed)


def decimal_rules(value: Decimal, printed: str) -> list[str]:
    """Every way an exact decimal ``value`` shows as ``printed`` (:data:`RULES`): a count in
    a unit (:func:`printed_rules`) or a share in percent (the V1 paper's Table 2)."""
    target = Decimal(printed)
    places = Decimal(1).scaleb(target.as_tuple().exponent)
    return [name for name, mode in (("rounded", ROUND_HALF_UP), ("truncated", ROUND_DOWN))
            if value.quantize(places, rounding=mode) == target]


@dataclass(frozen=True)
class LatencyRow:
    """One published latency (milliseconds as printed) with its source, device and precision."""

    source: str
    table: str
    version: str
    label: str
    device: str
    precision: str
    latency_ms: str
    arch: str
    alpha: float | None
    resolution: int | None
    note: str
    line: int


@lru_cache(maxsize=None)
def latencies() -> tuple[LatencyRow, ...]:
    """Every published latency (``latency.csv``): the V3 paper's Pixel 1/2/3 milliseconds
    (Tables 3 and 4 in two versions, Table 9), TF-slim's V2 and V3 tables, the V2 paper's
    Table 4. Measured with TF-Lite on one large core (the papers' and README's statements)."""
    with open(HERE / "latency.csv", newline="", encoding="utf-8") as f:
        return tuple(LatencyRow(source=r["source"], table=r["table"], version=r["version"],
                                label=r["label"], arch=r["arch"], alpha=_num(r["alpha"]),
                                resolution=_num(r["resolution"], int), device=r["device"],
                                precision=r["precision"], latency_ms=r["latency_ms"].strip(),
                                note=r["note"], line=i)
                     for i, r in enumerate(csv.DictReader(f), start=2))
