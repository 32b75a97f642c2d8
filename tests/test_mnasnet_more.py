"""MnasNet-A1 and MnasNet-small as data (tensorflow/tpu mnasnet_models.py), and
EfficientNet-Lite0–4, against timm's builds and the published figures.

Expected numbers come from timm's models (FlopCounterMode / 2 and sum(p.numel()) on the
meta device) and from the tensorflow/tpu MnasNet README (costmodel/published/mnasnet.csv)."""

import pytest

import costmodel
from conftest import needs_torch
from test_efficientnet import _reference


@needs_torch
@pytest.mark.parametrize("name,timm_name", [
    ("mnasnet_a1", "semnasnet_100"), ("mnasnet_small", "mnasnet_small"),
    ("efficientnet_lite0", "efficientnet_lite0"), ("efficientnet_lite1", "efficientnet_lite1"),
    ("efficientnet_lite2", "efficientnet_lite2"), ("efficientnet_lite3", "efficientnet_lite3"),
    ("efficientnet_lite4", "tf_efficientnet_lite4")])
def test_timms_build_is_the_spec(name, timm_name):
    timm = pytest.importorskip("timm")
    c = costmodel.count(name)
    res = c.resolution[0] if isinstance(c.resolution, tuple) else c.resolution
    macs, params = _reference(lambda: timm.create_model(timm_name, pretrained=False), res)
    assert (c.totals.madds, c.in_convention("pytorch").totals.params) == (macs, params)


@needs_torch
def test_a1_at_other_widths_is_timms():
    """timm's semnasnet_075 / _140: the 1280 head fixed at every α, as the README's params need."""
    timm = pytest.importorskip("timm")
    for alpha, timm_name in ((0.75, "semnasnet_075"), (1.4, "semnasnet_140")):
        macs, params = _reference(lambda: timm.create_model(timm_name, pretrained=False), 224)
        c = costmodel.count("mnasnet_a1", alpha=alpha)
        assert (c.totals.madds, c.in_convention("pytorch").totals.params) == (macs, params)


def _cells(sources):
    from costmodel import conformance
    results, _ = conformance.check_published(sources)
    return {(r.label, r.metric): r for r in results if "nas" in r.label.lower()}


def test_the_mnasnet_readme():
    cells = _cells(["MnasNet-tpu"])
    # the list's figures: A1 312M (3.9M), small 68M and 2.0M
    for key in (("mnasnet-a1", "MAdds"), ("mnasnet-small", "MAdds"), ("mnasnet-small", "params")):
        assert cells[key].status == "reproduced", key
    table = {k: r for k, r in cells.items() if k[0].startswith("MnasNet-A1 ")}
    assert len(table) == 50
    # every params figure of the 25-model table; every Multi-Adds figure 0.9-2.7 % above
    assert all(r.status in ("reproduced", "explained") for k, r in table.items() if k[1] == "params")
    madds = [r for k, r in table.items() if k[1] == "MAdds"]
    assert all(r.status == "unexplained" and r.note for r in madds)
    assert all(0.008 < float(r.published) * 1e6 / r.computed - 1 < 0.028 for r in madds)


def test_the_v3_papers_mnasnet_rows_have_statuses_with_evidence():
    cells = _cells(["V3-paper"])
    assert cells[("MnasNet-A1", "params")].status == "explained"
    assert cells[("MnasNet-A1", "MAdds")].status == "unexplained" and cells[("MnasNet-A1", "MAdds")].note
    # 68,339,184 MACs and 2,009,736 weights in binary prefixes (2^20): 65.17 and 1.92
    for key in (("Mnas-small", "MAdds"), ("Mnas-small", "params")):
        assert cells[key].status == "explained" and "binary" in cells[key].rule, key


def test_a1s_accuracies_are_on_the_tradeoff_chart():
    from costmodel.accuracy import tradeoff_points
    a1 = [p for p in tradeoff_points() if p.arch == "mnasnet_a1"]
    assert len(a1) == 25
    assert {p.arch for p in tradeoff_points()} >= {"mnasnet_small", "efficientnet_b7"}
