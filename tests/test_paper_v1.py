"""MobileNetV1 (arXiv:1704.04861): Tables 1–7 and 9 against the engine.

Printed figures come from costmodel/published (transcribed from the paper);
the per-layer numbers of the TF-slim reference code come from its docstring.
"""

import pytest

import costmodel
from costmodel.conformance.references import is_reference
from costmodel.published import printed_rules, rows, table
from costmodel.ratio import separable_table

# Table 1: Type / Stride, Filter Shape, Input Size (the 5× pair unrolled).
# Row 17 is printed 'Conv dw / s2'; the spec uses stride 1 like TF-slim (see the spec's notes).
TABLE_1 = """
conv s2   3×3×3×32      224×224×3
dw   s1   3×3×32        112×112×32
conv s1   1×1×32×64     112×112×32
dw   s2   3×3×64        112×112×64
conv s1   1×1×64×128    56×56×64
dw   s1   3×3×128       56×56×128
conv s1   1×1×128×128   56×56×128
dw   s2   3×3×128       56×56×128
conv s1   1×1×128×256   28×28×128
dw   s1   3×3×256       28×28×256
conv s1   1×1×256×256   28×28×256
dw   s2   3×3×256       28×28×256
conv s1   1×1×256×512   14×14×256
dw   s1   3×3×512       14×14×512
conv s1   1×1×512×512   14×14×512
dw   s1   3×3×512       14×14×512
conv s1   1×1×512×512   14×14×512
dw   s1   3×3×512       14×14×512
conv s1   1×1×512×512   14×14×512
dw   s1   3×3×512       14×14×512
conv s1   1×1×512×512   14×14×512
dw   s1   3×3×512       14×14×512
conv s1   1×1×512×512   14×14×512
dw   s2   3×3×512       14×14×512
conv s1   1×1×512×1024  7×7×512
dw   s1   3×3×1024      7×7×1024
conv s1   1×1×1024×1024 7×7×1024
pool s1   7×7           7×7×1024
fc   s1   1024×1000     1×1×1024
"""


def test_table_1_architecture():
    layers = costmodel.count("mobilenet_v1").layers
    assert len(layers) == len(TABLE_1.split("\n")) - 2
    for r, line in zip(layers, TABLE_1.strip().splitlines()):
        type_, stride, shape, size = line.split()
        h, w, c = (int(x) for x in size.split("×"))
        assert r.input == (c, h, w), (r.name, line)
        if type_ in ("conv", "dw"):
            k = int(shape.split("×")[0])
            assert r.layer["k"] == (k, k) and r.layer["s"] == (int(stride[1]),) * 2, line
            assert r.kind == ("depthwise" if type_ == "dw" else
                              "pointwise" if k == 1 else "standard"), line
            assert r.weights == eval(shape.replace("×", "*")), line
        elif type_ == "fc":
            assert r.kind == "fully connected" and r.weights == 1024 * 1000


def test_table_2_resource_per_layer_type():
    frame = costmodel.count("mobilenet_v1").by_type()
    got = {row["type"]: (row["MAdds %"], row["params %"]) for _, row in frame.iterrows()}
    for printed in table("v1_table2"):
        madds_pct, params_pct = got[printed["type"]]
        assert f"{params_pct:.2f}" == printed["params_pct"]
        if printed["type"] == "Conv 3×3":
            # printed 1.19%: the model gives 1.91% (a likely digit swap; the printed column
            # sums to 99.29%, and to 100.01% with 1.91%)
            assert f"{madds_pct:.2f}" == "1.91" and printed["madds_pct"] == "1.19"
            assert "digit swap" in printed["note"]
        else:
            assert f"{madds_pct:.2f}" == printed["madds_pct"]


def test_table_2_note_is_printed(run):
    r = run("table", "mobilenet_v1", "--by-type")
    assert r.exit_code == 0
    assert "1.91" in r.stdout and "printed 1.19%" in r.stdout and "digit swap" in r.stdout


def test_table_3_one_layer():
    rows_ = separable_table()          # the defaults are the paper's
    for got, printed in zip(rows_, table("v1_table3")):
        assert got["Layer/Modification"] == printed["modification"]
        assert "rounded" in printed_rules(got["MAdds"], printed["madds"]), (got, printed)
        assert "rounded" in printed_rules(got["params"], printed["params"]), (got, printed)
    # the separable layer against the standard one: exactly 1/N + 1/Dk²
    assert rows_[1]["vs standard"] == pytest.approx(1 / 512 + 1 / 9, abs=1e-4)
    assert rows_[1]["1/N + 1/Dk²"] == pytest.approx(1 / 512 + 1 / 9, abs=1e-4)


def test_ratio_command_reproduces_table_3(run):
    r = run("ratio", "--format", "csv")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert "462422016" in lines[1] and "52283392" in lines[2]
    assert "29578752" in lines[3] and "15091200" in lines[4]


V1_TABLES = ("Table 4", "Table 5", "Table 6", "Table 7", "Table 9")


@pytest.mark.parametrize("row", [r for r in rows() if r.source == "V1-paper" and r.arch
                                 and not is_reference(r.arch)     # SqueezeNet, AlexNet: torch
                                 and r.table in V1_TABLES], ids=lambda r: f"{r.table}-{r.label}")
def test_tables_4_to_7_and_9(row):
    """Mult-adds and weights (the paper convention) at the printed precision."""
    c = costmodel.count(row.arch, alpha=row.alpha, resolution=row.resolution, classes=row.classes)
    madds_rules = printed_rules(c.totals.madds, row.madds)
    params_rules = printed_rules(c.totals.params, row.params)
    if row.arch == "mobilenet_v1_conv":
        # Table 4's Conv MobileNet: 4,867.29M computed, 4866 printed (not reproduced here;
        # `costmodel check` searches the conventions), 29.28M params → 29.3 (rounded)
        assert madds_rules == [] and c.totals.madds == 4_867_293_184
        assert "rounded" in params_rules
        return
    assert madds_rules, (row.key, c.totals.madds, row.madds)
    assert "rounded" in params_rules, (row.key, c.totals.params, row.params)
    if row.resolution == 160 and row.alpha == 1.0:
        assert madds_rules == ["truncated"]           # 290.68 printed 290 (TF-slim: 291)


def test_tf_slim_docstring_per_layer():
    """Every layer of TF-slim's own table (mobilenet_v1.py docstring), at 100%/224 and 75%/128."""
    docs = table("tfslim_v1_layers")
    for (alpha, res) in ((1.0, 224), (0.75, 128)):
        c = costmodel.count("mobilenet_v1", alpha=alpha, resolution=res)
        convs = [r for r in c.layers if r.kind in ("standard", "depthwise", "pointwise")]
        expected = [d for d in docs if float(d["alpha"]) == alpha and int(d["resolution"]) == res]
        assert len(convs) == len(expected) == 27
        for r, d in zip(convs, expected):
            assert (r.weights, r.madds) == (int(d["params"]), int(d["macs"])), (r.name, d["layer"])
        body = [r for r in c.layers if r.kind != "fully connected"]
        total = [row for row in rows() if row.source == "TF-slim-v1-code" and row.alpha == alpha][0]
        assert sum(r.madds for r in body) == int(float(total.madds) * 1e6)
        assert sum(r.weights for r in body) == int(round(float(total.params) * 1e6))
