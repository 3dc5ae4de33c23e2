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

The block's body runs in that task too. While a block is held, each blocking portal call that its thread makes
in the context that entered it (``run``, a twin's method, a step of ``iterate``, entering a nested block) is
handed to the holding task, which awaits the call's coroutine itself, as the next line of an ``async with``
block would run: a library that keys its state by task or by context variable (databases' connection per
``asyncio.current_task()``, tortoise's ``in_transaction()`` through a context variable) sees the body inside its
transaction. The call keeps its timeout and Ctrl-C: they cancel the holding task's await of that coroutine only
(the block stays held), and the caller gets the ``TimeoutError`` as for any call. A nested block is held by the
same task, and the calls of its body run there while it is open. Calls from other threads, calls of the same
thread in another context, and ``submit``, run in tasks of their own.

Which blocks a call is routed into is kept in a context variable (``_HELD``), set in the context that entered
the block, and read only in the thread that entered it. A thread pool that runs jobs for different requests on
one thread, each in a copy of its request's context (Starlette and FastAPI run a sync ``yield`` dependency's
start and end, and the route between, as separate jobs) thus routes no request's calls into another's block;
keyed by thread, they would be (wrong results, refused exits, hung requests).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Coroutine
from contextvars import Context, ContextVar, copy_context
from types import CoroutineType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from ._validate import named

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from ._calls import BlockingCall, _Call
    from ._portal import Portal

__all__ = ("HeldBlock", "held_here", "route", "start_holding")

_CANCELLED_BY_CALL = ("timeout", "interrupt")  # a routed call's own cancellation: the block stays held

T = TypeVar("T")


class HeldBlock(Generic[T]):
    """One ``async with async_cm`` held open by a task on the portal's loop; see the module docstring.

    ``enter_and_hold`` (or, once a coroutine has run ``__aenter__`` itself, ``hold``) runs in a portal call;
    the call that ends the block runs ``leave_call`` (or awaits ``leave`` inside a coroutine of its own).
    The holding task's outcome is the block's, so a coroutine that awaits ``hold`` must return what it returned.
    """

    __slots__ = (
        "_entered_context",
        "_exited",
        "_leave",
        "_outer",
        "_portal",
        "_sent",
        "_task",
        "_wake",
        "_work",
        "async_cm",
        "owner",
        "serving",
    )

    def __init__(self, async_cm: AbstractAsyncContextManager[Any]) -> None:
        self.async_cm = async_cm
        self._portal: Portal | None = None
        self._task: asyncio.Task[Any] | None = None
        self._leave: asyncio.Future[tuple[type[BaseException] | None, BaseException | None, Any, bool]] | None = None
        # Calls routed here, not run yet, each with the context variables its thread changed (``route``).
        self._work: deque[tuple[Coroutine[Any, Any, Any], _Call, dict[ContextVar[Any], Any]]] = deque()
        self._outer: HeldBlock[Any] | None = None  # the block its task held when it entered this one
        self._entered_context: Context | None = None  # the holding thread's, when the block was entered
        self._sent: dict[ContextVar[Any], Any] = {}  # the thread's changes to it handed to the task so far
        self._wake: asyncio.Future[None] | None = None  # set while the task waits for work or the end
        self._exited = False  # a routed call ran __aexit__ in this task (``leave``)
        self.serving = False  # held: calls may be routed here
        self.owner: threading.Thread | None = None  # the thread whose calls are routed here (``start_holding``)

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
        assert task is not None  # inside a portal call's task
        self._portal = portal
        self.serving = True
        self._outer = _innermost.get(task)
        _innermost[task] = self
        outermost = task not in portal._holders  # a nested block is held by its outer block's task: stop that
        portal._deliver_early(result, self._stop if outermost else None, held=self)
        cm = self.async_cm
        try:
            left = await self._serve(portal, task, leave)
        except asyncio.CancelledError as cancelled:  # a scope of __aenter__ ended the block, or a shutdown
            if not leave.done():
                leave.cancel()  # what ending the block later finds (``leave_call``)
            self._stop_serving(portal, task)
            if not await type(cm).__aexit__(cm, type(cancelled), cancelled, cancelled.__traceback__):
                raise
            return None
        self._stop_serving(portal, task)
        if left is None:  # a routed call of the block's thread ran __aexit__ here already (``leave``)
            return None
        exc_type, exc, tb, handed_over = left
        try:
            outcome = await type(cm).__aexit__(cm, exc_type, exc, tb)
        except BaseException as error:
            call = portal._calls.get(task) if handed_over else None
            own_cancellation = isinstance(error, asyncio.CancelledError) and call is not None and call.cancel_reason
            if call is None or (isinstance(error, asyncio.CancelledError) and not own_cancellation):
                raise
            if own_cancellation:
                task.uncancel()
            # The call that ends the block gets the error now: this task may go on holding an outer block.
            portal._finish_early(None, error, cancelled=bool(own_cancellation))
            return None
        if handed_over:
            portal._deliver_early(outcome)  # the call that ends the block: finished now, not when this task ends
        return outcome

    async def _serve(
        self, portal: Portal, task: asyncio.Task[Any], leave: asyncio.Future[Any]
    ) -> tuple[type[BaseException] | None, BaseException | None, Any, bool] | None:
        """Run the calls routed to this block, in order, until it is told to leave; return how it was left
        (None: a routed call ran ``__aexit__`` already)."""
        work = self._work
        while True:
            while work:
                coro, call, changes = work.popleft()
                for variable, value in changes.items():  # what the thread set since it entered the block
                    variable.set(value)
                await self._run_routed(portal, task, coro, call)
            if leave.done():
                return None if self._exited else leave.result()
            wake = self._wake = task.get_loop().create_future()
            try:
                await wake
            finally:
                self._wake = None

    async def _run_routed(
        self, portal: Portal, task: asyncio.Task[Any], coro: Coroutine[Any, Any, Any], call: _Call
    ) -> None:
        """Await a routed call's coroutine in this task and finish the call with its outcome. Its timeout or
        Ctrl-C cancels only this await; a nested block it entered finished the call already (it holds on here)."""
        try:
            result = await coro
        except asyncio.CancelledError:
            if portal._calls.get(task) is not call:
                raise
            if call.cancel_reason not in _CANCELLED_BY_CALL:  # the block itself is cancelled (a scope, a shutdown)
                error = portal._cancellation_error(call)
                error.add_note(
                    f"the with block of {type(self.async_cm).__qualname__} whose task ran it was cancelled (by a "
                    "scope its __aenter__ opened, or a shutdown), as the awaits of an `async with` body are: the "
                    "block's end raises why"
                )
                portal._finish_early(None, error)
                raise
            task.uncancel()
            portal._finish_early(None, None, cancelled=True)
        except Exception as error:
            if portal._calls.get(task) is not call:
                raise
            portal._finish_early(None, error)
        else:
            if portal._calls.get(task) is call:
                if call.cancel_reason in _CANCELLED_BY_CALL and task.cancelling():
                    task.uncancel()  # it swallowed its cancellation; the block is not cancelled (TimeoutError)
                portal._finish_early(result, None)

    def _stop_serving(self, portal: Portal, task: asyncio.Task[Any]) -> None:
        """The block ends: no call is routed here any more (calls routed but not run yet get a RuntimeError)."""
        self.serving = False
        self._entered_context, self._sent = None, {}  # what the thread's context held then: not kept past the end
        if _innermost.get(task) is self:
            if self._outer is None:
                del _innermost[task]
            else:
                _innermost[task] = self._outer
        if portal._holders.get(task) == self._stop:  # the outermost block of its task (see ``hold``)
            del portal._holders[task]
        while self._work:  # routed, not run: the block was cancelled meanwhile (a scope, a shutdown)
            coro, call, _ = self._work.popleft()
            name, block = getattr(coro, "__qualname__", coro), type(self.async_cm).__qualname__
            error = RuntimeError(
                f"{name} did not run: the with block of {block} that this thread holds ended first (its task was "
                "cancelled, by a scope its __aenter__ opened or a shutdown)"
            )
            coro.close()
            if portal._calls.get(task) is call:
                portal._finish_early(None, error)
            else:
                portal._finish(call, None, error)

    async def routed(self, coro: Coroutine[Any, Any, Any], changes: dict[ContextVar[Any], Any]) -> Any:
        """The first step of a call from the thread that holds this block (``route``): hand the call to the
        holding task, which awaits ``coro`` and finishes the call. A block that ended meanwhile: ``coro`` runs
        here, as any call."""
        if not self.serving:
            return await coro
        portal, task = self._portal, self._task
        assert portal is not None  # set before serving
        assert task is not None
        call = portal._hand_over(task)
        self._work.append((coro, call, changes))
        self._notify()
        return None  # not the call's outcome: the holding task delivers it

    def _thread_changes(self, context: Context) -> dict[ContextVar[Any], Any]:
        """In the holding thread: the context variables ``context`` (a copy of the thread's, taken for a call)
        has set otherwise than when the block was entered, and not yet handed to the holding task as they are
        now. A body call sees them, as a call outside a block sees the thread's variables (a request id, a
        tenant); what the block's ``__aenter__`` and body calls set stays in the task."""
        entered, sent = self._entered_context, self._sent
        if entered is None:
            return {}
        changes = {
            variable: value
            for variable, value in context.items()
            if (entered.get(variable, _UNSET) is not value or variable in sent)
            and sent.get(variable, _UNSET) is not value
        }
        sent.update(changes)
        return changes

    def _notify(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

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
        self.check_can_end()
        return leave, task

    def check_can_end(self) -> None:
        """Raise ``RuntimeError`` if a block entered inside this one, held by the same task, is still open: the
        task is inside that block, as in nested ``async with`` blocks, and could not end this one first (it would
        hang). Callable from any thread: the ends of ``with`` call it before they let go of the block."""
        task = self._task
        inner = _innermost.get(task) if task is not None and self.serving else None
        if inner is not None and inner is not self:
            raise RuntimeError(
                f"the with block of {type(self.async_cm).__qualname__} cannot end before the with block of "
                f"{type(inner.async_cm).__qualname__} entered inside it, which is still open: one task holds both, "
                "as in nested `async with` blocks; end the inner block first (an ExitStack ends them in reverse "
                "order)"
            )

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
        self._notify()
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
        if asyncio.current_task() is task:  # a call of the block's own thread, routed here: exit in this task
            self._exited = True
            cm = self.async_cm
            return await type(cm).__aexit__(cm, exc_type, exc, tb)
        self._notify()
        return await task  # type: ignore[no-any-return]


def start_holding(held: HeldBlock[Any]) -> None:
    """In the thread whose call ``held`` answered early, in its context: route the later calls this thread makes in
    this context to the block's task (blocks that ended are dropped from the context's list on the way)."""
    if held.serving:
        held.owner = threading.current_thread()
        open_blocks = tuple(block for block in _HELD.get() if block.serving)
        _HELD.set(open_blocks)  # first: the copy below must not keep an ended block (each held the one before it:
        held._entered_context = copy_context()  # a chain of every response of a status-only loop)
        _HELD.set((*open_blocks, held))


def route(call: BlockingCall, portal: Portal) -> None:
    """Have ``call`` run in the task of the innermost open block of ``portal`` that this thread holds in this
    context (``_HELD``), if any; blocks that ended meanwhile are dropped from the context's list. The call that
    ends a block (``leave_call``) is not routed: the holding task runs it when told to leave."""
    held = _HELD.get()
    open_blocks = tuple(block for block in held if block.serving)
    if len(open_blocks) != len(held):
        _HELD.set(open_blocks)
        # The copy of the context taken for this call too: its task keeps it, and an ended block in it keeps
        # that block's task and so its context, which held the block before: a chain of every block a thread
        # ever entered (the responses of a loop of `with s.get(url) as r:` checking r.status only).
        with contextlib.suppress(RuntimeError):  # entered elsewhere (never for a fresh copy): left as it is
            call.context.run(_HELD.set, open_blocks)
    me = threading.current_thread()
    innermost = next((b for b in reversed(open_blocks) if b._portal is portal and b.owner is me), None)
    original = call.coro
    if innermost is None or original.cr_code is _LEAVE_CALL:
        return  # no block of this portal held here (another thread's, or a copy of its context in a pool thread)
    changes = innermost._thread_changes(call.context)
    routed = named(innermost.routed(original, changes), original.__qualname__)  # errors name the call
    call.coro = cast("CoroutineType[Any, Any, Any]", routed)


_LEAVE_CALL = HeldBlock.leave_call.__code__
_UNSET = object()
# The blocks held in this context, innermost last (``start_holding``, ``route``): the context that entered them.
_HELD: ContextVar[tuple[HeldBlock[Any], ...]] = ContextVar("dualio_held_blocks", default=())
# The innermost block each holding task holds now (a nested block is held by its outer block's task).
_innermost: dict[asyncio.Task[Any], HeldBlock[Any]] = {}


def held_here() -> bool:
    """Whether this context holds a block (of any portal, maybe ended): the cheap check before ``route``."""
    return bool(_HELD.get())
