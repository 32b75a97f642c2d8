"""Layer kinds of the MobileNetV4 hybrids: Mobile MQA and the layer scale.

Mobile MQA (``type = "mqa"``; Qin et al. 2024, §3.3; timm ``MultiQueryAttention2d``
inside ``MobileAttention``, tensorflow/models ``MultiHeadSelfAttentionBlock``)
-----------------------------------------------------------------------------------
On an input of ``C × H × W`` (``N = H·W`` positions) with ``h`` heads, key and
value width ``d`` (``dk``, ``dv``):

* a batch norm on the input (no activation; the block's pre-norm);
* queries: ``h`` heads, a 1×1 convolution ``C → h·dk``; with ``query_stride``
  ``q > 1`` first an average pool ``q × q`` and a batch norm, so queries live on
  ``Nq = (H/q)·(W/q)`` positions;
* one shared key head and one shared value head: a 1×1 convolution ``C → dk``
  and ``C → dv``; with ``kv_stride`` ``s > 1`` each is preceded by its own
  ``kv_k × kv_k`` depthwise convolution with stride ``s`` and a batch norm, so
  keys and values live on ``Nk = ⌈H/s⌉·⌈W/s⌉`` positions;
* attention: ``QKᵀ`` is ``h·Nq·Nk·dk`` multiply-accumulates, ``AV``
  ``h·Nq·Nk·dv``, softmax over ``h·Nq·Nk`` scores (``attention_macs``,
  ``softmax``: what torch's ``FlopCounterMode`` counts for
  ``scaled_dot_product_attention``);
* the output: (a bilinear upsample back to ``H × W`` when ``q > 1``) and a 1×1
  convolution ``h·dv → N_out`` on all ``N`` positions.

weights = C·h·dk + C·dk + C·dv + h·dv·N_out (+ 2·kv_k²·C when s > 1)

MAdds = Nq·C·h·dk + Nk·C·(dk + dv) + N·h·dv·N_out (+ 2·kv_k²·C·Nk)
        + h·Nq·Nk·(dk + dv)

The heads and widths are the paper's and do not scale with α (timm's
``MultiQueryAttention2d`` takes them as given).

Layer scale (``type = "layer_scale"``; Touvron et al. 2021, CaiT)
------------------------------------------------------------------
A learned gain per channel multiplying the block's output before its residual
add: ``C`` parameters and ``C·H·W`` multiplies (timm ``LayerScale2d``).
"""

from __future__ import annotations

import numpy as np

from .errors import SpecError
from .layers import (COMMON, Field, Kind, boolean, channels, norm, positive_int, register,
                     width)
from .scaling import POLICIES


