"""Latency: the model's arithmetic on hand-made layers, calibration recovering known parameters
from synthetic measurements, presets' sources, the published latencies, and the commands'
output (no timing is asserted: these machines are shared and noisy)."""

import csv
import json
import math
import subprocess
import sys

import pytest

import costmodel
from conftest import ROOT, assert_one_line_error
from costmodel import latency as L

# A hand-made network: 1×1 conv 32→64 (+BN+ReLU), depthwise 3×3 (+BN, no activation),
# global pool, FC 64→10 (bias), on an 8×8×32 input.
TINY = {"name": "tiny", "input": {"channels": 32, "resolution": 8}, "layers": [
    {"type": "conv", "k": 1, "out": 64, "name": "pw"},
    {"type": "dw", "k": 3, "name": "dw", "act": "none"},
    {"type": "avgpool", "name": "pool"},
    {"type": "fc", "out": 10, "name": "fc"},
]}
HW = 8 * 8


def tiny_costs(**kw):
    return {c.name: c for c in L.layer_costs(costmodel.count(TINY), **kw)}


def test_layer_costs_by_hand_unfused():
    c = tiny_costs()
    # pw: 32·64 weights; MACs 32·64·64; main bytes 4·(in 32·64 + out 64·64 + weights 2048)
    assert (c["pw"].kind, c["pw"].macs) == ("conv", 32 * 64 * HW)
    assert c["pw"].bytes == 4 * (32 * HW + 64 * HW + 32 * 64)
    # unfused batch norm (x, y, 4 per channel) and ReLU (x, y): their own operations
    assert c["pw"].extra_bytes == 4 * ((2 * 64 * HW + 4 * 64) + 2 * 64 * HW)
    assert c["pw"].ops == 3
    assert (c["dw"].kind, c["dw"].macs, c["dw"].ops) == ("depthwise", 9 * 64 * HW, 2)
    assert c["dw"].bytes == 4 * (64 * HW + 64 * HW + 9 * 64)
    assert c["dw"].extra_bytes == 4 * (2 * 64 * HW + 4 * 64)
    assert (c["pool"].kind, c["pool"].macs, c["pool"].ops) == ("none", 0, 1)
    assert c["pool"].extra_bytes == 4 * (64 * HW + 64)
    assert (c["fc"].kind, c["fc"].macs, c["fc"].ops) == ("fc", 640, 1)
    assert c["fc"].bytes == 4 * (64 + 10 + 640 + 10)


def test_layer_costs_fused_batch_and_dtype():
    c = tiny_costs(fused=True, dtype="float16", batch=4)
    assert c["pw"].macs == 4 * 32 * 64 * HW
    # activations ×4, parameters once; batch norm folded into a bias (64 values); 2 bytes each
    assert c["pw"].bytes == 2 * (4 * (32 * HW + 64 * HW) + 32 * 64 + 64)
    assert (c["pw"].extra_bytes, c["pw"].ops) == (0, 1)


def test_time_is_the_sum_of_the_roofline_terms():
    prof = L.Profile(name="hand", mac_rate={"conv": 1e9, "depthwise": 1e8, "fc": 1e9},
                     bandwidth=1e9, overhead=1e-5)
    c = tiny_costs()
    lat = L.predict(costmodel.count(TINY), prof)
    by = {t.cost.name: t for t in lat.layers}
    pw = c["pw"]
    expect_pw = max(pw.macs / 1e9, pw.bytes / 1e9) + pw.extra_bytes / 1e9 + 3 * 1e-5
    assert by["pw"].time == pytest.approx(expect_pw, rel=1e-12)
    dw = c["dw"]
    assert by["dw"].compute == pytest.approx(dw.macs / 1e8)
    expected_total = sum(max(x.macs / prof.mac_rate.get(x.kind, math.inf), x.bytes / 1e9)
                         + x.extra_bytes / 1e9 + x.ops * 1e-5 for x in c.values())
    assert lat.total_ms == pytest.approx(expected_total * 1e3, rel=1e-12)


def test_bounds_are_named():
    count = costmodel.count(TINY)
    compute = L.Profile(name="slow-macs", mac_rate={k: 1e6 for k in L.COMPUTE_KINDS},
                        bandwidth=1e12, overhead=0.0)
    memory = L.Profile(name="slow-memory", mac_rate={k: 1e12 for k in L.COMPUTE_KINDS},
                       bandwidth=1e6, overhead=0.0)
    launch = L.Profile(name="slow-launch", mac_rate={k: 1e12 for k in L.COMPUTE_KINDS},
                       bandwidth=1e12, overhead=1.0)
    assert L.predict(count, compute).layers[0].bound == "compute"
    assert L.predict(count, memory).layers[0].bound == "memory"
    assert L.predict(count, launch).layers[0].bound == "overhead"
    assert {t.bound for t in L.predict(count, memory).layers} == {"memory"}


