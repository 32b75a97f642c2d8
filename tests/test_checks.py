"""Conformance: the published record against the engine, and models against their papers."""

import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, assert_one_line_error, needs_torch
from costmodel.conformance import STATUSES, check_model, check_published, status_counts

USER_V1 = Path(__file__).parent / "models" / "user_mobilenet_v1.py"


@pytest.fixture(scope="module")
def published():
    return check_published()


def cell(results, source, label, metric, version=None, table=None):
    found = [r for r in results if r.source == source and r.label == label and r.metric == metric
             and (version is None or r.version == version) and (table is None or r.table == table)]
    assert found, (source, label, metric)
    return found[0]


def test_every_cell_has_a_status(published):
    results, skipped = published
    # the 14 rows of other networks each have statuses (tests/test_comparison_rows.py); V2
    # Table 3's ShuffleNet column is checked (tests/test_shufflenet.py)
    assert skipped == 0
    assert {r.status for r in results} <= set(STATUSES)
    counts = status_counts(results)
    assert counts["reproduced"] > 300 and counts["erratum"] == 1


def test_v1_table_2_erratum(published):
    r = cell(published[0], "V1-paper", "Conv 3×3", "MAdds %")
    assert r.status == "erratum" and "1.91" in r.rule


def test_tf_slim_v1_params_are_its_variables(published):
    """TF-slim MobileNetV1 README params: weights, biases and 3 batch-norm variables per channel."""
    for label in ("MobileNet_v1_1.0_224", "MobileNet_v1_0.50_128", "MobileNet_v1_0.25_160"):
        assert cell(published[0], "TF-slim-v1", label, "params", "2018_02_22").status == "reproduced"


def test_explanations_name_their_rule(published):
    results = published[0]
    # the TF-slim README's V3-Small 0.75 row is the middle paper version's model (1280 head)
    for metric in ("MAdds", "params"):
        r = cell(results, "TF-slim-v2-v3", "Small dm=0.75 (float)", metric)
        assert r.status == "explained" and "'mid'" in r.rule
    # V1 Table 10 (Stanford Dogs, 120 classes): the MAdds are the 1000-class model's
    r = cell(results, "V1-paper", "1.0 MobileNet-224", "MAdds", table="Table 10")
    assert r.status == "explained" and "1000 classes" in r.rule
    # the first V3 version's numbers come from the corrected architecture, not its table
    r = cell(results, "V3-paper", "V3-Large 0.75", "MAdds", version="v1")
    assert r.status == "explained" and "mobilenet_v3_large built-in" in r.rule


def readme_unexplained():
    text = (ROOT / "README.md").read_text()
    section = text.split("### Published figures that remain unexplained", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.M))


def test_every_unexplained_cell_is_listed_in_the_readme(published):
    unexplained = {r.key for r in published[0] if r.status == "unexplained"}
    assert unexplained == readme_unexplained()
    for r in published[0]:
        if r.status == "unexplained":
            assert r.note and "nearest" in r.rule          # the evidence and the nearest candidate


def test_check_command(run):
    r = run("check", "--format", "json")
    doc = json.loads(r.stdout)
    assert r.exit_code == (1 if doc["counts"]["unexplained"] else 0)
    text = run("check").stdout.strip().splitlines()[-1]
    assert re.match(r"\d+ published cells: \d+ reproduced, \d+ explained, 1 erratum, \d+ unexplained", text)
    r = run("check", "--status", "erratum")
    assert "[erratum] V1-paper Table 2: Conv 3×3: MAdds %" in r.stdout


@needs_torch
@pytest.mark.parametrize("name", ["mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"])
def test_torchvision_models_conform(run, name):
    r = run("check", f"torchvision:{name}", "--paper", name)
    assert r.exit_code == 0, r.stdout
    assert r.stdout.strip().endswith("conforms")


@needs_torch
def test_torchvision_v3_at_075_against_the_tf_slim_075_model(run):
    r = run("check", "torchvision:mobilenet_v3_large", "--kwargs", "width_mult=0.75",
            "--paper", "mobilenet_v3_large", "--alpha", "0.75")
    assert r.exit_code == 1
    assert "block 2: expansion 48, the paper has 64" in r.stdout
    assert "head 1: 960 outputs, the paper has 1280" in r.stdout
    # with torchvision's own rounding the same model conforms
    assert run("check", "torchvision:mobilenet_v3_large", "--kwargs", "width_mult=0.75",
               "--paper", "mobilenet_v3_large", "--alpha", "0.75", "--rounding", "torchvision").exit_code == 0


