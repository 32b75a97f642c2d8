"""A published cell and its status: what the search (:mod:`.search`), the papers' own
tables (:mod:`.paper_tables`) and the memory cells (:mod:`costmodel.memory_cells`) return."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError
from ..published import UNIT_SCALE

STATUSES = ("reproduced", "explained", "erratum", "unexplained", "uncounted")


@dataclass
class CellResult:
    """A published figure, what the engine gives, and how (or whether) it reproduces."""

    source: str
    table: str
    version: str
    label: str
    metric: str              # "MAdds", "params", "MAdds %", "params %"
    published: str
    unit: str
    computed: int | None
    status: str
    rule: str
    note: str = ""

    @property
    def key(self) -> str:
        v = f" ({self.version})" if self.version else ""
        return f"{self.source} {self.table}{v}: {self.label}: {self.metric}"


def status_counts(results: list[CellResult]) -> dict[str, int]:
    return {s: sum(r.status == s for r in results) for s in STATUSES}


def parse_statuses(text: str) -> list[str]:
    """``--status``'s comma list; an unknown status is a one-line error."""
    wanted = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in wanted if x not in STATUSES]
    if bad:
        raise UsageError(f"unknown status {bad[0]!r}: use {', '.join(STATUSES)}")
    return wanted


def format_value(v: int | None, unit: str) -> str:
    """An exact count in a printed unit, three decimals (``—`` for none)."""
    if v is None:
        return "—"
    if unit == "Kb":                  # V2 Table 3: computed in bytes, printed in Kb (1,000 bytes)
        return f"{v / 1000:,.3f} Kb"
    return f"{v / UNIT_SCALE[unit]:,.3f}{unit if unit != '1' else ''}"


def swapped_digits(printed: str) -> list[str]:
    """The printed figure with two adjacent digits swapped (a typo's usual shape)."""
    out = []
    chars = list(printed)
    digits = [i for i, ch in enumerate(chars) if ch.isdigit()]
    for a, b in zip(digits, digits[1:]):
        if b == a + 1 or (b == a + 2 and chars[a + 1] == "."):
            c = chars[:]
            c[a], c[b] = c[b], c[a]
            s = "".join(c)
            if s != printed and not (s[0] == "0" and len(s) > 1 and s[1] != "."):
                out.append(s)
    return out
