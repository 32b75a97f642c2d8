"""A counted model read the way the papers' tables are written: a stem, a sequence of
blocks (expansion, depthwise, SE, projection, residual), the last convolutions, pooling
and a head.  Works the same on a spec's costing and on a PyTorch model's."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Unit:
    """One computation of a model in the paper's terms."""

    kind: str                      # conv | pw | dw | se | attn | pool | fc | add | bn | act | other
    name: str
    k: tuple = (1, 1)
    s: tuple = (1, 1)
    cin: int = 0
    cout: int = 0
    act: str = "none"
    norm: bool = False
    bias: bool = False
    madds: int = 0
    params: int = 0
    #: bias and batch-norm parameters where they are not ``cout`` and ``2·cout`` (an SE: its
    #: two convolutions' biases S + C, the batch norm inside its squeeze path)
    bias_params: int | None = None
    norm_params: int | None = None

    @property
    def biases(self) -> int:
        return self.cout if self.bias_params is None else self.bias_params

    @property
    def norm_values(self) -> int:
        return 2 * self.cout if self.norm_params is None else self.norm_params


@dataclass
class Block:
    expand: Unit | None = None
    dw: Unit | None = None
    se: Unit | None = None
    project: Unit | None = None
    residual: bool = False
    dw_start: Unit | None = None   # a UIB's depthwise convolution before the expansion
    attn: Unit | None = None       # an attention block (Mobile MQA)

    def units(self):
        return [u for u in (self.dw_start, self.expand, self.dw, self.se, self.project, self.attn)
                if u is not None]

    @property
    def name(self) -> str:
        """What the block is, in the MobileNet papers' words (MobileNetV4's UIB instances)."""
        if self.attn is not None:
            return "attention"
        if self.expand is not None and self.expand.kind == "conv":
            return "FusedIB"
        if self.dw_start is not None:
            return "ExtraDW" if self.dw is not None else "ConvNext"
        if self.dw is None:
            return "FFN"
        return "inverted bottleneck" if self.expand is not None else "depthwise separable"

    @property
    def madds(self):
        return sum(u.madds for u in self.units())

    @property
    def params(self):
        return sum(u.params for u in self.units())


@dataclass
class Architecture:
    """A model read the way the papers' tables are written."""

    stem: Unit | None
    blocks: list[Block]
    last: list[Unit]               # 1×1 convolutions after the blocks
    head: list[Unit]               # fully connected layers after pooling (the last is the classifier)
    other: list[Unit] = field(default_factory=list)   # anything left over

    @property
    def classes(self) -> int | None:
        return self.head[-1].cout if self.head else None

    def convs(self):
        units = ([self.stem] if self.stem else []) + [u for b in self.blocks for u in b.units()]
        return units + self.last + self.head


#: A captured model's activations: the spec's own (``act``) and the others (``act_other``:
#: SiLU, GELU, ...), read by their spec names where they have one (SiLU is ``swish``).
ACTS = ("act", "act_other")


def _act_fn(r) -> str:
    if r.type == "act":
        return r.layer["fn"]
    from ..layers import ACT_ALIASES
    return ACT_ALIASES.get(r.kind, r.kind)


def _attention_groups(recs) -> dict[int, tuple[int, ...]]:
    """A captured attention (``scaled_dot_product_attention``) with the records of its module
    (projections, key/value downsampling and their norms) and the batch norm just before it
    (Mobile MQA's pre-norm): first record's index -> every index of the group."""
    groups: dict[int, tuple[int, ...]] = {}
    for a, r in enumerate(recs):
        if r.type != "attention":
            continue
        prefix = r.name.rpartition(".")[0] + "."
        members = [j for j, x in enumerate(recs) if x.name.startswith(prefix)
                   and x.type in ("conv", "bn", "attention", "act")]
        first = members[0]
        if first > 0 and recs[first - 1].type == "bn" and recs[first - 1].output == recs[first].input:
            members.insert(0, first - 1)
        groups[members[0]] = tuple(members)
    return groups


