"""The state behind the in-memory fake unit of work: committed rows, and one unit's working copy of them.

A ``FakeSession`` stands where a SQLAlchemy ``Session`` stands under a ``UnitOfWork``: ``commit``, ``rollback``,
``flush``, ``begin_nested`` and ``close`` behave as a real unit's do (commit publishes the unit's rows, rollback
and close without commit drop them, a savepoint restores what it saw). Rows are real instances of the mapped
models, built from plain column values, never attached to a SQLAlchemy session.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import inspect

Key = tuple[type[Any], tuple[Any, ...]]


def column_keys(model: type[Any]) -> list[str]:
    return [attr.key for attr in inspect(model).column_attrs]


def values_of(row: object) -> dict[str, Any]:
    return {key: getattr(row, key) for key in column_keys(type(row))}


def primary_key_of(model: type[Any], values: dict[str, Any]) -> tuple[Any, ...]:
    mapper = inspect(model)
    return tuple(values[mapper.get_property_by_column(column).key] for column in mapper.primary_key)


class FakeStore:
    """The committed rows of a fake database: ``{model: {primary key: column values}}``. Thread-safe."""

    def __init__(self) -> None:
        self.rows: dict[type[Any], dict[tuple[Any, ...], dict[str, Any]]] = {}
        self.lock = threading.Lock()

    def snapshot(self) -> dict[type[Any], dict[tuple[Any, ...], dict[str, Any]]]:
        with self.lock:
            return {model: {pk: dict(v) for pk, v in rows.items()} for model, rows in self.rows.items()}


class FakeSavepoint:
    """What ``FakeSession.begin_nested()`` returns: restores the unit's rows on ``rollback()``."""

    def __init__(self, session: FakeSession) -> None:
        self._session = session
        self._saved = session.capture()
        self.is_active = True

    def rollback(self) -> None:
        if self.is_active:
            self._session.restore(self._saved)
            self.is_active = False

    def commit(self) -> None:
        self.is_active = False


class FakeSession:
    """One unit's working copy of a ``FakeStore``, with an identity map of row instances."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._start()

    def _start(self) -> None:
        self._committed = self._store.snapshot()
        self.identity: dict[Key, Any] = {}
        self.deleted: set[Key] = set()

    # -- rows --------------------------------------------------------------------------------------------------

    def rows(self, model: type[Any]) -> list[Any]:
        """Every row of ``model`` this unit sees, as instances (the same instance for the same row)."""
        for pk, values in self._committed.get(model, {}).items():
            key = (model, pk)
            if key not in self.identity and key not in self.deleted:
                self.identity[key] = model(**values)
        return [row for (kind, _), row in self.identity.items() if kind is model]

    def put(self, row: Any) -> None:
        key = (type(row), primary_key_of(type(row), values_of(row)))
        self.deleted.discard(key)
        self.identity[key] = row

    def remove(self, row: Any) -> None:
        key = (type(row), primary_key_of(type(row), values_of(row)))
        self.identity.pop(key, None)
        self.deleted.add(key)

    def capture(self) -> tuple[dict[Key, tuple[Any, dict[str, Any]]], set[Key]]:
        return {key: (row, values_of(row)) for key, row in self.identity.items()}, set(self.deleted)

    def restore(self, saved: tuple[dict[Key, tuple[Any, dict[str, Any]]], set[Key]]) -> None:
        rows, deleted = saved
        for row, values in rows.values():
            for name, value in values.items():
                setattr(row, name, value)
        self.identity = {key: row for key, (row, _) in rows.items()}
        self.deleted = set(deleted)

    # -- the Session methods a UnitOfWork calls -----------------------------------------------------------------

    def commit(self) -> None:
        with self._store.lock:
            for model, pk in self.deleted:
                self._store.rows.get(model, {}).pop(pk, None)
            for (model, _), row in self.identity.items():
                values = values_of(row)
                self._store.rows.setdefault(model, {})[primary_key_of(model, values)] = values
        self._start()

    def rollback(self) -> None:
        self._start()

    def flush(self) -> None:
        return None

    def begin_nested(self) -> FakeSavepoint:
        return FakeSavepoint(self)

    def close(self) -> None:
        self.identity = {}
        self.deleted = set()

    def get_bind(self) -> Any:
        raise NotImplementedError("the fake unit of work has no database connection; use a real Database here")

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "the fake unit of work runs repository methods only, not SQL: test this code against a real Database "
            "(SQLite or the dualio_postgres_url fixture)"
        )

    scalars = scalar = get = execute
