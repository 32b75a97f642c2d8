"""A counted model read the way the papers' tables are written: a stem, a sequence of
blocks (expansion, depthwise, SE, projection, residual), the last convolutions, pooling
and a head.  Works the same on a spec's costing and on a PyTorch model's."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Unit:
    """One computation of a model in the paper's terms."""

    kind: str                      # conv | pw | dw | se | pool | fc | add | bn | act | other
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


@dataclass
class Block:
    expand: Unit | None = None
    dw: Unit | None = None
    se: Unit | None = None
    project: Unit | None = None
    residual: bool = False

    def units(self):
        return [u for u in (self.expand, self.dw, self.se, self.project) if u is not None]

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


def _units(costing) -> list[Unit]:
    """Records fused into units: conv + batch norm + activation, SE patterns, adds.
    Params are counted with biases and batch norm (the ``pytorch`` convention)."""
    recs = costing.in_convention("pytorch").layers
    units: list[Unit] = []
    i = 0

    def cost(r):
        return r.facts["macs"], r.params

    while i < len(recs):
        r = recs[i]
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
            if u.act == "none" and j < len(recs) and recs[j].type == "act" and recs[j].input == r.output:
                u.act = recs[j].layer["fn"]
                j += 1
            units.append(u)
            i = j
            continue
        if r.type == "se":
            u = Unit("se", r.name, cin=r.input[0], cout=r.mid, act=r.layer["gate"], bias=r.layer["bias"])
            u.madds, u.params = cost(r)
            units.append(u)
        elif r.type == "avgpool" or _spatial_mean(r):
            # SE written out: avgpool (C,H,W) -> conv C->S on 1x1 -> act -> conv S->C -> gate -> mul
            nxt = recs[i + 1] if i + 1 < len(recs) else None
            if (nxt is not None and nxt.type == "conv" and nxt.input[1:] == (1, 1)
                    and r.input[1] * r.input[2] > 1):
                j = i + 1
                parts = []
                while j < len(recs) and recs[j].type in ("conv", "act", "bn") and \
                        tuple(recs[j].input[1:]) == (1, 1):
                    parts.append(recs[j])
                    j += 1
                if j < len(recs) and recs[j].type == "mul" and recs[j].output == r.input:
                    convs = [x for x in parts if x.type == "conv"]
                    gates = [x for x in parts if x.type == "act"]
                    u = Unit("se", r.name.rpartition(".")[0] or r.name, cin=r.input[0],
                             cout=convs[0].output[0] if convs else 0,
                             act=gates[-1].layer["fn"] if gates else "none",
                             bias=all(x.layer.get("bias") for x in convs))
                    u.madds = sum(x.facts["macs"] for x in convs)
                    u.params = sum(x.params for x in convs)
                    units.append(u)
                    i = j + 1
                    continue
            units.append(Unit("pool", r.name, cin=r.input[0], cout=r.output[0]))
        elif r.type == "add":
            units.append(Unit("add", r.name))
        elif r.type in ("bn", "act"):
            units.append(Unit(r.type, r.name, cin=r.input[0], cout=r.output[0],
                              act=r.layer.get("fn", "none"), params=r.params))
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
    as a convolution (timm's MobileNetV3 ``conv_head``)."""
    return (r.type == "conv" and getattr(r, "captured", None) is not None
            and tuple(r.input[1:]) == (1, 1) and tuple(r.layer.get("k", ())) == (1, 1))


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
        if u.kind == "pw" and nxt is not None and nxt.kind == "dw":
            b = Block(expand=u)
            i += 1
            u = units[i]
        elif u.kind == "dw":
            b = Block()
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
        if i < len(units) and units[i].kind == "add":
            b.residual = True
            i += 1
        blocks.append(b)
    return Architecture(stem, blocks, last, head, other)
