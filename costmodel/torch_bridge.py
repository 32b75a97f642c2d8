"""The PyTorch bridge: specs become real models, real models become specs.

* :func:`build` turns any spec (a built-in or a user's file) into an
  ``nn.Module`` with exactly its layers: the spec's layer names are the
  module paths, a block is a module whose ``forward`` adds its residual, a
  convolution unit is ``Sequential(conv, bn, act)``, squeeze-and-excitation
  pools and multiplies in its ``forward`` (as torchvision's does).
* :func:`load_model` resolves the MODEL arguments ``torchvision:NAME``,
  ``timm:NAME`` and ``path/to/file.py:callable``; ``capture.py`` counts the
  model by running it once.

torch is imported only here, and only when one of these is called.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import traceback
from pathlib import Path

from .errors import MissingExtra, ModelLoadError, UsageError

MODEL_REF = re.compile(r"^(torchvision:[A-Za-z0-9_]+|timm:[A-Za-z0-9_.\-]+|"
                       r".+\.py:[A-Za-z_][A-Za-z0-9_]*)$")


def is_model_ref(arg) -> bool:
    """``torchvision:NAME``, ``timm:NAME`` or ``file.py:callable`` (checked without importing
    torch)."""
    return isinstance(arg, str) and bool(MODEL_REF.match(arg))


def is_module(obj) -> bool:
    """An ``nn.Module``, recognised without importing torch."""
    return any(c.__module__ == "torch.nn.modules.module" and c.__name__ == "Module"
               for c in type(obj).__mro__)


def is_pytorch(model) -> bool:
    """A MODEL argument that is a PyTorch model (a module or a reference to one), not a spec:
    the one test every command makes before counting."""
    return is_module(model) or is_model_ref(model)


#: A PyTorch model's input resolution when none is given (the ImageNet models' 224).
DEFAULT_RESOLUTION = 224


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


def parse_input(text: str | None):
    """``"1x28x28"`` or ``"3×256×192"`` -> ``(1, 28, 28)``: a model's input without the batch
    (any number of dimensions, each a whole number > 0)."""
    if text is None:
        return None
    parts = re.split(r"[x×,]", str(text).strip().lower())
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        dims = ()
    if not dims or any(d <= 0 for d in dims):
        raise UsageError(f"--input takes the input's shape without the batch as CxHxW "
                         f"(e.g. 1x28x28 or 3x256x192), got {text!r}")
    return dims


def load_model(ref: str, kwargs: dict | None = None):
    """An ``nn.Module`` from ``torchvision:NAME`` (always ``weights=None``), ``timm:NAME``
    (``pretrained=False``; the ``timm`` extra) or ``path/to/file.py:callable`` (a class or
    factory, called with ``kwargs``; the file's folder is importable for its sibling
    modules).

    Warnings raised while the model is built (torch's "zero-element tensors") are not
    printed: an error is one line, and a result is the count."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _load_model(ref, kwargs)


def _load_model(ref: str, kwargs: dict | None = None):
    torch = require_torch()
    kwargs = dict(kwargs or {})
    if ref.startswith("timm:"):
        name = ref.split(":", 1)[1]
        try:
            import timm
        except ImportError:
            raise MissingExtra("timm is not installed: install the 'timm' extra "
                               "(pip install -e '.[timm]')") from None
        if name.split(".")[0] not in timm.list_models():
            raise ModelLoadError(f"{ref}: timm has no model {name!r}")
        kwargs.pop("pretrained", None)
        try:
            model = timm.create_model(name, pretrained=False, **kwargs)
        except Exception as e:  # noqa: BLE001 - any failure is the model's, one line
            raise ModelLoadError(f"{ref}: building it failed: {_one_line(e)}") from None
        return model.eval()
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
    folder = str(file.resolve().parent)
    if folder not in sys.path:      # its sibling modules import as they do when it is run
        sys.path.insert(0, folder)
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
                   "hsigmoid": nn.Hardsigmoid, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
                   "swish": nn.SiLU}
    # Looked up when called, as a model's own forward would: counters that patch
    # torch.nn.functional (ptflops, DeepSpeed) see these calls.
    act_functions = {"relu": lambda x: F.relu(x), "relu6": lambda x: F.relu6(x),
                     "hswish": lambda x: F.hardswish(x), "hsigmoid": lambda x: F.hardsigmoid(x),
                     "sigmoid": lambda x: torch.sigmoid(x), "gelu": lambda x: F.gelu(x),
                     "swish": lambda x: F.silu(x)}

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
        """A group of layers run in order; its residual add (if any) adds its input, a
        shortcut (``reads = "block"``) reads it, a concatenation appends a kept output."""

        def __init__(self):
            super().__init__()
            # ("module", name[, "block"]) | ("function", fn[, "block"]) | ("add",) | ("concat", i)
            self.steps = []
            self.keep = set()        # steps whose output a later concatenation reads

        def forward(self, x):
            inp = x
            kept = {}
            for i, step in enumerate(self.steps):
                src = inp if step[-1] == "block" else x
                if step[0] == "module":
                    x = getattr(self, step[1])(src)
                elif step[0] == "function":
                    x = step[1](src)
                elif step[0] == "concat":
                    x = torch.cat((x, kept.pop(step[1])), 1)
                else:
                    x = x + inp
                if i in self.keep:
                    kept[i] = x
            return x

    return torch, nn, F, act_modules, act_functions, FC, SE, Stage


