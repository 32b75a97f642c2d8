"""The zoo: every torchvision classification model with <= 100M parameters and 45 timm models
(the mobile and hybrid families), each counted by costmodel and checked against independent
counters run here and now:

* ``paper`` MACs against torch's ``FlopCounterMode`` total / 2 (run on the meta device);
* ``pytorch`` params against ``sum(p.numel())``;
* the ``fvcore`` convention (rebuilt from the facts) against fvcore's ``FlopCountAnalysis``
  total, with the operators fvcore skipped;
* timm's published fvcore figures (``costmodel/published/timm_bench.csv``: ``param_count``
  in millions and ``infer_gmacs``, both printed at 2 decimals, at ``infer_img_size``)
  against our ``pytorch`` params and ``fvcore`` MACs at that printed precision;
* the time to count each model (capture included) against fvcore's own time on it,
  measured side by side in one run.

Writes ``reports/zoo.md`` (and ``reports/tables/zoo.csv``).  Slow (minutes): run it
``nice``d.  ``--only NAME,NAME`` limits the run; ``--out`` changes the report path.

    python benchmarks/zoo.py
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIMM = [
    "mobilenetv1_100", "mobilenetv2_100", "mobilenetv2_050", "mobilenetv3_large_100",
    "mobilenetv3_small_100", "mobilenetv3_small_050", "mobilenetv4_conv_small",
    "mobilenetv4_conv_medium", "mobilenetv4_conv_large", "mobilenetv4_hybrid_medium",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_lite0", "mnasnet_100", "semnasnet_100",
    "spnasnet_100", "ghostnet_100", "ghostnetv2_100", "lcnet_050", "lcnet_100", "fbnetc_100",
    "mixnet_s", "mixnet_m", "tinynet_a", "tinynet_b", "rexnet_100", "hardcorenas_a",
    "mobilevit_s", "mobilevit_xs", "mobilevitv2_100", "mobilevitv2_050", "efficientvit_b0",
    "efficientvit_m0", "fastvit_t8", "repvit_m1", "repvit_m0_9", "mobileone_s0", "mobileone_s1",
    "levit_128s", "levit_128", "edgenext_small", "edgenext_x_small", "convnext_atto",
    "convnext_femto", "deit_tiny_patch16_224", "deit_small_patch16_224",
    "efficientformer_l1", "efficientformerv2_s0", "tiny_vit_5m_224", "poolformer_s12",
]
MAX_PARAMS = 100_000_000
#: Run first (one of each design), so that a run cut short still covers the variety.
FIRST = ["vit_b_16", "swin_t", "maxvit_t", "googlenet", "inception_v3", "resnet50",
         "mobilenet_v3_large", "regnet_y_400mf", "shufflenet_v2_x1_0", "squeezenet1_0",
         "mnasnet1_0", "efficientnet_v2_s", "vgg11", "resnext50_32x4d", "swin_v2_t", "vit_b_32",
         "convnext_tiny", "efficientnet_b0", "mobilenet_v2", "resnet18"]


def torchvision_models():
    """Every torchvision classification model with <= 100M parameters (counted on meta)."""
    import torch
    import torchvision
    out = []
    for name in torchvision.models.list_models(module=torchvision.models):
        try:
            with torch.device("meta"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = torchvision.models.get_model(name, weights=None)
            n = sum(p.numel() for p in m.parameters())
        except Exception:  # noqa: BLE001 - then build it on the CPU
            n = None
        if n is None or n <= MAX_PARAMS:
            out.append(name)
    return out


def fcm_total(model, shape):
    """FlopCounterMode's total / 2 on the meta device (the CPU where meta fails)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from costmodel.capture import meta_copy
    try:
        m = meta_copy(torch, model)
        x = torch.zeros(1, *shape, device="meta")
    except Exception:  # noqa: BLE001
        m, x = model, torch.zeros(1, *shape)
    c = FlopCounterMode(display=False)
    with c, torch.no_grad():
        m(x)
    return c.get_total_flops() // 2


