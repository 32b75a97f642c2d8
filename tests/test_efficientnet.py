"""EfficientNet B0–B7 as one family data file (B0 from the paper's Table 1, B1–B7 by compound
scaling), and the spec language's depth coefficient.

Expected numbers come from torchvision's and timm's own builds (FlopCounterMode / 2 and
sum(p.numel()) on the meta device), from torchvision's weights metadata and from the
paper's Table 2 (costmodel/published/efficientnet.csv), never from costmodel's output.
"""

import math

import pytest

import costmodel
from conftest import needs_torch
from costmodel.errors import SpecError
from costmodel.spec import load, parse

# The paper's resolutions; width and depth coefficients of torchvision's efficientnet.py.
MODELS = {"efficientnet_b0": (1.0, 1.0, 224), "efficientnet_b1": (1.0, 1.1, 240),
          "efficientnet_b2": (1.1, 1.2, 260), "efficientnet_b3": (1.2, 1.4, 300),
          "efficientnet_b4": (1.4, 1.8, 380), "efficientnet_b5": (1.6, 2.2, 456),
          "efficientnet_b6": (1.8, 2.6, 528), "efficientnet_b7": (2.0, 3.1, 600)}
TABLE1_REPEATS = (1, 2, 2, 3, 3, 4, 1)


