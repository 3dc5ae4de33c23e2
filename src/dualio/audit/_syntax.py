"""Small questions about statement lists, asked by the cancellation and task rules."""

from __future__ import annotations

import ast

from ._model import statements


def walk_body(body: list[ast.stmt]) -> list[ast.AST]:
    """Every node of ``body``, without entering nested functions, lambdas or classes."""
    out: list[ast.AST] = []
    pending: list[ast.AST] = list(body)
    while pending:
        node = pending.pop()
        out.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        pending.extend(ast.iter_child_nodes(node))
    return out


# Calls that look at an exception without handing it on (logging, printing, type checks).
_LOGGING = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print", "isinstance", "repr", "str"}
)


def forwards(handler: ast.ExceptHandler) -> bool:
    """Whether the handler hands the caught exception on (stores it, passes it to a call that is not logging):
    ``outcome.append(Error(exc))``, ``future.set_exception(exc)``, ``self._convert_error(exc)``."""
    name = handler.name
    if name is None:
        return False
    logging_args: set[int] = set()
    uses: list[ast.Name] = []
    for node in walk_body(handler.body):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in _LOGGING:
                for arg in (*node.args, *(k.value for k in node.keywords)):
                    logging_args.update(id(n) for n in ast.walk(arg))
        elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            uses.append(node)
    return any(id(use) not in logging_args for use in uses)


def has_raise(body: list[ast.stmt]) -> bool:
    return any(isinstance(node, ast.Raise) for node in statements(body))


def has_await(body: list[ast.stmt]) -> bool:
    return any(isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith) for node in walk_body(body))


def finally_escape(body: list[ast.stmt]) -> ast.stmt | None:
    """A ``return`` in ``body``, or a ``break``/``continue`` not inside a loop of ``body``."""
    pending: list[tuple[ast.stmt, bool]] = [(node, False) for node in body]
    while pending:
        node, in_loop = pending.pop()
        if isinstance(node, ast.Return) or (isinstance(node, ast.Break | ast.Continue) and not in_loop):
            return node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        loop = in_loop or isinstance(node, ast.For | ast.AsyncFor | ast.While)
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, None) or ():
                if isinstance(child, ast.ExceptHandler | ast.match_case):
                    pending.extend((grandchild, loop) for grandchild in child.body)
                else:
                    pending.append((child, loop))
    return None
