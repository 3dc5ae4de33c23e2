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

An annotated decorator keeps the written signature, unless its annotations say it takes leading parameters
away with ``Concatenate`` (aiomcache's ``acquire``: ``Callable[Concatenate[Client, Connection, P], Awaitable[T]]
-> Callable[Concatenate[Client, P], Awaitable[T]]`` supplies ``conn`` itself): :func:`without_supplied`
removes them, as mypy does. A name that cannot be followed to a definition, or a class without a ``__call__`` of
its own, keeps the written signature.
"""

from __future__ import annotations

import ast
import copy

from ._errors import GenerateError
from ._lineage import Sources
from ._source import Source

__all__ = ("untyped_decorators", "without_supplied")


def untyped_decorators(
    sources: Sources, source: Source, node: ast.FunctionDef | ast.AsyncFunctionDef, among: set[str]
) -> list[str]:
    """The decorators of ``node`` (defined in ``source``) that leave it untyped, as written, in order; only those
    written as in ``among`` are looked at (the ones not known to keep a def as it is)."""
    return [
        ast.unparse(decorator)
        for decorator in node.decorator_list
        if ast.unparse(decorator) in among and _is_untyped(sources, source, decorator)
    ]


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


def without_supplied(
    sources: Sources, source: Source, node: ast.FunctionDef | ast.AsyncFunctionDef, among: set[str]
) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """``node`` without the leading parameters its decorators supply (see the module docstring); ``node`` itself
    if none do. Bare decorators written as in ``among`` only (``@acquire``, not ``@acquire(...)``)."""
    for decorator in reversed(node.decorator_list):  # the innermost is applied first
        if isinstance(decorator, ast.Call) or ast.unparse(decorator) not in among:
            continue
        definition = _definition(sources, source, decorator)
        if not isinstance(definition, ast.FunctionDef):
            continue
        supplied = _supplied_positions(definition)
        if supplied is not None:
            node = _removed(node, *supplied)
    return node


def _supplied_positions(decorator: ast.FunctionDef) -> tuple[int, int] | None:
    """``(start, count)`` of the positional parameters the decorator ``decorator`` supplies, from its annotations
    ``(f: Callable[Concatenate[A, B, P], R]) -> Callable[Concatenate[A, P], R]`` (here ``(1, 1)``); else None."""
    parameters = decorator.args.posonlyargs + decorator.args.args
    if len(parameters) != 1 or parameters[0].annotation is None or decorator.returns is None:
        return None
    taken, given = _concatenated(parameters[0].annotation), _concatenated(decorator.returns)
    if taken is None or given is None or taken[1] != given[1] or len(given[0]) >= len(taken[0]):
        return None
    if [ast.unparse(a) for a in given[0]] != [ast.unparse(a) for a in taken[0][: len(given[0])]]:
        return None  # not a prefix kept: cannot tell which parameters it supplies
    return len(given[0]), len(taken[0]) - len(given[0])


def _concatenated(annotation: ast.expr) -> tuple[list[ast.expr], str] | None:
    """For ``Callable[Concatenate[A, B, P], R]``: ``([A, B], "P")``; None for any other annotation."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = ast.parse(annotation.value, mode="eval").body
    if not isinstance(annotation, ast.Subscript) or ast.unparse(annotation.value).rpartition(".")[2] != "Callable":
        return None
    arguments = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else []
    if len(arguments) != 2 or not isinstance(arguments[0], ast.Subscript):
        return None
    head = arguments[0]
    if ast.unparse(head.value).rpartition(".")[2] != "Concatenate":
        return None
    elements = head.slice.elts if isinstance(head.slice, ast.Tuple) else [head.slice]
    if len(elements) < 2:
        return None
    return list(elements[:-1]), ast.unparse(elements[-1])


def _removed(
    node: ast.FunctionDef | ast.AsyncFunctionDef, start: int, count: int
) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """A copy of ``node`` without its positional parameters ``start`` to ``start + count`` (if it has them)."""
    args = node.args
    positional = args.posonlyargs + args.args
    if len(positional) < start + count:
        return node
    trimmed = copy.deepcopy(node)
    kept_posonly = [a for i, a in enumerate(trimmed.args.posonlyargs) if not start <= i < start + count]
    offset = len(args.posonlyargs)
    kept_args = [a for i, a in enumerate(trimmed.args.args, offset) if not start <= i < start + count]
    defaults_from = len(positional) - len(args.defaults)  # the first positional parameter with a default
    trimmed.args.posonlyargs, trimmed.args.args = kept_posonly, kept_args
    trimmed.args.defaults = [
        default
        for index, default in enumerate(trimmed.args.defaults, defaults_from)
        if not start <= index < start + count
    ]
    return trimmed