def _reference(build, res):
    """FlopCounterMode / 2 and sum(p.numel()) of a model built on the meta device."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    with torch.device("meta"):
        model = build().eval()
        with FlopCounterMode(display=False) as counter:
            model(torch.randn(1, 3, res, res))
    return counter.get_total_flops() // 2, sum(p.numel() for p in model.parameters())


def test_b1_to_b7_are_members_of_one_data_file():
    for name, (w, d, res) in MODELS.items():
        spec = load(name)
        assert (spec.width_scale, spec.depth, spec.input[1]) == (w, d, res), name
        assert spec.family == "efficientnet"
        assert spec.member_of == ("" if name == "efficientnet_b0" else "efficientnet_b0")


@pytest.mark.parametrize("name", MODELS)
def test_each_stage_repeats_ceil_depth_times(name):
    _, d, _ = MODELS[name]
    blocks = [r for r in costmodel.count(name).layers if r.name.endswith(".dw")]
    assert len(blocks) == sum(math.ceil(n * d) for n in TABLE1_REPEATS)


@needs_torch
@pytest.mark.parametrize("name", MODELS)
def test_each_model_is_torchvisions_build(name):
    import torchvision
    res = MODELS[name][2]
    macs, params = _reference(lambda: torchvision.models.get_model(name, weights=None), res)
    c = costmodel.count(name)
    assert c.totals.madds == macs
    assert c.in_convention("pytorch").totals.params == params


@needs_torch
@pytest.mark.parametrize("name,timm_name", [("efficientnet_b0", "efficientnet_b0"),
                                            ("efficientnet_b2", "tf_efficientnet_b2"),
                                            ("efficientnet_b3", "efficientnet_b3")])
def test_timms_builds_agree(name, timm_name):
    timm = pytest.importorskip("timm")
    res = MODELS[name][2]
    macs, params = _reference(lambda: timm.create_model(timm_name, pretrained=False), res)
    c = costmodel.count(name)
    assert (c.totals.madds, c.in_convention("pytorch").totals.params) == (macs, params)


def _cells(source):
    from costmodel import conformance
    results, _ = conformance.check_published([source])
    return {(r.label, r.metric): r for r in results if "fficientNet" in r.label}


def test_torchvisions_metadata_is_reproduced():
    """num_params exactly and _ops (conv + linear GMACs at the weights' crop size) at 3
    decimals, for all nine weights (B2's crop is 288, not the paper's 260)."""
    cells = _cells("torchvision")
    assert len(cells) == 18
    assert {r.status for r in cells.values()} == {"reproduced"}


def test_the_papers_table_2():
    """FLOPs (multiply-adds, in B) and params as printed; three MAdds figures no count
    reproduces, each with its note, and B2's 9.2M only with Keras's batch-norm count."""
    cells = _cells("EfficientNet-paper")
    unexplained = {k for k, r in cells.items() if r.status == "unexplained"}
    assert unexplained == {("EfficientNet-B1", "MAdds"), ("EfficientNet-B4", "MAdds"),
                           ("EfficientNet-B5", "MAdds")}
    assert all(cells[k].note for k in unexplained)
    assert cells[("EfficientNet-B2", "params")].status == "explained"
    assert "keras" in cells[("EfficientNet-B2", "params")].rule
    reproduced = {k for k, r in cells.items() if r.status == "reproduced"}
    assert len(reproduced) == 12


# --------------------------------------------------------------------------- the depth coefficient

NET = {"layers": [{"type": "conv", "k": 3, "out": 16, "s": 2},
                  {"type": "bottleneck", "t": 6, "c": 24, "n": 3, "s": 2},
                  {"repeat": 2, "layers": [{"type": "dw"}, {"type": "conv", "k": 1, "out": 24}]},
                  {"type": "avgpool"}, {"type": "fc", "out": 10}]}


def test_depth_makes_every_repeat_count_ceil_d_n():
    base = costmodel.count(dict(NET))
    deeper = costmodel.count({**NET, "depth": 1.5})
    dws = lambda c: sum(r.kind == "depthwise" for r in c.layers)   # noqa: E731
    assert dws(base) == 3 + 2
    assert dws(deeper) == math.ceil(1.5 * 3) + math.ceil(1.5 * 2)
    assert deeper.totals.madds > base.totals.madds


@pytest.mark.parametrize("bad", [0, -1, "deep", True])
def test_a_bad_depth_names_the_field(bad):
    with pytest.raises(SpecError, match="depth"):
        parse({**NET, "depth": bad}, file="net.toml")


def test_block_ratio_needs_a_block():
    data = {"layers": [{"type": "conv", "k": 3, "out": 16}, {"type": "se", "block_ratio": 0.25},
                       {"type": "fc", "out": 10}]}
    with pytest.raises(SpecError, match="block_ratio"):
        costmodel.count(data)


def test_the_se_squeeze_is_a_quarter_of_the_blocks_input():
    c = costmodel.count("efficientnet_b0")
    se = {r.name: r for r in c.layers if r.kind == "squeeze-excite"}
    first, second = se["mbconv0.se"], se["mbconv1.se"]
    assert (first.input[0], first.mid) == (32, 8)          # MBConv1: 32 in, 32 // 4
    assert (second.input[0], second.mid) == (96, 4)        # MBConv6: 16 in (96 expanded), 16 // 4


def test_a_member_table_with_an_unknown_field_names_it():
    data = {"name": "x", "layers": NET["layers"], "models": {"x_big": {"widht": 1.2}}}
    with pytest.raises(SpecError, match="models.x_big.widht"):
        parse(data, file="x.toml", member="x_big")


# --------------------------------------------------------------------------- real models vs papers

@needs_torch
@pytest.mark.parametrize("model,paper", [
    ("torchvision:efficientnet_b0", "efficientnet_b0"), ("torchvision:efficientnet_b1", "efficientnet_b1"),
    ("torchvision:efficientnet_b2", "efficientnet_b2"), ("torchvision:efficientnet_b3", "efficientnet_b3"),
    ("timm:efficientnet_b0", "efficientnet_b0"), ("timm:tf_efficientnet_b2", "efficientnet_b2"),
    ("timm:semnasnet_100", "mnasnet_a1"), ("timm:mnasnet_small", "mnasnet_small"),
    ("timm:efficientnet_lite0", "efficientnet_lite0")])
def test_real_implementations_conform_to_their_papers(model, paper):
    """Block by block (swish read from the captured SiLU, SE from its pool-conv-act-conv-gate-
    multiply pattern), at the paper model's own resolution."""
    if model.startswith("timm:"):
        pytest.importorskip("timm")
    from costmodel.conformance import check_model
    result = check_model(model, paper)
    assert result.conforms, result.render("text")


def test_any_family_takes_a_depth_coefficient():
    """MobileNetV2 at depth 1.5 (a variant of the built-in: base + depth): its seven
    bottleneck rows (n = 1, 2, 3, 4, 3, 3, 1) become ceil(1.5·n) blocks."""
    deep = costmodel.count(parse({"base": "mobilenet_v2", "name": "v2_deep", "depth": 1.5}))
    assert sum(r.kind == "depthwise" for r in deep.layers) == \
        sum(math.ceil(1.5 * n) for n in (1, 2, 3, 4, 3, 3, 1))