def test_v3_large_first_arxiv_version_fails_naming_the_moved_stride(run):
    r = run("check", "mobilenet_v3_large@v1", "--paper", "mobilenet_v3_large")
    assert r.exit_code == 1
    assert "block 13: stride 1, the paper has 2" in r.stdout
    assert "block 14: stride 2, the paper has 1" in r.stdout
    assert "block 14: expansion 672, the paper has 960" in r.stdout
    assert "matches the paper's 'v1' version" in r.stdout
    assert run("check", "mobilenet_v3_large@v1", "--paper", "mobilenet_v3_large", "--version", "v1").exit_code == 0


@needs_torch
def test_v1_with_biases_and_5_classes(run):
    r = run("check", f"{USER_V1}:MobileNetV1", "--paper", "mobilenet_v1")
    assert r.exit_code == 1
    assert "[biases]" in r.stdout and "27 layer(s) with a bias" in r.stdout
    assert "[classes] classifier: 5 classes, the paper has 1000" in r.stdout
    ok = run("check", f"{USER_V1}:MobileNetV1", "--paper", "mobilenet_v1", "--allow", "biases,classes")
    assert ok.exit_code == 0 and "allowed [classes]" in ok.stdout
    assert run("check", f"{USER_V1}:paper_model", "--paper", "mobilenet_v1").exit_code == 0


@needs_torch
def test_v3_small_against_the_table_as_printed():
    result = check_model("torchvision:mobilenet_v3_small", "mobilenet_v3_small", version="printed")
    assert [d.kind for d in result.deviations] == ["se"]
    assert result.deviations[0].madds == -2 * 576 * 144 and "latest" in result.matches


@needs_torch
def test_assert_matches_paper():
    from costmodel.testing import assert_matches_paper
    assert_matches_paper("torchvision:mobilenet_v2", "mobilenet_v2")
    assert_matches_paper(f"{USER_V1}:MobileNetV1", "mobilenet_v1", allow="biases,classes")
    with pytest.raises(AssertionError) as e:
        assert_matches_paper(f"{USER_V1}:MobileNetV1", "mobilenet_v1")
    assert "5 classes, the paper has 1000" in str(e.value)


