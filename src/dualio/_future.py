"""The future returned by ``submit``: a ``concurrent.futures.Future`` that knows its portal."""

from __future__ import annotations

import concurrent.futures
import logging
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import PortalClosedError

if TYPE_CHECKING:
    from ._calls import FutureCall
    from ._portal import Portal

__all__ = ("PortalFuture",)

T = TypeVar("T")
logger = logging.getLogger("dualio")


class PortalFuture(concurrent.futures.Future[T]):
    """The outcome of a coroutine submitted to a portal with ``submit``.

    It is a ``concurrent.futures.Future`` and works with ``concurrent.futures.wait`` and ``as_completed``, with
    three additions:

    - ``cancel()`` also cancels the task on the portal's loop (its ``finally`` blocks and ``__aexit__`` run
      there); it returns ``False`` once the coroutine has finished.
    - ``result()`` and ``exception()`` raise :class:`~dualio.DeadlockError` at once when called, before the
      future is done, from the portal's own loop thread, where waiting could never end.
    - If the coroutine fails (a ``TimeoutError`` from ``timeout=`` included) and nobody reads the error with
      ``result()`` or ``exception()``, it is logged with its traceback (logger ``"dualio"``) when the future is
      garbage-collected or the interpreter exits. An explicit ``shutdown()`` does not log it: the future may
      still be read afterwards.

    Thread-safe, like every ``concurrent.futures.Future``.
    """

    _call: FutureCall | None = None
    _retrieved: bool = False  # set by result() / exception()
    _reported: bool = False  # set once the unretrieved exception was logged

    def __init__(self, portal: Portal) -> None:
        super().__init__()
        self._portal = portal

    def result(self, timeout: float | None = None) -> T:
        """Return the coroutine's result, waiting up to ``timeout`` seconds (``None``: no limit).

        Raises the coroutine's exception, ``concurrent.futures.CancelledError`` if it was cancelled, the builtin
        ``TimeoutError`` if ``timeout`` passes first (the coroutine keeps running), ``DeadlockError`` if
        called on the portal's loop thread before the future is done, and ``PortalClosedError`` at once in a
        child process for a future still pending when its parent forked (nothing here can finish it).
        """
        if not self.done():
            self._refuse_to_wait("PortalFuture.result")
        try:
            return super().result(timeout)
        finally:
            self._retrieved = self._retrieved or self.done()  # a wait that timed out has read nothing

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Return the coroutine's exception (or ``None``), waiting like :meth:`result`."""
        if not self.done():
            self._refuse_to_wait("PortalFuture.exception")
        try:
            return super().exception(timeout)
        finally:
            self._retrieved = self._retrieved or self.done()

    def _refuse_to_wait(self, api: str) -> None:
        """Refuse a wait that could never end: on the portal's loop thread (``DeadlockError``), or in a child
        process for a future its parent submitted (``PortalClosedError``: the coroutine runs in the parent only,
        so nothing here would ever resolve it)."""
        if self._portal._forked:
            raise PortalClosedError(
                f"{api}(): this future was submitted before the process forked; its coroutine runs in the parent "
                f"process only, and nothing in this one will ever finish it (portal {self._portal.name!r} was "
                "inherited through fork()); submit the work again in this process"
            )
        self._portal._refuse_loop_thread(api)

    def cancel(self) -> bool:
        """Cancel the coroutine; return ``False`` if it already finished."""
        if not cancel_and_notify(self):
            return False
        call = self._call
        if call is not None:
            self._portal._cancel_soon(call, "future")
        return True

    def _resolve(self, result: object, exception: BaseException | None) -> None:
        """Set the outcome unless the future was cancelled meanwhile (called on the loop thread)."""
        try:
            if exception is None:
                self.set_result(result)  # type: ignore[arg-type]
            else:
                self.set_exception(exception)
                self._portal._failed_futures.add(self)  # reported at exit if nobody reads it
        except concurrent.futures.InvalidStateError:
            pass  # cancelled from another thread while the coroutine was finishing
        self._call = None

    def _report_unretrieved(self, when: str) -> None:
        """Log the exception if it was never retrieved; at most once.

        Called when no other thread can still be resolving the future (from ``__del__``, or after the loop
        stopped), so the fields are read without taking the future's lock.
        """
        exc = self._exception
        if exc is None or self._retrieved or self._reported:
            return
        self._reported = True
        logger.error(
            "dualio: exception in a task submitted to portal %r was never retrieved (%s): %r",
            self._portal.name,
            when,
            exc,
            exc_info=exc,
        )

    def __del__(self) -> None:
        self._report_unretrieved("its future was garbage-collected")


def cancel_and_notify(future: concurrent.futures.Future[Any]) -> bool:
    """Cancel ``future`` (unless done) and tell ``concurrent.futures.wait``/``as_completed`` at once.

    Those learn of a cancellation only when the future moves on to ``CANCELLED_AND_NOTIFIED``, which an
    executor does when it would have run it (``set_running_or_notify_cancel``); a portal's futures never pass
    through an executor, so it is done here (a cancelled future was never "done" for ``wait``, and a
    ``wait`` already blocked on it never woke). Under the future's own lock, so two cancels notify once.
    """
    with future._condition:  # the stdlib's lock (an RLock, which cancel() takes too)
        if not concurrent.futures.Future.cancel(future):
            return False
        if future._state == _CANCELLED:  # not notified yet
            future.set_running_or_notify_cancel()
        return True


_CANCELLED = "CANCELLED"  # concurrent.futures' state names (the module's private constants)
