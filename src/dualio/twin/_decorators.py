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

A bare decorator whose annotations say it reshapes the method (returns ``Callable[..., R]``, adds parameters
with ``Concatenate``, changes the result type) counts as untyped too (:func:`_reshapes`): the twin does not
rewrite the signature as mypy would, so it takes and returns anything, which accepts every call the wrapper
does. Any other annotated decorator keeps the written signature, unless its annotations say it takes leading
parameters away with ``Concatenate`` (aiomcache's ``acquire``: ``Callable[Concatenate[Client, Connection, P],
Awaitable[T]] -> Callable[Concatenate[Client, P], Awaitable[T]]`` supplies ``conn`` itself): :func:`without_supplied`
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
        return definition.returns is None or (not isinstance(decorator, ast.Call) and _reshapes(definition))
    if isinstance(definition, ast.ClassDef):
        call = next(
            (s for s in definition.body if isinstance(s, ast.FunctionDef) and s.name == "__call__"),
            None,
        )
        # `@cls` (no call) makes the def an instance of cls: a type checker types it as that class, which is not
        # untyped; `@cls(...)` makes an instance first, and the instance's `__call__` decorates.
        return isinstance(decorator, ast.Call) and call is not None and call.returns is None
    return False


def _reshapes(decorator: ast.FunctionDef) -> bool:
    """Whether the annotations of ``decorator`` (``(f: Callable[A, R]) -> Callable[B, S]``) say that it changes
    the method's parameters or result in a way the twin does not write: it takes any arguments (``B`` is
    ``...``: a keyword the wrapper adds, ``timeout_s=``), adds parameters, or changes what the result gives when
    awaited (``S`` is ``Awaitable[tuple[str, T]]`` or ``asyncio.Task[T]`` for ``R`` ``Awaitable[T]``; a
    ``Coroutine[Any, Any, T]`` is not a change). The twin then takes and returns anything, a superset of what
    mypy reads. Removing leading parameters (``without_supplied``) and keeping the signature (``(f: F) -> F``)
    are not reshaping."""
    parameters = decorator.args.posonlyargs + decorator.args.args
    if len(parameters) != 1 or parameters[0].annotation is None or decorator.returns is None:
        return False
    given = _callable_parts(decorator.returns)
    if given is None:
        return False  # `-> F` (a type variable), a protocol or a class: kept as written
    if isinstance(given[0], ast.Constant) and given[0].value is Ellipsis:
        return True
    taken = _callable_parts(parameters[0].annotation)
    if taken is None:
        return False
    if _awaited_part(taken[1]) != _awaited_part(given[1]):
        return True
    return ast.unparse(taken[0]) != ast.unparse(given[0]) and _supplied_positions(decorator) is None


_AWAITABLES = frozenset({"Awaitable", "Coroutine"})


def _awaited_part(result: ast.expr) -> str:
    """What awaiting a result of type ``result`` gives, as text: ``T`` for ``Awaitable[T]`` or ``Coroutine[Any,
    Any, T]`` (a twin awaits both the same way); else ``result`` itself (a task or future a call returns comes
    back as a ``PortalFuture``, not awaited)."""
    if isinstance(result, ast.Constant) and isinstance(result.value, str):
        result = ast.parse(result.value, mode="eval").body
    if isinstance(result, ast.Subscript) and ast.unparse(result.value).rpartition(".")[2] in _AWAITABLES:
        elements = result.slice.elts if isinstance(result.slice, ast.Tuple) else [result.slice]
        return ast.unparse(elements[-1])
    return ast.unparse(result)


def _callable_parts(annotation: ast.expr) -> tuple[ast.expr, ast.expr] | None:
    """For ``Callable[A, R]`` (``typing``'s or ``collections.abc``'s, or in a string): ``(A, R)``; else None."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = ast.parse(annotation.value, mode="eval").body
    if not isinstance(annotation, ast.Subscript) or ast.unparse(annotation.value).rpartition(".")[2] != "Callable":
        return None
    arguments = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else []
    return (arguments[0], arguments[1]) if len(arguments) == 2 else None


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
    parts = _callable_parts(annotation)
    if parts is None or not isinstance(parts[0], ast.Subscript):
        return None
    head = parts[0]
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
