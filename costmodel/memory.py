"""Memory: tensor sizes and bytes moved per layer, tensor lifetimes and peak inference memory.

Everything here is a function over the per-layer records of a :class:`~costmodel.costing.Costing`
(their input and output shapes, parameters and MACs) and over the *dataflow*: which earlier
tensor each layer reads.  No torch: the analytic memory of a model costs about what its table
costs.

Semantics (read this first)
---------------------------
Sizes are exact integers: ``elements`` of a tensor are ``batch·C·H·W``; ``bytes`` are
``elements · bytes per element`` at a dtype (:data:`DTYPES`: fp32 4, fp16 and bf16 2, int8 1).
Parameters (weights, biases, batch-norm γ and β) are read once per forward and do not scale
with the batch.

Per layer (:class:`LayerMemory`, :func:`layer_memory`)
    ``input_elements`` (every tensor input: a residual add reads two), ``output_elements``,
    ``param_elements``; their bytes; ``bytes_moved = param_bytes + input_bytes + output_bytes``
    (each read or written once); ``macs`` (conv and FC multiply-accumulates, at the batch)
    and ``intensity = macs / bytes_moved`` (MACs per byte, the roofline's operational
    intensity).  A view (flatten) or the identity (dropout at inference) moves nothing.

Peak inference memory, eager PyTorch (:func:`peak`)
    The layers run one after another.  A layer's output is a new tensor; it lives from
    that layer until the last layer that reads it.  A module holds its input until its
    forward returns, so the input of a block (a dotted name prefix: ``bottleneck3`` for
    ``bottleneck3.dw``) lives until the block's last layer, whether or not a residual add
    reads it; the model input is held by the caller for the whole run.  During a layer
    the memory in use is every live tensor (its inputs and output included) plus the
    layer's own scratch: squeeze-and-excitation keeps its gate vector (C elements) while
    it multiplies; a max pool writes its argmax indices beside its output (int64, 8 bytes
    per output element, whatever the dtype: ``max_pool2d_with_indices``, which PyTorch runs
    on CUDA, under autograd and under a dispatch mode; CPU inference without one skips them).  Batch norm is folded into the convolution and activations run in
    place, also where a model lists them as layers of their own (what an inference engine does, and what ``tests/test_memory.py`` runs under a
    dispatch-level tracker to check these peaks exactly).  Parameters are not counted in
    the peak (they are resident); ``peak.bytes + params bytes`` is the total.  A PyTorch
    model's tensors and lifetimes are its own, as the capture saw them run
    (``memory_capture.py``), under the same folding rules.

The V2 paper's rule (:func:`paper_memory`, Sandler et al., Section 5.1)
    "The amount of memory is simply the maximum total size of combined inputs and
    outputs across all operations"; an inverted residual block is one operation whose
    expanded inner tensor is never materialised.  Two of the paper's tricks are options:
    ``first_layer`` (the first convolution streamed into the first block or pool, Table 3's
    caption: "for the first layer of MobileNetV2 and ShuffleNet we can employ the trick")
    and ``pool_fusion`` (a layer followed by global pooling accumulated into the pooled
    vector, never materialised).  :func:`by_resolution` gives Table 3's view: at each
    spatial size, the most channels and the largest materialised tensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .op_kinds import numel

#: Bytes per element of each dtype.
DTYPES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
#: Kinds whose output is the input itself (a view, or the identity at inference).
ALIASES = ("flatten", "dropout")
#: Kinds that write no new tensor in the peak: a batch norm of its own is folded into the
#: convolution before it, an activation of its own runs in place (a spec's convolution
#: includes them; a captured model's rules are ``memory_capture.py``'s).
IN_PLACE = ("bn", "act")
# (an add or multiply the model writes into its first operand, ``x += y``, has ``inplace``)
#: Kinds that are blocks' names in the paper's rule (one operation each).
BLOCK_TYPES = ("bottleneck", "bneck")


def dtype_bytes(dtype: str) -> int:
    from .errors import UsageError
    if dtype not in DTYPES:
        raise UsageError(f"unknown dtype {dtype!r}: use one of {', '.join(DTYPES)}")
    return DTYPES[dtype]


def check_batch(batch) -> int:
    from .errors import UsageError
    if isinstance(batch, bool) or not isinstance(batch, int) or batch <= 0:
        raise UsageError(f"batch must be a whole number > 0, got {batch!r}")
    return batch


# --------------------------------------------------------------------------- dataflow

@dataclass
class Step:
    """One layer as the dataflow sees it: the tensors it reads and the one it writes."""

    index: int
    name: str
    type: str
    inputs: tuple[int, ...]          # tensor ids (0 = the model input)
    output: int                      # tensor id (an alias's output is its input's id; -1: none)
    scratch: int = 0                 # extra elements alive while it runs (batch 1)
    view: bool = False               # moves nothing (a view, the identity)
    index_bytes: int = 0             # int64 indices alive while it runs (batch 1): a max pool's


@dataclass
class Dataflow:
    """Tensors (elements at batch 1, shape, producer) and the steps that read and write them."""

    elements: list[int]
    shapes: list[tuple]
    producer: list[int]              # step index that writes each tensor (-1: the model input)
    steps: list[Step]
    held: dict[int, int] = field(default_factory=dict)   # tensor -> last step a scope holds it
    #: the last step each tensor is alive in, where known (a captured model's own lifetimes)
    last: list[int] | None = None


def _captured(costing) -> bool:
    """A PyTorch model counted by the operator-level capture (read by ``memory_capture``)."""
    return getattr(costing, "capture", None) is not None


def dataflow(costing) -> Dataflow:
    """The dataflow of an evaluated spec (or a captured model): what each layer reads.

    A layer reads the previous layer's output; a residual add also reads the input of
    the block (module) it runs in, the input of that block's first layer; a shortcut
    (``reads = "block"``: ShuffleNet's average pool) reads that block input instead; a
    concatenation also reads the output of its ``with`` layer, which stays alive until
    then.  A module holds its input until its last layer: ``held``.  A captured model's
    dataflow is its own allocations and their lifetimes (``memory_capture.dataflow``).
    """
    if _captured(costing):
        from .memory_capture import dataflow as captured_dataflow
        return captured_dataflow(costing)
    records = costing.layers
    elements = [numel(records[0].input) if records else 0]
    shapes = [tuple(records[0].input) if records else ()]
    producer = [-1]
    steps: list[Step] = []
    current = 0
    scope_first: dict[str, int] = {}     # scope -> tensor its first layer reads
    scope_last: dict[str, int] = {}      # scope -> its last step
    output_of: dict[str, int] = {}       # layer name -> the tensor it wrote
    for i, r in enumerate(records):
        parts = r.name.split(".")
        for j in range(1, len(parts)):
            scope = ".".join(parts[:j])
            scope_first.setdefault(scope, current)
            scope_last[scope] = i
        inputs = [current]
        scratch = 0
        L = r.layer or {}
        if L.get("reads") == "block":
            inputs = [scope_first[r.name.rpartition(".")[0]]]
        elif r.type == "concat":
            if L.get("with") not in output_of:
                from .errors import UsageError
                raise UsageError(f"{r.name}: concatenates {L.get('with')!r}, no earlier layer")
            inputs.append(output_of[L["with"]])
        elif r.type == "add":
            scope = r.module if r.module and r.module != r.name else r.name.rpartition(".")[0]
            if scope not in scope_first:
                from .errors import UsageError
                raise UsageError(f"{r.name}: the residual add's second input is unknown "
                                 f"(no layer of {scope!r} before it)")
            inputs.append(scope_first[scope])
        elif r.type == "se":
            scratch = r.input[0]                     # the gate vector, C elements
        if r.type in ALIASES or (r.type in IN_PLACE and i > 0) or (r.layer or {}).get("inplace"):
            out = current
        else:
            out = len(elements)
            elements.append(numel(r.output))
            shapes.append(tuple(r.output))
            producer.append(i)
        index_bytes = 8 * numel(r.output) if r.type == "pool" and L.get("fn") == "max" else 0
        steps.append(Step(i, r.name, r.type, tuple(inputs), out, scratch,
                          view=r.type in ALIASES, index_bytes=index_bytes))
        output_of[r.name] = out
        current = out
    held = {}
    for scope, t in scope_first.items():
        held[t] = max(held.get(t, -1), scope_last[scope])
    return Dataflow(elements, shapes, producer, steps, held)


# --------------------------------------------------------------------------- per layer

@dataclass(frozen=True)
class LayerMemory:
    """Memory facts of one layer at a dtype and batch (exact integers; see the module doc)."""

    name: str
    kind: str
    type: str
    inputs: tuple[tuple, ...]        # each input's shape [C, H, W] (batch not included)
    output: tuple
    input_elements: int
    output_elements: int
    param_elements: int
    input_bytes: int
    output_bytes: int
    param_bytes: int
    macs: int
    #: live bytes while this layer runs (the eager-PyTorch lifetimes of :func:`peak`)
    live_bytes: int = 0

    @property
    def bytes_moved(self) -> int:
        """Bytes read and written: parameters + inputs + output (each once)."""
        return self.param_bytes + self.input_bytes + self.output_bytes

    @property
    def intensity(self) -> Fraction:
        """Arithmetic intensity: MACs per byte moved (0 where nothing moves)."""
        return Fraction(self.macs, self.bytes_moved) if self.bytes_moved else Fraction(0)

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "inputs": [list(s) for s in self.inputs],
                "output": list(self.output), "input_elements": self.input_elements,
                "output_elements": self.output_elements, "param_elements": self.param_elements,
                "input_bytes": self.input_bytes, "output_bytes": self.output_bytes,
                "param_bytes": self.param_bytes, "bytes_moved": self.bytes_moved,
                "macs": self.macs, "macs_per_byte": float(self.intensity),
                "live_bytes": self.live_bytes}


@dataclass
class Peak:
    """Peak inference memory: bytes, the layer where it occurs, and live bytes per layer."""

    bytes: int
    layer: str
    index: int
    live: list[int]                  # bytes alive during each step
    alive: list[int]                 # tensor ids alive at the peak
    dtype: str
    batch: int


def peak(costing=None, *, dtype: str = "fp32", batch: int = 1, flow: Dataflow | None = None) -> Peak:
    """Peak memory of running the model layer after layer in eager PyTorch (see the module doc)."""
    size = dtype_bytes(dtype) * check_batch(batch)
    flow = flow or dataflow(costing)
    n = len(flow.steps)
    if flow.last is not None:
        last = list(flow.last)
    else:
        last = [-1] * len(flow.elements)
        last[0] = n - 1                               # the caller holds the model input
        for s in flow.steps:
            for t in s.inputs:
                last[t] = max(last[t], s.index)
            last[s.output] = max(last[s.output], s.index)
        for t, z in flow.held.items():
            last[t] = max(last[t], z)
        if flow.steps:
            last[flow.steps[-1].output] = n - 1
    born = [p if p >= 0 else -1 for p in flow.producer]
    # live bytes per step: a sweep over birth and death events
    delta = [0] * (n + 1)
    for t, e in enumerate(flow.elements):
        b = max(born[t], 0)
        delta[b] += e
        delta[last[t] + 1] -= e
    live, running = [], 0
    for i, s in enumerate(flow.steps):
        running += delta[i]
        live.append((running + s.scratch) * size + s.index_bytes * batch)
    if not live:
        return Peak(0, "", -1, [], [], dtype, batch)
    i = max(range(n), key=lambda k: live[k])
    alive = [t for t in range(len(flow.elements)) if max(born[t], 0) <= i <= last[t]]
    return Peak(live[i], flow.steps[i].name, i, live, alive, dtype, batch)


def layer_memory(costing, *, dtype: str = "fp32", batch: int = 1,
                 flow: Dataflow | None = None, live: list[int] | None = None) -> list[LayerMemory]:
    """Memory facts of every layer (inputs, output and parameters, bytes moved, MACs per byte).

    This is the record the latency model reads: ``bytes_moved`` and ``intensity``.
    """
    size = dtype_bytes(dtype)
    batch = check_batch(batch)
    flow = flow or dataflow(costing)
    if live is None:
        live = peak(dtype=dtype, batch=batch, flow=flow).live
    out = []
    for r, s in zip(costing.layers, flow.steps):
        alias = s.view
        ins = tuple(flow.shapes[t] for t in s.inputs)
        in_el = 0 if alias else batch * sum(flow.elements[t] for t in s.inputs)
        out_el = 0 if alias or s.output < 0 else batch * numel(r.output)
        f = r.facts
        params = r.weights + r.biases + r.norm_params + f.get("other_params", 0)
        macs = (f["macs"] + f.get("matmul_macs", 0) + f.get("attention_macs", 0)) * batch
        out.append(LayerMemory(r.name, r.kind, r.type, ins, tuple(r.output), in_el, out_el, params,
                               in_el * size, out_el * size, params * size, macs, live[s.index]))
    return out


@dataclass
class MemoryReport:
    """A model's memory at a dtype and batch: per-layer facts, totals and the peak."""

    costing: object
    dtype: str
    batch: int
    layers: list[LayerMemory]
    peak: Peak
    paper: "PaperMemory"

    @property
    def totals(self) -> dict:
        ls = self.layers
        return {"param_bytes": sum(x.param_bytes for x in ls),
                "activation_bytes": sum(x.output_bytes for x in ls),
                "bytes_moved": sum(x.bytes_moved for x in ls),
                "macs": sum(x.macs for x in ls),
                "peak_bytes": self.peak.bytes, "peak_layer": self.peak.layer,
                "paper_peak_bytes": self.paper.bytes, "paper_peak_op": self.paper.op}


def memory(costing, *, dtype: str = "fp32", batch: int = 1) -> MemoryReport:
    """Per-layer memory facts, the eager peak and the V2 paper's peak of an evaluated model."""
    flow = dataflow(costing)
    pk = peak(dtype=dtype, batch=batch, flow=flow)
    layers = layer_memory(costing, dtype=dtype, batch=batch, flow=flow, live=pk.live)
    return MemoryReport(costing, dtype, batch, layers, pk,
                        paper_memory(costing, dtype=dtype, batch=batch))


# --------------------------------------------------------------------------- the V2 paper's rule

@dataclass
class Op:
    """One operation of the paper's model: a block (inner tensors not materialised) or a layer."""

    name: str
    inputs: list[tuple]              # shapes [C, H, W] of the materialised inputs
    output: tuple | None             # None: not materialised (streamed into the next op)


@dataclass
class PaperMemory:
    """The V2 paper's memory: the largest inputs + output over all operations."""

    bytes: int
    op: str
    ops: list[Op]
    dtype: str
    batch: int


def paper_ops(costing, *, first_layer: bool = True, pool_fusion: bool = True) -> list[Op]:
    """The operations of the V2 paper's memory model, in order.

    A block (``bottleneck``, ``bneck``: its layers and residual add) is one operation
    reading the block's input and writing its output; any other layer is one operation.
    ``first_layer``: the model's first layer, when a block (or a local pooling, ShuffleNet's
    max pool) follows it, is streamed into it (its output never materialised).  ``pool_fusion``: a layer followed by
    global average pooling is accumulated into the pooled vector (never materialised).
    """
    if _captured(costing):
        from .memory_capture import paper_ops as captured_ops
        return captured_ops(costing, dataflow(costing))
    ops: list[Op] = []
    for i, r in enumerate(costing.layers):
        if r.type in ALIASES or (r.type in IN_PLACE and i > 0):
            continue                                  # a view, a folded norm, an in-place activation
        block = r.block["name"] if r.block else None
        if block is not None and ops and ops[-1].name == block:
            ops[-1].output = tuple(r.output)
            continue
        name = block or r.name
        ins = [tuple(r.input)] if not ops else ([ops[-1].output] if ops[-1].output else [])
        ops.append(Op(name, ins, tuple(r.output)))
    if first_layer and len(ops) > 1 and costing.layers and not costing.layers[0].block and \
            (costing.layers[1].block or costing.layers[1].type == "pool"):
        ops[0].output = None
        ops[1].inputs = []
    if pool_fusion:
        by_name = {r.name: r for r in costing.layers}
        for a, b in zip(ops, ops[1:]):
            rec = by_name.get(b.name)
            if rec is not None and rec.type == "avgpool" and a.output is not None:
                a.output = None
                b.inputs = []
    return ops


def paper_memory(costing, *, dtype: str = "fp16", batch: int = 1, first_layer: bool = True,
                 pool_fusion: bool = True) -> PaperMemory:
    """The V2 paper's rule: max over operations of (sum of materialised inputs + output)."""
    size = dtype_bytes(dtype) * check_batch(batch)
    ops = paper_ops(costing, first_layer=first_layer, pool_fusion=pool_fusion)
    best, where = 0, ""
    for op in ops:
        total = sum(numel(s) for s in op.inputs) + (numel(op.output) if op.output else 0)
        if total * size > best:
            best, where = total * size, op.name
    return PaperMemory(best, where, ops, dtype, batch)


@dataclass
class ResolutionRow:
    """Table 3's view at one spatial size: the widest tensor materialised there."""

    size: tuple[int, int]
    channels: int                    # the most channels of a tensor materialised at this size
    bytes: int                       # that tensor's bytes
    op_bytes: int                    # the largest inputs + output of an operation writing here
    input_row_channels: int          # the most output channels of an operation *reading* this size


def by_resolution(costing, *, dtype: str = "fp16", batch: int = 1, first_layer: bool = True,
                  pool_fusion: bool = True) -> list[ResolutionRow]:
    """V2 Table 3's view: per spatial size (largest first), max channels and memory.

    ``channels``/``bytes``: the widest tensor materialised at that size under the paper's
    model (:func:`paper_ops`).  ``op_bytes``: the largest inputs + output of an operation
    whose output is at that size.  ``input_row_channels``: the most output channels of an
    operation whose input is at that size (how the V2 paper's Table 2 lists a stride-2 row:
    its ``c`` beside its input size).
    """
    size = dtype_bytes(dtype) * check_batch(batch)
    ops = paper_ops(costing, first_layer=first_layer, pool_fusion=pool_fusion)
    ops = [op for op in ops if all(len(s) == 3 for s in op.inputs)
           and (op.output is None or len(op.output) == 3)]      # C×H×W tensors only
    rows: dict[tuple, list[int]] = {}

    def row(hw):
        return rows.setdefault(hw, [0, 0, 0, 0])

    first, last = {}, {}                     # an op's first record (what it reads), last output
    for r in costing.layers:
        key = r.block["name"] if r.block else r.name
        first.setdefault(key, r)
        last[key] = tuple(r.output)
    for op in ops:
        for shape in op.inputs:                       # the model input is materialised too
            r = row(tuple(shape[1:]))
            r[0] = max(r[0], shape[0])
        if op.output is not None:
            hw = tuple(op.output[1:])
            r = row(hw)
            r[0] = max(r[0], op.output[0])
            total = sum(numel(s) for s in op.inputs) + numel(op.output)
            r[2] = max(r[2], total)
        # the shape the op reads (even when its input was streamed)
        rec = first[op.name]
        out_c = op.output[0] if op.output is not None else last[op.name][0]
        if len(rec.input) != 3:
            continue
        r = row(tuple(rec.input[1:]))
        r[3] = max(r[3], out_c)
    out = []
    for hw in sorted(rows, key=lambda k: (-k[0] * k[1], k)):
        c, _, op_el, in_c = rows[hw]
        out.append(ResolutionRow(hw, c, c * hw[0] * hw[1] * size, op_el * size, in_c))
    return out


# --------------------------------------------------------------------------- measuring (CUDA)

def require_cuda():
    """torch with a CUDA device, or one line saying what is missing (exit status 2)."""
    from .errors import UsageError
    from .torch_bridge import require_torch
    torch = require_torch()
    if not torch.cuda.is_available():
        raise UsageError("--measure needs a CUDA device; torch.cuda.is_available() is False on "
                         "this machine (the analytic figures need none: drop --measure)")
    return torch


def measure_cuda(costing, *, dtype: str = "fp32", batch: int = 1) -> int:
    """``torch.cuda.max_memory_allocated`` of one forward, less the resident parameters.

    The model is built from the spec (or is the counted PyTorch model), moved to the GPU
    at ``dtype`` and run once under ``torch.no_grad()`` on a zero input of the counted
    shape and ``batch``.  Not equal to the analytic peak: the caching allocator rounds
    blocks up and kernels keep workspaces; the command prints the ratio.
    """
    from .errors import UsageError
    torch = require_cuda()
    dt = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}.get(dtype)
    if dt is None:
        raise UsageError(f"--measure runs fp32, fp16 or bf16 models, not {dtype}")
    model = getattr(costing, "module", None)
    if model is None:
        from .torch_bridge import build_from_costing
        model = build_from_costing(costing)
    dev = torch.device("cuda")
    model = model.to(device=dev, dtype=dt).eval()
    shape = _input_shape(costing)
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        x = torch.zeros((batch, *shape), device=dev, dtype=dt)
        out = model(x)
        torch.cuda.synchronize()
    del out, x
    return torch.cuda.max_memory_allocated() - base