def test_mobilenet_v4_roofline_is_the_special_case():
    """ModelTime = Σ max(MACs / PeakMACs, (weight + activation bytes) / PeakMemBW), computed here
    from the layer records alone (MobileNetV4, Qin et al. 2024)."""
    c = costmodel.count("mobilenet_v2", alpha=0.5, resolution=160)
    rp = 31.2
    expected = 0.0
    for r in c.layers:
        act = (r.input[0] * r.input[1] * r.input[2] + r.output[0] * r.output[1] * r.output[2])
        if r.type in ("flatten", "dropout"):
            continue
        if r.type == "add":
            act = 3 * r.input[0] * r.input[1] * r.input[2]
        weights = r.weights + r.biases + r.facts["norm_channels"]
        expected += max(r.madds / 1e9, 4 * (act + weights) / (1e9 / rp))
    got = L.predict(c, "mnv4-pixel6-cpu").total_ms / 1e3
    assert got == pytest.approx(expected, rel=1e-12)


def test_macs_only_preset_is_proportional_to_madds():
    for arch in ("mobilenet_v1", "mobilenet_v3_small"):
        c = costmodel.count(arch)
        assert L.predict(c, "macs-only").total_ms == pytest.approx(c.totals.madds / 1e9 * 1e3)


# MobileNetV4 (Qin et al. 2024), Table 16: ridge points (MACs per byte) and Spearman rank
# correlations (roofline / MACs), as transcribed in shared/reference/latency.md.
TABLE16 = {"mnv4-pixel6-cpu": (31.2, "0.973 / 0.962"), "mnv4-s23-cpu": (39.7, "0.962 / 0.940"),
           "mnv4-pixel4-dsp": (347.3, "0.962 / 0.758"), "mnv4-pixel8-edgetpu": (433.8, "0.973 / 0.857")}


@pytest.mark.parametrize("name", sorted(TABLE16))
def test_presets_name_their_source(name):
    p = L.PRESETS[name]
    rp, rho = TABLE16[name]
    assert p.ridge_point == pytest.approx(rp)
    assert "MobileNetV4" in p.source and "Table 16" in p.source and rho in p.source
    assert p.relative and p.fused and p.overhead == 0


def test_every_preset_has_a_source():
    for p in L.presets().values():
        assert p.source, p.name


# --------------------------------------------------------------------------- calibration

TRUE = L.Profile(name="true", mac_rate={"conv": 20e9, "depthwise": 2e9, "fc": 5e9},
                 bandwidth=8e9, overhead=8e-6)


def synthetic(profile=TRUE):
    ms = [L.Measurement(model=a, resolution=r, latency_ms=1.0, alpha=al)
          for a in ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small")
          for al in (0.35, 0.5, 0.75, 1.0) for r in (96, 160, 224)]
    L.attach_costs(ms)
    for m in ms:
        m.latency_ms = L.predict_ms(m.costs, profile)
    return ms


def test_calibration_recovers_known_parameters():
    ms = synthetic()
    cal = L.calibrate(ms, folds=3)
    p = cal.profile
    assert p.mac_rate["conv"] == pytest.approx(20e9, rel=1e-6)
    assert p.mac_rate["depthwise"] == pytest.approx(2e9, rel=1e-6)
    assert p.bandwidth == pytest.approx(8e9, rel=1e-6)
    assert p.overhead == pytest.approx(8e-6, rel=1e-6)
    assert cal.cv["profile"]["spearman"] == pytest.approx(1.0)
    assert cal.cv["profile"]["mdape"] < 1e-6


def test_calibration_is_robust_to_an_outlier():
    ms = synthetic()
    ms[7].latency_ms *= 3           # one measurement hit by a burst of load
    p = L.calibrate(ms, folds=3).profile
    assert p.mac_rate["conv"] == pytest.approx(20e9, rel=0.02)
    assert p.bandwidth == pytest.approx(8e9, rel=0.02)
    assert p.overhead == pytest.approx(8e-6, rel=0.02)


def test_calibration_never_fits_negative_parameters():
    # times that fall with MAdds cannot be fitted by rates >= 0: every parameter stays >= 0
    ms = synthetic()
    for m in ms:
        m.latency_ms = 1000.0 / (m.macs / 1e6)
    p = L.calibrate(ms, folds=3).profile
    assert all(v > 0 for v in p.mac_rate.values()) and p.bandwidth > 0 and p.overhead >= 0


