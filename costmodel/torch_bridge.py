"""The PyTorch bridge: specs become real models, real models become specs.

* :func:`build` turns any spec (a built-in or a user's file) into an
  ``nn.Module`` with exactly its layers: the spec's layer names are the
  module paths, a block is a module whose ``forward`` adds its residual, a
  convolution unit is ``Sequential(conv, bn, act)``, squeeze-and-excitation
  pools and multiplies in its ``forward`` (as torchvision's does).
* :func:`extract` runs a model once on a sample input (on the ``meta`` device
  where that works, else on the CPU) and records every leaf module it calls
  and every functional operation inside the ``forward`` of the others
  (``F.adaptive_avg_pool2d``, ``F.hardsigmoid``, ``x * s``, ``x + y`` ...),
  with their shapes, as a spec with explicit input shapes.  An operation the
  engine has no formula for is reported by name and count, never counted as
  zero silently.
* :func:`load_model` resolves the MODEL arguments ``torchvision:NAME`` and
  ``path/to/file.py:callable``.

torch is imported only here, and only when one of these is called.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import re
import sys
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import MissingExtra, ModelLoadError, UsageError
from .layers import resolve_padding

MODEL_REF = re.compile(r"^(torchvision:[A-Za-z0-9_]+|.+\.py:[A-Za-z_][A-Za-z0-9_]*)$")


def is_model_ref(arg) -> bool:
    """``torchvision:NAME`` or ``file.py:callable`` (checked without importing torch)."""
    return isinstance(arg, str) and bool(MODEL_REF.match(arg))


def is_module(obj) -> bool:
    """An ``nn.Module``, recognised without importing torch."""
    return any(c.__module__ == "torch.nn.modules.module" and c.__name__ == "Module"
               for c in type(obj).__mro__)


def require_torch():
    """Import torch, or say in one line that the `torch` extra is missing."""
    try:
        import torch  # noqa: F401
        import torch.nn  # noqa: F401
    except ImportError:
        raise MissingExtra("this needs PyTorch: install the 'torch' extra "
                           "(pip install -e '.[torch]')") from None
    import torch
    return torch


# --------------------------------------------------------------------------- MODEL arguments

def parse_kwargs(text: str | None) -> dict:
    """``"width_mult=0.75,dropout=0.1"`` -> ``{"width_mult": 0.75, "dropout": 0.1}``."""
    out = {}
    if not text:
        return out
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise UsageError(f"--kwargs takes key=value pairs separated by commas, got {part!r}")
        key, value = (s.strip() for s in part.split("=", 1))
        if not key.isidentifier():
            raise UsageError(f"--kwargs: {key!r} is not a keyword name")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def load_model(ref: str, kwargs: dict | None = None):
    """An ``nn.Module`` from ``torchvision:NAME`` (always ``weights=None``) or
    ``path/to/file.py:callable`` (a class or factory, called with ``kwargs``).

    Warnings raised while the model is built (torch's "zero-element tensors") are not
    printed: an error is one line, and a result is the count."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _load_model(ref, kwargs)


def _load_model(ref: str, kwargs: dict | None = None):
    torch = require_torch()
    kwargs = dict(kwargs or {})
    if ref.startswith("torchvision:"):
        name = ref.split(":", 1)[1]
        try:
            import torchvision
        except ImportError:
            raise MissingExtra("torchvision is not installed: install the 'torch' extra") from None
        if name not in torchvision.models.list_models():
            raise ModelLoadError(f"{ref}: torchvision has no model {name!r}")
        kwargs.pop("weights", None)
        try:
            model = torchvision.models.get_model(name, weights=None, **kwargs)
        except Exception as e:  # noqa: BLE001 - any failure is the user's model, one line
            raise ModelLoadError(f"{ref}: building it failed: {_one_line(e)}") from None
        return model.eval()
    path, _, attr = ref.rpartition(":")
    file = Path(path)
    if not file.is_file():
        raise ModelLoadError(f"{path}: no such file")
    mod_name = f"_costmodel_user_{abs(hash(str(file.resolve())))}"
    try:
        spec = importlib.util.spec_from_file_location(mod_name, file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
    except SyntaxError as e:
        raise ModelLoadError(f"{path}:{e.lineno}: syntax error: {e.msg}") from None
    except SystemExit as e:
        raise ModelLoadError(f"{path}: importing it called sys.exit({e.code!r}){_where(e, file)}"
                             ) from None
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(f"{path}: importing it failed: {_one_line(e)}"
                             f"{_where(e, file)}") from None
    if not hasattr(module, attr):
        raise ModelLoadError(f"{path}: has no {attr!r}")
    factory = getattr(module, attr)
    if isinstance(factory, torch.nn.Module):
        model = factory
    elif callable(factory):
        try:
            model = factory(**kwargs)
        except SystemExit as e:
            raise ModelLoadError(f"{ref}: calling it called sys.exit({e.code!r}){_where(e, file)}"
                                 ) from None
        except Exception as e:  # noqa: BLE001
            raise ModelLoadError(f"{ref}: calling it raised {_one_line(e)}{_where(e, file)}") from None
    else:
        raise ModelLoadError(f"{ref}: is not a class, a function or a module")
    if not isinstance(model, torch.nn.Module):
        raise ModelLoadError(f"{ref}: returned a {type(model).__name__}, not a torch.nn.Module")
    return model.eval()


def _one_line(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0]}" if msg else type(e).__name__


def _where(e: BaseException, file: Path) -> str:
    """`` (at file.py:12)``: the deepest frame of the user's file in the traceback."""
    line = None
    for frame in traceback.extract_tb(e.__traceback__):
        if Path(frame.filename).resolve() == file.resolve():
            line = frame.lineno
    return f" (at {file}:{line})" if line else ""


# --------------------------------------------------------------------------- spec -> nn.Module

def build(arch, *, alpha: float = 1.0, resolution=None, classes: int | None = None,
          rounding: str = "tf"):
    """The spec as a real ``nn.Module`` (eval mode), at the given width and classes."""
    from . import count
    return build_from_costing(count(arch, alpha=alpha, resolution=resolution, classes=classes,
                                    rounding=rounding))


def _modules():
    """Module classes, defined once torch is imported."""
    torch = require_torch()
    nn, F = torch.nn, torch.nn.functional

    act_modules = {"relu": nn.ReLU, "relu6": nn.ReLU6, "hswish": nn.Hardswish,
                   "hsigmoid": nn.Hardsigmoid, "sigmoid": nn.Sigmoid}
    # Looked up when called, as a model's own forward would: counters that patch
    # torch.nn.functional (ptflops, DeepSpeed) see these calls.
    act_functions = {"relu": lambda x: F.relu(x), "relu6": lambda x: F.relu6(x),
                     "hswish": lambda x: F.hardswish(x), "hsigmoid": lambda x: F.hardsigmoid(x),
                     "sigmoid": lambda x: torch.sigmoid(x)}

    class FC(nn.Module):
        """A fully connected layer over the flattened input, then its activation."""

        def __init__(self, features, out, bias, act):
            super().__init__()
            self.linear = nn.Linear(features, out, bias=bias)
            if act != "none":
                self.act = act_modules[act]()

        def forward(self, x):
            x = self.linear(torch.flatten(x, 1) if x.dim() > 2 else x)
            return self.act(x) if hasattr(self, "act") else x

    class SE(nn.Module):
        """Squeeze-and-excitation as torchvision writes it."""

        def __init__(self, c, s, bias, act, gate, pool_module=True):
            super().__init__()
            if pool_module:
                self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc1 = nn.Conv2d(c, s, 1, bias=bias)
            self.act = act_modules[act]()
            self.fc2 = nn.Conv2d(s, c, 1, bias=bias)
            self.gate = act_modules[gate]()

        def forward(self, x):
            s = self.pool(x) if hasattr(self, "pool") else F.adaptive_avg_pool2d(x, 1)
            s = self.gate(self.fc2(self.act(self.fc1(s))))
            return s * x

    class Stage(nn.Module):
        """A group of layers run in order; its residual add (if any) adds its input."""

        def __init__(self):
            super().__init__()
            self.steps = []          # ("module", name) | ("function", fn) | ("add",)

        def forward(self, x):
            inp = x
            for step in self.steps:
                if step[0] == "module":
                    x = getattr(self, step[1])(x)
                elif step[0] == "function":
                    x = step[1](x)
                else:
                    x = x + inp
            return x

    return torch, nn, F, act_modules, act_functions, FC, SE, Stage


def build_memory(costing) -> int:
    """Bytes a spec built as a PyTorch model needs to exist and to run once (float32):
    its parameters and batch-norm buffers, and three of its largest activations."""
    sums = costing.fact_totals()
    values = sums["weights"] + sums["biases"] + 4 * sums["norm_channels"]
    largest = 0
    s = costing.shapes
    for k in ("cin", "cout"):
        h, w = ("hin", "win") if k == "cin" else ("hout", "wout")
        for c, hh, ww in zip(s[k], s[h], s[w]):
            largest = max(largest, int(c) * int(hh) * int(ww))
    return 4 * (values + 3 * largest)


def check_memory(costing, what: str = "building it as a PyTorch model"):
    """Refuse, in one line and before anything is allocated, a model that cannot fit."""
    from .limits import gib, max_build_bytes
    need, limit = build_memory(costing), max_build_bytes()
    if need > limit:
        raise UsageError(f"{costing.name}: {what} needs about {gib(need)} (parameters and "
                         f"activations, float32), more than the limit of {gib(limit)} "
                         f"(half this machine's memory)")


def _free_name(parent, leaf: str) -> str:
    """``leaf``, or ``leaf_1``, ``leaf_2`` ... where ``leaf`` is taken in ``parent``: by a
    child, or by an attribute (``forward``, ``steps``, ``training``)."""
    name, i = leaf, 0
    while name in parent._modules or hasattr(parent, name):
        i += 1
        name = f"{leaf}_{i}"
    return name


def build_from_costing(costing):
    """An ``nn.Module`` with exactly the layers (and shapes) of an evaluated spec.

    Module paths are the spec's layer names; where a name is taken (a method such as
    ``forward``, or a layer ``a`` beside a group ``a.b``) the module is ``a_1``, and the
    model's ``costmodel_paths`` maps every spec path to its module path.  Refused in one
    line when it would not fit in memory (:func:`check_memory`)."""
    check_memory(costing)
    torch, nn, F, act_modules, act_functions, FC, SE, Stage = _modules()
    root = Stage()
    stages = {"": root}
    built = {"": ""}           # a stage's spec path -> its module path
    back = {"": ""}            # module path -> spec path

    def attach(parent_path: str, leaf: str, module, path: str) -> str:
        parent = stage_for(parent_path)
        name = _free_name(parent, leaf)
        parent.add_module(name, module)
        parent.steps.append(("module", name))
        here = f"{built[parent_path]}.{name}" if built[parent_path] else name
        back[here] = path
        return here

    def stage_for(path: str):
        if path not in stages:
            parent, _, leaf = path.rpartition(".")
            s = Stage()
            built[path] = attach(parent, leaf, s, path)
            stages[path] = s
        return stages[path]

    for r in costing.layers:
        parent, _, leaf = r.name.rpartition(".")
        stage = stage_for(parent)
        L = r.layer
        cin, cout = r.input[0], r.output[0]
        if r.type in ("conv", "dw"):
            groups = cin if L["groups"] == 0 else L["groups"]
            parts = [nn.Conv2d(cin, cout, L["k"], stride=L["s"], padding=resolve_padding(L),
                               dilation=L["dilation"], groups=groups, bias=L["bias"])]
            if L["norm"] == "bn":
                parts.append(nn.BatchNorm2d(cout))
            if L["act"] != "none":
                parts.append(act_modules[L["act"]]())
            module = nn.Sequential(*parts)
        elif r.type == "fc":
            module = FC(cin * r.input[1] * r.input[2], cout, L["bias"], L["act"])
        elif r.type == "bn":
            module = nn.BatchNorm2d(cin)
        elif r.type == "act":
            if L["fn"] == "none":
                continue
            if L["call"] == "function":
                stage.steps.append(("function", act_functions[L["fn"]]))
                continue
            module = act_modules[L["fn"]]()
        elif r.type == "avgpool":
            if L["call"] == "function":
                stage.steps.append(("function", lambda x: F.adaptive_avg_pool2d(x, 1)))
                continue
            module = nn.AdaptiveAvgPool2d(1)
        elif r.type == "se":
            module = SE(cin, r.mid, L["bias"], L["act"], L["gate"], L["pool"] == "module")
        elif r.type == "add":
            stage.steps.append(("add",))
            continue
        elif r.type == "mul":
            stage.steps.append(("function", lambda x: x * x))   # the cost of any C·H·W multiply
            continue
        elif r.type == "flatten":
            module = nn.Flatten()
        elif r.type == "dropout":
            module = nn.Dropout(L["p"])
        else:  # pragma: no cover - every kind is handled above
            raise NotImplementedError(r.type)
        attach(parent, leaf, module, r.name)
    root.costmodel_paths = back
    return root.eval()


def spec_paths(model, by_module: dict) -> dict:
    """``by_module`` keyed by the spec's paths where :func:`build_from_costing` renamed a
    module (``costmodel_paths``: module path -> spec path); unchanged otherwise.  Counts
    of two modules that stand for one spec path are added."""
    back = getattr(model, "costmodel_paths", None)
    if not back or all(k == v for k, v in back.items()):
        return by_module

    def spec_path(p: str) -> str:
        head = p
        while head not in back:
            if "." not in head:
                return p
            head = head.rpartition(".")[0]
        return back[head] + p[len(head):]
    out: dict = {}
    for k, v in by_module.items():
        key = spec_path(k)
        out[key] = out.get(key, 0) + v
    return out


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
    return [int(_prod(s[1:]) or 1), 1, 1]


def _prod(xs):
    out = 1
    for x in xs:
        out *= int(x)
    return out


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


# --------------------------------------------------------------------------- fvcore

def fvcore_counts(model, resolution, channels: int = 3):
    """fvcore's by-module counts, total and skipped operators for ``model`` at ``resolution``."""
    torch = require_torch()
    import warnings
    try:
        from fvcore.nn import FlopCountAnalysis
    except ImportError:
        raise MissingExtra("this needs fvcore: install the 'torch' extra "
                           "(pip install -e '.[torch]')") from None
    h, w = (resolution, resolution) if isinstance(resolution, int) else resolution
    x = torch.zeros(1, channels, h, w)
    model = model.eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        f = FlopCountAnalysis(model, x)
        f.unsupported_ops_warnings(False)
        f.uncalled_modules_warnings(False)
        f.tracer_warnings("none")
        by_module = dict(f.by_module())
        total = int(f.total())
        skipped = dict(f.unsupported_ops())
    return by_module, total, skipped


def module_tree(model) -> dict[str, list[str]]:
    """Each module path's direct children paths."""
    tree: dict[str, list[str]] = defaultdict(list)
    for path, _ in model.named_modules():
        if path:
            parent = path.rpartition(".")[0]
            tree[parent].append(path)
    return tree
