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
