"""The TF-slim checkpoint grids and the V3 paper's Tables 3 and 9, cell by cell.

Each expectation says how the published figure comes from the exact count:
``rounded``, ``truncated`` (digits dropped: the floor, for these positive
counts), or ``—`` when it does not reproduce under this setup; those cells are
listed as such, never forced (``costmodel check`` searches the other
conventions for them).  The printed figures are checked against the package's
transcription in costmodel/published.
"""

import pytest

import costmodel
from costmodel.published import printed_rules, rows

NOT = "—"


def parse(table: str):
    out = []
    for line in table.strip().splitlines():
        line = line.split("#")[0].strip()
        if line:
            out.append(line.split())
    return out


def check(arch, alpha, res, classes, convention, madds, m_rule, params, p_rule, rounding="tf"):
    c = costmodel.count(arch, alpha=float(alpha), resolution=int(res), classes=classes,
                        rounding=rounding, convention=convention)
    got_m = printed_rules(c.totals.madds, madds)
    got_p = printed_rules(c.totals.params, params)
    for rule, got, exact, printed in ((m_rule, got_m, c.totals.madds, madds),
                                      (p_rule, got_p, c.totals.params, params)):
        if rule == NOT:
            assert got == [], f"{arch} {alpha} {res}: {exact:,} now reproduces {printed}"
        else:
            assert rule in got, f"{arch} {alpha} {res}: {exact:,} is not {printed} {rule} ({got})"


def published(source, version, arch, alpha, res):
    for r in rows():
        if (r.source, r.version, r.arch, r.alpha, r.resolution) == (source, version, arch,
                                                                    float(alpha), int(res)):
            return r
    raise AssertionError(f"no published row {source} {version} {arch} {alpha} {res}")


# TF-slim mobilenet_v1.md: MACs (paper convention: conv + FC MACs) and params (slim-v1:
# weights, biases and the 3 batch-norm variables per channel), 1001 classes, TF rounding.
# The same MACs and params are printed for the 2017_06_14 and 2018_02_22 checkpoints.
TF_SLIM_V1 = """
# α    res   MACs  rule        params  rule
1.0    224   569   rounded     4.24    rounded
1.0    192   418   rounded     4.24    rounded
1.0    160   291   rounded     4.24    rounded
1.0    128   186   rounded     4.24    rounded
0.75   224   317   —           2.59    truncated   # 325.40M: the 0.75 row does not reproduce
0.75   192   233   —           2.59    truncated   # 239.27M
0.75   160   162   —           2.59    truncated   # 166.40M
0.75   128   104   —           2.59    truncated   # 106.77M (TF-slim's own docstring: body alone 106.0M)
0.50   224   150   —           1.34    rounded     # 149.497M rounds to 149, as the V1 paper prints
0.50   192   110   rounded     1.34    rounded
0.50   160   77    rounded     1.34    rounded
0.50   128   49    rounded     1.34    rounded
0.25   224   41    rounded     0.47    rounded
0.25   192   34    —           0.47    rounded     # 30.21M: every other 0.25 cell reproduces
0.25   160   21    rounded     0.47    rounded
0.25   128   14    rounded     0.47    rounded
"""


@pytest.mark.parametrize("version", ["2018_02_22", "2017_06_14"])
@pytest.mark.parametrize("cells", parse(TF_SLIM_V1), ids=lambda c: f"{c[0]}_{c[1]}")
def test_tf_slim_v1_grid(cells, version):
    alpha, res, macs, m_rule, params, p_rule = cells
    row = published("TF-slim-v1", version, "mobilenet_v1", alpha, res)
    assert (row.madds, row.params, row.classes) == (macs, params, 1001)
    check("mobilenet_v1", alpha, res, 1001, "slim-v1", macs, m_rule, params, p_rule)


# TF-slim mobilenet/README.md, MobileNetV2: MACs (paper) and params (paper: weights only),
# 1001 classes, TF rounding. The MACs are truncated: every cell whose fraction is >= .5
# (300.77, 153.94, 71.70, 32.58, 18.89, 43.90, 30.88, 11.94) is printed rounded down.
TF_SLIM_V2 = """
# α    res   MACs  rule        params  rule
1.4    224   582   rounded     6.06    rounded
1.3    224   509   rounded     5.34    rounded
1.0    224   300   truncated   3.47    rounded
1.0    192   221   truncated   3.47    rounded
1.0    160   154   truncated   3.47    rounded
1.0    128   99    truncated   3.47    rounded
1.0    96    56    truncated   3.47    rounded
0.75   224   209   truncated   2.61    rounded
0.75   192   153   truncated   2.61    rounded
0.75   160   107   truncated   2.61    rounded
0.75   128   69    truncated   2.61    rounded
0.75   96    39    truncated   2.61    rounded
0.5    224   97    truncated   1.95    rounded
0.5    192   71    truncated   1.95    rounded
0.5    160   50    truncated   1.95    rounded
0.5    128   32    truncated   1.95    rounded
0.5    96    18    truncated   1.95    rounded
0.35   224   59    truncated   1.66    rounded
0.35   192   43    truncated   1.66    rounded
0.35   160   30    truncated   1.66    rounded
0.35   128   20    truncated   1.66    rounded
0.35   96    11    truncated   1.66    rounded
"""


