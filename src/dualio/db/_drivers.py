"""How the async face runs sync session code without blocking the event loop.

Both drivers take a plain sync function (a repository method, ``Session.commit``, a use case written against the
sync face) and run it:

- ``GreenletDriver`` (PostgreSQL, aiosqlite): in a greenlet over an ``AsyncSession`` — SQLAlchemy's own
  mechanism; each statement's I/O is awaited on the loop, so the loop never blocks.
- ``ThreadDriver`` (SQLite by default): in a worker thread over a sync ``Session``, one hop per call instead of
  aiosqlite's hop per statement. The unit leases its thread for its whole life (see ``_workers``); calls run one
  at a time; if the awaiting task is cancelled while a
  call runs, the call still finishes in its thread before anything else touches the session (``settle``).
  A unit that has only read ends on the loop, without a hop: its COMMIT and close release locks and return the
  connection to the pool, with no I/O to wait for (``ends_in_place``). A short read that cannot wait for a lock
  runs on the loop's thread too, without a hop (see ``_inline``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util import greenlet_spawn

from ._inline import NOT_RUN, InlineReads, is_marked_read
from ._sqlite import ends_without_io
from ._workers import Job, Worker, WorkerThreads

T = TypeVar("T")


class Driver(Protocol):
    """What an async unit of work needs from its driver."""

    session: Session

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` (sync session code) without blocking the loop; return its result."""
        ...

    async def call_to_the_end(self, fn: Callable[..., T], /, *args: Any) -> tuple[T, bool]:
        """Run ``fn(*args)`` to its end even if the awaiting task is cancelled meanwhile (after any call still
        running); return its result and whether a cancellation arrived (the caller re-raises it when done)."""
        ...

    async def settle(self) -> None:
        """Wait until no call of this driver is still running (after a cancellation)."""
        ...

    def ends_in_place(self) -> bool:
        """Whether the unit may be ended by a plain call on the loop now: no call is running and ending it needs
        no I/O. Otherwise it is ended with ``call_to_the_end``."""
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

    async def call_to_the_end(self, fn: Callable[..., T], /, *args: Any) -> tuple[T, bool]:
        # Cancelling a greenlet call interrupts its I/O, so the call runs in a task of its own, awaited shielded.
        return await wait_out(asyncio.ensure_future(greenlet_spawn(fn, *args)))

    async def settle(self) -> None:
        return None  # a cancelled greenlet call has already unwound when the cancellation reaches us

    def ends_in_place(self) -> bool:
        return False  # the session's I/O is the AsyncSession's: it must be awaited

    def release(self) -> None:
        return None


class ThreadDriver:
    """Run sync session code on the unit's leased worker thread, one call at a time."""

    def __init__(
        self, session: Session, worker: Worker, workers: WorkerThreads, inline: InlineReads | None = None
    ) -> None:
        self.session = session
        self._worker = worker
        self._workers = workers
        self._inline = inline
        self._last: Job[Any] | None = None

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        inline = self._inline
        if inline is not None:
            session = self.session
            if is_marked_read(fn) and self._idle() and inline.may_run(session, not ends_without_io(session)):
                in_place: T = inline.run(fn, args, kwargs)
                if in_place is not NOT_RUN:
                    await inline.yield_if_due()
                    return in_place
            inline.note_yielded()  # the task waits for the thread below: the loop runs others meanwhile
        if self._last is not None and not self._last.finished:
            await self.settle()
        job = self._last = self._worker.start(fn, *args, **kwargs)
        result: T = await job.outcome
        return result

    async def call_to_the_end(self, fn: Callable[..., T], /, *args: Any) -> tuple[T, bool]:
        # No task and no shield on the way (this ends every unit): a cancellation cancels only the job's outcome
        # future; the call goes on in its thread, is waited out, and its result is taken from the job.
        cancelled = await self._wait_out_last_call()
        job: Job[T] = self._worker.start(fn, *args)
        self._last = job
        try:
            return await job.outcome, cancelled
        except asyncio.CancelledError:
            if not job.outcome.cancelled():
                raise  # the call itself raised it
        await self._wait_out_last_call()
        return job.result(), True

    async def settle(self) -> None:
        if await self._wait_out_last_call():
            raise asyncio.CancelledError

    def ends_in_place(self) -> bool:
        if not self._idle():
            return False  # the thread may still use the session
        return ends_without_io(self.session)

    def _idle(self) -> bool:
        """Whether no call of this unit is running (or unsettled after a cancellation) in its thread."""
        job = self._last
        return job is None or (job.finished and job.settled is None)

    async def _wait_out_last_call(self) -> bool:
        """Wait until the last call has finished in its thread; return whether a cancellation arrived meanwhile."""
        job = self._last
        if job is None or (job.finished and job.settled is None):
            return False
        cancelled = False
        if not job.finished:
            # Resolved by the job's delivery on this loop, which cannot have run yet: we have not yielded.
            job.settled = asyncio.get_running_loop().create_future()
        while job.settled is not None and not job.settled.done():
            try:
                await asyncio.shield(job.settled)
            # Not swallowed: reported to the caller, which raises it once the session is free again.
            except asyncio.CancelledError:  # dualio: ignore[DIO401]
                cancelled = True  # the thread still uses the session: wait it out first
        return cancelled

    def release(self) -> None:
        self._workers.release(self._worker)


async def wait_out(future: asyncio.Future[T]) -> tuple[T, bool]:
    """Await ``future`` to its end even if the awaiting task is cancelled meanwhile.

    Return its result and whether a cancellation arrived meanwhile; the caller re-raises it when done.
    """
    cancelled = False
    while True:
        try:
            return await asyncio.shield(future), cancelled
        except asyncio.CancelledError:
            if future.cancelled():
                raise
            cancelled = True
