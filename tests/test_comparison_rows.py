"""The 14 rows of other networks the MobileNet papers print (V1 Tables 8–10, V2 Table 4 in
two versions, V3 Table 3): every one has a status in `costmodel check`.

Where the spec language suffices the row is a built-in (MnasNet-A1, MnasNet-small); where it
does not, a reference PyTorch implementation is counted (only with --references: counting
runs torch, which the analytic path never imports); a network with neither is `uncounted`,
saying why.  Expected figures are the papers' (costmodel/published), never our output."""

import pytest

from conftest import needs_torch
from costmodel import conformance
from costmodel.published import rows

OTHER = {("V1-paper", "Table 8", ""): ("GoogleNet", "VGG 16"),
         ("V1-paper", "Table 9", ""): ("Squeezenet", "AlexNet"),
         ("V1-paper", "Table 10", ""): ("Inception V3",),
         ("V2-paper", "Table 4", "v4"): ("ShuffleNet (1.5)", "ShuffleNet (x2)", "NasNet-A"),
         ("V2-paper", "Table 4", "early"): ("ShuffleNet (1.5)", "ShuffleNet (x2)", "NasNet-A"),
         ("V3-paper", "Table 3", "final"): ("MnasNet-A1", "Proxyless", "Mnas-small")}
REFERENCE_LABELS = {"GoogleNet", "VGG 16", "Squeezenet", "AlexNet", "Inception V3"}


def _other_rows():
    return [r for r in rows() if r.label in OTHER.get((r.source, r.table, r.version), ())]


def _by_row(results):
    out = {}
    for r in results:
        out.setdefault((r.source, r.table, r.version, r.label), {})[r.metric] = r
    return out


def test_the_fourteen_rows_each_have_statuses():
    assert len(_other_rows()) == 14
    results, _ = conformance.check_published(["V1-paper", "V2-paper", "V3-paper"])
    by_row = _by_row(results)
    for r in _other_rows():
        cells = by_row[(r.source, r.table, r.version, r.label)]
        assert set(cells) == {"MAdds", "params"}, r.key
        for cell in cells.values():
            assert cell.status in conformance.STATUSES and cell.rule, cell.key


def test_no_published_row_goes_unchecked():
    # the published rows of the three papers: none skipped (V2 Table 3's memory column for
    # ShuffleNet is the memory check's, not a row of other networks' costs)
    _, skipped = conformance.check_published(["V1-paper", "V3-paper"])
    assert skipped == 0


def test_without_references_the_pytorch_rows_say_how_to_count_them():
    results, _ = conformance.check_published(["V1-paper"])
    for cells in (_by_row(results)[("V1-paper", t, "", label)]
                  for (s, t, v), labels in OTHER.items() if s == "V1-paper" for label in labels):
        for cell in cells.values():
            assert cell.status == "uncounted" and "--references" in cell.rule


def test_networks_without_spec_or_implementation_say_why():
    results, _ = conformance.check_published(["V2-paper", "V3-paper"])
    by_row = _by_row(results)
    proxyless = by_row[("V3-paper", "Table 3", "final", "Proxyless")]["MAdds"]
    assert proxyless.status == "uncounted" and "ProxylessNAS" in proxyless.rule
    nasnet = by_row[("V2-paper", "Table 4", "v4", "NasNet-A")]["params"]
    assert nasnet.status == "uncounted" and "multi-branch" in nasnet.rule


def test_a_missing_torch_is_said(monkeypatch):
    from costmodel.conformance import references
    from costmodel.errors import MissingExtra

    def no_torch(*args, **kwargs):
        raise MissingExtra("this needs PyTorch: install the 'torch' extra")
    monkeypatch.setattr(references, "count_reference", no_torch)
    row = next(r for r in _other_rows() if r.label == "VGG 16")
    cells = references.check_reference_row(row)
    assert {c.status for c in cells} == {"uncounted"}
    assert all("needs PyTorch" in c.rule for c in cells)


@needs_torch
def test_the_reference_rows_counted_through_pytorch():
    """AlexNet as published (two GPU groups): 60M weights (60,954,656, truncated); VGG 16's
    138M weights; SqueezeNet's 1.25M parameters; the rest unexplained with their evidence."""
    results, _ = conformance.check_published(["V1-paper"], references=True)
    cells = {(r.label, r.metric): r for r in results if r.label in REFERENCE_LABELS}
    assert len(cells) == 10
    assert cells[("AlexNet", "params")].status == "reproduced"
    assert cells[("AlexNet", "params")].computed == 60_954_656
    assert cells[("VGG 16", "params")].status == "reproduced"
    assert cells[("Squeezenet", "params")].status == "explained"
    for key, cell in cells.items():
        assert cell.status != "uncounted", key
        if cell.status == "unexplained":
            assert cell.note and "nearest" in cell.rule, key


@needs_torch
def test_alexnet_2012_is_the_two_gpu_model():
    """The grouped convolutions halve conv2, conv4 and conv5: weights by layer as the
    AlexNet paper's architecture gives them (11·11·3·96, 5·5·48·256, 3·3·256·384,
    3·3·192·384, 3·3·192·256, 9216·4096, 4096·4096, 4096·1000)."""
    from costmodel.conformance.reference_nets import alexnet_2012
    model = alexnet_2012()
    weights = [p.numel() for p in model.parameters() if p.dim() > 1]
    assert weights == [11 * 11 * 3 * 96, 5 * 5 * 48 * 256, 3 * 3 * 256 * 384, 3 * 3 * 192 * 384,
                       3 * 3 * 192 * 256, 9216 * 4096, 4096 * 4096, 4096 * 1000]
