"""Write a database test once, run it on both faces: the ``face`` fixture.

``face`` is parametrized as ``"sync"`` and ``"async"``. ``face.unit_of_work(db, Declaration)`` opens a unit of
work on that face and gives the test a sync-looking handle to it: on the async face every call goes through the
real async unit of work (``await uow.notes.get(...)``, ``await uow.commit()``, ``async with uow.savepoint()``) on
the dualio portal's loop. ``face.transaction(db, Declaration, fn, *args)`` runs a use case with
``Database.transaction`` or ``Database.atransaction``. The same assertions then check both faces.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Literal, TypeVar, TypeVarTuple, cast

import dualio
from dualio.db import AsyncRepository, AsyncSavepoint, AsyncUnitOfWork, Database, Retry, UnitOfWork

U = TypeVar("U", bound=UnitOfWork)
T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class _Blocking:
    """A sync view of an async object: coroutines are run on the portal, async context managers entered."""

    def __init__(self, target: object) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return _view(value)

        def call(*args: Any, **kwargs: Any) -> Any:
            return _view(value(*args, **kwargs))

        return call

    def __repr__(self) -> str:
        return f"<blocking view of {self._target!r}>"


@contextmanager
def _entered(async_manager: Any) -> Iterator[Any]:
    with dualio.enter(async_manager) as value:
        yield _view(value)


def _view(value: Any) -> Any:
    if inspect.iscoroutine(value):
        return _view(dualio.run(value))
    if hasattr(value, "__aenter__"):
        return _entered(value)
    if isinstance(value, AsyncRepository | AsyncSavepoint | AsyncUnitOfWork):
        return _Blocking(value)
    return value


class Face:
    """One face of ``dualio.db``, ``"sync"`` or ``"async"``, for tests written once and run on both."""

    def __init__(self, name: Literal["sync", "async"]) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Face({self.name!r})"

    @property
    def is_async(self) -> bool:
        return self.name == "async"

    def unit_of_work(self, db: Database, declaration: type[U]) -> AbstractContextManager[U]:
        """Open a unit of work on this face; on the async face, the handle runs each call on the portal."""
        if self.name == "sync":
            return db.unit_of_work(declaration)
        return cast(AbstractContextManager[U], _entered(db.async_unit_of_work(declaration)))

    def transaction(
        self,
        db: Database,
        declaration: type[U],
        fn: Callable[[U, *Ts], T],
        /,
        *args: *Ts,
        retry: Retry | None = None,
    ) -> T:
        """Run ``fn(uow, *args)`` as a whole unit of work on this face (``transaction`` / ``atransaction``)."""
        if self.name == "sync":
            return db.transaction(declaration, fn, *args, retry=retry)
        return dualio.run(db.atransaction(declaration, fn, *args, retry=retry))

    def async_unit(self, handle: object) -> AsyncUnitOfWork[Any]:
        """Return the real ``AsyncUnitOfWork`` behind an async-face handle (for tests that need it directly)."""
        if not isinstance(handle, _Blocking) or not isinstance(handle._target, AsyncUnitOfWork):
            raise TypeError("async_unit() takes a handle made by Face('async').unit_of_work()")
        return handle._target
