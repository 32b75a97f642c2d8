"""Published memory cells: the V2 paper's Table 3 and timm's ``infer_macts``, against
``costmodel.memory``.  ``conformance.check_published`` includes them."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from .conformance.cells import CellResult
from .published import printed_rules, table


# --------------------------------------------------------------------------- V2 Table 3 (memory)

#: Table 3's columns that have a built-in; the ShuffleNet column has none (not checked).
TABLE3_ARCHS = ("mobilenet_v1", "mobilenet_v2")


def _kb_rules(nbytes: int, printed: str) -> list[str]:
    """How ``nbytes`` shows as ``printed`` Kb (1,000 bytes): to whole Kb (rounded, truncated
    or rounded up) or to two significant digits (rounded or truncated), as the table prints."""
    value = Decimal(nbytes) / 1000
    target = Decimal(printed)
    out = []
    two = Decimal(1).scaleb(value.adjusted() - 1)
    for name, q in (("whole Kb", Decimal(1)), ("2 significant digits", two)):
        for how, mode in (("rounded", ROUND_HALF_UP), ("truncated", ROUND_DOWN)):
            if (value / q).to_integral_value(rounding=mode) * q == target:
                out.append(f"{how} to {name}")
    if not out and (value / 1).to_integral_value(rounding=ROUND_DOWN) + 1 == target and value % 1:
        out.append("rounded up to whole Kb")
    return out


def check_v2_table3() -> tuple[list[CellResult], int]:
    """The V2 paper's Table 3: max channels / memory (Kb, fp16) at each spatial size.

    Computed by the paper's rule (``memory.by_resolution``: the widest tensor materialised
    at each size, an inverted residual's expanded tensor never materialised, the first
    layer streamed into the first block, the layer before global pooling accumulated into
    it).  A cell reproduced that way is ``reproduced``; one given by the channels of the
    Table 2 row that *reads* the size (a stride-2 row's ``c`` beside its input size), or
    rounded up where the others truncate, is ``explained``.  Returns (cells, cells not
    checked: the ShuffleNet column).
    """
    from . import count
    from .memory import by_resolution
    rows_by_arch = {a: {f"{r.size[0]}x{r.size[1]}": r for r in by_resolution(count(a), dtype="fp16")}
                    for a in TABLE3_ARCHS}
    out, skipped = [], 0
    for printed in table("v2_table3"):
        size, version = printed["size"], printed["version"]
        skipped += 1                                   # the ShuffleNet 2x (g = 3) cell
        for arch in TABLE3_ARCHS:
            value = printed[arch].strip()
            rows_ = rows_by_arch[arch]
            label = f"{arch} {size}"
            if size == "max":
                sizes = [s for s in rows_ if s != "224x224"]
                if version != "v4":
                    sizes = [s for s in sizes if s != "112x112"]
                out.append(_table3_max(printed, arch, value, [rows_[s] for s in sizes], version))
                continue
            ch, mem = value.split("/")
            if mem == "O(1)":
                for metric, v, unit in (("max channels", ch, "1"), ("memory Kb", mem, "Kb")):
                    out.append(CellResult("V2-paper", "Table 3", version, label, metric, v, unit, None,
                                          "explained", "not a count: this version claims O(1) at "
                                          "112×112, Section 5's streaming applied to the first "
                                          "layers (v4 prints a number here)"))
                continue
            r = rows_[size]
            h, w = (int(x) for x in size.split("x"))
            candidates = [("reproduced", r.channels, "the widest tensor materialised at " + size),
                          ("explained", r.input_row_channels,
                           f"the channels of the Table 2 row that reads {size} (a stride-2 row's "
                           f"output channels c beside its input size), not a tensor the model "
                           f"materialises at {size} (widest: {r.channels})")]
            hit = next(((st, c, why) for st, c, why in candidates if c == int(ch)), None)
            if hit is None:
                out.append(CellResult("V2-paper", "Table 3", version, label, "max channels", ch, "1",
                                      r.channels, "unexplained",
                                      f"the widest tensor at {size} has {r.channels} channels"))
                out.append(CellResult("V2-paper", "Table 3", version, label, "memory Kb", mem, "Kb",
                                      r.bytes, "unexplained", f"{r.bytes / 1000:g} Kb"))
                continue
            status, c, why = hit
            out.append(CellResult("V2-paper", "Table 3", version, label, "max channels", ch, "1", c,
                                  status, why))
            nbytes = c * h * w * 2
            rules = _kb_rules(nbytes, mem)
            if rules:
                mstatus = status if not rules[0].startswith("rounded up") else "explained"
                out.append(CellResult("V2-paper", "Table 3", version, label, "memory Kb", mem, "Kb",
                                      nbytes, mstatus, f"{c}·{h}·{w}·2 bytes = {nbytes / 1000:g} Kb, "
                                      f"{rules[0]}" + ("" if not rules[0].startswith("rounded up")
                                                       else " (the other cells round or truncate)")))
            else:
                out.append(CellResult("V2-paper", "Table 3", version, label, "memory Kb", mem, "Kb",
                                      nbytes, "unexplained",
                                      f"{c}·{h}·{w}·2 bytes = {nbytes / 1000:g} Kb; nearest: the "
                                      f"largest inputs + output of an operation writing {size}, "
                                      f"{r.op_bytes / 1000:g} Kb",
                                      "the column's other cells are the widest tensor at their "
                                      "size; inputs + output of one layer at this size with "
                                      f"{c} channels would be {2 * nbytes / 1000:g} Kb; "
                                      f"{mem} matches neither"))
    return out, skipped


def check_timm_macts() -> list[CellResult]:
    """timm's ``infer_macts`` (its benchmark CSVs: fvcore's ActivationCountAnalysis, in M):
    ``memory.fvcore_activations`` of the built-in at the model's width, torchvision's width
    rounding (timm's own) first, then TF's."""
    from . import count
    from .memory import fvcore_activations
    out = []
    for r in table("timm_macts"):
        for rounding in ("torchvision", "tf"):
            c = count(r["arch"], alpha=float(r["alpha"]), resolution=int(r["resolution"]),
                      classes=int(r["classes"]), rounding=rounding)
            v = fvcore_activations(c)
            rules = printed_rules(v, r["infer_macts"], r["unit"])
            if rules:
                break
        primary = rounding == "torchvision"
        out.append(CellResult(
            r["source"], r["table"], r["version"], r["label"], "activations", r["infer_macts"],
            r["unit"], v, ("reproduced" if primary else "explained") if rules else "unexplained",
            (f"fvcore activation count of {r['arch']} α={float(r['alpha']):g}, {rules[0]}"
             + ("" if primary else ", with tf width rounding")) if rules
            else f"the count gives {v:,} (torchvision rounding) or more"))
    return out


def _table3_max(printed, arch, value, rows_, version) -> CellResult:
    target = value = value.rstrip("K")
    best = max(rows_, key=lambda r: r.bytes)
    where = f"{best.size[0]}x{best.size[1]}"
    scope = "every size" if version == "v4" else "every size but 112×112 (printed O(1) there)"
    rules = _kb_rules(best.bytes, target)
    if rules:
        return CellResult("V2-paper", "Table 3", version, f"{arch} max", "memory Kb", value, "Kb",
                          best.bytes, "reproduced", f"the largest over {scope}: {where}, "
                          f"{best.bytes / 1000:g} Kb, {rules[0]}")
    shifted = [(r.input_row_channels * r.size[0] * r.size[1] * 2, r) for r in rows_
               if r.size != (1, 1)]
    nbytes, r = max(shifted, key=lambda x: x[0])
    rules = _kb_rules(nbytes, target)
    if rules:
        return CellResult("V2-paper", "Table 3", version, f"{arch} max", "memory Kb", value, "Kb",
                          nbytes, "explained", f"the largest over {scope} with the channels of "
                          f"the Table 2 row that reads each size: {r.size[0]}x{r.size[1]}, "
                          f"{nbytes / 1000:g} Kb, {rules[0]}")
    return CellResult("V2-paper", "Table 3", version, f"{arch} max", "memory Kb", value, "Kb",
                      best.bytes, "unexplained", f"the largest over {scope}: {where}, "
                      f"{best.bytes / 1000:g} Kb")