def _attention_unit(name, recs) -> Unit:
    """One attention block's records as one unit (its MAdds include QKᵀ and AV)."""
    convs = [r for r in recs if r.type in ("conv", "mqa")]
    u = Unit("attn", name, cin=recs[0].input[0], cout=recs[-1].output[0],
             norm=any(r.type == "bn" or (r.layer or {}).get("norm") == "bn" for r in recs),
             bias=any((r.layer or {}).get("bias") for r in convs))
    u.madds = sum(r.facts["macs"] + r.facts["attention_macs"] for r in recs)
    u.params = sum(r.params for r in recs)
    return u


def _units(costing) -> list[Unit]:
    """Records fused into units: conv + batch norm + activation, SE patterns, attention, adds.
    Params are counted with biases and batch norm (the ``pytorch`` convention)."""
    recs = costing.in_convention("pytorch").layers
    units: list[Unit] = []
    groups = _attention_groups(recs)
    grouped = {j for g in groups.values() for j in g}
    i = 0

    def cost(r):
        return r.facts["macs"], r.params

    while i < len(recs):
        r = recs[i]
        if i in groups:
            members = [recs[j] for j in groups[i]]
            attn = next(x for x in members if x.type == "attention")
            units.append(_attention_unit(attn.name.rpartition(".")[0], members))
            i += 1
            continue
        if i in grouped:
            i += 1
            continue
        if r.type == "mqa":
            units.append(_attention_unit(r.name, [r]))
            i += 1
            continue
        if r.type in ("conv", "dw", "fc"):
            L = r.layer
            kind = ("fc" if r.type == "fc" or _on_pooled(r) else "dw" if r.kind == "depthwise"
                    else "pw" if r.kind == "pointwise" else "conv")
            u = Unit(kind, r.name, tuple(L.get("k", (1, 1))), tuple(L.get("s", (1, 1))), r.input[0],
                     r.output[0], L.get("act", "none"), L.get("norm") == "bn", bool(L.get("bias")))
            u.madds, u.params = cost(r)
            j = i + 1
            if j < len(recs) and recs[j].type == "bn" and recs[j].input == r.output:
                u.norm = True
                u.params += recs[j].params
                j += 1
            if u.act == "none" and j < len(recs) and recs[j].type in ACTS and recs[j].input == r.output:
                u.act = _act_fn(recs[j])
                j += 1
            units.append(u)
            i = j
            continue
        if r.type == "se":
            u = Unit("se", r.name, cin=r.input[0], cout=r.mid, act=r.layer["gate"], bias=r.layer["bias"],
                     bias_params=r.mid + r.input[0], norm_params=0)
            u.madds, u.params = cost(r)
            units.append(u)
        elif r.type == "avgpool" or _spatial_mean(r):
            # SE written out: avgpool (C,H,W) -> conv C->S on 1x1 -> act -> conv S->C -> gate -> mul
            nxt = recs[i + 1] if i + 1 < len(recs) else None
            if (nxt is not None and nxt.type == "conv" and nxt.input[1:] == (1, 1)
                    and r.input[1] * r.input[2] > 1):
                j = i + 1
                parts = []
                while j < len(recs) and recs[j].type in ("conv", "bn", *ACTS) and \
                        tuple(recs[j].input[1:]) == (1, 1):
                    parts.append(recs[j])
                    j += 1
                if j < len(recs) and recs[j].type == "mul" and recs[j].output == r.input:
                    convs = [x for x in parts if x.type == "conv"]
                    gates = [x for x in parts if x.type in ACTS]
                    norms = [x for x in parts if x.type == "bn"]    # public V3 code's SE
                    u = Unit("se", r.name.rpartition(".")[0] or r.name, cin=r.input[0],
                             cout=convs[0].output[0] if convs else 0,
                             act=_act_fn(gates[-1]) if gates else "none",
                             bias=all(x.layer.get("bias") for x in convs), norm=bool(norms),
                             bias_params=sum(x.output[0] for x in convs),
                             norm_params=sum(x.params for x in norms))
                    u.madds = sum(x.facts["macs"] for x in convs)
                    u.params = sum(x.params for x in convs + norms)
                    units.append(u)
                    i = j + 1
                    continue
            units.append(Unit("pool", r.name, cin=r.input[0], cout=r.output[0]))
        elif r.type == "add":
            units.append(Unit("add", r.name))
        elif r.type in ("bn", *ACTS):
            units.append(Unit(r.type if r.type == "bn" else "act", r.name, cin=r.input[0],
                              cout=r.output[0], act=_act_fn(r) if r.type != "bn" else "none",
                              params=r.params))
        elif r.type in ("dropout", "flatten", "mul"):
            pass
        i += 1
    return units


