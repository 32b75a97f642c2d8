"""The commands and their output formats."""

import csv
import io
import json
import re

import pytest

import costmodel


def test_list(run):
    r = run("list")
    assert r.exit_code == 0
    for name in costmodel.builtin_names():
        assert name in r.stdout
    assert "568,740,352" in r.stdout            # V1, paper convention


def test_table_text_has_settings_totals_and_closed_form(run):
    r = run("table", "mobilenet_v2", "--alpha", "0.5", "--resolution", "160")
    assert r.exit_code == 0
    first = r.stdout.splitlines()[0]
    assert first.startswith("mobilenet_v2: alpha=0.5, resolution=160") and "convention=paper" in first
    assert "MAdds (paper, MACs)" in r.stdout and "params (paper)" in r.stdout
    exact = costmodel.count("mobilenet_v2", alpha=0.5, resolution=160).totals.madds
    assert f"{exact:,}" in r.stdout
    assert "closed form: MAdds ≈" in r.stdout and "α²ρ²" in r.stdout


def test_json_schema(run):
    r = run("table", "mobilenet_v3_small", "--format", "json", "--formulas")
    doc = json.loads(r.stdout)
    c = costmodel.count("mobilenet_v3_small")
    assert doc["totals"] == {"params": c.totals.params, "madds": c.totals.madds}
    assert doc["convention"] == "paper" and doc["unit"] == "macs" and doc["arch"] == "mobilenet_v3_small"
    assert len(doc["layers"]) == len(c.layers)
    first = doc["layers"][0]
    assert {"name", "kind", "params", "madds", "input", "output", "formula"} <= set(first)
    assert first["input"] == [3, 224, 224] and first["kind"] == "standard"
    assert sum(layer["madds"] for layer in doc["layers"]) == c.totals.madds


def test_csv_markdown_latex(run):
    c = costmodel.count("mobilenet_v1")
    rows = list(csv.DictReader(io.StringIO(run("table", "mobilenet_v1", "--format", "csv").stdout)))
    assert len(rows) == len(c.layers)
    assert sum(int(r["MAdds (paper, MACs)"]) for r in rows) == c.totals.madds
    md = run("table", "mobilenet_v1", "--format", "markdown").stdout
    lines = md.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| layer"))
    assert re.fullmatch(r"\|(:?-+:?\|)+", lines[header + 1]), lines[header + 1]
    assert len([line for line in lines[header + 2:] if line.startswith("|")]) == len(c.layers)
    assert "568,740,352" in md
    tex = run("table", "mobilenet_v1", "--format", "latex").stdout
    assert "\\begin{tabular}" in tex and "\\end{tabular}" in tex


def test_conventions_and_units_in_headers(run):
    r = run("table", "mobilenet_v2", "--convention", "pytorch", "--unit", "flops", "--format", "csv")
    header = r.stdout.splitlines()[0]
    assert "params (pytorch)" in header and "MAdds (pytorch, FLOPs)" in header
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert sum(int(x["params (pytorch)"]) for x in rows) == 3_504_872
    assert sum(int(x["MAdds (pytorch, FLOPs)"]) for x in rows) == 2 * 300_774_272


def test_by_type_json(run):
    doc = json.loads(run("table", "mobilenet_v1", "--by-type", "--format", "json").stdout)
    types = {r["type"]: r for r in doc["rows"]}
    assert types["Conv 1×1"]["madds_pct"] == 94.86 and types["Fully Connected"]["params_pct"] == 24.33
    assert any("1.19" in n for n in doc["notes"])


def test_out_writes_a_file(run, tmp_path):
    out = tmp_path / "v1.md"
    r = run("table", "mobilenet_v1", "--format", "markdown", "--out", out)
    assert r.exit_code == 0 and r.stdout == ""
    assert "568,740,352" in out.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["v1.md"]


def test_sweep(run):
    r = run("sweep", "mobilenet_v1", "--alpha", "0.25,1.0", "--resolution", "128:224:96", "--format", "json")
    doc = json.loads(r.stdout)
    got = {(row["alpha"], row["resolution"]): row["madds"] for row in doc["rows"]}
    assert set(got) == {(0.25, 128), (0.25, 224), (1.0, 128), (1.0, 224)}
    assert got[(1.0, 224)] == 568_740_352
    assert got[(0.25, 128)] == costmodel.count("mobilenet_v1", alpha=0.25, resolution=128).totals.madds
    assert "closed_form" in doc


def test_ratio_for_a_model(run):
    r = run("ratio", "mobilenet_v1", "--format", "json")
    doc = json.loads(r.stdout)
    assert len(doc["rows"]) == 13                         # 13 depthwise separable layers
    for row in doc["rows"]:
        assert row["ratio"] == pytest.approx(1 / row["N"] + 1 / row["Dk"] ** 2, abs=1e-4)
        assert row["1/N + 1/Dk²"] == pytest.approx(row["ratio"], abs=1e-4)


def test_help_explains(run):
    r = run("--help")
    assert r.exit_code == 0 and "Examples" in r.stdout
    for cmd in ("list", "table", "sweep", "ratio", "report"):
        h = run(cmd, "--help")
        assert h.exit_code == 0 and "Usage" in h.stdout


def test_report_writes_tables(fresh_report):
    """The session's one report (tests/test_report.py checks it whole)."""
    out = fresh_report["out"]
    assert fresh_report["code"] == 0
    assert (out / "README.md").exists()
    for name in costmodel.builtin_names():
        assert (out / "tables" / f"{name}.csv").exists()
    assert "report: mobilenet_v1" in fresh_report["stderr"]


def test_unit_on_list_and_ratio(run):
    macs = run("list", "--format", "json")
    flops = run("list", "--unit", "flops", "--format", "json")
    a = {r["name"]: r["MAdds (paper, MACs)"] for r in json.loads(macs.stdout)["rows"]}
    b = {r["name"]: r["MAdds (paper, FLOPs)"] for r in json.loads(flops.stdout)["rows"]}
    assert b == {k: 2 * v for k, v in a.items()}
    r = run("ratio", "--unit", "flops", "--format", "csv")
    header, first = r.stdout.splitlines()[:2]
    assert "MAdds (FLOPs)" in header and "Million Mult-Adds (FLOPs)" in header
    assert str(2 * 462_422_016) in first                 # Table 3's 462M MACs, as FLOPs
    assert "MAdds (MACs)" in run("ratio", "mobilenet_v1").stdout.splitlines()[1]
