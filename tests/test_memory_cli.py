"""`costmodel memory` and `reconcile --memory`: the commands, their formats and their errors."""

from __future__ import annotations

import json

import pytest

from conftest import assert_one_line_error


def test_memory_text_marks_the_peak(run):
    r = run("memory", "mobilenet_v2")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "mobilenet_v2: alpha=1, resolution=224, dtype=fp32, batch=1"
    peak_rows = [x for x in lines if "◀ peak" in x]
    assert len(peak_rows) == 1 and peak_rows[0].split()[0] == "bottleneck1.dw"
    # bottleneck1.dw: its 96×112×112 input, its 96×56×56 output and the held 16×112×112
    # block input, 4 bytes each, plus the model input the caller holds
    alive = (96 * 112 * 112 + 96 * 56 * 56 + 16 * 112 * 112 + 3 * 224 * 224) * 4
    assert f"peak (bytes, fp32, eager) {alive:,}" in r.stdout


def test_memory_json_dtype_and_batch(run):
    r = run("memory", "mobilenet_v1", "--dtype", "fp16", "--batch", "2", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["dtype"] == "fp16" and doc["batch"] == 2
    first = doc["layers"][0]
    assert first["input_bytes"] == 2 * 2 * 3 * 224 * 224
    assert first["output_bytes"] == 2 * 2 * 32 * 112 * 112
    assert first["bytes_moved"] == first["input_bytes"] + first["output_bytes"] + first["param_bytes"]
    assert sum(x["peak"] for x in doc["layers"]) == 1
    assert doc["totals"]["peak_bytes"] == max(x["live_bytes"] for x in doc["layers"])


@pytest.mark.parametrize("fmt", ["csv", "markdown", "latex"])
def test_memory_formats(run, fmt):
    r = run("memory", "mobilenet_v3_small", "--format", fmt)
    assert r.exit_code == 0 and "bneck1.dw" in r.stdout


def test_memory_by_resolution_is_v2_table_3s_view(run):
    r = run("memory", "mobilenet_v1", "--by-resolution", "--dtype", "fp16", "--format", "json")
    rows = {x["size"]: x for x in json.loads(r.stdout)["rows"]}
    # V2 paper, Table 3, MobileNetV1: 64/1600, 128/800, 256/400, 512/200 (Kb = 1,000 bytes)
    assert [rows[s]["max_channels"] for s in ("112x112", "56x56", "28x28", "14x14")] == [64, 128, 256, 512]
    assert rows["112x112"]["memory"] == pytest.approx(1605.632)


def test_memory_writes_out_file(run, tmp_path):
    out = tmp_path / "mem.csv"
    r = run("memory", "mobilenet_v2", "--format", "csv", "--out", out)
    assert r.exit_code == 0 and out.read_text().startswith("layer,kind,input,output")


def test_memory_measure_without_cuda_is_one_line(run):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert_one_line_error(run("memory", "mobilenet_v2", "--measure"), "CUDA")



def test_memory_measure_without_cuda_writes_nothing(run, tmp_path):
    """--measure is refused before anything is counted or written (no GPU on this machine:
    the measurement itself waits for a session that has one)."""
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    out = tmp_path / "mem.json"
    r = run("memory", "shufflenet_v1", "--measure", "--format", "json", "--out", out)
    assert_one_line_error(r, "--measure needs a CUDA device")
    assert not out.exists()
    import costmodel
    from costmodel.memory import measure_cuda
    with pytest.raises(costmodel.UsageError, match="CUDA"):
        measure_cuda(costmodel.count("mobilenet_v2"))


def test_memory_bad_input(run):
    assert_one_line_error(run("memory", "mobilenet_v2", "--dtype", "fp64"), "--dtype")
    assert_one_line_error(run("memory", "mobilenet_v2", "--batch", "0"), "--batch")
    assert_one_line_error(run("memory", "no_such_net"), "no_such_net")


def test_reconcile_memory(run):
    pytest.importorskip("fvcore")
    pytest.importorskip("torchinfo")
    r = run("reconcile", "mobilenet_v3_small", "--memory", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    figs = {x["figure"]: x for x in doc["figures"]}
    assert figs["ActivationCountAnalysis (elements)"]["difference"] == 0
    assert figs["Forward/backward pass size (bytes)"]["difference"] == 0
    assert_one_line_error(run("reconcile", "mobilenet_v2", "--memory", "--tools", "thop"), "thop")


def test_plot_memory_marks_the_peak(run, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "mem.svg"
    r = run("plot", "memory", "mobilenet_v3_small", "--dtype", "fp16", "--out", out)
    assert r.exit_code == 0, r.stderr
    svg = out.read_text()
    assert svg.startswith("<?xml")


def test_plot_tradeoff_memory(run, tmp_path):
    pytest.importorskip("matplotlib")
    import costmodel
    from costmodel.memory import peak
    out, data = tmp_path / "t.png", tmp_path / "t.csv"
    r = run("plot", "tradeoff", "--metric", "memory", "--families", "v2", "--out", out, "--data", data)
    assert r.exit_code == 0, r.stderr
    import csv
    rows = list(csv.DictReader(data.open()))
    row = next(x for x in rows if x["label"] == "1.0/224")
    assert int(row["peak memory (bytes, fp32)"]) == peak(costmodel.count("mobilenet_v2", classes=1001)).bytes
    assert any(x["Pareto (peak memory)"] == "True" for x in rows)


def test_memory_of_a_model_with_a_1d_input(run, tmp_path):
    """Memory reads a PyTorch model from its capture, whatever its input's rank: a 1-D
    convolution on a 2×32 input has the peak a dispatch-level tracker measures on it."""
    pytest.importorskip("torch")
    import runpy

    from memtrack import inference_ready, run_tracked
    f = tmp_path / "conv1d.py"
    f.write_text("import torch.nn as nn\n\n"
                 "def make():\n    return nn.Sequential(nn.Conv1d(2, 4, 3), nn.ReLU())\n")
    r = run("memory", f"{f}:make", "--input", "2x32", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    tracked = run_tracked(inference_ready(runpy.run_path(str(f))["make"]()), (1, 2, 32))
    assert doc["totals"]["peak_bytes"] == tracked.peak == 4 * (2 * 32 + 4 * 30)
    assert run("table", f"{f}:make", "--input", "2x32").exit_code == 0
