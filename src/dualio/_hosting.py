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


class HeldBlock(Generic[T]):
    """One ``async with async_cm`` held open by a task on the portal's loop; see the module docstring.

    ``enter_and_hold`` (or, once a coroutine has run ``__aenter__`` itself, ``hold``) runs in a portal call;
    the call that ends the block runs ``leave_call`` (or awaits ``leave`` inside a coroutine of its own).
    The holding task's outcome is the block's, so a coroutine that awaits ``hold`` must return what it returned.
    """

    __slots__ = ("_leave", "_portal", "_task", "async_cm")

    def __init__(self, async_cm: AbstractAsyncContextManager[Any]) -> None:
        self.async_cm = async_cm
        self._portal: Portal | None = None
        self._task: asyncio.Task[Any] | None = None
        self._leave: asyncio.Future[tuple[type[BaseException] | None, BaseException | None, Any, bool]] | None = None

    async def enter_and_hold(self, portal: Portal) -> Any:
        """In a portal call: run ``__aenter__``, give its value to the caller and hold the block (see ``hold``)."""
        cm = self.async_cm
        value = await type(cm).__aenter__(cm)
        return await self.hold(portal, value)

    async def hold(self, portal: Portal, result: T) -> Any:
        """In the portal call's task that ran ``__aenter__``: finish the call with ``result`` now, then wait
        in this task to be told to leave and run ``__aexit__`` here. Returns what ``__aexit__`` returned (typed
        ``Any``: the portal call that awaits this coroutine gets ``result``, not this)."""
        leave = self._leave = asyncio.get_running_loop().create_future()
        task = self._task = asyncio.current_task()
        self._portal = portal
        portal._deliver_early(result, self._stop)
        cm = self.async_cm
        try:
            exc_type, exc, tb, handed_over = await leave
        except asyncio.CancelledError as cancelled:  # a scope of __aenter__ ended the block, or a shutdown
            if not await type(cm).__aexit__(cm, type(cancelled), cancelled, cancelled.__traceback__):
                raise
            return None
        finally:
            portal._holders.pop(task, None)  # type: ignore[arg-type]  # not None inside a task; leaving now
        outcome = await type(cm).__aexit__(cm, exc_type, exc, tb)
        if handed_over:
            portal._deliver_early(outcome)  # the call that ends the block: finished now, not when this task ends
        return outcome

    def _stop(self) -> None:
        """End a block that is still held (the portal shuts down): ``__aexit__`` gets a ``CancelledError``."""
        if self._leave is not None and not self._leave.done() and self._task is not None:
            self._task.cancel()

    def _check_open(self) -> tuple[asyncio.Future[Any], asyncio.Task[Any]]:
        leave, task = self._leave, self._task
        if leave is None or task is None:
            raise RuntimeError(f"{type(self.async_cm).__qualname__}: the with block was never entered")
        if leave.done() and not leave.cancelled():
            raise RuntimeError(f"{type(self.async_cm).__qualname__}: its with block was left already")
        return leave, task

    async def leave_call(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        """As a portal call of its own: the holding task runs ``__aexit__(exc_type, exc, tb)`` and finishes this
        call with its result; the call's timeout or Ctrl-C cancels ``__aexit__``. This coroutine only hands the
        call over (``Portal._hand_over``): one loop iteration for the exit instead of three.

        A block that ended before (its task cancelled by a scope ``__aenter__`` opened) raises what ``__aexit__``
        raised then, or returns False: that ``__aexit__`` never saw this outcome, so it suppresses nothing.
        """
        leave, task = self._check_open()
        if leave.cancelled():
            await task
            return False
        leave.set_result((exc_type, exc, tb, True))
        assert self._portal is not None  # set with the task
        self._portal._hand_over(task)
        return None  # not the call's outcome: the holding task delivers that

    async def leave(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        """Inside a coroutine: have the holding task run ``__aexit__(exc_type, exc, tb)``; return its result.
        Cancelling the awaiting task cancels ``__aexit__``. An ended block: as ``leave_call``."""
        leave, task = self._check_open()
        if leave.cancelled():
            await task
            return False
        leave.set_result((exc_type, exc, tb, False))
        return await task  # type: ignore[no-any-return]
