"""The engine: a spec, compiled once, evaluated at any (α, resolution, classes, rounding).

Compiling walks the spec's layers once and records every layer's shape
*symbolically*: each channel count is an entry of a channel table (its base
value at α = 1 and its width role, see ``scaling.py``) and each spatial size
an entry of a size table (which earlier size it comes from, through which
kernel, stride, padding and dilation).  Evaluating fills both tables for one
(α, resolution), gathers every layer's input and output shape, and asks each
layer kind for its facts, all layers of a kind at once (numpy arrays).

The result is a :class:`~costmodel.costing.Costing`: the facts of every
layer, as a matrix of exact integers, and the conventions over them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from .errors import SpecError, UsageError
from .layers import FACT_ROW, FACTS, KINDS, Kind, parse_layer
from .scaling import (POLICIES, ROUNDING_SCALAR, WIDTH_ROLES, check_alpha, check_policy,
                      make_divisible)
from .spec import blocks as _blocks
from .spec.language import Spec, load


@dataclass
class LayerDef:
    """One layer of a compiled spec: what it is and where its shapes live."""

    name: str
    type: str
    L: dict
    module: str
    block: dict | None
    cin: int
    cmid: int
    cout: int
    hin: int
    win: int
    hout: int
    wout: int
    label: str = ""
    group_label: str = ""
    #: (entry a, entry b, strict): the layer exists only where channels a and b are equal
    #: (a residual add); strict = an error otherwise (an explicit residual group)
    when: tuple | None = None


class ShapeBuilder:
    """Symbolic channel and size tables, filled while a spec is compiled."""

    ZERO = 0          # channel entry: the constant 0 (no inner width)
    INPUT = 1         # channel entry: the image's channels

    def __init__(self, spec: Spec):
        self.spec = spec
        # channel entries: (roles per policy, base at α = 1, ref entry, ratio)
        self.ch: list[tuple] = []
        self.ch_base: list[int] = []
        self._ch_index: dict = {}
        self._add_ch((("fixed",) * len(POLICIES)), 0, -1, 0.0)
        self._add_ch((("fixed",) * len(POLICIES)), spec.input[0], -1, 0.0)
        # size entries: ("input", axis) | ("const", v) | ("conv", ref, k, s, p, d, layer)
        self.sp: list[tuple] = []
        self.sp_base: list[int] = []
        self._sp_index: dict = {}
        self.h0 = self._add_sp(("input", 0), spec.input[1])
        self.w0 = self._add_sp(("input", 1), spec.input[2])
        self.one = self.const(1)
        self.outputs: dict[str, tuple] = {}      # layer name -> its (cout, hout, wout) entries
        self.block_input = self.INPUT            # channels entry of the current block's input
        self.same_sizes: list[tuple] = []        # (size a, size b, layer): equal at any input
        self.in_block = False                    # compiling a block's layers

    # -- channels
    def _add_ch(self, roles, base, ref, ratio) -> int:
        key = (roles, base, ref, ratio)
        if key not in self._ch_index:
            self._ch_index[key] = len(self.ch)
            self.ch.append(key)
            self.ch_base.append(base)
        return self._ch_index[key]

    def channel(self, out, width: dict, cin: int) -> int:
        """The entry for a layer's output channels ``out`` (int, "classes" or ("×in", t))."""
        roles = tuple(width[p] for p in POLICIES)
        in_base = self.ch_base[cin]
        if out == "classes":
            return self._add_ch(("classes",) * len(POLICIES), self.spec.classes, -1, 0.0)
        if isinstance(out, tuple) and out[0] == "−block":   # c − the block's input channels
            c = self._add_ch(roles, out[1], -1, 0.0)
            base = out[1] - self.ch_base[self.block_input]
            return self._add_ch(("diff",) * len(POLICIES), base, c, self.block_input)
        if isinstance(out, tuple):                     # t × input (a V2 expansion)
            t = out[1]
            base = int(round(t * in_base))
            if base < 1:
                raise SpecError(f"t = {t:g} times {in_base} input channels rounds to {base} "
                                f"channels", field="t")
            return self._add_ch(roles, base, cin, float(t))
        if out != 0 and "squeeze" in roles:            # an explicit squeeze: literal at α = 1
            roles = tuple("squeeze_given" if r == "squeeze" else r for r in roles)
        if any(r in ("squeeze", "squeeze_given") for r in roles):   # SE squeeze
            ratio = 0.25 if out == 0 else out / in_base
            base = make_divisible(in_base * ratio, 8) if out == 0 else out
            return self._add_ch(roles, base, cin, ratio)
        needs_ref = any(WIDTH_ROLES[r].follows_input for r in roles)
        return self._add_ch(roles, out, cin if needs_ref else -1, out / in_base if needs_ref else 0.0)

    def may_equal(self, a: int, b: int) -> bool:
        """Could channel entries ``a`` and ``b`` be equal at some α?  (Both thinned by α.)"""
        def thinned(i):
            roles = self.ch[i][0]
            return any(r not in ("fixed", "classes") for r in roles)
        return thinned(a) and thinned(b)

    def block_fraction(self, ratio: float) -> int:
        """``max(1, int(ratio · C))`` of the enclosing block's input channels ``C``: the SE
        squeeze of EfficientNet and MnasNet (TF ``max(1, int(input_filters * se_ratio))``)."""
        if not self.in_block:
            raise SpecError("block_ratio sizes the squeeze from a block's input: this layer is "
                            "not in a block (give 'squeeze' instead)", field="block_ratio")
        ref = self.block_input
        return self._add_ch(("block_fraction",) * len(POLICIES),
                            max(1, int(self.ch_base[ref] * ratio)), ref, float(ratio))

    def multiple(self, cin: int, m: int) -> int:
        """``m`` × the input channels, exactly (a depthwise channel multiplier)."""
        return self._add_ch(("input_round",) * len(POLICIES), self.ch_base[cin] * m, cin, float(m))

    def concat(self, a: int, b: int) -> int:
        """Channels ``a + b`` (a concatenation), at every α."""
        return self._add_ch(("sum",) * len(POLICIES), self.ch_base[a] + self.ch_base[b], a, b)

    def same_size(self, a: int, b: int, L: dict):
        """Size entries ``a`` and ``b`` must be equal (checked now and at every input size)."""
        if a != b:
            if self.sp_base[a] != self.sp_base[b]:
                raise SpecError(f"the inputs' sizes differ ({self.sp_base[a]} and "
                                f"{self.sp_base[b]})", field="with")
            self.same_sizes.append((a, b, L["name"]))

    def fixed_channels(self, c: int) -> int:
        return self._add_ch(("fixed",) * len(POLICIES), c, -1, 0.0)

    # -- sizes
    def _add_sp(self, key, base) -> int:
        if key not in self._sp_index:
            self._sp_index[key] = len(self.sp)
            self.sp.append(key)
            self.sp_base.append(base)
        return self._sp_index[key]

    def const(self, v: int) -> int:
        return self._add_sp(("const", v), v)

    def conv_size(self, ref: int, k: int, s: int, p: int, d: int, L: dict) -> int:
        """Output size entry of a convolution-like window over size entry ``ref``."""
        if s == 1 and 2 * p == d * (k - 1):
            return ref                                  # 'same': the size is unchanged
        base = (self.sp_base[ref] + 2 * p - d * (k - 1) - 1) // s + 1
        return self._add_sp(("conv", ref, k, s, p, d, L["name"]), base)