def _input_shape(costing) -> tuple:
    """The model input's shape without the batch."""
    if _captured(costing):
        return tuple(costing.capture.input_shape[1:])
    return tuple(costing.layers[0].input)


# --------------------------------------------------------------------------- the peers' figures

#: ``sys.getsizeof`` of a tensor's storage beyond its bytes: the Python object (64-bit CPython,
#: torch 2.x).  torchinfo's "Input size" is ``sys.getsizeof(x.untyped_storage())``.
STORAGE_OBJECT_BYTES = 64


def _leaf_param_outputs(r) -> int:
    """Output elements (batch 1) of the leaf modules with parameters that a layer is built of:
    a convolution (and its batch norm), a linear layer, SE's two 1×1 convolutions, a batch norm."""
    out = numel(r.output)
    if r.type in ("conv", "dw"):
        return out * (2 if r.layer.get("norm") == "bn" else 1)
    if r.type == "fc":
        return r.output[0] if r.weights else 0
    if r.type == "se":
        return r.mid + r.input[0]
    if r.type == "bn":
        return out
    return 0


def fvcore_activations(costing, batch: int = 1) -> int:
    """fvcore's ``ActivationCountAnalysis(model, x).total()`` (timm's ``infer_macts``).

    The output elements of every convolution and linear operator
    (``aten::_convolution``, ``addmm``, ``linear``, ``matmul``, ``bmm``, ``einsum``):
    a convolution's ``N·Ho·Wo``, a fully connected layer's ``N``, SE's two 1×1
    convolutions ``S + C``; nothing for batch norm, activations, pooling, adds or
    multiplies.  An element count, not bytes; times the batch.
    """
    if _captured(costing):
        from .memory_capture import fvcore_activations as captured_activations
        return captured_activations(costing) * check_batch(batch)
    total = 0
    for r in costing.layers:
        if r.type in ("conv", "dw"):
            total += numel(r.output)
        elif r.type == "fc":
            total += r.output[0]
        elif r.type == "se":
            total += r.mid + r.input[0]
    return total * check_batch(batch)


