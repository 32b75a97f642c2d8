"""`make report`'s job timed side by side: a cold build (every figure drawn, `--redraw`) and a
warm one over it (nothing the figures are drawn from changed: every figure kept), in one run.

    python benchmarks/bench_report.py [--repeat N]

Prints wall and CPU seconds (this process's children: the report and its drawing workers)
of each run, their ratio and the load average (a shared machine's timings are noisy: compare
the ratio, and runs taken at a similar load)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "report", *args], check=True,
                   capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as d:
        out = str(Path(d) / "reports")
        for i in range(repeat):
            cold = timed(["--out", out, "--redraw"])
            warm = timed(["--out", out])
            print(f"run {i + 1}: cold {cold[0]:6.1f} s wall {cold[1]:6.1f} s CPU | "
                  f"warm {warm[0]:5.1f} s wall {warm[1]:5.1f} s CPU | "
                  f"warm/cold wall {warm[0] / cold[0]:.3f}, CPU {warm[1] / cold[1]:.3f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
