"""Memory: per-layer sizes, the eager peak against a dispatch-level tracker, the V2 paper's rule."""

from __future__ import annotations

import pytest

import costmodel
from costmodel.memory import by_resolution, layer_memory, memory, paper_memory, peak
from costmodel.published import rows


def test_layer_facts_of_v1_first_layers():
    # MobileNetV1 Table 1: Conv/s2 3×3×3×32 on 224×224×3, then Conv dw/s1 on 112×112×32.
    c = costmodel.count("mobilenet_v1")
    first, dw = layer_memory(c, dtype="fp16", batch=2)[:2]
    assert first.input_elements == 2 * 224 * 224 * 3
    assert first.output_elements == 2 * 112 * 112 * 32
    assert first.param_elements == 3 * 3 * 3 * 32 + 2 * 32          # weights + BN γ, β
    assert first.input_bytes == 2 * first.input_elements
    assert first.bytes_moved == 2 * (2 * 224 * 224 * 3 + 2 * 112 * 112 * 32 + 3 * 3 * 3 * 32 + 64)
    assert first.macs == 2 * 3 * 3 * 3 * 32 * 112 * 112
    assert float(first.intensity) == pytest.approx(first.macs / first.bytes_moved)
    assert dw.input_elements == dw.output_elements == 2 * 112 * 112 * 32


def test_residual_add_reads_two_tensors():
    c = costmodel.count("mobilenet_v2")
    add = next(x for x in layer_memory(c) if x.type == "add")
    assert len(add.inputs) == 2 and add.inputs[0] == add.inputs[1] == add.output
    assert add.input_elements == 2 * add.output_elements


def test_flatten_and_dropout_move_nothing():
    c = costmodel.count("mobilenet_v2")
    drop = next(x for x in layer_memory(c) if x.type == "dropout")
    assert drop.bytes_moved == 0


def test_peak_scales_with_batch_and_dtype():
    c = costmodel.count("mobilenet_v2")
    one = peak(c).bytes
    assert peak(c, batch=3).bytes == 3 * one
    assert 2 * peak(c, dtype="fp16").bytes == one
    assert 4 * peak(c, dtype="int8").bytes == one


def test_bad_dtype_and_batch():
    c = costmodel.count("mobilenet_v1")
    with pytest.raises(costmodel.UsageError, match="dtype"):
        peak(c, dtype="fp64")
    with pytest.raises(costmodel.UsageError, match="batch"):
        peak(c, batch=0)


# --------------------------------------------------------------------------- against the real model

CASES = [("mobilenet_v1", 1.0, 224), ("mobilenet_v1", 0.5, 160), ("mobilenet_v2", 1.0, 224),
         ("mobilenet_v2", 0.35, 96), ("mobilenet_v3_large", 1.0, 224),
         ("mobilenet_v3_small", 0.75, 160), ("mobilenet_v3_small_minimalistic", 1.0, 128)]


@pytest.mark.parametrize("arch,alpha,res", CASES)
def test_peak_equals_a_dispatch_level_tracker(arch, alpha, res):
    """The real model (built from the spec, batch norm folded, activations in place) run under
    a tracker of every aten output's allocation and last use: the same peak, and the same
    most-bytes-alive within every layer that allocates."""
    pytest.importorskip("torch")
    from costmodel.torch_bridge import build_from_costing
    from memtrack import inference_ready, run_tracked
    c = costmodel.count(arch, alpha=alpha, resolution=res)
    model = build_from_costing(c)
    rep = memory(c)
    modules = [r.name for r in c.layers]
    t = run_tracked(inference_ready(model), (1, 3, res, res), layers=modules)
    assert rep.peak.bytes == t.peak
    per_layer: dict = {}
    functions = []
    for layer, live in t.events[1:]:
        if layer is None:
            functions.append(live)
        else:
            per_layer[layer] = max(per_layer.get(layer, 0), live)
    by_name = {x.name: x for x in rep.layers}
    assert len(per_layer) >= sum(r.type in ("conv", "dw", "fc", "se") for r in c.layers)
    for name, live in per_layer.items():
        assert by_name[name].live_bytes == live, name
    # layers run as functions (residual adds, functional pooling): one allocation each, in order
    fn_layers = [x for x, r in zip(rep.layers, c.layers)
                 if x.name not in per_layer and x.output_bytes and r.type in ("add", "avgpool", "mul")
                 and not r.layer.get("inplace")]
    assert [x.live_bytes for x in fn_layers] == functions


