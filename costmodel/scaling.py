"""Width (α) and resolution (ρ) scaling, with each reference implementation's rounding.

The width multiplier α thins every layer: a layer with ``c`` channels gets about
``α·c``.  *About*, because each reference implementation rounds differently,
and the papers' published numbers come from those implementations.  A rounding
*policy* (``tf`` or ``torchvision``) names the implementation; a spec file says
which rounding *function* each policy uses for its architecture and which
*role* each layer's channel count plays:

=================  ==========================================================
role               channels at width α
=================  ==========================================================
``scaled``         ``round(c·α)`` with the policy's rounding function
``fixed``          ``c`` (never scaled; e.g. the image's 3 input channels)
``grow``           ``round(c·max(1, α))``: kept at ``c`` below α = 1 (the
                   MobileNetV2 head: "we apply width multiplier to all layers
                   except the very last convolutional layer")
``input_ratio``    ``make_divisible(c_in(α) · c/c_in, 8)``: TF-slim's
                   ``expand_input_by_factor``, the expansion follows the
                   *rounded* input
``input_round``    ``round(c_in(α) · c/c_in)``: torchvision's
                   ``int(round(inp * expand_ratio))`` and V3's ``6 * in``
``squeeze``        ``make_divisible(c_in(α)/4, 8)`` (TF-slim) or
                   ``make_divisible(c_in(α)//4, 8)`` (torchvision)
``classes``        the number of classes (``--classes``)
=================  ==========================================================

Rounding functions:

* ``slim_v1``: TF-slim ``mobilenet_v1.py``: ``max(int(c·α), 8)``.
* ``make_divisible``: TF-slim ``mobilenet.py`` and torchvision
  ``_make_divisible(c·α, 8)``: nearest multiple of 8, at least 8, and never
  more than 10 % below ``c·α``.
* ``nearest``: ``round(c·α)``, halves up, at least 1 (ShuffleNet's "s×": "scaling the number
  of filters by s times"; exact at s = 0.25, 0.5, 1.5, 2 for its channel counts).

Resolution: ``--resolution R`` sets the input size directly; ``--rho ρ`` sets
``R = round(ρ·224)`` (224 being the papers' base resolution).
"""

from __future__ import annotations

from .errors import UsageError

POLICIES = ("tf", "torchvision")
ROUNDINGS = ("slim_v1", "make_divisible", "nearest")
ROLES = ("scaled", "fixed", "grow", "input_ratio", "input_round", "squeeze", "classes")
BASE_RESOLUTION = 224


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """TF-slim's and torchvision's ``_make_divisible``: round ``v`` to a multiple of ``divisor``.

    ``max(min_value, int(v + divisor/2) // divisor * divisor)``, plus one more
    ``divisor`` if that went down by more than 10 %.
    """
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def slim_v1_depth(v: float, min_depth: int = 8) -> int:
    """TF-slim MobileNetV1: ``max(int(d * depth_multiplier), min_depth)``."""
    return max(int(v), min_depth)


def nearest(v: float) -> int:
    """``round(v)``, halves up, at least 1."""
    return max(1, int(v + 0.5))


ROUNDING_SCALAR = {"slim_v1": slim_v1_depth, "make_divisible": make_divisible, "nearest": nearest}


def check_alpha(alpha) -> float:
    """α must be a positive number."""
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise UsageError(f"alpha must be a number, got {alpha!r}") from None
    if not a > 0 or a != a or a == float("inf"):
        raise UsageError(f"alpha must be > 0, got {alpha}")
    return a


def check_policy(rounding: str) -> str:
    if rounding not in POLICIES:
        raise UsageError(f"unknown rounding {rounding!r}: use one of {', '.join(POLICIES)}")
    return rounding


def resolution_from(resolution=None, rho=None, base: int = BASE_RESOLUTION) -> int:
    """The input resolution from ``--resolution`` or ``--rho`` (``round(ρ·base)``)."""
    if resolution is not None and rho is not None:
        raise UsageError("give either --resolution or --rho, not both")
    if rho is not None:
        try:
            r = float(rho)
        except (TypeError, ValueError):
            raise UsageError(f"rho must be a number, got {rho!r}") from None
        if not r > 0 or r == float("inf"):
            raise UsageError(f"rho must be > 0, got {rho}")
        return max(1, int(r * base + 0.5))
    if resolution is None:
        return base
    try:
        res = int(resolution)
    except (TypeError, ValueError):
        raise UsageError(f"resolution must be a whole number of pixels, got {resolution!r}") from None
    if res != resolution and not (isinstance(resolution, str) and str(res) == resolution.strip()):
        raise UsageError(f"resolution must be a whole number of pixels, got {resolution!r}")
    if res <= 0:
        raise UsageError(f"resolution must be > 0, got {resolution}")
    return res
