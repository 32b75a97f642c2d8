"""Capture every README command's output (stdout, stderr, exit status, files written) into a folder,
or compare a fresh capture against a saved one.

    python benchmarks/golden_outputs.py capture DIR     # run every command, save under DIR
    python benchmarks/golden_outputs.py compare OLD NEW # byte-compare two captures, list differences

Run from the repository root. Used by issue 11 to show the refactoring left behaviour unchanged.
"""

from __future__ import annotations

import filecmp
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

SPEC = """name = "my_net"
classes = 10
input = { channels = 3, resolution = 32 }

[[layers]]
type = "conv"
k = 3
out = 16
s = 2

[[layers]]
type = "dw"
k = 3

[[layers]]
type = "conv"
k = 1
out = 32

[[layers]]
type = "avgpool"

[[layers]]
type = "fc"
out = "classes"
"""

BAD_SPEC = SPEC.replace('k = 1\nout = 32', 'k = 1\nout = 32\ngroups = 5')

# (name, arguments); {tmp} is the capture's files folder, {spec}/{bad} the spec files above.
COMMANDS = [
    ("help", "--help"),
    ("list", "list"),
    ("list_flops_json", "list --unit flops --format json"),
    ("table_v1_bytype", "table mobilenet_v1 --by-type"),
    ("table_v1_bytype_md", "table mobilenet_v1 --by-type --format markdown"),
    ("table_v1", "table mobilenet_v1"),
    ("table_v2_formulas", "table mobilenet_v2 --alpha 0.5 --resolution 160 --formulas"),
    ("table_v3l_pytorch_json", "table mobilenet_v3_large --convention pytorch --format json"),
    ("table_v3s_csv", "table mobilenet_v3_small --format csv"),
    ("table_v3s_latex_fvcore", "table mobilenet_v3_small --format latex --convention fvcore --unit flops"),
    ("table_v2_rho", "table mobilenet_v2 --rho 0.714 --alpha 0.75 --rounding torchvision"),
    ("table_v1shallow_classes", "table mobilenet_v1_shallow --classes 1001 --format markdown"),
    ("table_myspec_md_out", "table {spec} --format markdown --out {tmp}/my_net.md"),
    ("table_myspec", "table {spec} --formulas"),
    ("table_bad", "table {bad}"),
    ("table_unknown", "table no_such_net"),
    ("table_alpha0", "table mobilenet_v1 --alpha 0"),
    ("sweep_v3s", "sweep mobilenet_v3_small --alpha 0.35,0.5,0.75,1.0 --resolution 96:224:32"),
    ("sweep_v1_default", "sweep mobilenet_v1"),
    ("sweep_v2_csv", "sweep mobilenet_v2 --format csv --convention fvcore"),
    ("sweep_v3l_json", "sweep mobilenet_v3_large --format json --rounding torchvision"),
    ("ratio", "ratio"),
    ("ratio_v1", "ratio mobilenet_v1"),
    ("ratio_v2_alpha", "ratio mobilenet_v2 --alpha 0.5 --resolution 160 --format markdown"),
    ("ratio_layer", "ratio --kernel 5 --in-channels 64 --out-channels 128 --size 28 --alpha 0.5 --rho 0.5"),
    ("fit_150M_4M", "fit --madds 150M --params 4M"),
    ("fit_150M", "fit --madds 150M"),
    ("fit_all_json", "fit --madds 1.5G --all --format json"),
    ("fit_families", "fit --params 800k --families v1,v2 --format csv"),
    ("fit_flops", "fit --madds 300M --unit flops --convention fvcore"),
    ("check", "check"),
    ("check_erratum", "check --status erratum"),
    ("check_json", "check --format json"),
    ("check_md", "check --status unexplained,explained --format markdown"),
    ("check_v2_paper", "check mobilenet_v2 --paper mobilenet_v2"),
    ("check_v3l_paper_v1", "check mobilenet_v3_large --paper mobilenet_v3_large --version v1"),
    ("check_v3s_alpha", "check mobilenet_v3_small --paper mobilenet_v3_small --alpha 0.75 --format json"),
    ("plot_tradeoff", "plot tradeoff --out {tmp}/tradeoff.png"),
    ("plot_tradeoff_params", "plot tradeoff --metric params --families v2,v3 --out {tmp}/tradeoff_params.svg --data {tmp}/tradeoff.csv"),
    ("plot_layers", "plot layers mobilenet_v3_large --out {tmp}/v3_layers.png"),
    ("plot_sweep", "plot sweep mobilenet_v2 --out {tmp}/v2_sweep.png"),
    ("plot_sweep_v1", "plot sweep mobilenet_v1 --alpha 0.5,1.0 --resolution 128,224 --out {tmp}/v1_sweep.png"),
    # torch
    ("table_tv_v2", "table torchvision:mobilenet_v2"),
    ("table_tv_v3l_kwargs", "table torchvision:mobilenet_v3_large --kwargs width_mult=0.75 --convention fvcore"),
    ("crosscheck_tv_v2", "crosscheck torchvision:mobilenet_v2"),
    ("crosscheck_v3s", "crosscheck mobilenet_v3_small --resolution 160 --alpha 0.75"),
    ("check_tv_v2_paper", "check torchvision:mobilenet_v2 --paper mobilenet_v2"),
    ("check_user_file", "check tests/models/user_mobilenet_v1.py:MobileNetV1 --paper mobilenet_v1"),
    ("reconcile_tv_v2", "reconcile torchvision:mobilenet_v2"),
    ("reconcile_v3s_md", "reconcile mobilenet_v3_small --tools fvcore,thop --format markdown"),
]


def capture(dest: Path):
    dest.mkdir(parents=True, exist_ok=True)
    files = dest / "files"
    files.mkdir(exist_ok=True)
    spec, bad = dest / "my_net.toml", dest / "bad_net.toml"
    spec.write_text(SPEC)
    bad.write_text(BAD_SPEC)
    only = set(sys.argv[3:])
    for name, args in COMMANDS:
        if only and name not in only:
            continue
        argv = shlex.split(args.format(tmp=files, spec=spec, bad=bad))
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "cli.py", *argv], capture_output=True, text=True)
        dt = time.perf_counter() - t
        root = str(dest)
        (dest / f"{name}.out").write_text(p.stdout.replace(root, "<DIR>"))
        (dest / f"{name}.err").write_text(p.stderr.replace(root, "<DIR>"))
        (dest / f"{name}.rc").write_text(f"{p.returncode}\n")
        print(f"{name:28s} rc={p.returncode} {dt:6.1f}s", flush=True)


def compare(old: Path, new: Path) -> int:
    bad = 0
    for a in sorted(p for p in old.rglob("*") if p.is_file()):
        b = new / a.relative_to(old)
        if not b.exists():
            print(f"missing: {b}")
            bad += 1
        elif not filecmp.cmp(a, b, shallow=False):
            print(f"differs: {a.relative_to(old)}")
            bad += 1
    print(f"{bad} difference(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "capture":
        capture(Path(sys.argv[2]).resolve())
    elif cmd == "compare":
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
