"""Published memory cells: the V2 paper's Table 3 and timm's ``infer_macts``, against
``costmodel.memory``.  ``conformance.check_published`` includes them."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from .conformance.cells import CellResult
from .published import printed_rules, table


# --------------------------------------------------------------------------- V2 Table 3 (memory)

#: Table 3's MobileNet columns (the built-ins at α = 1).
TABLE3_ARCHS = ("mobilenet_v1", "mobilenet_v2")
#: Its ShuffleNet column, "ShuffleNet (2x, g=3)": the built-in at s = 2; and the configuration
#: whose widths the printed channels are, Table 1's g = 2 column (200, 400, 800) at s = 2.
SHUFFLENET = ("shufflenet_v1", 2.0)
SHUFFLENET_G2 = ("shufflenet_v1@g2", 2.0)


def _kb_rules(nbytes: int, printed: str) -> list[str]:
    """How ``nbytes`` shows as ``printed`` Kb (1,000 bytes): to whole Kb (rounded, truncated
    or rounded up) or to two or one significant digits (rounded or truncated), as the table
    prints."""
    value = Decimal(nbytes) / 1000
    target = Decimal(printed)
    out = []
    two = Decimal(1).scaleb(value.adjusted() - 1)
    one = Decimal(1).scaleb(value.adjusted())
    for name, q in (("whole Kb", Decimal(1)), ("2 significant digits", two),
                    ("1 significant digit", one)):
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
    checked, 0: the ShuffleNet column is :func:`_shufflenet_cell`'s).
    """
    from . import count
    from .memory import by_resolution
    rows_by_arch = {a: {f"{r.size[0]}x{r.size[1]}": r for r in by_resolution(count(a), dtype="fp16")}
                    for a in TABLE3_ARCHS}
    out, skipped = [], 0
    shuffle = {cfg: {f"{r.size[0]}x{r.size[1]}": r for r in
                     by_resolution(count(cfg[0], alpha=cfg[1]), dtype="fp16")}
               for cfg in (SHUFFLENET, SHUFFLENET_G2)}
    for printed in table("v2_table3"):
        size, version = printed["size"], printed["version"]
        out += _shufflenet_cells(printed, shuffle)
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


def timm_macts_rows() -> list[dict]:
    """timm's published ``infer_macts`` for the models of ``timm.csv`` (timm's MobileNets,
    each with the built-in and width it is): the row of ``timm_bench.csv`` (timm's 5090
    benchmark CSV, ``timm-bench-5090`` in ``sources.csv``) at the model's resolution.  One
    record, one source: ``timm.csv`` names the models, ``timm_bench.csv`` prints the figure."""
    from .published import rows
    from .published.timm_bench import SOURCE, VERSION, records
    bench = records()
    out = []
    for r in rows():
        if r.source != "timm":
            continue
        got = [b for b in bench.get(r.label, []) if int(b["infer_img_size"]) == r.resolution]
        if got:
            out.append({"source": SOURCE, "table": "infer_macts", "version": VERSION,
                        "label": r.label, "arch": r.arch, "alpha": r.alpha,
                        "resolution": r.resolution, "classes": r.classes,
                        "infer_macts": got[0]["infer_macts"], "unit": "M"})
    return out


def check_timm_macts() -> list[CellResult]:
    """timm's ``infer_macts`` (its benchmark CSV: fvcore's ActivationCountAnalysis, in M):
    ``memory.fvcore_activations`` of the built-in at the model's width, torchvision's width
    rounding (timm's own) first, then TF's."""
    from . import count
    from .memory import fvcore_activations
    out = []
    for r in timm_macts_rows():
        for rounding in ("torchvision", "tf"):
            c = count(r["arch"], alpha=r["alpha"], resolution=r["resolution"],
                      classes=r["classes"], rounding=rounding)
            v = fvcore_activations(c)
            rules = printed_rules(v, r["infer_macts"], r["unit"])
            if rules:
                break
        primary = rounding == "torchvision"
        out.append(CellResult(
            r["source"], r["table"], r["version"], r["label"], "activations", r["infer_macts"],
            r["unit"], v, ("reproduced" if primary else "explained") if rules else "unexplained",
            (f"fvcore activation count of {r['arch']} α={r['alpha']:g}, {rules[0]}"
             + ("" if primary else ", with tf width rounding")) if rules
            else f"the count gives {v:,} (torchvision rounding) or more"))
    return out