@pytest.mark.parametrize("args,parts", [
    pytest.param(["check", "{bad}:f", "--paper", "mobilenet_v1"], ["bad.py:2", "syntax error"],
                 marks=needs_torch),
    pytest.param(["check", "{v1}:nothing", "--paper", "mobilenet_v1"], ["has no 'nothing'"],
                 marks=needs_torch),
    pytest.param(["check", "{v1}:raises", "--paper", "mobilenet_v1"],
                 ["RuntimeError: weights file not found"], marks=needs_torch),
    pytest.param(["check", "{v1}:fixed_pool", "--paper", "mobilenet_v1", "--resolution", "128"],
                 ["cannot run at resolution 128×128"], marks=needs_torch),
    (["check", "mobilenet_v2", "--paper", "mobilenet_v9"], ["unknown paper architecture"]),
    (["check", "mobilenet_v2", "--paper", "mobilenet_v2", "--version", "v7"], ["no version 'v7'"]),
    (["check", "mobilenet_v2", "--paper", "mobilenet_v2", "--allow", "colour"], ["--allow"]),
    (["check", "mobilenet_v2"], ["--paper"]),
    (["check", "--status", "fine"], ["unknown status"]),
])
def test_bad_input(run, tmp_path, args, parts):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\ndef f(:\n    pass\n")
    args = [a.format(bad=bad, v1=USER_V1) for a in args]
    assert_one_line_error(run(*args), *parts)


def test_source_policy_is_data_and_an_unknown_source_is_an_error():
    from costmodel.conformance import source_policy
    from costmodel.errors import UsageError
    # TF-slim's V1 README counts the checkpoint's variables; timm measures with fvcore
    assert source_policy("TF-slim-v1")["params"] == "slim-v1"
    assert source_policy("timm")["allowed"]["madds"] == ("fvcore", "deepspeed")
    assert source_policy("V2-paper")["allowed"]["params"] == ("paper", "pytorch", "slim-v1", "keras")
    with pytest.raises(UsageError, match="'Nobody' is not in costmodel/published/sources.csv"):
        source_policy("Nobody")


def test_a_paper_versions_rows_start_from_its_own_variant():
    """``published/version_variants.csv``: the V3 paper's first arXiv version printed the
    Small model with the middle version's 1280 head and the Large model with its stride error."""
    from costmodel.conformance import version_variant
    from costmodel.published import table
    from costmodel.spec import variant_names
    assert version_variant("V3-paper", "v1", "mobilenet_v3_small") == "mobilenet_v3_small@mid"
    assert version_variant("V3-paper", "v1", "mobilenet_v3_large") == "mobilenet_v3_large@v1"
    assert version_variant("V3-paper", "final", "mobilenet_v3_small") == "mobilenet_v3_small"
    for r in table("version_variants"):
        assert r["variant"] in variant_names(r["arch"]), r


def test_the_comparison_is_its_parts_in_order():
    """stem, blocks, last convolutions, head, then biases and norms, each its own function."""
    from costmodel import count
    from costmodel.conformance import architecture, compare
    from costmodel.conformance.compare import PARTS
    model = architecture(count("mobilenet_v3_small@mid"))
    paper = architecture(count("mobilenet_v3_small"))
    devs = compare(model, paper)
    assert [p.__name__ for p in PARTS] == ["compare_stem", "compare_blocks", "compare_last",
                                           "compare_head", "compare_biases_and_norms"]
    assert devs == [d for part in PARTS for d in part(model, paper)]
    # the middle version: a 1280-wide layer after pooling where the latest has 1024
    assert [(d.kind, d.where) for d in devs] == [("head", "head 1")]

# --------------------------------------------------------------------------- V2 Table 3 (memory)

def table3(results, arch, size, metric, version="v4"):
    return cell(results, "V2-paper", f"{arch} {size}", metric, version=version, table="Table 3")


def test_v2_table3_every_cell_has_a_status(published):
    results, _ = published
    cells = [r for r in results if r.source == "V2-paper" and r.table == "Table 3"]
    # v4: 6 sizes × 2 metrics + max, per column; the other version: 112×112 (2) and max
    assert len(cells) == 3 * (6 * 2 + 1) + 3 * 3
    unexplained = sorted(r.key for r in cells if r.status == "unexplained")
    assert unexplained == ["V2-paper Table 3 (v4): mobilenet_v1 7x7: memory Kb",
                           "V2-paper Table 3 (v4): shufflenet_2x_g3 112x112: max channels",
                           "V2-paper Table 3 (v4): shufflenet_2x_g3 112x112: memory Kb"]


def test_v2_table3_mobilenet_v1_column_is_the_widest_tensor(published):
    # Table 3 (v4): 64/1600 at 112x112 = 64·112·112 elements of 2 bytes = 1,605,632 bytes
    results, _ = published
    r = table3(results, "mobilenet_v1", "112x112", "memory Kb")
    assert r.status == "reproduced" and r.computed == 64 * 112 * 112 * 2
    for size, ch in (("56x56", 128), ("28x28", 256), ("14x14", 512), ("7x7", 1024), ("1x1", 1024)):
        assert table3(results, "mobilenet_v1", size, "max channels").computed == ch


def test_v2_table3_mobilenet_v2_column(published):
    results, _ = published
    # 16/400 at 112x112: the first layer streamed into the first block (the caption's trick)
    assert table3(results, "mobilenet_v2", "112x112", "max channels").status == "reproduced"
    # 32/200 at 56x56: no 32-channel tensor exists at 56x56; 32 is Table 2's c of the row reading 56²
    r = table3(results, "mobilenet_v2", "56x56", "max channels")
    assert r.status == "explained" and "reads 56x56" in r.rule
    assert table3(results, "mobilenet_v2", "max", "memory Kb").computed == 16 * 112 * 112 * 2
