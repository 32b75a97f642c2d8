"""The depthwise separable ratio: a separable layer's cost against the standard convolution it replaces.

A standard ``Dk×Dk`` convolution from M to N channels on a ``Df×Df`` output costs
``Dk·Dk·M·N·Df·Df`` MAdds; a depthwise ``Dk×Dk`` convolution followed by a 1×1
pointwise one costs ``Dk·Dk·M·Df·Df + M·N·Df·Df``.  Their ratio is exactly::

    (Dk·Dk·M·Df·Df + M·N·Df·Df) / (Dk·Dk·M·N·Df·Df) = 1/N + 1/Dk²

(the MobileNet paper's equation 5).  Every number here comes from the engine's
layer kinds (the same ``conv`` and ``dw`` formulas as in the models), so the
identity is checked, not assumed.
"""

from __future__ import annotations

from fractions import Fraction

from .errors import UsageError
from .scaling import check_alpha, check_rho, scale_size, thin


def _layer_cost(layers: list[dict], m: int, df: int, alpha: float) -> tuple[int, int]:
    """MAdds and weights of a small spec at input ``m×df×df`` and width α."""
    from . import count
    spec = {"name": "layer", "input": {"channels": m, "resolution": df},
            "layers": [{**layer, "norm": "none", "act": "none"} for layer in layers]}
    if alpha != 1.0:  # the input channels are an earlier layer's output: thin them too
        spec["input"]["channels"] = thin(m, alpha)
    t = count(spec, alpha=alpha, rounding="tf").totals
    return t.madds, t.params


def separable_table(kernel: int = 3, m: int = 512, n: int = 512, size: int = 14,
                    alpha: float = 0.75, rho: float = 0.714) -> list[dict]:
    """The V1 paper's Table 3 for any layer: cumulative modifications of one layer.

    Rows: the standard convolution, the depthwise separable one, then with
    width α, then also with resolution ρ (``Df' = round(ρ·Df)``).  The
    defaults are the paper's: 14×14×512 to 512, Dk = 3, α = 0.75, ρ = 0.714.
    """
    for name, v in (("kernel", kernel), ("in-channels", m), ("out-channels", n), ("size", size)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise UsageError(f"{name} must be a whole number > 0, got {v!r}")
    alpha = check_alpha(alpha)
    rho = check_rho(rho)
    if kernel > size:
        raise UsageError(f"kernel {kernel} is larger than the feature map {size}")
    df_rho = scale_size(size, rho)
    standard = [{"type": "conv", "k": kernel, "out": n}]
    separable = [{"type": "dw", "k": kernel}, {"type": "conv", "k": 1, "out": n}]
    first, _ = _layer_cost(standard, m, size, 1.0)
    rows = []
    for label, layers, a, df in (
            ("Convolution", standard, 1.0, size),
            ("Depthwise Separable Conv", separable, 1.0, size),
            (f"α = {alpha:g}", separable, alpha, size),
            (f"ρ = {rho:g}", separable, alpha, df_rho)):
        madds, params = _layer_cost(layers, m, df, a)
        same, _ = _layer_cost(standard, m, df, a)       # the standard conv at the same α and Df
        n_eff = thin(n, a)
        rows.append({"Layer/Modification": label, "M": thin(m, a), "N": n_eff, "Df": df,
                     "MAdds": madds, "Million Mult-Adds": float(f"{madds / 1e6:.3g}"),
                     "params": params, "Million Parameters": round(params / 1e6, 2),
                     "vs row 1": round(madds / first, 4),
                     "vs standard": round(madds / same, 4),
                     "1/N + 1/Dk²": round(float(Fraction(1, n_eff) + Fraction(1, kernel ** 2)), 4)
                     if layers is separable else float("nan")})
    return rows




def model_pairs(costing) -> list[dict]:
    """Every depthwise + pointwise pair of a counted model, against the standard
    convolution it replaces (same kernel, stride and output), with ``1/N + 1/Dk²``."""
    rows = []
    layers = costing.layers
    for i, dw in enumerate(layers):
        if dw.kind != "depthwise":
            continue
        j = i + 1
        while j < len(layers) and layers[j].kind in ("squeeze-excite", "batch norm", "activation"):
            j += 1
        if j >= len(layers) or layers[j].kind != "pointwise":
            continue
        pw = layers[j]
        (kh, kw) = dw.layer["k"]
        m, n = dw.input[0], pw.output[0]
        ho, wo = dw.output[1], dw.output[2]
        separable = dw.facts["macs"] + pw.facts["macs"]
        standard = kh * kw * m * n * ho * wo
        rows.append({"depthwise": dw.name, "pointwise": pw.name, "Dk": kh if kh == kw else f"{kh}×{kw}",
                     "M": m, "N": n, "Df": ho if ho == wo else f"{ho}×{wo}",
                     "separable MAdds": separable, "standard MAdds": standard,
                     "ratio": round(separable / standard, 4),
                     "1/N + 1/Dk²": round(1 / n + 1 / (kh * kw), 4)})
    return rows
