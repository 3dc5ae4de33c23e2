"""Class bodies whose members depend on a condition a type checker decides: read as the checker reads them.

A class that defines members under ``if sys.version_info >= (3, 11) and TYPE_CHECKING: ... else: ...``
(aiohttp's ``ClientSession.get``: typed ``**kwargs: Unpack[_RequestOptions]`` for checkers, ``**kwargs: Any``
at run time) has a member set the generator can read: the members both the branch that runs and the branch a
type checker reads define, as the checker's branch writes them (what a caller of the async class is checked
against). A member only one of them defines is left out (``_as_checked``).

Conditions decided, as mypy and pyright decide them: ``TYPE_CHECKING`` (true for the checker, false at run
time), ``sys.version_info`` compared with a tuple of ints and ``sys.platform`` compared with a string (both as
of the Python running the generator), and ``and``, ``or``, ``not`` of those. Other conditions are left as
written, and the generator refuses such a class (``_lineage``), as before.

An ``if TYPE_CHECKING:`` with no ``else`` is left as written too: it declares names for checkers only (read
elsewhere for imports), nothing a twin could call.
"""

from __future__ import annotations

import ast
import operator
import sys
from collections.abc import Callable
from typing import Any

__all__ = ("bound_names", "is_overload", "is_overload_decorator", "read_as_checked", "read_decided_branches")

_TYPE_CHECKING = {"TYPE_CHECKING", "typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"}
_OVERLOAD = {"overload", "typing.overload", "typing_extensions.overload"}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], object]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def bound_names(statement: ast.stmt) -> list[str]:
    """The names a class-body statement binds: a def's, an annotated or plain assignment's targets."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [statement.name]
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return [statement.target.id]
    if isinstance(statement, ast.Assign):  # `x = ...`, and `get, fetch = _get, _get`
        return [
            name.id
            for target in statement.targets
            for name in (target.elts if isinstance(target, ast.Tuple) else [target])
            if isinstance(name, ast.Name)
        ]
    return []


def is_overload(statement: ast.stmt) -> bool:
    """An ``@overload`` def: the defs of its name that follow in its class, up to the implementation, add to it."""
    decorators = statement.decorator_list if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
    return any(is_overload_decorator(decorator) for decorator in decorators)


def is_overload_decorator(decorator: ast.expr) -> bool:
    """``@overload`` (also ``typing.overload``, ``typing_extensions.overload``)."""
    return ast.unparse(decorator) in _OVERLOAD


def read_decided_branches(tree: ast.Module) -> ast.Module:
    """Rewrite, in place, every class body of ``tree``: each ``if`` whose condition is decided replaced by the
    members it gives (see the module docstring). Returns ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            node.body = _decided(node.body) or [ast.Pass()]
    return tree


def read_as_checked(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of ``body`` a type checker reads, in order: an ``if`` it decides replaced by its branch (a
    module's ``if TYPE_CHECKING: SSLContext = ssl.SSLContext``), a ``try`` by its block; other compound statements
    left out."""
    statements: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, ast.If):
            decided = _decide(statement.test, True)
            if decided is not None:
                statements.extend(read_as_checked(statement.body if decided else statement.orelse))
        elif isinstance(statement, (ast.Try, ast.TryStar)):
            statements.extend(read_as_checked(statement.body))
        else:
            statements.append(statement)
    return statements


def _decided(body: list[ast.stmt]) -> list[ast.stmt]:
    statements: list[ast.stmt] = []
    for statement in body:
        if not isinstance(statement, ast.If):
            statements.append(statement)
            continue
        if not statement.orelse and _is_type_checking(statement.test):
            statements.append(statement)  # kept for its imports; its overloads are the checker's signatures of a
            statements.extend(s for s in statement.body if is_overload(s))  # member defined after it
            continue
        for_checkers, at_run_time = _decide(statement.test, True), _decide(statement.test, False)
        if for_checkers is None or at_run_time is None:
            statements.append(statement)  # not decided: left for ``_lineage`` to refuse, naming it
            continue
        running = _decided(statement.body if at_run_time else statement.orelse)
        if for_checkers == at_run_time:
            statements.extend(running)
        else:
            statements.extend(_as_checked(running, _decided(statement.body if for_checkers else statement.orelse)))
    return statements


def _as_checked(running: list[ast.stmt], checked: list[ast.stmt]) -> list[ast.stmt]:
    """The members both branches define, as the checker's branch writes them (all its statements for a name, in
    order: overloads), in the order they run; the checker's imports are kept for the annotations that need them.
    A member only one branch defines is left out: it does not exist at run time, or a checker does not see it
    (so a caller of the async class could not use it either, and the twin's reference to it would not check);
    but overloads only the checker's branch has are kept, for a member defined after the ``if``."""
    by_name: dict[str, list[ast.stmt]] = {}
    for statement in checked:
        for name in bound_names(statement):
            by_name.setdefault(name, []).append(statement)
    statements: list[ast.stmt] = [s for s in checked if isinstance(s, (ast.Import, ast.ImportFrom))]
    running_names = {name for statement in running for name in bound_names(statement)}
    # Overloads of a member the class defines after the `if` (aiohttp's `ws_connect`): the checker's signatures.
    statements += [s for s in checked if is_overload(s) and not set(bound_names(s)) & running_names]
    for statement in running:
        names = bound_names(statement)
        if names and all(name in by_name for name in names):
            statements.extend(s for name in names for s in by_name[name] if s not in statements)
    return statements


def _decide(test: ast.expr, type_checking: bool) -> bool | None:
    """``test``'s value for a type checker (``type_checking``) or at run time; None if it cannot be read."""
    if isinstance(test, (ast.Name, ast.Attribute)):
        return type_checking if ast.unparse(test) in _TYPE_CHECKING else None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        value = _decide(test.operand, type_checking)
        return None if value is None else not value
    if isinstance(test, ast.BoolOp):
        values = [_decide(operand, type_checking) for operand in test.values]
        stop = isinstance(test.op, ast.Or)  # the value that decides the whole: True for `or`, False for `and`
        if stop in values:
            return stop
        return None if None in values else not stop
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        return _compare(test.left, test.ops[0], test.comparators[0])
    return None


def _compare(left: ast.expr, op: ast.cmpop, right: ast.expr) -> bool | None:
    compare = _COMPARE.get(type(op))
    if compare is None:
        return None
    if ast.unparse(left) == "sys.version_info" and isinstance(right, ast.Tuple):
        wanted = tuple(e.value for e in right.elts if isinstance(e, ast.Constant) and type(e.value) is int)
        if len(wanted) != len(right.elts):
            return None
        return bool(compare(tuple(sys.version_info)[: len(wanted)], wanted))
    if ast.unparse(left) == "sys.platform" and isinstance(right, ast.Constant) and isinstance(right.value, str):
        return bool(compare(sys.platform, right.value))
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return ast.unparse(test) in _TYPE_CHECKING