def torchinfo_sizes(costing, *, batch: int = 1, dtype: str = "fp32") -> dict:
    """torchinfo's ``summary`` size lines, in bytes (torchinfo prints them in MB = 10⁶ bytes).

    * ``input``: ``sys.getsizeof`` of the input's storage: its bytes + :data:`STORAGE_OBJECT_BYTES`;
    * ``forward_backward``: 2 × the output bytes of every leaf module that has parameters
      (convolutions, their batch norms, linear layers, SE's convolutions), "×2 for
      gradients"; a sum over layers, not a peak (parameter-free modules, the residual
      adds and everything run as a function are left out);
    * ``params``: the parameters' bytes (weights, biases, batch norm's γ and β; not the
      running statistics, which are buffers);
    * ``total``: "Estimated Total Size", the sum of the three.
    """
    size = dtype_bytes(dtype)
    batch = check_batch(batch)
    records = costing.layers
    inp = numel(_input_shape(costing)) * batch * size + STORAGE_OBJECT_BYTES if records else 0
    if _captured(costing):
        from .memory_capture import torchinfo_forward_elements, torchinfo_params
        fwd = 2 * size * batch * torchinfo_forward_elements(costing)
        params = size * torchinfo_params(costing)
    else:
        fwd = 2 * size * batch * sum(_leaf_param_outputs(r) for r in records)
        params = size * sum(r.weights + r.biases + r.norm_params for r in records)
    return {"input": inp, "forward_backward": fwd, "params": params, "total": inp + fwd + params}