def _shufflenet_cells(printed, rows_by_cfg) -> list[CellResult]:
    """The ShuffleNet (2x, g = 3) cells of one Table 3 row: the widest tensor materialised at
    the size in ShuffleNet 2× with g = 3 (``reproduced``), else in ShuffleNet 2× with
    Table 1's g = 2 widths (``explained``: the printed channels are g = 2's), else
    ``unexplained`` with both."""
    size, version = printed["size"], printed["version"]
    value = printed["shufflenet_2x_g3"].strip()
    label = "shufflenet_2x_g3 " + size
    g3, g2 = rows_by_cfg[SHUFFLENET], rows_by_cfg[SHUFFLENET_G2]
    why_g2 = ("with Table 1's g = 2 widths (200, 400, 800 at 1×; the built-in variant "
              "shufflenet_v1@g2 at α = 2), not g = 3's")

    def cell(metric, shown, unit, computed, status, rule, note=""):
        return CellResult("V2-paper", "Table 3", version, label, metric, shown, unit, computed,
                          status, rule, note)
    if size == "max":
        target = value.rstrip("K")
        for rows_, status, how in ((g3, "reproduced", "g = 3"), (g2, "explained", why_g2)):
            sizes = [r for k, r in rows_.items() if k != "224x224"]
            best = max(sizes, key=lambda r: r.bytes)
            rules = _kb_rules(best.bytes, target)
            if rules:
                return [cell("memory Kb", target, "Kb", best.bytes, status,
                             f"the largest over every size, ShuffleNet 2× {how}: "
                             f"{best.size[0]}x{best.size[1]}, {best.bytes / 1000:g} Kb, {rules[0]}")]
        best = max((r for k, r in g3.items() if k != "224x224"), key=lambda r: r.bytes)
        return [cell("memory Kb", target, "Kb", best.bytes, "unexplained",
                     f"the largest over every size (g = 3): {best.size[0]}x{best.size[1]}, "
                     f"{best.bytes / 1000:g} Kb")]
    ch, mem = value.split("/")
    if mem == "O(1)":
        return [cell(metric, v, unit, None, "explained", "not a count: this version claims O(1) "
                     "at 112×112, Section 5's streaming applied to the first layers (v4 prints "
                     "a number here)") for metric, v, unit in (("max channels", ch, "1"),
                                                               ("memory Kb", mem, "Kb"))]
    mem = mem.rstrip("K")
    h, w = (int(x) for x in size.split("x"))
    for rows_, status, how in ((g3, "reproduced", "g = 3"), (g2, "explained", why_g2)):
        r = rows_[size]
        if r.channels == int(ch):
            rules = _kb_rules(r.bytes, mem)
            out = [cell("max channels", ch, "1", r.channels, status,
                        f"the widest tensor materialised at {size} in ShuffleNet 2× {how}")]
            if rules:
                out.append(cell("memory Kb", mem, "Kb", r.bytes, status,
                                f"{r.channels}·{h}·{w}·2 bytes = {r.bytes / 1000:g} Kb, {rules[0]}"))
            else:
                out.append(cell("memory Kb", mem, "Kb", r.bytes, "unexplained",
                                f"{r.channels}·{h}·{w}·2 bytes = {r.bytes / 1000:g} Kb"))
            return out
    r3 = g3[size]
    streamed = r3.channels == 0
    what = ("nothing materialised here: Conv1 streamed into the max pool (the caption's trick)"
            if streamed else f"the widest tensor has {r3.channels} channels ({r3.bytes / 1000:g} Kb)")
    nearest = (f"nearest: Conv1's 48 channels without the trick, {48 * h * w * 2 / 1000:g} Kb"
               if streamed and size == "112x112" else
               f"nearest: g = 2's {g2[size].channels} channels, {g2[size].bytes / 1000:g} Kb")
    evidence = (f"{ch}·{h}·{w}·2 bytes = {int(ch) * h * w * 2 / 1000:g} Kb matches the printed "
                f"{mem}, but no layer of ShuffleNet 2× (g = 2 or 3) has {ch} channels at {size}"
                + (" (Conv1 writes 24 × 2 = 48)" if size == "112x112" else ""))
    return [cell("max channels", ch, "1", r3.channels, "unexplained", f"{what}; {nearest}",
                 evidence),
            cell("memory Kb", mem, "Kb", r3.bytes, "unexplained", f"{what}; {nearest}", evidence)]


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
