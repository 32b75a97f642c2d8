"""Running the other counters: each peer tool measured on a real model.

This module only *measures*: it imports a tool when asked (never at import
time), runs it once on a copy of the model with its printing, warnings and
logging silenced, and returns the total the tool reports, as an exact integer
in the tool's own unit.  What each tool counts is written down, as a
convention over the engine's facts, in ``conventions.py``; ``reconcile.py``
puts the two side by side.

The versions the conventions were written from (and the ``peers`` extra pins):

=================  ==================================  ======  ============================
tool               package                             unit    what is run
=================  ==================================  ======  ============================
fvcore             fvcore 0.1.5.post20221221           MACs    ``FlopCountAnalysis(m, x).total()``
ptflops-pytorch    ptflops 0.7.5                       MACs    ``get_model_complexity_info(backend="pytorch")``
ptflops-aten       ptflops 0.7.5                       MACs    ``get_model_complexity_info(backend="aten")``
thop               thop 0.1.1.post2209072238           MACs    ``thop.profile(m, inputs=(x,))``
torchinfo          torchinfo 1.8.0                     MACs    ``summary(m, input_data=x).total_mult_adds``
torchprofile       torchprofile 0.1.0                  MACs    ``profile_macs(m, x)``
flopcountermode    torch (``torch.utils.flop_counter``)  FLOPs   ``FlopCounterMode``, ``get_total_flops()``
deepspeed          deepspeed 0.19.8                    FLOPs   ``FlopsProfiler``, ``get_total_flops()``
=================  ==================================  ======  ============================

Every tool gets a fresh ``copy.deepcopy`` of the model in eval mode (thop
adds buffers to modules, ptflops attributes, DeepSpeed hooks) and batch 1.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.metadata
import importlib.util
import io
import logging
import warnings
from dataclasses import dataclass
from typing import Callable

from .errors import UsageError


@dataclass(frozen=True)
class Peer:
    """A counter: its name, the distribution and module it comes from, and how to run it."""

    name: str
    distribution: str          # the pip name (for its installed version)
    module: str                # what is imported to run it
    pinned: str                # the version its convention was written from
    unit: str                  # "macs" or "flops": the unit of the total it reports
    run: Callable              # (torch, model, x) -> the tool's total


def _fvcore(torch, model, x):
    from .torch_bridge import fvcore_counts
    return fvcore_counts(model, None, input_shape=tuple(x.shape[1:]))[1]


def _ptflops(backend):
    def run(torch, model, x):
        from ptflops import get_model_complexity_info
        macs, _ = get_model_complexity_info(model, tuple(x.shape[1:]), as_strings=False,
                                            print_per_layer_stat=False, verbose=False,
                                            backend=backend)
        if macs is None:       # ptflops catches the model's exception and prints it
            raise RuntimeError(f"ptflops ({backend} backend) could not run the model")
        return macs
    return run


def _thop(torch, model, x):
    from thop import profile
    macs, _ = profile(model, inputs=(x,), verbose=False)
    return _exact(macs, "thop")


def _torchinfo(torch, model, x):
    from torchinfo import summary
    return summary(model, input_data=x, verbose=0, device="cpu").total_mult_adds


def _torchprofile(torch, model, x):
    from torchprofile import profile_macs
    return profile_macs(model, x)


def _flopcountermode(torch, model, x):
    # On the meta device, where scaled-dot-product attention decomposes into bmm's it counts
    # (on the CPU its registry has no formula for the CPU flash kernel or the fused
    # multi-head attention); the CPU where the model does not run on meta.
    from torch.utils.flop_counter import FlopCounterMode
    try:
        meta = copy.deepcopy(model).to("meta")
        counter = FlopCounterMode(display=False)
        with counter:
            meta(x.to("meta"))
        return counter.get_total_flops()
    except Exception:  # noqa: BLE001 - the CPU then
        pass
    counter = FlopCounterMode(display=False)
    with counter:
        model(x)
    return counter.get_total_flops()


def _deepspeed(torch, model, x):
    # What get_model_profile(model, input_shape, warm_up=0) does, with the patched
    # functionals restored even when the model raises (get_model_profile leaves them).
    from deepspeed.profiling.flops_profiler import FlopsProfiler
    logging.getLogger("DeepSpeed").setLevel(logging.ERROR)
    prof = FlopsProfiler(model)
    prof.start_profile()
    try:
        model(x)
        return prof.get_total_flops()
    finally:
        prof.end_profile()


def _exact(value, tool: str) -> int:
    """A tool's float total as the integer it stands for (thop sums in float64)."""
    out = int(round(float(value)))
    if abs(float(value) - out) > 1e-6 * max(1.0, abs(out)):
        raise RuntimeError(f"{tool} returned a non-integer total {value!r}")
    return out


