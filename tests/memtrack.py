"""A dispatch-level memory tracker: the independent simulation peak memory is checked against.

Every aten operator's outputs are recorded as they are allocated (a storage not seen before)
and forgotten when the last Python tensor holding that storage dies (``weakref.finalize``);
the peak is the most bytes alive at any allocation.  Parameters and buffers are resident and
not counted; the model input is counted (the caller holds it).
"""

from __future__ import annotations

import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class Tracker(TorchDispatchMode):
    def __init__(self, resident=()):
        super().__init__()
        self.resident = {t.untyped_storage().data_ptr() for t in resident}
        self.refs: dict[int, int] = {}        # storage -> live tensors holding it
        self.nbytes: dict[int, int] = {}
        self.seen: set[int] = set()           # id() of tracked tensor objects
        self.live = 0
        self.peak = 0
        self.peak_op = None
        self.layer = None                     # the layer module running (hooks set it)
        self.events: list[tuple] = []         # (layer or None, live bytes) at each allocation

    def track(self, t, op=None):
        if not isinstance(t, torch.Tensor) or id(t) in self.seen:
            return
        key = t.untyped_storage().data_ptr()
        if key in self.resident or t.untyped_storage().nbytes() == 0:
            return
        self.seen.add(id(t))
        if key not in self.refs:
            self.refs[key] = 0
            self.nbytes[key] = t.untyped_storage().nbytes()
            self.live += self.nbytes[key]
            if self.live > self.peak:
                self.peak, self.peak_op = self.live, op
            self.events.append((self.layer, self.live))
        self.refs[key] += 1
        weakref.finalize(t, self._drop, id(t), key)

    def _drop(self, ident, key):
        self.seen.discard(ident)
        self.refs[key] -= 1
        if self.refs[key] == 0:
            del self.refs[key]
            self.live -= self.nbytes.pop(key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            self.track(t, str(func))
        return out


class InPlaceBatchNorm(torch.nn.Module):
    """A batch norm at inference computed in place, ``x·scale + shift`` (what folding it into
    the convolution before it costs in memory: no tensor of its own)."""

    def __init__(self, bn):
        super().__init__()
        scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
        self.register_buffer("scale", scale.reshape(1, -1, 1, 1).clone())
        self.register_buffer("shift", (bn.bias.detach() - bn.running_mean * scale).reshape(1, -1, 1, 1))

    def forward(self, x):
        return x.mul_(self.scale).add_(self.shift)


def inference_ready(model):
    """Batch norm folded into the convolution before it (in a Sequential; elsewhere computed
    in place); activations in place."""
    from torch import nn
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    for m in list(model.modules()):
        if isinstance(m, nn.Sequential):
            for i in range(len(m) - 1):
                if isinstance(m[i], nn.Conv2d) and isinstance(m[i + 1], nn.BatchNorm2d):
                    m[i] = fuse_conv_bn_eval(m[i], m[i + 1])
                    m[i + 1] = nn.Identity()
    for m in list(model.modules()):
        for name, child in list(m.named_children()):
            if type(child) is nn.BatchNorm2d and child.affine and child.track_running_stats:
                setattr(m, name, InPlaceBatchNorm(child))
    for m in model.modules():
        if hasattr(m, "inplace") and not isinstance(m, nn.Dropout):
            m.inplace = True
    return model


def run_tracked(model, shape, dtype=torch.float32, layers=()):
    """One forward of ``model`` on an input of ``shape`` (batch included) under a Tracker.

    ``layers``: module paths whose allocations are attributed to them (``events``)."""
    model = model.to(dtype).eval()
    resident = list(model.parameters()) + list(model.buffers())
    x = torch.zeros(shape, dtype=dtype)
    tracker = Tracker(resident)
    handles = []
    modules = dict(model.named_modules())
    for name in layers:
        if name in modules:
            m = modules[name]
            handles.append(m.register_forward_pre_hook(lambda m, a, n=name: setattr(tracker, "layer", n)))
            handles.append(m.register_forward_hook(lambda m, a, o: setattr(tracker, "layer", None)))
    with torch.no_grad():
        tracker.track(x, "input")
        with tracker:
            out = model(x)
        del out
    for h in handles:
        h.remove()
    return tracker
