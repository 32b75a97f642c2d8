"""What each published source counts, and which architecture a paper version's rows are
checked against first: both read from data in ``costmodel/published`` (``sources.csv``'s
policy columns, ``version_variants.csv``), never written in code."""

from __future__ import annotations

from functools import lru_cache

from ..errors import UsageError
from ..published import table


def source_policy(source: str) -> dict:
    """What a source itself counts and what it could have counted, from ``sources.csv``:
    ``{"madds": its own MAdds convention, "params": its own params convention, "rounding":
    its width rounding, "allowed": {"madds": (...), "params": (...)}}``.  A cell reproduced
    with the source's own rules is `reproduced`, with another allowed convention `explained`
    (the papers and TF-slim predate the PyTorch counters, so only TF-side counts are allowed
    for them; torchvision's metadata was measured with a dispatch counter of conv + linear
    MACs; timm measures with fvcore, or DeepSpeed's profiler when it is installed).  A source
    ``sources.csv`` does not list is an error, never another source's rules."""
    policies = _source_policies()
    if source not in policies:
        raise UsageError(f"published source {source!r} is not in costmodel/published/sources.csv "
                         f"(known: {', '.join(policies)})")
    return policies[source]


@lru_cache(maxsize=None)
def _source_policies() -> dict[str, dict]:
    return {r["source"]: {"madds": r["madds_convention"], "params": r["params_convention"],
                          "rounding": r["rounding"],
                          "allowed": {"madds": tuple(r["madds_conventions"].split()),
                                      "params": tuple(r["params_conventions"].split())}}
            for r in table("sources")}


def version_variant(source: str, version: str, arch: str) -> str:
    """The architecture a published row of ``source``'s ``version`` is checked against
    first: the paper version's own variant (``version_variants.csv``), else ``arch``."""
    return _version_variants().get((source, version, arch), arch)


@lru_cache(maxsize=None)
def _version_variants() -> dict[tuple[str, str, str], str]:
    return {(r["source"], r["version"], r["arch"]): r["variant"] for r in table("version_variants")}
