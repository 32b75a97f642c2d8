"""``costmodel fit``: budgets, and exactly the in-budget configurations ranked by published
top-1, checked against an independent computation (the grids written out here, the engine
counted here, the accuracies read straight from the published CSV files)."""

import csv
import io
import json

import pytest

import costmodel
from conftest import ROOT, assert_one_line_error
from costmodel.errors import UsageError
from costmodel.fit import budget_text, fit, parse_budget

PUBLISHED = ROOT / "costmodel" / "published"


@pytest.mark.parametrize("text,value", [
    ("150M", 150_000_000), ("1.5G", 1_500_000_000), ("150000000", 150_000_000),
    ("2M", 2_000_000), ("800k", 800_000), ("800K", 800_000), ("0.5M", 500_000),
    ("2.25m", 2_250_000), (" 60M ", 60_000_000),
])
def test_parse_budget(text, value):
    assert parse_budget(text) == value


@pytest.mark.parametrize("text", ["15X", "", "M", "-5M", "0", "0M", "1.5.5M", "1e6", "150 MB",
                                  "abc"])
def test_parse_budget_rejects(text):
    with pytest.raises(UsageError, match="--madds"):
        parse_budget(text)


def test_budget_text():
    assert [budget_text(v) for v in (150_000_000, 1_500_000_000, 800_000, 2_250_000, 999)] == \
        ["150M", "1.5G", "800k", "2.25M", "999"]


# The published α × resolution grids (TF-slim V1 and V2 checkpoint tables, V3 paper Table 9).
GRID = {
    "v1": ([0.25, 0.5, 0.75, 1.0], [128, 160, 192, 224]),
    "v2": ([0.35, 0.5, 0.75, 1.0, 1.3, 1.4], [96, 128, 160, 192, 224]),
    "v3": ([0.35, 0.5, 0.75, 1.0, 1.25], [96, 128, 160, 192, 224, 256]),
}
# The tests below are about these families: a new family's built-ins are left out with
# `archs=MOBILENETS` / `--families v1,v2,v3`.
FAMILY = {"mobilenet_v1": "v1", "mobilenet_v1_conv": "v1", "mobilenet_v1_shallow": "v1",
          "mobilenet_v2": "v2", "mobilenet_v3_large": "v3", "mobilenet_v3_small": "v3",
          "mobilenet_v3_large_minimalistic": "v3", "mobilenet_v3_small_minimalistic": "v3"}
MOBILENETS = tuple(FAMILY)