@dataclass
class Group:
    """Layers that share a facts function: a contiguous slice of the plan."""

    kind: object
    start: int
    stop: int
    static: dict
    act_rows: np.ndarray | None = None
    gate_rows: np.ndarray | None = None
    act_module_rows: np.ndarray | None = None     # scratch row where the call is a function
    gate_module_rows: np.ndarray | None = None
    cols: np.ndarray | None = None
    grouped: bool = False
    has_facts: bool = True
    owned: np.ndarray | None = None   # 0 for layers that reuse another's parameters
    q: object = None                  # the group's view of the plan's shape buffers


@dataclass
class Plan:
    """A compiled spec: layer definitions and the arrays evaluation needs."""

    spec: Spec
    layers: list[LayerDef]            # in spec order
    order: np.ndarray                 # spec position -> column in the evaluated arrays
    ch: list[tuple]
    ch_base: list[int]
    sp: list[tuple]
    sp_base: list[int]
    idx: dict                         # "cin", "cout", ... -> entry index per column
    groups: list[Group]
    steps: dict = field(default_factory=dict)   # policy -> channel evaluation steps

    @property
    def name(self) -> str:
        return self.spec.name


def compile_spec(spec: Spec) -> Plan:
    """Walk a spec once and record every layer's shapes symbolically."""
    b = ShapeBuilder(spec)
    layers: list[LayerDef] = []
    cin, hin, win = b.INPUT, b.h0, b.w0
    residual_stack = []
    # the spec's scalar defaults reach the layers that blocks expand into
    defaults = {k: v for k, v in spec.data.get("defaults", {}).items() if not isinstance(v, dict)}

    def add_layer(type_, L, name, module, block):
        nonlocal cin, hin, win
        kind = KINDS[type_]
        if L.get("input") is not None:
            c, h, w = L["input"]
            cin, hin, win = b.fixed_channels(c), b.const(h), b.const(w)
        try:
            cout, cmid, hout, wout = kind.shape(L, b, cin, hin, win)
        except SpecError as e:
            raise e.located(file=spec.where, layer=name) from None
        d = LayerDef(name=name, type=type_, L=L, module=module, block=block,
                     cin=cin, cmid=cmid, cout=cout, hin=hin, win=win, hout=hout, wout=wout,
                     label=kind.label(L))
        d.group_label = kind.group_label(L, d.label)
        layers.append(d)
        b.outputs[name] = (cout, hout, wout)
        cin, hin, win = cout, hout, wout

    for node in spec.nodes:
        if node.op == "layer":
            L = node.fields
            if L.get("reads") == "block":
                raise SpecError("'block' is the input of a block: this layer is not in one",
                                file=spec.where, layer=node.name, field="reads")
            add_layer(node.type, L, node.name, L.get("module") or _module_of(node.type, L, node.name),
                      None)
        elif node.op == "begin":
            residual_stack.append((node.name, cin, hin, win))
        elif node.op == "end":
            name, c0, h0, w0 = residual_stack.pop()
            if (h0, w0) != (hin, win) or b.ch_base[c0] != b.ch_base[cin]:
                raise SpecError("a residual group must end with the shape it started with",
                                file=spec.where, layer=name, field="residual")
            add_layer("add", {"name": f"{name}.add", "module": name, "input": None}, f"{name}.add",
                      name, None)
            if c0 != cin:           # equal at α = 1; checked again at every α
                layers[-1].when = (c0, cin, True)
        else:                                           # a block
            B = node.fields
            block = {"type": node.type, "name": node.name, **B}
            start = (cin, hin, win)
            b.block_input = cin                         # what a layer's `block_ratio` is of
            b.in_block = True
            expand = _blocks.BLOCKS[node.type]["expand"]
            try:
                entries = expand(B, node.name, node.repeat_index, b.ch_base[cin])
            except SpecError as e:          # a row whose fields contradict each other
                raise e.located(file=spec.where, layer=node.name) from None
            for entry in entries:
                type_ = entry["type"]
                try:
                    L = parse_layer(KINDS[type_], entry, defaults)
                except SpecError as e:
                    raise e.located(file=spec.where, layer=entry["name"]) from None
                L["name"] = entry["name"]
                if L.get("reads") == "block":          # a shortcut: reads the block's input
                    cin, hin, win = start
                add_layer(type_, L, entry["name"], entry["name"], block)
                if type_ == "add":                      # a block's own add: its input + this
                    if start[1:] != (hin, win):
                        raise SpecError("adds the block's input, whose size differs",
                                        file=spec.where, layer=entry["name"], field="s")
                    if start[0] != cin:                 # equal at α = 1; checked at every α
                        layers[-1].when = (start[0], cin, True)
            b.in_block = False
            # TF-slim and torchvision add the residual when the stride is 1 and the *scaled*
            # input and output widths are equal: decided again at every α.
            if _blocks.BLOCKS[node.type].get("residual", True) and B.get("residual", True) \
                    and start[1:] == (hin, win):
                c0 = start[0]
                if c0 == cin or b.may_equal(c0, cin):
                    add_layer("add", {"name": f"{node.name}.add", "input": None},
                              f"{node.name}.add", node.name, block)
                    if c0 != cin:
                        layers[-1].when = (c0, cin, False)

    return _finish(spec, b, layers)


