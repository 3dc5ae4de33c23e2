"""Which decorators of an async method leave it untyped to a type checker, read from their source.

A method decorated by something the generator does not know keeps its written signature on the twin (the
decorator is assumed to keep it, as ``functools.wraps``-style retry and logging decorators do). That is wrong for
a decorator a type checker cannot see through: an untyped one. mypy types ``@cached(ttl=10) async def get(self,
key: str) -> str`` as ``Any`` when ``cached`` has no annotations, and aiocache's ``cached`` really does change the
signature (its wrapper takes ``cache_read=``, ``cache_write=`` as well). The twin then does what mypy does: it
takes ``*args: Any, **kwargs: Any`` and returns ``Any``, so every keyword the wrapper accepts gets through.

A decorator counts as untyped when its definition is read (a module of any package with Python source) and:

- it is a function with no return annotation (``@deco``; also ``@factory(...)``: calling the factory gives
  ``Any``);
- it is a class whose own ``__call__`` has no return annotation (``@cached(ttl=10)`` makes an instance, and the
  instance called with the method gives what ``__call__`` returns).

Anything else (an annotated decorator, a name that cannot be followed to a definition, a class without a
``__call__`` of its own) keeps the written signature.
"""

from __future__ import annotations

import ast

from ._errors import GenerateError
from ._lineage import Sources
from ._source import Source

__all__ = ("untyped_decorators",)


def untyped_decorators(sources: Sources, source: Source, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The decorators of ``node`` (defined in ``source``) that leave it untyped, as written, in order."""
    return [ast.unparse(decorator) for decorator in node.decorator_list if _is_untyped(sources, source, decorator)]


def _is_untyped(sources: Sources, source: Source, decorator: ast.expr) -> bool:
    head = decorator.func if isinstance(decorator, ast.Call) else decorator
    definition = _definition(sources, source, head)
    if isinstance(definition, ast.FunctionDef):
        return definition.returns is None
    if isinstance(definition, ast.ClassDef):
        call = next(
            (s for s in definition.body if isinstance(s, ast.FunctionDef) and s.name == "__call__"),
            None,
        )
        # `@cls` (no call) makes the def an instance of cls: a type checker types it as that class, which is not
        # untyped; `@cls(...)` makes an instance first, and the instance's `__call__` decorates.
        return isinstance(decorator, ast.Call) and call is not None and call.returns is None
    return False


def _definition(sources: Sources, source: Source, head: ast.expr) -> ast.stmt | None:
    """The top-level ``def`` or ``class`` statement ``head`` (a name, or ``module.name``) is bound to, if read."""
    if isinstance(head, ast.Name) and head.id in source.defined:
        return _top_level(source, head.id)
    qualified = source.qualified_name(head)
    if qualified is None:
        return None
    try:
        reached, found = sources.follow(qualified, None)
    except GenerateError:
        return None
    return _top_level(found, reached.rpartition(".")[2]) if found is not None else None


def _top_level(source: Source, name: str) -> ast.stmt | None:
    """The last top-level ``def``/``class`` named ``name`` in ``source``, if that is what binds it last."""
    found: ast.stmt | None = None
    for statement in source.tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and statement.name == name:
            found = statement
        elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom)) and _binds(statement, name):
            found = None
    return found


def _binds(statement: ast.Assign | ast.AnnAssign | ast.Import | ast.ImportFrom, name: str) -> bool:
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return any((alias.asname or alias.name.partition(".")[0]) == name for alias in statement.names)
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return any(isinstance(target, ast.Name) and target.id == name for target in targets)
