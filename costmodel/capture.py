"""Operator-level capture: a PyTorch model run once, every operation seen and named.

The model runs once on a zero input (on the ``meta`` device where that works:
no arithmetic, no memory; else on the CPU) under two modes at once:

* a ``TorchFunctionMode`` sees every call the model's code makes into torch,
  however it is written: a module's ``F.conv2d``, ``F.linear`` on a 3-D
  tensor, ``x @ y``, ``torch.einsum``, ``x.mean((2, 3))``, ``F.batch_norm``
  inside timm's ``BatchNormAct2d``, a convolution with the module's own
  ``nn.Parameter`` (weight standardisation) ... (what it *wrote*);
* a ``TorchDispatchMode`` (the mechanism of torch's ``FlopCounterMode``) sees
  the aten operators each call runs (what it *did*): their multiply-accumulates
  are the facts' products, so ``paper`` MACs are ``FlopCounterMode``'s total / 2.

Module forward hooks keep the stack of modules being run, so every call is
named by its module path (``blocks.3.attn.qkv``); an ``nn.MultiheadAttention``
that would take PyTorch's fused eval path is marked so.  Each call becomes one
:class:`CapturedLayer` whose kind (``op_kinds.py``) gives its facts.  Shape
queries and asserts (calls with no tensor result) are not operations.

For every layer the record keeps the shapes, dtypes and element sizes of all
its tensor inputs and outputs and where each input came from (the model input,
an earlier layer, a parameter or buffer, a constant): enough for tensor
lifetimes and peak memory.  Every parameter belongs to the first layer that
uses it (directly, or through operations on parameters only); the parameters
of modules never called (googlenet's auxiliary heads in eval mode) are
listed, and counted under ``pytorch`` params.  Operations no kind reads are
counted in ``uncounted`` by name, never as zero silently.
"""

from __future__ import annotations

import copy
import functools
import weakref
from collections import Counter
from dataclasses import dataclass, field
from math import prod

import numpy as np

from . import op_kinds
from .errors import ModelLoadError
from .layers import FACT_ROW, FACTS

#: aten operators that do no arithmetic (views, copies, constants, concatenation).
FREE_ATEN = {
    "view", "_unsafe_view", "reshape", "permute", "transpose", "t", "expand", "clone", "contiguous",
    "squeeze", "unsqueeze", "slice", "select", "cat", "split", "split_with_sizes", "unbind", "chunk",
    "alias", "detach", "_to_copy", "copy_", "copy", "empty", "zeros", "ones", "full", "arange",
    "new_zeros", "new_empty", "new_ones", "new_full", "empty_like", "zeros_like", "ones_like",
    "full_like", "fill_", "fill", "lift_fresh", "as_strided", "index_select", "stack",
    "constant_pad_nd", "roll", "flip", "repeat", "empty_strided", "scalar_tensor", "_reshape_alias",
    "unfold", "gather", "index", "narrow", "expand_copy", "permute_copy", "view_copy",
    "_local_scalar_dense", "zero_", "lift_fresh_copy", "detach_", "_unsafe_index", "pixel_shuffle",
    "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "movedim", "tensor_split",
    "unsqueeze_", "squeeze_", "t_", "transpose_", "set_", "resize_", "diagonal", "tril_indices",
    "triu_indices", "linspace", "randn", "rand", "meshgrid", "masked_select", "nonzero",
}
CONV_ATEN = {"convolution", "_convolution", "convolution_overrideable", "cudnn_convolution",
             "_slow_conv2d_forward"}
SDPA_ATEN = {"_scaled_dot_product_flash_attention", "_scaled_dot_product_efficient_attention",
             "_scaled_dot_product_cudnn_attention", "_scaled_dot_product_flash_attention_for_cpu"}


