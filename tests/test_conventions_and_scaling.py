"""Conventions and width rounding against independent counts.

torchvision's parameter counts come from its weights metadata (costmodel/published);
the torchvision width-multiplier counts were measured with other counters on
torchvision's own models (../shared/reference/peer-counters.md, section 7).
"""

import pytest

import costmodel
from costmodel.published import rows
from costmodel.scaling import make_divisible, slim_v1_depth


@pytest.mark.parametrize("arch", ["mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"])
def test_pytorch_convention_gives_torchvision_params(arch):
    published = {int(r.params) for r in rows() if r.source == "torchvision" and r.arch == arch}
    assert len(published) == 1
    assert costmodel.count(arch, convention="pytorch").totals.params == published.pop()


def test_pytorch_convention_numbers_named_in_the_issue():
    got = [costmodel.count(a, convention="pytorch").totals.params
           for a in ("mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small")]
    assert got == [3_504_872, 5_483_032, 2_542_856]


# torchvision mobilenet_v2(width_mult=α): params measured with ptflops/thop/torchinfo,
# conv + linear MACs with a dispatch-mode census (peer-counters.md §7 and §3).
@pytest.mark.parametrize("alpha,params,macs_m", [(0.5, 1_968_680, "97.13"), (0.75, 2_636_424, "209.07"),
                                                 (1.4, 6_108_776, "582.20"), (0.35, 1_677_128, "59.29")])
def test_torchvision_width_multiplier_v2(alpha, params, macs_m):
    c = costmodel.count("mobilenet_v2", alpha=alpha, rounding="torchvision", convention="pytorch")
    assert c.totals.params == params
    assert f"{c.totals.madds / 1e6:.2f}" == macs_m


def test_torchvision_v3_at_075_differs_from_tf():
    """torchvision's _mobilenet_v3_conf(width_mult=0.75) (measured: 140.03M / 3,377,576 and
    39.12M / 1,653,920) against the TF-slim 0.75 checkpoints (155M / 4.0M and 44M / 2.4M)."""
    large = costmodel.count("mobilenet_v3_large", alpha=0.75, rounding="torchvision", convention="pytorch")
    small = costmodel.count("mobilenet_v3_small", alpha=0.75, rounding="torchvision", convention="pytorch")
    assert (f"{large.totals.madds / 1e6:.2f}", large.totals.params) == ("140.03", 3_377_576)
    assert (f"{small.totals.madds / 1e6:.2f}", small.totals.params) == ("39.12", 1_653_920)
    tf = costmodel.count("mobilenet_v3_large", alpha=0.75, rounding="tf")
    assert round(tf.totals.madds / 1e6) == 155 and round(tf.totals.params / 1e6, 1) == 4.0


def test_rounding_functions():
    # torchvision's and TF-slim's _make_divisible
    assert [make_divisible(v) for v in (32 * 0.35, 16 * 0.75, 18, 96 * 0.35, 1280 * 1.4, 5)] == \
        [16, 16, 24, 32, 1792, 8]
    # TF-slim V1: max(int(d * depth_multiplier), 8)
    assert [slim_v1_depth(v) for v in (32 * 0.25, 64 * 0.75, 1024 * 0.5, 32 * 0.1)] == [8, 48, 512, 8]


def test_tf_expansions_follow_the_rounded_input():
    """TF-slim sizes a V3 expansion from the rounded input (expand_input_by_factor);
    torchvision scales `exp` itself: at α = 0.75 the 64-wide expansion of a 16-wide input
    is 64 in TF (input stays 16) and 48 in torchvision."""
    tf = costmodel.count("mobilenet_v3_large", alpha=0.75, rounding="tf")["bneck1.expand"]
    tv = costmodel.count("mobilenet_v3_large", alpha=0.75, rounding="torchvision")["bneck1.expand"]
    assert (tf.input[0], tf.output[0]) == (16, 64)
    assert (tv.input[0], tv.output[0]) == (16, 48)


def test_v2_head_grows_only_above_one():
    def head(a):
        return costmodel.count("mobilenet_v2", alpha=a)["conv1"].output[0]
    assert (head(0.35), head(0.75), head(1.0), head(1.4)) == (1280, 1280, 1280, 1792)


def test_v1_min_depth():
    c = costmodel.count("mobilenet_v1", alpha=0.1)
    assert c["conv0"].output[0] == 8     # max(int(32 * 0.1), 8)


def test_alpha_one_keeps_written_channels():
    spec = {"layers": [{"type": "conv", "k": 3, "out": 10}]}
    assert costmodel.count(spec).layers[0].output[0] == 10
    assert costmodel.count(spec, alpha=1.0001).layers[0].output[0] == 16   # make_divisible(10.001)


def test_classes():
    c1000 = costmodel.count("mobilenet_v1")
    c1001 = costmodel.count("mobilenet_v1", classes=1001)
    assert c1001.totals.params - c1000.totals.params == 1024
    assert c1001.in_convention("pytorch").totals.params - c1000.in_convention("pytorch").totals.params == 1025


def test_rho():
    from costmodel.scaling import resolution_from
    assert resolution_from(rho=0.714) == 160         # the V1 paper's Table 3: 14 × 0.714 = 10
    assert resolution_from(rho=0.5) == 112
    assert resolution_from() is None                 # unset stays unset: the model's own size


def test_rho_is_measured_against_the_models_own_input(tmp_path):
    """ρ scales the spec's input size (here 32), not the papers' 224."""
    from costmodel.scaling import resolution_for
    spec = tmp_path / "small.toml"
    spec.write_text('input = { channels = 3, resolution = 32 }\n'
                    '[[layers]]\ntype = "conv"\nk = 3\nout = 8\n')
    assert resolution_for(str(spec), rho=0.5) == 16
    assert resolution_for("mobilenet_v2", rho=0.714) == 160
    assert resolution_for("torchvision:mobilenet_v2", rho=0.5) == 112
    assert resolution_for(str(spec)) is None
    assert resolution_for(str(spec), resolution=40) == 40


def test_each_width_role_is_one_object():
    """The engine, the closed form and the ratio command read one object per role."""
    from costmodel.scaling import ROLES, WIDTH_ROLES, make_divisible, thin
    assert set(ROLES) < set(WIDTH_ROLES)
    md = make_divisible
    # (role, c = 96 channels written, input 40 at this α with ratio 6): channels at α = 0.5
    at_half = {name: r.channels(96, 0.5, md, input=40, ratio=6.0, classes=10)
               for name, r in WIDTH_ROLES.items() if name != "squeeze_given"}
    assert at_half == {"scaled": 48, "fixed": 96, "grow": 96, "input_ratio": 240,
                       "input_round": 240, "squeeze": 240, "classes": 10,
                       "sum": 40 + 6, "diff": 40 - 6,     # a concat's; c − a block's input
                       "block_fraction": 40 * 6}          # max(1, int(block input · ratio))
    assert WIDTH_ROLES["grow"].channels(96, 1.4, md) == md(96 * 1.4) == 136
    # which counts thin with α (the closed form's exponent)
    assert [WIDTH_ROLES[r].thinned(0.5, False) for r in ROLES] == [True, False, False, False, False,
                                                                   False, False]
    assert WIDTH_ROLES["input_round"].thinned(0.5, True) and WIDTH_ROLES["grow"].thinned(1.4, False)
    # the V1 paper's Table 3 at α = 0.75: 512 → 384 channels
    assert thin(512, 0.75) == 384 and thin(512, 1.0) == 512
