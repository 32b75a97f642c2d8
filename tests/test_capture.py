"""Any model, however it is written: operator-level capture against independent counters.

Every expected number comes from a counter run here: torch's ``FlopCounterMode`` (on the
meta device; its FLOPs / 2 are the ``paper`` MACs), ``sum(p.numel())`` (the ``pytorch``
params) and fvcore's ``FlopCountAnalysis`` (the ``fvcore`` convention), never from
costmodel's own output.  The models are small (a second or two each); the zoo
(``benchmarks/zoo.py``, and ``-m zoo`` below) runs the large ones.
"""

import copy
import json
import runpy
import textwrap
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
pytest.importorskip("fvcore")

import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import costmodel  # noqa: E402
from costmodel.capture import capture  # noqa: E402
from costmodel.crosscheck import crosscheck  # noqa: E402
from costmodel.torch_bridge import fvcore_counts  # noqa: E402

warnings.filterwarnings("ignore")


def flop_counter_macs(model, shape):
    """FlopCounterMode's FLOPs / 2 on the meta device (the CPU where the model needs it)."""
    from torch.utils.flop_counter import FlopCounterMode
    try:
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            copy.deepcopy(model).to("meta")(torch.zeros(1, *shape, device="meta"))
    except RuntimeError:
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model(torch.zeros(1, *shape))
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2


def numel(model):
    return sum(p.numel() for p in model.parameters())


def check_against_counters(model, shape, fvcore=True):
    """paper = FlopCounterMode / 2, pytorch params = sum(numel), fvcore = fvcore."""
    model = model.eval()
    c = costmodel.count(model, input_shape=shape)
    assert c.totals.madds == flop_counter_macs(model, shape)
    assert c.in_convention("pytorch").totals.params == numel(model)
    if fvcore:
        _, total, skipped = fvcore_counts(model, None, input_shape=shape)
        assert c.in_convention("fvcore").totals.madds == total, skipped
    return c


# ----------------------------------------------------------------- styles of writing a model

class OwnParameters(nn.Module):
    """Convolutions and a linear layer written with the module's own nn.Parameter and
    functional calls (weight standardisation, as in BiT / NFNets)."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(16, 3, 3, 3))
        self.b1 = nn.Parameter(torch.zeros(16))
        self.w2 = nn.Parameter(torch.randn(32, 16, 3, 3))
        self.fc_w = nn.Parameter(torch.randn(10, 32))

    def forward(self, x):
        x = F.relu(F.conv2d(x, self.w1, self.b1, stride=2, padding=1))
        w = self.w2 - self.w2.mean(dim=(1, 2, 3), keepdim=True)
        x = F.conv2d(x, w / (w.std(dim=(1, 2, 3), keepdim=True) + 1e-5), padding=1)
        x = x.mean((2, 3))
        return F.linear(x, self.fc_w)


class HandAttention(nn.Module):
    """A ViT block written by hand: tokens [B, N, D], q @ kᵀ, softmax, @ v, LayerNorm, GELU,
    a class token and position embedding as parameters."""

    def __init__(self, d=32, heads=4):
        super().__init__()
        self.patch = nn.Conv2d(3, d, 8, stride=8)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.zeros(1, 17, d))
        self.norm1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.heads = heads
        self.head = nn.Linear(d, 10)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads) \
            .permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5
        y = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, d)
        x = x + self.proj(y)
        x = x + self.mlp(self.norm2(x))
        return self.head(x[:, 0])


class TorchAttention(nn.Module):
    """nn.MultiheadAttention (batch_first: fused in eval for fvcore), SDPA and einsum."""

    def __init__(self, d=32):
        super().__init__()
        self.embed = nn.Conv2d(3, d, 4, stride=4)
        self.mha = nn.MultiheadAttention(d, 4, batch_first=True)
        self.qkv = nn.Linear(d, 3 * d)
        self.gn = nn.GroupNorm(4, d)
        self.head = nn.Linear(d, 5)

    def forward(self, x):
        x = self.gn(self.embed(x))
        t = x.flatten(2).transpose(1, 2)
        t = t + self.mha(t, t, t, need_weights=False)[0]
        q, k, v = self.qkv(t).unflatten(-1, (3, 4, 8)).permute(2, 0, 3, 1, 4)
        t = t + F.scaled_dot_product_attention(q, k, v).transpose(1, 2).flatten(2)
        s = torch.einsum("bnd,bmd->bnm", t, t).softmax(-1)
        t = torch.einsum("bnm,bmd->bnd", s, t)
        return self.head(t.mean(1))


class NormAct(nn.BatchNorm2d):
    """timm's BatchNormAct2d style: a BatchNorm2d subclass with a child, calling F.batch_norm."""

    def __init__(self, c):
        super().__init__(c)
        self.act = nn.SiLU()

    def forward(self, x):
        x = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                         False, 0.0, self.eps)
        return self.act(x)


