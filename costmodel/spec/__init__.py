"""The spec language and the built-in architectures (see ``language.py``)."""

from .language import Node, Spec, builtin_names, load, parse, read_file, variant_names

__all__ = ["Node", "Spec", "builtin_names", "load", "parse", "read_file", "variant_names"]