def one(ref, shape, published):
    import torch
    import costmodel
    from costmodel.torch_bridge import fvcore_counts, load_model
    row = {"model": ref, "input": "×".join(str(v) for v in shape)}
    model = load_model(ref)
    numel = sum(p.numel() for p in model.parameters())
    if numel > MAX_PARAMS:
        return None
    t = time.perf_counter()
    c = costmodel.count(model, input_shape=shape)
    row["t_count"] = time.perf_counter() - t
    row["paper"] = c.totals.madds
    row["params"] = c.in_convention("pytorch").totals.params
    row["numel"] = numel
    row["fcm"] = fcm_total(model, shape)
    row["fvcore_rebuilt"] = c.in_convention("fvcore").totals.madds
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, row["fvcore"], skipped = fvcore_counts(model, None, input_shape=shape)
    row["t_fvcore"] = time.perf_counter() - t
    row["skipped"] = skipped
    row["uncounted"] = dict(c.unsupported)
    row["uncalled"] = dict(c.uncalled)
    row["device"] = c.capture.device
    status = []
    if row["paper"] != row["fcm"]:
        status.append(f"paper {row['paper'] - row['fcm']:+,} vs FlopCounterMode")
    if row["params"] != numel:
        status.append(f"params {row['params'] - numel:+,}")
    if row["fvcore_rebuilt"] != row["fvcore"]:
        status.append(f"fvcore {row['fvcore_rebuilt'] - row['fvcore']:+,}")
    if row["uncounted"]:
        status.append("uncounted: " + ", ".join(f"{k} ×{v}" for k, v in row["uncounted"].items()))
    if published is not None:
        p_params = f"{float(published['param_count']):.2f}"
        p_gmacs = f"{float(published['infer_gmacs']):.2f}"
        ours_p = f"{numel / 1e6:.2f}"
        ours_g = f"{row['fvcore_rebuilt'] / 1e9:.2f}"
        facts = c.fact_totals()
        with_attn = f"{(row['fvcore_rebuilt'] + facts['attention_macs']) / 1e9:.2f}"
        row["published"] = f"{p_gmacs} G / {p_params} M"
        row["ours_printed"] = f"{ours_g} G / {ours_p} M"
        row["published_ok"] = (ours_p, ours_g) == (p_params, p_gmacs)
        if not row["published_ok"]:
            if (ours_p, with_attn) == (p_params, p_gmacs):
                row["published_ok"] = True
                row["ours_printed"] += f" ({with_attn} G with attention)"
                status.append("published = fvcore + the attention's QKᵀ/AV MACs (timm's "
                              "benchmark traced attention as matmul)")
            else:
                status.append(f"published {p_gmacs} G / {p_params} M vs ours {ours_g} G "
                              f"({with_attn} G with attention) / {ours_p} M")
    row["status"] = "; ".join(status) or "exact"
    row["exact"] = row["paper"] == row["fcm"] and row["params"] == numel and \
        row["fvcore_rebuilt"] == row["fvcore"]
    del model
    torch.cuda.empty_cache() if torch.cuda.is_available() else None
    return row


def explain_published(row):
    """A timm figure the model does not reproduce as built: timm's record is of the model
    *reparameterized* for inference (``timm.utils.model.reparameterize_model``: branches and
    batch norms fused), its attention traced as matmul or not.  Counted again so (fast: no
    fvcore run); the row's status says which reproduces the record."""
    import costmodel
    from costmodel.torch_bridge import load_model
    from timm.utils.model import reparameterize_model
    shape = tuple(int(v) for v in row["input"].split("×"))
    model = reparameterize_model(load_model(row["model"]))
    c = costmodel.count(model, input_shape=shape, convention="fvcore")
    facts = c.fact_totals()
    p = f"{c.in_convention('pytorch').totals.params / 1e6:.2f}"
    plain = f"{c.totals.madds / 1e9:.2f}"
    attn = f"{(c.totals.madds + facts['attention_macs']) / 1e9:.2f}"
    published_g, published_p = (v.split(" ")[0] for v in row["published"].split(" / "))
    if (plain, p) == (published_g, published_p):
        how = "reparameterized"
    elif (attn, p) == (published_g, published_p):
        how = "reparameterized, attention QKᵀ/AV counted as matmul"
    else:
        return
    row["published_ok"] = True
    row["ours_printed"] += f"; reparameterized: {plain if how == 'reparameterized' else attn} G / {p} M"
    keep = [s for s in row["status"].split("; ") if not s.startswith("published")]
    row["status"] = "; ".join(keep + [f"published = the {how} model "
                                      f"(timm.utils.model.reparameterize_model)"])


