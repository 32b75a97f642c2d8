"""The report (``costmodel report``, ``make report``): its files, the committed ``reports/``
against a fresh run (tables byte for byte), atomic replacement, and no torch."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import costmodel
from conftest import ROOT
from costmodel.accuracy import tradeoff_points
from costmodel.report import job

COMMITTED = ROOT / "reports"
FIGURES = (["tradeoff_madds", "tradeoff_params", "tradeoff_latency", "latency_prediction"]
           + [f"layers_{n}" for n in costmodel.builtin_names()]
           + [f"sweep_{n}" for n in costmodel.builtin_names()])


def files(folder: Path, pattern="*"):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob(pattern) if p.is_file())


def test_report_runs_without_torch_and_reports_progress(fresh_report):
    assert fresh_report["code"] == 0, fresh_report["stderr"]
    assert fresh_report["loaded"] == [], f"the report imported {fresh_report['loaded']}"
    err = fresh_report["stderr"]
    for line in ("report: mobilenet_v1: per-layer tables", "report: summary table",
                 f"report: figure tradeoff_madds ({len(tradeoff_points())} models",
                 "report: figure layers_mobilenet_v2",
                 "report: figure sweep_mobilenet_v3_small"):
        assert line in err, line
    n = len(costmodel.builtin_names())      # README, 4 + 2n figures × 2 formats and what they
    #                                         were drawn from, 2n + 5 tables
    assert re.search(rf"report: wrote {1 + 2 * (4 + 2 * n) + 1 + 2 * n + 5} files into .* in "
                     rf"[0-9.]+ s", err)
    assert "(inputs unchanged: kept)" not in err            # a new folder: every figure drawn
    assert "Traceback" not in err


def test_report_files(fresh_report):
    out = fresh_report["out"]
    names = costmodel.builtin_names()
    want = (["README.md"]
            + [f"figures/{stem}.{ext}" for stem in FIGURES for ext in ("png", "svg")]
            + [f"tables/{n}.{ext}" for n in names for ext in ("csv", "md")]
            + [f"tables/{t}.{ext}" for t in ("summary", "tradeoff") for ext in ("csv", "md")]
            + ["tables/latency_cpu_1thread.csv", f"figures/{job.FIGURE_INPUTS}"])
    assert files(out) == sorted(want)
    for stem in FIGURES:
        assert (out / "figures" / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert ET.parse(out / "figures" / f"{stem}.svg").getroot().tag.endswith("svg")


def test_committed_report_equals_a_fresh_run(fresh_report):
    """`make report` was run and committed: tables and README byte for byte, figures by name."""
    from costmodel.report.job import BENCHMARK_FILES
    out = fresh_report["out"]
    committed = [f for f in files(COMMITTED) if f not in BENCHMARK_FILES]
    assert committed == files(out), "reports/ is stale: run `make report` and commit it"
    for rel in files(out, "*.csv") + files(out, "*.md"):
        assert (COMMITTED / rel).read_bytes() == (out / rel).read_bytes(), \
            f"reports/{rel} differs from a fresh run: run `make report` and commit it"


def test_readme_embeds_every_figure_and_links_resolve(fresh_report):
    out = fresh_report["out"]
    readme = (out / "README.md").read_text(encoding="utf-8")
    embedded = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert sorted(embedded) == sorted(f"figures/{stem}.png" for stem in FIGURES)
    for link in re.findall(r"\]\(((?:tables|figures)/[^)]+)\)", readme):
        assert (out / link).is_file(), link
    assert "## Conformance summary" in readme
    assert "\n".join(job.conformance_section()) in readme


def test_readme_summary_table(fresh_report):
    readme = (fresh_report["out"] / "README.md").read_text(encoding="utf-8")
    header = ("| model | α | resolution | MAdds (paper, MACs) | MAdds (fvcore, MACs) | "
              "params (paper) | params (fvcore) | top-1 % | top-1 source |")
    table = [line for line in readme.splitlines() if line.count("|") == 10
             and line.split("|")[1].strip() in costmodel.builtin_names()]
    assert re.sub(r"\s+", " ", [line for line in readme.splitlines()
                                if line.startswith("| model") and "fvcore" in line][0]) == header
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in table]
    for name in costmodel.builtin_names():
        res = str(costmodel.spec.load(name).input[1])         # its own resolution (B3: 300)
        row = next(c for c in cells if c[0] == name and c[1] == "1" and c[2] == res)
        c = costmodel.count(name)
        f = c.in_convention("fvcore")
        assert row[3:7] == [f"{c.totals.madds:,}", f"{f.totals.madds:,}", f"{c.totals.params:,}",
                            f"{f.totals.params:,}"]
    v2 = next(c for c in cells if c[:3] == ["mobilenet_v2", "1", "224"])
    # fvcore's FlopCountAnalysis of torchvision's mobilenet_v2: 314,193,216 (tests/test_torch_bridge.py),
    # torchvision's num_params 3,504,872; TF-slim's mobilenet_v2_1.0_224: top-1 71.8
    assert v2[4] == "314,193,216" and v2[6] == "3,504,872" and v2[7] == "71.8"
    # the V1 grid: 16 configurations, V2: 22, V3-Large: 10 (Table 9)
    assert sum(1 for c in cells if c[0] == "mobilenet_v1") == 16
    assert sum(1 for c in cells if c[0] == "mobilenet_v2") == 22
    assert sum(1 for c in cells if c[0] == "mobilenet_v3_large") == 10


def test_report_tables_are_the_engine_numbers(fresh_report):
    import csv
    out = fresh_report["out"]
    rows = list(csv.DictReader(open(out / "tables" / "tradeoff.csv", encoding="utf-8")))
    # every chart point; the MobileNets' 59: V1 16, V2 22, V3-Large 10, V3-Small 9, minimalistic 2
    assert len(rows) == len(tradeoff_points())
    assert sum(1 for r in rows if r["arch"].startswith("mobilenet_")) == 59
    for r in rows:
        c = costmodel.count(r["arch"], alpha=float(r["alpha"]), resolution=int(r["resolution"]),
                            classes=int(r["classes"]))
        assert (int(r["MAdds (paper, MACs)"]), int(r["params (paper)"])) == \
               (c.totals.madds, c.totals.params)
    per_layer = list(csv.DictReader(open(out / "tables" / "mobilenet_v1.csv", encoding="utf-8")))
    assert sum(int(r["MAdds (paper, MACs)"]) for r in per_layer) == 568_740_352


def test_a_report_over_one_drawn_from_the_same_inputs_keeps_its_figures(fresh_report, tmp_path):
    """`make report` twice: the second run draws nothing (same package files, same
    libraries) and writes the same files; another digest draws again."""
    import shutil
    out = tmp_path / "reports"
    shutil.copytree(fresh_report["out"], out)
    before = {f: (out / f).read_bytes() for f in files(out)}
    lines = []
    job.run(out, progress=lines.append, workers=1)
    figure_lines = [line for line in lines if line.startswith("report: figure ")]
    assert len(figure_lines) == 2 + 2 * len(costmodel.builtin_names()) + 1
    assert all(line.endswith("(inputs unchanged: kept)") for line in figure_lines), figure_lines
    assert {f: (out / f).read_bytes() for f in files(out)} == before
    assert job._kept_figures(out, job.inputs_digest())
    assert job._kept_figures(out, "another digest") == {}


def test_a_failed_report_leaves_the_previous_one(tmp_path, monkeypatch):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "README.md").write_text("the previous report\n", encoding="utf-8")

    def boom(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr("costmodel.report.plots.draw_tradeoff", boom)      # the first figure
    with pytest.raises(RuntimeError, match="drawing failed"):
        job.run(out, progress=lambda line: None, workers=1)
    assert (out / "README.md").read_text(encoding="utf-8") == "the previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["reports"]     # no temporary folder left
