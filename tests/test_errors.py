"""Bad input: one line naming the file, layer and field; exit status 2; no traceback."""

import pytest

from conftest import assert_one_line_error, run_subprocess

SPECS = {
    "unknown_field.toml": ('layers = [ { type = "conv", k = 3, out = 8, colour = "red" } ]',
                           ["unknown_field.toml", "layer conv0", "field 'colour'", "unknown field"]),
    "unknown_kind.toml": ('layers = [ { type = "conv", k = 3, out = 8 }, { type = "maxpool" } ]',
                          ["unknown_kind.toml", "layer #2", "field 'type'", "'maxpool'"]),
    "zero.toml": ('layers = [ { type = "conv", k = 3, out = 0 } ]',
                  ["zero.toml", "layer conv0", "field 'out'", "must be > 0"]),
    "negative.json": ('{"layers": [{"type": "conv", "k": 3, "name": "stem", "out": -4}]}',
                      ["negative.json", "layer stem", "field 'out'", "-4"]),
    "stride.toml": ('layers = [ { type = "conv", k = 3, out = 8 }, { type = "dw", s = 0 } ]',
                    ["stride.toml", "layer dw0", "field 's'", "must be > 0"]),
    "groups.toml": ('layers = [ { type = "conv", k = 3, out = 30 }, '
                    '{ type = "conv", k = 3, out = 32, groups = 4 } ]',
                    ["groups.toml", "layer conv1", "field 'groups'", "does not divide"]),
    "kernel.toml": ('input = { channels = 3, resolution = 5 }\n'
                    'layers = [ { type = "conv", k = 7, out = 8, padding = 0 } ]',
                    ["kernel.toml", "layer conv0", "field 'k'", "larger than the padded input"]),
    "shrinks.toml": ('input = { channels = 3, resolution = 32 }\n'
                     'layers = [ { repeat = 5, layers = [ { type = "conv", k = 3, out = 8, s = 2, '
                     'padding = "valid" } ] } ]',
                     ["shrinks.toml", "layer conv4", "field 'k'", "shrinks to nothing"]),
    "residual.toml": ('layers = [ { residual = true, layers = [ { type = "conv", k = 3, out = 9 } ] } ]',
                      ["residual.toml", "layer residual0", "field 'residual'"]),
    "duplicate.toml": ('layers = [ { type = "conv", name = "a", out = 8 }, { type = "fc", name = "a" } ]',
                       ["duplicate.toml", "layer a", "field 'name'"]),
    "block.toml": ('layers = [ { type = "bneck", kernel = 3, exp = 16, out = 16, se = "yes" } ]',
                   ["block.toml", "layer bneck0", "field 'se'"]),
    "row.toml": ('layers = [ { type = "bottleneck", columns = ["t", "c", "n", "s"], rows = [[1, 16, 1]] } ]',
                 ["row.toml", "field 'rows'", "must have 4 values"]),
    "top.toml": ('layer = []', ["top.toml", "field 'layer'"]),
    "act.toml": ('layers = [ { type = "conv", out = 8, act = "swish7" } ]',
                 ["act.toml", "layer conv0", "field 'act'", "swish7"]),
    "bad.toml": ('layers = [ { type = "conv", k = 3, out = 8 ', ["bad.toml", "not valid TOML"]),
    "bad.json": ('{"layers": [', ["bad.json", "not valid JSON"]),
    "list.json": ('[1, 2]', ["list.json", "must be a table"]),
    "spec.yaml": ('layers: []', ["spec.yaml", "unknown file type"]),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_bad_spec_files(run, tmp_path, monkeypatch, name):
    text, parts = SPECS[name]
    (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run("table", name), *parts)


@pytest.mark.parametrize("args,parts", [
    (["table", "mobilenet_v9"], ["unknown architecture 'mobilenet_v9'", "mobilenet_v2"]),
    (["table", "missing.toml"], ["missing.toml", "no such file"]),
    (["table", "mobilenet_v1", "--alpha", "0"], ["alpha must be > 0"]),
    (["table", "mobilenet_v1", "--alpha", "-0.5"], ["alpha must be > 0"]),
    (["table", "mobilenet_v1", "--alpha", "wide"], ["--alpha", "wide"]),
    (["table", "mobilenet_v1", "--resolution", "0"], ["resolution must be > 0"]),
    (["table", "mobilenet_v1", "--resolution", "160", "--rho", "0.5"], ["not both"]),
    (["table", "mobilenet_v1", "--classes", "0"], ["classes"]),
    (["table", "mobilenet_v1", "--rounding", "caffe"], ["--rounding", "caffe"]),
    (["table", "mobilenet_v1", "--format", "xml"], ["--format", "xml"]),
    (["sweep", "mobilenet_v1", "--alpha", "0.5,x"], ["--alpha", "0.5,x"]),
    (["sweep", "mobilenet_v1", "--resolution", "0"], ["resolution must be > 0"]),
    (["ratio", "--kernel", "0"], ["kernel"]),
    (["ratio", "--kernel", "17"], ["larger than the feature map"]),
    (["table"], ["Missing argument"]),
    (["frobnicate"], ["No such command"]),
])
def test_bad_options(run, args, parts):
    assert_one_line_error(run(*args), *parts)


def test_no_half_written_output_file(run, tmp_path):
    out = tmp_path / "table.csv"
    bad = tmp_path / "bad.toml"
    bad.write_text('input = { channels = 3, resolution = 5 }\nlayers = [ { type = "conv", k = 7, out = 8, padding = 0 } ]')
    assert_one_line_error(run("table", str(bad), "--out", str(out)))
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]
    assert_one_line_error(run("table", "mobilenet_v1", "--out", str(tmp_path / "no" / "such" / "dir.csv")),
                          "does not exist")


def test_real_process_prints_one_line_and_exits_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('layers = [ { type = "conv", k = 3, out = 0 } ]')
    r = run_subprocess("table", bad)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "field 'out'" in r.stderr and r.stdout == ""