@dataclass
class MemoryFigure:
    """One peer's memory figure: rebuilt from the engine, measured by running the tool."""

    tool: str
    figure: str
    unit: str                        # "elements" or "bytes"
    rebuilt: int
    measured: int | None = None
    status: str = "not measured"

    @property
    def agrees(self) -> bool | None:
        if self.status.startswith("failed"):
            return False
        return None if self.measured is None else self.measured == self.rebuilt


def measure_peers(module, shape, tools=("fvcore", "torchinfo")) -> dict:
    """Run fvcore's ActivationCountAnalysis and torchinfo's summary on ``module``:
    {(tool, figure): value or an Exception}."""
    from .peers import quiet, version
    from .torch_bridge import require_torch
    torch = require_torch()
    out = {}
    x = torch.zeros(shape)
    if "fvcore" in tools:
        if version("fvcore") is None:
            out[("fvcore", "ActivationCountAnalysis")] = ImportError("fvcore is not installed")
        else:
            try:
                with quiet(), torch.no_grad():
                    from fvcore.nn import ActivationCountAnalysis
                    a = ActivationCountAnalysis(module.eval(), x)
                    a.unsupported_ops_warnings(False)
                    a.uncalled_modules_warnings(False)
                    out[("fvcore", "ActivationCountAnalysis")] = int(a.total())
            except Exception as e:  # noqa: BLE001 - a tool failing is a result
                out[("fvcore", "ActivationCountAnalysis")] = RuntimeError(f"{type(e).__name__}: {e}")
    if "torchinfo" in tools:
        names = ("input", "forward_backward", "params", "total")
        if version("torchinfo") is None:
            for n in names:
                out[("torchinfo", n)] = ImportError("torchinfo is not installed")
        else:
            try:
                with quiet():
                    from torchinfo import summary
                    s = summary(module.eval(), input_data=x, verbose=0, device="cpu")
                vals = (s.total_input, s.total_output_bytes, s.total_param_bytes,
                        s.total_input + s.total_output_bytes + s.total_param_bytes)
                out.update({("torchinfo", n): int(v) for n, v in zip(names, vals)})
            except Exception as e:  # noqa: BLE001
                for n in names:
                    out[("torchinfo", n)] = RuntimeError(f"{type(e).__name__}: {e}")
    return out