def test_nnls_against_brute_force():
    import numpy as np
    rng = np.random.default_rng(0)
    A = rng.normal(size=(20, 4))
    b = rng.normal(size=20)
    x = L.nnls(A, b)
    assert (x >= 0).all()
    best = min(float(np.sum((A @ y - b) ** 2)) for y in rng.uniform(0, 2, size=(20000, 4)))
    assert float(np.sum((A @ x - b) ** 2)) <= best + 1e-12


def test_spearman():
    assert L.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert L.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert L.spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.9486832980505138)  # ties


# --------------------------------------------------------------------------- published latencies

def test_published_latencies_as_transcribed():
    """Spot checks against shared/reference/published-numbers.md §3.4, §3.5, §4.3–4.6."""
    from costmodel.published import latencies
    cell = {(r.source, r.table, r.version, r.label, r.device, r.precision): r.latency_ms
            for r in latencies()}
    assert cell[("V3-paper", "Table 3", "final", "V3-Large 1.0", "Pixel 1", "float")] == "51"
    assert cell[("V3-paper", "Table 3", "v1", "V3-Small 0.75", "Pixel 2", "float")] == "21.06"
    assert cell[("V3-paper", "Table 4", "final", "V2 1.0", "Pixel 3", "8-bit")] == "37.0"
    assert cell[("V3-paper", "Table 9", "final", "large 224/1.0", "Pixel 1", "float")] == "51.2"
    assert cell[("V3-paper", "Table 9", "final", "small 96/1.0", "Pixel 1", "float")] == "4.4"
    assert cell[("TF-slim-v2-v3", "MobileNetV3 table", "0ba83cf0", "Large minimalistic (8-bit)",
                 "Pixel 3", "8-bit")] == "27"
    assert cell[("TF-slim-v2-v3", "MobileNetV2 table", "0ba83cf0", "mobilenet_v2_1.4_224",
                 "Pixel 1", "float")] == "138.0"
    assert cell[("V2-paper", "Table 4", "v4", "MobileNetV1", "Pixel 1", "float")] == "113"
    sources = {r["source"] for r in csv.DictReader(open(ROOT / "costmodel/published/sources.csv",
                                                        encoding="utf-8"))}
    assert {r.source for r in latencies()} <= sources
    assert len(latencies()) == 150


def test_check_lists_published_latencies(run):
    r = run("check", "--latency")
    assert r.exit_code == 0, r.stderr
    assert "150 published latencies" in r.stdout and "Pixel 1" in r.stdout
    assert "V3-paper" in r.stdout and "TF-slim-v2-v3" in r.stdout
    doc = json.loads(run("check", "--latency", "--format", "json").stdout)
    assert len(doc["latencies"]) == 150
    assert -1 <= doc["pixel1_study"]["spearman"] <= 1


# --------------------------------------------------------------------------- commands

@pytest.mark.parametrize("fmt", ["text", "csv", "markdown", "json", "latex"])
def test_latency_command_formats(run, fmt):
    r = run("latency", "mobilenet_v3_small", "--device", "mnv4-pixel4-dsp", "--format", fmt)
    assert r.exit_code == 0, r.stderr
    if fmt == "json":
        doc = json.loads(r.stdout)
        assert doc["profile"]["name"] == "mnv4-pixel4-dsp"
        assert {"name", "kind", "MACs", "bytes", "time ms", "bound"} <= set(doc["layers"][0])
        assert sum(x["MACs"] for x in doc["layers"]) == costmodel.count("mobilenet_v3_small").totals.madds
    if fmt == "text":
        assert "time by bound" in r.stdout and "Table 16" in r.stdout


def test_latency_with_a_profile_file(run, tmp_path):
    p = tmp_path / "dev.json"
    p.write_text(json.dumps({"name": "dev", "gmacs_per_s": {"conv": 10, "depthwise": 1, "fc": 5},
                             "gbytes_per_s": 10, "overhead_us": 5, "source": "made up"}))
    r = run("latency", "mobilenet_v1", "--device", p, "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["profile"]["overhead_us"] == 5 and doc["unit"] == "ms"


@pytest.mark.parametrize("doc,where", [
    ({"gmacs_per_s": "fast"}, "gmacs_per_s"),
    ({"gmacs_per_s": {"conv": 1, "depthwise": 1}}, "'fc'"),
    ({"gmacs_per_s": 1, "gbytes_per_s": -3}, "gbytes_per_s"),
    ({"gmacs_per_s": 1, "speed": 3}, "speed"),
    ({"gmacs_per_s": 1, "dtype": "int4"}, "dtype"),
])
def test_bad_profile_is_one_line(run, tmp_path, doc, where):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(doc))
    assert_one_line_error(run("latency", "mobilenet_v1", "--device", p), "bad.json", where)


