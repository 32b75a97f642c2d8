"""The analytic commands never import torch, fvcore or matplotlib."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT

HEAVY = ("torch", "torchvision", "fvcore", "matplotlib")

SCRIPT = """
import json, sys
sys.path.insert(0, {root!r})
from cli import main
try:
    main({args!r})
except SystemExit as e:
    code = e.code
print(json.dumps({{"code": code, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


@pytest.mark.parametrize("args", [
    ["list"],
    ["table", "mobilenet_v3_large", "--alpha", "0.75", "--formulas", "--format", "json"],
    ["table", "mobilenet_v1", "--by-type", "--format", "markdown"],
    ["sweep", "mobilenet_v2", "--alpha", "0.35,1.4", "--resolution", "96,224"],
    ["ratio"],
    ["ratio", "mobilenet_v2"],
    ["check", "--status", "erratum"],
    ["fit", "--madds", "150M"],
    ["fit", "--madds", "300M", "--params", "3.5M", "--families", "v2,v3", "--format", "json"],
    ["list", "--unit", "flops"],
    ["ratio", "--unit", "flops"],
    ["table", "mobilenet_v2", "--convention", "deepspeed"],
    ["memory", "mobilenet_v2", "--dtype", "fp16", "--batch", "4"],
    ["memory", "mobilenet_v1", "--by-resolution", "--format", "json"],
])
def test_analytic_commands_stay_light(args):
    code = SCRIPT.format(root=str(ROOT), args=args, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["code"] in ((0, 1) if args[0] == "check" else (0,)), out.stderr
    assert doc["loaded"] == [], f"{args} imported {doc['loaded']}"


def test_api_count_stays_light():
    code = ("import sys, json; sys.path.insert(0, %r); import costmodel; "
            "costmodel.count('mobilenet_v2', alpha=0.5).to_frame(); "
            "print(json.dumps([m for m in %r if m in sys.modules]))") % (str(ROOT), HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert json.loads(out.stdout) == [], out.stderr
