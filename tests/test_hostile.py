"""Hostile input (issue 10): exact or refused, never a wrapped number, a traceback, a hang or an
ignored option.  One class per class of input; every refusal is exit 2, one line, no traceback
and no file left behind.  Expected counts are worked out here from the layer formulas
(Kh·Kw·M·N weights, times Ho·Wo for MAdds), not pasted from the engine's output."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys

import pytest

import costmodel
from conftest import ROOT, assert_one_line_error
from costmodel.errors import SpecError, UsageError

BIG = 10 ** 12          # channels: weights·positions pass int64 (9.2·10¹⁸)
HUGE = 10 ** 20         # a width that is itself past int64


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def assert_no_files(folder, *keep):
    left = sorted(p.name for p in folder.iterdir() if p.name not in keep)
    assert left == [], left


def assert_refused(result, folder=None, *parts, keep=()):
    err = assert_one_line_error(result, *parts)
    if folder is not None:
        assert_no_files(folder, *keep)
    return err


class TestCountsPastInt64:
    """Counts are exact Python integers where int64 would wrap; the int64 path is unchanged."""

    def test_channels_of_10_to_the_12(self):
        spec = {"input": {"channels": 3, "resolution": 224},
                "layers": [{"type": "conv", "k": 3, "out": BIG, "norm": "none", "act": "none"},
                           {"type": "conv", "k": 1, "out": BIG, "norm": "none", "act": "none"}]}
        c = costmodel.count(spec)
        w0, w1 = 3 * 3 * 3 * BIG, BIG * BIG
        assert c.totals.params == w0 + w1
        assert c.totals.madds == (w0 + w1) * 224 * 224
        assert c.totals.madds > 2 ** 63 and all(r.madds >= 0 for r in c.layers)

    @pytest.mark.parametrize("fmt", ["toml", "json"])
    def test_a_width_past_int64_in_a_file(self, tmp_path, run, fmt):
        text = ('layers = [ { type = "conv", k = 1, out = %d, norm = "none", act = "none" } ]' % HUGE
                if fmt == "toml" else
                json.dumps({"layers": [{"type": "conv", "k": 1, "out": HUGE, "norm": "none",
                                        "act": "none"}]}))
        p = write(tmp_path, f"huge.{fmt}", text)
        r = run("table", p, "--format", "json")
        assert r.exit_code == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["totals"]["params"] == 3 * HUGE
        assert doc["totals"]["madds"] == 3 * HUGE * 224 * 224

    def test_resolution_of_10_to_the_9(self):
        c = costmodel.count({"layers": [{"type": "conv", "k": 1, "out": 64, "norm": "none",
                                         "act": "none"}]}, resolution=10 ** 9)
        assert c.totals.madds == 3 * 64 * 10 ** 18

    def test_padding_of_10_to_the_9(self):
        p = 10 ** 9
        c = costmodel.count({"input": {"channels": 1, "resolution": 8}, "layers": [
            {"type": "conv", "k": 1, "out": 4096, "padding": p, "norm": "none", "act": "none"},
            {"type": "conv", "k": 1, "out": 4096, "norm": "none", "act": "none"}]})
        side = 8 + 2 * p
        assert c.totals.madds == (4096 + 4096 * 4096) * side * side

    def test_classes_past_int64(self, run):
        n = 10 ** 19
        r = run("table", "mobilenet_v1", "--classes", n, "--format", "json")
        assert r.exit_code == 0, r.stderr
        fc = json.loads(r.stdout)["layers"][-1]
        assert fc["weights"] == 1024 * n and fc["madds"] == 1024 * n

    @pytest.mark.parametrize("alpha", ["1e15", "1e300"])
    def test_huge_alpha_is_exact_and_positive(self, run, alpha):
        r = run("table", "mobilenet_v2", "--alpha", alpha, "--format", "json")
        assert r.exit_code == 0, r.stderr
        doc = json.loads(r.stdout)
        assert all(row["madds"] >= 0 and row["params"] >= 0 for row in doc["layers"])
        total = sum(row["madds"] for row in doc["layers"])
        assert total == doc["totals"]["madds"] > 2 ** 63

    def test_huge_rho_and_closed_form(self, run):
        r = run("table", "mobilenet_v1", "--rho", "1e300")
        assert r.exit_code == 0, r.stderr
        assert "closed form" in r.stdout and "-" not in r.stdout.split("MAdds (paper, MACs)")[1][:40]

    def test_huge_t_counts_and_infinite_t_is_refused(self, tmp_path, run):
        ok = write(tmp_path, "t.toml", 'layers = [ { type = "conv", out = 16 }, '
                                       '{ type = "bottleneck", t = 1e300, c = 16 } ]')
        assert run("table", ok).exit_code == 0
        for text in ('layers = [ { type = "conv", out = 16 }, { type = "bottleneck", t = inf, c = 16 } ]',):
            bad = write(tmp_path, "inf.toml", text)
            assert_refused(run("table", bad), None, "inf.toml", "field 't'", "finite")
        bad = write(tmp_path, "inf.json", '{"layers": [{"type": "conv", "out": 16}, '
                                          '{"type": "bottleneck", "t": Infinity, "c": 16}]}')
        assert_refused(run("table", bad), None, "inf.json", "field 't'", "finite")

    def test_a_kernel_past_int64(self):
        k = 2 ** 70
        c = costmodel.count({"input": {"channels": 1, "resolution": 1}, "layers": [
            {"type": "conv", "k": k, "padding": k, "out": 2, "norm": "none", "act": "none"}]})
        side = (1 + 2 * k - k) + 1
        assert c.totals.params == k * k * 2 and c.totals.madds == k * k * 2 * side * side

    def test_ordinary_counts_stay_int64(self):
        c = costmodel.count("mobilenet_v1")
        assert c.F.dtype.name == "int64"
        assert (c.totals.madds, c.totals.params) == (568740352, 4209088)   # the V1 paper's table

    def test_plot_layers_of_huge_counts(self, tmp_path, run):
        spec = write(tmp_path, "big.toml", f'layers = [ {{ type = "conv", out = {BIG} }}, '
                                           f'{{ type = "conv", k = 1, out = {BIG} }} ]')
        r = run("plot", "layers", spec, "--out", tmp_path / "big.svg")
        assert r.exit_code == 0, r.stderr
        assert (tmp_path / "big.svg").exists()


class TestExplicitSqueeze:
    """A squeeze width written in the spec is the model's width at α = 1."""

    @pytest.mark.parametrize("squeeze", [1, 4, 5, 12])
    def test_explicit_squeeze_is_kept(self, squeeze):
        c = costmodel.count({"layers": [{"type": "conv", "out": 16},
                                        {"type": "se", "squeeze": squeeze, "name": "se"}]})
        assert c["se"].mid == squeeze
        assert c["se"].weights == 2 * 16 * squeeze

    def test_default_squeeze_still_rounds(self):
        c = costmodel.count({"layers": [{"type": "conv", "out": 16}, {"type": "se", "name": "se"}]})
        assert c["se"].mid == 8                          # make_divisible(16 / 4, 8)

    def test_built_model_has_the_written_squeeze(self):
        pytest.importorskip("torch")
        from costmodel.torch_bridge import build
        m = build({"layers": [{"type": "conv", "out": 16}, {"type": "se", "squeeze": 4, "name": "se"}]})
        assert m.se.fc1.out_channels == 4 and m.se.fc2.in_channels == 4


