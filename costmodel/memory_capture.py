"""Memory of a PyTorch model from its capture: what ``memory.py`` computes, read from the
operator-level records of ``capture.py`` instead of a spec's layers.

The capture ran the model once and recorded every allocation it made (a tensor's
storage: views and in-place results share their input's), which layer wrote it, and
when the last Python tensor holding it died (``capture.Storage``): the lifetimes eager
PyTorch has, a module's arguments and locals included.  The dataflow here is those
allocations, with the rules of ``memory.py``'s peak applied as an inference engine
runs a model:

* a batch norm is folded into the convolution before it (no tensor of its own), and an
  activation whose module has an ``inplace`` option (``nn.ReLU``, ``nn.Hardswish``,
  ``nn.SiLU`` ...) runs in place: its output is its input's allocation, living as long
  as either did;
* a layer's temporaries (tensors its operators allocate beside its output, freed before
  it returns: a layer norm's mean and reciprocal deviation) are its ``scratch``; a
  scaled-dot-product attention's are the CPU flash kernel's (a logsumexp per query row),
  not those of the meta device's decomposition (the whole attention matrix);
* a view, a reshape that needs no copy and dropout at inference move nothing.

``tests/test_memory.py`` checks the peak against a dispatch-level tracker of every
allocation on the model run on the CPU (batch norms and activations made in place).

torch is not imported here: the capture already holds every number.
"""

from __future__ import annotations

from .op_kinds import numel

#: captured layer types that compute nothing: a view of their input moves no bytes
FREE_TYPES = ("reshape", "flatten", "dropout")
#: captured layer types whose output an inference engine writes in place
#: (batch norm: folded into the convolution before it)
FOLDED = ("bn",)
ACTIVATIONS = ("act", "act_other")
#: the operations fvcore's ActivationCountAnalysis counts (their outputs' elements):
#: ``aten::_convolution``, ``addmm``, ``linear``, ``matmul``, ``bmm``, ``einsum``
FVCORE_ACTIVATION_OPS = ("linear", "addmm", "matmul", "bmm", "einsum")


def _strip(shape, batch):
    shape = tuple(shape)
    return shape[1:] if len(shape) >= 2 and shape[0] == batch else shape


def _activation_inputs(layer):
    return [u for u in layer.inputs if u.storage is not None]


def _folds(layer, storages) -> bool:
    """Does an inference engine write this layer's output into its input's allocation?"""
    if layer.type not in FOLDED and not (layer.type in ACTIVATIONS and layer.module_inplace):
        return False
    ins = _activation_inputs(layer)
    if not ins or not layer.outputs or layer.outputs[0].storage is None:
        return False
    return storages[ins[0].storage].producer is not None      # not the model's own input


def dataflow(costing):
    """The :class:`~costmodel.memory.Dataflow` of a captured model (see the module doc)."""
    from .memory import Dataflow, Step
    cap = costing.capture
    storages = cap.storages
    batch = cap.input_shape[0]
    n = sum(1 for c in cap.layers if c.type != "uncalled")
    parent = list(range(len(storages)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    folded = set()
    for layer in cap.layers:
        if _folds(layer, storages):
            out, inp = layer.outputs[0].storage, _activation_inputs(layer)[0].storage
            if find(out) != find(inp):
                parent[find(out)] = find(inp)
            folded.add(layer.index)
    # tensors: the model input and every allocation a layer returned (temporaries are scratch)
    is_output = {o.storage for c in cap.layers for o in c.outputs if o.storage is not None}
    tensor_of: dict[int, int] = {}
    elements, shapes, producer, last = [], [], [], []

    def tensor(sid, shape):
        root = find(sid)
        t = tensor_of.get(root)
        if t is None:
            t = tensor_of[root] = len(elements)
            s = storages[root]
            elements.append(s.bytes // s.itemsize)
            shapes.append(_strip(shape, batch))
            producer.append(-1 if s.producer is None else s.producer)
            last.append(-1)
        s = storages[sid]
        end = n - 1 if s.freed is None else min(n - 1, s.freed - 1)
        last[t] = max(last[t], end, producer[t])
        return t

    tensor(0, cap.input_shape)
    steps = []
    for layer in cap.layers:
        ins = []
        for u in _activation_inputs(layer):
            t = tensor(u.storage, u.shape)
            if t not in ins:
                ins.append(t)
        out = -1
        for o in layer.outputs:
            if o.storage is not None and o.storage in is_output:
                t = tensor(o.storage, o.shape)
                out = t if out == -1 else out
        scratch = index_bytes = 0
        if layer.type == "pool" and "max" in layer.op and layer.outputs:
            # argmax indices beside the output (int64, whatever the dtype: memory.py's rule)
            index_bytes = 8 * numel(layer.outputs[0].shape)
            scratch = max(0, layer.scratch_bytes - index_bytes) // max(1, layer.outputs[0].itemsize)
        elif layer.type == "attention" and layer.inputs:
            # the CPU's flash kernel keeps a logsumexp per query row (B·H·L), not the
            # attention matrix the meta device's decomposition allocates
            scratch = numel(layer.inputs[0].shape[:-1])
        elif layer.index not in folded and layer.outputs:
            scratch = layer.scratch_bytes // max(1, layer.outputs[0].itemsize)
        step = Step(layer.index, layer.name, layer.type, tuple(ins), out, scratch,
                    view=layer.type in FREE_TYPES and out in ins, index_bytes=index_bytes)
        steps.append(step)
    for t, p in enumerate(producer):
        if p == -1:
            last[t] = n - 1                       # the caller holds the model input
    return Dataflow(elements, shapes, producer, steps, {}, last=last)


def paper_ops(costing, flow):
    """The V2 paper's operations of a captured model: every layer that writes a tensor of
    its own, reading its inputs (no blocks are known: each layer is one operation)."""
    from .memory import Op
    ops = []
    for r, s in zip(costing.layers, flow.steps):
        if s.output < 0 or s.output in s.inputs:
            continue
        ops.append(Op(r.name, [flow.shapes[t] for t in s.inputs], flow.shapes[s.output]))
    return ops


def fvcore_activations(costing) -> int:
    """fvcore's ActivationCountAnalysis of a captured model at batch 1: the output
    elements of every convolution, linear, matmul, bmm and einsum call (fvcore skips
    ``mm``, ``baddbmm``, attention kernels and the fused multi-head attention)."""
    total = 0
    for c in costing.capture.layers:
        if not c.outputs:
            continue
        if c.type == "conv" or (c.op in FVCORE_ACTIVATION_OPS and c.type in ("fc", "matmul")):
            total += numel(c.outputs[0].shape)
    return total


def torchinfo_forward_elements(costing) -> int:
    """torchinfo's forward pass elements at batch 1: the output elements of every call of a
    leaf module with parameters (``ModelStatistics``: ``output_bytes * 2`` of those)."""
    return sum(m.output_elements for m in costing.capture.modules if m.leaf and m.params > 0)


def torchinfo_params(costing) -> int:
    """torchinfo's params line at batch 1, in elements: the parameters of every leaf module
    that ran, once each (``ModelStatistics`` sums ``param_bytes`` of leaf layers not seen
    before; parameters held by a module with children, such as a ViT's class token or
    ``nn.MultiheadAttention``'s ``in_proj_weight``, are not in it)."""
    seen: dict[str, int] = {}
    for m in costing.capture.modules:
        if m.leaf:
            seen.setdefault(m.path, m.params)
    return sum(seen.values())
