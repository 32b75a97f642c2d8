"""Shared helpers: run the command line in-process, one line of error, exit codes."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli import main  # noqa: E402

#: Tests that run a PyTorch model: skipped (not failed) where the torch extra is not installed.
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="needs the torch extra (pip install -e '.[torch]')")


class Result:
    def __init__(self, r):
        self.exit_code = r.exit_code
        self.stdout = r.stdout
        self.stderr = r.stderr
        self.exception = r.exception


@pytest.fixture
def run():
    """``run("table", "mobilenet_v1")`` -> result with exit_code, stdout, stderr."""
    runner = CliRunner()

    def _run(*args, input=None):
        return Result(runner.invoke(main, [str(a) for a in args], input=input))
    return _run


def run_subprocess(*args, cwd=None, env=None):
    """Run ``python cli.py ARGS`` in a fresh interpreter (for imports and tracebacks)."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or ROOT, env=e)


def assert_one_line_error(result, *must_contain):
    """Exit status 2, exactly one line on stderr, no traceback, naming what is wrong."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    err = result.stderr.strip()
    assert err and "\n" not in err, repr(result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    for part in must_contain:
        assert part in err, (part, err)
    return err


HEAVY = ("torch", "torchvision", "fvcore")
REPORT_SCRIPT = """
import json, sys
sys.path.insert(0, {root!r})
from cli import main
try:
    main(["report", "--out", {out!r}])
except SystemExit as e:
    code = e.code
print(json.dumps({{"code": code, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


@pytest.fixture(scope="session")
def fresh_report(tmp_path_factory):
    """The test run's one fresh report, written by the command line in a new interpreter
    (as `make report`): {"out", "code", "loaded" (heavy modules it imported), "stderr"}."""
    import json
    out = tmp_path_factory.mktemp("fresh") / "reports"
    code = REPORT_SCRIPT.format(root=str(ROOT), out=str(out), heavy=HEAVY)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"out": out, "code": doc["code"], "loaded": doc["loaded"], "stderr": proc.stderr}
