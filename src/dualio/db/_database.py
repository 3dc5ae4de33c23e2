"""``Database``: one URL, a sync face and an async face, units of work on both, and retried transactions."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from dualio.errors import DeadlockError

from ._async_unit_of_work import AsyncUnitOfWork, AsyncUnitScope
from ._drivers import Driver, GreenletDriver, ThreadDriver
from ._engines import Options, Target, make_async_engine, make_sync_engine, parse_url
from ._inline import InlineReads
from ._loop_engines import LoopEngines
from ._retry import Retry, retrying, retrying_async
from ._unit_of_work import UnitOfWork, sync_unit
from ._workers import WorkerThreads

U = TypeVar("U", bound=UnitOfWork)
Ts = TypeVarTuple("Ts")
T = TypeVar("T")


def _check_declaration(declaration: object) -> None:
    if not (isinstance(declaration, type) and issubclass(declaration, UnitOfWork)):
        raise TypeError(
            f"expected a UnitOfWork subclass that declares its repositories, got {declaration!r}; "
            "declare one as: class Notebook(UnitOfWork): notes: Repository[Note]"
        )


class Database:
    """A database reached from sync code and from async code, with units of work on both.

    ``Database("postgresql://user@host/db")`` or ``Database("sqlite:///app.db")`` (``sqlite://`` is in memory).
    Engines are created lazily, on first use. The sync face uses one engine; the async face one engine per event
    loop (so no pool is ever touched from a second loop: two ``asyncio.run`` calls in a row, threads that each run
    their own loop, and the dualio portal all work), disposed when its loop shuts down. On SQLite the async face
    runs the sync engine in worker threads (one hop per repository call; a unit that only read ends without one)
    unless the URL names aiosqlite; a short read (a method marked :func:`~dualio.db.reads`) that cannot wait for a
    lock runs on the loop's thread instead, within ``sqlite_inline_budget`` seconds, or else in the thread.

    Options (production defaults): ``pool_size=5``, ``max_overflow=10``, ``pool_timeout=30``,
    ``pool_recycle=1800``, ``pool_pre_ping=True``; PostgreSQL ``statement_timeout=30`` and
    ``idle_in_transaction_timeout=60`` seconds (``None`` turns one off); SQLite ``busy_timeout=5``,
    ``sqlite_begin="immediate"`` and ``sqlite_inline_budget=0.002`` (0: every repository call hops);
    ``engine_options`` passes anything else to SQLAlchemy's ``create_engine``.

    Thread-safe: share one ``Database`` in a process. Call ``dispose()`` (or ``await adispose()``) at shutdown.
    """

    def __init__(self, url: str, **options: Any) -> None:
        self.target: Target = parse_url(url)
        try:
            self.options = Options(**options)
        except TypeError as error:
            raise TypeError(f"Database(): {error}; see help(dualio.db.Database) for the options") from None
        self._lock = threading.Lock()
        self._sync_engine: Engine | None = None
        self._keeper: Any = None
        self._workers: WorkerThreads | None = None
        self._inline_reads = self._make_inline_reads()
        self._loop_engines = LoopEngines(lambda: make_async_engine(self.target, self.options))
        self._sync_bind: Connection | None = None  # set by dualio.testing: sessions join its transaction
        self._async_bind: AsyncConnection | None = None

    def __repr__(self) -> str:
        return f"Database({self.target.sync_url.render_as_string(hide_password=True)!r})"

    @property
    def backend(self) -> str:
        """``"postgresql"`` or ``"sqlite"``."""
        return self.target.backend

    @property
    def sync_engine(self) -> Engine:
        """The sync SQLAlchemy ``Engine`` (created on first use)."""
        engine = self._sync_engine
        if engine is None:
            with self._lock:
                if self._sync_engine is None:
                    self._sync_engine, self._keeper = make_sync_engine(self.target, self.options)
                engine = self._sync_engine
        return engine

    async def async_engine(self) -> AsyncEngine:
        """Return the running loop's ``AsyncEngine`` (PostgreSQL, aiosqlite); ``TypeError`` on thread-driven SQLite."""
        if self.target.async_url is None:
            raise TypeError("this SQLite database's async face runs the sync engine in threads; use sync_engine")
        return await self._loop_engines.get()

    # -- units of work ---------------------------------------------------------------------------------------

    @contextmanager
    def unit_of_work(self, declaration: type[U]) -> Iterator[U]:
        """Open a unit of work on the sync face: commit on a clean exit, roll back on an exception, always close.

        Blocks the calling thread for its I/O: do not use it inside ``async def`` (use ``async_unit_of_work``).
        """
        _check_declaration(declaration)
        session = Session(bind=self._sync_bind or self.sync_engine, expire_on_commit=False, **self._join_mode())
        with sync_unit(declaration(session)) as unit:
            yield unit

    def async_unit_of_work(self, declaration: type[U]) -> AbstractAsyncContextManager[AsyncUnitOfWork[U]]:
        """Open a unit of work on the async face (``async with``); same semantics as :meth:`unit_of_work`, awaited.

        Cancellation of the task rolls the unit back; the session is closed and its connection returned to the
        pool before the ``CancelledError`` propagates.
        """
        _check_declaration(declaration)
        return AsyncUnitScope(functools.partial(self._open_async_unit, declaration))

    async def _open_async_unit(self, declaration: type[U]) -> tuple[U, Driver]:
        driver = await self._driver()
        try:
            return declaration(driver.session), driver
        except BaseException:
            driver.release()  # the unit never started: give its worker thread back
            raise

    async def _driver(self) -> Driver:
        if self.target.async_url is None:
            workers = self._worker_threads()
            worker = await workers.lease()
            session = Session(bind=self._sync_bind or self.sync_engine, expire_on_commit=False, **self._join_mode())
            return ThreadDriver(session, worker, workers, self._inline_reads)
        bind = self._async_bind or await self._loop_engines.get()
        async_session = AsyncSession(bind=bind, expire_on_commit=False, **self._join_mode())
        return GreenletDriver(async_session)

    def _join_mode(self) -> dict[str, Any]:
        if self._sync_bind is None and self._async_bind is None:
            return {}
        return {"join_transaction_mode": "create_savepoint"}

    def _make_inline_reads(self) -> InlineReads | None:
        if self.target.async_url is not None or self.options.sqlite_inline_budget == 0:
            return None
        capacity = 1 if self.target.memory else self.options.pool_size + self.options.max_overflow
        return InlineReads(self.options.sqlite_inline_budget, capacity)

    def _worker_threads(self) -> WorkerThreads:
        workers = self._workers
        if workers is None:
            with self._lock:
                if self._workers is None:
                    size = 1 if self.target.memory else self.options.pool_size + self.options.max_overflow
                    self._workers = WorkerThreads(max(1, size))
                workers = self._workers
        return workers

    # -- whole transactions, retried ------------------------------------------------------------------------

    def transaction(
        self,
        declaration: type[U],
        fn: Callable[[U, *Ts], T],
        /,
        *args: *Ts,
        retry: Retry | None = None,
    ) -> T:
        """Run ``fn(uow, *args)`` in a unit of work and commit; re-run it all on transient failures.

        ``retry`` (default ``Retry()``: 3 attempts, exponential backoff with jitter) applies to serialization
        failures, deadlocks, dropped connections and SQLite's "database is locked"; every attempt is a fresh
        unit, and a failed attempt is rolled back, never committed in part. ``Retry(attempts=1)`` turns it off.
        """
        _check_declaration(declaration)

        def attempt() -> T:
            with self.unit_of_work(declaration) as unit:
                return fn(unit, *args)

        return retrying(attempt, retry or Retry())

    async def atransaction(
        self,
        declaration: type[U],
        fn: Callable[[U, *Ts], T],
        /,
        *args: *Ts,
        retry: Retry | None = None,
    ) -> T:
        """Async face of :meth:`transaction`: the same ``fn``, run without blocking the loop.

        On thread-driven SQLite the whole unit (begin, ``fn``, commit) takes a single thread hop.
        """
        _check_declaration(declaration)
        if self.target.async_url is None and self._sync_bind is None:
            workers = self._worker_threads()

            def attempt_once() -> T:
                return self.transaction(declaration, fn, *args, retry=Retry(attempts=1))

            async def attempt_in_thread() -> T:
                worker = await workers.lease()
                try:
                    return await worker.start(attempt_once).outcome
                finally:
                    workers.release(worker)

            return await retrying_async(attempt_in_thread, retry or Retry())

        async def attempt() -> T:
            async with self.async_unit_of_work(declaration) as unit:
                return await unit.run(fn, *args)

        return await retrying_async(attempt, retry or Retry())

    # -- shutdown --------------------------------------------------------------------------------------------

    def dispose(self, *, timeout: float = 5.0) -> None:
        """Close every pooled connection: the sync engine's, and each loop's async engine (on its own loop).

        Call it from sync code that is not running on any of those loops (in async code, ``await adispose()``).
        The ``Database`` stays usable: engines are made again on next use.
        """
        running = asyncio._get_running_loop()
        if running is not None and running.is_running():
            raise DeadlockError("Database.dispose() was called from a running event loop; use await db.adispose()")
        self._loop_engines.dispose_all(timeout)
        self._dispose_sync()

    async def adispose(self) -> None:
        """Close the running loop's async engine and the sync engine; other loops' engines close with their loops."""
        await self._loop_engines.dispose_current()
        await asyncio.to_thread(self._dispose_sync)

    def _dispose_sync(self) -> None:
        with self._lock:
            engine, self._sync_engine = self._sync_engine, None
            keeper, self._keeper = self._keeper, None
            workers, self._workers = self._workers, None
        if workers is not None:
            workers.shutdown()
        if engine is not None:
            engine.dispose()
        if keeper is not None:
            keeper.close()
