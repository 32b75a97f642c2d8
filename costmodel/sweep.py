"""Width and resolution sweeps, and the closed-form α/ρ law beside the exact count.

The MobileNet paper says the width multiplier α reduces cost "by roughly α²"
and the resolution multiplier ρ "by ρ²".  Exactly, each layer's MAdds is a
monomial: ``Kh·Kw·M·N·Ho·Wo`` scales with α² ρ² when both M and N are thinned,
with α ρ² for a depthwise layer or the first convolution (3 input channels are
not thinned), with α for the classifier (N = classes is not thinned), not at
all for a fixed-width head.  Summing the base model's (α = 1, ρ = 1) layers by
their exponents gives the closed form::

    MAdds(α, ρ) ≈ A·α²ρ² + B·αρ² + C·α + D

It is exact up to the channel rounding (``round(α·c)``) and the integer
arithmetic of strided sizes; :func:`law_error` measures that error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .conventions import Facts, get as get_convention, unit_factor
from .engine import channel_values, facts_at, plan_for
from .errors import UsageError
from .layers import FACTS
from .limits import MAX_LIST, MAX_SWEEP_POINTS
from .scaling import POLICIES, WIDTH_ROLES, check_alpha, check_policy

SUPERSCRIPT = {0: "", 1: "", 2: "²", 3: "³", 4: "⁴"}


def _scaled(v, scale: float) -> str:
    """``v / scale`` to 2 decimals with thousands separators; exact for integers past 2⁵³."""
    if not isinstance(v, int) or abs(v) < 2 ** 53 or scale != int(scale):
        return f"{v / scale:,.2f}"
    cents = (abs(v) * 100 * 2 + int(scale)) // (2 * int(scale))     # round half up
    return f"{'-' if v < 0 else ''}{cents // 100:,}.{cents % 100:02d}"


class Poly(dict):
    """A polynomial in α and ρ: ``{(a, b): coefficient}`` for coefficient·α^a·ρ^b."""

    def __add__(self, other):
        out = Poly(self)
        if isinstance(other, Poly):
            for k, v in other.items():
                out[k] = out.get(k, 0) + v
        elif other:
            out[(0, 0)] = out.get((0, 0), 0) + other
        return out

    __radd__ = __add__

    def __mul__(self, k):
        return Poly({e: v * k for e, v in self.items()})

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __sub__(self, other):              # conventions may weigh a fact by −1
        return self + (-other)

    def __call__(self, alpha: float, rho: float) -> float:
        """The value at (α, ρ): a float, or an exact integer past 2⁵³ (never an overflow)."""
        try:
            value = sum(v * alpha ** a * rho ** b for (a, b), v in self.items())
            if abs(value) < 2 ** 53:
                return value
        except OverflowError:
            pass
        from fractions import Fraction
        a, r = Fraction(alpha), Fraction(rho)
        return round(sum(v * a ** i * r ** j for (i, j), v in self.items()))

    def terms(self):
        return sorted(((e, v) for e, v in self.items() if v), key=lambda t: (-t[0][0] - t[0][1], -t[0][0]))

    def text(self, scale: float = 1e6, suffix: str = "M") -> str:
        parts = []
        for (a, b), v in self.terms():
            mono = ("α" + SUPERSCRIPT[a] if a else "") + ("ρ" + SUPERSCRIPT[b] if b else "")
            parts.append(_scaled(v, scale) + suffix + (f"·{mono}" if mono else ""))
        return " + ".join(parts) or "0"


@dataclass
class ScalingLaw:
    """The closed form of one model's MAdds and params in α and ρ."""

    arch: str
    madds: Poly
    params: Poly
    base_resolution: int
    convention: str
    unit: str

    def predict(self, alpha: float, resolution: int) -> tuple[float, float]:
        rho = resolution / self.base_resolution
        return self.madds(alpha, rho), self.params(alpha, rho)

    def text(self) -> str:
        return (f"MAdds ≈ {self.madds.text()}   params ≈ {self.params.text()}   "
                f"(ρ = resolution / {self.base_resolution})")


def _scales(plan, alpha: float, policy: str):
    """Which channel entries thin with α, and which sizes shrink with ρ."""
    p_i = POLICIES.index(policy)
    ch: list[bool] = []
    for roles, _base, ref, _ratio in plan.ch:
        ch.append(WIDTH_ROLES[roles[p_i]].thinned(alpha, ref >= 0 and ch[ref]))
    sp = []
    for entry in plan.sp:
        sp.append(entry[0] == "input" or (entry[0] == "conv" and sp[entry[1]]))
    return np.array(ch), np.array(sp)


