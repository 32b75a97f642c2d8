"""Layer kinds of ShuffleNet (Zhang et al., CVPR 2018): channel shuffle, local pooling and
channel concatenation.  Registered into :data:`costmodel.layers.KINDS` (``layers.py`` imports
this module at its end).

``shuffle``
    Channel shuffle with ``g`` groups: reshape ``C`` to ``(g, C/g)``, transpose, flatten.
    A permutation: 0 MACs, no parameters; it is recorded as a layer because a model
    materialises its output (``contiguous()`` copies the ``C·H·W`` elements).

``pool``
    Local (windowed) pooling, average or max, ``k×k`` with stride ``s``:
    ``Ho = floor((Hi + 2p − k)/s) + 1``; ``pool_other_in = C·Hi·Wi`` and
    ``pool_other_out = C·Ho·Wo`` (the facts the operator-level capture gives
    ``avg_pool2d``/``max_pool2d``); no MACs.  ``reads = "block"`` makes it read the input of
    the block it belongs to instead of the previous layer's output (ShuffleNet's 3×3
    average-pool shortcut in a stride-2 unit).

``concat``
    Channel concatenation of the previous layer's output with the output of the earlier
    layer ``with`` (of the same block): ``C = C_prev + C_with`` at the same ``H×W``.  No
    arithmetic; its output is a new tensor, and both inputs stay alive until it runs.
"""

from __future__ import annotations

from .errors import SpecError
from .layers import COMMON, Field, Kind, call, pair, padding, positive_int, register, text

POOL_FUNCTIONS = ("avg", "max")
READS = ("previous", "block")


def pool_fn(v, field):
    if v not in POOL_FUNCTIONS:
        raise SpecError(f"must be 'avg' or 'max', got {v!r}", field=field)
    return v


def reads(v, field):
    if v not in READS:
        raise SpecError(f"must be 'previous' (the layer before) or 'block' (the input of the "
                        f"block this layer belongs to), got {v!r}", field=field)
    return v


@register
class ChannelShuffle(Kind):
    """Channel shuffle with g groups (ShuffleNet): a permutation of the channels, 0 MACs."""

    type = "shuffle"
    doc = "channel shuffle (ShuffleNet): a permutation of the channels, 0 MACs"
    fields = {**COMMON, "groups": Field(1, positive_int, "groups g (C must divide by g)")}
    static = ("groups",)         # the engine checks that g divides the channels

    def is_function(self, L):
        return True

    role = "free"

    def label(self, L):
        return "channel shuffle"

    def build(self, ctx, r):
        g, torch = r.layer["groups"], ctx.torch

        def shuffle(x):
            b, c, h, w = x.shape
            return torch.transpose(x.view(b, g, c // g, h, w), 1, 2).contiguous().view(b, c, h, w)
        return ("function", shuffle)

    def formula(self, r):
        return f"permutation of {r.input[0]} channels in {r.layer['groups']} groups (0 MACs)"


@register
class Pool(Kind):
    """Local pooling, k×k with stride s: average or max; C·Hi·Wi inputs, C·Ho·Wo outputs."""

    type = "pool"
    doc = "local pooling (avg or max), k×k, stride s"
    fields = {**COMMON,
              "fn": Field("avg", pool_fn, "avg or max"),
              "k": Field(3, pair(positive_int), "window (one number or [h, w])"),
              "s": Field(1, pair(positive_int), "stride"),
              "padding": Field("same", padding, "zero padding; 'same' = (k−1)/2 each side"),
              "call": Field("module", call, "module or function (how a model calls it)"),
              "reads": Field("previous", reads, "what it reads: the previous layer's output, "
                                                "or the input of its block (a shortcut)")}

    def shape(self, L, b, cin, hin, win):
        (kh, kw), (sh, sw) = L["k"], L["s"]
        ph, pw = _padding(L)
        return cin, -1, b.conv_size(hin, kh, sh, ph, 1, L), b.conv_size(win, kw, sw, pw, 1, L)

    colours = {"pooling": ("#bcbd22", "pooling")}
    role = "pool"

    def label(self, L):
        return "pooling"

    def group_label(self, L, label):
        kh, kw = L["k"]
        return f"{'Avg' if L['fn'] == 'avg' else 'Max'} Pool {kh}×{kw}"

    def build(self, ctx, r):
        L, nn, F = r.layer, ctx.nn, ctx.F
        args = dict(kernel_size=L["k"], stride=L["s"], padding=_padding(L))
        if L["call"] == "function":
            fn = F.avg_pool2d if L["fn"] == "avg" else F.max_pool2d
            return ("function", lambda x: fn(x, **args))
        return (nn.AvgPool2d if L["fn"] == "avg" else nn.MaxPool2d)(**args)

    def facts(self, q):
        return {"pool_other_in": q.cin * q.hin * q.win, "pool_other_out": q.cout * q.hout * q.wout}

    def formula(self, r):
        c, h, w = r.input
        return f"C·H·W = {c}·{h}·{w} inputs (no MACs)"


def _padding(L) -> tuple[int, int]:
    p = L["padding"]
    if p == "same":
        return ((L["k"][0] - 1) // 2, (L["k"][1] - 1) // 2)
    if p == "valid":
        return (0, 0)
    return p


@register
class Concat(Kind):
    """Channel concatenation: the previous output, then the output of layer ``with``."""

    type = "concat"
    doc = "channel concatenation of the previous output with an earlier layer's (no arithmetic)"
    fields = {**COMMON, "with": Field(None, text, "the earlier layer (of the same block) whose "
                                                  "output is concatenated after the previous one")}

    def shape(self, L, b, cin, hin, win):
        if L["with"] is None:
            raise SpecError("missing: a concatenation needs the layer it concatenates 'with'",
                            field="with")
        if L["with"] not in b.outputs:
            raise SpecError(f"no earlier layer named {L['with']!r}", field="with")
        c2, h2, w2 = b.outputs[L["with"]]
        b.same_size(hin, h2, L)
        b.same_size(win, w2, L)
        return b.concat(cin, c2), c2, hin, win

    def is_function(self, L):
        return True

    role = "free"

    def label(self, L):
        return "concat"

    def build(self, ctx, r):
        return ("concat", r.layer["with"])

    def formula(self, r):
        return f"{r.input[0]} + {r.mid} channels (a copy, no MACs)"
