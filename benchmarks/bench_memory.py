"""The analytic memory command against `table`, measured side by side in one run.

Goal (issue 12): `costmodel memory MODEL` stays torch-free and about as fast as
`costmodel table MODEL`.  Both are timed in-process (the click command, text output,
best of several runs) for each built-in, and as bare library calls (the per-layer table
frame vs memory()'s records, peak and the V2 paper's rule), and the ratios printed.

Run: .venv/bin/python benchmarks/bench_memory.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from click.testing import CliRunner  # noqa: E402

import costmodel  # noqa: E402
from cli import main as cli  # noqa: E402
from costmodel.memory import memory  # noqa: E402

ARCHS = ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small")


def best(fn, repeats=7):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    runner = CliRunner()
    ratios_cli, ratios_lib = [], []
    print(f"{'model':22} {'table (ms)':>11} {'memory (ms)':>12} {'ratio':>6}   "
          f"{'to_frame (ms)':>13} {'memory() (ms)':>13} {'ratio':>6}")
    for arch in ARCHS:
        for args in (["table", arch], ["memory", arch]):
            assert runner.invoke(cli, args).exit_code == 0      # warm: specs read once
        t_table = best(lambda: runner.invoke(cli, ["table", arch]))
        t_mem = best(lambda: runner.invoke(cli, ["memory", arch]))
        l_table = best(lambda: costmodel.count(arch).to_frame())
        l_mem = best(lambda: memory(costmodel.count(arch)))
        ratios_cli.append(t_mem / t_table)
        ratios_lib.append(l_mem / l_table)
        print(f"{arch:22} {t_table * 1e3:11.2f} {t_mem * 1e3:12.2f} {t_mem / t_table:6.2f}   "
              f"{l_table * 1e3:13.2f} {l_mem * 1e3:13.2f} {l_mem / l_table:6.2f}")
    print(f"median ratio memory/table: command {statistics.median(ratios_cli):.2f}×, "
          f"library {statistics.median(ratios_lib):.2f}× (goal: about 1×)")
    heavy = [m for m in ("torch", "fvcore", "matplotlib") if m in sys.modules]
    print(f"heavy modules imported: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
