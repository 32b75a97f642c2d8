"""ShuffleNet V1 (Zhang et al., CVPR 2018) as data: Table 1 with Figure 2's units, its costs
against PyTorch's FlopCounterMode and sum(numel) on the model built from the spec, its peak
memory against the dispatch-level tracker, and the V2 paper's Table 3 ShuffleNet column."""

from __future__ import annotations

import pytest

import costmodel
from costmodel.memory import layer_memory, memory
from costmodel.published import printed_rules


def test_table_1_g3_stages():
    """Table 1 (g = 3): Conv1 24 at 112², MaxPool to 56², Stages 2-4 of 4, 8 and 4 units with
    240, 480, 960 output channels at 28², 14², 7², GlobalPool, FC 1000."""
    c = costmodel.count("shufflenet_v1")
    by = {r.name: r for r in c.layers}
    assert by["conv1"].output == (24, 112, 112) and by["maxpool"].output == (24, 56, 56)
    for stage, n, out in (("stage2", 4, (240, 28, 28)), ("stage3", 8, (480, 14, 14)),
                          ("stage4", 4, (960, 7, 7))):
        units = sorted({r.name.split(".")[0] for r in c.layers if r.name.startswith(stage)})
        assert len(units) == n
        assert by[f"{stage}_0.concat"].output == out
        assert by[f"{stage}_{n - 1}.add"].output == out
        # the bottleneck is a quarter of the unit's output channels
        assert by[f"{stage}_1.gconv1"].output[0] == out[0] // 4
    # stride-2 units: the branch writes out − in channels, the 3×3 avg pool shortcut the rest
    assert by["stage2_0.gconv2"].output == (240 - 24, 28, 28)
    assert by["stage2_0.shortcut"].input == (24, 56, 56)
    # "we do not apply group convolution on the first pointwise layer" of Stage 2
    assert by["stage2_0.gconv1"].layer["groups"] == 1 and by["stage3_0.gconv1"].layer["groups"] == 3
    assert by["stage2_1.shuffle"].madds == 0 and by["stage2_0.concat"].madds == 0
    assert by["fc"].input == (960, 1, 1) and by["fc"].output[0] == 1000


@pytest.mark.parametrize("arch,alpha,published_madds,published_params", [
    ("shufflenet_v1", 2.0, "524", "5.4"),            # V2 paper Table 4: ShuffleNet (x2)
    ("shufflenet_v1@stem-24", 1.5, "292", "3.4"),    # ShuffleNet (1.5), the authors' 1.5×
])
def test_v2_table_4_shufflenet_rows(arch, alpha, published_madds, published_params):
    c = costmodel.count(arch, alpha=alpha)
    assert printed_rules(c.totals.madds, published_madds, "M")
    assert printed_rules(c.totals.params, published_params, "M")


def test_the_papers_1_5x_scales_conv1_too():
    """s× scales every layer: 1.5× has a 36-channel Conv1 and 299.6M MAdds; the 292M printed
    for ShuffleNet (1.5) is the authors' code's 1.5× (Conv1 kept at 24: the variant)."""
    c = costmodel.count("shufflenet_v1", alpha=1.5)
    assert c.layers[0].output[0] == 36 and not printed_rules(c.totals.madds, "292", "M")
    v = costmodel.count("shufflenet_v1@stem-24", alpha=1.5)
    assert v.layers[0].output[0] == 24
    assert [r.output[0] for r in v.layers if r.name.endswith("_0.concat")] == [360, 720, 1440]


CONFIGS = [("shufflenet_v1", 1.0, 224), ("shufflenet_v1", 2.0, 160),
           ("shufflenet_v1", 0.5, 96), ("shufflenet_v1@stem-24", 1.5, 128),
           ("shufflenet_v1@g2", 2.0, 224)]


@pytest.mark.parametrize("arch,alpha,res", CONFIGS)
def test_built_model_against_flop_counter_and_numel(arch, alpha, res):
    """The model built from the spec, run under torch's FlopCounterMode: MACs = FLOPs/2
    (grouped and depthwise convolutions, the FC); params = sum(p.numel())."""
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from costmodel.torch_bridge import build_from_costing
    c = costmodel.count(arch, alpha=alpha, resolution=res)
    model = build_from_costing(c)
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        out = model(torch.zeros(1, 3, res, res))
    assert out.shape == (1, 1000)
    assert fc.get_total_flops() // 2 == c.totals.madds
    assert sum(p.numel() for p in model.parameters()) == c.in_convention("pytorch").totals.params


