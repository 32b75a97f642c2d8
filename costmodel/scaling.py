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
``R = round(ρ·R₀)``, ``R₀`` the model's own input size (224 for the papers' models).
"""

from __future__ import annotations

from .errors import UsageError

POLICIES = ("tf", "torchvision")
ROUNDINGS = ("slim_v1", "make_divisible", "nearest")
BASE_RESOLUTION = 224
#: A PyTorch model's ``rounding``: its channels are what its code builds, no policy applies.
NO_ROUNDING = "-"


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


# --------------------------------------------------------------------------- width roles

class WidthRole:
    """What a channel count written ``base`` becomes at width α (the table above).

    ``channels`` gives the count; ``input`` is the input's count at this α for the roles
    that follow their input (``follows_input``), ``ratio`` their ratio to it, ``rounding``
    the policy's rounding function.  ``thinned`` says whether the count scales with α (the
    closed form's exponent of α), given whether the input's does.  Used by the engine
    (compiling and evaluating specs), the closed form (``sweep.scaling_law``) and the
    ``ratio`` command."""

    name = ""
    follows_input = False

    def channels(self, base: int, alpha: float, rounding, input: int = 0, ratio: float = 0.0,
                 classes: int = 0, policy: str = "tf") -> int:
        raise NotImplementedError

    def thinned(self, alpha: float, input_thinned: bool) -> bool:
        return input_thinned


class Scaled(WidthRole):
    """``round(c·α)`` with the policy's rounding function; ``c`` itself at α = 1."""
    name = "scaled"

    def channels(self, base, alpha, rounding, input=0, ratio=0.0, classes=0, policy="tf"):
        return base if alpha == 1.0 else rounding(base * alpha)

    def thinned(self, alpha, input_thinned):
        return True


class Fixed(WidthRole):
    """``c`` at every α (the image's channels, a PyTorch model's counts)."""
    name = "fixed"

    def channels(self, base, alpha, rounding, input=0, ratio=0.0, classes=0, policy="tf"):
        return base

    def thinned(self, alpha, input_thinned):
        return False


class Grow(Scaled):
    """``c`` below α = 1, scaled above (the MobileNetV2 head)."""
    name = "grow"

    def channels(self, base, alpha, rounding, input=0, ratio=0.0, classes=0, policy="tf"):
        return base if alpha <= 1.0 else rounding(base * alpha)

    def thinned(self, alpha, input_thinned):
        return alpha > 1.0


class InputRatio(WidthRole):
    """``make_divisible(c_in(α)·c/c_in, 8)``: TF-slim's ``expand_input_by_factor``."""
    name = "input_ratio"
    follows_input = True

    def channels(self, base, alpha, rounding, input=0, ratio=0.0, classes=0, policy="tf"):
        return base if alpha == 1.0 else make_divisible(input * ratio, 8)


class InputRound(WidthRole):
    """``round(c_in(α)·c/c_in)``: torchvision's ``int(round(inp * expand_ratio))``."""
    name = "input_round"
    follows_input = True

    def channels(self, base, alpha, rounding, input=0, ratio=0.0, classes=0, policy="tf"):
        return base if alpha == 1.0 else int(round(input * ratio))


