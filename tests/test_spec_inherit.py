"""A spec as another spec plus the rows it changes (``base`` and ``[[changes]]``): the built-in
variants are written that way, and a user's file can be too."""

import pytest

from costmodel import count
from costmodel.errors import SpecError
from costmodel.spec import builtin_names, load, read_file, variant_names
from costmodel.spec.language import VARIANT_DIR


def nodes(spec):
    return [(n.op, n.type, n.name, n.fields) for n in spec.nodes]


@pytest.mark.parametrize("name", variant_names())
def test_every_variant_is_its_base_plus_its_changes(name):
    data = read_file(VARIANT_DIR / f"{name}.toml")
    assert data["base"] == name.split("@")[0] in builtin_names()
    assert "layers" not in data and 1 <= len(data["changes"]) <= 2
    assert load(name).title == load(data["base"]).title


def changed(variant):
    base = nodes(load(variant.split("@")[0]))
    var = nodes(load(variant))
    return [v for v in var if v not in base], [b for b in base if b not in var]


def test_the_variants_change_what_the_papers_say():
    # V3 paper, middle arXiv version, Table 2: the Small head is 1280 wide (the latest: 1024)
    new, old = changed("mobilenet_v3_small@mid")
    assert [(n[2], n[3]["out"]) for n in new] == [("fc0", 1280)]
    assert [(n[2], n[3]["out"]) for n in old] == [("fc0", 1024)]
    # first arXiv version, Table 1: rows 13 and 14 of the bneck table (stride 2 one row later, 672)
    new, _ = changed("mobilenet_v3_large@v1")
    assert [(n[2], n[3]["exp"], n[3]["s"]) for n in new] == [("bneck12", 672, (1, 1)), ("bneck13", 672, (2, 2))]
    # V1 Table 1 as printed: the last depthwise layer has stride 2 (7×7 → 4×4)
    assert count("mobilenet_v1@printed")["dw12"].output == (1024, 4, 4)
    assert count("mobilenet_v1")["dw12"].output == (1024, 7, 7)
    # inserted rows: the t = 1 block's expansion, the printed SE on the last 1×1 convolution
    assert [n[2] for n in changed("mobilenet_v2@expanded-first")[0]] == ["bottleneck0_expand"]
    assert [n[1] for n in changed("mobilenet_v3_small@printed")[0]] == ["se"]


def write(tmp_path, text, name="net.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_a_user_file_on_a_builtin_and_on_a_file_beside_it(tmp_path):
    write(tmp_path, 'base = "mobilenet_v1"\n[[changes]]\nlayer = 20\nout = 10\n', "v1_10.toml")
    p = write(tmp_path, 'name = "v1_10_s1"\nbase = "v1_10.toml"\n'
                        '[[changes]]\nlayer = 1\ns = 1\n')
    c = count(str(p))
    assert c.name == "v1_10_s1"
    assert c.layers[-1].output[0] == 10                 # the fc of the file it is based on
    assert c.layers[0].output == (32, 224, 224)         # its own change: the stem at stride 1
    # the V1 classifier in the paper convention (weights only): 1024 × 10 instead of 1024 × 1000
    assert count("mobilenet_v1").totals.params - count(str(tmp_path / "v1_10.toml")).totals.params \
        == 1024 * 990


@pytest.mark.parametrize("text, field, words", [
    ('base = "no_such_net"\n', "base", "no built-in or file 'no_such_net'"),
    ('base = "mobilenet_v1"\n[[changes]]\nlayer = 99\ns = 2\n', "changes[1].layer", "from 1 to 20"),
    ('base = "mobilenet_v3_small"\n[[changes]]\nlayer = 2\nrow = 3\nstride = 2\n',
     "changes[1].stride", "not a column"),
    ('base = "mobilenet_v1"\n[[changes]]\nlayer = 3\n', "changes[1]", "changes nothing"),
    ('[[changes]]\nlayer = 1\ns = 2\n', "changes", "apply to a base"),
    ('base = "mobilenet_v1"\n[[changes]]\nafter = 1\ninsert = 3\n', "changes[1].insert", "layer table"),
    ('base = "net.toml"\n', "base", "its own base"),
])
def test_bad_changes_name_the_file_and_field(tmp_path, text, field, words):
    p = write(tmp_path, text)
    with pytest.raises(SpecError) as e:
        load(str(p))
    assert e.value.field == field and words in e.value.message and str(p) in str(e.value)