@pytest.mark.parametrize("cells", parse(TF_SLIM_V2), ids=lambda c: f"{c[0]}_{c[1]}")
def test_tf_slim_v2_grid(cells):
    alpha, res, macs, m_rule, params, p_rule = cells
    row = published("TF-slim-v2-v3", "0ba83cf0", "mobilenet_v2", alpha, res)
    assert (row.madds, row.params, row.classes) == (macs, params, 1001)
    check("mobilenet_v2", alpha, res, 1001, "paper", macs, m_rule, params, p_rule)


# MobileNetV3 paper (latest version), Table 3 and Appendix Table 9: MAdds and params in the
# paper convention, 1000 classes, TF rounding (the 0.75 models keep the 1280/1024 head).
V3_TABLE_3 = """
# arch                α     res   MAdds  rule       params  rule
mobilenet_v3_large    1.0   224   219    —          5.4     truncated   # 216.59M (Table 9 prints 217)
mobilenet_v3_large    0.75  224   155    rounded    4.0     rounded
mobilenet_v2          1.0   224   300    truncated  3.4     truncated
mobilenet_v3_small    1.0   224   56     truncated  2.5     rounded     # 56.51M (Table 9 prints 57)
mobilenet_v3_small    0.75  224   44     —          2.0     rounded     # 43.40M
mobilenet_v2          0.35  224   59.2   truncated  1.6     truncated
"""

V3_TABLE_9 = """
# arch                α     res   MAdds  rule       params  rule
mobilenet_v3_large    1.25  224   356    —          7.5     rounded     # 355.22M
mobilenet_v3_large    1.0   224   217    rounded    5.4     truncated
mobilenet_v3_large    0.75  224   155    rounded    4.0     rounded
mobilenet_v3_large    0.5   224   69     rounded    2.6     truncated
mobilenet_v3_large    0.35  224   40     —          2.2     —           # 39.47M, 2.12M
mobilenet_v3_large    1.0   256   282    rounded    5.4     truncated
mobilenet_v3_large    1.0   192   160    rounded    5.4     truncated
mobilenet_v3_large    1.0   160   112    rounded    5.4     truncated
mobilenet_v3_large    1.0   128   73     rounded    5.4     truncated
mobilenet_v3_large    1.0   96    43     rounded    5.4     truncated
mobilenet_v3_small    1.25  224   91     rounded    3.6     —           # 3.18M (torchvision rounding: 3.62M)
mobilenet_v3_small    1.0   224   57     rounded    2.5     rounded
mobilenet_v3_small    0.75  224   44     —          2.0     rounded     # 43.40M
mobilenet_v3_small    0.5   224   21     rounded    1.6     rounded
mobilenet_v3_small    0.35  224   12     truncated  1.4     rounded
mobilenet_v3_small    1.0   256   74     —          2.5     rounded     # 73.18M
mobilenet_v3_small    1.0   160   30     rounded    2.5     rounded
mobilenet_v3_small    1.0   128   20     rounded    2.5     rounded
mobilenet_v3_small    1.0   96    12     rounded    2.5     rounded
"""


@pytest.mark.parametrize("table,cells", [("Table 3", c) for c in parse(V3_TABLE_3)] +
                         [("Table 9", c) for c in parse(V3_TABLE_9)],
                         ids=lambda x: x if isinstance(x, str) else f"{x[0]}-{x[1]}-{x[2]}")
def test_v3_tables_3_and_9(table, cells):
    arch, alpha, res, madds, m_rule, params, p_rule = cells
    matches = [r for r in rows() if r.source == "V3-paper" and r.version == "final"
               and r.table == table and r.arch == arch and r.alpha == float(alpha)
               and r.resolution == int(res)]
    assert len(matches) == 1 and (matches[0].madds, matches[0].params) == (madds, params)
    check(arch, alpha, res, 1000, "paper", madds, m_rule, params, p_rule)


def test_every_published_v3_table_3_and_9_row_is_tested():
    tested = {(c[0], float(c[1]), int(c[2]), t) for t, tab in (("Table 3", V3_TABLE_3),
                                                             ("Table 9", V3_TABLE_9))
              for c in parse(tab)}
    published_rows = {(r.arch, r.alpha, r.resolution, r.table) for r in rows()
                      if r.source == "V3-paper" and r.version == "final" and r.arch
                      and r.arch.startswith("mobilenet")}   # MnasNet rows: test_mnasnet_more
    assert published_rows == tested
