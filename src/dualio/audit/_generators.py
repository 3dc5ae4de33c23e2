"""When a sync function's code runs: when it is called, or, for a generator, when what the call returned is
iterated.

Calling a generator function runs none of its body: ``StreamingResponse(read_chunks(path))`` in an ``async def``
blocks nothing, whatever ``read_chunks`` does; the thread that iterates it later runs the body. So the call graph
(``_callgraph``) follows a call into a generator's body only where the caller iterates the result itself:
``for chunk in read_chunks(path)``, a comprehension, ``list(...)`` and the other built-ins that consume an
iterable, ``yield from``, ``*read_chunks(path)``, or a local name bound to the call and iterated in the same body.
A function that returns such a call as it is (``return read_chunks(path)``) hands the body on to whoever iterates
what it returns. A generator function with a decorator other than ``staticmethod``, ``classmethod``,
``abstractmethod`` or ``override`` is taken to run its body when called, as before: ``@contextmanager`` makes
one whose body runs up to its ``yield`` on ``with``, and an unknown decorator may do the same.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ._model import FunctionNode
from ._syntax import walk_body

# Built-ins (and methods) that iterate an iterable handed to them, or wrap it in an iterator that is, in practice,
# iterated at once (`for i, line in enumerate(lines(path))`).
_CONSUMING_FUNCTIONS = frozenset(
    {
        "list", "tuple", "set", "frozenset", "dict", "sorted", "sum", "min", "max", "any", "all", "next",
        "enumerate", "zip", "map", "filter", "reversed", "deque", "Counter",
    }
)  # fmt: skip
_CONSUMING_METHODS = frozenset({"join", "extend", "update", "writelines"})


@dataclass(frozen=True, slots=True)
class BodyShape:
    """What one function body does with the calls it makes, as far as generators are concerned."""

    generator: bool  # its body holds a `yield`: calling it runs nothing
    iterated: frozenset[int]  # ids of the calls (ast.Call) whose result the body iterates
    returned: frozenset[int]  # ids of the calls whose result it returns as it is (`return make_rows(...)`)


def body_shape(function: FunctionNode) -> BodyShape:
    """The shape of ``function``'s own body (nested functions, lambdas and classes are not part of it)."""
    generator = False
    iterated: set[int] = set()
    returned: set[int] = set()
    iterated_names: set[str] = set()
    bound: dict[str, list[int]] = {}

    def consume(expr: ast.expr) -> None:
        if isinstance(expr, ast.Call):
            iterated.add(id(expr))
        elif isinstance(expr, ast.Name):
            iterated_names.add(expr.id)
        elif isinstance(expr, ast.GeneratorExp):  # lazy: what it iterates runs when it is consumed
            for generator_clause in expr.generators:
                consume(generator_clause.iter)

    for node in walk_body(function.body):
        if isinstance(node, ast.Yield | ast.YieldFrom):
            generator = True
            if isinstance(node, ast.YieldFrom):
                consume(node.value)
        elif isinstance(node, ast.For | ast.AsyncFor):
            consume(node.iter)
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp):
            for clause in node.generators:
                consume(clause.iter)
        elif isinstance(node, ast.Starred):
            consume(node.value)
        elif isinstance(node, ast.Call) and _consumes(node.func):
            for argument in node.args:
                consume(argument)
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
            returned.add(id(node.value))
        elif isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(id(node.value))
    for name in iterated_names:
        iterated.update(bound.get(name, ()))
    if generator and not all(_keeps_generator(decorator) for decorator in function.decorator_list):
        generator = False  # `@contextmanager`: `with` runs the body; an unknown decorator may call it too
    return BodyShape(generator, frozenset(iterated), frozenset() if generator else frozenset(returned))


# Decorators that leave a generator function a generator function.
_PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod", "abstractmethod", "override"})


def _keeps_generator(decorator: ast.expr) -> bool:
    name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", None)
    return name in _PLAIN_DECORATORS


def _consumes(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in _CONSUMING_FUNCTIONS
    return isinstance(func, ast.Attribute) and (
        func.attr in _CONSUMING_METHODS or func.attr in _CONSUMING_FUNCTIONS  # collections.deque(...)
    )