def build_memory(costing) -> int:
    """Bytes a spec built as a PyTorch model needs to exist and to run once (float32):
    its parameters and batch-norm buffers, and three of its largest activations."""
    from .op_kinds import numel
    capture = getattr(costing, "capture", None)
    if capture is not None:               # a PyTorch model: its parameters, its largest tensor
        largest = max((numel(t.shape) for c in capture.layers for t in c.outputs), default=0)
        return 4 * ((costing.model_params or 0) + 3 * largest)
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

    from types import SimpleNamespace
    from .layers import KINDS
    ctx = SimpleNamespace(torch=torch, nn=nn, F=F, act_modules=act_modules,
                          act_functions=act_functions, FC=FC, SE=SE)
    step_of = {}               # spec path -> (its stage, its step's index there)
    for r in costing.layers:
        parent, _, leaf = r.name.rpartition(".")
        stage = stage_for(parent)
        made = KINDS[r.type].build(ctx, r)        # each kind knows how it is built
        if made is None:
            continue
        if isinstance(made, tuple) and made[0] == "concat":
            where = step_of.get(made[1])
            if where is None or where[0] is not stage:
                raise UsageError(f"{r.name}: concatenates {made[1]!r}, which is not an earlier "
                                 f"layer of the same block")
            stage.keep.add(where[1])
            made = ("concat", where[1])
        if isinstance(made, tuple):
            stage.steps.append(made)
        else:
            attach(parent, leaf, made, r.name)
        if (r.layer or {}).get("reads") == "block":
            stage.steps[-1] = (*stage.steps[-1], "block")
        step_of[r.name] = (stage, len(stage.steps) - 1)
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


# --------------------------------------------------------------------------- fvcore

def fvcore_counts(model, resolution, channels: int = 3, input_shape=None):
    """fvcore's by-module counts, total and skipped operators for ``model`` at ``resolution``
    (or on an input of ``input_shape``, without the batch)."""
    torch = require_torch()
    import warnings
    try:
        from fvcore.nn import FlopCountAnalysis
    except ImportError:
        raise MissingExtra("this needs fvcore: install the 'torch' extra "
                           "(pip install -e '.[torch]')") from None
    if input_shape is None:
        h, w = (resolution, resolution) if isinstance(resolution, int) else resolution
        input_shape = (channels, h, w)
    x = torch.zeros(1, *input_shape)
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
