"""``FakeDatabase``: an in-memory stand-in for ``dualio.db.Database``, for pure unit tests of use cases.

It takes the same declarations and offers the same four entry points (``unit_of_work``, ``async_unit_of_work``,
``transaction``, ``atransaction``) with the same semantics: commit on a clean exit, rollback on an exception,
savepoints, ``on_commit``. Repositories are your own classes (their own methods included) with the generic
methods answered from memory. It has no SQL: code that runs statements itself needs a real ``Database``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar, TypeVarTuple, cast

from dualio.db import AsyncUnitOfWork, Retry, UnitOfWork
from dualio.db._async_unit_of_work import async_unit
from dualio.db._retry import retrying, retrying_async
from dualio.db._unit_of_work import attach_repositories, sync_unit

from ._fake_repository import fake_repository_class
from ._fake_session import FakeSession, FakeStore

U = TypeVar("U", bound=UnitOfWork)
T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class _DirectDriver:
    """Runs the unit's calls directly: the fake does no I/O, so there is nothing to keep off the loop."""

    def __init__(self, session: FakeSession) -> None:
        self.session: Any = session

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        return fn(*args, **kwargs)

    async def call_to_the_end(self, fn: Callable[..., T], /, *args: Any) -> tuple[T, bool]:
        return fn(*args), False  # nothing awaited: nothing to cancel

    async def settle(self) -> None:
        return None

    def ends_in_place(self) -> bool:
        return False  # call_to_the_end runs in place already

    def release(self) -> None:
        return None


class FakeDatabase:
    """An in-memory database with the entry points of ``dualio.db.Database``. Thread-safe; one per test.

    Each unit works on its own copy of the committed rows and publishes them on commit (last commit wins: it
    does not model concurrent writers). Column defaults that are constants, integer primary keys and version
    columns are filled in as the database would; server-side defaults are not (they stay ``None``).
    """

    def __init__(self) -> None:
        self.store = FakeStore()

    def _unit(self, declaration: type[U]) -> U:
        if not (isinstance(declaration, type) and issubclass(declaration, UnitOfWork)):
            raise TypeError(f"expected a UnitOfWork subclass that declares its repositories, got {declaration!r}")
        unit = declaration.__new__(declaration)
        unit.session = cast(Any, FakeSession(self.store))
        unit._on_commit = []
        attach_repositories(unit, fake_repository_class)
        return unit

    @contextmanager
    def unit_of_work(self, declaration: type[U]) -> Iterator[U]:
        """Open a unit of work on the sync face (see ``Database.unit_of_work``)."""
        with sync_unit(self._unit(declaration)) as unit:
            yield unit

    @asynccontextmanager
    async def async_unit_of_work(self, declaration: type[U]) -> AsyncIterator[AsyncUnitOfWork[U]]:
        """Open a unit of work on the async face (see ``Database.async_unit_of_work``)."""
        unit = self._unit(declaration)
        async with async_unit(unit, _DirectDriver(cast(FakeSession, unit.session))) as face:
            yield face

    def transaction(
        self, declaration: type[U], fn: Callable[[U, *Ts], T], /, *args: *Ts, retry: Retry | None = None
    ) -> T:
        """Run ``fn(uow, *args)`` in a unit of work and commit; re-run it on ``TransientDatabaseError`` (``retry``)."""

        def attempt() -> T:
            with self.unit_of_work(declaration) as unit:
                return fn(unit, *args)

        return retrying(attempt, retry or Retry())

    async def atransaction(
        self, declaration: type[U], fn: Callable[[U, *Ts], T], /, *args: *Ts, retry: Retry | None = None
    ) -> T:
        """Async face of :meth:`transaction`."""

        async def attempt() -> T:
            async with self.async_unit_of_work(declaration) as unit:
                return await unit.run(fn, *args)

        return await retrying_async(attempt, retry or Retry())