def _kv_size(size, k, s):
    """Key/value positions along one axis: the stride-``s`` depthwise convolution with
    timm's symmetric padding ``((s − 1) + (k − 1)) // 2`` (``s = 1``: unchanged)."""
    p = ((s - 1) + (k - 1)) // 2
    return np.where(s > 1, (size + 2 * p - k) // np.maximum(s, 1) + 1, size)


@register
class MobileMQA(Kind):
    """Mobile MQA: multi-query attention with optional key/value and query downsampling.

    weights = C·h·dk + C·(dk + dv) + h·dv·N_out (+ 2·k²·C),
    MAdds = those weights at their positions (Nq, Nk, Nk, N) + h·Nq·Nk·(dk + dv)
    """

    type = "mqa"
    doc = "Mobile MQA: multi-head queries, one shared key/value head (MobileNetV4 hybrids)"
    fields = {**COMMON,
              "out": Field(None, channels, "output channels (default: the input's)"),
              "heads": Field(4, positive_int, "query heads h"),
              "key_dim": Field(64, positive_int, "key width dk (per head)"),
              "value_dim": Field(None, positive_int, "value width dv (default: key_dim)"),
              "kv_stride": Field(1, positive_int, "stride of the keys' and values' depthwise "
                                                  "downsampling (1: none)"),
              "kv_k": Field(3, positive_int, "kernel of that depthwise downsampling"),
              "query_stride": Field(1, positive_int, "average-pool the queries by this stride "
                                                     "(1: none)"),
              "norm": Field("bn", norm, "the batch norm on the input (and after each "
                                        "downsampling)"),
              "bias": Field(False, boolean, "biases on the four projections"),
              "width": Field({p: "scaled" for p in POLICIES}, width, "how α scales `out`")}
    static = ("heads", "key_dim", "value_dim", "kv_stride", "kv_k", "query_stride", "norm",
              "bias")

    def normalise(self, L):
        if L["value_dim"] is None:
            L["value_dim"] = L["key_dim"]
        return L

    def static_value(self, L, name):
        if name == "norm":
            return int(L["norm"] == "bn")
        return super().static_value(L, name)

    def shape(self, L, b, cin, hin, win):
        cout = cin if L["out"] is None else b.channel(L["out"], L["width"], cin)
        q = L["query_stride"]
        if q > 1 and (b.sp_base[hin] % q or b.sp_base[win] % q):
            raise SpecError(f"query_stride {q} does not divide the input "
                            f"{b.sp_base[hin]}×{b.sp_base[win]}", field="query_stride")
        return cout, -1, hin, win

    colours = {"attention": ("#e377c2", "attention (Mobile MQA)")}
    role = "attention"

    def label(self, L):
        return "attention"

    def group_label(self, L, label):
        return "Mobile MQA"

    def facts(self, q):
        c, n = q.cin, q.cout
        hk, dk, dv = q.heads, q.key_dim, q.value_dim
        qs, s, k = q.query_stride, q.kv_stride, q.kv_k
        down_q, down_kv = (qs > 1).astype(np.int64), (s > 1).astype(np.int64)
        positions = q.hin * q.win
        nq = (q.hin // qs) * (q.win // qs)
        nk = _kv_size(q.hin, k, s) * _kv_size(q.win, k, s)
        dw = down_kv * 2 * k * k * c                  # two depthwise downsamplings (K and V)
        weights = c * hk * dk + c * (dk + dv) + hk * dv * n + dw
        # the output projection runs after the upsample: at every input position
        macs = nq * c * hk * dk + nk * c * (dk + dv) + positions * hk * dv * n + dw * nk
        return {
            "weights": weights,
            "biases": q.bias * (hk * dk + dk + dv + n),
            "bias_elements": q.bias * (nq * hk * dk + nk * (dk + dv) + positions * n),
            "macs": macs,
            "attention_macs": hk * nq * nk * (dk + dv),
            "softmax": hk * nq * nk,
            "norm_channels": q.norm * (c + down_kv * 2 * c + down_q * c),
            "norm_elements": q.norm * (c * positions + down_kv * 2 * c * nk + down_q * c * nq),
            "pool_other_in": down_q * c * positions,
            "pool_other_out": down_q * c * nq,
            "upsample_linear_out": down_q * hk * dv * positions,
        }

    def formula(self, r):
        L = r.layer
        c, h, w = r.input
        heads, dk, dv = L["heads"], L["key_dim"], L["value_dim"]
        return (f"C·h·dk·Nq + C·(dk+dv)·Nk + h·dv·N_out·N + h·Nq·Nk·(dk+dv), "
                f"C = {c}, h = {heads}, dk = {dk}, dv = {dv}, N = {r.output[0]}")

    def build(self, ctx, r):
        L = r.layer
        return _mqa_module(ctx)(r.input[0], r.output[0], L["heads"], L["key_dim"],
                                L["value_dim"], L["kv_stride"], L["kv_k"], L["query_stride"],
                                L["norm"] == "bn", L["bias"])


def _mqa_module(ctx):
    """The PyTorch module of a Mobile MQA layer (timm's ``MultiQueryAttention2d`` with its
    block's pre-norm), defined once torch is imported."""
    cached = getattr(ctx, "MobileMQA", None)
    if cached is not None:
        return cached
    torch, nn, F = ctx.torch, ctx.nn, ctx.F

    class MobileMQA(nn.Module):
        def __init__(self, c, n, heads, dk, dv, kv_stride, kv_k, query_stride, use_norm, bias):
            super().__init__()
            self.heads, self.dk, self.dv, self.qs = heads, dk, dv, query_stride
            bn = nn.BatchNorm2d if use_norm else (lambda _c: nn.Identity())
            self.norm = bn(c)
            query = []
            if query_stride > 1:
                query += [nn.AvgPool2d(query_stride), bn(c)]
            self.query = nn.Sequential(*query, nn.Conv2d(c, heads * dk, 1, bias=bias))
            pad = ((kv_stride - 1) + (kv_k - 1)) // 2

            def kv(width):
                parts = []
                if kv_stride > 1:
                    parts += [nn.Conv2d(c, c, kv_k, kv_stride, pad, groups=c, bias=False), bn(c)]
                return nn.Sequential(*parts, nn.Conv2d(c, width, 1, bias=bias))
            self.key, self.value = kv(dk), kv(dv)
            self.output = nn.Conv2d(heads * dv, n, 1, bias=bias)

        def forward(self, x):
            b, _, h, w = x.shape
            x = self.norm(x)
            q = self.query(x)                                     # b, h·dk, Hq, Wq
            hq, wq = q.shape[-2:]
            q = q.reshape(b, self.heads, self.dk, -1).transpose(-1, -2)   # b, h, Nq, dk
            k = self.key(x).flatten(2).transpose(1, 2).unsqueeze(1)       # b, 1, Nk, dk
            v = self.value(x).flatten(2).transpose(1, 2).unsqueeze(1)     # b, 1, Nk, dv
            o = F.scaled_dot_product_attention(q, k, v)                   # b, h, Nq, dv
            o = o.transpose(-1, -2).reshape(b, self.heads * self.dv, hq, wq)
            if self.qs > 1:
                o = F.interpolate(o, size=(h, w), mode="bilinear", align_corners=False)
            return self.output(o)

    ctx.MobileMQA = MobileMQA
    return MobileMQA


@register
class LayerScale(Kind):
    """Layer scale: a learned gain per channel.  params = C,  multiplies = C·H·W."""

    type = "layer_scale"
    doc = "layer scale: a learned gain per channel (C parameters, C·H·W multiplies)"
    fields = dict(COMMON)

    role = "mul"

    def label(self, L):
        return "layer scale"

    def facts(self, q):
        return {"other_params": q.cin, "mul": q.cin * q.hin * q.win}

    def formula(self, r):
        c, h, w = r.input
        return f"C = {c} (params); C·H·W = {c}·{h}·{w} (multiplies)"

    def build(self, ctx, r):
        nn, torch = ctx.nn, ctx.torch

        class Gain(nn.Module):
            def __init__(self, c):
                super().__init__()
                self.gamma = nn.Parameter(torch.full((c,), 1e-5))

            def forward(self, x):
                return x * self.gamma.view(1, -1, 1, 1)
        return Gain(r.input[0])


__all__ = ["MobileMQA", "LayerScale"]