def test_unknown_preset_is_one_line(run):
    assert_one_line_error(run("latency", "mobilenet_v1", "--device", "pixel99"), "pixel99")


def write_measurements(path, ms, extra=""):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "alpha", "resolution", "latency_ms", "threads"])
        for m in ms:
            w.writerow([m.model, m.alpha, m.resolution, m.latency_ms, 1])
    if extra:
        with open(path, "a") as f:
            f.write(extra)


def test_calibrate_command(run, tmp_path):
    data = tmp_path / "m.csv"
    write_measurements(data, synthetic())
    out = tmp_path / "dev.json"
    r = run("calibrate", data, "--out", out, "--folds", "3")
    assert r.exit_code == 0, r.stderr
    assert "Spearman" in r.stdout and "MAdds alone" in r.stdout
    p = L.load_profile(out)
    assert p.bandwidth == pytest.approx(8e9, rel=1e-6) and p.threads == 1
    r2 = run("latency", "mobilenet_v2", "--device", out, "--format", "json")
    assert json.loads(r2.stdout)["totals"]["time ms"] == pytest.approx(
        L.predict(costmodel.count("mobilenet_v2"), TRUE).total_ms, rel=1e-4)


@pytest.mark.parametrize("extra,parts", [
    ("mobilenet_v1,1.0,224,fast,1\n", ["line 50", "latency_ms", "not a number"]),
    ("mobilenet_v1,1.0,224,-2,1\n", ["line 50", "latency_ms", "> 0"]),
    ("nosuchnet,1.0,224,3,1\n", ["line 50", "nosuchnet"]),
    ("mobilenet_v1,1.0,224,3,4\n", ["thread counts"]),
])
def test_calibrate_bad_rows_are_one_line(run, tmp_path, extra, parts):
    data = tmp_path / "m.csv"
    write_measurements(data, synthetic(), extra)
    out = tmp_path / "p.json"
    assert_one_line_error(run("calibrate", data, "--out", out), "m.csv", *parts)
    assert not out.exists()


def test_calibrate_missing_column(run, tmp_path):
    data = tmp_path / "m.csv"
    data.write_text("model,resolution\nmobilenet_v1,224\n")
    assert_one_line_error(run("calibrate", data), "m.csv", "latency_ms")


# --------------------------------------------------------------------------- bench (torch)

BENCH_COLUMNS = {"model", "alpha", "resolution", "batch", "threads", "device", "dtype", "mode",
                 "latency_ms", "p10_ms", "p90_ms", "samples", "runs_per_sample", "madds"}


def test_bench_csv_schema_is_calibration_input(run, tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "b.csv"
    r = run("bench", "mobilenet_v3_small", "-a", "0.35", "-r", "96,128", "--repeats", "2",
            "--passes", "2", "--warmup", "1", "--min-sample-ms", "1", "--no-pin", "--format", "csv",
            "--out", out)
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(open(out)))
    assert len(rows) == 2
    assert BENCH_COLUMNS | {"pass1_ms", "pass2_ms"} <= set(rows[0])
    assert all(float(x["p10_ms"]) <= float(x["latency_ms"]) <= float(x["p90_ms"]) for x in rows)
    assert int(rows[0]["madds"]) == costmodel.count("mobilenet_v3_small", alpha=0.35,
                                                    resolution=96).totals.madds
    assert "bench: pass 2/2" in r.stderr


