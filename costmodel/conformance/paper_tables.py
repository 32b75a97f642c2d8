"""The papers' own tables that are not model entries: the V1 paper's Table 2 (MAdds and
params shares per layer type) and Table 3 (one layer, standard against separable), and
TF-slim's per-layer MobileNetV1 table (exact integers)."""

from __future__ import annotations

from decimal import Decimal

from ..published import decimal_rules, printed_rules, table
from .cells import CellResult, format_value, swapped_digits


def _percent_rules(part: int, total: int, printed: str) -> list[str]:
    return decimal_rules(Decimal(100 * part) / Decimal(total), printed)


def check_v1_tables_2_and_3() -> list[CellResult]:
    """The V1 paper's Table 2 (shares per layer type) and Table 3 (one layer)."""
    from .. import count
    from ..ratio import separable_table
    out = []
    c = count("mobilenet_v1")
    groups = c.group_totals()
    for printed in table("v1_table2"):
        m, p = groups.get(printed["type"], (0, 0))
        for metric, part, total, value in (("MAdds %", m, c.totals.madds, printed["madds_pct"]),
                                           ("params %", p, c.totals.params, printed["params_pct"])):
            pct = round(100 * part / total, 4)
            rules = _percent_rules(part, total, value)
            if rules:
                res = CellResult("V1-paper", "Table 2", "", printed["type"], metric, value, "%", part,
                                 "reproduced", rules[0])
            else:
                swapped = [s for s in swapped_digits(value) if _percent_rules(part, total, s)]
                status = "erratum" if swapped else "unexplained"
                rule = (f"digits swapped: printed {value}%, the count gives {swapped[0]}%"
                        if swapped else f"the count gives {pct:.2f}%")
                res = CellResult("V1-paper", "Table 2", "", printed["type"], metric, value, "%", part,
                                 status, rule)
            out.append(res)
    for got, printed in zip(separable_table(), table("v1_table3")):
        for metric, v, value, unit in (("MAdds", got["MAdds"], printed["madds"], printed["madds_unit"]),
                                       ("params", got["params"], printed["params"], printed["params_unit"])):
            rules = printed_rules(v, value, unit)
            out.append(CellResult("V1-paper", "Table 3", "", printed["modification"], metric, value, unit,
                                  v, "reproduced" if rules else "unexplained",
                                  rules[0] if rules else f"the count gives {format_value(v, unit)}"))
    return out


def check_tf_slim_layers() -> list[CellResult]:
    """Every layer of TF-slim's own MobileNetV1 tables (exact integers)."""
    from .. import count
    out = []
    docs = table("tfslim_v1_layers")
    for alpha, res in sorted({(float(d["alpha"]), int(d["resolution"])) for d in docs}, reverse=True):
        c = count("mobilenet_v1", alpha=alpha, resolution=res)
        convs = [r for r in c.layers if r.kind in ("standard", "depthwise", "pointwise")]
        rows_ = [d for d in docs if float(d["alpha"]) == alpha and int(d["resolution"]) == res]
        for r, d in zip(convs, rows_):
            for metric, v, printed in (("MAdds", r.madds, d["macs"]), ("params", r.weights, d["params"])):
                ok = v == int(printed)
                out.append(CellResult("TF-slim-v1-code", "docstring per layer", "", f"{d['config']}: {d['layer']}",
                                      metric, printed, "1", v, "reproduced" if ok else "unexplained",
                                      "exact" if ok else f"the count gives {v:,}"))
    return out