class Squeeze(WidthRole):
    """An SE squeeze: ``make_divisible(c_in(α)·ratio, 8)`` (TF-slim) or
    ``make_divisible(c_in(α) // (1/ratio), 8)`` (torchvision), at α = 1 too."""
    name = "squeeze"
    follows_input = True

    def channels(self, base, alpha, rounding, input=0, ratio=0.0, classes=0, policy="tf"):
        if policy == "torchvision":
            return make_divisible(input // round(1 / ratio), 8)
        return make_divisible(input * ratio, 8)


class SqueezeGiven(Squeeze):
    """An SE squeeze the spec writes out: that width at α = 1, a squeeze below and above.
    (Not a role a spec names: the engine gives it to a ``squeeze`` with an explicit width.)"""
    name = "squeeze_given"

    def channels(self, base, alpha, rounding, input=0, ratio=0.0, classes=0, policy="tf"):
        return base if alpha == 1.0 else super().channels(base, alpha, rounding, input, ratio,
                                                          classes, policy)


class Classes(Fixed):
    """The number of classes (``--classes``)."""
    name = "classes"

    def channels(self, base, alpha, rounding, input=0, ratio=0.0, classes=0, policy="tf"):
        return classes


class Sum(WidthRole):
    """The channels of a concatenation: its two inputs' counts added.  (Not a role a spec
    names: the engine gives it to a ``concat``; ``ratio`` is the second input's count.)"""
    name = "sum"

    def channels(self, base, alpha, rounding, input=0, ratio=0.0, classes=0, policy="tf"):
        return input + ratio


class Difference(WidthRole):
    """``c − c_in``: a ShuffleNet stride-2 unit's branch, whose output is concatenated with
    its input to make ``c``.  (The engine's; ``ratio`` is the block input's count.)"""
    name = "diff"

    def channels(self, base, alpha, rounding, input=0, ratio=0.0, classes=0, policy="tf"):
        return input - ratio


class BlockFraction(WidthRole):
    """``max(1, int(c_in(α)·ratio))`` of the enclosing *block's* input: the SE squeeze of
    EfficientNet and MnasNet (TF ``max(1, int(input_filters * se_ratio))``, torchvision
    ``max(1, input_channels // 4)``), at α = 1 too.  (The engine's, for an SE's
    ``block_ratio``.)"""
    name = "block_fraction"
    follows_input = True

    def channels(self, base, alpha, rounding, input=0, ratio=0.0, classes=0, policy="tf"):
        return max(1, int(input * ratio))


#: Every width role by name; a spec names all but ``squeeze_given``, ``sum``, ``diff`` and
#: ``block_fraction``.
WIDTH_ROLES = {r.name: r for r in (Scaled(), Fixed(), Grow(), InputRatio(), InputRound(),
                                   Squeeze(), SqueezeGiven(), Classes(), Sum(), Difference(),
                                   BlockFraction())}
ROLES = ("scaled", "fixed", "grow", "input_ratio", "input_round", "squeeze", "classes")


def thin(c: int, alpha: float, rounding: str = "make_divisible") -> int:
    """``c`` channels at width α in the ``scaled`` role (the ``ratio`` command's layer)."""
    return WIDTH_ROLES["scaled"].channels(c, alpha, ROUNDING_SCALAR[rounding])


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


def check_rho(rho) -> float:
    """ρ, the resolution multiplier, must be a positive finite number."""
    try:
        r = float(rho)
    except (TypeError, ValueError):
        raise UsageError(f"rho must be a number, got {rho!r}") from None
    if not r > 0 or r == float("inf"):
        raise UsageError(f"rho must be > 0, got {rho}")
    return r


def scale_size(size: int, rho: float) -> int:
    """``round(ρ·size)``, halves up, at least 1."""
    return max(1, int(rho * size + 0.5))


def resolution_from(resolution=None, rho=None, base: int = BASE_RESOLUTION) -> int | None:
    """The input resolution from ``--resolution`` or ``--rho`` (``round(ρ·base)``); None
    when neither is given (the model's own input size)."""
    if resolution is not None and rho is not None:
        raise UsageError("give either --resolution or --rho, not both")
    if rho is not None:
        return scale_size(base, check_rho(rho))
    if resolution is None:
        return None
    try:
        res = int(resolution)
    except (TypeError, ValueError):
        raise UsageError(f"resolution must be a whole number of pixels, got {resolution!r}") from None
    if res != resolution and not (isinstance(resolution, str) and str(res) == resolution.strip()):
        raise UsageError(f"resolution must be a whole number of pixels, got {resolution!r}")
    if res <= 0:
        raise UsageError(f"resolution must be > 0, got {resolution}")
    return res


def resolution_for(model, resolution=None, rho=None) -> int | None:
    """A MODEL's input resolution from ``--resolution`` or ``--rho``: ρ is measured against
    the model's own input size (a spec's ``input.resolution``; 224 for a PyTorch model);
    None when neither is given."""
    if rho is None or resolution is not None:
        return resolution_from(resolution, rho)
    check_rho(rho)
    from .torch_bridge import DEFAULT_RESOLUTION, is_pytorch
    if is_pytorch(model):
        base = DEFAULT_RESOLUTION
    else:
        from .spec import load
        base = load(model).input[1]
    return resolution_from(None, rho, base=base)