def timm_shape(name, rows):
    """The model's test input size (timm's default) and the published row at that size."""
    import timm
    cfg = timm.create_model(name, pretrained=False).pretrained_cfg
    shape = tuple(cfg.get("test_input_size") or cfg.get("input_size") or (3, 224, 224))
    for r in rows or ():
        if int(r["infer_img_size"]) == shape[-1]:
            return shape, r
    if rows:
        s = int(rows[0]["infer_img_size"])
        return (3, s, s), rows[0]
    return shape, None


def torchvision_shape(name):
    """The default input: the crop size of the model's weights' transforms (no download)."""
    import torchvision
    try:
        crop = torchvision.models.get_model_weights(name).DEFAULT.transforms().crop_size[0]
    except Exception:  # noqa: BLE001 - a model without weights
        crop = 224
    return (3, int(crop), int(crop))


def markdown(rows) -> str:
    def g(v):
        return f"{v:,}"
    lines = [
        "# The zoo: any real vision model, counted exactly",
        "",
        "Written by `benchmarks/zoo.py` (do not edit). Every model built with `weights=None` / "
        "`pretrained=False`, batch 1, eval mode. Columns:",
        "",
        "- **paper MACs**: costmodel's `paper` convention (conv, linear, matmul and attention "
        "multiply-accumulates); **FCM/2**: torch's `FlopCounterMode` total / 2, run here on the "
        "meta device;",
        "- **fvcore rebuilt / measured**: costmodel's `fvcore` convention from the facts, and "
        "`fvcore.nn.FlopCountAnalysis(...).total()` run here; **fvcore skipped**: the operators "
        "it counted 0 (its own list);",
        "- **timm published**: `infer_gmacs` / `param_count` of timm's benchmark record "
        "(`costmodel/published/timm_bench.csv`, fvcore counts printed at 2 decimals) and ours "
        "at that precision;",
        "- **params**: `pytorch` convention = `sum(p.numel())`; **count s / fvcore s**: "
        "seconds to count the model (capture included) and fvcore's own time on it, side by side.",
        "",
        "| model | input | paper MACs | FCM/2 | fvcore rebuilt | fvcore measured | fvcore skipped | "
        "timm published | ours at that precision | params | count s | fvcore s | status |",
        "|---|---|---:|---:|---:|---:|---|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | {r.get('input', '')} | | | | | | | | | | | "
                         f"ERROR: {r['error']} |")
            continue
        skipped = ", ".join(f"{k.replace('aten::', '')} ×{v}" for k, v in sorted(r["skipped"].items()))
        lines.append(
            f"| {r['model']} | {r['input']} | {g(r['paper'])} | {g(r['fcm'])} | "
            f"{g(r['fvcore_rebuilt'])} | {g(r['fvcore'])} | {skipped} | {r.get('published', '')} | "
            f"{r.get('ours_printed', '')} | {g(r['params'])} | {r['t_count']:.2f} | "
            f"{r['t_fvcore']:.2f} | {r['status']} |")
    ok = [r for r in rows if "error" not in r]
    exact = [r for r in ok if r["paper"] == r["fcm"] and r["params"] == r["numel"]
             and r["fvcore_rebuilt"] == r["fvcore"]]
    faster = [r for r in ok if r["t_count"] < r["t_fvcore"]]
    pub = [r for r in ok if "published" in r]
    pub_ok = [r for r in pub if r.get("published_ok")]
    tc = sum(r["t_count"] for r in ok)
    tf = sum(r["t_fvcore"] for r in ok)
    lines += [
        "",
        f"**Summary**: {len(ok)} models counted ({len(rows) - len(ok)} errors); "
        f"{len(exact)} exact on all three (paper = FlopCounterMode/2, params = sum(numel), "
        f"fvcore rebuilt = measured); timm's published figures reproduced at their printed "
        f"precision on {len(pub_ok)} of {len(pub)}; counting faster than fvcore on "
        f"{len(faster)} of {len(ok)} (total {tc:.1f} s against fvcore's {tf:.1f} s, "
        f"ratio {tc / tf if tf else 0:.2f}).",
        "",
        "Where timm's published figure differs from the model as built, the status says what "
        "reproduces it: timm's benchmark counted some models reparameterized for inference "
        "(`timm.utils.model.reparameterize_model`: MobileOne, RepViT, FastViT, LeViT, "
        "EfficientViT-M, TinyViT) and, where its fvcore trace saw attention as matmul, with "
        "the QKᵀ/AV products (which fvcore skips as `scaled_dot_product_attention` in the "
        "model as built here). Rows without a published figure are models timm's record "
        "does not list at that size (and torchvision's).",
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=None)
    ap.add_argument("--out", default=str(ROOT / "reports" / "zoo.md"))
    ap.add_argument("--no-torchvision", action="store_true")
    ap.add_argument("--no-timm", action="store_true")
    ap.add_argument("--rows", default=None,
                    help="Also append each row as JSON to this file (to split a run in parts)")
    ap.add_argument("--render", default=None,
                    help="Only write the report from these row files (comma list)")
    args = ap.parse_args()
    if args.render:
        rows = [json.loads(line) for f in args.render.split(",")
                for line in Path(f).read_text().splitlines() if line.strip()]
        for row in rows:
            if row["model"].startswith("timm:") and "published" in row and \
                    not row.get("published_ok"):
                explain_published(row)
        Path(args.out).write_text(markdown(rows))
        print(f"wrote {args.out} ({len(rows)} models)")
        return
    warnings.filterwarnings("ignore")
    from costmodel.published.timm_bench import records
    bench = records()
    refs = []
    if not args.no_torchvision:
        refs += [(f"torchvision:{n}", torchvision_shape(n), None) for n in torchvision_models()]
    if not args.no_timm:
        refs += [(f"timm:{n}", None, bench.get(n)) for n in TIMM]
    if args.only:
        keep = set(args.only.split(","))
        refs = [r for r in refs if r[0].split(":", 1)[1] in keep or r[0] in keep]
    rank = {f"torchvision:{n}": i for i, n in enumerate(FIRST)}
    refs.sort(key=lambda r: rank.get(r[0], len(rank)))
    if args.rows and Path(args.rows).exists():      # a resumed run: skip the models done
        done = {json.loads(line)["model"] for line in Path(args.rows).read_text().splitlines()
                if line.strip()}
        refs = [r for r in refs if r[0] not in done]
    rows = []
    for i, (ref, shape, pub) in enumerate(refs, 1):
        t = time.perf_counter()
        try:
            if shape is None:
                shape, pub = timm_shape(ref.split(":", 1)[1], pub)
            row = one(ref, shape, pub)
        except Exception as e:  # noqa: BLE001 - reported in the table
            msg = str(e).strip().splitlines()
            row = {"model": ref, "input": "×".join(str(v) for v in shape or ()),
                   "error": f"{type(e).__name__}: {msg[0] if msg else ''}"[:200]}
        if row is None:
            print(f"[{i}/{len(refs)}] {ref}: more than 100M parameters, left out", flush=True)
            continue
        rows.append(row)
        if args.rows:
            with open(args.rows, "a") as f:
                f.write(json.dumps(row) + "\n")
        print(f"[{i}/{len(refs)}] {ref} {row.get('input')}: {row.get('status', row.get('error'))} "
              f"({time.perf_counter() - t:.1f} s)", flush=True)
        Path(args.out).write_text(markdown(rows))
    Path(args.out).write_text(markdown(rows))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