class TestZeroChannels:
    """A width that rounds to 0 channels is refused, naming the layer and field."""

    SPEC = 'layers = [ { type = "conv", out = 8 }, { type = "bottleneck", t = 0.001, c = 8 } ]'

    @pytest.mark.parametrize("extra", [[], ["--formulas"], ["--format", "csv"]])
    def test_table(self, tmp_path, run, extra):
        p = write(tmp_path, "zero.toml", self.SPEC)
        assert_refused(run("table", p, *extra), None, "zero.toml", "layer bottleneck0.expand",
                       "field 't'", "0 channels")

    def test_crosscheck(self, tmp_path, run):
        p = write(tmp_path, "zero.toml", self.SPEC)
        assert_refused(run("crosscheck", p), None, "field 't'")

    def test_rounds_to_zero_only_at_a_small_alpha(self):
        spec = {"layers": [{"type": "conv", "out": 32},
                           {"type": "bottleneck", "t": 0.05, "c": 8, "name": "b"}]}
        assert costmodel.count(spec, rounding="torchvision")["b.expand"].output[0] == 2
        with pytest.raises(SpecError) as e:
            costmodel.count(spec, alpha=0.25, rounding="torchvision")
        assert e.value.layer == "b.expand" and e.value.field == "t"


class TestTyposThatPassed:
    def test_unknown_scalar_default(self, tmp_path, run):
        p = write(tmp_path, "d.toml", 'defaults = { actt = "hswish" }\nlayers = [ { type = "conv", out = 8 } ]')
        assert_refused(run("table", p), None, "d.toml", "defaults.actt")

    def test_known_scalar_default_still_works(self):
        c = costmodel.count({"defaults": {"act": "hswish"},
                             "layers": [{"type": "conv", "out": 8, "name": "c"}]})
        assert c["c"].layer["act"] == "hswish"

    @pytest.mark.parametrize("cmd", [["table"], ["plot", "layers"]])
    def test_kwargs_on_a_spec(self, run, cmd, tmp_path):
        assert_refused(run(*cmd, "mobilenet_v2", "--kwargs", "width_mult=0.5",
                           *(["--out", tmp_path / "x.png"] if cmd[0] == "plot" else [])),
                       tmp_path, "--kwargs", "mobilenet_v2")

    @pytest.mark.parametrize("opt", [["--alpha", "0.5"], ["--classes", "10"],
                                     ["--rounding", "torchvision"]])
    def test_spec_options_on_a_pytorch_model(self, run, opt):
        assert_refused(run("crosscheck", "torchvision:mobilenet_v2", *opt), None, opt[0])

    def test_kwargs_on_crosscheck_of_a_spec(self, run):
        assert_refused(run("crosscheck", "mobilenet_v1", "--kwargs", "num_classes=10"), None,
                       "--kwargs")


