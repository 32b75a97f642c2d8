"""The commands' results render themselves: the library gives what the command line prints."""

import json

import pytest

from costmodel import commands
from costmodel.commands import FORMATS


def cli(*args):
    from click.testing import CliRunner
    from cli import main
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout


@pytest.mark.parametrize("fmt", FORMATS)
def test_results_render_every_format_as_the_command_prints_it(fmt):
    cases = [
        (commands.list_models(), ["list"]),
        (commands.table("mobilenet_v1", by_type=True), ["table", "mobilenet_v1", "--by-type"]),
        (commands.sweep("mobilenet_v2", "0.5,1.0", "160,224"),
         ["sweep", "mobilenet_v2", "--alpha", "0.5,1.0", "--resolution", "160,224"]),
        (commands.ratio(), ["ratio"]),
        (commands.fit("150M", "4M"), ["fit", "--madds", "150M", "--params", "4M"]),
    ]
    for result, args in cases:
        text = result.render(fmt)
        assert text and cli(*args, "--format", fmt) == (0, text), args
        if fmt == "json":
            json.loads(text)


def test_the_v1_papers_table_3_from_the_ratio_result():
    """V1 Table 3: 14×14×512 → 512, Dk = 3: 462M, 52.3M, 29.6M, 15.1M Mult-Adds."""
    rows = commands.ratio().rows
    assert [r["Million Mult-Adds"] for r in rows] == [462, 52.3, 29.6, 15.1]


def test_the_published_check_says_its_exit_status():
    result = commands.check_published("erratum")
    assert [r.status for r in result.shown] == ["erratum"]
    assert result.exit_status == (1 if any(r.status == "unexplained" for r in result.results) else 0)
    assert result.render().endswith(" (all cells)\n")
