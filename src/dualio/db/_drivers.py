"""How the async face runs sync session code without blocking the event loop.

Both drivers take a plain sync function (a repository method, ``Session.commit``, a use case written against the
sync face) and run it:

- ``GreenletDriver`` (PostgreSQL, aiosqlite): in a greenlet over an ``AsyncSession`` — SQLAlchemy's own
  mechanism; each statement's I/O is awaited on the loop, so the loop never blocks.
- ``ThreadDriver`` (SQLite by default): in a worker thread over a sync ``Session``, one hop per call instead of
  aiosqlite's hop per statement. The unit leases its thread for its whole life (see ``_workers``); calls run one
  at a time; if the awaiting task is cancelled while a
  call runs, the call still finishes in its thread before anything else touches the session (``settle``).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util import greenlet_spawn

from ._workers import WorkerThreads

T = TypeVar("T")


class Driver(Protocol):
    """What an async unit of work needs from its driver."""

    session: Session

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` (sync session code) without blocking the loop; return its result."""
        ...

    async def settle(self) -> None:
        """Wait until no call of this driver is still running (after a cancellation)."""
        ...

    def release(self) -> None:
        """Give back what the driver holds besides the session (called once, after the session is closed)."""
        ...


class GreenletDriver:
    """Run sync session code in a greenlet whose I/O is awaited on the running loop."""

    def __init__(self, async_session: AsyncSession) -> None:
        self._async_session = async_session
        self.session = async_session.sync_session

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        result: T = await greenlet_spawn(fn, *args, **kwargs)
        return result

    async def settle(self) -> None:
        return None  # a cancelled greenlet call has already unwound when the cancellation reaches us

    def release(self) -> None:
        return None


class ThreadDriver:
    """Run sync session code in a worker thread, one call at a time."""

    def __init__(self, session: Session, worker: ThreadPoolExecutor, workers: WorkerThreads) -> None:
        self.session = session
        self._executor = worker
        self._workers = workers
        self._running: Future[Any] | None = None

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        await self.settle()
        context = contextvars.copy_context()
        future = self._executor.submit(functools.partial(context.run, fn, *args, **kwargs))
        self._running = future
        result: T = await asyncio.wrap_future(future)
        return result

    async def settle(self) -> None:
        running = self._running
        if running is None:
            return
        cancelled = False
        while not running.done():
            try:
                await asyncio.wait([asyncio.wrap_future(running)])
            except asyncio.CancelledError:
                cancelled = True  # the thread still uses the session: wait it out, then let the cancellation in
        self._running = None
        if cancelled:
            raise asyncio.CancelledError

    def release(self) -> None:
        self._workers.release(self._executor)
