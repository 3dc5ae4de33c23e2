"""What a class gets from bases of another package, which the generator does not read.

The generator reads the members of a class and of its bases in the same top-level package (``_lineage``). A
class can also get members from another package's base: a mixin of a helper library that gives ``__aiter__``,
or botocore's ``Session`` under aiobotocore's ``AioSession``. This module follows such bases through their source
(any package with Python source; the standard library's and those without source are skipped) for the names
they define, so that the twin can declare them:

- ``__aiter__``/``__anext__``: the twin declares ``__iter__``/``__next__``, with ``Any`` items (their annotations
  belong to the other package's names);
- ``__aenter__``: the twin's ``__enter__`` is typed as what it gives: ``None`` if annotated so (taskiq's
  ``AsyncBroker``: ``async with broker`` gives None), ``Self`` if it returns ``self`` or is annotated ``Self``,
  else ``Any`` (the other package's names are not imported);
- public members: the twin declares ``__getattr__ -> Any`` for type checkers, as for members a class decorator
  adds; at run time ``_dynamic.register_generated`` maps the members such bases give that the twin lacks, as
  ``sync_class`` maps them.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field

from ._lineage import Sources, ancestors
from ._source import Source
from ._syntax import class_body_names, module_type_variables, own_nodes

__all__ = ("ForeignBases", "foreign_bases")

_ITERATION = ("__aiter__", "__anext__")
_MAX_DEPTH = 12  # bases followed through other packages, at most: an inheritance chain, not a cycle


@dataclass
class ForeignBases:
    """The bases of another package a class has (as written), and the names that they and their bases define."""

    written: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    entered: str | None = None  # what the twin's ``with`` gives, as the first ``__aenter__`` found says

    @property
    def iteration(self) -> set[str]:
        return self.names & set(_ITERATION)

    @property
    def public(self) -> bool:
        return any(not name.startswith("_") for name in self.names)


def foreign_bases(sources: Sources, lookup: Sources, source: Source, node: ast.ClassDef) -> ForeignBases:
    """The bases of ``node`` (and of the bases the generator reads) that it does not read, with what they define.
    ``sources``: the modules the twin is generated from; ``lookup``: where other packages' modules are read, so
    that the twin does not import their names."""
    package = source.module.partition(".")[0]
    classes = [(source, node)]
    classes += [
        (sources.load(module), sources.load(module).classes[cls]) for module, cls in ancestors(sources, source, node)
    ]
    found = ForeignBases()
    for defining, klass in classes:
        for base in klass.bases:
            head = base.value if isinstance(base, ast.Subscript) else base
            if not isinstance(head, (ast.Name, ast.Attribute)) or sources.base_class(defining, head, package):
                continue  # read: its members are the class's already
            names = _defined_in(lookup, defining, head, 0, found)
            if names is not None:
                found.written.append(ast.unparse(head))
                found.names |= names
    return found


def _defined_in(lookup: Sources, source: Source, base: ast.expr, depth: int, found: ForeignBases) -> set[str] | None:
    """The names the class ``base`` (written in ``source``) and its bases define; None if it is not read. The
    first ``__aenter__`` met, depth first (Python's order for bases that share none), sets ``found.entered``."""
    qualified = source.qualified_name(base) or ""
    if depth > _MAX_DEPTH or qualified.partition(".")[0] in sys.stdlib_module_names:
        return None  # the standard library's (Generic, ABC) are not read; one with __aiter__ gets it at run time
    found_class = lookup.base_class(source, base, None)
    if found_class is None:
        return _defined_through_alias(lookup, source, base, depth, found)
    defining, klass = found_class
    names = class_body_names(klass)
    if found.entered is None and "__aenter__" in names:
        found.entered = _entered(defining, klass)
    for inner in klass.bases:
        head = inner.value if isinstance(inner, ast.Subscript) else inner
        if isinstance(head, (ast.Name, ast.Attribute)):
            names |= _defined_in(lookup, defining, head, depth + 1, found) or set()
    return names


def _defined_through_alias(
    lookup: Sources, source: Source, base: ast.expr, depth: int, found: ForeignBases
) -> set[str] | None:
    """The names a base bound by assignment defines (arq's ``BaseRedis = Redis[bytes]`` under ``if
    TYPE_CHECKING:``, ``BaseRedis = Redis`` under ``else:``): those of the class each assignment names; None if
    ``base`` is not such a name or names no class that is read."""
    if not isinstance(base, ast.Name) or base.id not in source.defined:
        return None
    defined: set[str] | None = None
    for value in _assigned_values(source.tree.body, base.id):
        head = value.value if isinstance(value, ast.Subscript) else value
        if isinstance(head, (ast.Name, ast.Attribute)) and ast.unparse(head) != base.id:
            names = _defined_in(lookup, source, head, depth + 1, found)
            if names is not None:
                defined = (defined or set()) | names
    return defined


def _assigned_values(body: list[ast.stmt], name: str) -> list[ast.expr]:
    """The values assigned to ``name`` at the top level of a module, the blocks of its ``if``/``try`` included."""
    values: list[ast.expr] = []
    for node in body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            values.append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            if node.value is not None:
                values.append(node.value)
        elif isinstance(node, ast.If):
            values += _assigned_values(node.body + node.orelse, name)
        elif isinstance(node, (ast.Try, ast.TryStar)):
            blocks = node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
            values += _assigned_values(blocks, name)
    return values


def _entered(source: Source, klass: ast.ClassDef) -> str:
    """What the twin's ``__enter__`` returns for the ``__aenter__`` that ``klass`` (of ``source``) defines.

    ``Self`` also where every ``return`` gives ``self`` (however annotated), and for a type variable (anyio's
    ``AsyncContextManagerMixin``: ``-> T_co``, what the subclass's ``__asynccontextmanager__`` yields, most
    often ``Self``)."""
    node = next(
        (n for n in klass.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "__aenter__"),
        None,
    )
    if node is None:  # bound otherwise (`__aenter__ = start`): not read
        return "_typing.Any"
    returns = node.returns
    if isinstance(returns, ast.Constant) and returns.value in (None, "None"):
        return "None"
    spelled = ast.unparse(returns).strip("'\"") if returns is not None else ""
    if _gives_self(node) or spelled.rpartition(".")[2] == "Self" or spelled in module_type_variables(source):
        return "_typing.Self"
    return "_typing.Any"


def _gives_self(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``node`` returns, and every ``return`` of its own gives its first parameter (``return self``)."""
    arguments = [*node.args.posonlyargs, *node.args.args]
    if not arguments:
        return False
    returns = [n for n in own_nodes(node) if isinstance(n, ast.Return)]
    return bool(returns) and all(isinstance(r.value, ast.Name) and r.value.id == arguments[0].arg for r in returns)