class TestLimits:
    """What a spec or an option may expand to is bounded; refused at once, in one line."""

    @pytest.mark.parametrize("text,parts", [
        ('layers = [ { type = "conv", out = 8 }, { repeat = 1000000000, layers = [ { type = "dw" } ] } ]',
         ["field 'repeat'", "100,000"]),
        ('layers = [ { type = "conv", out = 8 }, { type = "bottleneck", t = 6, c = 8, n = 1000000000 } ]',
         ["field 'n'", "100,000"]),
        ('layers = [ { type = "conv", out = 8 }, { repeat = 1000, layers = [ { repeat = 1000, '
         'layers = [ { type = "act" } ] } ] } ]', ["100,000 layers"]),
    ])
    def test_spec_sizes(self, tmp_path, run, text, parts):
        p = write(tmp_path, "big.toml", text)
        assert_refused(run("table", p), None, "big.toml", *parts)

    @pytest.mark.parametrize("kind", ["repeat", "residual"])
    @pytest.mark.parametrize("depth", [65, 3000])
    def test_deep_nesting(self, tmp_path, run, kind, depth):
        inner = {"type": "conv", "k": 1, "out": 4}
        for _ in range(depth):
            inner = ({"repeat": 1, "layers": [inner]} if kind == "repeat"
                     else {"residual": True, "layers": [inner]})
        p = tmp_path / "deep.json"
        p.write_text(json.dumps({"input": {"channels": 4}, "layers": [inner]}) if depth < 900 else
                     '{"input": {"channels": 4}, "layers": [' + ('{"repeat": 1, "layers": [' * depth)
                     + '{"type": "conv", "k": 1, "out": 4}' + ']}' * depth + ']}')
        err = assert_refused(run("table", p), None, "deep.json")
        assert "64" in err

    def test_nesting_at_the_limit_builds(self):
        pytest.importorskip("torch")
        import torch
        from costmodel.torch_bridge import build
        inner = {"type": "conv", "k": 1, "out": 4, "norm": "none"}
        for _ in range(64):
            inner = {"residual": True, "layers": [inner]}
        spec = {"input": {"channels": 4, "resolution": 4}, "layers": [inner]}
        m = build(spec)
        assert m(torch.zeros(1, 4, 4, 4)).shape == (1, 4, 4, 4)

    @pytest.mark.parametrize("args,parts", [
        (["sweep", "mobilenet_v1", "--resolution", "1:1000000:1"], ["--resolution", "limit"]),
        (["sweep", "mobilenet_v1", "--resolution", "1:1000000000000:1"], ["--resolution", "limit"]),
        (["sweep", "mobilenet_v1", "--alpha", "0.5:inf:0.5"], ["--alpha"]),
        (["sweep", "mobilenet_v1", "--alpha", "0.01:1:0.01", "--resolution", "100:300:1"],
         ["20,100 points", "10,000"]),
        (["plot", "sweep", "mobilenet_v1", "--alpha", "0.01:2:0.01", "--resolution", "100:199:1"],
         ["plot sweep", "20,000 points", "2,500"]),
    ])
    def test_option_sizes(self, run, tmp_path, args, parts):
        if args[0] == "plot":
            args = args + ["--out", str(tmp_path / "s.png")]
        assert_refused(run(*args), tmp_path, *parts)

    def test_plot_layers_of_10000_layers(self, tmp_path, run):
        p = write(tmp_path, "long.toml", 'layers = [ { type = "conv", k = 1, out = 4 }, '
                                         '{ repeat = 10000, layers = [ { type = "conv", k = 1, out = 4 } ] } ]')
        assert_refused(run("plot", "layers", p, "--out", tmp_path / "l.png"), tmp_path,
                       "10,001 layers", "2,000", keep=("long.toml",))

    def test_limits_are_in_the_help(self, run):
        h = run("--help").stdout
        assert "100,000 layers" in h and "64" in h and "10,000" in h
        assert "10,000" in run("sweep", "--help").stdout
        assert "2,500" in run("plot", "sweep", "--help").stdout
        assert "2,000" in run("plot", "layers", "--help").stdout


