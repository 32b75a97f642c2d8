"""Errors that the command line turns into one line and exit status 2.

Every error a user can cause (a bad spec file, a bad option, a model that will
not load) is a :class:`CostmodelError`.  Its message names where the problem is
(file, layer, field) so that the one printed line is enough to fix it.
"""

from __future__ import annotations


class CostmodelError(Exception):
    """Base class: a problem with the user's input, reported in one line."""

    exit_code = 2


class SpecError(CostmodelError):
    """A spec (file or in-memory) that is wrong at a named layer and field."""

    def __init__(self, message: str, *, file: str | None = None,
                 layer: str | None = None, field: str | None = None):
        self.message = message
        self.file = file
        self.layer = layer
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.layer:
            where.append(f"layer {self.layer}")
        if self.field:
            where.append(f"field '{self.field}'")
        return (": ".join(where) + ": " if where else "") + self.message

    def located(self, *, file: str | None = None, layer: str | None = None) -> "SpecError":
        """The same error with the file (and layer, if not yet known) filled in."""
        return SpecError(self.message, file=self.file or file,
                         layer=self.layer or layer, field=self.field)


class UsageError(CostmodelError):
    """A bad option value (alpha <= 0, unknown architecture, ...)."""


class MissingExtra(CostmodelError):
    """A command needs an optional dependency (the `torch` extra) that is not installed."""


class ModelLoadError(CostmodelError):
    """A PyTorch model could not be imported, built or run."""
