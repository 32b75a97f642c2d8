"""The module-level extraction: a PyTorch model as a spec of the engine's kinds.

This is the extraction the PyTorch bridge used before the operator-level capture
(``capture.py``): it records the leaf modules a model calls (convolutions, linear layers,
batch norms, activations, pooling) and the functional adds and multiplies in the others'
``forward``, as spec entries with explicit input shapes, so that the engine compiles them
like any spec.  Counting uses the capture; the memory model (``memory.py``) still reads
this spec form, whose blocks and module scopes its tensor lifetimes are written for
(moving memory onto the capture's tensor records is the next step).

torch is imported only when :func:`extract` is called.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field

from .errors import ModelLoadError, UsageError
from .op_kinds import numel
from .scaling import NO_ROUNDING
from .torch_bridge import _one_line, require_torch


# --------------------------------------------------------------------------- nn.Module -> spec

#: Functions that do no arithmetic: reshapes, views, metadata.  Not counted, not reported.
FREE = {
    "view", "reshape", "flatten", "size", "dim", "contiguous", "squeeze", "unsqueeze",
    "permute", "transpose", "__getitem__", "__get__", "t", "detach", "to", "type", "numel",
    "__len__", "__format__", "__repr__", "__bool__", "__index__", "__int__", "float", "clone",
    "expand", "expand_as", "view_as", "reshape_as", "requires_grad_", "ndimension", "dtype",
    "shape", "device", "is_floating_point", "__iter__", "unbind", "chunk", "split", "cpu",
    "__setstate__", "__reduce_ex__", "__deepcopy__", "dropout", "dropout_", "identity",
}
ACT_FUNCTIONS = {"relu": "relu", "relu_": "relu", "relu6": "relu6", "hardswish": "hswish",
                 "hardswish_": "hswish", "hardsigmoid": "hsigmoid", "hardsigmoid_": "hsigmoid",
                 "sigmoid": "sigmoid", "sigmoid_": "sigmoid"}
ADD_FUNCTIONS = {"add", "add_", "__add__", "__iadd__", "__radd__"}
MUL_FUNCTIONS = {"mul", "mul_", "__mul__", "__imul__", "__rmul__"}


@dataclass
class Extraction:
    """What running a model once found: its layers as spec entries, and what has no formula."""

    spec: dict
    unsupported: Counter = field(default_factory=Counter)
    resolution: tuple[int, int] = (224, 224)
    device: str = "cpu"
    params: int = 0                  # sum(p.numel()) of the model, deduplicated


def _chw(t):
    s = tuple(t.shape)
    if len(s) == 4:
        return [int(s[1]), int(s[2]), int(s[3])]
    if len(s) == 2:
        return [int(s[1]), 1, 1]
    if len(s) == 3:
        return [int(s[0]), int(s[1]), int(s[2])]
    return [int(numel(s[1:]) or 1), 1, 1]


def extract(model, resolution=224, *, channels: int = 3, name: str | None = None,
            device: str = "auto") -> Extraction:
    """Run ``model`` once and record its layers as a spec with explicit input shapes.

    ``device``: ``"meta"`` (no arithmetic, no memory), ``"cpu"``, or ``"auto"``
    (meta, falling back to the CPU when the model does not run there).
    """
    torch = require_torch()
    h, w = (resolution, resolution) if isinstance(resolution, int) else resolution
    if device in ("auto", "meta"):
        try:
            meta_model = copy.deepcopy(model).to("meta")
            return _extract(torch, meta_model, model, (h, w), channels, name, "meta")
        except ModelLoadError:
            if device == "meta":
                raise
        except Exception:  # noqa: BLE001 - fall back to the CPU
            if device == "meta":
                raise
    return _extract(torch, model, model, (h, w), channels, name, "cpu")


def _extract(torch, model, original, res, channels, name, device) -> Extraction:
    from torch.overrides import TorchFunctionMode
    nn = torch.nn
    leaf_types = (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.Hardswish,
                  nn.Hardsigmoid, nn.Sigmoid, nn.AdaptiveAvgPool2d, nn.Dropout, nn.Flatten,
                  nn.Identity)
    names = {m: n for n, m in model.named_modules(remove_duplicate=False)}
    # Leaf modules the engine has a kind for: their insides are not looked at.  Every other
    # module (containers, custom or unsupported leaves) is transparent: the functional
    # operations in its forward are recorded (or reported as unsupported) one by one.
    handled = {m for m in model.modules()
               if isinstance(m, leaf_types) and next(m.children(), None) is None}
    records: list[dict] = []
    unsupported: Counter = Counter()
    stack: list[str] = []
    depth = [0]                       # > 0 inside a handled leaf module's forward
    used: Counter = Counter()
    shared: set = set()               # modules already called once (their parameters counted)

    def unique(base: str) -> str:
        used[base] += 1
        return base if used[base] == 1 else f"{base}@{used[base]}"

    def pre(module, args):
        stack.append(names.get(module, "?"))
        if module in handled:
            depth[0] += 1

    def post(module, args, output):
        path = stack.pop()
        if module not in handled:
            return
        depth[0] -= 1
        rec = _module_record(torch, module, path, args, output, unique, shared)
        if rec is None:
            unsupported[type(module).__name__] += 1
        elif rec:
            records.append(rec)

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            if depth[0] == 0:
                owner = stack[-1] if stack else ""
                rec = _function_record(torch, func, args, kwargs, out, owner, unique)
                if rec is None:
                    unsupported[getattr(func, "__name__", str(func))] += 1
                elif rec:
                    records.append(rec)
            return out

    handles = []
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(pre))
        handles.append(m.register_forward_hook(post))
    x = torch.zeros(1, channels, *res, device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), Recorder():
            model(x)
    except Exception as e:  # noqa: BLE001
        if device == "meta":
            raise
        raise ModelLoadError(f"the model cannot run at resolution {res[0]}×{res[1]}: "
                             f"{_one_line(e)}") from None
    finally:
        for hnd in handles:
            hnd.remove()
        model.train(was_training)
    # the root module's own name is "", and leaf roots are possible too
    seen = set()
    params = 0
    for p in original.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            params += p.numel()
    spec = {"name": name or type(original).__name__, "input": {"channels": channels,
                                                               "resolution": list(res)},
            "layers": records}
    return Extraction(spec=spec, unsupported=unsupported, resolution=res, device=device,
                      params=params)


def _module_record(torch, m, path, args, output, unique, shared):
    """A spec entry for one leaf module call; {} for free ones; None if unsupported.

    A module called again (shared) is a new layer whose parameters are not counted again.
    """
    nn = torch.nn
    x = args[0] if args else None
    if not hasattr(x, "shape"):
        return None
    base = {"name": unique(path or "root"), "module": path, "input": _chw(x)}
    if m in shared:
        base["shared"] = True
    shared.add(m)
    if isinstance(m, nn.Conv2d):
        cin, cout = m.in_channels, m.out_channels
        if m.padding == "same" or m.padding == "valid":
            pad = m.padding
        else:
            pad = list(m.padding)
        entry = {**base, "k": list(m.kernel_size), "s": list(m.stride), "padding": pad,
                 "dilation": list(m.dilation), "bias": m.bias is not None, "norm": "none",
                 "act": "none"}
        if m.groups == cin and cout % cin == 0 and cin > 1:
            return {"type": "dw", "multiplier": cout // cin, **entry}
        return {"type": "conv", "out": cout, "groups": m.groups, "width": "fixed", **entry}
    if isinstance(m, nn.Linear):
        shape = tuple(x.shape)
        if len(shape) != 2:
            return None
        return {"type": "fc", "out": m.out_features, "bias": m.bias is not None, "act": "none",
                "width": "fixed", **base}
    if isinstance(m, nn.BatchNorm2d):
        return {"type": "bn", **base} if m.affine else None
    acts = {nn.ReLU: "relu", nn.ReLU6: "relu6", nn.Hardswish: "hswish", nn.Hardsigmoid: "hsigmoid",
            nn.Sigmoid: "sigmoid"}
    for cls, fn in acts.items():
        if type(m) is cls:
            return {"type": "act", "fn": fn, "call": "module", **base}
    if isinstance(m, nn.AdaptiveAvgPool2d):
        if tuple(output.shape[-2:]) != (1, 1):
            return None
        return {"type": "avgpool", "call": "module", **base}
    if isinstance(m, nn.Dropout):
        return {"type": "dropout", "p": float(m.p), **base}
    if isinstance(m, nn.Flatten):
        return {"type": "flatten", **base}
    if isinstance(m, nn.Identity):
        return {}
    return None


def _function_record(torch, func, args, kwargs, out, owner, unique):
    """A spec entry for a functional call in a forward; {} for free ones; None if unsupported."""
    fname = getattr(func, "__name__", "")
    if fname in FREE:
        return {}
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if not tensors or not isinstance(out, torch.Tensor):
        return {} if fname.startswith("__") else None
    where = f"{owner}." if owner else ""
    if fname == "adaptive_avg_pool2d" and tuple(out.shape[-2:]) == (1, 1):
        return {"type": "avgpool", "call": "function", "name": unique(f"{where}adaptive_avg_pool2d"),
                "module": owner, "input": _chw(tensors[0])}
    if fname in ACT_FUNCTIONS:
        return {"type": "act", "fn": ACT_FUNCTIONS[fname], "call": "function",
                "name": unique(f"{where}{fname.rstrip('_')}"), "module": owner,
                "input": _chw(tensors[0])}
    if fname == "hardtanh":
        lo = args[1] if len(args) > 1 else kwargs.get("min_val", -1.0)
        hi = args[2] if len(args) > 2 else kwargs.get("max_val", 1.0)
        if (lo, hi) == (0.0, 6.0):
            return {"type": "act", "fn": "relu6", "call": "function", "name": unique(f"{where}relu6"),
                    "module": owner, "input": _chw(tensors[0])}
        return None
    if fname in ADD_FUNCTIONS or fname in MUL_FUNCTIONS:
        kind = "add" if fname in ADD_FUNCTIONS else "mul"
        return {"type": kind, "name": unique(f"{where}{kind}"), "module": owner,
                "input": _chw(out), "inplace": fname.endswith("_") and not fname.startswith("__")
                or fname in ("__iadd__", "__imul__")}
    return None


def count_extracted(module, input_shape, *, name: str | None = None):
    """The engine's Costing of ``module`` read through this extraction (for memory.py)."""
    from .costing import Costing
    from .engine import evaluate, plan_for
    if len(input_shape) != 3:
        raise UsageError(f"{name or 'the model'}: memory and latency read a PyTorch model with "
                         f"a C×H×W image input; got an input of "
                         f"{'×'.join(str(d) for d in input_shape)} (counting takes any shape)")
    channels, h, w = input_shape
    ex = extract(module, (h, w), name=name, channels=channels)
    plan = plan_for(ex.spec)
    F, shapes, res, classes = evaluate(plan)
    c = Costing(plan, F, shapes, alpha=1.0, resolution=res, classes=None, rounding=NO_ROUNDING,
                name=name)
    c.unsupported = ex.unsupported
    c.model_params = ex.params
    c.module = module
    return c
