"""``AsyncUnitOfWork``: the async face of a unit-of-work declaration.

It mirrors the sync face method for method (``commit``, ``rollback``, ``flush``, ``savepoint``, ``on_commit``),
awaiting; its repositories are the declaration's own, each call awaited (``await uow.notes.get(1)``); and
``run(fn, *args)`` runs a function written against the sync face (``fn(uow, *args)``), so one implementation of
a use case serves both modes. All of it goes through the unit's driver (see ``_drivers``): the loop never blocks.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from ._drivers import Driver, wait_out
from ._repository import Repository
from ._repository_async import AsyncRepository
from ._translate import translate, translating
from ._unit_of_work import CallbackErrors, Savepoint, UnitOfWork

U = TypeVar("U", bound=UnitOfWork)
P = ParamSpec("P")
T = TypeVar("T")

AsyncCallback = Callable[[], object | Awaitable[object]]


async def finish_uncancellably(coroutine: Coroutine[Any, Any, T]) -> T:
    """Await ``coroutine`` to the end even if the caller is cancelled meanwhile; then re-raise the cancellation.

    Ending a unit of work (commit or rollback, then returning the connection) must not stop half-way.
    """
    result, cancelled = await wait_out(asyncio.ensure_future(coroutine))
    if cancelled:
        raise asyncio.CancelledError
    return result


class AsyncSavepoint:
    """A nested transaction on the async face; see :meth:`AsyncUnitOfWork.savepoint`."""

    def __init__(self, savepoint: Savepoint, driver: Driver) -> None:
        self._savepoint = savepoint
        self._driver = driver

    async def rollback(self) -> None:
        """Undo what was done since the savepoint began; the outer unit keeps its earlier work."""
        await self._driver.call(self._savepoint.rollback)


class AsyncUnitOfWork(Generic[U]):
    """The async face of the unit-of-work declaration ``U``, made by ``Database.async_unit_of_work(U)``.

    The block commits on a clean exit and rolls back on any exception, cancellation included; the session is
    always closed and its connection returned to the pool, even if the task is cancelled again meanwhile.

    Not safe to share between concurrent tasks (as SQLAlchemy says of ``AsyncSession``): one unit, one task.
    """

    def __init__(self, unit: U, driver: Driver) -> None:
        self._unit = unit
        self._driver = driver
        self._faces: dict[str, AsyncRepository[Any]] = {}

    @property
    def sync(self) -> U:
        """The sync face of this unit; use it only inside functions given to :meth:`run`."""
        return self._unit

    async def run(self, fn: Callable[Concatenate[U, P], T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Call ``fn(sync_face, *args, **kwargs)``, a function written against the sync face, and return its result.

        Its database I/O does not block the loop (it runs in a greenlet over the async driver, or in a worker
        thread on SQLite). It must not call the portal or other async code itself.
        """
        if not callable(fn):
            raise TypeError(f"run() takes a function of the sync unit of work, got {type(fn).__name__}")
        return await self._driver.call(fn, self._unit, *args, **kwargs)

    async def commit(self) -> None:
        """Commit the work so far, then run (and await) the ``on_commit`` callbacks; the unit stays usable."""
        await self._driver.call(self._unit._commit_only)
        callbacks, self._unit._on_commit = self._unit._on_commit, []
        await run_callbacks(callbacks)

    async def rollback(self) -> None:
        """Roll back the work so far and forget the ``on_commit`` callbacks registered for it."""
        await self._driver.call(self._unit.rollback)

    async def flush(self) -> None:
        """Send pending changes to the database (inside the transaction), so that constraints are checked now."""
        await self._driver.call(self._unit.flush)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[AsyncSavepoint]:
        """Run the block in a nested transaction: an exception (or ``rollback()``) undoes only the block's work.

        The exception still propagates, as on the sync face.
        """
        manager = self._unit.savepoint()
        savepoint = await self._driver.call(manager.__enter__)
        try:
            yield AsyncSavepoint(savepoint, self._driver)
        except BaseException as error:
            await finish_uncancellably(self._exit_savepoint(manager, error))
            raise
        await self._driver.call(manager.__exit__, None, None, None)

    async def _exit_savepoint(self, manager: Any, error: BaseException) -> None:
        await self._driver.settle()
        try:
            await self._driver.call(manager.__exit__, type(error), error, error.__traceback__)
        except BaseException as raised:
            if raised is not error:
                raise

    def on_commit(self, callback: AsyncCallback) -> None:
        """Call ``callback()`` after the unit commits successfully (awaiting it if it returns an awaitable).

        Callbacks run on this loop, in the order registered. If one raises, the others still run, and the first
        error is raised afterwards with a note that the data *was* committed.
        """
        self._unit.on_commit(callback)

    def __getattr__(self, name: str) -> AsyncRepository[Any]:
        faces: dict[str, AsyncRepository[Any]] | None = self.__dict__.get("_faces")
        if faces is None or name.startswith("_"):
            raise AttributeError(name)
        face = faces.get(name)
        if face is None:
            repository = getattr(self._unit, name)
            if not isinstance(repository, Repository):
                raise AttributeError(f"{type(self._unit).__name__}.{name} is not a repository")
            face = faces[name] = AsyncRepository(repository, self._driver.call)
        return face

    async def _end(self, error: BaseException | None) -> None:
        """Commit (no ``error``) or roll back, close the session, then run the ``on_commit`` callbacks.

        Runs to its end even if the task is cancelled meanwhile, and then lets the cancellation in.
        """
        driver = self._driver
        try:
            if error is None and driver.ends_in_place():
                callbacks, cancelled = self._unit._finish(None), False  # only locks to release: no hop for it
            else:
                callbacks, cancelled = await driver.call_to_the_end(self._unit._finish, error)
        finally:
            driver.release()
        if callbacks:
            await finish_uncancellably(run_callbacks(callbacks))
        if cancelled:
            raise asyncio.CancelledError