def expected_top1():
    """(arch, α, res) -> (top-1, classes): TF-slim's V1 (2018_02_22) and V2 checkpoints, the V3
    paper's Table 9 (latest version), TF-slim's float minimalistic V3 checkpoints, and the V1
    paper's Conv and Shallow MobileNets (Tables 4 and 5)."""
    out = {}
    with open(PUBLISHED / "tfslim.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if ((r["source"], r["version"]) == ("TF-slim-v1", "2018_02_22")
                    or r["table"] == "MobileNetV2 table"
                    or (r["table"] == "MobileNetV3 table" and "minimalistic (float)" in r["label"])):
                out[(r["arch"], float(r["alpha"]), int(r["resolution"]))] = (float(r["top1"]), 1001)
    with open(PUBLISHED / "v3_paper.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if (r["table"], r["version"]) == ("Table 9", "final"):
                out[(r["arch"], float(r["alpha"]), int(r["resolution"]))] = (float(r["top1"]), 1000)
    with open(PUBLISHED / "v1_paper.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["table"] in ("Table 4", "Table 5") and r["arch"] in ("mobilenet_v1_conv",
                                                                     "mobilenet_v1_shallow"):
                out[(r["arch"], float(r["alpha"]), int(r["resolution"]))] = (float(r["top1"]), 1000)
    return out


def independent(madds=None, params=None, archs=FAMILY):
    acc = expected_top1()
    found = []
    for arch in archs:
        alphas, resolutions = GRID[FAMILY[arch]]
        for a in alphas:
            for r in resolutions:
                top1, classes = acc.get((arch, a, r), (None, 1000))
                t = costmodel.count(arch, alpha=a, resolution=r, classes=classes).totals
                if (madds is None or t.madds <= madds) and (params is None or t.params <= params):
                    found.append((arch, a, r, classes, t.madds, t.params, top1))
    return found


@pytest.mark.parametrize("madds,params", [(150_000_000, None), (300_000_000, 3_500_000),
                                          (None, 2_000_000), (60_000_000, None),
                                          (1_500_000_000, None)])
def test_fit_is_exactly_the_in_budget_configurations(madds, params):
    got = fit(madds, params, archs=MOBILENETS)
    want = independent(madds, params)
    assert {(c.arch, c.alpha, c.resolution, c.classes, c.madds, c.params, c.top1)
            for c in got} == set(want)
    assert len(got) == len(want)
    # best published top-1 first, then the unpublished ones by MAdds, most first
    published = [c for c in got if c.top1 is not None]
    assert got[:len(published)] == published
    assert [c.top1 for c in published] == sorted((c.top1 for c in published), reverse=True)
    rest = got[len(published):]
    assert all(c.top1 is None for c in rest)
    assert [c.madds for c in rest] == sorted((c.madds for c in rest), reverse=True)


def test_fit_best_answers_from_the_published_tables():
    # 150M: V3-Large 1.0 at 160 (Table 9: 112M, 71.7%) beats V3-Large 0.75 (155M, just over)
    best = fit(150_000_000, archs=MOBILENETS)[0]
    assert (best.arch, best.alpha, best.resolution, best.top1) == ("mobilenet_v3_large", 1.0, 160, 71.7)
    assert best.source == "V3 paper Table 9"
    # 300M and 3.5M params: V3-Large (5.45M params) and V2 1.0_224 (300.77M MACs) are out;
    # TF-slim's mobilenet_v2_1.0_192 (70.7%) is the best left
    best = fit(300_000_000, 3_500_000, archs=MOBILENETS)[0]
    assert (best.arch, best.alpha, best.resolution, best.top1, best.classes) == \
        ("mobilenet_v2", 1.0, 192, 70.7, 1001)


def test_fit_families():
    got = fit(100_000_000, archs=costmodel.accuracy.parse_families("v1"))
    assert {c.arch for c in got} <= {"mobilenet_v1", "mobilenet_v1_conv", "mobilenet_v1_shallow"}
    assert fit(100_000_000, archs=["mobilenet_v3_small"])[0].top1 == 70.4   # Small 1.25 (91M)


def test_fit_command_text(run):
    r = run("fit", "--madds", "150M", "--families", "v1,v2,v3")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "MAdds ≤ 150M (150,000,000)" in lines[0] and "paper convention" in lines[0]
    assert "mobilenet_v3_large" in lines[2] and "112,472,000" in lines[2] and "71.7" in lines[2]
    assert "--all lists them" in r.stdout


def test_fit_command_csv_json_and_all(run):
    want = independent(150_000_000)
    r = run("fit", "--madds", "150M", "--all", "--format", "csv", "--families", "v1,v2,v3")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == len(want)
    top = [float(x["top-1 %"]) for x in rows if x["top-1 %"]]
    assert top == sorted(top, reverse=True) and top[0] == 71.7
    doc = json.loads(run("fit", "--madds", "150M", "--format", "json", "--families", "v1,v2,v3").stdout)
    assert doc["budget"] == {"madds": 150_000_000, "params": None}
    assert doc["fit"] == len(want) and doc["fit"] == len(doc["rows"]) + doc["left_out"]
    assert sum(1 for x in doc["rows"] if x["top1"] is None) == 10


def test_fit_markdown_and_flops(run):
    md = run("fit", "--madds", "60M", "--params", "2M", "--families", "v3", "--format", "markdown")
    assert md.exit_code == 0 and "| model" in md.stdout and "nan" not in md.stdout
    flops = json.loads(run("fit", "--madds", "120M", "--unit", "flops", "--format", "json", "--families", "v1,v2,v3").stdout)
    macs = json.loads(run("fit", "--madds", "60M", "--all", "--format", "json", "--families", "v1,v2,v3").stdout)
    # a FLOPs budget counts 2 per MAC: 120M FLOPs admits what 60M MACs admits
    assert {(x["arch"], x["alpha"], x["resolution"]) for x in flops["rows"]} <= \
           {(x["arch"], x["alpha"], x["resolution"]) for x in macs["rows"]}
    assert flops["fit"] == macs["fit"]


def test_fit_nothing_fits(run):
    r = run("fit", "--madds", "1M")
    assert r.exit_code == 0
    assert "No built-in configuration fits" in r.stdout and "The cheapest" in r.stdout


@pytest.mark.parametrize("args,needle", [
    (["fit", "--madds", "15X"], "--madds: cannot read '15X' as a budget"),
    (["fit", "--params", "two"], "--params: cannot read 'two'"),
    (["fit", "--madds", "-1M"], "--madds"),
    (["fit", "--madds", "150M", "--families", "v9"], "unknown family 'v9'"),
    (["fit", "--madds", "150M", "--families", ","], "--families is empty"),
    (["fit"], "give a budget"),
])
def test_fit_bad_input_one_line(run, args, needle):
    assert_one_line_error(run(*args), needle)
