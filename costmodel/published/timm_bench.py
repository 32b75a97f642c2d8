"""timm's inference benchmark record (``timm-bench-5090`` in ``sources.csv``).

``timm_bench.csv`` holds, for the mobile and hybrid families, the rows of
``results/benchmark-infer-amp-nchw-pt291-cu130-5090.csv`` in
huggingface/pytorch-image-models at commit 90cae8c5: ``param_count`` (millions)
and ``infer_gmacs`` (fvcore's count, billions), both printed at 2 decimals,
``infer_macts`` (activations, millions) and the ``infer_img_size`` they were
measured at.  Values are kept as printed (strings).  It also keeps the rows of
every model of ``timm.csv`` (timm's MobileNets, ``tf_`` ports included): their
``infer_macts`` are cells of ``costmodel check`` (``memory_cells.check_timm_macts``).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

FILE = Path(__file__).with_name("timm_bench.csv")
SOURCE = "timm-bench-5090"
VERSION = "90cae8c5"


@lru_cache(maxsize=None)
def records() -> dict[str, list[dict[str, str]]]:
    """Model name -> its rows, one per ``infer_img_size`` (``param_count``, ``infer_gmacs``,
    ``infer_macts``, as printed)."""
    out: dict[str, list[dict[str, str]]] = {}
    with FILE.open(newline="") as f:
        for r in csv.DictReader(f):
            out.setdefault(r["model"], []).append(r)
    return out