def _module_of(type_: str, L: dict, name: str) -> str:
    """The module path a layer runs in, in a model built from the spec: its own, or its
    parent's for what runs as a function there (adds, multiplies, functional calls)."""
    return name.rpartition(".")[0] if KINDS[type_].is_function(L) else name


def _finish(spec: Spec, b: ShapeBuilder, layers: list[LayerDef]) -> Plan:
    # Sort layers by facts function so each kind is one contiguous slice.
    def group_key(i):
        kind = KINDS[layers[i].type]
        return (type(kind).facts.__qualname__, kind.static)

    keys = [group_key(i) for i in range(len(layers))]
    uniq = list(dict.fromkeys(keys))
    perm = sorted(range(len(layers)), key=lambda i: (uniq.index(keys[i]), i))
    order = np.empty(len(layers), dtype=np.intp)
    order[perm] = np.arange(len(layers))
    sorted_layers = [layers[i] for i in perm]
    idx = {k: np.array([getattr(d, k) for d in sorted_layers], dtype=np.intp)
           for k in ("cin", "cmid", "cout", "hin", "win", "hout", "wout")}
    idx["cmid"] = np.where(idx["cmid"] < 0, ShapeBuilder.ZERO, idx["cmid"])

    groups = []
    start = 0
    for key in uniq:
        stop = start + keys.count(key)
        members = sorted_layers[start:stop]
        kind = KINDS[members[0].type]
        static = {s: _int_array([KINDS[d.type].static_value(d.L, s) for d in members])
                  for s in kind.static}
        g = Group(kind=kind, start=start, stop=stop, static=static,
                  cols=np.arange(start, stop, dtype=np.intp),
                  has_facts=type(kind).facts is not Kind.facts)
        if "act" in static:
            g.act_rows = static["act"].astype(np.intp)
        if "gate" in static:
            g.gate_rows = static["gate"].astype(np.intp)
        if "act_module" in static:
            g.act_module_rows = static["act_module"].astype(np.intp)
        if "gate_module" in static:
            g.gate_module_rows = static["gate_module"].astype(np.intp)
        if "groups" in static:
            g.grouped = bool((static["groups"] > 1).any())
        shared = np.array([bool(d.L.get("shared")) for d in members])
        if shared.any():
            g.owned = (~shared).astype(np.int64)
        groups.append(g)
        start = stop

    plan = Plan(spec=spec, layers=layers, order=order, ch=b.ch, ch_base=b.ch_base, sp=b.sp,
                idx=idx, groups=groups, sp_base=b.sp_base)
    plan.same_sizes = b.same_sizes
    plan.conditional = [(int(order[i]), d.when[0], d.when[1], d.when[2], d.name)
                        for i, d in enumerate(layers) if d.when is not None]
    plan.ch_idx = np.stack([idx["cin"], idx["cmid"], idx["cout"]])
    plan.sp_idx = np.stack([idx["hin"], idx["win"], idx["hout"], idx["wout"]])
    # Buffers every evaluation gathers the shapes into, and each group's view of them, made
    # once: the kinds' facts read these views (evaluations of one plan take turns, `lock`).
    plan.ch_buf = np.empty(plan.ch_idx.shape, dtype=np.int64)
    plan.sp_buf = np.empty(plan.sp_idx.shape, dtype=np.int64)
    plan.lock = threading.Lock()
    for g in groups:
        q = _Q()
        q.cin, q.cmid, q.cout = plan.ch_buf[:, g.start:g.stop]
        q.hin, q.win, q.hout, q.wout = plan.sp_buf[:, g.start:g.stop]
        q.__dict__.update(g.static)
        g.q = q
    plan.sorted_layers = sorted_layers
    # The largest kernel area and the most layers of any group bound every fact (see
    # `_fits_int64`); a static field past int64 (a kernel of 10²⁰) forces the exact path.
    static_big = any(v.dtype == object for g in groups for v in g.static.values())
    kernel = max([d.L["k"][0] * d.L["k"][1] for d in layers if "k" in d.L] + [1])
    plan.fact_bound = _INT64_SAFE if static_big else kernel * max(len(layers), 1)
    _channel_steps(plan)
    return plan


