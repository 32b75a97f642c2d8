"""MODEL arguments (torchvision:NAME, file.py:callable) and `costmodel crosscheck` on the command line."""

import json
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("torch")
pytest.importorskip("fvcore")

from conftest import ROOT, assert_one_line_error  # noqa: E402

GOOD = textwrap.dedent("""
    import torch.nn as nn

    class Tiny(nn.Module):
        def __init__(self, width=8, classes=5):
            super().__init__()
            self.conv = nn.Conv2d(3, width, 3, padding=1)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(width, classes)

        def forward(self, x):
            return self.fc(self.pool(self.conv(x)).flatten(1))

    def make(width=8):
        return Tiny(width)

    def broken():
        raise ValueError("no such width")

    def fixed_size():
        return nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 30 * 30, 2))

    not_a_model = 3
""")


@pytest.fixture
def model_file(tmp_path):
    p = tmp_path / "net.py"
    p.write_text(GOOD)
    return p


def test_python_file_model(run, model_file):
    r = run("table", f"{model_file}:Tiny", "--kwargs", "width=16,classes=3", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["totals"]["madds"] == 3 * 3 * 3 * 16 * 224 * 224 + 16 * 3
    assert doc["uncounted"] == {} and doc["complete"] and doc["model_params"] == 3 * 9 * 16 + 16 + 16 * 3 + 3
    assert run("table", f"{model_file}:make").exit_code == 0


def test_torchvision_model_with_kwargs(run):
    r = run("table", "torchvision:mobilenet_v3_large", "--kwargs", "width_mult=0.75", "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["totals"]["madds"] == 140_033_816   # torchvision's 0.75 model


@pytest.mark.parametrize("ref,parts", [
    ("{f}:nothing", ["net.py", "has no 'nothing'"]),
    ("{f}:broken", ["net.py:broken", "ValueError: no such width", "net.py:18"]),
    ("{f}:not_a_model", ["not a class, a function or a module"]),
    ("{d}/missing.py:Tiny", ["missing.py", "no such file"]),
    ("torchvision:mobilenet_v9", ["torchvision has no model 'mobilenet_v9'"]),
])
def test_bad_models(run, model_file, ref, parts):
    ref = ref.format(f=model_file, d=model_file.parent)
    assert_one_line_error(run("table", ref), *parts)


def test_syntax_error(run, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\ndef f(:\n    pass\n")
    assert_one_line_error(run("table", f"{bad}:f"), "bad.py:2", "syntax error")


def test_import_error(run, tmp_path):
    bad = tmp_path / "imports.py"
    bad.write_text("import torch\nimport no_such_package_here\n")
    assert_one_line_error(run("crosscheck", f"{bad}:f"), "imports.py", "ModuleNotFoundError", "imports.py:2")


def test_model_that_cannot_run_at_the_resolution(run, model_file):
    assert run("table", f"{model_file}:fixed_size", "--resolution", "32").exit_code == 0
    assert_one_line_error(run("table", f"{model_file}:fixed_size", "--resolution", "40"),
                          "cannot run at resolution 40×40")


def test_alpha_does_not_apply_to_models(run):
    assert_one_line_error(run("table", "torchvision:mobilenet_v2", "--alpha", "0.5"), "width_mult")


def test_crosscheck_command(run, model_file):
    r = run("crosscheck", "mobilenet_v3_small", "--resolution", "160")
    assert r.exit_code == 0, r.stdout
    assert "agree: every module, the total and the parameters" in r.stdout
    assert "aten::hardswish" in r.stdout          # what fvcore skipped
    r = run("crosscheck", "torchvision:mobilenet_v2", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["agrees"] and doc["totals"]["fvcore"] == 314_193_216
    assert doc["fvcore_skipped"] == {"aten::hardtanh_": 35, "aten::add": 10}
    assert run("crosscheck", f"{model_file}:Tiny", "--kwargs", "width=4").exit_code == 0


def test_crosscheck_unit(run):
    macs = json.loads(run("crosscheck", "mobilenet_v3_small", "--resolution", "96",
                          "--format", "json").stdout)
    r = run("crosscheck", "mobilenet_v3_small", "--resolution", "96", "--unit", "flops")
    assert r.exit_code == 0 and "fvcore (FLOPs)" in r.stdout and "(MACs)" not in r.stdout
    flops = json.loads(run("crosscheck", "mobilenet_v3_small", "--resolution", "96", "--unit",
                           "flops", "--format", "json").stdout)
    assert flops["unit"] == "flops" and flops["totals"]["fvcore"] == 2 * macs["totals"]["fvcore"]


def test_crosscheck_exits_1_on_disagreement(run, tmp_path):
    # a model whose operation fvcore counts and the engine does not: a grid sample counted
    # by fvcore's handle, outside any module fvcore sees, next to an FFT with no formula
    p = tmp_path / "grid.py"
    p.write_text(textwrap.dedent("""
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        class Sample(nn.Module):
            def forward(self, x):
                return torch.fft.fft2(x).real + F.grid_sample(x, torch.zeros(1, 14, 14, 2),
                                                              align_corners=False)
        def make():
            return nn.Sequential(nn.Conv2d(3, 4, 3), Sample())
    """))
    r = run("crosscheck", f"{p}:make", "--resolution", "16")
    assert r.exit_code == 0 and "fft_fft2 ×1" in r.stdout       # fvcore skips the FFT too
    assert run("crosscheck", f"{p}:make", "--resolution", "16", "--strict").exit_code == 1


NO_TORCH = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('torch', 'torchvision', 'fvcore'):
            raise ImportError('no ' + name)
sys.meta_path.insert(0, Block())
sys.path.insert(0, {root!r})
from cli import main
main({args!r})
"""


@pytest.mark.parametrize("args,code,text", [
    (["crosscheck", "mobilenet_v2"], 2, "install the 'torch' extra"),
    (["table", "torchvision:mobilenet_v2"], 2, "install the 'torch' extra"),
    (["table", "mobilenet_v2"], 0, "300,774,272"),
    (["sweep", "mobilenet_v2"], 0, "closed form"),
])
def test_without_torch(args, code, text):
    out = subprocess.run([sys.executable, "-c", NO_TORCH.format(root=str(ROOT), args=args)],
                         capture_output=True, text=True)
    assert out.returncode == code, out.stderr
    if code == 2:
        assert out.stderr.count("\n") == 1 and text in out.stderr and "Traceback" not in out.stderr
    else:
        assert text in out.stdout