class Norms(nn.Module):
    """Batch norm subclass, instance norm, 1-D convolution and batch norm, transposed
    convolution, max pooling, upsampling."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = NormAct(8)
        self.inorm = nn.InstanceNorm2d(8, affine=True)
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.conv1d = nn.Conv1d(4, 6, 3, groups=2)
        self.bn1d = nn.BatchNorm1d(6)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = self.pool(self.inorm(self.bn(self.conv(x))))
        x = F.interpolate(self.up(x), scale_factor=2, mode="nearest")
        x = self.bn1d(self.conv1d(x.flatten(2)))
        return self.fc(F.adaptive_avg_pool1d(x, 1).flatten(1))


class LeNet(nn.Module):
    """A 1-channel 28×28 LeNet-5."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.f1 = nn.Linear(16 * 5 * 5, 120)
        self.f2 = nn.Linear(120, 84)
        self.f3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.tanh(self.c1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.c2(x)), 2)
        x = torch.tanh(self.f1(x.flatten(1)))
        return self.f3(torch.tanh(self.f2(x)))


@pytest.mark.parametrize("cls,shape", [
    (OwnParameters, (3, 32, 32)),
    (HandAttention, (3, 32, 32)),
    (TorchAttention, (3, 32, 32)),
    (Norms, (3, 16, 16)),
    (LeNet, (1, 28, 28)),
])
def test_user_written_models(cls, shape):
    torch.manual_seed(0)
    c = check_against_counters(cls(), shape)
    assert c.complete and c.unsupported == {}


def test_own_parameter_convolution_is_a_convolution():
    c = costmodel.count(OwnParameters(), input_shape=(3, 32, 32))
    convs = [r for r in c.layers if r.type == "conv"]
    assert [r.facts["macs"] for r in convs] == [16 * 3 * 9 * 16 * 16, 32 * 16 * 9 * 16 * 16]
    # the standardised weight's parameter is the convolution's weights, counted once
    assert convs[1].weights == 32 * 16 * 9 and convs[0].weights == 16 * 3 * 9
    assert c.totals.params == 16 * 3 * 9 + 32 * 16 * 9 + 10 * 32    # paper: weights only


def test_attention_kinds_and_records():
    c = costmodel.count(TorchAttention(), input_shape=(3, 32, 32))
    types = {r.type for r in c.layers}
    assert {"mha", "attention", "matmul", "norm"} <= types
    mha = next(r for r in c.layers if r.type == "mha")
    assert mha.captured.fused and mha.facts["fused_macs"] > 0        # fvcore skips it whole
    sdpa = next(r for r in c.layers if r.type == "attention")
    assert sdpa.facts["attention_macs"] == 4 * 64 * 64 * (8 + 8)     # B·H·L·S·(E + Ev)
    # every input names where it came from; shapes of any rank
    rec = sdpa.captured
    assert [u.shape for u in rec.inputs] == [(1, 4, 64, 8)] * 3
    assert all(u.source == "layer" and u.producer < rec.index for u in rec.inputs)
    first = c.layers[0].captured
    assert first.inputs[0].source == "input" and first.inputs[1].source == "param"