PEERS: dict[str, Peer] = {p.name: p for p in (
    Peer("fvcore", "fvcore", "fvcore", "0.1.5.post20221221", "macs", _fvcore),
    Peer("ptflops-pytorch", "ptflops", "ptflops", "0.7.5", "macs", _ptflops("pytorch")),
    Peer("ptflops-aten", "ptflops", "ptflops", "0.7.5", "macs", _ptflops("aten")),
    Peer("thop", "thop", "thop", "0.1.1.post2209072238", "macs", _thop),
    Peer("torchinfo", "torchinfo", "torchinfo", "1.8.0", "macs", _torchinfo),
    Peer("torchprofile", "torchprofile", "torchprofile", "0.1.0", "macs", _torchprofile),
    Peer("flopcountermode", "torch", "torch.utils.flop_counter", "torch", "flops", _flopcountermode),
    Peer("deepspeed", "deepspeed", "deepspeed", "0.19.8", "flops", _deepspeed),
)}
TOOLS = tuple(PEERS)


def parse_tools(text: str | None) -> list[str]:
    """``"thop,fvcore"`` -> ``["thop", "fvcore"]`` (every tool when empty or ``all``)."""
    if text is None or text.strip() in ("", "all"):
        return list(TOOLS)
    out = []
    for part in text.split(","):
        name = part.strip()
        if not name:
            continue
        if name not in PEERS:
            raise UsageError(f"--tools: unknown tool {name!r}: use {', '.join(TOOLS)} (or all)")
        if name not in out:
            out.append(name)
    if not out:
        raise UsageError("--tools is empty")
    return out


def version(name: str) -> str | None:
    """The installed version of the tool's distribution, or None (nothing is imported)."""
    peer = PEERS[name]
    try:
        top = peer.module.split(".")[0]
        if importlib.util.find_spec(top) is None:
            return None
        return importlib.metadata.version(peer.distribution)
    except (importlib.metadata.PackageNotFoundError, ImportError, ValueError):
        return None


@contextlib.contextmanager
def quiet():
    """Silence what the tools print: stdout, stderr, warnings and logging."""
    previous = logging.root.manager.disable
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        logging.disable(logging.CRITICAL)
        try:
            yield
        finally:
            logging.disable(previous)


def measure(name: str, model, resolution, channels: int = 3, input_shape=None) -> int:
    """The total ``name`` reports for ``model`` at ``resolution`` (batch 1, eval mode).

    Raises ``ImportError`` when the tool is not installed and ``RuntimeError``
    (one line) when it fails on the model.
    """
    from .torch_bridge import require_torch
    torch = require_torch()
    peer = PEERS[name]
    h, w = (resolution, resolution) if isinstance(resolution, int) else resolution
    if version(name) is None:
        raise ImportError(f"{peer.distribution} is not installed")
    m = copy.deepcopy(model).eval()
    x = torch.zeros(1, *(input_shape or (channels, h, w)))
    try:
        with quiet(), torch.no_grad():
            total = peer.run(torch, m, x)
    except ImportError:
        raise
    except Exception as e:  # noqa: BLE001 - a tool failing on a model is a result, in one line
        msg = str(e).strip().splitlines()
        raise RuntimeError(f"{type(e).__name__}: {msg[0] if msg else ''}".rstrip(": ")) from None
    return _exact(total, name)


__all__ = ["PEERS", "TOOLS", "Peer", "measure", "parse_tools", "quiet", "version"]