def aten_products(name: str, args, out):
    """Multiply-accumulates of one aten operator, as ``FlopCounterMode`` counts them (its
    FLOPs / 2), with the dimensions multiplied; ``None`` for an operator without products.

    convolution: ``N·prod(w.shape)·prod(out spatial)`` (transposed: input spatial);
    ``mm``/``addmm``: ``m·k·n``; ``bmm``/``baddbmm``: ``b·m·k·n``; attention kernels:
    ``B·H·L·S·E + B·H·L·S·Ev``.
    """
    if name in CONV_ATEN:
        x, w = args[0].shape, args[1].shape
        transposed = bool(args[6]) if len(args) > 6 else False
        spatial = x[2:] if transposed else out.shape[2:]
        dims = (int(x[0]), *(int(v) for v in w), *(int(v) for v in spatial))
        return dims, prod(dims)
    if name in ("mm", "addmm"):
        a, b = (args[0], args[1]) if name == "mm" else (args[1], args[2])
        dims = (int(a.shape[0]), int(a.shape[1]), int(b.shape[1]))
        return dims, prod(dims)
    if name in ("bmm", "baddbmm"):
        a, b = (args[0], args[1]) if name == "bmm" else (args[1], args[2])
        dims = (int(a.shape[0]), int(a.shape[1]), int(a.shape[2]), int(b.shape[2]))
        return dims, prod(dims)
    if name in SDPA_ATEN:
        q, k, v = args[0].shape, args[1].shape, args[2].shape
        lead = prod(int(s) for s in q[:-2])
        L, S, E, Ev = int(q[-2]), int(k[-2]), int(q[-1]), int(v[-1])
        return (lead, L, S, E + Ev), lead * L * S * (E + Ev)
    return None


def _softmax_elements(name: str, args, out) -> int:
    if name in ("_softmax", "_safe_softmax", "softmax"):
        return prod(int(s) for s in out.shape)
    if name in SDPA_ATEN:
        q, k = args[0].shape, args[1].shape
        return prod(int(s) for s in q[:-1]) * int(k[-2])
    return 0


@dataclass
class TensorUse:
    """One tensor a layer reads: its shape, dtype, bytes per element and where it came from.

    ``source``: ``"input"`` (the model's input), ``"layer"`` (``producer`` is that layer's
    index), ``"param"`` / ``"buffer"`` (``name`` is its name in the model), ``"const"``.
    """

    shape: tuple
    dtype: str
    itemsize: int
    source: str
    producer: int | None = None
    name: str = ""
    #: the allocation it lives in (``Capture.storages`` index; None: a parameter, buffer
    #: or constant)
    storage: int | None = None

    @property
    def bytes(self) -> int:
        return prod(self.shape) * self.itemsize


@dataclass
class TensorOut:
    shape: tuple
    dtype: str
    itemsize: int
    #: the index of the input this output aliases (in-place operations), else None
    inplace_of: int | None = None
    #: the allocation it lives in (``Capture.storages`` index): a view or an in-place
    #: result shares its input's
    storage: int | None = None

    @property
    def bytes(self) -> int:
        return prod(self.shape) * self.itemsize


@dataclass
class CapturedLayer:
    """One operation of the model as its code called it, with its facts."""

    index: int
    name: str
    module: str                 # the module path it ran in ("" for the model's own forward)
    module_type: str
    op: str                     # the function as written (normalised): conv2d, linear, matmul ...
    aten: tuple                 # the aten operators it ran
    type: str                   # the layer kind's type
    label: str
    group: str
    inputs: list                # TensorUse per tensor argument
    outputs: list               # TensorOut per tensor result
    facts: dict                 # fact -> integer (only the nonzero ones)
    fields: dict = field(default_factory=dict)
    formula: str = ""
    fused: bool = False
    #: the module it ran in has an ``inplace`` option (``nn.ReLU``, ``nn.Hardswish`` ...)
    module_inplace: bool = False
    #: bytes of the temporaries its operators allocated beside its outputs, at their most
    scratch_bytes: int = 0


