"""Packaging: the command line is installed inside the package (``costmodel.cli``), never as a
top-level module named ``cli`` in site-packages; ``cli.py`` stays at the repository root."""

import os

from conftest import ROOT
from costmodel.spec.language import tomllib


def test_no_top_level_cli_module_is_installed():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = project.get("tool", {}).get("setuptools", {})
    assert "cli" not in setuptools.get("py-modules", [])
    assert project["project"]["scripts"] == {"costmodel": "costmodel.cli:main"}
    assert setuptools["packages"]["find"]["include"] == ["costmodel*"]


def test_the_package_module_is_the_root_cli():
    assert os.path.samefile(ROOT / "costmodel" / "cli.py", ROOT / "cli.py")
    import cli
    import costmodel.cli
    assert costmodel.cli.main.name == cli.main.name and \
        sorted(costmodel.cli.main.commands) == sorted(cli.main.commands)


def test_every_data_file_is_package_data():
    """The built-ins, their variants and the published record are installed with the package."""
    import fnmatch
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["costmodel"]
    pkg = ROOT / "costmodel"
    for path in list(pkg.rglob("*.toml")) + list(pkg.rglob("*.csv")):
        rel = path.relative_to(pkg).as_posix()
        assert any(fnmatch.fnmatchcase(rel, p) and rel.count("/") == p.count("/")
                   for p in patterns), rel