async def run_callbacks(callbacks: list[Callable[[], object]]) -> None:
    """Call each ``on_commit`` callback on the loop, awaiting the ones that return awaitables."""
    errors = CallbackErrors()
    for callback in callbacks:
        try:
            outcome = callback()
            if inspect.isawaitable(outcome):
                await outcome
        except Exception as error:
            errors.record(callback, error)
    errors.raise_first()


class AsyncUnitScope(Generic[U]):
    """What ``async with`` enters: opens the unit, then commits on a clean exit or rolls back on an exception, and
    always closes it. A class rather than a generator-based context manager: it is entered for every unit."""

    __slots__ = ("_face", "_open")

    def __init__(self, open_unit: Callable[[], Awaitable[tuple[U, Driver]]]) -> None:
        self._open = open_unit
        self._face: AsyncUnitOfWork[U] | None = None

    async def __aenter__(self) -> AsyncUnitOfWork[U]:
        if self._face is not None:
            raise RuntimeError("this unit of work was already entered; call async_unit_of_work() for a new one")
        unit, driver = await self._open()
        self._face = AsyncUnitOfWork(unit, driver)
        return self._face

    async def __aexit__(self, error_type: object, error: BaseException | None, traceback: object) -> None:
        face = self._face
        assert face is not None, "__aexit__ without __aenter__"
        with translating():
            await face._end(error)
        if error is not None:
            translated = translate(error)  # as on the sync face: SQLAlchemy errors leave the unit as dualio's
            if translated is not None:
                raise translated from error


def async_unit(unit: U, driver: Driver) -> AsyncUnitScope[U]:
    """The ``async with`` scope of ``unit`` on ``driver``, both made already."""

    async def opened() -> tuple[U, Driver]:
        return unit, driver

    return AsyncUnitScope(opened)