@dataclass
class Storage:
    """One allocation the model made while it ran (a tensor's storage, views included).

    ``producer``: the layer that wrote it (None: the model input); ``freed``: how many
    layers had run when the last tensor holding it died (None: alive at the end: the
    model's output, or held by the caller).  Python's own lifetimes, as eager PyTorch
    has them: a module's locals and arguments hold tensors until its forward returns.
    """

    bytes: int
    itemsize: int
    producer: int | None
    freed: int | None = None


@dataclass
class ModuleCall:
    """One call of a module: its path, whether it is a leaf, its own parameters and the
    elements and element size of its (first) output (what torchinfo reads)."""

    path: str
    type: str
    leaf: bool
    params: int
    output_elements: int
    itemsize: int


@dataclass
class Capture:
    """A model run once: its layers, what has no formula, and what was never called."""

    name: str
    input_shape: tuple          # with the batch dimension
    device: str
    layers: list
    uncounted: Counter
    #: module path -> parameters, for modules never called (or parameters never used)
    uncalled: dict
    params: int                 # sum(p.numel()) of the model, shared parameters once
    model: object = None
    #: every allocation, in the order made (0: the model input)
    storages: list = field(default_factory=list)
    #: every module call, in the order they returned
    modules: list = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.uncounted

    @property
    def resolution(self) -> tuple:
        s = self.input_shape[2:]
        if len(s) >= 2:
            return (int(s[-2]), int(s[-1]))
        return (int(s[0]), 1) if s else (1, 1)

    def matrix(self) -> np.ndarray:
        """The facts matrix (rows ``layers.FACTS`` + a scratch row, columns layers)."""
        F = np.zeros((len(FACTS) + 1, len(self.layers)), dtype=np.int64)
        for j, layer in enumerate(self.layers):
            for k, v in layer.facts.items():
                F[FACT_ROW[k], j] = v
        return F


class _Call:
    """What one function call did: read by the kinds in ``op_kinds``."""

    def __init__(self, fname, module_path, module_type, fused):
        self.fname = fname
        self.base = op_kinds.normalise(fname)
        self.module_path = module_path
        self.module_type = module_type
        self.fused = fused
        self.aten: list[str] = []
        self.products: list[tuple] = []        # (aten name, dims, macs)
        self.softmax = 0
        self.bias_elements = 0
        self.ins: list[TensorUse] = []
        self.outs: list[tuple] = []
        self.weight_shape = None
        self.conv_transposed = False
        self.conv_groups = 1
        self.conv_stride = (1, 1)
        self.has_bias = False
        self.has_param_weight = False
        self.norm_affine = False
        self.hardtanh_bounds = None
        self.upsample_mode = ""
        self.residual = False
        self.einsum = None                      # (equation, operand shapes)
        self.functional = False                 # called as torch.nn.functional.<fname>
        self.method = False                     # called as torch.add / x.add (not +), ...
        self.module_leaf = False                # the module it ran in has no children
        self.module_class = ""                  # its class, with the module it is defined in
        self.new_storages: list[int] = []       # allocations its operators made
        self.peak_live = 0                      # most bytes of those alive at once

    def products_total(self, names=None) -> int:
        return sum(m for n, _, m in self.products if names is None or n in names)

    @property
    def product_dims(self):
        return [d for _, d, _ in self.products]


def _tensors(obj, torch, depth=0):
    if isinstance(obj, torch.Tensor):
        return [obj]
    if depth < 2 and isinstance(obj, (list, tuple)):
        out = []
        for x in obj:
            out.extend(_tensors(x, torch, depth + 1))
        return out
    return []


def _arg(args, kwargs, i, name, default=None):
    if len(args) > i:
        return args[i]
    return kwargs.get(name, default)


