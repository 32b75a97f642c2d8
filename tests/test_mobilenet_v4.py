"""MobileNetV4 (Qin et al. 2024) as data: the five models against timm's real builds, the
paper's Table 6 against the engine, and timm's models against the specs block by block.

Expected numbers come from independent counters on timm's own models (torch's
FlopCounterMode / 2 on the meta device, where scaled-dot-product attention is counted as its
two matmuls, and sum(p.numel())) or from the published tables, never from the engine.
"""

from __future__ import annotations

import pytest

from costmodel import count
from costmodel.errors import SpecError
from costmodel.spec import load

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

#: the paper's five models at its input sizes (Table 6 and the appendix tables)
MODELS = [("mobilenetv4_conv_small", 224), ("mobilenetv4_conv_medium", 256),
          ("mobilenetv4_conv_large", 384), ("mobilenetv4_hybrid_medium", 256),
          ("mobilenetv4_hybrid_large", 384)]


def flop_counter_macs(model, shape) -> int:
    """torch's FlopCounterMode on the meta device, halved (2 FLOPs per multiply-accumulate)."""
    from torch.utils.flop_counter import FlopCounterMode
    model = model.eval().to("meta")
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        model(torch.zeros(1, *shape, device="meta"))
    return fc.get_total_flops() // 2


@pytest.mark.parametrize("arch,resolution", MODELS)
def test_each_model_is_timms_build_exactly(arch, resolution):
    """The spec at α = 1 and the paper's input size: MACs (paper convention: conv, FC and the
    attention's QKᵀ and AV) and params (every parameter) equal timm's model's."""
    model = timm.create_model(arch, pretrained=False)
    params = sum(p.numel() for p in model.parameters())
    macs = flop_counter_macs(model, (3, resolution, resolution))
    c = count(arch)
    assert c.resolution == (resolution, resolution)
    assert c.totals.madds == macs
    assert count(arch, convention="pytorch").totals.params == params


@pytest.mark.parametrize("timm_name,arch,alpha", [
    ("mobilenetv4_conv_small_050", "mobilenetv4_conv_small", 0.5),
    ("mobilenetv4_conv_small_035", "mobilenetv4_conv_small", 0.35),
    ("mobilenetv4_hybrid_medium_075", "mobilenetv4_hybrid_medium", 0.75)])
def test_timms_thinner_models_are_the_specs_at_their_alpha(timm_name, arch, alpha):
    """timm's channel_multiplier: make_divisible widths, the expansion from the rounded input,
    the stem kept below α = 1 and the 1280 head never thinned."""
    model = timm.create_model(timm_name, pretrained=False)
    params = sum(p.numel() for p in model.parameters())
    assert count(arch, alpha=alpha, resolution=224).totals.madds == \
        flop_counter_macs(model, (3, 224, 224))
    assert count(arch, alpha=alpha, resolution=224, convention="pytorch").totals.params == params


def test_the_spec_built_as_pytorch_counts_as_the_spec():
    """Hybrid-M built from its spec (Mobile MQA, layer scale, every UIB instance) has the
    spec's MACs and params under the independent counters."""
    from costmodel.torch_bridge import build
    arch = "mobilenetv4_hybrid_medium"
    model = build(arch)
    assert sum(p.numel() for p in model.parameters()) == \
        count(arch, convention="pytorch").totals.params
    assert flop_counter_macs(model, (3, 256, 256)) == count(arch).totals.madds


def test_mobile_mqa_with_query_downsampling_is_timms():
    """The query path's average pool and upsample (no MobileNetV4 model uses them) against
    timm's MultiQueryAttention2d; the spec's layer also holds the block's pre-norm (2·C)."""
    from timm.layers.attention2d import MultiQueryAttention2d
    attn = MultiQueryAttention2d(64, num_heads=2, key_dim=16, value_dim=16, query_strides=2,
                                 kv_stride=2)
    params = sum(p.numel() for p in attn.parameters())
    macs = flop_counter_macs(attn, (64, 16, 16))
    spec = {"input": {"channels": 64, "resolution": 16},
            "layers": [{"type": "mqa", "heads": 2, "key_dim": 16, "kv_stride": 2,
                        "query_stride": 2}]}
    c = count(spec)
    assert c.totals.madds == macs
    assert count(spec, convention="pytorch").totals.params == params + 2 * 64
    f = c.fact_totals()
    assert f["attention_macs"] == 2 * (8 * 8) * (8 * 8) * (16 + 16)      # h·Nq·Nk·(dk + dv)
    assert f["softmax"] == 2 * 64 * 64
    assert f["pool_other_in"] == 64 * 16 * 16 and f["upsample_linear_out"] == 32 * 16 * 16