def test_never_called_modules_are_counted_and_listed():
    import torchvision
    model = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False).eval()
    c = costmodel.count(model)
    assert c.in_convention("pytorch").totals.params == numel(model)
    assert set(c.uncalled) == {"aux1", "aux2"}
    assert sum(c.uncalled.values()) == numel(model.aux1) + numel(model.aux2)
    assert c.totals.madds == flop_counter_macs(model, (3, 224, 224))


class WithFFT(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)

    def forward(self, x):
        return torch.fft.fft2(self.conv(x)).abs()


def test_operation_without_formula_is_announced_and_strict_fails(run, tmp_path):
    c = costmodel.count(WithFFT(), input_shape=(1, 16, 16))
    assert c.unsupported == {"fft_fft2": 1} and not c.complete
    p = tmp_path / "fftnet.py"
    p.write_text(textwrap.dedent("""
        import torch
        import torch.nn as nn
        from fftpart import make_conv       # a sibling module: the file's folder is importable

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = make_conv()

            def forward(self, x):
                return torch.fft.fft2(self.conv(x)).abs()
    """))
    (tmp_path / "fftpart.py").write_text("import torch.nn as nn\n\ndef make_conv():\n"
                                         "    return nn.Conv2d(1, 4, 3)\n")
    r = run("table", f"{p}:Net", "--input", "1x16x16")
    assert r.exit_code == 0 and "fft_fft2 ×1" in r.stderr and "INCOMPLETE" in r.stdout
    r = run("table", f"{p}:Net", "--input", "1x16x16", "--strict")
    assert r.exit_code == 1 and "fft_fft2 ×1" in r.stderr
    doc = json.loads(run("table", f"{p}:Net", "--input", "1x16x16", "--format", "json").stdout)
    assert doc["uncounted"] == {"fft_fft2": 1} and doc["complete"] is False


def test_input_option_non_square_and_one_channel(run, tmp_path):
    p = tmp_path / "lenet.py"
    p.write_text(textwrap.dedent("""
        import torch.nn as nn
        def make():
            return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(6 * 24 * 20, 10))
    """))
    r = run("table", f"{p}:make", "--input", "1x28x24", "--format", "json", "--strict")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["totals"]["madds"] == 6 * 25 * 24 * 20 + 6 * 24 * 20 * 10
    bad = run("table", f"{p}:make", "--input", "28by28")
    assert bad.exit_code == 2 and "--input" in bad.stderr