def _mha_fast_path(torch, m, args, kwargs) -> bool:
    """Would ``nn.MultiheadAttention.forward`` take the fused ``_native_multi_head_attention``
    path in eval mode, without grad, on the CPU (how fvcore runs it)?  Its own conditions."""
    q = _arg(args, kwargs, 0, "query")
    k = _arg(args, kwargs, 1, "key")
    v = _arg(args, kwargs, 2, "value")
    kpm = _arg(args, kwargs, 3, "key_padding_mask")
    mask = _arg(args, kwargs, 5, "attn_mask")
    for t in (kpm, mask):
        if t is not None and torch.is_floating_point(t):
            return False
    return bool(torch.backends.mha.get_fastpath_enabled() and q is not None and q.dim() == 3
                and q is k and k is v and m.in_proj_weight is not None and not m.training
                and m.num_heads % 2 == 0 and m.batch_first and m.bias_k is None
                and m.bias_v is None and not m.add_zero_attn and m._qkv_same_embed_dim
                and m.in_proj_bias is not None and not torch.is_autocast_enabled())


class _Recorder:
    """The state of one capture: module stack, tensor sources, parameters, layers."""

    def __init__(self, torch, model, x):
        self.torch = torch
        self.model = model
        self.names = {}
        for n, m in model.named_modules(remove_duplicate=False):
            self.names.setdefault(m, n)
        self.stack: list = []
        self.fused_depth = 0
        self.called: set = set()
        self.src: dict[int, tuple] = {id(x): ("input", None, "")}
        self.keep = [x]
        # allocations: storage key -> Storage index while alive; tensors holding each
        self.resident: set = set()
        self.storages: list[Storage] = []
        self.alive: dict = {}
        self.refs: Counter = Counter()
        self.tracked: set = set()
        self.module_calls: list[ModuleCall] = []
        self.param_of: dict[int, str] = {}
        self.roots: dict[int, frozenset] = {}
        self.param_numel: dict[str, int] = {}
        for n, p in model.named_parameters():
            self.param_of[id(p)] = n
            self.roots[id(p)] = frozenset([n])
            self.param_numel[n] = p.numel()
            self.src[id(p)] = ("param", None, n)
            self.keep.append(p)
        for n, b in model.named_buffers():
            self.src[id(b)] = ("buffer", None, n)
            self.keep.append(b)
        for t in list(model.parameters()) + list(model.buffers()):
            self.resident.add(_storage_key(t))
        self.track(x, None)
        self.owner: dict[str, int] = {}        # param -> layer index that owns it
        self.first_use: dict[str, int] = {}
        self.layers: list[CapturedLayer] = []
        self.calls: list[_Call] = []
        self.uncounted: Counter = Counter()
        self.used_names: Counter = Counter()
        self.current: _Call | None = None
        self.method_call = False

    # -- modules
    def pre(self, module, args, kwargs):
        self.stack.append(module)
        self.called.add(module)
        if _class_name(module) in op_kinds.ATTENTION_MODULES:
            module.__dict__["_costmodel_first"] = len(self.layers)
        fused = isinstance(module, self.torch.nn.MultiheadAttention) and \
            _mha_fast_path(self.torch, module, args, kwargs)
        module._costmodel_fused = fused
        if fused:
            self.fused_depth += 1

    def post(self, module, args, kwargs, output):
        if self.stack and self.stack[-1] is module:
            self.stack.pop()
        first = module.__dict__.pop("_costmodel_first", None)
        if first is not None and len(self.layers) > first:
            inp = _tensors(list(args), self.torch)
            query = prod(int(v) for v in inp[0].shape) if inp else 0
            bias = 0
            if isinstance(module, self.torch.nn.MultiheadAttention) and inp:
                rows = query // module.embed_dim          # N·L
                bias = rows * module.embed_dim * (4 if module.in_proj_bias is not None else 1)
            facts = op_kinds.attention_module_facts(self.layers[first:], query, bias)
            last = self.layers[-1].facts
            for k, v in facts.items():
                if v:
                    last[k] = last.get(k, 0) + v
        outs = _tensors(output, self.torch)
        if outs:
            leaf = next(module.children(), None) is None
            self.module_calls.append(ModuleCall(
                self.names.get(module, ""), type(module).__name__, leaf,
                sum(p.numel() for p in module.parameters()),
                prod(int(v) for v in outs[0].shape), outs[0].element_size()))
        if getattr(module, "_costmodel_fused", False):
            self.fused_depth -= 1
        module.__dict__.pop("_costmodel_fused", None)

    def new_call(self, fname) -> _Call:
        m = self.stack[-1] if self.stack else None
        path = self.names.get(m, "") if m is not None else ""
        call = _Call(fname, path, type(m).__name__ if m is not None else "", self.fused_depth > 0)
        call.module_inplace = m is not None and hasattr(m, "inplace") and \
            not isinstance(m, self.torch.nn.modules.dropout._DropoutNd)
        call.module_leaf = m is not None and next(m.children(), None) is None
        call.module_class = _class_name(m) if m is not None else ""

        return call

    # -- allocations
    def track(self, t, call):
        """The Storage index of tensor ``t``'s storage, recording a new allocation (made
        during ``call``); None for parameters, buffers (and views of them) and empty
        tensors.  Every tensor followed is watched until it dies: its allocation's
        lifetime, and its id forgotten (``src``, ``roots``) before Python reuses it."""
        key = _storage_key(t)
        sid = None
        if key not in self.resident:
            sid = self.alive.get(key)
            if sid is None and t.untyped_storage().nbytes() > 0:
                sid = len(self.storages)
                self.storages.append(Storage(t.untyped_storage().nbytes(), t.element_size(),
                                             None if call is None else -1))
                self.alive[key] = sid
                if call is not None:
                    call.new_storages.append(sid)
        if id(t) not in self.tracked:
            self.tracked.add(id(t))
            if sid is not None:
                self.refs[key] += 1
            weakref.finalize(t, self._died, id(t), key if sid is not None else None)
        return sid

    def _died(self, ident, key):
        self.tracked.discard(ident)
        self.src.pop(ident, None)
        self.roots.pop(ident, None)
        if key is None:
            return
        self.refs[key] -= 1
        if self.refs[key] == 0:
            del self.refs[key]
            sid = self.alive.pop(key, None)
            if sid is not None:
                self.storages[sid].freed = len(self.layers)

    # -- aten operators
    def aten(self, func, args, kwargs, out):
        name = func._overloadpacket.__name__
        call = self.current
        standalone = call is None
        if standalone:          # an operator run outside any function call the mode saw
            call = self.new_call(name)
            call_args = args
        call.aten.append(name)
        for t in _tensors(out, self.torch):
            self.track(t, call)
        live = sum(self.storages[i].bytes for i in call.new_storages
                   if self.storages[i].freed is None and self.storages[i].producer == -1)
        call.peak_live = max(call.peak_live, live)
        pr = aten_products(name, args, out)
        if pr is not None:
            call.products.append((name, pr[0], pr[1]))
        call.softmax += _softmax_elements(name, args, out)
        if name in CONV_ATEN and call.weight_shape is None:
            call.weight_shape = tuple(int(v) for v in args[1].shape)
            call.conv_transposed = bool(args[6]) if len(args) > 6 else False
            call.conv_groups = int(args[8]) if len(args) > 8 else 1
            call.conv_stride = tuple(int(v) for v in args[3]) if len(args) > 3 else (1, 1)
            call.has_bias = len(args) > 2 and args[2] is not None
        if name in ("addmm", "baddbmm"):
            call.bias_elements += prod(int(s) for s in out.shape)
        if "upsample" in name and not call.upsample_mode:
            call.upsample_mode = name.replace("_upsample_", "").replace("upsample_", "").replace("_aa", "")
        if standalone:
            self.finish(call, call_args, kwargs, out)

    # -- function calls
    def finish(self, call: _Call, args, kwargs, out):
        torch = self.torch
        outs = _tensors(out, torch)
        if not outs:
            return              # a shape query, an assert: not an operation
        ins = _tensors(list(args) + [v for v in kwargs.values()], torch)
        index = len(self.layers)
        roots: set = set()
        pure = True             # only parameters, buffers and constants in: parameter preprocessing
        for t in ins:
            kind, producer, name = self.src.get(id(t), ("const", None, ""))
            key = _storage_key(t)
            call.ins.append(TensorUse(tuple(int(s) for s in t.shape), str(t.dtype).replace("torch.", ""),
                                      t.element_size(), kind, producer, name,
                                      None if key in self.resident else self.alive.get(key)))
            r = self.roots.get(id(t))
            if r:
                roots |= r
            if kind in ("input", "layer") and not r:
                pure = False
        base = call.base
        if base in ("linear", "matmul", "mm", "addmm", "bmm", "einsum"):
            call.has_param_weight = any(self.roots.get(id(t)) for t in ins[1:])
        if base == "linear":
            call.has_bias = _arg(args, kwargs, 2, "bias") is not None
        elif base == "batch_norm":
            call.norm_affine = _arg(args, kwargs, 3, "weight") is not None
        elif base in ("layer_norm", "group_norm"):
            call.norm_affine = _arg(args, kwargs, 2, "weight") is not None
        elif base == "instance_norm":
            call.norm_affine = _arg(args, kwargs, 3, "weight") is not None
        elif base == "hardtanh":
            call.hardtanh_bounds = (float(_arg(args, kwargs, 1, "min_val", -1.0)),
                                    float(_arg(args, kwargs, 2, "max_val", 1.0)))
        elif base == "einsum" and args and isinstance(args[0], str):
            call.einsum = (args[0], [tuple(int(v) for v in t.shape) for t in ins])
        elif base == "add":
            call.residual = len(ins) == 2 and ins[0].shape == ins[1].shape
        call.outs = [tuple(int(s) for s in o.shape) for o in outs]
        kind = op_kinds.kind_for(base, call)
        if kind is None:
            arith = [a for a in call.aten if a not in FREE_ATEN]
            if call.products:
                kind = op_kinds.KINDS["Convolution" if call.weight_shape else "MatMul"]
            elif not arith:
                kind = op_kinds.KINDS["Reshape"]
            else:
                kind = op_kinds.UNCOUNTED
                self.uncounted[base] += 1
        facts = {k: int(v) for k, v in kind.facts(call).items() if v}
        # parameters: owned by the first layer that uses them outside parameter preprocessing
        for r in roots:
            self.first_use.setdefault(r, index)
        if not pure:
            for t in ins:
                for r in sorted(self.roots.get(id(t), ())):
                    if r in self.owner:
                        continue
                    self.owner[r] = index
                    n = self.param_numel[r]
                    role = "weight" if t.dim() >= 2 else "bias"
                    fact = kind.param_facts.get(role, "other_params")
                    if fact == "batch norm":
                        fact = "bn_params"
                    facts[fact] = facts.get(fact, 0) + n
            if "bn_params" in facts:      # γ and β together: 2 per channel
                n = facts.pop("bn_params")
                c = int(call.ins[0].shape[1]) if call.ins and len(call.ins[0].shape) > 1 else 0
                if c and n == 2 * c:
                    facts["norm_channels"] = facts.get("norm_channels", 0) + c
                else:
                    facts["other_params"] = facts.get("other_params", 0) + n
        where = f"{call.module_path}." if call.module_path else ""
        short = base if len(base) < 40 else base[:40]
        self.used_names[f"{where}{short}"] += 1
        k = self.used_names[f"{where}{short}"]
        name = f"{where}{short}" if k == 1 else f"{where}{short}@{k}"
        out_recs = []
        out_new = 0
        for o in outs:
            alias = next((i for i, t in enumerate(ins) if t is o), None)
            sid = self.track(o, call)
            if sid is not None and self.storages[sid].producer == -1:
                self.storages[sid].producer = index
                out_new += self.storages[sid].bytes
            out_recs.append(TensorOut(tuple(int(s) for s in o.shape), str(o.dtype).replace("torch.", ""),
                                      o.element_size(), alias, sid))
            self.src[id(o)] = ("layer", index, "")
            if pure and roots:
                self.roots[id(o)] = frozenset(roots)
            elif id(o) in self.roots and not pure:
                del self.roots[id(o)]
        layer = CapturedLayer(index=index, name=name, module=call.module_path,
                              module_type=call.module_type, op=base, aten=tuple(call.aten),
                              type=kind.type, label=kind.label(call), group=kind.group(call),
                              inputs=call.ins, outputs=out_recs, facts=facts,
                              fields=kind.fields(call), formula=kind.formula(call, facts),
                              fused=call.fused, module_inplace=call.module_inplace,
                              scratch_bytes=max(0, call.peak_live - out_new))
        for sid in call.new_storages:       # temporaries still alive: this layer's
            if self.storages[sid].producer == -1:
                self.storages[sid].producer = index
        self.layers.append(layer)
        self.calls.append(call)

    # -- the end
    def leftovers(self, model):
        """Parameters no layer owns: used only in parameter preprocessing (owned by their
        first user), or never used (a module never called: one pseudo-layer per module)."""
        uncalled: dict[str, int] = {}
        for name, n in self.param_numel.items():
            if name in self.owner:
                continue
            if name in self.first_use:
                layer = self.layers[self.first_use[name]]
                layer.facts["other_params"] = layer.facts.get("other_params", 0) + n
                self.owner[name] = layer.index
                continue
            uncalled[self._uncalled_module(model, name)] = uncalled.get(
                self._uncalled_module(model, name), 0) + n
        for path, n in uncalled.items():
            self.layers.append(CapturedLayer(
                index=len(self.layers), name=f"{path or '(model)'} (never called)", module=path,
                module_type="", op="", aten=(), type="uncalled", label="never called",
                group=op_kinds.UNCALLED.group(None), inputs=[], outputs=[],
                facts={"uncalled_params": n}))
        return uncalled

    def _uncalled_module(self, model, pname):
        """The outermost module never called that holds parameter ``pname`` (else its own)."""
        parts = pname.split(".")[:-1]
        mods = dict(model.named_modules())
        for i in range(1, len(parts) + 1):
            path = ".".join(parts[:i])
            m = mods.get(path)
            if m is not None and m not in self.called:
                return path
        return ".".join(parts)