def test_bench_json_describes_the_machine(run):
    pytest.importorskip("torch")
    r = run("bench", "mobilenet_v3_small", "-a", "0.35", "-r", "96", "--repeats", "1",
            "--warmup", "0", "--min-sample-ms", "1", "--no-pin", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {"cpu", "cores", "threads", "torch", "python"} <= set(doc["machine"])
    assert BENCH_COLUMNS <= set(doc["measurements"][0])


def test_bench_per_layer_maps_to_the_engine(run):
    pytest.importorskip("torch")
    r = run("bench", "mobilenet_v1", "-a", "0.25", "-r", "128", "--per-layer", "--repeats", "2",
            "--warmup", "0", "--no-pin", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    c = costmodel.count("mobilenet_v1", alpha=0.25, resolution=128)
    assert {x["layer"] for x in doc["layers"]} - {"(outside modules)"} == {rec.name for rec in c.layers}
    groups = {g["group"]: g for g in doc["by_group"]}
    assert groups["Conv 1×1"]["madds_pct"] == pytest.approx(
        100 * sum(r.madds for r in c.layers if r.group == "Conv 1×1") / c.totals.madds, abs=0.01)
    assert sum(g["time_pct"] for g in doc["by_group"]) == pytest.approx(100, abs=0.1)


def test_bench_cuda_without_a_gpu_is_one_line(run):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    assert_one_line_error(run("bench", "mobilenet_v1", "--device", "cuda"), "CUDA")
    assert_one_line_error(run("bench", "mobilenet_v1", "--cuda-graphs", "--repeats", "1"),
                          "--cuda-graphs")


# --------------------------------------------------------------------------- light imports

@pytest.mark.parametrize("args", [
    ["latency", "mobilenet_v3_large", "--device", "mnv4-pixel8-edgetpu", "--format", "json"],
    ["latency", "--list"],
    ["check", "--latency"],
])
def test_latency_commands_stay_light(args):
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); from cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit as e:\n    code = e.code\n"
            f"print(json.dumps([code, [m for m in ('torch', 'fvcore', 'matplotlib') "
            f"if m in sys.modules]]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    code_, loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert code_ == 0, out.stderr
    assert loaded == [], loaded


# --------------------------------------------------------------------------- plots (stored data)

def test_plot_latency_tradeoff_and_prediction(run, tmp_path):
    pytest.importorskip("matplotlib")
    from costmodel.report import latency_plots as lp
    rows = lp.read_rows()
    assert len(rows) >= 90
    d = lp.latency_tradeoff_data()
    # every plotted point is a published model measured here, at its measured latency
    measured = {(r["model"], r["alpha"], r["resolution"]): r["latency_ms"] for r in rows}
    assert all(measured[(p.arch, p.alpha, p.resolution)] == ms for p, ms in d["points"])
    for p, ms in d["front"]:
        assert not any(m2 < ms and q.top1 >= p.top1 for q, m2 in d["points"])
    out, data = tmp_path / "t.png", tmp_path / "t.csv"
    r = run("plot", "tradeoff", "--metric", "latency", "--out", out, "--data", data)
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes()[:4] == b"\x89PNG" and "latency_ms" in data.read_text()
    r = run("plot", "latency", "--out", tmp_path / "p.svg")
    assert r.exit_code == 0, r.stderr
    pdata = lp.prediction_data()
    held = pdata["held"]
    assert pdata["profile_spearman"] == pytest.approx(
        L.spearman([float(x["predicted_ms"]) for x in held], [x["latency_ms"] for x in held]))


def test_plot_latency_without_measurements_is_one_line(run, tmp_path):
    assert_one_line_error(run("plot", "tradeoff", "--metric", "latency", "--measurements",
                              tmp_path / "none.csv", "--out", tmp_path / "x.png"), "none.csv")


def test_api_predict_latency():
    lat = costmodel.predict_latency("mobilenet_v2", "macs-only", alpha=0.5, resolution=160)
    assert lat.total_ms == pytest.approx(
        costmodel.count("mobilenet_v2", alpha=0.5, resolution=160).totals.madds / 1e6)
    assert sum(lat.bound_shares().values()) == pytest.approx(100)


def test_holdout_study_on_synthetic_measurements():
    ms = synthetic()
    st = L.holdout_study(ms, fused=False, name="x")
    assert len(st["fit"]) == 16 and len(st["rest"]) == 32        # a third per model
    assert {m.model for m in st["fit"]} == {m.model for m in ms}
    assert st["spearman"] == pytest.approx(1.0) and st["mdape"] < 1e-6
    assert st["madds_spearman"] < 1.0                              # MAdds alone rank worse


def test_pixel1_measurements_are_the_published_figures():
    ms = L.pixel1_measurements()
    assert len(ms) == 44
    got = {(m.model, m.alpha, m.resolution): m.latency_ms for m in ms}
    assert got[("mobilenet_v3_large", 1.0, 224)] == 51.2       # V3 paper Table 9 (preferred)
    assert got[("mobilenet_v2", 1.4, 224)] == 138.0            # TF-slim V2 table
    assert got[("mobilenet_v1", 1.0, 224)] == 113.0            # V2 paper Table 4


def test_benchmark_script_on_cuda_without_a_gpu_is_one_line():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "latency.py"), "--device", "cuda"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2
    assert p.stderr.strip().count("\n") == 0 and "CUDA" in p.stderr and "Traceback" not in p.stderr
