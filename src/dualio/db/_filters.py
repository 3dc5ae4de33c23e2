"""Turn a repository's filter and ordering arguments into SQLAlchemy clauses, checking every name.

Values are always bound parameters; a name is accepted only if it is a mapped column attribute of the model, so
a filter can never inject SQL text. Errors say which name was wrong and list the names that are allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.orm import InstrumentedAttribute

Where = Mapping[str, object] | None
"""Equality filters by column name: ``{"status": "open"}``; a list, tuple or set means ``IN``; ``None`` means
``IS NULL``."""

OrderBy = str | Sequence[str] | None
"""Column names to order by; a leading ``-`` orders that column descending: ``"-created_at"``."""


def column_names(model: type[Any]) -> tuple[str, ...]:
    """Return the mapped column attribute names of ``model``, in declaration order."""
    return tuple(attr.key for attr in inspect(model).column_attrs)


def column(model: type[Any], name: object, *, role: str) -> InstrumentedAttribute[Any]:
    """Return the column attribute ``name`` of ``model``; raise ``ValueError`` naming the allowed columns."""
    if not isinstance(name, str):
        raise TypeError(f"{role} names a column by its attribute name (a str), got {type(name).__name__}: {name!r}")
    mapper = inspect(model)
    if name not in mapper.column_attrs:
        allowed = ", ".join(column_names(model))
        raise ValueError(f"{model.__name__} has no column {name!r} (used in {role}); its columns are: {allowed}")
    attribute: InstrumentedAttribute[Any] = getattr(model, name)
    return attribute


def conditions(model: type[Any], clauses: Iterable[ColumnElement[bool]], where: Where) -> list[ColumnElement[bool]]:
    """Combine SQLAlchemy ``clauses`` with the equality filters of ``where`` into one list of conditions."""
    result: list[ColumnElement[bool]] = []
    for clause in clauses:
        if not isinstance(clause, ColumnElement):
            raise TypeError(
                f"a positional filter must be a SQLAlchemy condition such as Note.rank > 3, got "
                f"{type(clause).__name__}: {clause!r}; filter by column values with where={{'name': value}}"
            )
        result.append(clause)
    if where is None:
        return result
    if not isinstance(where, Mapping):
        raise TypeError(f"where= takes a mapping of column name to value, got {type(where).__name__}: {where!r}")
    for name, value in where.items():
        attribute = column(model, name, role="where=")
        if value is None:
            result.append(attribute.is_(None))
        elif isinstance(value, list | tuple | set | frozenset):
            result.append(attribute.in_(list(value)))
        else:
            result.append(attribute == value)
    return result


def ordering(model: type[Any], order_by: OrderBy) -> tuple[tuple[InstrumentedAttribute[Any], bool], ...]:
    """Return ``(column, descending)`` pairs for ``order_by``; empty when it is ``None``."""
    names = _order_names(order_by)
    return _remembered(
        _ORDERINGS,
        (model, names),
        lambda: tuple((column(model, n.removeprefix("-"), role="order_by="), n.startswith("-")) for n in names),
    )


def keyset_order(model: type[Any], order_by: OrderBy) -> tuple[tuple[InstrumentedAttribute[Any], ...], bool]:
    """Return the columns of a keyset order (``order_by``, then the primary key) and whether it is descending.

    Every column goes the same way, so that one comparison with the last row's values finds the next page.
    """
    names = _order_names(order_by)
    return _remembered(_KEYSET_ORDERS, (model, names), lambda: _keyset_order(model, ordering(model, names)))


def _keyset_order(
    model: type[Any], pairs: tuple[tuple[InstrumentedAttribute[Any], bool], ...]
) -> tuple[tuple[InstrumentedAttribute[Any], ...], bool]:
    ordered = [attribute for attribute, _ in pairs]
    keys = (*ordered, *(pk for pk in primary_key(model) if pk not in ordered))
    directions = {descending for _, descending in pairs} or {False}
    if len(directions) > 1:
        raise ValueError("page() orders every column the same way: all ascending or all descending")
    return keys, directions.pop()


def _order_names(order_by: OrderBy) -> tuple[str, ...]:
    if order_by is None:
        return ()
    names = (order_by,) if isinstance(order_by, str) else tuple(order_by)
    for name in names:
        if not isinstance(name, str) or not name.lstrip("-"):
            raise TypeError(f"order_by= takes column names such as 'title' or '-created_at', got {name!r}")
    return names


# Looked up on every call (SQLAlchemy's inspect() is not free); only valid orders are remembered, a bounded number.
_OrderKey = tuple[type[Any], tuple[str, ...]]
_ORDERINGS: dict[_OrderKey, tuple[tuple[InstrumentedAttribute[Any], bool], ...]] = {}
_KEYSET_ORDERS: dict[_OrderKey, tuple[tuple[InstrumentedAttribute[Any], ...], bool]] = {}
_REMEMBERED_ORDERS = 1024
_V = TypeVar("_V")


def _remembered(memo: dict[_OrderKey, _V], key: _OrderKey, compute: Callable[[], _V]) -> _V:
    value = memo.get(key)
    if value is None:
        value = compute()  # raises for a bad order, which is then not remembered
        if len(memo) >= _REMEMBERED_ORDERS:
            memo.clear()
        memo[key] = value
    return value


def primary_key(model: type[Any]) -> tuple[InstrumentedAttribute[Any], ...]:
    """Return the primary-key column attributes of ``model``."""
    keys = _PRIMARY_KEYS.get(model)
    if keys is None:
        mapper = inspect(model)
        keys = tuple(getattr(model, mapper.get_property_by_column(col).key) for col in mapper.primary_key)
        _PRIMARY_KEYS[model] = keys
    return keys


_PRIMARY_KEYS: dict[type[Any], tuple[InstrumentedAttribute[Any], ...]] = {}