#: Functions whose call as a function or method (``torch.add(x, y)``, ``x.add(y)``) some
#: peers count and whose operator (``x + y``) they do not; the torch function mode sees both
#: as ``TensorBase.add``, so the capture marks the named calls while it runs.
MARKED_METHODS = ("add", "mul", "matmul", "mm", "bmm")


def _mark_methods(torch, rec):
    """Wrap ``torch.X`` and ``torch.Tensor.X`` for :data:`MARKED_METHODS` so that a call by
    name is marked (``_Call.method``); returns what to restore.  The wrapper raises the flag
    before the call reaches the mode; an operator (``x + y``) reaches the mode first (which
    may be handed the wrapper itself as the function: it keeps the wrapper's name)."""
    restore = []
    for owner in (torch, torch.Tensor):
        for name in MARKED_METHODS:
            original = getattr(owner, name)

            @functools.wraps(original)
            def marked(*args, _original=original, **kwargs):
                rec.method_call = True
                try:
                    return _original(*args, **kwargs)
                finally:
                    rec.method_call = False
            restore.append((owner, name, original))
            setattr(owner, name, marked)
    return restore


def _class_name(m) -> str:
    """A module's class with the module it is defined in: ``torch.nn.modules.activation.GELU``."""
    return f"{type(m).__module__}.{type(m).__qualname__}"


