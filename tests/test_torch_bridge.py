"""The PyTorch bridge and the fvcore cross-check, on real models and real fvcore.

Expected numbers come from fvcore run in the test and from torchvision's published
metadata (costmodel/published), never from costmodel's own output.
"""

import warnings

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
pytest.importorskip("fvcore")

import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import costmodel  # noqa: E402
from costmodel.crosscheck import crosscheck  # noqa: E402
from costmodel.published import rows  # noqa: E402
from costmodel.torch_bridge import build, fvcore_counts  # noqa: E402

warnings.filterwarnings("ignore")


def fvcore_total(model, res=224):
    return fvcore_counts(model, res)[1]


ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.4)
# The built-ins with layers of their own: the members of a compound-scaled family
# (efficientnet_b1 ... b7) are their file's layers scaled, each checked against torchvision's
# and timm's builds in tests/test_efficientnet.py.
SPEC_FILES = [n for n in costmodel.builtin_names() if not costmodel.spec.load(n).member_of]
RESOLUTIONS = (96, 128, 160, 192, 224, 320)


#: Families whose widths exist only at their own scales: "ShuffleNet s×" at these five
#: (elsewhere a 1×1 group convolution's channels need not divide by its groups: refused).
ALPHAS_OF = {"shufflenet_v1": (0.25, 0.5, 1.0, 1.5, 2.0)}


def alphas(arch: str) -> tuple:
    return ALPHAS_OF.get(arch, ALPHAS)


def sampled_grid(arch: str) -> list[tuple[float, int]]:
    """Six of the 30 α × resolution cells for ``arch``: every α and every resolution once,
    the pairing shifted per architecture so that the built-ins together cover other cells
    (the full grid runs with ``make fuzz``)."""
    shift = costmodel.builtin_names().index(arch)
    a = alphas(arch)
    return [(a[i % len(a)], RESOLUTIONS[(i + shift) % len(RESOLUTIONS)])
            for i in range(len(RESOLUTIONS))]


def _disagreements(arch, grid):
    failures = []
    for alpha, res in grid:
        cc = crosscheck(arch, alpha=alpha, resolution=res)
        if not cc.agrees:
            failures.append((alpha, res, cc.mismatches[:2], cc.engine_total, cc.fvcore_total))
    return failures


def test_the_sample_covers_every_alpha_and_resolution():
    for arch in costmodel.builtin_names():
        grid = sampled_grid(arch)
        assert {a for a, _ in grid} == set(alphas(arch)) and {r for _, r in grid} == set(RESOLUTIONS)


@pytest.mark.parametrize("arch", SPEC_FILES)
def test_builtins_agree_with_fvcore_on_a_sample_of_the_grid(arch):
    """Spec built as a model, counted by fvcore: every module, the total and the params,
    at six α × resolution cells of {0.35, 0.5, 0.75, 1.0, 1.4} × {96, 128, 160, 192, 224, 320}."""
    assert not _disagreements(arch, sampled_grid(arch))


@pytest.mark.fuzz
@pytest.mark.parametrize("arch", SPEC_FILES)
def test_builtins_agree_with_fvcore_everywhere(arch):
    """As above at every cell of the grid (``make fuzz``)."""
    assert not _disagreements(arch, [(a, r) for a in alphas(arch) for r in RESOLUTIONS])


@pytest.mark.parametrize("arch", ["mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"])
def test_builtins_with_torchvision_rounding_agree(arch):
    for alpha in (0.35, 0.75, 1.4):
        assert crosscheck(arch, alpha=alpha, resolution=224, rounding="torchvision").agrees


# torchvision's models at 224: fvcore totals, parameters (its weights metadata) and the
# paper convention (conv + linear MACs; torchvision's `_ops` metadata 0.301 / 0.217 / 0.057).
TORCHVISION = [
    ("mobilenet_v2", 314_193_216, 3_504_872, 300_774_272),
    ("mobilenet_v3_large", 226_033_824, 5_483_032, 216_589_760),
    ("mobilenet_v3_small", 59_649_536, 2_542_856, 56_510_400),
]


@pytest.mark.parametrize("name,fv,params,paper", TORCHVISION)
def test_torchvision_models(name, fv, params, paper):
    model = torchvision.models.get_model(name, weights=None).eval()
    measured = fvcore_total(model)
    assert measured == fv                               # fvcore itself, here and now
    c = costmodel.count(model, resolution=224)
    assert c.in_convention("fvcore").totals.madds == measured
    assert c.in_convention("pytorch").totals.params == sum(p.numel() for p in model.parameters()) == params
    published = [r for r in rows() if r.source == "torchvision" and r.arch == name]
    assert all(int(r.params) == params for r in published)
    assert c.totals.madds == paper
    assert all(f"{paper / 1e9:.3f}" == r.madds for r in published)     # the `_ops` field
    assert crosscheck(f"torchvision:{name}").agrees


def test_torchvision_v3_large_width_075_equals_the_torchvision_rounding_spec():
    model = torchvision.models.mobilenet_v3_large(weights=None, width_mult=0.75).eval()
    tv = costmodel.count(model)
    spec = costmodel.count("mobilenet_v3_large", alpha=0.75, rounding="torchvision")
    assert fvcore_total(model) == spec.in_convention("fvcore").totals.madds
    assert sum(p.numel() for p in model.parameters()) == spec.in_convention("pytorch").totals.params
    assert tv.totals == spec.totals
    def convs(c):       # the convolutions on feature maps (SE's 1×1 convs act on pooled maps)
        return [(r.input, r.output) for r in c.layers
                if r.kind in ("pointwise", "depthwise", "standard") and r.input[1] > 1]
    assert convs(tv) == convs(spec)