def _int_array(values: list) -> np.ndarray:
    """int64 where every value fits, else exact Python integers (an object array)."""
    if all(-_INT64_SAFE < v < _INT64_SAFE for v in values):
        return np.array(values, dtype=np.int64)
    return np.array(values, dtype=object)


#: Every fact and every convention's sum must stay below 2⁶³; this leaves room for the
#: conventions' small integer weights and the FLOPs factor.
_INT64_SAFE = 2 ** 56


def _channel_steps(plan: Plan):
    """Per policy, the channel entries' roles (``scaling.WIDTH_ROLES``) in table order (refs
    always come earlier)."""
    for p_i, policy in enumerate(POLICIES):
        plan.steps[policy] = [(WIDTH_ROLES[roles[p_i]].channels, base, ref, ratio)
                              for roles, base, ref, ratio in plan.ch]


_PLANS: dict = {}


def plan_for(arch) -> Plan:
    """The compiled plan of a built-in name, spec file, dict or Spec (built-ins cached)."""
    if isinstance(arch, Plan):
        return arch
    if isinstance(arch, str) and arch in _PLANS:
        return _PLANS[arch]
    spec = load(arch)
    plan = compile_spec(spec)
    if isinstance(arch, str) and spec.file == f"{arch}.toml":    # a built-in or variant
        _PLANS[arch] = plan
    return plan


