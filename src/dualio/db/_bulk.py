"""The bulk ``INSERT ... RETURNING`` of ``Repository.add_many``, with the rows coming back in the order given.

SQLAlchemy returns rows in parameter order with ``returning(..., sort_by_parameter_order=True)``. On PostgreSQL it
keeps the batches (an ``INSERT ... SELECT ... ORDER BY`` form). SQLite does not promise any order for ``RETURNING``
rows, and SQLAlchemy then falls back to *one statement per row*: 1,001 statements for 1,000 rows, about 1.5x the
time of the batched insert (benchmarks/README.md).

On SQLite, when the primary key is the table's integer rowid and no row gives it, dualio inserts in batches and
sorts the returned rows by that key instead: SQLite numbers new rows one after another as it inserts them (the
largest rowid plus one; one writer at a time), and it inserts the rows of one ``INSERT ... VALUES`` in their
order, so the keys follow the order given. (The one exception, a table whose rowid has reached 2**63 - 1, makes
SQLite pick unused rowids at random; dualio then raises rather than return rows in a wrong order.) Every other
case keeps SQLAlchemy's ordered form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from typing import Any, TypeVar

from sqlalchemy import Integer, insert, inspect
from sqlalchemy.orm import Session

M = TypeVar("M")


def ordered_insert(
    session: Session, model: type[M], rows: Sequence[Mapping[str, Any]]
) -> tuple[Any, Callable[[list[M]], list[M]]]:
    """Return the ``INSERT ... RETURNING`` statement for ``rows`` and the function that orders what it returns."""
    key = _rowid_key(model) if session.get_bind().dialect.name == "sqlite" else None
    if key is None or any(key in row for row in rows):
        return insert(model).returning(model, sort_by_parameter_order=True), _as_returned
    return insert(model).returning(model), _by_rowid(key)


def _as_returned(objects: list[M]) -> list[M]:
    return objects


def _by_rowid(key: str) -> Callable[[list[M]], list[M]]:
    def in_insertion_order(objects: list[M]) -> list[M]:
        objects.sort(key=attrgetter(key))
        if objects and getattr(objects[-1], key) - getattr(objects[0], key) != len(objects) - 1:
            raise RuntimeError(
                "add_many(): SQLite did not number the new rows one after another (has the table's rowid reached "
                "its maximum?), so their order cannot be known; nothing is kept: the unit of work rolls back"
            )
        return objects

    return in_insertion_order


def _rowid_key(model: type[Any]) -> str | None:
    """The attribute name of ``model``'s primary key if it is SQLite's rowid, filled in by the database."""
    mapper = inspect(model)
    table = mapper.local_table
    column = getattr(table, "autoincrement_column", None)
    if column is None or list(mapper.primary_key) != [column] or not isinstance(column.type, Integer):
        return None
    if column.default is not None or column.server_default is not None:
        return None
    name: str = mapper.get_property_by_column(column).key
    return name