class TestPyTorchSideOfOddSpecs:
    @pytest.mark.parametrize("spec", [
        'layers = [ { type = "conv", out = 1000000000000 } ]',
        'input = { channels = 3, resolution = 100000 }\nlayers = [ { type = "conv", out = 64 } ]',
    ])
    @pytest.mark.parametrize("cmd", ["crosscheck", "reconcile"])
    def test_too_large_to_build_is_refused_before_allocating(self, tmp_path, run, spec, cmd):
        pytest.importorskip("torch")
        p = write(tmp_path, "big.toml", spec)
        assert_refused(run(cmd, p), None, "big", "GiB", "limit")

    @pytest.mark.parametrize("names", [("forward", "steps", "training"), ("a.b", "a", "a.c"),
                                       ("a", "a.b", "eval")])
    def test_names_that_clash_build_and_agree(self, names):
        pytest.importorskip("fvcore")
        from costmodel.crosscheck import crosscheck
        layers = [{"type": "conv", "out": 8, "name": n} for n in names]
        spec = {"input": {"channels": 3, "resolution": 16},
                "layers": layers + [{"type": "avgpool", "name": "pool"}, {"type": "fc", "out": 5}]}
        cc = crosscheck(spec)
        assert cc.agrees, cc.mismatches


class TestFilesAndSignals:
    def test_out_into_a_folder_that_cannot_be_written(self, run):
        for args in (["table", "mobilenet_v1", "--out", "/sys/costmodel-test.csv"],
                     ["plot", "layers", "mobilenet_v1", "--out", "/sys/costmodel-test.png"],
                     ["report", "--out", "/sys/costmodel-test-report"]):
            if not os.path.isdir("/sys"):
                pytest.skip("no /sys")
            assert_refused(run(*args), None, "/sys")

    def test_out_into_a_read_only_folder(self, tmp_path, run):
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            r = run("table", "mobilenet_v1", "--out", ro / "t.csv")
            if os.geteuid() != 0:
                assert_refused(r, ro, "ro")
        finally:
            ro.chmod(0o755)

    def test_out_is_a_folder(self, tmp_path, run):
        (tmp_path / "d.csv").mkdir()
        assert_refused(run("table", "mobilenet_v1", "--out", tmp_path / "d.csv"), None, "folder")

    def test_every_output_is_checked_before_any_work(self, tmp_path, run):
        r = run("plot", "tradeoff", "--out", tmp_path / "t.png", "--data", tmp_path / "missing" / "d.csv")
        assert_refused(r, tmp_path, "missing")

    def test_a_read_only_file_keeps_its_mode(self, tmp_path, run):
        f = tmp_path / "t.csv"
        f.write_text("old\n")
        f.chmod(0o444)
        r = run("table", "mobilenet_v1", "--format", "csv", "--out", f)
        assert stat.S_IMODE(f.stat().st_mode) == 0o444
        if os.geteuid() != 0:
            assert_refused(r, None, "read-only")
            assert f.read_text() == "old\n"
        assert_no_files(tmp_path, "t.csv")

    def test_a_private_file_stays_private(self, tmp_path, run):
        f = tmp_path / "t.csv"
        f.write_text("old\n")
        f.chmod(0o600)
        assert run("table", "mobilenet_v1", "--format", "csv", "--out", f).exit_code == 0
        assert stat.S_IMODE(f.stat().st_mode) == 0o600 and f.read_text() != "old\n"

    def test_a_model_file_that_calls_sys_exit(self, tmp_path, run):
        pytest.importorskip("torch")
        p = write(tmp_path, "quits.py", "import sys\nsys.exit(0)\n")
        assert_refused(run("table", f"{p}:Net"), None, "quits.py", "sys.exit(0)")
        p = write(tmp_path, "quits2.py", "import sys\ndef Net():\n    sys.exit(3)\n")
        assert_refused(run("table", f"{p}:Net"), None, "sys.exit(3)")

    def test_ctrl_c_in_a_command(self, run, monkeypatch):
        def interrupted(*a, **k):
            raise KeyboardInterrupt
        monkeypatch.setattr(costmodel, "count", interrupted)
        r = run("table", "mobilenet_v1")
        assert r.exit_code == 130 and r.stderr.strip() == "costmodel: interrupted"

    def test_ctrl_c_while_importing(self, tmp_path):
        code = ("import builtins, runpy, sys\n"
                "real = builtins.__import__\n"
                "def imp(name, *a, **k):\n"
                "    if name == 'costmodel.errors':\n"
                "        raise KeyboardInterrupt\n"
                "    return real(name, *a, **k)\n"
                "builtins.__import__ = imp\n"
                f"sys.argv = ['costmodel', 'list']\n"
                f"runpy.run_path({str(ROOT / 'cli.py')!r}, run_name='__main__')\n")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 130 and r.stderr == "costmodel: interrupted\n", r.stderr

    def test_ctrl_c_during_the_report_swap(self, tmp_path, monkeypatch):
        from costmodel.report import job
        out = tmp_path / "rep"
        out.mkdir()
        (out / "old.txt").write_text("old")

        def build(folder, progress, workers=None, previous=None):
            (folder / "README.md").write_text("new")
        monkeypatch.setattr(job, "build", build)
        real_replace = os.replace

        def replace(a, b):                  # Ctrl-C between moving the old out and the new in
            real_replace(a, b)
            if b != out:
                os.kill(os.getpid(), signal.SIGINT)
        monkeypatch.setattr(job.os, "replace", replace)
        lines = []
        job.run(out, progress=lines.append)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]
        assert sorted(p.name for p in out.iterdir()) == ["README.md"]
        assert any("complete" in line for line in lines)