def channel_values(plan: Plan, alpha: float, classes: int, policy: str) -> np.ndarray:
    """Every channel-table entry at width α under a rounding policy (see ``scaling.py``)."""
    rnd = ROUNDING_SCALAR[plan.spec.rounding[policy]]
    alpha = alpha * plan.spec.width_scale          # a compound-scaled member's width
    vals: list[int] = []
    append = vals.append
    for channels, base, ref, ratio in plan.steps[policy]:
        if type(ratio) is int:                # a second operand's entry (concat, c − input)
            ratio = vals[ratio]
        append(channels(base, alpha, rnd, vals[ref] if ref >= 0 else 0, ratio, classes, policy))
    return vals


def size_values(plan: Plan, height: int, width: int) -> np.ndarray:
    """Every size-table entry at an input of ``height × width``."""
    vals = []
    append = vals.append
    for entry in plan.sp:
        tag = entry[0]
        if tag == "input":
            append(height if entry[1] == 0 else width)
        elif tag == "const":
            append(entry[1])
        else:
            _, ref, k, s, p, d, layer = entry
            size = vals[ref]
            span = d * (k - 1) + 1
            if size + 2 * p < span:
                raise SpecError(f"kernel {span} is larger than the padded input {size + 2 * p} "
                                f"(input {size}, padding {p}): the input shrinks to nothing here",
                                file=plan.spec.where, layer=layer, field="k")
            out = (size + 2 * p - span) // s + 1
            if out < 1:
                raise SpecError("the input shrinks to nothing here", file=plan.spec.where,
                                layer=layer, field="s")
            append(out)
    return vals


