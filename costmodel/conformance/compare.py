"""A model's architecture against a paper's, part by part: the stem, the blocks, the last
convolutions, the head, then the biases and norms over every convolution.  Each difference is
a :class:`Deviation` with its effect on MAdds and params; its ``kind`` is the name ``check
--allow`` takes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .reading import Architecture, Block, Unit


@dataclass
class Deviation:
    kind: str          # the --allow name
    where: str
    text: str
    madds: int = 0     # effect on MAdds (model − paper), paper convention
    params: int = 0    # effect on params (model − paper), weights + biases + batch norm

    def line(self) -> str:
        eff = []
        if self.madds:
            eff.append(f"{self.madds:+,} MAdds")
        if self.params:
            eff.append(f"{self.params:+,} params")
        return f"{self.where}: {self.text}" + (f": {', '.join(eff)}" if eff else "")


DEVIATION_KINDS = ("blocks", "stem", "kernel", "stride", "expansion", "width", "se", "nonlinearity",
                   "residual", "last", "head", "classes", "biases", "norms")


def _act(a: str) -> str:
    from ..reconcile import ACT_NAMES
    return ACT_NAMES.get(a, a)


def _show(name: str, v):
    if isinstance(v, tuple) and v[0] == v[1] and name == "k":
        return "×".join(map(str, v))
    return v[0] if isinstance(v, tuple) else v


_LABEL = {"k": "kernel", "s": "stride", "cout": "output channels"}


def unit_deviations(where: str, m: Unit, p: Unit, fields, block_effect=None) -> list[Deviation]:
    """The differences of one unit in ``fields`` ((attribute, deviation kind) pairs); the first
    carries the effect (the unit's, or ``block_effect``)."""
    devs = []
    first = True
    for name, kind in fields:
        mv, pv = getattr(m, name), getattr(p, name)
        if name == "act":
            if _act(mv) != _act(pv):
                devs.append(Deviation("nonlinearity", where, f"{_act(mv)}, the paper has {_act(pv)}"))
            continue
        if mv != pv:
            d = Deviation(kind, where, f"{_LABEL[name]} {_show(name, mv)}, the paper has {_show(name, pv)}")
            if first:
                d.madds, d.params = (block_effect if block_effect else
                                     (m.madds - p.madds, m.params - p.params))
                first = False
            devs.append(d)
    return devs


def compare_stem(model: Architecture, paper: Architecture) -> list[Deviation]:
    if not (model.stem and paper.stem):
        return []
    return unit_deviations("stem", model.stem, paper.stem, [("k", "stem"), ("s", "stride"),
                                                            ("cout", "stem"), ("act", "nonlinearity")])


def compare_blocks(model: Architecture, paper: Architecture) -> list[Deviation]:
    """The block count, then block by block: kernel, stride, expansion, width, SE,
    nonlinearity and residual; a block's first deviation carries the block's effect."""
    devs: list[Deviation] = []
    if len(model.blocks) != len(paper.blocks):
        dm = sum(b.madds for b in model.blocks) - sum(b.madds for b in paper.blocks)
        dp = sum(b.params for b in model.blocks) - sum(b.params for b in paper.blocks)
        devs.append(Deviation("blocks", "blocks", f"{len(model.blocks)} blocks, the paper has "
                              f"{len(paper.blocks)} (all blocks)", dm, dp))
    for i, (mb, pb) in enumerate(zip(model.blocks, paper.blocks)):
        devs += _block_deviations(f"block {i + 1}", mb, pb)
    return devs


def _block_deviations(where: str, mb: Block, pb: Block) -> list[Deviation]:
    effect = (mb.madds - pb.madds, mb.params - pb.params)
    if mb.name != pb.name:           # another kind of block (MobileNetV4's UIB instances)
        return [Deviation("blocks", where, f"{_a(mb.name)}, the paper has {_a(pb.name)}", *effect)]
    if mb.attn is not None:
        devs = unit_deviations(where, mb.attn, pb.attn, [("cout", "width")], effect)
        if not devs and (mb.attn.madds, mb.attn.params) != (pb.attn.madds, pb.attn.params):
            devs.append(Deviation("width", where, f"attention of {mb.attn.madds:,} MAdds and "
                                  f"{mb.attn.params:,} params, the paper's has {pb.attn.madds:,} and "
                                  f"{pb.attn.params:,} (heads or key/value widths)", *effect))
        if mb.residual != pb.residual:
            devs.append(Deviation("residual", where, ("a residual add, the paper has none"
                                                      if mb.residual else "no residual add, the paper has one")))
        return devs
    devs = []
    for part in ("dw_start", "dw") + (("expand",) if mb.name == "FusedIB" else ()):
        mu, pu = getattr(mb, part), getattr(pb, part)
        if mu is not None and pu is not None:
            devs += unit_deviations(where, mu, pu, [("k", "kernel"), ("s", "stride")],
                                    None if devs else effect)
    me = mb.expand.cout if mb.expand else None
    pe = pb.expand.cout if pb.expand else None
    if me != pe:
        devs.append(Deviation("expansion", where, f"expansion {me or 'none'}, the paper has {pe or 'none'}"))
    if mb.project and pb.project and mb.project.cout != pb.project.cout:
        devs.append(Deviation("width", where, f"output channels {mb.project.cout}, the paper has "
                              f"{pb.project.cout}"))
    if bool(mb.se) != bool(pb.se):
        devs.append(Deviation("se", where, ("squeeze-and-excitation, the paper has none" if mb.se
                                            else "no squeeze-and-excitation, the paper has it")))
    elif mb.se and pb.se and mb.se.cout != pb.se.cout:
        devs.append(Deviation("se", where, f"SE squeeze {mb.se.cout}, the paper has {pb.se.cout}"))
    m_act = (mb.expand or mb.dw).act
    p_act = (pb.expand or pb.dw).act
    if mb.name == "FusedIB" and _act(mb.project.act) != _act(pb.project.act):
        devs.append(Deviation("nonlinearity", where, f"{_act(mb.project.act)} after the projection, "
                              f"the paper has {_act(pb.project.act)}"))
    if _act(m_act) != _act(p_act):
        devs.append(Deviation("nonlinearity", where, f"{_act(m_act)}, the paper has {_act(p_act)}"))
    if mb.residual != pb.residual:
        devs.append(Deviation("residual", where, ("a residual add, the paper has none" if mb.residual
                                                  else "no residual add, the paper has one")))
    if devs and not any(d.madds or d.params for d in devs):
        devs[0].madds, devs[0].params = effect
    return devs


def _a(name: str) -> str:
    return f"an {name}" if name[0] in "AEIOUaeiou" else f"a {name}"


def compare_last(model: Architecture, paper: Architecture) -> list[Deviation]:
    """The 1×1 convolutions after the blocks, and an SE on the last one."""
    devs: list[Deviation] = []
    for j, (mu, pu) in enumerate(itertools.zip_longest(model.last, paper.last)):
        where = "last conv" if max(len(model.last), len(paper.last)) == 1 else f"last conv {j + 1}"
        if mu is None or pu is None:
            u = mu or pu
            devs.append(Deviation("last", where, ("present, the paper has none" if mu else "missing"),
                                  (u.madds if mu else -u.madds), (u.params if mu else -u.params)))
            continue
        devs += unit_deviations(where, mu, pu, [("k", "last"), ("cout", "last"), ("act", "nonlinearity")])
    m_last_se = any(u.kind == "se" for u in model.other)
    p_last_se = any(u.kind == "se" for u in paper.other)
    if m_last_se != p_last_se:
        u = next(u for u in (model.other if m_last_se else paper.other) if u.kind == "se")
        devs.append(Deviation("se", "last conv", ("squeeze-and-excitation, the paper has none" if m_last_se
                                                  else "no squeeze-and-excitation, the paper has it"),
                              u.madds if m_last_se else -u.madds, u.params if m_last_se else -u.params))
    return devs


def compare_head(model: Architecture, paper: Architecture) -> list[Deviation]:
    """The fully connected layers after pooling; the last is the classifier."""
    mh, ph = model.head, paper.head
    if len(mh) != len(ph):
        return [Deviation("head", "head", f"{len(mh)} fully connected layers after pooling, the paper "
                          f"has {len(ph)}", sum(u.madds for u in mh) - sum(u.madds for u in ph),
                          sum(u.params for u in mh) - sum(u.params for u in ph))]
    devs: list[Deviation] = []
    for j, (mu, pu) in enumerate(zip(mh, ph)):
        last = j == len(mh) - 1
        where = "classifier" if last else f"head {j + 1}"
        if mu.cout != pu.cout:
            kind = "classes" if last else "head"
            what = "classes" if last else "outputs"
            devs.append(Deviation(kind, where, f"{mu.cout} {what}, the paper has {pu.cout}",
                                  mu.madds - pu.madds, mu.params - pu.params))
        if _act(mu.act) != _act(pu.act):
            devs.append(Deviation("nonlinearity", where, f"{_act(mu.act)}, the paper has {_act(pu.act)}"))
    return devs


def _names(pairs) -> str:
    return ", ".join(m.name for m, _ in pairs[:3]) + (", ..." if len(pairs) > 3 else "")


def compare_biases_and_norms(model: Architecture, paper: Architecture) -> list[Deviation]:
    """Biases, then batch norms, over all convolutions: one line each for the layers that have
    one the paper does not, and for those without the paper's."""
    devs: list[Deviation] = []
    pairs = list(zip(model.convs(), paper.convs()))
    for attr, kind, noun, the, values in (("bias", "biases", "a bias", "bias", "biases"),
                                          ("norm", "norms", "batch norm", "batch norm", "norm_values")):
        extra = [(m, p) for m, p in pairs if getattr(m, attr) and not getattr(p, attr)]
        missing = [(m, p) for m, p in pairs if getattr(p, attr) and not getattr(m, attr)]
        if extra:
            devs.append(Deviation(kind, kind, f"{len(extra)} layer(s) with {noun} where the paper has none "
                                  f"({_names(extra)})", 0, sum(getattr(m, values) for m, _ in extra)))
        if missing:
            devs.append(Deviation(kind, kind, f"{len(missing)} layer(s) without the {the} the paper has "
                                  f"({_names(missing)})", 0, -sum(getattr(p, values) for _, p in missing)))
    return devs


#: The parts compared, in the order their deviations are listed.
PARTS = (compare_stem, compare_blocks, compare_last, compare_head, compare_biases_and_norms)


def compare(model: Architecture, paper: Architecture) -> list[Deviation]:
    """Part-by-part differences between a model and a paper's architecture."""
    return [d for part in PARTS for d in part(model, paper)]