def _spatial_mean(r) -> bool:
    """A captured ``x.mean((2, 3))`` (keepdim or not): global average pooling written as a
    reduction (MNASNet's head, timm's SE)."""
    return (r.type == "reduce" and r.kind == "mean" and len(r.input) == 3
            and len(r.output) in (1, 3) and tuple(r.output[1:]) in ((), (1, 1))
            and r.output[0] == r.input[0])


def _on_pooled(r) -> bool:
    """A 1×1 convolution on a pooled 1×1 map outside an SE: a fully connected layer written
    as a convolution (timm's MobileNetV3 ``conv_head``, MobileNetV4's 1280 head)."""
    return (r.type == "conv" and tuple(r.input[1:]) == (1, 1)
            and tuple(r.layer.get("k", ())) == (1, 1))


def _residual(units, i: int, b) -> int:
    """Block ``b`` ends in a residual add when the unit at ``i`` is one: marks it and
    returns the index after the add (``i`` unchanged otherwise)."""
    if i < len(units) and units[i].kind == "add":
        b.residual = True
        return i + 1
    return i


def architecture(costing) -> Architecture:
    """A counted model read as stem, blocks, last convolutions and head."""
    units = _units(costing)
    stem = None
    i = 0
    if units and units[0].kind in ("conv", "pw"):
        stem, i = units[0], 1
    blocks: list[Block] = []
    last: list[Unit] = []
    head: list[Unit] = []
    other: list[Unit] = []
    pooled = False
    while i < len(units):
        u = units[i]
        nxt = units[i + 1] if i + 1 < len(units) else None
        if pooled:
            (head if u.kind == "fc" else other).append(u)
            i += 1
            continue
        if u.kind == "pool":
            pooled = True
            i += 1
            continue
        if u.kind == "attn":
            b = Block(attn=u)
            i += 1
            i = _residual(units, i, b)
            blocks.append(b)
            continue
        start = None
        if u.kind == "dw" and u.act == "none" and nxt is not None and nxt.kind == "pw":
            start = u                   # a UIB's first depthwise convolution (no activation)
            i += 1
            u, nxt = nxt, (units[i + 1] if i + 1 < len(units) else None)
        if u.kind in ("conv", "pw") and nxt is not None and nxt.kind == "pw" and \
                (start is not None or u.kind == "conv" or (u.act != "none" and nxt.act == "none")):
            # an expansion straight into its projection: ConvNext, FFN, FusedIB (k×k expansion)
            b = Block(expand=u, project=nxt, dw_start=start)
            i += 2
            i = _residual(units, i, b)
            blocks.append(b)
            continue
        if u.kind == "pw" and nxt is not None and nxt.kind == "dw":
            b = Block(expand=u, dw_start=start)
            i += 1
            u = units[i]
        elif u.kind == "dw":
            b = Block(dw_start=start)
        else:
            # 1×1 (or other) convolutions after the blocks; anything else (an SE after the last
            # convolution, a lone batch norm or activation) is kept aside
            (last if u.kind in ("pw", "conv") else other).append(u)
            i += 1
            continue
        b.dw = u
        i += 1
        if i < len(units) and units[i].kind == "se":
            b.se = units[i]
            i += 1
        if i < len(units) and units[i].kind == "pw":
            b.project = units[i]
            i += 1
        i = _residual(units, i, b)
        blocks.append(b)
    return Architecture(stem, blocks, last, head, other)