class _Q:
    """The arrays one kind's ``facts`` sees: shapes and static fields of its layers."""

    __slots__ = ("cin", "cmid", "cout", "hin", "win", "hout", "wout", "__dict__")


def evaluate(plan: Plan, *, alpha: float = 1.0, resolution=None, classes: int | None = None,
             rounding: str = "tf"):
    """The facts matrix (rows: ``layers.FACTS``; columns: layers in plan order) and shapes."""
    alpha = check_alpha(alpha)
    check_policy(rounding)
    if classes is None:
        classes = plan.spec.classes
    elif isinstance(classes, bool) or not isinstance(classes, int) or classes <= 0:
        raise UsageError(f"classes must be a whole number > 0, got {classes!r}")
    if resolution is None:
        h, w = plan.spec.input[1], plan.spec.input[2]
    elif isinstance(resolution, tuple):
        h, w = resolution
    else:
        h = w = resolution
    if not (type(h) is int and type(w) is int and h > 0 and w > 0):
        if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or \
                not isinstance(w, (int, np.integer)) or h <= 0 or w <= 0:
            raise UsageError(f"resolution must be > 0 whole pixels, got {resolution!r}")
        h, w = int(h), int(w)
    try:
        channels = channel_values(plan, alpha, classes, rounding)
    except OverflowError:          # a width past 10³⁰⁸ cannot be rounded as a float
        raise UsageError(f"alpha={alpha:g} makes channel counts too large to round "
                         f"(past 10^308)") from None
    if channels.count(0) > 1:                  # entry 0 is the constant 0; no other may be
        _zero_channels(plan, channels, alpha)
    sizes = size_values(plan, h, w)
    for a, b, name in getattr(plan, "same_sizes", ()):
        if sizes[a] != sizes[b]:
            raise SpecError(f"at {h}×{w} the inputs' sizes differ ({sizes[a]} and {sizes[b]})",
                            file=plan.spec.where, layer=name, field="with")
    F, shapes = facts_at(plan, channels, sizes)
    if plan.conditional:
        shapes["active"] = _active(plan, F, channels, alpha)
    return F, shapes, (h, w), classes


def _zero_channels(plan: Plan, channels: list, alpha: float):
    """A layer whose width rounds to 0 channels at this α: refused, naming it."""
    for d in plan.layers:
        for entry, what in ((d.cout, "out"), (d.cmid, "squeeze")):
            if entry > ShapeBuilder.ZERO and channels[entry] < 1:
                field = {"conv": "out", "fc": "out", "se": "squeeze", "dw": "multiplier"}.get(
                    d.type, what)
                if d.block is not None and d.name.endswith(".expand"):
                    field = "t" if d.block["type"] == "bottleneck" else "exp"
                raise SpecError(f"at alpha={alpha:g} this layer has {channels[entry]} channels",
                                file=plan.spec.where, layer=d.name, field=field)
    raise SpecError(f"at alpha={alpha:g} a width rounds to 0 channels",  # pragma: no cover
                    file=plan.spec.where)


def _active(plan: Plan, F: np.ndarray, channels: np.ndarray, alpha: float) -> np.ndarray:
    """Which layers exist at this α (residual adds need equal widths); zero the others' facts."""
    active = np.ones(F.shape[1], dtype=bool)
    for col, a, b, strict, name in plan.conditional:
        if channels[a] != channels[b]:
            if strict:
                raise SpecError(f"at alpha={alpha:g} the residual group ends with {channels[b]} "
                                f"channels but starts with {channels[a]}", file=plan.spec.where,
                                layer=name.rpartition(".")[0], field="residual")
            active[col] = False
            F[:, col] = 0
    return active


