"""The spec language: TOML and JSON, tables, repeat and residual groups, defaults, blocks."""

import json


import costmodel
from costmodel.spec import load

TOML = '''
name = "tiny"
classes = 10
input = { channels = 3, resolution = 32 }
[defaults.conv]
act = "relu6"

[[layers]]
type = "conv"
k = 3
out = 16
s = 2

[[layers]]
type = "bottleneck"
columns = ["t", "c", "n", "s"]
rows = [[1, 16, 1, 1], [4, 24, 2, 2]]

[[layers]]
repeat = 2
layers = [ { type = "dw" }, { type = "conv", k = 1, out = 24 } ]

[[layers]]
residual = true
layers = [ { type = "conv", k = 1, out = 48 }, { type = "conv", k = 1, out = 24, act = "none" } ]

[[layers]]
type = "avgpool"

[[layers]]
type = "fc"
'''


def test_toml_and_json_give_the_same_model(tmp_path):
    from costmodel.spec.language import tomllib       # tomli on Python 3.10
    t = tmp_path / "tiny.toml"
    t.write_text(TOML)
    j = tmp_path / "tiny.json"
    j.write_text(json.dumps(tomllib.loads(TOML)))
    a, b = costmodel.count(str(t)), costmodel.count(str(j))
    assert [(r.name, r.input, r.output, r.madds) for r in a.layers] == \
           [(r.name, r.input, r.output, r.madds) for r in b.layers]


def test_structure(tmp_path):
    t = tmp_path / "tiny.toml"
    t.write_text(TOML)
    c = costmodel.count(str(t))
    names = [r.name for r in c.layers]
    assert names[:4] == ["conv0", "bottleneck0.dw", "bottleneck0.project", "bottleneck0.add"]
    # t = 4 blocks: expansion to 4 × 16 = 64, then 4 × 24 = 96; the second one is residual
    assert c["bottleneck1.expand"].output[0] == 64 and c["bottleneck2.expand"].output[0] == 96
    assert "bottleneck1.add" not in names and "bottleneck2.add" in names
    assert [n for n in names if n.startswith("dw")] == ["dw0", "dw1"]
    assert names[-4:] == ["residual0.conv4", "residual0.add", "avgpool0", "fc0"]
    assert c["residual0.add"].input == c["residual0.add"].output
    assert c["fc0"].output == (10, 1, 1)                 # classes = 10 from the spec
    assert c["conv0"].facts["relu6"] > 0                 # [defaults.conv]
    assert c["bottleneck0.project"].facts["relu6"] == 0  # linear bottleneck


def test_v2_block_expansion_of_t_1_is_absent():
    names = [r.name for r in costmodel.count("mobilenet_v2").layers]
    assert "bottleneck0.expand" not in names and "bottleneck1.expand" in names
    assert sum(n.endswith(".add") for n in names) == 10          # Table 2's residual blocks


def test_v3_counts_of_blocks():
    c = costmodel.count("mobilenet_v3_large")
    names = [r.name for r in c.layers]
    assert sum(n.endswith(".se") for n in names) == 8
    assert sum(n.endswith(".add") for n in names) == 10
    assert "bneck0.expand" not in names                          # exp 16 = in 16


def test_builtins_load_and_have_sources():
    for name in costmodel.builtin_names():
        spec = load(name)
        assert spec.source and spec.title and spec.family
        assert costmodel.count(name).totals.madds > 0


def test_spec_dict_and_layer_names():
    spec = {"layers": [{"type": "conv", "name": "stem", "k": 3, "out": 8},
                       {"type": "fc", "name": "head", "out": 2}]}
    c = costmodel.count(spec, resolution=4)
    assert [r.name for r in c.layers] == ["stem", "head"]
    assert c["head"].weights == 8 * 4 * 4 * 2