def test_spec_built_model_runs_and_has_the_specs_shapes():
    c = costmodel.count("mobilenet_v3_small", alpha=0.5, resolution=161)
    model = build("mobilenet_v3_small", alpha=0.5, resolution=161)
    out = model(torch.zeros(2, 3, 161, 161))
    assert out.shape == (2, 1000)
    names = {n for n, _ in model.named_modules()}
    for r in c.layers:
        assert r.module in names or r.module == ""
    # extracting the built model gives back the spec's costs, in every convention
    e = costmodel.count(model, resolution=161)
    for conv in ("paper", "pytorch", "fvcore"):
        assert e.in_convention(conv).totals == c.in_convention(conv).totals


# ----------------------------------------------------------------- models in other styles

class Nested(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6()),
            nn.Sequential(nn.Sequential(nn.Conv2d(8, 8, 5, 1, 2, groups=8), nn.Hardswish())),
            nn.Conv2d(8, 16, 1), nn.BatchNorm2d(16))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.1), nn.Linear(16, 7))

    def forward(self, x):
        return self.head(self.pool(self.body(x)))


class FunctionalBlock(nn.Module):
    """A custom block with functional calls in forward: pooling, gates, scale, residual."""

    def __init__(self, c):
        super().__init__()
        self.expand = nn.Conv2d(c, 4 * c, 1, bias=False)
        self.dw = nn.Conv2d(4 * c, 4 * c, 3, padding=1, groups=4 * c, bias=False)
        self.fc1 = nn.Conv2d(4 * c, c, 1)
        self.fc2 = nn.Conv2d(c, 4 * c, 1)
        self.project = nn.Conv2d(4 * c, c, 1, bias=False)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu(self.expand(x))
        y = F.hardswish(self.dw(y))
        s = F.adaptive_avg_pool2d(y, 1)
        s = F.hardsigmoid(self.fc2(F.relu(self.fc1(s))))
        y = y * s
        return x + self.bn(self.project(y))


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 12, 3, 2, 1)
        self.blocks = nn.ModuleList([FunctionalBlock(12), FunctionalBlock(12)])
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        x = F.relu6(self.stem(x))
        for b in self.blocks:
            x = b(x)
        x = F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)
        return self.fc(x)


class Shared(nn.Module):
    """One convolution module called twice (its parameters count once)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.shared = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        x = self.stem(x)
        x = self.shared(x)
        x = self.shared(torch.relu(x))
        x = self.bn(x)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


@pytest.mark.parametrize("cls,res", [(Nested, 33), (Functional, 40), (Shared, 17)])
def test_extraction_of_other_styles(cls, res):
    model = cls().eval()
    c = costmodel.count(model, resolution=res)
    assert c.unsupported == {}
    assert c.in_convention("pytorch").totals.params == sum(p.numel() for p in model.parameters())
    cc = crosscheck(model, resolution=res)
    assert cc.agrees, cc.mismatches


def test_functional_calls_are_found():
    c = costmodel.count(Functional().eval(), resolution=40)
    types = [(r.name, r.type) for r in c.layers]
    assert ("blocks.0.adaptive_avg_pool2d", "avgpool") in types
    assert ("blocks.0.hardsigmoid", "act") in types and ("blocks.0.mul", "mul") in types
    assert ("blocks.0.add", "add") in types and ("stem.relu6", "act") not in types
    assert c["blocks.0.mul"].facts["mul"] == 48 * 20 * 20
    assert c["blocks.1.add"].facts["add"] == 12 * 20 * 20


def test_shared_module_counts_twice_in_madds_once_in_params():
    c = costmodel.count(Shared().eval(), resolution=17)
    shared = [r for r in c.layers if r.module == "shared"]
    assert len(shared) == 2 and shared[0].madds == shared[1].madds == 9 * 16 * 16 * 17 * 17
    assert shared[0].weights == 9 * 16 * 16 and shared[1].weights == 0


def test_operations_without_formula_are_reported_not_zeroed():
    class WithFFT(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.pool = nn.MaxPool2d(2)

        def forward(self, x):
            x = self.pool(self.conv(x))
            return torch.fft.fft2(torch.cat([x, x], 1) / 2).real

    c = costmodel.count(WithFFT(), resolution=16)
    assert c.unsupported == {"fft_fft2": 1}
    assert not c.complete
    kinds = {r.type for r in c.layers}
    assert {"pool", "reshape", "eltwise", "uncounted"} <= kinds
    assert c.totals.madds == 3 * 3 * 3 * 4 * 14 * 14


def test_meta_device_is_used_where_it_works():
    from costmodel.capture import capture
    assert capture(torchvision.models.mobilenet_v2(weights=None), (3, 224, 224)).device == "meta"


@pytest.mark.parametrize("name", ["mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"])
def test_builtin_and_torchvision_have_the_same_facts(name):
    """The built-in spec calls every operation the way torchvision's model does (modules,
    functional pools), so every convention, peer counters included, counts them alike."""
    from costmodel.conventions import CONVENTIONS
    tv = costmodel.count(f"torchvision:{name}")
    spec = costmodel.count(name)
    assert tv.fact_totals() == spec.fact_totals()
    for conv in CONVENTIONS:
        assert tv.in_convention(conv).totals == spec.in_convention(conv).totals, conv
