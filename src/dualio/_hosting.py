"""Hold an ``async with`` open across portal calls, its ``__aenter__`` and ``__aexit__`` run by one task.

A sync ``with`` over an async context manager (``Portal.enter``, a twin's ``with``) cannot run its body inside
a coroutine: the body is the caller's sync code, between two portal calls. If each half ran as a call of its
own, ``__aexit__`` would run in another task than ``__aenter__``, and a context manager whose ``__aenter__``
opens a scope bound to its task breaks: an anyio task group or cancel scope raises "Attempted to exit cancel
scope in a different task than it was entered in" (coredis 6 clients, their pub/sub), an ``asyncio.TaskGroup``
or ``asyncio.timeout`` would cancel or wait for the wrong task.

So the call that runs ``__aenter__`` does not end with it: its task hands ``__aenter__``'s value to the waiting
caller (``Portal._deliver_early``) and stays suspended, holding the block, until the call that ends the block
tells it to leave; it then runs ``__aexit__`` itself and that call returns what ``__aexit__`` returned. As in
``async with``, one task runs both halves, in one context.

What changes for a caller, compared with two independent calls: nothing while the block runs normally. If a
scope that ``__aenter__`` opened cancels the holding task meanwhile (an anyio task group whose child task
failed), ``__aexit__`` runs at once with the ``CancelledError``, as it would in ``async with``, and the end of
the sync block raises what it raised. A portal that shuts down while a block is held cancels the holding task
the same way (its ``__aexit__`` runs) before draining the rest. Thread safety: a held block is ended by one
call, from any thread; a second end raises ``RuntimeError``.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from ._portal import Portal

__all__ = ("HeldBlock",)

T = TypeVar("T")
_ExcInfo = tuple[type[BaseException] | None, BaseException | None, TracebackType | None]


class HeldBlock(Generic[T]):
    """One ``async with async_cm`` held open by a task on the portal's loop; see the module docstring.

    ``enter_and_hold`` (or, once a coroutine has run ``__aenter__`` itself, ``hold``) runs in a portal call;
    ``leave`` in the call that ends the block. ``leave`` returns the outcome of the holding task, so the
    coroutine that the portal call runs must end by returning what ``hold`` returned.
    """

    __slots__ = ("_leave", "_task", "async_cm")

    def __init__(self, async_cm: AbstractAsyncContextManager[Any]) -> None:
        self.async_cm = async_cm
        self._task: asyncio.Task[Any] | None = None
        self._leave: asyncio.Future[_ExcInfo] | None = None

    async def enter_and_hold(self, portal: Portal) -> Any:
        """In a portal call: run ``__aenter__``, give its value to the caller and hold the block (see ``hold``)."""
        cm = self.async_cm
        value = await type(cm).__aenter__(cm)
        return await self.hold(portal, value)

    async def hold(self, portal: Portal, result: T) -> Any:
        """In the portal call's task that ran ``__aenter__``: finish the call with ``result`` now, then wait
        in this task for ``leave`` and run ``__aexit__`` here. Returns what ``__aexit__`` returned, to ``leave``;
        typed ``Any`` because the portal call that awaits this coroutine gets ``result``, not this."""
        leave = self._leave = asyncio.get_running_loop().create_future()
        self._task = asyncio.current_task()
        portal._deliver_early(result, self._stop)
        cm = self.async_cm
        try:
            exc_type, exc, tb = await leave
        except asyncio.CancelledError as cancelled:  # a scope of __aenter__ ended the block, or a shutdown
            if not await type(cm).__aexit__(cm, type(cancelled), cancelled, cancelled.__traceback__):
                raise
            return None
        return await type(cm).__aexit__(cm, exc_type, exc, tb)

    def _stop(self) -> None:
        """End a block that is still held (the portal shuts down): ``__aexit__`` gets a ``CancelledError``."""
        if self._leave is not None and not self._leave.done() and self._task is not None:
            self._task.cancel()

    async def leave(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        """In a portal call: have the holding task run ``__aexit__(exc_type, exc, tb)``; return its result.

        Cancelling this call (a timeout, Ctrl-C) cancels ``__aexit__``. A block that ended before (its task
        cancelled by a scope ``__aenter__`` opened) raises what ``__aexit__`` raised then, or returns False:
        that ``__aexit__`` never saw this outcome, so it suppresses nothing.
        """
        leave, task = self._leave, self._task
        if leave is None or task is None:
            raise RuntimeError(f"{type(self.async_cm).__qualname__}: the with block was never entered")
        if leave.cancelled():  # the block ended early; the task has finished or finishes __aexit__ now
            await task
            return False
        if leave.done():
            raise RuntimeError(f"{type(self.async_cm).__qualname__}: its with block was left already")
        leave.set_result((exc_type, exc, tb))
        return await task  # type: ignore[no-any-return]
