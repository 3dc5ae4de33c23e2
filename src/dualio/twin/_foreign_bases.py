"""The async iteration protocol a class gets from bases of another package, which the generator does not read.

The generator reads the members of a class and of its bases in the same top-level package (``_lineage``).
A class that gets ``__aiter__``/``__anext__`` from another package's base (a mixin of a helper library) would have
a twin without ``__iter__``/``__next__``. This module finds those two names by following such bases through their
source (any package with Python source; a class with none, a C extension's, is skipped), so the twin declares
``__iter__``/``__next__`` typed with ``Any`` items (their annotations belong to the other package's names). At run
time ``_dynamic.register_generated`` gives the same members to a twin whose base could not be read.
"""

from __future__ import annotations

import ast
import sys

from ._lineage import Sources, ancestors
from ._source import Source

__all__ = ("foreign_iteration",)

_ITERATION = ("__aiter__", "__anext__")
_MAX_DEPTH = 12  # bases followed through other packages, at most: an inheritance chain, not a cycle


def foreign_iteration(sources: Sources, lookup: Sources, source: Source, node: ast.ClassDef) -> set[str]:
    """``__aiter__``/``__anext__`` if a base of ``node`` (or of a base the generator reads) that the generator does
    not read defines them. ``sources``: the modules the twin is generated from; ``lookup``: where other packages'
    modules are read, so that the twin does not import their names."""
    package = source.module.partition(".")[0]
    classes = [(source, node)] + [
        (sources.load(module), sources.load(module).classes[cls]) for module, cls in ancestors(sources, source, node)
    ]
    found: set[str] = set()
    for defining, klass in classes:
        for base in klass.bases:
            head = base.value if isinstance(base, ast.Subscript) else base
            if not isinstance(head, (ast.Name, ast.Attribute)) or sources.base_class(defining, head, package):
                continue  # read: its members are the class's already
            found |= _defined_in(lookup, defining, head, 0)
    return found


def _defined_in(lookup: Sources, source: Source, base: ast.expr, depth: int) -> set[str]:
    """The iteration dunders the class ``base`` (written in ``source``) or its bases define."""
    qualified = source.qualified_name(base) or ""
    if depth > _MAX_DEPTH or qualified.partition(".")[0] in sys.stdlib_module_names:
        return set()  # the standard library's (Generic, ABC) are not read; one with __aiter__ gets it at run time
    found_class = lookup.base_class(source, base, None)
    if found_class is None:
        return set()
    defining, klass = found_class
    names = {
        statement.name
        for statement in klass.body
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name in _ITERATION
    }
    for inner in klass.bases:
        head = inner.value if isinstance(inner, ast.Subscript) else inner
        if isinstance(head, (ast.Name, ast.Attribute)):
            names |= _defined_in(lookup, defining, head, depth + 1)
    return names
