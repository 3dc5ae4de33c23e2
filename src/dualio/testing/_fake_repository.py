"""The in-memory twin of ``Repository``: every generic method, over a ``FakeSession`` instead of SQL.

It keeps the real repository's contract: the same arguments, the same checks of column names, the same errors
(``NotFoundError``, ``ConflictError``, ``IntegrityError`` for a duplicate in a unique column). Positional
conditions are evaluated when they are simple comparisons of a column with a value (``Note.rank > 3``,
``Note.title.in_([...])``, ``and_``/``or_`` of those); anything else raises ``NotImplementedError``.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList, ColumnElement, Null, True_

from dualio.db import Page, Repository, _filters
from dualio.db._pagination import decode_cursor, encode_cursor
from dualio.db._repository import count_argument
from dualio.db._vector import Vector, vector_column
from dualio.db._versioning import check_expected_version, version_attribute
from dualio.errors import IntegrityError, NotFoundError

from ._fake_session import FakeSession, column_keys, primary_key_of, values_of

_COMPARISONS: dict[Any, Callable[[Any, Any], bool]] = {
    operators.eq: operator.eq,
    operators.ne: operator.ne,
    operators.lt: operator.lt,
    operators.le: operator.le,
    operators.gt: operator.gt,
    operators.ge: operator.ge,
    operators.in_op: lambda a, b: a in b,
    operators.not_in_op: lambda a, b: a not in b,
    operators.is_: lambda a, b: a is b,
    operators.is_not: lambda a, b: a is not b,
}


def _value(element: Any) -> Any:
    if isinstance(element, Null):
        return None
    if isinstance(element, BindParameter):
        return element.effective_value
    if hasattr(element, "value"):
        return element.value
    if getattr(element, "clauses", None) is not None:
        return [_value(clause) for clause in element.clauses]
    raise NotImplementedError(f"the fake repository cannot evaluate {element!r}")


def _predicate(condition: Any) -> Callable[[Any], bool]:
    """Turn a simple SQLAlchemy condition into a Python predicate on a row instance."""
    if isinstance(condition, True_):
        return lambda row: True
    if isinstance(condition, BooleanClauseList):
        parts = [_predicate(clause) for clause in condition.clauses]
        if condition.operator is operators.and_:
            return lambda row: all(p(row) for p in parts)
        return lambda row: any(p(row) for p in parts)
    if isinstance(condition, BinaryExpression) and condition.operator in _COMPARISONS:
        key = getattr(condition.left, "key", None)
        if key is None:
            raise NotImplementedError(f"the fake repository cannot evaluate {condition}")
        compare, expected = _COMPARISONS[condition.operator], _value(condition.right)

        def test(row: Any) -> bool:
            actual = getattr(row, key)
            if actual is None and condition.operator not in (operators.is_, operators.is_not, operators.eq):
                return False
            return compare(actual, expected)

        return test
    raise NotImplementedError(
        f"the fake repository evaluates comparisons of a column with a value, not {condition}; "
        "test this query against a real Database"
    )


def _sort_key(key: str) -> Callable[[Any], tuple[bool, Any]]:
    def sort_key(row: Any) -> tuple[bool, Any]:
        value = getattr(row, key)
        return value is None, value

    return sort_key


class FakeRepositoryMixin:
    """Overrides every generic ``Repository`` method with an in-memory one (put first in the bases)."""

    session: FakeSession
    model: type[Any]

    def _matching(self, conditions: Iterable[ColumnElement[bool]], where: _filters.Where) -> list[Any]:
        predicates = [_predicate(c) for c in _filters.conditions(self.model, conditions, where)]
        return [row for row in self.session.rows(self.model) if all(p(row) for p in predicates)]

    def _sorted(self, rows: list[Any], order_by: _filters.OrderBy) -> list[Any]:
        for column, descending in reversed(_filters.ordering(self.model, order_by)):
            rows = sorted(rows, key=_sort_key(column.key), reverse=descending)
        return rows

    def get(self, id: Any, *, options: Sequence[Any] = ()) -> Any:
        wanted = id if isinstance(id, tuple) else (id,)
        for row in self.session.rows(self.model):
            if primary_key_of(self.model, values_of(row)) == wanted:
                return row
        raise NotFoundError(f"no {self.model.__name__} with primary key {id!r}")

    def get_one(
        self, *conditions: ColumnElement[bool], where: _filters.Where = None, options: Sequence[Any] = ()
    ) -> Any:
        row = self.get_or_none(*conditions, where=where)
        if row is None:
            raise NotFoundError(f"no {self.model.__name__} matches the filters")
        return row

    def get_or_none(
        self, *conditions: ColumnElement[bool], where: _filters.Where = None, options: Sequence[Any] = ()
    ) -> Any:
        rows = self._matching(conditions, where)
        if len(rows) > 1:
            raise LookupError(f"more than one {self.model.__name__} matches the filters")
        return rows[0] if rows else None

    def list(
        self,
        *conditions: ColumnElement[bool],
        where: _filters.Where = None,
        order_by: _filters.OrderBy = None,
        limit: int | None = None,
        offset: int = 0,
        options: Sequence[Any] = (),
    ) -> builtins.list[Any]:
        rows = self._sorted(self._matching(conditions, where), order_by)[count_argument("offset", offset) :]
        return rows if limit is None else rows[: count_argument("limit", limit)]

    def page(
        self,
        *conditions: ColumnElement[bool],
        where: _filters.Where = None,
        order_by: _filters.OrderBy = None,
        after: str | None = None,
        limit: int = 50,
        options: Sequence[Any] = (),
    ) -> Page[Any]:
        columns, descending = _filters.keyset_order(self.model, order_by)
        keys = [column.key for column in columns]
        rows = sorted(self._matching(conditions, where), key=lambda r: [getattr(r, k) for k in keys])
        if descending:
            rows.reverse()
        if after is not None:
            position = decode_cursor(after, len(keys))
            beyond = operator.lt if descending else operator.gt
            rows = [r for r in rows if beyond([getattr(r, k) for k in keys], position)]
        if len(rows) <= count_argument("limit", limit):
            return Page(items=rows, next_cursor=None)
        return Page(items=rows[:limit], next_cursor=encode_cursor([getattr(rows[limit - 1], k) for k in keys]))

    def count(self, *conditions: ColumnElement[bool], where: _filters.Where = None) -> int:
        return len(self._matching(conditions, where))

    def exists(self, *conditions: ColumnElement[bool], where: _filters.Where = None) -> bool:
        return bool(self._matching(conditions, where))

    def add(self, row: Any) -> Any:
        if not isinstance(row, self.model):
            raise TypeError(f"{type(self).__name__} stores {self.model.__name__} rows, got {type(row).__name__}")
        self._fill_defaults(row)
        self._check_unique(row)
        self.session.put(row)
        return row

    def add_many(self, rows: Iterable[Any]) -> builtins.list[Any]:
        return [self.add(self.model(**row) if isinstance(row, Mapping) else row) for row in rows]

    def update(self, target: Any, values: Mapping[str, Any], *, expected_version: int | None = None) -> Any:
        row = self._resolve(target)
        version = version_attribute(self.model)
        check_expected_version(self.model, row, expected_version)
        for name in values:
            _filters.column(self.model, name, role="update()")
            if name == version:
                raise ValueError(f"{name!r} is the version column: dualio increments it, do not set it")
        for name, value in values.items():
            setattr(row, name, value)
        if version is not None:
            setattr(row, version, getattr(row, version) + 1)
        self._check_unique(row)
        return row

    def delete(self, target: Any) -> None:
        self.session.remove(self._resolve(target))

    def delete_where(self, *conditions: ColumnElement[bool], where: _filters.Where = None) -> int:
        if not _filters.conditions(self.model, conditions, where):
            raise ValueError("delete_where() needs a filter; pass sqlalchemy.true() to delete every row")
        rows = self._matching(conditions, where)
        for row in rows:
            self.session.remove(row)
        return len(rows)

    def upsert(
        self, values: Mapping[str, Any], *, conflict: Sequence[str] | None = None, update: Sequence[str] | None = None
    ) -> Any:
        targets = list(conflict) if conflict is not None else [pk.key for pk in _filters.primary_key(self.model)]
        existing = self.get_or_none(where={name: values.get(name) for name in targets})
        if existing is None:
            return self.add(self.model(**values))
        names = [n for n in values if n not in targets] if update is None else list(update)
        return self.update(existing, {name: values[name] for name in names})

    def get_or_create(self, lookup: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> tuple[Any, bool]:
        existing = self.get_or_none(where=lookup)
        if existing is not None:
            return existing, False
        return self.add(self.model(**{**(defaults or {}), **lookup})), True

    def nearest(
        self,
        vector: Sequence[float],
        k: int = 10,
        *,
        conditions: Sequence[ColumnElement[bool]] = (),
        where: _filters.Where = None,
        metric: str = "cosine",
        column: str | None = None,
        ef_search: int | None = None,
    ) -> builtins.list[tuple[Any, float]]:
        target = vector_column(self.model, column)
        vector_type: Vector = target.type
        query = vector_type.validate(vector)

        def distance(other: list[float]) -> float:
            if metric == "l2":
                return math.dist(query, other)
            norms = math.hypot(*query) * math.hypot(*other)
            return 1.0 - sum(a * b for a, b in zip(query, other, strict=True)) / norms

        if metric not in ("cosine", "l2"):
            raise ValueError(f"metric= must be one of ('cosine', 'l2'), got {metric!r}")
        rows = [r for r in self._matching(conditions, where) if getattr(r, target.key) is not None]
        scored = sorted(((r, distance(getattr(r, target.key))) for r in rows), key=lambda pair: pair[1])
        return scored[:k]

    def search(self, query: str, k: int = 20, **filters: Any) -> builtins.list[tuple[Any, float]]:
        raise NotImplementedError("the fake repository does not do full-text search; test it on a real Database")

    def _resolve(self, target: Any) -> Any:
        """The row of this unit that ``target`` stands for; a row from an earlier unit must not be stale."""
        if not isinstance(target, self.model):
            return self.get(target)
        if any(row is target for row in self.session.rows(self.model)):
            return target
        row = self.get(primary_key_of(self.model, values_of(target)))
        version = version_attribute(self.model)
        if version is not None:
            check_expected_version(self.model, row, getattr(target, version))
        return row

    def _fill_defaults(self, row: Any) -> None:
        mapper = inspect(self.model)
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            if getattr(row, attr.key) is None and column.default is not None and column.default.is_scalar:
                setattr(row, attr.key, column.default.arg)
        if version_attribute(self.model) is not None and getattr(row, version_attribute(self.model) or "") is None:
            setattr(row, version_attribute(self.model) or "", 1)
        keys = [mapper.get_property_by_column(c).key for c in mapper.primary_key]
        if len(keys) == 1 and getattr(row, keys[0]) is None:
            taken = [getattr(r, keys[0]) for r in self.session.rows(self.model)]
            setattr(row, keys[0], max([0, *[t for t in taken if isinstance(t, int)]]) + 1)

    def _check_unique(self, row: Any) -> None:
        table = inspect(self.model).local_table
        groups = [[c.name] for c in table.columns if c.unique]
        groups += [
            [c.name for c in constraint.columns]
            for constraint in getattr(table, "constraints", ())
            if type(constraint).__name__ == "UniqueConstraint"
        ]
        keys = {c.name: attr.key for attr in inspect(self.model).column_attrs for c in attr.columns}
        for group in groups:
            mine = [getattr(row, keys[name]) for name in group]
            for other in self.session.rows(self.model):
                if other is not row and [getattr(other, keys[name]) for name in group] == mine:
                    raise IntegrityError(f"duplicate value {mine!r} in unique column(s) {', '.join(group)}")


def fake_repository_class(repository_class: type[Repository[Any]]) -> type[Any]:
    """Return a class that is ``repository_class`` (its own methods included) over the in-memory store."""
    return type(f"Fake{repository_class.__name__}", (FakeRepositoryMixin, repository_class), {})


__all__ = ("FakeRepositoryMixin", "column_keys", "fake_repository_class")
