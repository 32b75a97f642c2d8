"""The closed form in α and ρ: which layers scale with α²ρ², αρ², α, and its error."""

import pytest

import costmodel
from costmodel.sweep import law_error, scaling_law


def test_v1_terms_are_the_papers_layers():
    law = scaling_law("mobilenet_v1")
    c = costmodel.count("mobilenet_v1")
    pointwise = sum(r.madds for r in c.layers if r.kind == "pointwise")
    thin_in = sum(r.madds for r in c.layers if r.kind == "depthwise" or r.name == "conv0")
    fc = sum(r.madds for r in c.layers if r.kind == "fully connected")
    assert dict(law.madds) == {(2, 2): pointwise, (1, 2): thin_in, (1, 0): fc}


@pytest.mark.parametrize("alpha,res", [(0.25, 128), (0.5, 160), (0.75, 192), (1.0, 224), (2.0, 224)])
def test_exact_when_channels_and_sizes_scale_exactly(alpha, res):
    """V1 with channels that α divides exactly and sizes multiple of 32: no rounding at all."""
    law = scaling_law("mobilenet_v1", alpha=alpha)
    exact = costmodel.count("mobilenet_v1", alpha=alpha, resolution=res).totals.madds
    assert law.predict(alpha, res)[0] == pytest.approx(exact, rel=1e-12)


def test_error_is_measured_where_rounding_bites():
    """V2 at 0.35, 96: the stem rounds 11.2 channels up to 16, every thinned width rounds up
    to a multiple of 8 and the 1280 head is not thinned, so the exact count is above the law's
    α²/ρ² scaling; the error is the law's terms evaluated by hand against the exact count."""
    law = scaling_law("mobilenet_v2", alpha=0.35)
    exact = costmodel.count("mobilenet_v2", alpha=0.35, resolution=96).totals.madds
    alpha, rho = 0.35, 96 / 224
    assert set(law.madds) <= {(2, 2), (1, 2), (1, 0), (0, 0)}
    by_hand = sum(v * alpha ** a * rho ** b for (a, b), v in law.madds.items())
    assert law.predict(alpha, 96)[0] == pytest.approx(by_hand, rel=1e-12)
    err = law_error(law, alpha, 96, exact)
    assert err == pytest.approx(100 * (by_hand - exact) / exact, rel=1e-12)
    assert err < -5                          # rounding up makes the model bigger than the law
    # where α divides every width exactly (α = 1), the same law is exact
    one = scaling_law("mobilenet_v2")
    assert law_error(one, 1.0, 96, costmodel.count("mobilenet_v2", resolution=96).totals.madds) \
        == pytest.approx(0, abs=1e-9)


def test_paper_claim_roughly_alpha_squared():
    """'roughly α²': the α²ρ² term dominates V1 (95% of MAdds)."""
    law = scaling_law("mobilenet_v1")
    assert law.madds[(2, 2)] / sum(law.madds.values()) > 0.94