def _storage_key(t):
    """What identifies a tensor's allocation: its storage (shared by views, on any device)."""
    return t.untyped_storage()._cdata


def meta_copy(torch, model):
    """A copy of ``model`` on the meta device, without copying its weights: every parameter
    and buffer is replaced by a meta tensor of its shape in ``deepcopy``'s memo (sharing kept)."""
    memo = {}
    for p in model.parameters():
        if id(p) not in memo:
            memo[id(p)] = torch.nn.Parameter(torch.empty_like(p, device="meta"),
                                             requires_grad=p.requires_grad)
    for b in model.buffers():
        if id(b) not in memo:
            memo[id(b)] = torch.empty_like(b, device="meta")
    return copy.deepcopy(model, memo)


def capture(model, input_shape=(3, 224, 224), *, name: str | None = None,
            device: str = "auto") -> Capture:
    """Run ``model`` once on a zero input of ``input_shape`` (without the batch) and record
    every operation.  ``device``: ``"meta"``, ``"cpu"`` or ``"auto"`` (meta, else the CPU)."""
    from .torch_bridge import require_torch
    torch = require_torch()
    input_shape = tuple(int(v) for v in input_shape)
    if device in ("auto", "meta"):
        try:
            meta_model = meta_copy(torch, model)
            return _capture(torch, meta_model, model, input_shape, name, "meta")
        except Exception:  # noqa: BLE001 - the CPU then
            if device == "meta":
                raise
    return _capture(torch, model, model, input_shape, name, "cpu")