#: PyTorch models read by the operator-level capture: torchvision's MobileNets, and models the
#: module-level reading could not (max pooling and attribute-held batch norms in resnet18;
#: permutes, layer norm, GELU and the layer-scale multiply in timm's convnext_atto; tokens,
#: class token, scaled-dot-product attention in timm's deit_tiny)
CAPTURED = [("torchvision:mobilenet_v2", 160), ("torchvision:mobilenet_v3_large", 224),
            ("torchvision:mobilenet_v3_small", 128), ("torchvision:resnet18", 64),
            ("timm:convnext_atto", 64), ("timm:deit_tiny_patch16_224", 224)]


@pytest.mark.parametrize("model,res", CAPTURED)
def test_captured_peak_equals_a_dispatch_level_tracker(model, res):
    """A PyTorch model's memory read from its capture (its own allocations and Python
    lifetimes; batch norm folded, activations with an ``inplace`` option in place) against
    the tracker run on the CPU model made so: the same peak, and within every leaf module
    that allocates, the same most bytes alive."""
    if model.startswith("timm:"):
        pytest.importorskip("timm")
    pytest.importorskip("torchvision")
    from memtrack import inference_ready, run_tracked
    c = costmodel.count(model, resolution=res)
    rep = memory(c)
    leaves = {name for name, m in c.module.named_modules() if next(m.children(), None) is None}
    paths = sorted({r.module for r in c.layers if r.module in leaves})
    t = run_tracked(inference_ready(c.module), (1, 3, res, res), layers=paths)
    assert rep.peak.bytes == t.peak
    tracked: dict = {}
    for layer, live in t.events[1:]:
        if layer is not None:
            tracked[layer] = max(tracked.get(layer, 0), live)
    ours: dict = {}
    for x, r in zip(rep.layers, c.layers):
        if r.module in tracked:
            ours[r.module] = max(ours.get(r.module, 0), x.live_bytes)
    assert len(tracked) >= sum(r.type in ("conv", "fc") for r in c.layers) // 2
    assert {k: ours[k] for k in tracked} == tracked


def test_extracted_torchvision_model_has_the_specs_peak():
    pytest.importorskip("torchvision")
    for arch in ("mobilenet_v2", "mobilenet_v3_large"):
        assert peak(costmodel.count(f"torchvision:{arch}")).bytes == peak(costmodel.count(arch)).bytes


# --------------------------------------------------------------------------- the peers' figures

PEER_MODELS = ["mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
               "torchvision:mobilenet_v2", "torchvision:mobilenet_v3_large",
               "torchvision:mobilenet_v3_small", "torchvision:resnet18",
               "timm:deit_tiny_patch16_224"]


@pytest.mark.parametrize("model", PEER_MODELS)
def test_fvcore_activations_and_torchinfo_sizes_rebuilt_exactly(model):
    """fvcore's ActivationCountAnalysis and torchinfo's four size lines, run on the real model,
    equal their conventions over the engine's records, to the element and the byte."""
    pytest.importorskip("fvcore")
    pytest.importorskip("torchinfo")
    if model.startswith("timm:"):
        pytest.importorskip("timm")
    from costmodel.memory import reconcile_memory
    c = costmodel.count(model)
    figs, rep = reconcile_memory(c, getattr(c, "module", None))
    assert len(figs) == 5
    for f in figs:
        assert f.status == "measured" and f.measured == f.rebuilt, (f.tool, f.figure)