def scaling_law(arch, *, alpha: float = 1.0, classes: int | None = None, rounding: str = "tf",
                convention: str = "paper", unit: str | None = None) -> ScalingLaw:
    """The closed form: each layer's base cost grouped by its exponents of α and ρ.

    The exponents are measured, not assumed: every fact is a monomial in the
    channel counts and sizes, so doubling every thinned channel (resp. every
    shrinking size) multiplies it by exactly ``2^a`` (resp. ``2^b``).
    """
    plan = plan_for(arch)
    alpha = check_alpha(alpha)
    check_policy(rounding)
    conv = get_convention(convention)
    factor = unit_factor(conv.unit, unit, conv.name)
    classes = plan.spec.classes if classes is None else classes
    ch_base = channel_values(plan, 1.0, classes, rounding)
    sp_base = list(plan.sp_base)
    ch_s, sp_s = _scales(plan, alpha, rounding)
    F1, _ = facts_at(plan, ch_base, sp_base)
    Fa, _ = facts_at(plan, [2 * c if x else c for c, x in zip(ch_base, ch_s)], sp_base)
    Fr, _ = facts_at(plan, ch_base, [2 * v if x else v for v, x in zip(sp_base, sp_s)])
    polys = []
    for row in range(len(FACTS)):
        p = Poly()
        for base, va, vr in zip(F1[row], Fa[row], Fr[row]):
            base, va, vr = int(base), int(va), int(vr)
            if base == 0:
                continue
            a, b = _exponent(va, base), _exponent(vr, base)
            p[(a, b)] = p.get((a, b), 0) + base
        polys.append(p)
    f = Facts(polys)
    return ScalingLaw(plan.name, Poly(conv.madds(f)) * factor, Poly(conv.params(f)),
                      plan.spec.input[1], conv.name, unit or conv.unit)


def _exponent(scaled: int, base: int) -> int:
    for e in range(5):
        if scaled == base * 2 ** e:
            return e
    raise AssertionError(f"not a monomial: {base} -> {scaled}")  # pragma: no cover


def law_error(law: ScalingLaw, alpha: float, resolution: int, exact_madds: int) -> float:
    """Relative error of the closed form against the exact MAdds, in percent."""
    predicted, _ = law.predict(alpha, resolution)
    return 100 * (predicted - exact_madds) / exact_madds if exact_madds else 0.0


def parse_list(text: str, kind, what: str) -> list:
    """``"0.25,0.5,1.0"`` (or ``"0.25:1.0:0.25"`` start:stop:step, inclusive) to a list.

    At most :data:`~costmodel.limits.MAX_LIST` values; counted before any is made."""
    import math
    items = []
    bad = UsageError(f"{what} must be a comma-separated list of numbers "
                     f"(or start:stop:step), got {text!r}")
    try:
        for part in str(text).split(","):
            part = part.strip()
            if not part:
                continue
            if ":" in part:
                start, stop, step = (float(x) for x in part.split(":"))
                if not (step > 0 and math.isfinite(start) and math.isfinite(stop)
                        and math.isfinite(step)):
                    raise ValueError
                n = (stop - start) / step + 1
                if not math.isfinite(n) or len(items) + n > MAX_LIST:
                    raise UsageError(f"{what} {part}: {n:,.0f} values, more than the limit of "
                                     f"{MAX_LIST:,} (see `costmodel sweep --help`)")
                n = int(round((stop - start) / step)) + 1
                items += [kind(round(start + i * step, 10)) for i in range(max(n, 0))]
            else:
                items.append(kind(part) if kind is float else int(part))
                if len(items) > MAX_LIST:
                    raise UsageError(f"{what}: more than the limit of {MAX_LIST:,} values")
    except (ValueError, OverflowError):
        raise bad from None
    if not items:
        raise UsageError(f"{what} is empty")
    return items


def check_grid(alphas, resolutions, limit: int = MAX_SWEEP_POINTS, what: str = "sweep"):
    """Refuse a grid of more than ``limit`` α × resolution points, before any count."""
    n = len(alphas) * len(resolutions)
    if n > limit:
        raise UsageError(f"{what}: {len(alphas):,} α × {len(resolutions):,} resolutions = "
                         f"{n:,} points, more than the limit of {limit:,}")


def sweep(arch, alphas, resolutions, *, classes=None, rounding="tf", convention="paper",
          unit=None):
    """Exact params and MAdds over an α × resolution grid, with the closed form's error.

    Returns a list of dicts (one per grid point), in α-major order.
    """
    from . import count
    from .torch_bridge import is_pytorch
    if is_pytorch(arch):
        raise UsageError(f"{arch if isinstance(arch, str) else type(arch).__name__}: a sweep "
                         f"takes a built-in or a spec file: a PyTorch model has no width "
                         f"multiplier α to sweep (count it at each resolution with "
                         f"`costmodel table MODEL --resolution R`)")
    check_grid(alphas, resolutions)
    laws = {}
    rows = []
    for a in alphas:
        a = check_alpha(a)
        key = a > 1.0
        if key not in laws:
            laws[key] = scaling_law(arch, alpha=a, classes=classes, rounding=rounding,
                                    convention=convention, unit=unit)
        law = laws[key]
        for r in resolutions:
            c = count(arch, alpha=a, resolution=r, classes=classes, rounding=rounding,
                      convention=convention, unit=unit)
            predicted, _ = law.predict(a, r)
            rows.append({"alpha": a, "resolution": r, "params": c.totals.params,
                         "madds": c.totals.madds, "closed form": int(round(predicted)),
                         "error %": round(law_error(law, a, r, c.totals.madds), 2)})
    return rows