def _capture(torch, model, original, input_shape, name, device) -> Capture:
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import TorchDispatchMode
    x = torch.zeros(1, *input_shape, device=device)
    rec = _Recorder(torch, model, x)

    class Functions(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if rec.current is not None:
                return func(*args, **kwargs)
            fname = getattr(func, "__name__", None) or type(func).__name__
            if fname == "__get__":
                fname = getattr(getattr(func, "__self__", None), "__name__", fname)
            call = rec.new_call(fname)
            call.functional = getattr(func, "__module__", None) == "torch.nn.functional"
            call.method = rec.method_call
            rec.current = call
            try:
                out = func(*args, **kwargs)
            finally:
                rec.current = None
            rec.finish(call, args, kwargs, out)
            return out

    class Operators(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            rec.aten(func, args, kwargs, out)
            return out

    handles = []
    restore = _mark_methods(torch, rec)
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(rec.pre, with_kwargs=True))
        handles.append(m.register_forward_hook(rec.post, with_kwargs=True, always_call=True))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), Operators(), Functions():
            model(x)
    except Exception as e:  # noqa: BLE001
        if device == "meta":
            raise
        from .torch_bridge import _one_line
        shape = "×".join(str(v) for v in input_shape)
        where = (f"at resolution {input_shape[1]}×{input_shape[2]} (input {shape})"
                 if len(input_shape) == 3 else f"on a {shape} input")
        raise ModelLoadError(f"the model cannot run {where}: {_one_line(e)}") from None
    finally:
        for h in handles:
            h.remove()
        for owner, attr, function in restore:
            setattr(owner, attr, function)
        model.train(was_training)
    uncalled = rec.leftovers(model)
    seen, params = set(), 0
    for p in original.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            params += p.numel()
    return Capture(name=name or type(original).__name__, input_shape=tuple(x.shape), device=device,
                   layers=rec.layers, uncounted=rec.uncounted, uncalled=uncalled, params=params,
                   model=original, storages=rec.storages, modules=rec.module_calls)


__all__ = ["capture", "Capture", "CapturedLayer", "TensorUse", "TensorOut", "aten_products"]
