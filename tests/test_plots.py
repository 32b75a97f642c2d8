"""The plot commands: their files, and the data they draw against the engine and the
published record (read here straight from the CSV files, not through the package's loader)."""

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import costmodel
from conftest import ROOT, assert_one_line_error
from costmodel.accuracy import pareto_front, tradeoff_points
from costmodel.report import plots

PUBLISHED = ROOT / "costmodel" / "published"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def read_csv(name):
    with open(PUBLISHED / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def png_size(path):
    data = Path(path).read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def assert_svg(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), root.tag


# Where each chart point's top-1 must come from: (file, source, table, version), and how many
# points: V1's 16 and V2's 22 TF-slim checkpoints, V3's paper Table 9 (latest version), the
# minimalistic models from TF-slim's V3 table (float rows).
EXPECTED_SOURCES = {
    "mobilenet_v1": (("tfslim.csv", "TF-slim-v1", "checkpoint table", "2018_02_22"), 16),
    "mobilenet_v2": (("tfslim.csv", "TF-slim-v2-v3", "MobileNetV2 table", "0ba83cf0"), 22),
    "mobilenet_v3_large": (("v3_paper.csv", "V3-paper", "Table 9", "final"), 10),
    "mobilenet_v3_small": (("v3_paper.csv", "V3-paper", "Table 9", "final"), 9),
    "mobilenet_v3_large_minimalistic": (("tfslim.csv", "TF-slim-v2-v3", "MobileNetV3 table", "0ba83cf0"), 1),
    "mobilenet_v3_small_minimalistic": (("tfslim.csv", "TF-slim-v2-v3", "MobileNetV3 table", "0ba83cf0"), 1),
}

# The published MAdds figures that the exact count does not reproduce (tests/test_published_grids.py
# lists them cell by cell): they get a hollow marker.
NOT_REPRODUCED_MADDS = {
    ("mobilenet_v1", 0.75, 224), ("mobilenet_v1", 0.75, 192), ("mobilenet_v1", 0.75, 160),
    ("mobilenet_v1", 0.75, 128), ("mobilenet_v1", 0.5, 224), ("mobilenet_v1", 0.25, 192),
    ("mobilenet_v3_large", 1.25, 224), ("mobilenet_v3_large", 0.35, 224),
    ("mobilenet_v3_small", 0.75, 224), ("mobilenet_v3_small", 1.0, 256),
    ("mobilenet_v3_small_minimalistic", 1.0, 224),      # TF-slim prints 65M; exact 52.29M
}


@pytest.fixture(scope="module")
def points():
    """The MobileNets' points (another family's points are its own tests')."""
    return tradeoff_points(tuple(EXPECTED_SOURCES))


def published_row(arch, alpha, res):
    (name, source, table, version), _ = EXPECTED_SOURCES[arch]
    found = [r for r in read_csv(name)
             if (r["source"], r["table"], r["version"], r["arch"]) == (source, table, version, arch)
             and float(r["alpha"]) == alpha and int(r["resolution"]) == res
             and "8-bit" not in r["label"]]
    assert len(found) == 1, (arch, alpha, res, found)
    return found[0]


def test_tradeoff_points_are_the_published_models(points):
    keys = [(p.arch, p.alpha, p.resolution) for p in points]
    assert len(keys) == len(set(keys)), "one point per model"
    for arch, (_, n) in EXPECTED_SOURCES.items():
        assert sum(1 for p in points if p.arch == arch) == n, arch
    assert len(points) == 59


def test_tradeoff_points_equal_engine_and_published_accuracy(points):
    for p in points:
        row = published_row(p.arch, p.alpha, p.resolution)
        assert p.top1 == float(row["top1"]), (p.label, p.top1, row["top1"])
        assert p.classes == int(row["classes"])
        c = costmodel.count(p.arch, alpha=p.alpha, resolution=p.resolution,
                            classes=int(row["classes"]), rounding="tf", convention="paper")
        assert (p.madds, p.params) == (c.totals.madds, c.totals.params)
        assert p.published_madds_text == row["madds"] + row["madds_unit"]


def test_hollow_markers_where_the_published_madds_differ(points):
    got = {(p.arch, p.alpha, p.resolution) for p in points if not p.madds_reproduced}
    assert got == NOT_REPRODUCED_MADDS


def test_pareto_front_by_brute_force(points):
    for metric in ("madds", "params"):
        cost = (lambda p: p.madds) if metric == "madds" else (lambda p: p.params)
        front = {id(p) for p in pareto_front(points, metric)}
        for p in points:
            beaten = any(cost(q) <= cost(p) and q.top1 >= p.top1 and
                         (cost(q), q.top1) != (cost(p), p.top1) for q in points)
            assert (id(p) in front) == (not beaten), (metric, p.label)
    front = pareto_front(points, "madds")
    # the cheapest and the most accurate models are on it
    assert front[0] is min(points, key=lambda p: (p.madds, -p.top1))
    assert front[-1].top1 == max(p.top1 for p in points) == 76.6     # V3-Large 1.25, Table 9


@pytest.mark.parametrize("families", ["v1,v2,v3", None])
def test_tradeoff_labels_placed_without_overlap(tmp_path, families):
    """Every MobileNet point labelled; on the whole chart (MnasNet-A1's 25
    README models crowd it) a label with no free spot is left out and named, never drawn
    over another."""
    from costmodel.accuracy import parse_families
    archs = parse_families(families) if families else None
    for metric in ("madds", "params"):
        data = plots.tradeoff_data(metric, archs)
        labels = plots.draw_tradeoff(data, [tmp_path / f"t_{metric}.png"])
        if families:
            assert labels.dropped == []
        assert len(labels.placed) + len(labels.dropped) == len(data["points"])
        boxes = [p.box for p in labels.placed]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not plots._overlaps(a, b), (a, b)
        w, h = png_size(tmp_path / f"t_{metric}.png")
        assert (w, h) == (1680, 780)            # 14 × 6.5 in at 120 dpi (legend outside)


def test_plot_tradeoff_command(run, tmp_path):
    out, data = tmp_path / "tradeoff.svg", tmp_path / "points.csv"
    r = run("plot", "tradeoff", "--out", out, "--data", data, "--families", "v1,v2,v3")
    assert r.exit_code == 0, r.stderr
    assert_svg(out)
    assert "59 published models" in r.stderr and f"wrote {out}" in r.stderr
    rows = list(csv.DictReader(open(data, encoding="utf-8")))
    pts = tradeoff_points(tuple(EXPECTED_SOURCES))
    assert [(r["arch"], float(r["alpha"]), int(r["resolution"])) for r in rows] == \
           [(p.arch, p.alpha, p.resolution) for p in pts]
    assert [int(r["MAdds (paper, MACs)"]) for r in rows] == [p.madds for p in pts]
    assert [float(r["top-1 %"]) for r in rows] == [p.top1 for p in pts]
    front = {(p.arch, p.alpha, p.resolution) for p in pareto_front(pts, "madds")}
    assert {(r["arch"], float(r["alpha"]), int(r["resolution"])) for r in rows
            if r["Pareto (MAdds)"] == "True"} == front


def test_plot_tradeoff_params_and_families(run, tmp_path):
    out = tmp_path / "p.png"
    r = run("plot", "tradeoff", "--metric", "params", "--families", "v2,v3", "--out", out)
    assert r.exit_code == 0, r.stderr
    png_size(out)
    assert "43 published models" in r.stderr        # 22 V2 + 10 + 9 V3 + 2 minimalistic
    data = plots.tradeoff_data("params", costmodel.accuracy.parse_families("v1"))
    assert {p.arch for p in data["points"]} == {"mobilenet_v1"}


@pytest.mark.parametrize("args,needle", [
    (["plot", "tradeoff", "--families", "v9"], "unknown family 'v9'"),
    (["plot", "tradeoff", "--families", "mobilenet_v1_conv"], "none of these architectures is on the trade-off chart"),
    (["plot", "tradeoff", "--metric", "flops"], "--metric"),
    (["plot", "tradeoff", "--out", "chart.jpg"], "unknown figure format '.jpg'"),
    (["plot", "tradeoff", "--out", "no/such/folder/x.png"], "does not exist"),
    (["plot", "layers", "no_such_net"], "unknown architecture 'no_such_net'"),
    (["plot", "layers", "mobilenet_v2", "--alpha", "0"], "alpha"),
    (["plot", "sweep", "no_such_net"], "unknown architecture 'no_such_net'"),
    (["plot", "sweep", "mobilenet_v2", "--alpha", "0.5,abc"], "--alpha"),
    (["plot", "sweep", "torchvision:mobilenet_v2"], "built-in or a spec file"),
])
def test_plot_bad_input_one_line(run, tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run(*args), needle)
    assert not list(tmp_path.glob("*.png"))


# --------------------------------------------------------------------------- per-layer bars

def test_layer_data_equals_engine():
    for name in costmodel.builtin_names():
        c = costmodel.count(name)
        rows = plots.layer_data(c)
        expected = [(r.name, r.kind, r.madds, r.params) for r in c.layers if r.madds or r.params]
        assert [(r["name"], r["kind"], r["madds"], r["params"]) for r in rows] == expected
        assert sum(r["madds"] for r in rows) == c.totals.madds
        assert sum(r["params"] for r in rows) == c.totals.params


def test_layer_shares_reproduce_v1_table_2():
    # V1 paper, Table 2: Conv 1×1 94.86% of the mult-adds and 74.59% of the parameters,
    # Conv DW 3×3 3.06% / 1.06%, Fully Connected 0.18% / 24.33% (its Conv 3×3 1.19% is a
    # likely digit swap for 1.91%, see test_paper_v1.py).
    table2 = {r["type"]: r for r in read_csv("v1_table2.csv")}
    shares = {s["kind"]: s for s in plots.kind_shares(plots.layer_data(costmodel.count("mobilenet_v1")))}
    for kind, row in (("pointwise", "Conv 1×1"), ("depthwise", "Conv DW 3×3"),
                      ("fully connected", "Fully Connected")):
        assert f"{shares[kind]['madds %']:.2f}" == table2[row]["madds_pct"]
        assert f"{shares[kind]['params %']:.2f}" == table2[row]["params_pct"]
    assert f"{shares['standard']['params %']:.2f}" == table2["Conv 3×3"]["params_pct"]


def test_plot_layers_builtin_and_spec_file(run, tmp_path):
    out = tmp_path / "v3.png"
    r = run("plot", "layers", "mobilenet_v3_small", "--alpha", "0.75", "--resolution", "160",
            "--out", out)
    assert r.exit_code == 0, r.stderr
    png_size(out)
    spec = tmp_path / "tiny.toml"
    spec.write_text('name = "tiny"\nclasses = 10\ninput = { channels = 3, resolution = 32 }\n'
                    '[[layers]]\ntype = "conv"\nk = 3\nout = 8\ns = 2\n'
                    '[[layers]]\ntype = "dw"\n[[layers]]\ntype = "conv"\nk = 1\nout = 16\n'
                    '[[layers]]\ntype = "avgpool"\n[[layers]]\ntype = "fc"\nout = "classes"\n',
                    encoding="utf-8")
    r = run("plot", "layers", spec, "--out", tmp_path / "tiny.svg")
    assert r.exit_code == 0, r.stderr
    assert_svg(tmp_path / "tiny.svg")
    drawn = plots.draw_layers(costmodel.count(str(spec)), [tmp_path / "tiny2.png"])
    assert [r["kind"] for r in drawn["rows"]] == ["standard", "depthwise", "pointwise",
                                                 "fully connected"]


def test_plot_layers_default_name(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("plot", "layers", "mobilenet_v1")
    assert r.exit_code == 0, r.stderr
    png_size(tmp_path / "mobilenet_v1_layers.png")


def test_plot_layers_pytorch_models(run, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    out = tmp_path / "tv.png"
    r = run("plot", "layers", "torchvision:mobilenet_v3_small", "--out", out)
    assert r.exit_code == 0, r.stderr
    png_size(out)
    net = tmp_path / "net.py"
    net.write_text("import torch.nn as nn\n\n\nclass Net(nn.Module):\n"
                   "    def __init__(self, width=8):\n        super().__init__()\n"
                   "        self.conv = nn.Conv2d(3, width, 3, stride=2, padding=1)\n"
                   "        self.dw = nn.Conv2d(width, width, 3, padding=1, groups=width)\n"
                   "        self.pw = nn.Conv2d(width, 2 * width, 1)\n"
                   "        self.pool = nn.AdaptiveAvgPool2d(1)\n"
                   "        self.fc = nn.Linear(2 * width, 10)\n\n"
                   "    def forward(self, x):\n"
                   "        return self.fc(self.pool(self.pw(self.dw(self.conv(x)))).flatten(1))\n",
                   encoding="utf-8")
    r = run("plot", "layers", f"{net}:Net", "--kwargs", "width=16", "--resolution", "64",
            "--out", tmp_path / "net.png")
    assert r.exit_code == 0, r.stderr
    png_size(tmp_path / "net.png")


# --------------------------------------------------------------------------- α × resolution

def test_sweep_grid_equals_engine_and_marks_published_cells():
    grid = plots.sweep_grid("mobilenet_v1")
    assert grid["alphas"] == [0.25, 0.5, 0.75, 1.0] and grid["resolutions"] == [128, 160, 192, 224]
    law = costmodel.sweep.scaling_law("mobilenet_v1")
    for i, a in enumerate(grid["alphas"]):
        for j, r in enumerate(grid["resolutions"]):
            c = costmodel.count("mobilenet_v1", alpha=a, resolution=r)
            assert (grid["madds"][i][j], grid["params"][i][j]) == (c.totals.madds, c.totals.params)
            predicted = law.predict(a, r)[0]
            assert grid["error"][i][j] == round(100 * (predicted - c.totals.madds) / c.totals.madds, 2)
    # every cell of the TF-slim V1 grid is a published checkpoint
    assert set(grid["published"]) == {(a, r) for a in grid["alphas"] for r in grid["resolutions"]}
    flagged = {k for k, c in grid["published"].items() if not c.reproduced}
    # TF-slim's 0.75 row, 0.50_224 and 0.25_192 (test_published_grids.py), and the V2 paper's
    # 575M for V1 1.0 at 224
    assert flagged == {(0.75, 224), (0.75, 192), (0.75, 160), (0.75, 128), (0.5, 224),
                       (0.25, 192), (1.0, 224)}
    assert "575M (V2-paper)" in grid["published"][(1.0, 224)].differing()


def test_plot_sweep_command(run, tmp_path):
    out = tmp_path / "v2.png"
    r = run("plot", "sweep", "mobilenet_v2", "--out", out)
    assert r.exit_code == 0, r.stderr
    png_size(out)
    assert "6 α × 5 resolutions, 22 published configurations" in r.stderr
    r = run("plot", "sweep", "mobilenet_v3_large", "--alpha", "0.5:1.0:0.25",
            "--resolution", "160,224", "--out", tmp_path / "v3.svg")
    assert r.exit_code == 0, r.stderr
    assert_svg(tmp_path / "v3.svg")


def test_figures_are_reproducible(tmp_path):
    grid = plots.sweep_grid("mobilenet_v3_small", [0.5, 1.0], [160, 224])
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    plots.draw_sweep(grid, [a])
    plots.draw_sweep(grid, [b])
    assert a.read_bytes() == b.read_bytes()
    assert b"<dc:date>" not in a.read_bytes()
    c, d = tmp_path / "c.png", tmp_path / "d.png"
    plots.draw_sweep(grid, [c])
    plots.draw_sweep(grid, [d])
    assert c.read_bytes() == d.read_bytes()