def test_the_uib_instances_are_checked_against_their_kernels():
    def spec(row):
        return {"layers": [{"type": "conv", "out": 32, "s": 2},
                           {"type": "uib", "columns": ["uib", "dw1", "dw2", "exp", "out", "s"],
                            "rows": [row]}]}
    count(spec(["ExtraDW", 3, 5, 96, 32, 1]))
    with pytest.raises(SpecError) as e:
        count(spec(["IB", 3, 5, 96, 32, 1]))
    assert "uib0" in str(e.value) and "uib" in str(e.value) and "dw1 = 3" in str(e.value)
    with pytest.raises(SpecError) as e:          # an FFN has no depthwise conv for the stride
        count(spec(["FFN", 0, 0, 96, 32, 2]))
    assert "uib0" in str(e.value) and "'s'" in str(e.value)


def test_the_blocks_are_what_the_paper_names():
    """Conv-S row for row: 2 FusedIB, then ExtraDW, 4 IB, ConvNext, ExtraDW x2, 4 IB."""
    from costmodel.conformance.reading import architecture
    a = architecture(count("mobilenetv4_conv_small"))
    assert [b.name for b in a.blocks] == (["FusedIB"] * 2 + ["ExtraDW"] + ["inverted bottleneck"] * 4
                                          + ["ConvNext", "ExtraDW", "ExtraDW"]
                                          + ["inverted bottleneck"] * 4)
    hm = architecture(count("mobilenetv4_hybrid_medium"))
    assert sum(b.name == "attention" for b in hm.blocks) == 8
    assert all(b.residual for b in hm.blocks if b.name == "attention")


# --------------------------------------------------------------------------- Table 6

@pytest.fixture(scope="module")
def table_6():
    from costmodel.conformance import check_published
    results, _ = check_published(["MNv4-paper"])

    def cells(label):
        return {r.metric: r for r in results if r.label == label}
    return cells


def test_table_6(table_6):
    """Conv-S's row reproduces with decimal prefixes; the M and L rows with binary prefixes
    (1G = 2³⁰, 1M = 2²⁰): 1,080,244,224 MACs / 2³⁰ = 1.006 → 1.0, 9,646,608 weights / 2²⁰ =
    9.1997 → 9.2; Hybrid-L's params are the one cell no rule reproduces (35.85 → 35.8)."""
    cells = table_6
    s = cells("MNv4-Conv-S")
    assert s["MAdds"].status == "reproduced" and s["MAdds"].published == "0.2"
    assert s["params"].status == "explained" and "pytorch" in s["params"].rule
    for label in ("MNv4-Conv-M", "MNv4-Hybrid-M", "MNv4-Conv-L"):
        for metric, r in cells(label).items():
            assert r.status == "explained" and "binary prefixes" in r.rule, (label, metric)
    hl = cells("MNv4-Hybrid-L")
    assert hl["MAdds"].status == "explained" and "binary prefixes" in hl["MAdds"].rule
    assert hl["params"].status == "unexplained" and "layer-scale" in hl["params"].note


def test_the_trade_off_chart_and_fit_have_the_family():
    """Table 6's top-1 for all five (``fit``, the report); the chart draws Conv-S for the
    family (the M and L models' 10–38M params would crowd the mobile range out of its labels)."""
    from costmodel.accuracy import tradeoff_points
    from costmodel.spec import builtin_names
    v4 = [a for a in builtin_names() if a.startswith("mobilenetv4_")]
    top1 = {p.published_label: p.top1 for p in tradeoff_points(v4)}
    assert top1 == {"MNv4-Conv-S": 73.8, "MNv4-Conv-M": 79.9, "MNv4-Hybrid-M": 80.7,
                    "MNv4-Conv-L": 82.9, "MNv4-Hybrid-L": 83.4}
    assert [p.published_label for p in tradeoff_points() if p.family == "v4"] == ["MNv4-Conv-S"]


# --------------------------------------------------------------------------- timm vs paper

@pytest.mark.parametrize("arch", ["mobilenetv4_conv_small", "mobilenetv4_conv_medium",
                                  "mobilenetv4_conv_large", "mobilenetv4_hybrid_medium"])
def test_timm_conforms_to_the_paper(arch):
    from costmodel.conformance import check_model
    r = check_model(f"timm:{arch}", arch, resolution=160)
    assert r.conforms, [d.line() for d in r.deviations]
    assert r.madds[0] == r.madds[1] and r.params[0] == r.params[1]


def test_a_hybrid_against_the_conv_model_names_each_block():
    from costmodel.conformance import check_model
    r = check_model("mobilenetv4_hybrid_medium", "mobilenetv4_conv_medium", resolution=256)
    lines = [d.line() for d in r.deviations]
    assert not r.conforms
    assert any("an attention, the paper has an ExtraDW" in line for line in lines)
