"""Limits on what a spec or an option may expand to, checked before any work.

A spec of a few lines can ask for a billion layers (``repeat = 1000000000``), an
option for a billion grid points (``--resolution 1:1000000000:1``): costmodel
refuses these in one line, naming the field or option, instead of hanging or
exhausting memory.  Counts themselves have no limit: they are exact at any size.

==========================  =========  ==============================================
limit                       value      what it bounds
==========================  =========  ==============================================
``MAX_LAYERS``              100,000    layers (and blocks) a spec expands to
``MAX_DEPTH``               64         nesting of ``repeat`` and ``residual`` groups
``MAX_SWEEP_POINTS``        10,000     α × resolution points of ``costmodel sweep``
``MAX_LIST``                10,000     values of one --alpha / --resolution list
``MAX_PLOT_SWEEP_POINTS``   2,500      α × resolution cells of ``plot sweep``
``MAX_PLOT_LAYERS``         2,000      layers drawn by ``plot layers``
``MAX_BUILD_BYTES``         see below  memory a spec built as a PyTorch model may need
==========================  =========  ==============================================

``MAX_BUILD_BYTES`` is half the machine's physical memory (8 GiB where it cannot be
read): building a spec for ``crosscheck`` or ``reconcile`` allocates its parameters
and, when it runs, its activations; the estimate is checked before anything is
allocated.
"""

from __future__ import annotations

import os

MAX_LAYERS = 100_000
MAX_DEPTH = 64
MAX_SWEEP_POINTS = 10_000
MAX_LIST = 10_000
MAX_PLOT_SWEEP_POINTS = 2_500
MAX_PLOT_LAYERS = 2_000


def max_build_bytes() -> int:
    """Half the physical memory (8 GiB where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 * 2 ** 30


def gib(n: int) -> str:
    return f"{n / 2 ** 30:,.1f} GiB"
