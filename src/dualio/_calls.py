"""One unit of work handed to a portal: a coroutine, the caller's context, and where its outcome goes.

A call is created in the caller's thread, queued, started as a task on the portal's loop, and finished there
exactly once by :meth:`_Call.finish`. A :class:`BlockingCall` wakes a waiting thread through a lock (cheaper
than a ``concurrent.futures.Future``); a :class:`FutureCall` resolves the future that ``submit`` returned.
"""

from __future__ import annotations

import abc
import asyncio
import concurrent.futures
import contextvars
import os
import threading
from collections.abc import Callable
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Literal

from ._future import cancel_and_notify

if TYPE_CHECKING:
    from ._future import PortalFuture
    from ._hosting import HeldBlock
    from ._thread_work import WaitingThread

__all__ = ("BlockingCall", "CancelReason", "FutureCall", "where_suspended")

_allocate_lock = threading.Lock

CancelReason = Literal["interrupt", "timeout", "future", "shutdown"]


class _Call(abc.ABC):
    __slots__ = (
        "cancel_reason",
        "context",
        "coro",
        "detached",
        "on_done",
        "queued",
        "task",
        "thread_work",
        "timeout",
        "timer",
    )

    def __init__(self, coro: CoroutineType[Any, Any, Any], context: contextvars.Context, timeout: float | None) -> None:
        self.coro = coro
        self.context = context
        self.timeout = timeout
        self.task: asyncio.Task[Any] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.cancel_reason: CancelReason | None = None
        self.queued = False
        self.on_done: Callable[[asyncio.Task[Any]], object] | None = None  # the task's done callback, if added
        # Set by its own coroutine's first step: the call is finished early (``Portal._deliver_early``) or by
        # another task (``Portal._hand_over``), never by its own task's end.
        self.detached = False
        # The waiting thread's executor, made asgiref's in the call's context when its task starts
        # (``_thread_work``); None unless asgiref may send thread-sensitive work to the calling thread.
        self.thread_work: WaitingThread | None = None

    @abc.abstractmethod
    def finish(self, result: object, exception: BaseException | None) -> None:
        """Deliver the outcome; called once, on the loop thread (or by a sweep after the loop stopped)."""

    def describe(self) -> str:
        """Name the coroutine and, if it started, the line it is suspended at."""
        return f"{self.coro.__qualname__}{where_suspended(self.coro)}"


class BlockingCall(_Call):
    """A call whose caller thread blocks on ``done`` until :meth:`finish` releases it."""

    __slots__ = ("done", "exception", "held", "on_finish", "result", "settled")

    def __init__(self, coro: CoroutineType[Any, Any, Any], context: contextvars.Context, timeout: float | None) -> None:
        super().__init__(coro, context, timeout)
        self.done = done = _allocate_lock()
        done.acquire()
        self.result: object = None
        self.exception: BaseException | None = None
        self.on_finish: Callable[[], object] | None = None  # set while the caller runs the loop (``_lending``)
        self.held: HeldBlock[Any] | None = None  # the block its task holds open now (``Portal._deliver_early``)
        self.settled = False  # set before ``done`` is released: the caller can tell a finished call after an error

    def finish(self, result: object, exception: BaseException | None) -> None:
        self.result = result
        self.exception = exception
        self.settled = True
        self.done.release()
        if self.on_finish is not None:
            self.on_finish()


class FutureCall(_Call):
    """A call whose outcome resolves a :class:`~dualio.PortalFuture`."""

    __slots__ = ("future",)

    def __init__(
        self,
        coro: CoroutineType[Any, Any, Any],
        context: contextvars.Context,
        timeout: float | None,
        future: PortalFuture[Any],
    ) -> None:
        super().__init__(coro, context, timeout)
        self.future = future

    def finish(self, result: object, exception: BaseException | None) -> None:
        if isinstance(exception, concurrent.futures.CancelledError):
            cancel_and_notify(self.future)  # not the future's own cancel(): the task is already finished
            self.future._call = None
        else:
            self.future._resolve(result, exception)


def where_suspended(coro: object) -> str:
    """Return `` at file:line`` for the innermost frame outside asyncio that a coroutine is suspended in."""
    frame = None
    while coro is not None:
        candidate = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if candidate is not None and not candidate.f_code.co_filename.startswith(_ASYNCIO_DIR):
            frame = candidate
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    if frame is None:
        return ""
    return f" at {frame.f_code.co_filename}:{frame.f_lineno}"


_ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep
