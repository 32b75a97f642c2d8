"""Each layer kind's facts against its formula, computed by hand here."""

import pytest

import costmodel


def one(layers, channels=16, resolution=32, **kw):
    spec = {"name": "t", "input": {"channels": channels, "resolution": resolution}, "layers": layers}
    return costmodel.count(spec, **kw)


def pytorch_out(size, k, s, p, d):
    """torch.nn.Conv2d's documented output size."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def test_standard_convolution():
    c = one([{"type": "conv", "k": 3, "out": 32, "s": 2}], channels=16, resolution=32)
    r = c.layers[0]
    assert r.kind == "standard"
    assert r.output == (32, 16, 16)
    assert r.weights == 3 * 3 * 16 * 32
    assert r.madds == 3 * 3 * 16 * 32 * 16 * 16
    assert r.formula == "Dk·Dk·M·N·Df·Df = 3·3·16·32·16·16"


def test_depthwise_and_pointwise():
    c = one([{"type": "dw", "k": 3}, {"type": "conv", "k": 1, "out": 512}], channels=512, resolution=14)
    dw, pw = c.layers
    assert (dw.kind, pw.kind) == ("depthwise", "pointwise")
    assert dw.weights == 3 * 3 * 512 and dw.madds == 3 * 3 * 512 * 14 * 14
    assert dw.formula == "Dk·Dk·M·Df·Df = 3·3·512·14·14"
    assert pw.weights == 512 * 512 and pw.madds == 512 * 512 * 14 * 14
    assert pw.formula == "M·N·Df·Df = 512·512·14·14"


def test_grouped_convolution_and_channel_multiplier():
    c = one([{"type": "conv", "k": 3, "out": 64, "groups": 4, "bias": True},
             {"type": "dw", "k": 5, "multiplier": 2}], channels=32, resolution=10)
    g, dw = c.layers
    assert g.kind == "grouped"
    assert g.weights == 3 * 3 * (32 // 4) * 64 and g.biases == 64
    assert g.madds == g.weights * 10 * 10
    assert dw.output == (128, 10, 10)
    assert dw.weights == 5 * 5 * 128 and dw.madds == 5 * 5 * 128 * 10 * 10


@pytest.mark.parametrize("size,k,s,p,d", [(224, 3, 2, 1, 1), (225, 3, 2, 1, 1), (17, 5, 2, 2, 1),
                                          (17, 7, 3, 0, 1), (20, 3, 1, 2, 2), (9, 1, 2, 0, 1),
                                          (31, 4, 2, 1, 1)])
def test_output_size_follows_pytorch(size, k, s, p, d):
    c = one([{"type": "conv", "k": k, "s": s, "padding": p, "dilation": d, "out": 8}],
            channels=3, resolution=size)
    assert c.layers[0].output[1] == pytorch_out(size, k, s, p, d)


def test_non_square_kernel_and_input():
    c = one([{"type": "conv", "k": [1, 7], "out": 8, "padding": [0, 3]}], channels=4,
            resolution=12)
    r = c.layers[0]
    assert r.output == (8, 12, 12)
    assert r.weights == 1 * 7 * 4 * 8
    assert r.formula == "Kh·Kw·M·N·Df·Df = 1·7·4·8·12·12"


def test_fully_connected_flattens_its_input():
    c = one([{"type": "fc", "out": 10}], channels=4, resolution=3)
    r = c.layers[0]
    assert r.kind == "fully connected"
    assert r.weights == 36 * 10 and r.biases == 10 and r.madds == 360
    assert r.formula == "M·N = 36·10"


def test_batch_norm_activation_pool_add_and_free_layers():
    spec_layers = [
        {"type": "conv", "k": 1, "out": 8, "norm": "none", "act": "none"},
        {"type": "bn"}, {"type": "act", "fn": "hswish"},
        {"residual": True, "layers": [{"type": "conv", "k": 3, "out": 8}]},
        {"type": "avgpool"}, {"type": "flatten"}, {"type": "dropout", "p": 0.5},
        {"type": "fc", "out": 3},
    ]
    c = one(spec_layers, channels=8, resolution=6)
    by = {r.name: r for r in c.layers}
    assert by["bn0"].facts["norm_elements"] == 8 * 36 and by["bn0"].norm_params == 16
    assert by["act0"].facts["hswish"] == 8 * 36
    assert by["residual0.add"].facts["add"] == 8 * 36
    assert by["avgpool0"].facts["pool_in"] == 8 * 36 and by["avgpool0"].facts["pool_out"] == 8
    assert by["flatten0"].output == (8, 1, 1)
    for name in ("bn0", "act0", "residual0.add", "avgpool0", "flatten0", "dropout0"):
        assert by[name].madds == 0 and by[name].params == 0     # the paper counts none of them
    # the fused conv: batch norm after it and ReLU (the default) on its output
    conv = by["residual0.conv1"]           # names count per type, across groups
    assert conv.norm_params == 16 and conv.facts["relu"] == 8 * 36


def test_squeeze_excite():
    # SE on 72 channels: squeeze to make_divisible(72/4, 8) = 24 (torchvision's and TF-slim's rule)
    c = one([{"type": "se"}], channels=72, resolution=28)
    r = c.layers[0]
    assert r.mid == 24
    assert r.weights == 2 * 72 * 24 and r.biases == 72 + 24
    assert r.madds == 2 * 72 * 24           # the two FC layers on the pooled map
    assert r.facts["pool_in"] == 72 * 28 * 28 and r.facts["mul"] == 72 * 28 * 28
    assert r.facts["relu"] == 24 and r.facts["hsigmoid"] == 72
    assert r.formula == "2·C·S = 2·72·24"


def test_conventions_count_what_they_say():
    c = one([{"type": "conv", "k": 3, "out": 8, "bias": True}, {"type": "avgpool"},
             {"type": "fc", "out": 5}], channels=3, resolution=8)
    weights = 3 * 3 * 3 * 8 + 8 * 5
    biases = 8 + 5
    assert c.totals.params == weights
    assert c.in_convention("pytorch").totals.params == weights + biases + 2 * 8
    assert c.in_convention("slim-v1").totals.params == weights + biases + 3 * 8
    assert c.in_convention("keras").totals.params == weights + biases + 4 * 8
    macs = 3 * 3 * 3 * 8 * 8 * 8 + 8 * 5
    assert c.totals.madds == macs
    assert c.in_convention("paper", unit="flops").totals.madds == 2 * macs


def test_how_activations_and_pooling_are_called_is_a_fact():
    # module-called parts (the *_module rows) vs functions; the FC part of bias adds
    c = one([{"type": "conv", "k": 1, "out": 8, "act": "relu", "bias": True},
             {"type": "act", "fn": "relu", "call": "function"},
             {"type": "act", "fn": "relu6"},
             {"type": "se", "act": "relu", "gate": "hsigmoid"},
             {"type": "se", "pool": "function"},
             {"type": "avgpool", "call": "function"},
             {"type": "fc", "out": 3, "act": "hswish"}], channels=4, resolution=6)
    by = {r.name: r.facts for r in c.layers}
    assert by["conv0"]["relu"] == by["conv0"]["relu_module"] == 8 * 36
    assert by["act0"]["relu"] == 8 * 36 and by["act0"]["relu_module"] == 0
    assert by["act1"]["relu6"] == by["act1"]["relu6_module"] == 8 * 36
    se = by["se0"]                        # squeeze 8 (make_divisible(8/4, 8)); pools with a module
    assert se["relu"] == se["relu_module"] == 8 and se["hsigmoid"] == se["hsigmoid_module"] == 8
    assert se["pool_in"] == se["pool_in_module"] == 8 * 36 and se["pool_out_module"] == 8
    se = by["se1"]                        # pool = "function": F.adaptive_avg_pool2d
    assert se["pool_in"] == 8 * 36 and se["pool_in_module"] == se["pool_out_module"] == 0
    assert by["avgpool0"]["pool_in"] == 8 * 36 and by["avgpool0"]["pool_in_module"] == 0
    assert by["fc0"]["hswish"] == by["fc0"]["hswish_module"] == 3
    assert by["fc0"]["fc_bias_elements"] == by["fc0"]["bias_elements"] == 3
    assert by["conv0"]["fc_bias_elements"] == 0 and by["conv0"]["bias_elements"] == 8 * 36
    module_pool = one([{"type": "avgpool"}], channels=4, resolution=6).layers[0].facts
    assert module_pool["pool_in_module"] == 4 * 36 and module_pool["pool_out_module"] == 4
