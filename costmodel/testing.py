"""For users' test suites: assert that a model is a paper's architecture.

    from costmodel.testing import assert_matches_paper

    def test_my_mobilenet_is_the_paper():
        assert_matches_paper(MyMobileNetV2(), "mobilenet_v2")

    def test_my_v1_variant():
        assert_matches_paper("my_v1.toml", "mobilenet_v1", allow=("classes",))

``model`` is anything ``costmodel.count`` takes (a PyTorch module, "torchvision:NAME",
"path/to/file.py:callable", a spec file or a built-in name).  The AssertionError's
message is the same block-by-block diff ``costmodel check MODEL --paper ARCH`` prints,
with the MAdds and params effect of every deviation.
"""

from __future__ import annotations

from .conformance import check_model


def assert_matches_paper(model, paper: str, *, alpha: float = 1.0, resolution: int = 224,
                         version: str = "latest", allow=(), rounding: str = "tf",
                         kwargs: dict | None = None):
    """Raise AssertionError with the diff unless ``model`` conforms to ``paper``'s architecture
    (deviations of the kinds in ``allow`` accepted, e.g. ``("classes", "biases")``)."""
    if isinstance(allow, str):
        allow = tuple(a.strip() for a in allow.split(",") if a.strip())
    result = check_model(model, paper, alpha=alpha, resolution=resolution, version=version,
                         allow=tuple(allow), rounding=rounding, kwargs=kwargs)
    if not result.conforms:
        raise AssertionError(result.text())
    return result