def test_torchinfo_storage_object_size():
    torch = pytest.importorskip("torch")
    import sys
    from costmodel.memory import STORAGE_OBJECT_BYTES
    x = torch.zeros(7)
    assert sys.getsizeof(x.untyped_storage()) == 28 + STORAGE_OBJECT_BYTES


RESIDUAL_SPEC = {"name": "tiny_residual", "input": {"channels": 3, "resolution": 32}, "classes": 10,
                 "layers": [{"type": "conv", "k": 3, "out": 16, "s": 2},
                            {"residual": True, "name": "res",
                             "layers": [{"type": "conv", "k": 1, "out": 64},
                                        {"type": "dw", "s": 1},
                                        {"type": "conv", "k": 1, "out": 16, "act": "none"}]},
                            {"type": "act", "fn": "relu", "call": "function"},
                            {"type": "avgpool"}, {"type": "flatten"}, {"type": "fc", "out": "classes"}]}


def test_a_residual_group_holds_its_input_until_the_add():
    pytest.importorskip("torch")
    from costmodel.torch_bridge import build_from_costing
    from memtrack import inference_ready, run_tracked
    c = costmodel.count(RESIDUAL_SPEC)
    flow_rep = memory(c)
    add = next(x for x in flow_rep.layers if x.type == "add")
    assert add.input_elements == 2 * 16 * 16 * 16
    t = run_tracked(inference_ready(build_from_costing(c)), (1, 3, 32, 32))
    assert flow_rep.peak.bytes == t.peak


TIMM = ["mobilenetv2_100", "mobilenetv3_large_100", "tf_mobilenetv3_small_minimal_100"]


@pytest.mark.parametrize("name", TIMM)
def test_timm_infer_macts_rebuilt_from_the_real_timm_model(name):
    """timm's published infer_macts is fvcore's ActivationCountAnalysis: the timm model
    (pretrained=False) counted by the engine gives fvcore's count exactly, and the printed
    figure at its precision."""
    timm = pytest.importorskip("timm")
    pytest.importorskip("fvcore")
    from costmodel.memory import fvcore_activations, measure_peers
    from costmodel.published import printed_rules
    from costmodel.published.timm_bench import records
    model = timm.create_model(name, pretrained=False).eval()
    c = costmodel.count(model)
    got = measure_peers(model, (1, 3, 224, 224), tools=("fvcore",))
    assert fvcore_activations(c) == got[("fvcore", "ActivationCountAnalysis")]
    printed = next(r for r in records()[name] if r["infer_img_size"] == "224")
    assert printed_rules(fvcore_activations(c), printed["infer_macts"], "M")


def test_timm_infer_macts_cells_in_check():
    from costmodel.memory_cells import check_timm_macts
    cells = check_timm_macts()
    # every MobileNet of timm.csv, its infer_macts read from timm_bench.csv (one source)
    assert [c.label for c in cells] == [r.label for r in rows() if r.source == "timm"]
    assert len(cells) == 15 and all(r.status in ("reproduced", "explained") for r in cells)
    assert {c.source for c in cells} == {"timm-bench-5090"}


def test_timm_bench_rows_are_the_source_csv_rows():
    """timm_bench.csv keeps rows of timm's benchmark CSV as printed: the models of timm.csv
    are all there (the tf_ ports included), with the source's infer_macts."""
    from costmodel.published.timm_bench import records
    bench = records()
    printed = {"tf_mobilenetv3_small_075": "1.3", "tf_mobilenetv3_large_minimal_100": "4.4",
               "mobilenetv1_100": "5.04", "mobilenetv2_140": "9.57"}
    for name, macts in printed.items():
        assert next(r for r in bench[name] if r["infer_img_size"] == "224")["infer_macts"] == macts
    assert all(r.label in bench for r in rows() if r.source == "timm")