def test_the_readme_lenet_example(run):
    """`costmodel table docs/examples/lenet.py:LeNet --input 1x28x28 --strict`, as the README
    writes it: complete, and equal to FlopCounterMode / 2, sum(numel) and fvcore."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "docs" / "examples" / "lenet.py"
    spec = importlib.util.spec_from_file_location("readme_lenet", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.LeNet()
    check_against_counters(model, (1, 28, 28))
    r = run("table", f"{path}:LeNet", "--input", "1x28x28", "--strict", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["totals"]["madds"] == flop_counter_macs(model, (1, 28, 28))
    assert doc["complete"] is True


def test_crosscheck_on_a_vit_names_what_fvcore_skips():
    model = HandAttention().eval()
    cc = crosscheck(model, input_shape=(3, 32, 32))
    assert cc.agrees
    t = TorchAttention().eval()
    cc = crosscheck(t, input_shape=(3, 32, 32))
    assert cc.agrees and "aten::_native_multi_head_attention" in cc.fvcore_skipped
    assert "aten::scaled_dot_product_attention" in cc.fvcore_skipped


# ----------------------------------------------------------------- real models (a sample)

@pytest.mark.parametrize("name,shape", [
    ("timm:test_vit", (3, 160, 160)),
    ("timm:test_convnext", (3, 160, 160)),
    ("timm:test_efficientnet", (3, 160, 160)),
    ("timm:test_maxvit", (3, 160, 160)),
    ("torchvision:squeezenet1_1", (3, 96, 96)),
])
def test_real_models_sample(name, shape):
    pytest.importorskip("timm") if name.startswith("timm:") else None
    from costmodel.torch_bridge import load_model
    check_against_counters(load_model(name), shape)


ZOO = ["torchvision:resnet50", "torchvision:vit_b_16", "torchvision:swin_t",
       "torchvision:convnext_tiny", "torchvision:maxvit_t", "torchvision:inception_v3",
       "timm:mobilenetv4_hybrid_medium", "timm:mobilevit_s", "timm:efficientvit_b0",
       "timm:fastvit_t8", "timm:levit_128s", "timm:edgenext_small"]


@pytest.mark.zoo
@pytest.mark.parametrize("name", ZOO)
def test_zoo(name):
    pytest.importorskip("timm") if name.startswith("timm:") else None
    from costmodel.torch_bridge import load_model
    shape = (3, 299, 299) if name.endswith("inception_v3") else (3, 224, 224)
    check_against_counters(load_model(name), shape)


def test_grid_sample_counts_as_fvcore_does():
    """A kind added late (GridSample): one class in op_kinds.py, this test."""
    class Sample(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return F.grid_sample(self.conv(x), torch.zeros(1, 6, 5, 2), align_corners=False)

    c = check_against_counters(Sample(), (3, 16, 16))
    assert [r.kind for r in c.layers if r.type == "upsample"] == ["grid sample"]


@pytest.mark.parametrize("name,paper,allow", [
    ("timm:mobilenetv2_100", "mobilenet_v2", ()),
    ("timm:mobilenetv3_large_100", "mobilenet_v3_large", ()),
    ("timm:mobilenetv3_small_100", "mobilenet_v3_small", ()),
    # timm's MobileNetV1 uses ReLU6 (as TF-slim's does); the paper's Table 1 says ReLU
    ("timm:mobilenetv1_100", "mobilenet_v1", ("nonlinearity",)),
])
def test_timm_mobilenets_conform_to_their_papers(name, paper, allow):
    """Fused norm + activation (BatchNormAct2d), SE squeezing with x.mean((2, 3)), a head
    convolution on the pooled map: read as the paper's blocks."""
    pytest.importorskip("timm")
    from costmodel.conformance import check_model
    result = check_model(name, paper, allow=allow)
    assert not result.deviations, [d.line() for d in result.deviations]


def test_an_se_with_a_batch_norm_and_no_biases_is_read_as_an_se():
    """Public MobileNetV3 code's SE (a batch norm in the squeeze path, no biases) is an SE:
    no block deviation; its batch norms are a deviation of norms and its missing biases one of
    biases, each with its parameters counted from the model itself."""
    pytest.importorskip("torchvision")
    from torchvision.models import mobilenet_v3_small
    from torchvision.ops.misc import SqueezeExcitation

    from costmodel.conformance import check_model
    path = Path(__file__).parent / "models" / "public_v3_se.py"
    result = check_model(f"{path}:make", "mobilenet_v3_small")
    assert [d.kind for d in result.deviations] == ["biases", "norms"], result.text()
    ses = [m for m in mobilenet_v3_small().modules() if isinstance(m, SqueezeExcitation)]
    paper_biases = sum(m.fc1.bias.numel() + m.fc2.bias.numel() for m in ses)
    bn = sum(p.numel() for m in runpy.run_path(str(path))["make"]().modules()
             if type(m).__name__ == "PublicSE" for n, p in m.named_parameters() if n.startswith("se.2."))
    biases, norms = result.deviations
    assert (biases.params, norms.params) == (-paper_biases, bn)
    assert "9 layer(s) without the bias" in biases.text and "9 layer(s) with batch norm" in norms.text