TORCHINFO_LINES = {"input": "Input size", "forward_backward": "Forward/backward pass size",
                   "params": "Params size", "total": "Estimated Total Size"}


def reconcile_memory(costing, module=None, *, tools=("fvcore", "torchinfo"),
                     measure: bool = True) -> tuple[list[MemoryFigure], MemoryReport]:
    """The peers' memory figures rebuilt from the engine (and measured on ``module``),
    beside the engine's own peak (fp32, batch 1: what the tools run)."""
    rep = memory(costing)
    figs = []
    if "fvcore" in tools:
        figs.append(MemoryFigure("fvcore", "ActivationCountAnalysis", "elements",
                                 fvcore_activations(costing)))
    if "torchinfo" in tools:
        for key, value in torchinfo_sizes(costing).items():
            figs.append(MemoryFigure("torchinfo", key, "bytes", value))
    if measure:
        if module is None:
            from .torch_bridge import build_from_costing
            module = build_from_costing(costing)
        got = measure_peers(module, (1, *_input_shape(costing)), tools)
        for f in figs:
            v = got.get((f.tool, f.figure))
            if isinstance(v, ImportError):
                f.status = f"not installed ({v})"
            elif isinstance(v, Exception):
                f.status = f"failed: {v}"
            elif v is not None:
                f.measured, f.status = v, "measured"
    return figs, rep
