"""The portal: an asyncio event loop on a thread of its own, and the ways sync code calls into it.

Life cycle: ``new`` (no thread yet) -> ``running`` (started on first use or by ``start()``/``with``) ->
``closing`` (``shutdown()`` is draining) -> ``closed``. A forked child marks every inherited portal closed.

Hot path (see docs/portal.md, "How it is fast"): a call is appended to a deque and the loop is woken only if
no wake-up is already pending, so one wake-up carries every call queued meanwhile. On the loop, each call's coroutine
becomes a task whose first step runs at once (``_eager.start_task``); a coroutine that finishes without
suspending is settled in that same callback, and the blocking caller waits on a plain lock.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import contextvars
import functools
import inspect
import itertools
import logging
import math
import os
import threading
import warnings
import weakref
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from time import monotonic as _monotonic
from types import CoroutineType, FrameType, TracebackType
from typing import Any, Final, NamedTuple, Self, TypeVar, TypeVarTuple, Unpack, overload

from . import _adapters
from ._as_running import run_as_running_loop
from ._calls import BlockingCall, CancelReason, FutureCall, _Call, where_suspended
from ._eager import default_loop_factory, start_task
from ._exits import drain_on_exit
from ._foreign_loop import note_foreign_loop, note_object_of_another_loop
from ._future import PortalFuture
from ._hosting import HeldBlock, held_here, route, start_holding
from ._lending import DRIVEN, LoopLender
from ._policy import RunningLoopPolicy, check_policy, loop_suspended_elsewhere, report_blocking_call
from ._shared_only import SharedOnly
from ._stats import PortalStatistics
from ._thread_work import install, waiting_thread_for
from ._validate import check_timeout, discard, to_coroutine
from .errors import DeadlockError, InvalidTimeoutError, PortalClosedError

__all__ = ("Portal",)

T = TypeVar("T")
E = TypeVar("E", bound=bool | None)  # what an async context manager's __aexit__ returns
Ts = TypeVarTuple("Ts")
LoopFactory = Callable[[], asyncio.AbstractEventLoop]

logger = logging.getLogger("dualio")

_NEW: Final = "new"
_RUNNING: Final = "running"
_CLOSING: Final = "closing"
_CLOSED: Final = "closed"

_get_running_loop = asyncio._get_running_loop
_get_ident = threading.get_ident
_copy_context = contextvars.copy_context
_portal_numbers = itertools.count(1)
_live_portals: weakref.WeakSet[Portal] = weakref.WeakSet()


class CallHint(NamedTuple):
    """How a refused or reported blocking call is named, and what its caller should do instead."""

    api: str  # the call as its caller wrote it, without the parentheses ("Client.get")
    on_loop: str  # what to do instead, for a call refused on the portal's own loop thread
    elsewhere: str  # ... for a call reported because the caller's own event loop is running
    frame: FrameType | None  # where the search for the caller's own code starts (None: at the call)


# Installed by dualio.twin: describes the blocking call being checked if a sync twin method made it, else None.
# Called only when a blocking call is refused or reported, never on the way of a normal call.
call_hint: Callable[[], CallHint | None] | None = None


class Portal(SharedOnly):
    """An event loop on a daemon thread of its own, for calling async code from sync code.

    Create one, use it, and shut it down; or use it as a context manager, which starts the thread on entry and
    drains and joins it on exit. The thread also starts by itself on first use, and every portal still running
    at interpreter exit is drained and shut down then (like ``concurrent.futures.ThreadPoolExecutor``).

    Args:
        name: names the thread and appears in errors and logs.
        loop_factory: makes the event loop (for example ``uvloop.new_event_loop``); default: the stdlib
            asyncio loop (on Python 3.11, a subclass of it that starts tasks eagerly, see ``_eager``).
        running_loop_policy: what a blocking call does when its caller's own event loop is running (inside
            ``async def``, a Jupyter cell): ``"allow"``, ``"warn"`` (a ``BlockingCallWarning`` once per call
            site; the default) or ``"raise"`` (``BlockingCallError``). The call works in every case.
        drain_timeout: seconds that ``shutdown()`` and interpreter exit give pending work before cancelling it.
        cancel_grace: seconds a cancelled task gets to run its cleanup (``finally``, ``__aexit__``) before a
            waiting caller gives up on it: after a timeout, after Ctrl-C, and at shutdown.
        lend_loop: a blocking call runs the loop in the calling thread while the portal's thread waits, instead
            of waking that thread and waiting for it (see docs/portal.md, "Lending the loop"). Faster for
            runs of blocking calls; between calls, background timers and I/O wait up to ``lend_grace``, and
            coroutines run in more than one thread. Default off; settable at any time.
        lend_grace: seconds the portal's thread leaves its loop lent after a blocking call gave it back
            before it takes it back (``submit()``, cancellations and shutdown take it back at once).

    All methods are thread-safe. Loop-bound objects created by coroutines on this portal (connection pools,
    client sessions) belong to its loop: keep using them through the same portal.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        loop_factory: LoopFactory | None = None,
        running_loop_policy: RunningLoopPolicy = "warn",
        drain_timeout: float = 5.0,
        cancel_grace: float = 2.0,
        lend_loop: bool = False,
        lend_grace: float = 0.002,
    ) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Portal name must be a str or None, got {type(name).__name__} {name!r}")
        if loop_factory is not None and not callable(loop_factory):
            raise TypeError(f"loop_factory must be a callable returning an event loop, got {loop_factory!r}")
        self.name: str = name or f"dualio-portal-{next(_portal_numbers)}"
        self.running_loop_policy = running_loop_policy
        self.drain_timeout = drain_timeout
        self.cancel_grace = cancel_grace
        self.lend_loop = lend_loop
        self.lend_grace = lend_grace
        self._lender: LoopLender | None = None
        self._when_dropped: weakref.finalize[Any, Any] | None = None  # stops the loop of a portal dropped unclosed
        self._loop_factory = loop_factory
        self._state: str = _NEW
        self._forked = False
        self._abandoned = False  # shut down, but its loop never stopped: not waited for again
        self._shut_at_exit = False  # shut down by the interpreter's exit: calls still coming are from threads left
        self._last_interrupt_delivered: BaseException | None = None
        self._stop_requested = False
        self._lock = threading.Lock()
        self._queue: deque[_Call] = deque()
        self._wakeup_pending = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._thread_id: int | None = None
        self._calls: dict[asyncio.Task[None], _Call] = {}
        self._starting: _Call | None = None  # the call whose task's first step ``_drain`` runs now
        self._resume_now: asyncio.Task[Any] | None = None  # a holder ``_hand_over`` woke from a first step
        # Tasks that delivered their call's result early and go on (``_hosting``): task -> what stops it at close.
        self._holders: dict[asyncio.Task[Any], Callable[[], object]] = {}
        # The blocks each thread holds open now, innermost last: that thread's calls run in the innermost's task.
        self._failed_futures: weakref.WeakSet[PortalFuture[Any]] = weakref.WeakSet()
        self._closer: asyncio.Task[None] | None = None
        # Counters for statistics(). Written on the loop thread; the lock makes a snapshot exact, so that
        # submitted == pending + completed + failed + cancelled holds in every snapshot.
        self._counts_lock = threading.Lock()
        self._started = self._completed = self._failed = self._cancelled = 0

    # -- settings ------------------------------------------------------------------------------------------

    @property
    def running_loop_policy(self) -> RunningLoopPolicy:
        """``"allow"``, ``"warn"`` or ``"raise"``: see the class docstring. Settable at any time."""
        return self._running_loop_policy

    @running_loop_policy.setter
    def running_loop_policy(self, policy: RunningLoopPolicy) -> None:
        self._running_loop_policy = check_policy(policy)

    @property
    def drain_timeout(self) -> float:
        """Seconds ``shutdown()`` gives pending work before cancelling it (``math.inf``: no limit)."""
        return self._drain_timeout

    @drain_timeout.setter
    def drain_timeout(self, seconds: float) -> None:
        checked = check_timeout(seconds, "Portal.drain_timeout")
        self._drain_timeout = math.inf if checked is None else checked

    @property
    def cancel_grace(self) -> float:
        """Seconds a cancelled task gets for its cleanup before a waiting caller moves on."""
        return self._cancel_grace

    @cancel_grace.setter
    def cancel_grace(self, seconds: float) -> None:
        checked = check_timeout(seconds, "Portal.cancel_grace")
        self._cancel_grace = threading.TIMEOUT_MAX if checked is None else min(checked, threading.TIMEOUT_MAX)

    @property
    def lend_loop(self) -> bool:
        """Whether blocking callers run the loop in their own thread; see the class docstring."""
        return self._lend_loop

    @lend_loop.setter
    def lend_loop(self, lend: bool) -> None:
        self._lend_loop = check_lend_loop(lend)

    @property
    def lend_grace(self) -> float:
        """Seconds a lent loop stays lent, idle, before the portal's thread takes it back (0 < seconds <= 1)."""
        return self._lend_grace

    @lend_grace.setter
    def lend_grace(self, seconds: float) -> None:
        self._lend_grace = check_lend_grace(seconds)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The portal's event loop (the portal is started if it was new). Use it only with thread-safe calls.

        On a portal that lends its loop, ``loop.call_soon_threadsafe`` from another thread may wait up to
        ``lend_grace`` seconds while the loop is lent and idle; ``submit()`` does not wait."""
        if self._state is not _RUNNING:
            self.start()
        assert self._loop is not None
        return self._loop

    @property
    def closed(self) -> bool:
        """True once ``shutdown()`` began (or in a forked child); a closed portal takes no more work."""
        return self._state is _CLOSING or self._state is _CLOSED

    # -- blocking calls ------------------------------------------------------------------------------------

    @overload
    def run(self, aw: Awaitable[T], /, *, timeout: float | None = None) -> T: ...
    @overload
    def run(self, fn: Callable[[Unpack[Ts]], Awaitable[T]], /, *args: *Ts, timeout: float | None = None) -> T: ...
    def run(self, aw_or_fn: Any, /, *args: Any, timeout: float | None = None) -> Any:  # type: ignore[misc]  # mypy: TypeVarTuple overloads
        """Run a coroutine (or an async function with ``args``) on the portal's loop and return its result.

        Blocks the calling thread until the coroutine finishes. The caller's ``contextvars`` are copied in;
        changes made by the coroutine do not flow back.

        Raises:
            TimeoutError: ``timeout`` seconds passed. The task was cancelled on the loop and its cleanup
                awaited for up to ``cancel_grace`` seconds first.
            KeyboardInterrupt: Ctrl-C in the waiting thread; the task is cancelled and its cleanup awaited
                for up to ``cancel_grace`` seconds (a second Ctrl-C stops waiting).
            DeadlockError: called on the portal's own loop thread; ``await`` instead.
            PortalClosedError: the portal was shut down, or shut down while the coroutine ran.
            TypeError: not an awaitable or async function, a coroutine already awaited, or a bad timeout.
            Whatever the coroutine raised, with its own traceback.
        """
        try:
            if timeout is not None:
                timeout = check_timeout(timeout, "run")
            if _get_ident() == self._thread_id or _get_running_loop() is not None:  # rare: check only then
                self._check_blocking_call("run")
        except BaseException:
            discard(aw_or_fn)
            raise
        if type(aw_or_fn) is not CoroutineType:
            self._check_future_loop(aw_or_fn, "run")
        call = BlockingCall(to_coroutine(aw_or_fn, args, "run"), _copy_context(), timeout)
        self._call_and_wait(call)
        error = call.exception
        if error is None:
            return call.result
        self._note_object_of_another_loop(error)  # names the object and its portal, if it finds them
        if isinstance(error, Exception):  # asyncio's words about another loop, in it or in its cause: a note
            made_before = type(aw_or_fn) is not CoroutineType and hasattr(type(aw_or_fn), "__await__")
            note_foreign_loop(error, self.name, aw_or_fn if made_before else None)
        try:
            raise error
        finally:
            del error, call

    def _run_in_context(
        self,
        context: contextvars.Context,
        fn: Callable[..., Awaitable[T]] | Coroutine[Any, Any, T],
        *args: Any,
        timeout: float | None = None,
        api: str = "iterate/enter",
    ) -> T:
        """Like :meth:`run`, but inside ``context``: the steps of one ``iterate``/``enter`` share a context.

        ``api`` names the public call in error messages (a twin method's call is ``run``). ``fn`` may also be
        a coroutine object that dualio's own code has just made (no ``args``): taken as it is, unchecked, and
        closed if the call is refused."""
        try:
            self._check_blocking_call(api)
        except BaseException:
            discard(fn)
            raise
        coro = fn if type(fn) is CoroutineType else to_coroutine(fn, args, api)
        call = BlockingCall(coro, context, timeout)
        self._call_and_wait(call)
        if call.exception is not None:
            raise call.exception
        return call.result  # type: ignore[return-value]

    def iterate(self, async_iterable: AsyncIterable[T], *, timeout: float | None = None) -> Iterator[T]:
        """Iterate over an async iterable from sync code; each item is fetched on the portal's loop.

        ``timeout`` limits the wait for each item (``TimeoutError`` as in :meth:`run`). A step that times out
        or fails leaves the iteration where it was, as ``anext()`` does: a later ``next()`` asks the async
        iterator again (an async generator is finished by the error, so that gives ``StopIteration``). Breaking
        out of the loop, an error in its body, closing or dropping the iterator before its end ``aclose()``s
        the async iterator on the loop. All steps run in
        one copy of the caller's context, taken here, so context variables set by the async iterator between
        items persist, as they would under ``async for``.
        """
        return _adapters.iterate(self, async_iterable, timeout)

    def enter(self, async_cm: AbstractAsyncContextManager[T, E]) -> AbstractContextManager[T, E]:
        """Return a sync context manager that runs ``__aenter__``/``__aexit__`` of ``async_cm`` on the loop.

        An exception raised in the ``with`` body is passed to ``__aexit__``, which may suppress it. Both halves
        run in one task, as in ``async with`` (the task that runs ``__aenter__`` holds the block until its end:
        an anyio task group or cancel scope entered there can close), and in one copy of the caller's context,
        taken here, so a context variable set in ``__aenter__`` can be reset in ``__aexit__``. A portal that shuts
        down while the block is open runs ``__aexit__`` with a ``CancelledError`` first. The ``with`` body itself
        runs in the calling thread: an async timeout entered this way cannot interrupt it.
        """
        return _adapters.enter(self, async_cm)

    # -- fire and forget -----------------------------------------------------------------------------------

    @overload
    def submit(self, aw: Awaitable[T], /, *, timeout: float | None = None) -> PortalFuture[T]: ...
    @overload
    def submit(
        self, fn: Callable[[Unpack[Ts]], Awaitable[T]], /, *args: *Ts, timeout: float | None = None
    ) -> PortalFuture[T]: ...
    def submit(self, aw_or_fn: Any, /, *args: Any, timeout: float | None = None) -> PortalFuture[Any]:  # type: ignore[misc]  # mypy: TypeVarTuple overloads
        """Start a coroutine on the portal's loop and return a ``concurrent.futures.Future`` of its result.

        Never blocks, so it may be called from any thread, the loop's own included. The portal keeps the task
        until it is done; an exception nobody retrieved is logged; at shutdown and at interpreter exit pending
        work is drained for ``drain_timeout`` seconds, then cancelled and reported. With ``timeout`` the task
        is cancelled on the loop when it passes and the future ends with ``TimeoutError``.
        """
        try:
            if timeout is not None:
                timeout = check_timeout(timeout, "submit")
        except BaseException:
            discard(aw_or_fn)
            raise
        if type(aw_or_fn) is not CoroutineType:
            self._check_future_loop(aw_or_fn, "submit")
        future: PortalFuture[Any] = PortalFuture(self)
        call = FutureCall(to_coroutine(aw_or_fn, args, "submit"), _copy_context(), timeout, future)
        future._call = call
        self._enqueue(call)
        return future

    # -- life cycle ----------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the loop thread if it is not running yet, and return the portal.

        Raises ``PortalClosedError`` if the portal was shut down, and whatever ``loop_factory`` raised.
        """
        with self._lock:
            if self._state is _RUNNING:
                return self
            if self._state is not _NEW:
                raise PortalClosedError(self._closed_message())
            ready = threading.Event()
            errors: list[BaseException] = []
            thread = threading.Thread(
                target=_serve, args=(weakref.ref(self), ready, errors), name=self.name, daemon=True
            )
            thread.start()
            ready.wait()
            if errors:  # loop_factory failed: stay new, so the next use retries and shows the real error
                thread.join()
                raise errors[0]
            self._thread = thread
            self._state = _RUNNING
            _live_portals.add(self)
        drain_on_exit(_shutdown_all_at_exit)  # also where a process ends with os._exit() (``_exits``)
        return self

    def shutdown(self, timeout: float | None = None) -> None:
        """Let pending work finish, cancel what is left, stop the loop and join its thread.

        ``timeout``: seconds to let pending work finish, default ``drain_timeout``; ``math.inf`` waits for
        ever. Tasks still pending then are cancelled, given ``cancel_grace`` seconds for their cleanup, and
        logged as a warning (logger ``"dualio"``) with where each was suspended. Blocked ``run()`` callers of
        cancelled tasks get ``PortalClosedError``; cancelled futures raise ``CancelledError``. Idempotent.
        Raises ``DeadlockError`` when called from the portal's own loop thread.
        """
        drain = self.drain_timeout if timeout is None else check_timeout(timeout, "shutdown")
        self._check_blocking_shutdown()
        self._shutdown(math.inf if drain is None else drain, at_exit=False)

    def statistics(self) -> PortalStatistics:
        """Return a snapshot of the portal's task counters (see :class:`~dualio.PortalStatistics`)."""
        with self._counts_lock:
            submitted = self._started + len(self._queue)
            completed, failed, cancelled = self._completed, self._failed, self._cancelled
        return PortalStatistics(
            name=self.name,
            running=self._state is _RUNNING,
            tasks_pending=submitted - completed - failed - cancelled,
            tasks_submitted=submitted,
            tasks_completed=completed,
            tasks_failed=failed,
            tasks_cancelled=cancelled,
        )

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"<Portal {self.name!r} {self._state}>"

    def _dualio_why_not_copied(self, how: str) -> str:
        return (
            f"portal {self.name!r} cannot be {how}: it owns an event loop and the thread that runs it, in this "
            "process. Share the portal itself (it is thread-safe), or make a Portal in the other process"
        )

    # -- caller side -----------------------------------------------------------------------------------------

    def _on_loop_thread(self) -> bool:
        """Tell whether the current thread runs this portal's loop: its own thread, or a caller it is lent to (not a
        greenlet of the same OS thread while the loop's greenlet is suspended: gevent's threads)."""
        if _get_ident() == self._thread_id:
            return True
        loop = self._loop
        return loop is not None and _get_running_loop() is loop and not loop_suspended_elsewhere(loop, *_LOOP_CODES)

    def _loop_runner(self) -> int | None:
        """The thread running the loop now, as far as the portal knows: its own, or a borrowing caller's."""
        lender = self._lender
        if lender is not None and lender.owner is DRIVEN:
            return lender.driver
        return self._thread_id

    def _refuse_loop_thread(self, api: str, hint: CallHint | None = None) -> None:
        """Raise ``DeadlockError`` if the current thread runs this portal's loop."""
        if self._on_loop_thread():
            raise DeadlockError(
                f"{hint.api if hint else api}() was called on the event-loop thread of portal {self.name!r}, "
                "which is the thread that would have to run what it waits for: it would never return. "
                + (hint.on_loop if hint else "Inside a coroutine, await instead (or use submit() and do not wait)")
            )

    def _check_blocking_call(self, api: str) -> None:
        """Refuse a blocking call on the loop thread; apply the policy when the caller's own loop runs."""
        running = _get_running_loop()
        if running is None and _get_ident() != self._thread_id:
            return  # the common case: no loop runs in this thread
        if self._running_loop_policy == "allow" and not self._on_loop_thread():
            return
        hint = call_hint() if call_hint is not None else None
        self._refuse_loop_thread(api, hint)
        if running is not None and loop_suspended_elsewhere(running):
            return  # marked running by a library's greenlet (Playwright's sync API), blocked by nothing here
        if hint is None:
            report_blocking_call(self._running_loop_policy, api)
        else:
            report_blocking_call(self._running_loop_policy, hint.api, hint.elsewhere, hint.frame)

    def _check_blocking_shutdown(self) -> None:
        """Refuse ``shutdown()`` on the loop thread; apply the policy when the caller's own loop runs and the
        portal has a loop to stop (waiting for its drain blocks the caller's loop as a call does)."""
        self._refuse_loop_thread("shutdown")
        if self._state is not _RUNNING or self._running_loop_policy == "allow":
            return
        running = _get_running_loop()
        if running is None or loop_suspended_elsewhere(running):
            return
        report_blocking_call(
            self._running_loop_policy,
            "shutdown",
            "Stop it from a worker thread instead: await asyncio.to_thread(dualio.shutdown), or "
            "asyncio.to_thread(portal.shutdown) for a Portal of your own",
        )

    def _enqueue(self, call: _Call, *, lent: bool = False, drained_by_caller: bool = False) -> None:
        """Queue ``call`` for the loop. ``lent``: the calling thread has borrowed the loop and is about to run it,
        so it schedules the drain itself, without writing to the loop's wake-up socket. ``drained_by_caller``
        (with ``lent``): it runs ``_drain`` itself at once (``_as_running``), so nothing is scheduled."""
        if self._state is not _RUNNING:
            try:
                self.start()
            except BaseException:
                discard(call.coro)
                raise
        call.queued = True  # first: an interruption between these lines costs a caller a grace wait, never a call
        self._queue.append(call)
        if not self._wakeup_pending and not drained_by_caller:
            self._wakeup_pending = True
            try:
                if lent:
                    self._loop.call_soon(self._drain)  # type: ignore[union-attr]
                else:
                    self._loop.call_soon_threadsafe(self._drain)  # type: ignore[union-attr]
            except RuntimeError:
                pass  # the loop closed meanwhile: the sweep below finishes the call
            if self._lender is not None and not lent:
                self._lender.wake()
        if self._state is _CLOSED:
            self._sweep()

    def _check_future_loop(self, aw: object, api: str) -> None:
        """Refuse an asyncio future of another event loop, which the portal's loop cannot await (asyncio would
        say only "attached to a different loop"): made by a sync def in the caller's thread (zmq.asyncio's
        ``sock.recv()``), it belongs to whatever loop that thread had or got."""
        if not asyncio.isfuture(aw):
            return
        if aw.get_loop() is self._loop:
            return
        raise RuntimeError(
            f"{api}() got {type(aw).__name__} {aw!r}, a future of another event loop than the one of portal "
            f"{self.name!r} (made in this thread, outside the portal: a sync def of a loop-bound object, as "
            "zmq.asyncio's sock.recv(), makes its future on the calling thread's loop); the portal's loop cannot "
            "await it. Make it on the portal: async def call(): return await sock.recv(), then run(call())"
        )

    def _call_and_wait(self, call: BlockingCall) -> None:
        """Queue ``call`` and block until it finishes; on timeout or Ctrl-C cancel it and wait ``cancel_grace``.

        While this thread holds an ``async with`` open (``_hosting``), the call runs in the task that holds it,
        as a line of an ``async with`` block runs in the task that entered it."""
        if held_here():  # one context variable read: nothing else unless a block is held in this context
            route(call, self)
        waiting = waiting_thread_for(call.context)  # asgiref may send work here: run it while waiting
        lender = self._lender
        if self._lend_loop and lender is not None and waiting is None:
            try:
                borrowed = lender.try_borrow(call)
            except BaseException:  # TimeoutError, or Ctrl-C while the loop's thread was asked for it
                discard(call.coro)
                raise
            if borrowed:
                lender.drive(call)
                if call.held is not None:
                    start_holding(call.held)
                return
        done = call.done
        try:
            if waiting is not None:
                call.thread_work = waiting
                limit = None if call.timeout is None else call.timeout + self._cancel_grace
                finished = waiting.wait(call, limit, start=functools.partial(self._enqueue, call))
            else:
                self._enqueue(call)
                limit = None if call.timeout is None else min(call.timeout + self._cancel_grace, threading.TIMEOUT_MAX)
                finished = _wait_for(done, limit)
        except BaseException:  # KeyboardInterrupt (Ctrl-C), or another exception raised in this thread
            if call.queued and not call.settled:  # (an exception that landed once it finished: nothing to wait for)
                self._cancel_soon(call, "interrupt")
                if waiting is not None:
                    waiting.wait(call, self._cancel_grace)
                else:
                    done.acquire(timeout=self._cancel_grace)
            else:
                discard(call.coro)
            raise
        if not finished:
            self._cancel_soon(call, "timeout")
            raise self._gave_up_error(call)
        if call.held is not None:
            start_holding(call.held)

    def _gave_up_error(self, call: _Call) -> TimeoutError:
        return TimeoutError(
            f"{call.coro.__qualname__} did not finish within {call.timeout:g} s and did not end within "
            f"{self._cancel_grace:g} s of being cancelled; it may still be running on portal {self.name!r}"
        )

    def _cancel_soon(self, call: _Call, reason: CancelReason) -> None:
        """Ask the loop to cancel ``call``'s task; safe from any thread, a no-op once the loop is gone."""
        loop = self._loop
        if loop is None or self._state is _CLOSED:
            return
        try:
            loop.call_soon_threadsafe(self._cancel_call, call, reason)
        except RuntimeError:
            pass  # the loop is closed: the call was finished by shutdown
        if self._lender is not None:
            self._lender.wake()

    def _sweep(self) -> None:
        """Finish every queued call with ``PortalClosedError``; used once the loop can no longer run them."""
        while True:
            with self._counts_lock:  # counted as submitted and cancelled, never started on the loop
                try:
                    call = self._queue.popleft()
                except IndexError:
                    return
                self._started += 1
                self._cancelled += 1
            discard(call.coro)
            call.finish(None, PortalClosedError(self._closed_message()))

    def _note_object_of_another_loop(self, error: BaseException) -> None:
        """Name an object of another loop that the failed call used (``_foreign_loop``), if it finds one."""
        if self._loop is not None and isinstance(error, Exception) and not isinstance(error, PortalClosedError):
            note_object_of_another_loop(error, self._loop, self.name, _portal_name_of_loop)

    def _closed_message(self) -> str:
        if self._forked:
            return (
                f"portal {self.name!r} was inherited through fork() and has no thread in this process; "
                "create a new Portal here (the default portal is recreated by itself)"
            )
        if self._shut_at_exit:  # a daemon thread's call at exit: nothing to create, the process is ending
            return (
                f"portal {self.name!r} was shut down because the interpreter is exiting; a thread still running "
                "then (a daemon thread) cannot call it. End such threads before the main thread returns, or let "
                "them stop on this error"
            )
        if self.name == "dualio-default":
            return (
                f"portal {self.name!r} was shut down and takes no more work; the next dualio.run() (or submit(), "
                "iterate(), enter()) starts a new default portal, but objects made on this one stay closed"
            )
        return f"portal {self.name!r} was shut down and takes no more work; create a new Portal"

    # -- loop side -------------------------------------------------------------------------------------------

    def _open_loop(self, ready: threading.Event, errors: list[BaseException]) -> asyncio.AbstractEventLoop | None:
        """In the loop thread: make the loop and set ``ready`` once it runs; None (and the error in ``errors``,
        ``ready`` set) if ``loop_factory`` failed."""
        try:
            loop = (self._loop_factory or default_loop_factory)()
            if not isinstance(loop, asyncio.AbstractEventLoop):
                raise TypeError(f"loop_factory must return an asyncio event loop, it returned {loop!r}")
        except BaseException as exc:
            errors.append(exc)
            ready.set()
            return None
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._thread_id = _get_ident()
        self._lender = LoopLender(self, loop)
        loop.call_soon(ready.set)
        return loop

    def _loop_raised(self, exc: BaseException) -> None:
        """``run_forever`` raised ``exc`` (in whichever thread ran it): log it unless a caller receives it."""
        if not self._delivers(exc):
            logger.error(
                "dualio: portal %r: an exception escaped its event loop; it keeps running", self.name, exc_info=exc
            )

    def _delivers(self, exc: BaseException) -> bool:
        """Tell whether ``exc`` is the outcome of one of this portal's tasks (its caller receives it)."""
        if exc is self._last_interrupt_delivered:  # uvloop settles the task before the exception escapes
            return True
        return any(task.done() and not task.cancelled() and task.exception() is exc for task in self._calls)

    def _close_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            _close_event_loop(loop, self._cancel_grace)
        finally:
            self._state = _CLOSED
            self._sweep()

    def _drain(self) -> None:
        """Start every queued call as a task (runs on the loop; one wake-up serves the whole queue)."""
        self._wakeup_pending = False
        queue = self._queue
        loop = self._loop
        assert loop is not None
        counts_lock = self._counts_lock
        while queue:
            with counts_lock:
                call = queue.popleft()
                self._started += 1
            if call.cancel_reason is not None:  # cancelled before it could start
                discard(call.coro)
                self._count_cancelled()
                call.finish(None, concurrent.futures.CancelledError())
                continue
            self._starting = call
            if call.thread_work is not None:
                call.context.run(install, call.thread_work)
            try:
                task = start_task(loop, call.coro, call.context)
            except (KeyboardInterrupt, SystemExit) as exc:  # raised by an eager first step on Python >= 3.12
                with counts_lock:
                    self._failed += 1
                call.finish(None, exc)
                continue
            finally:
                self._starting = None
            if call.detached:  # its first step delivered early or handed the call over (``_hosting``)
                if self._resume_now is not None:
                    self._resume(loop)
                continue
            call.task = task
            if task.done():  # finished in its first step: settle now, no callback round
                self._settle(call, task)
                continue
            self._track(call, task)

    def _track(self, call: _Call, task: asyncio.Task[Any]) -> None:
        """Have ``task``'s end settle ``call``, and start the call's timeout (on the loop)."""
        self._calls[task] = call
        call.on_done = functools.partial(self._settle, call)
        task.add_done_callback(call.on_done)
        if call.timeout == 0:  # no time at all: only the first step runs, as if the deadline passed at once
            if inspect.getcoroutinestate(call.coro) == inspect.CORO_SUSPENDED:  # its first step ran
                self._cancel_call(call, "timeout")
            else:  # first step still queued (no eager start on this loop): cancel right after it
                task.get_loop().call_soon(self._cancel_call, call, "timeout")
        elif call.timeout is not None:
            call.timer = task.get_loop().call_later(call.timeout, self._cancel_call, call, "timeout")

    def _settle(self, call: _Call, task: asyncio.Task[Any]) -> None:
        """Deliver a finished task's outcome to its call, translating cancellation (runs on the loop).

        Counters are updated before the outcome is delivered, so a caller that has its result already sees
        it counted in ``statistics()``.
        """
        if call.timer is not None:
            call.timer.cancel()
        self._calls.pop(task, None)
        if task.cancelled():
            self._finish(call, None, None, cancelled=True)
        else:
            error = task.exception()
            self._finish(call, task.result() if error is None else None, error)

    def _finish(self, call: _Call, result: object, error: BaseException | None, *, cancelled: bool = False) -> None:
        """Deliver an outcome to ``call``, a cancellation or a timeout translated (on the loop)."""
        if cancelled:
            error = self._cancellation_error(call)
        elif call.cancel_reason == "timeout":  # it swallowed the cancellation, or its cleanup raised
            timeout_error = _timeout_error(call)
            timeout_error.__cause__ = error
            error = timeout_error
            self._count_cancelled()
        elif error is None:
            with self._counts_lock:
                self._completed += 1
            call.finish(result, None)
            return
        else:
            with self._counts_lock:
                self._failed += 1
            if not isinstance(error, Exception):  # KeyboardInterrupt, SystemExit: may also escape the loop
                self._last_interrupt_delivered = error
        call.finish(None, error)

    def _own_call(self, api: str) -> tuple[asyncio.Task[Any], _Call]:
        """The running task and the portal call it runs, no longer tracked: its end will not settle the call."""
        task = asyncio.current_task()
        call = self._calls.pop(task, None) if task is not None else None
        if call is not None:
            if call.on_done is not None:
                task.remove_done_callback(call.on_done)  # type: ignore[union-attr]  # not None with a call
            if call.timer is not None:
                call.timer.cancel()
        elif task is not None and self._starting is not None and task.get_coro() is self._starting.coro:
            call = self._starting  # the call's first step, run by ``_drain``: not tracked yet
        if task is None or call is None:
            raise RuntimeError(f"dualio: {api}() outside the task of a portal call")
        call.detached = True
        return task, call

    def _finish_early(self, result: object, error: BaseException | None, *, cancelled: bool = False) -> None:
        """Finish the current task's call (``_deliver_early``) with this outcome, as ``_settle`` would."""
        _, call = self._own_call("_finish_early")
        self._finish(call, result, error, cancelled=cancelled)

    def _deliver_early(
        self, result: object, stop: Callable[[], object] | None = None, held: HeldBlock[Any] | None = None
    ) -> None:
        """Finish the current task's call with ``result`` now; the task goes on, no longer a call (on the loop).

        For a task that holds an ``async with`` open across calls (``_hosting``): the caller gets what
        ``__aenter__`` gave and the task stays suspended in the block, its timeout no longer running; lending no
        longer waits for it (as for any task a coroutine started). ``stop``, if given, makes the task a holder:
        it is called if the portal shuts down while the task is one, before pending work is drained.
        """
        task, call = self._own_call("_deliver_early")
        if stop is not None:
            self._holders[task] = stop
        if held is not None and isinstance(call, BlockingCall):
            call.held = held  # the caller's thread starts routing its calls to this task (``_hosting``)
        with self._counts_lock:
            self._completed += 1
        call.finish(result, None)

    def _hand_over(self, holder: asyncio.Task[Any]) -> _Call:
        """Let ``holder`` (a holder, see ``_deliver_early``) finish the current call, which this first step of
        its coroutine began: the call's outcome is ``holder``'s (its end, or its ``_deliver_early``), and the
        call's timeout, Ctrl-C and shutdown cancel ``holder``. The current task should end at once."""
        _, call = self._own_call("_hand_over")
        call.task = holder
        self._track(call, holder)
        if call is self._starting:
            self._resume_now = holder  # ``_drain`` runs its step as soon as this one ends: see ``_resume``
        return call

    def _resume(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the step of the holder that a call was just handed over to, now instead of on the next iteration.

        As an eager start does for a new task: the wake-up that the holder's future queued is the last ready
        callback (the first step that handed over queued nothing after it); it is taken off the queue and run
        here, between task steps. A loop that keeps no such queue (uvloop) runs it on its next iteration.
        """
        holder, self._resume_now = self._resume_now, None
        ready = getattr(loop, "_ready", None)
        if not ready:
            return
        handle = ready[-1]
        if getattr(handle._callback, "__self__", None) is holder and not handle.cancelled():
            ready.pop()
            handle._run()

    def _count_cancelled(self) -> None:
        with self._counts_lock:
            self._cancelled += 1

    def _cancellation_error(self, call: _Call) -> BaseException:
        self._count_cancelled()
        reason = call.cancel_reason
        if reason == "timeout":
            return _timeout_error(call)
        if reason == "shutdown" and isinstance(call, BlockingCall):
            return PortalClosedError(
                f"portal {self.name!r} shut down before {call.coro.__qualname__} finished; it was cancelled"
            )
        return concurrent.futures.CancelledError(f"{call.coro.__qualname__} was cancelled")

    def _cancel_call(self, call: _Call, reason: CancelReason) -> None:
        """Cancel ``call``'s task unless it already finished (runs on the loop)."""
        task = call.task
        if task is not None and task.done():
            return
        if reason == "timeout" and call.cancel_reason == "timeout":
            return  # the deadline already cancelled it: let its cleanup run (the caller stopped waiting)
        if call.cancel_reason is None or reason == "timeout":
            call.cancel_reason = reason
        if task is not None:
            task.cancel()

    # -- shutdown --------------------------------------------------------------------------------------------

    def _shutdown(self, drain: float, *, at_exit: bool) -> None:
        self._refuse_loop_thread("shutdown")
        if at_exit and self._state is _RUNNING:
            self._shut_at_exit = True
        with self._lock:
            if self._state is _NEW:
                self._state = _CLOSED
                return
            if self._state is _RUNNING:
                self._state = _CLOSING
                assert self._loop is not None
                self._loop.call_soon_threadsafe(self._begin_close, drain, at_exit)
                if self._lender is not None:
                    self._lender.wake()
        thread = self._thread
        if thread is None or thread is threading.current_thread() or self._forked or self._abandoned:
            return
        thread.join(None if math.isinf(drain) else drain + 2 * self._cancel_grace + 1.0)
        if thread.is_alive():
            self._abandoned = True
            logger.error(
                "dualio: portal %r did not stop: its event loop is blocked (a sync call inside a "
                "coroutine?); its daemon thread is left behind",
                self.name,
            )
            self._state = _CLOSED
            self._sweep()

    def _begin_close(self, drain: float, at_exit: bool) -> None:
        assert self._loop is not None
        self._closer = self._loop.create_task(self._close(drain, at_exit))

    async def _close(self, drain: float, at_exit: bool) -> None:
        """Drain, cancel what is left and report it, then stop the loop (runs as a task on the loop)."""
        loop = asyncio.get_running_loop()
        me = asyncio.current_task()
        self._drain()  # start whatever was queued before the portal closed
        for stop in list(self._holders.values()):  # `async with` blocks still open: they end now
            stop()
        deadline = loop.time() + drain
        while (pending := asyncio.all_tasks(loop) - {me}) and (remaining := deadline - loop.time()) > 0:
            await asyncio.wait(pending, timeout=remaining)
        leftover = asyncio.all_tasks(loop) - {me}
        if leftover:
            cancelled = []
            for task in leftover:
                call = self._calls.get(task)
                if call is not None:
                    call.cancel_reason = "shutdown"
                    cancelled.append(call.describe())
                else:
                    coro = task.get_coro()
                    cancelled.append(f"{task.get_name()} {getattr(coro, '__qualname__', coro)}{where_suspended(coro)}")
                task.cancel()
            await asyncio.wait(leftover, timeout=self._cancel_grace)
            stuck = sum(1 for task in leftover if not task.done())
            logger.warning(
                "dualio: portal %r shut down with %d task(s) still pending after %.3g s; they were cancelled%s:\n  %s",
                self.name,
                len(leftover),
                drain,
                f" ({stuck} did not finish their cleanup within {self._cancel_grace:g} s)" if stuck else "",
                "\n  ".join(sorted(cancelled)),
            )
        if at_exit:
            for future in list(self._failed_futures):
                future._report_unretrieved("the interpreter exited")
        self._stop_requested = True
        loop.stop()

    def _mark_forked(self) -> None:
        """In a forked child: this portal's thread does not exist here; refuse all further use."""
        self._forked = True
        self._state = _CLOSED
        self._thread_id = None
        self._lock = threading.Lock()
        self._lender = None  # its lock may have been held by another thread of the parent: never touch it
        if self._when_dropped is not None:  # the parent's loop, whose wake-up pipe the child shares: leave it be
            self._when_dropped.detach()


_SLICE = 0.1
_LOOP_CODES = (run_as_running_loop.__code__,)  # runs a lent loop's callbacks outside run_forever (_as_running)


def _wait_for(done: threading.Lock, timeout: float | None) -> bool:
    """``done.acquire(timeout=timeout)``, in waits of at most 0.1 s: in one C wait without a timeout no Python code
    runs, so an exception that another thread raises in this one (``PyThreadState_SetAsyncExc``: Dramatiq's
    time limits, watchdogs) landed only when the call ended, and the coroutine ran to its end. Now
    it lands within 0.1 s, and the call is cancelled as on Ctrl-C. True once acquired, False at the timeout."""
    if timeout is None:
        while not done.acquire(timeout=_SLICE):
            pass
        return True
    deadline = _monotonic() + timeout
    while not done.acquire(timeout=min(_SLICE, timeout)):
        timeout = deadline - _monotonic()
        if timeout <= 0:
            return False
    return True


def check_lend_loop(lend: object) -> bool:
    """Validate a ``lend_loop`` setting."""
    if not isinstance(lend, bool):
        raise TypeError(f"lend_loop must be True or False, got {type(lend).__name__} {lend!r}")
    return lend


def check_lend_grace(seconds: object) -> float:
    """Validate a ``lend_grace`` setting: seconds, more than 0 and at most 1."""
    checked = check_timeout(seconds, "lend_grace")
    if checked is None or not 0 < checked <= 1:
        raise InvalidTimeoutError(
            f"lend_grace must be more than 0 and at most 1 second, got {seconds!r}; a longer grace would keep "
            "background work waiting that long between blocking calls"
        )
    return checked


def _timeout_error(call: _Call) -> TimeoutError:
    return TimeoutError(f"{call.coro.__qualname__} did not finish within {call.timeout:g} s; it was cancelled")


def _portal_name_of_loop(loop: asyncio.AbstractEventLoop) -> str | None:
    """The name of the live portal whose loop ``loop`` is, if any."""
    return next((portal.name for portal in list(_live_portals) if portal._loop is loop), None)


def _serve(portal_ref: weakref.ref[Portal], ready: threading.Event, errors: list[BaseException]) -> None:
    """Body of a portal's loop thread: make the loop, run it until shutdown stops it (lending it to blocking
    callers between runs when they ask), then close it.

    It holds the portal only between runs of the loop, never while the loop waits: a portal dropped without
    ``shutdown()`` (nothing of it left to run: a pending task's callbacks hold it) is collected, and its loop then
    stops and closes, its thread ends (300 dropped portals kept 300 threads and 900 descriptors).
    """
    portal = portal_ref()
    if portal is None:
        ready.set()
        return
    loop = portal._open_loop(ready, errors)
    if loop is None:
        return
    grace = portal._cancel_grace
    dropped = portal._when_dropped = weakref.finalize(portal, _stop_loop_soon, loop, portal.name)
    dropped.atexit = False  # at exit the drain stops the loops of live portals, after the user's atexit handlers
    del portal
    try:
        while True:
            raised: BaseException | None = None
            try:
                loop.run_forever()
            except BaseException as exc:  # KeyboardInterrupt/SystemExit re-raised by a task step (3.11)
                raised = exc
            portal = portal_ref()
            if portal is None:
                break  # dropped: nobody can call it any more
            if raised is not None:
                portal._loop_raised(raised)
                raised = None
            if portal._stop_requested:
                break
            lender = portal._lender
            del portal
            assert lender is not None  # made with the loop
            lender.park_if_asked()  # a blocking caller asked for the loop: lend it until it is idle
            del lender
    finally:
        dropped.detach()
        portal = portal_ref()
        if portal is None:
            _close_event_loop(loop, grace)
        else:
            if portal._lender is not None:
                portal._lender.close()
            portal._close_loop(loop)
            # The thread ends: a new thread may get its ident, and a call from it must not be taken for one from
            # the loop thread (DeadlockError instead of PortalClosedError after a shutdown).
            portal._thread_id = None


def _stop_loop_soon(loop: asyncio.AbstractEventLoop, name: str) -> None:
    """A dropped portal's finalizer (in the thread that collected it): have its loop stop, so its thread closes it
    and ends; say so as an unclosed file does (a ``ResourceWarning``: shown by ``python -X dev`` and pytest)."""
    with contextlib.suppress(RuntimeError):  # closed meanwhile
        loop.call_soon_threadsafe(loop.stop)
    warnings.warn(f"portal {name!r} was dropped without shutdown(); its loop is closed", ResourceWarning, stacklevel=2)


def _close_event_loop(loop: asyncio.AbstractEventLoop, grace: float) -> None:
    """In the loop thread, its loop stopped: finish async generators and the default executor, close the loop."""
    try:
        loop.run_until_complete(loop.shutdown_asyncgens())
        executor_closed = loop.create_task(loop.shutdown_default_executor())
        loop.run_until_complete(asyncio.wait([executor_closed], timeout=grace))
        if executor_closed.done() and not executor_closed.cancelled():
            # Retrieved, so asyncio does not print it: at interpreter exit Python 3.12.0-3.12.1 refuse the
            # thread it starts to join the executor ("can't create new thread at interpreter shutdown");
            # the executor's workers are joined by concurrent.futures' own exit hook.
            executor_closed.exception()
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _shutdown_all_at_exit() -> None:
    for portal in list(_live_portals):
        try:
            portal._shutdown(portal.drain_timeout, at_exit=True)
        except Exception:
            logger.exception("dualio: error while shutting down portal %r at exit", portal.name)


def _after_fork_in_child() -> None:
    for portal in list(_live_portals):
        portal._mark_forked()
    _live_portals.clear()


atexit.register(_shutdown_all_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
