"""Families as data: each built-in's family table and chart style, the published record found
by its columns and checked against its schema, and no module naming a family."""

import re
import shutil

import pytest

import costmodel
from conftest import ROOT, needs_torch
from costmodel import families, published
from costmodel.errors import SpecError
from costmodel.spec import load


def test_every_builtin_names_a_defined_family():
    fams = families.families()
    for arch in costmodel.builtin_names():
        spec = load(arch)
        assert spec.family in fams, arch
        # a compound-scaled family (EfficientNet) publishes each member at its own resolution
        assert fams[spec.family].grid or spec.member_of or spec.data.get("models"), \
            (arch, "its family publishes no α × resolution grid")


def test_the_published_grids():
    # TF-slim's V1 (16) and V2 (22) checkpoint tables, the V3 paper's Table 9
    f = families.families()
    assert f["v1"].grid == ((0.25, 0.5, 0.75, 1.0), (128, 160, 192, 224))
    assert f["v2"].grid == ((0.35, 0.5, 0.75, 1.0, 1.3, 1.4), (96, 128, 160, 192, 224))
    assert f["v3"].grid == ((0.35, 0.5, 0.75, 1.0, 1.25), (96, 128, 160, 192, 224, 256))


def test_chart_order_and_styles_are_the_specs():
    archs = families.chart_archs()
    assert archs[:6] == ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
                         "mobilenet_v3_large_minimalistic", "mobilenet_v3_small_minimalistic")
    assert "mobilenet_v1_conv" not in archs and "mobilenet_v1_shallow" not in archs
    assert families.chart("mobilenet_v3_large_minimalistic").label == "Lmin "
    assert families.color_of("mobilenet_v3_small", "v3") == families.family("v3").color
    assert families.color_of("mobilenet_v3_small_minimalistic", "v3") == "#17becf"
    assert families.chart("my_net.toml") == families.Chart()


def _code_strings(path):
    """The string constants of a module's code (docstrings left out)."""
    import ast
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docs]


def test_no_module_names_a_family():
    """Charts, fit, the report and the published-cell search read the family data."""
    pattern = re.compile(r"\b(v1|v2|v3|mobilenet_v[123]\w*)\b")
    for rel in ("accuracy.py", "fit.py", "families.py", "report/plots.py", "report/job.py",
                "published/__init__.py"):
        found = [s for s in _code_strings(ROOT / "costmodel" / rel) if pattern.search(s)]
        assert not found, (rel, found)


@pytest.mark.parametrize("family,field", [
    ({"series": "X"}, "family.name"),
    ({"name": "x", "colour": "#fff"}, "family.colour"),
    ({"name": "x", "alphas": [0.5, -1]}, "family.alphas"),
    ({"name": "x", "resolutions": ["224"]}, "family.resolutions"),
])
def test_bad_family_tables_name_the_field(family, field):
    data = {"family": family, "layers": [{"type": "fc", "out": 10}]}
    with pytest.raises(SpecError, match=re.escape(field)):
        costmodel.spec.parse(data, file="net.toml")


def test_bad_chart_tables_name_the_field():
    with pytest.raises(SpecError, match="chart.shape"):
        costmodel.spec.parse({"chart": {"shape": "o"}, "layers": [{"type": "fc", "out": 10}]},
                             file="net.toml")


def test_published_files_are_found_by_their_columns():
    assert set(published.cost_files()) >= {"v1_paper.csv", "v2_paper.csv", "v3_paper.csv",
                                            "tfslim.csv", "torchvision.csv", "timm.csv"}
    assert "v1_table2.csv" not in published.cost_files()
    # in the order of their sources in sources.csv
    assert published.cost_files()[:3] == ("v1_paper.csv", "v2_paper.csv", "v3_paper.csv")


def _with_published_copy(tmp_path, monkeypatch):
    copy = tmp_path / "published"
    shutil.copytree(published.HERE, copy)
    monkeypatch.setattr(published, "HERE", copy)
    published.cost_files.cache_clear()
    monkeypatch.setattr(published, "cost_files", published.cost_files)
    return copy


def test_a_published_file_with_wrong_columns_is_an_error(tmp_path, monkeypatch):
    copy = _with_published_copy(tmp_path, monkeypatch)
    (copy / "extra.csv").write_text("source,table,version,label,arch,madds\n", encoding="utf-8")
    try:
        with pytest.raises(published.PublishedError, match="extra.csv: columns"):
            published.cost_files()
    finally:
        published.cost_files.cache_clear()


def test_an_unknown_source_is_an_error(tmp_path, monkeypatch):
    copy = _with_published_copy(tmp_path, monkeypatch)
    header = ",".join(published.COST_COLUMNS)
    (copy / "extra.csv").write_text(header + "\nNobody,T,,x,,,,,,,,,,,\n", encoding="utf-8")
    try:
        with pytest.raises(published.PublishedError, match="'Nobody' is not in sources.csv"):
            published.cost_files()
    finally:
        published.cost_files.cache_clear()


@needs_torch
@pytest.mark.parametrize("alpha,weights", [(0.5, "MNASNet0_5_Weights"), (0.75, "MNASNet0_75_Weights"),
                                           (1.0, "MNASNet1_0_Weights"), (1.3, "MNASNet1_3_Weights")])
def test_the_mnasnet_family_is_torchvisions_model(alpha, weights):
    """The data-only MnasNet family against torchvision's weights metadata (num_params, and
    _ops: conv + linear GMACs at 3 decimals) and torchvision's model run by the engine."""
    import torchvision
    meta = getattr(torchvision.models, weights).IMAGENET1K_V1.meta
    spec = costmodel.count("mnasnet", alpha=alpha)
    assert spec.in_convention("pytorch").totals.params == meta["num_params"]
    assert round(spec.totals.madds / 1e9, 3) == meta["_ops"]
    name = weights.replace("_Weights", "").lower()         # mnasnet0_5, ..., mnasnet1_3
    tv = costmodel.count(f"torchvision:{name}")
    assert tv.totals.madds == spec.totals.madds