class TestMessages:
    def test_no_layers_names_the_model(self, tmp_path, run):
        p = write(tmp_path, "empty.json", '{"name": "tiny", "layers": []}')
        assert_refused(run("table", p), None, "empty.json", "field 'layers'")
        with pytest.raises(SpecError) as e:
            costmodel.count({"name": "tiny", "layers": []})
        assert "tiny" in str(e.value)

    def test_unit_that_cannot_apply_names_the_options(self, run):
        assert_refused(run("table", "mobilenet_v1", "--convention", "deepspeed", "--unit", "macs"),
                       None, "--unit macs", "--convention deepspeed")

    def test_sweep_of_a_pytorch_model_says_why(self, run):
        assert_refused(run("sweep", "torchvision:mobilenet_v2"), None, "spec", "width multiplier")

    def test_check_with_zero_classes_names_the_model(self, run):
        pytest.importorskip("torchvision")
        # The operator-level capture reads a 0-wide classifier as it is: the check names the
        # model and the deviation (exit 1), with nothing on standard error.
        r = run("check", "torchvision:mobilenet_v2", "--paper", "mobilenet_v2",
                "--kwargs", "num_classes=0")
        assert r.exit_code == 1 and "Traceback" not in r.stderr
        assert "torchvision:mobilenet_v2" in r.stdout and "0 classes" in r.stdout

    def test_no_pandas_empty_dataframe(self, tmp_path, run):
        p = write(tmp_path, "free.toml", 'layers = [ { type = "bn" }, { type = "flatten" } ]')
        for extra in ([], ["--by-type"]):
            r = run("table", p, *extra)
            assert r.exit_code == 0 and "Empty DataFrame" not in r.stdout


def test_library_errors_are_costmodel_errors():
    with pytest.raises(UsageError):
        costmodel.count("mobilenet_v1", kwargs={"x": 1})
