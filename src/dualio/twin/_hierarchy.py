"""Twins of listed subclasses subclass the twins of their listed bases, as the async classes do.

With ``AsyncClient`` and ``AsyncAdmin(AsyncClient)`` listed for one output, the module gets ``class
Admin(Client)``: an ``Admin`` is a ``Client`` to ``isinstance`` and to type checkers. ``Admin`` writes only the
members that ``AsyncAdmin``, or a class between the two that is not listed, defines (and its constructor,
which creates an ``AsyncAdmin``); the rest it inherits from ``Client``.

A member the subclass redefines may not match the base's (redis-py's ``Pipeline.close()`` takes no argument,
``Redis.close(close_connection_pool=None)`` does): the async library made that choice and the generated module
mirrors it, so each redefinition carries ``# type: ignore[override, assignment, misc, unused-ignore]``, where a
type checker reports a mismatch (the ``def`` line, its decorators, an assignment).

Generic classes (the base's or the subclass's) keep ``Twin`` as their base: the base's twin would need the
type arguments the subclass gives it. Bases are looked for as the generator reads them (``_lineage``: in the
package's own modules), among the classes listed for the same output file.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence

from ._lineage import Sources, ancestors, type_parameters
from ._source import Source, Target
from ._syntax import declared_type_parameters

__all__ = ("OVERRIDE_IGNORE", "bases_first", "defined_names", "mark_overrides", "twin_bases")

OVERRIDE_IGNORE = "  # type: ignore[override, assignment, misc, unused-ignore]"


def twin_bases(target: Target, sources: Sources, own: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """The listed classes (``own``) whose twins ``target``'s twin subclasses: its nearest listed bases, in MRO order."""
    source = sources.load(target.module)
    node = source.classes[target.cls]
    if _generic(sources, source, node):
        return []
    chosen: list[tuple[str, str]] = []
    covered: set[tuple[str, str]] = set()
    for module, cls in ancestors(sources, source, node):
        base = sources.load(module)
        if (module, cls) in own and (module, cls) not in covered and not _generic(sources, base, base.classes[cls]):
            chosen.append((module, cls))
            covered.update(ancestors(sources, base, base.classes[cls]))
    return chosen


def _generic(sources: Sources, source: Source, node: ast.ClassDef) -> bool:
    return bool(type_parameters(sources, source, node) or declared_type_parameters(node))


def bases_first(targets: Sequence[Target], bases: Mapping[tuple[str, str], list[tuple[str, str]]]) -> list[Target]:
    """``targets`` in their order, except that a twin's listed bases come before it (its class statement names them)."""
    by_key = {target.key: target for target in targets}
    ordered: dict[Target, None] = {}

    def place(target: Target) -> None:
        for key in bases[target.key]:
            if by_key[key] not in ordered:
                place(by_key[key])
        ordered.setdefault(target)

    for target in targets:
        place(target)
    return list(ordered)


def defined_names(class_text: str) -> set[str]:
    """The names a generated twin class statement defines in its body (``if TYPE_CHECKING:`` blocks included)."""
    return set(_definitions(class_text))


def mark_overrides(class_text: str, names: set[str]) -> str:
    """``class_text`` with :data:`OVERRIDE_IGNORE` on the lines that redefine one of ``names``.

    ``__init__`` and ``__slots__`` are left alone: a type checker does not hold a constructor to its base's.
    """
    lines = class_text.split("\n")
    for name, places in _definitions(class_text).items():
        if name in names and name not in {"__init__", "__slots__"}:
            for number, column in places:
                line = lines[number - 1]
                lines[number - 1] = line[:column] + OVERRIDE_IGNORE + line[column:]  # before a comment of ours
    return "\n".join(lines)


def _definitions(class_text: str) -> dict[str, list[tuple[int, int]]]:
    """Each name the class body defines -> where (line, column) a type checker reports a mismatch with a base's,
    the column being the end of the code on that line."""
    klass = ast.parse(class_text).body[0]
    assert isinstance(klass, ast.ClassDef)
    lines = class_text.split("\n")
    found: dict[str, list[tuple[int, int]]] = {}
    statements = list(klass.body)
    while statements:
        statement = statements.pop(0)
        if isinstance(statement, ast.If):  # `if _typing.TYPE_CHECKING:` stubs
            statements[:0] = statement.body
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            places = [(d.lineno, _end_on(d.lineno, d, lines)) for d in statement.decorator_list]
            places.append((statement.lineno, len(lines[statement.lineno - 1])))
            found.setdefault(statement.name, []).extend(places)
        elif isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(
                        (statement.lineno, _end_on(statement.lineno, statement, lines))
                    )
    return found


def _end_on(number: int, node: ast.expr | ast.stmt, lines: list[str]) -> int:
    """Where ``node``'s code ends on line ``number``: its end if it ends there, else the line's end."""
    if node.end_lineno == number and node.end_col_offset is not None:
        return node.end_col_offset
    return len(lines[number - 1])