def facts_at(plan: Plan, channel_table, size_table):
    """The facts matrix and shapes, given every channel-table and size-table value.

    int64 arrays where no fact can pass int64 (bounded cheaply from the largest channel
    count, size and kernel); exact Python integers (object arrays) otherwise."""
    if not _fits_int64(plan, channel_table, size_table):
        return _facts_exact(plan, channel_table, size_table)
    channel_table = np.array(channel_table, dtype=np.int64)
    size_table = np.array(size_table, dtype=np.int64)
    with plan.lock:
        np.take(channel_table, plan.ch_idx, out=plan.ch_buf)     # rows: cin, cmid, cout
        np.take(size_table, plan.sp_idx, out=plan.sp_buf)        # rows: hin, win, hout, wout
        F = _fill(plan, np.zeros((len(FACTS) + 1, len(plan.layers)), dtype=np.int64),
                  [g.q for g in plan.groups])
        channels, sizes = plan.ch_buf.copy(), plan.sp_buf.copy()
    return F, _shapes(channels, sizes)


def _fits_int64(plan: Plan, channel_table, size_table) -> bool:
    """Whether every fact, summed over the layers, is surely below ``_INT64_SAFE``.

    A fact is at most a product of two channel counts, two sizes and a kernel area
    (weights·positions, features·outputs), so this bound is enough."""
    c, s = int(max(channel_table)), int(max(size_table))
    return c * c * s * s * plan.fact_bound < _INT64_SAFE


def _facts_exact(plan: Plan, channel_table, size_table):
    """:func:`facts_at` in exact Python integers: counts past int64, never wrapped."""
    ch = np.array([int(v) for v in channel_table], dtype=object)[plan.ch_idx]
    sp = np.array([int(v) for v in size_table], dtype=object)[plan.sp_idx]
    qs = []
    for g in plan.groups:
        q = _Q()
        q.cin, q.cmid, q.cout = ch[:, g.start:g.stop]
        q.hin, q.win, q.hout, q.wout = sp[:, g.start:g.stop]
        q.__dict__.update({k: v.astype(object) for k, v in g.static.items()})
        qs.append(q)
    F = _fill(plan, np.zeros((len(FACTS) + 1, len(plan.layers)), dtype=object), qs)
    return F, _shapes(ch, sp)


def _shapes(channels, sizes) -> dict:
    return {"cin": channels[0], "cmid": channels[1], "cout": channels[2],
            "hin": sizes[0], "win": sizes[1], "hout": sizes[2], "wout": sizes[3]}


def _fill(plan: Plan, F: np.ndarray, qs: list) -> np.ndarray:
    """Ask every kind for the facts of its layers (``qs``: each group's shapes)."""
    for g, q in zip(plan.groups, qs):
        if not g.has_facts:
            continue
        a, z = g.start, g.stop
        if g.grouped:
            _check_groups(plan, g, q)
        for key, v in g.kind.facts(q).items():
            if key == "act_elements":         # first write to these cells: assign
                F[g.act_rows, g.cols] = v
                F[g.act_module_rows, g.cols] = v
            elif key == "gate_elements":
                F[g.gate_rows, g.cols] += v
                F[g.gate_module_rows, g.cols] += v
            else:
                F[FACT_ROW[key], a:z] = v
        if g.owned is not None:
            F[_PARAM_ROWS, a:z] *= g.owned
    return F


_PARAM_ROWS = [FACT_ROW["weights"], FACT_ROW["biases"], FACT_ROW["norm_channels"]]


def _check_groups(plan: Plan, g: Group, q):
    gs = q.groups
    bad = (gs > 1) & ((q.cin % np.maximum(gs, 1) != 0) | (q.cout % np.maximum(gs, 1) != 0))
    if bad.any():
        i = int(np.argmax(bad))
        d = plan.sorted_layers[g.start + i]
        raise SpecError(f"groups {int(gs[i])} does not divide the channels "
                        f"({int(q.cin[i])} in, {int(q.cout[i])} out)",
                        file=plan.spec.where, layer=d.name, field="groups")


__all__ = ["compile_spec", "evaluate", "facts_at", "plan_for", "Plan", "LayerDef"]