@pytest.mark.parametrize("arch,alpha,res", CONFIGS)
def test_peak_equals_the_dispatch_level_tracker(arch, alpha, res):
    """Every aten output's allocation and last use (batch norm folded, activations in place):
    the same peak, and the same most-bytes-alive within every layer that allocates; the
    concatenation holds both its inputs, the max pool its int64 indices."""
    pytest.importorskip("torch")
    from memtrack import inference_ready, run_tracked

    from costmodel.torch_bridge import build_from_costing
    c = costmodel.count(arch, alpha=alpha, resolution=res)
    rep = memory(c)
    names = [r.name for r in c.layers]
    t = run_tracked(inference_ready(build_from_costing(c)), (1, 3, res, res), layers=names)
    assert rep.peak.bytes == t.peak
    most: dict = {}
    for layer, live in t.events:
        if layer is not None:
            most[layer] = max(most.get(layer, 0), live)
    by = {x.name: x for x in rep.layers}
    assert most and all(by[name].live_bytes == v for name, v in most.items())


def test_a_concatenation_reads_both_inputs():
    c = costmodel.count("shufflenet_v1")
    cat = next(x for x in layer_memory(c) if x.type == "concat")
    # stage2_0: the 3×3 avg pool of the 24-channel input, and the 216-channel branch
    assert cat.inputs == ((24, 28, 28), (216, 28, 28)) and cat.output == (240, 28, 28)
    assert cat.input_elements == cat.output_elements == 240 * 28 * 28
    shortcut = next(x for x in layer_memory(c) if x.name == "stage2_0.shortcut")
    assert shortcut.inputs == ((24, 56, 56),)


def test_widths_that_do_not_divide_by_the_groups_are_refused():
    with pytest.raises(costmodel.SpecError, match="groups 3 does not divide"):
        costmodel.count("shufflenet_v1", alpha=0.35)


def test_spec_errors_name_the_layer_and_field():
    base = [{"type": "conv", "k": 3, "out": 12, "s": 2}]
    with pytest.raises(costmodel.SpecError, match="concat.*'with'"):
        costmodel.count({"layers": base + [{"type": "concat", "name": "concat"}]})
    with pytest.raises(costmodel.SpecError, match="no earlier layer named 'x'"):
        costmodel.count({"layers": base + [{"type": "concat", "with": "x"}]})
    with pytest.raises(costmodel.SpecError, match="reads.*not in one"):
        costmodel.count({"layers": base + [{"type": "pool", "reads": "block"}]})
    with pytest.raises(costmodel.SpecError, match="must be 'avg' or 'max'"):
        costmodel.count({"layers": base + [{"type": "pool", "fn": "min"}]})
    unit = {"type": "shuffle_unit", "name": "u", "c": 48, "n": 1, "s": 1}
    with pytest.raises(costmodel.SpecError, match="layer u: field 'c': a stride-1 unit adds its input"):
        costmodel.count({"layers": base + [unit]})
    with pytest.raises(costmodel.SpecError, match="does not divide by 4"):
        costmodel.count({"layers": base + [{**unit, "c": 30, "s": 2}]})


def test_a_user_spec_with_a_concatenation_group():
    """The kinds work outside ShuffleNet: a stride-2 unit written by hand."""
    c = costmodel.count({"input": {"resolution": 32}, "layers": [
        {"type": "conv", "k": 3, "out": 12, "s": 2},
        {"type": "shuffle_unit", "name": "u", "c": 48, "n": 2, "g": 2},
        {"type": "avgpool"}, {"type": "fc", "out": 10}]})
    by = {r.name: r for r in c.layers}
    assert by["u_0.concat"].output == (48, 8, 8) and by["u_1.add"].output == (48, 8, 8)
    assert by["u_0.gconv1"].madds == (12 // 2) * 12 * 16 * 16     # 1×1, 12 → 48/4 in 2 groups


# --------------------------------------------------------------------------- V2 Table 3

def test_v2_table3_shufflenet_column(capsys):
    from costmodel.memory_cells import check_v2_table3
    cells, not_checked = check_v2_table3()
    assert not_checked == 0
    sh = {(r.version, r.label, r.metric): r for r in cells if r.label.startswith("shufflenet")}
    # v4: 6 sizes × (channels, memory) + max; the other version: 112×112 (2) and max
    assert len(sh) == 13 + 3
    # 48/300 at 56×56: the max pool's 48 channels (Conv1's 24 × 2), 301,056 bytes
    r = sh[("v4", "shufflenet_2x_g3 56x56", "memory Kb")]
    assert r.status == "reproduced" and r.computed == 48 * 56 * 56 * 2
    # 400/600K, 800/310, 1600/156, 1600/3: g = 2's widths (200, 400, 800) × 2, not g = 3's
    for size, ch in (("28x28", 400), ("14x14", 800), ("7x7", 1600), ("1x1", 1600)):
        r = sh[("v4", f"shufflenet_2x_g3 {size}", "max channels")]
        assert r.status == "explained" and r.computed == ch and "g = 2" in r.rule
    assert sh[("v4", "shufflenet_2x_g3 max", "memory Kb")].computed == 400 * 28 * 28 * 2
    # 32/800 at 112×112: no layer has 32 channels there (Conv1 writes 48 at 2×)
    assert {k[1] for k, r in sh.items() if r.status == "unexplained"} == {"shufflenet_2x_g3 112x112"}
