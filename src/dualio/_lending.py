"""Lending a portal's loop to its blocking callers (``Portal(lend_loop=True)``).

Why: a blocking call normally costs two thread wake-ups, the caller waking the loop thread and the loop thread
waking the caller. On a virtual machine each can cost tens of microseconds, more than a short coroutine takes.
With lending, a blocking caller takes the loop and runs it in its own thread until its call is done, while the
portal's thread stays parked: a run of blocking calls from one thread makes no wake-up at all.

Who runs the loop (``LoopLender.owner``, changed under ``_cond`` only):

- ``PORTAL``: the portal's thread, in ``run_forever``. A caller that wants the loop asks it to stop
  (one round trip, as a normal call), then takes it.
- ``LENT``: nobody. The portal's thread is parked; a blocking caller takes the loop without waiting. The
  portal's thread takes it back ``grace`` seconds after the last caller gave it back, or at once when work
  arrives from elsewhere (``wake``: ``submit()``, a cancellation, shutdown) or a caller gives it back with
  work ready to run or another thread's blocking call in flight.
- ``DRIVEN``: a blocking caller runs it. Other threads' calls queue as usual and that caller runs them too.
  A second blocking thread does not wait for the loop: it takes the normal path.
- ``CLOSED``: the portal's thread has left its loop for good; callers take the normal path, which reports
  the closed portal.

A blocking caller never borrows the loop while another portal call is queued or in flight, and gives it back to
the portal's thread at once if it leaves one in flight: a task the portal's thread runs is never resumed in a
caller's thread. Some coroutines cannot move between threads at all (a greenlet of SQLAlchemy's asyncio
extension can only be resumed by the thread that made it).

What a caller gives up by turning it on: between blocking calls, while the loop is lent and idle, timers and I/O
of background tasks wait up to ``grace`` seconds; and coroutines run in whichever thread runs the loop, so code
that keeps per-thread state (``threading.local``, a ``sqlite3`` connection made with ``check_same_thread``)
may see different threads, and a task started while a caller ran the loop that outlives that call goes on in
the portal's thread. Timeouts, Ctrl-C and deadlock detection behave as on the normal path.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # the C module behind ``signal``; typeshed has no stub
import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

from ._as_running import can_run_as_running_loop, run_as_running_loop
from ._calls import BlockingCall

if TYPE_CHECKING:
    from ._portal import Portal

__all__ = ("LoopLender",)

PORTAL: Final = "portal"
LENT: Final = "lent"
DRIVEN: Final = "driven"
CLOSED: Final = "closed"

_monotonic = time.monotonic
_get_ident = threading.get_ident
_get_running_loop = asyncio._get_running_loop
_default_int_handler = signal.default_int_handler
# The C functions behind ``signal.signal``/``getsignal``: the Python wrappers convert enums, ten times the cost.
_set_signal: Callable[[int, Any], Any] = _signal.signal
_get_signal: Callable[[int], Any] = _signal.getsignal
_SIGINT = int(signal.SIGINT)
# SIGINT dispositions a lent call leaves alone: Ctrl-C is ignored (a job started with `&` or `nohup`), or ends the
# process at once, whichever thread runs the loop. ``_signal.getsignal`` returns them as plain ints.
_NO_INTERRUPT = (_signal.SIG_IGN, _signal.SIG_DFL)
_main_ident = threading.main_thread().ident  # read on every blocking call; a forked child refreshes it below


class LoopLender:
    """Hands one portal's loop between the portal's thread and blocking callers (see the module docstring)."""

    def __init__(self, portal: Portal, loop: asyncio.AbstractEventLoop) -> None:
        self._portal = portal
        self._loop = loop
        self._lock = threading.Lock()  # held directly where nobody waits: ``with cond`` is a Python-level call
        self._cond = threading.Condition(self._lock)
        self.owner: str = PORTAL
        self.driver: int | None = None  # the thread of the caller running the loop while it is DRIVEN
        self._handover_requested = False
        self._wake_requested = False
        self._returned_at = 0.0
        self._iterated_at = 0.0  # when the loop last ran an iteration (polled its selector, ran due timers)

    # -- the portal's thread ---------------------------------------------------------------------------------

    def park_if_asked(self) -> None:
        """After ``run_forever`` returned: if a caller asked for the loop, lend it and wait to take it back."""
        cond, portal = self._cond, self._portal
        with cond:
            if not self._handover_requested or portal._stop_requested:
                return
            self._handover_requested = False
            self.owner = LENT
            self._returned_at = self._iterated_at = _monotonic()  # run_forever has just returned
            cond.notify_all()
            while True:
                if self.owner is LENT:
                    idle = _monotonic() - self._returned_at
                    if self._wake_requested or portal.closed or idle >= portal.lend_grace:
                        self.owner = PORTAL
                        self._wake_requested = False
                        return
                    cond.wait(portal.lend_grace - idle)
                else:  # a caller runs it: look again after a grace (a wake-up per call would cost the GIL)
                    cond.wait(portal.lend_grace)

    def close(self) -> None:
        """The portal's thread is done with the loop: no caller may take it any more."""
        with self._cond:
            self.owner = CLOSED
            self._cond.notify_all()

    # -- any thread ------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """Work arrived for the loop: if it is lent and idle, the portal's thread takes it back now."""
        if self.owner is not LENT:  # unlocked look: a caller that gives the loop back checks for work itself
            return
        with self._cond:
            if self.owner is LENT:
                self._wake_requested = True
                self._cond.notify_all()

    # -- the blocking caller ---------------------------------------------------------------------------------

    def try_borrow(self, call: BlockingCall) -> bool:
        """Take the loop for the calling thread, asking the portal's thread for it if it runs it.

        Returns False, and the caller takes the normal path, when another caller runs the loop, another portal
        call is queued or in flight (a submitted coroutine, another thread's call: its task stays in the thread
        that runs it, as coroutines holding thread-bound state such as SQLAlchemy's asyncio greenlets need), the
        portal is closing, the calling thread runs an event loop of its own, or the main thread has a SIGINT
        handler other than Python's default (Ctrl-C could not be turned into a cancellation while the loop runs
        here). SIGINT ignored (``SIG_IGN``, as in a job started with ``&``) or left to the system (``SIG_DFL``)
        does not prevent lending: no handler runs, and ``drive`` installs none.

        Raises ``TimeoutError`` if the portal's thread did not hand its loop over within the call's timeout plus
        ``cancel_grace`` (its loop is blocked); the coroutine was not started.
        """
        if _get_running_loop() is not None:
            return False
        portal = self._portal
        if portal._calls or portal._queue:  # a task another thread started must not be resumed in this one
            return False
        if _get_ident() == _main_ident:  # off the main thread no signal handler runs
            handler = _get_signal(_SIGINT)
            if handler is not _default_int_handler and handler not in _NO_INTERRUPT:
                return False  # an application's handler (or one set outside Python) is never replaced
        with self._lock:  # the common case in a run of calls: the loop is lent and idle
            if self.owner is LENT:
                self.owner = DRIVEN
                self.driver = _get_ident()
                return True
        cond = self._cond
        deadline = None if call.timeout is None else _monotonic() + call.timeout + portal.cancel_grace
        with cond:
            while True:
                owner = self.owner
                if owner is LENT:
                    self.owner = DRIVEN
                    self.driver = _get_ident()
                    return True
                if owner is not PORTAL or portal.closed:
                    return False
                if not self._handover_requested:
                    self._handover_requested = True
                    try:
                        self._loop.call_soon_threadsafe(self._loop.stop)
                    except RuntimeError:  # closed meanwhile
                        self._handover_requested = False
                        return False
                if deadline is None:
                    cond.wait()
                elif not cond.wait(min(max(deadline - _monotonic(), 0.0), threading.TIMEOUT_MAX)):
                    raise TimeoutError(
                        f"{call.coro.__qualname__} did not start within {call.timeout:g} s and a "
                        f"{portal.cancel_grace:g} s grace: the loop of portal {portal.name!r} did not stop to be "
                        "lent (a blocking call inside a coroutine?); the coroutine was not run"
                    )

    def give_back(self) -> None:
        """Return the loop after a drive; wake the portal's thread at once if other work is pending."""
        pending = self._has_pending_work()
        with self._lock:
            self.owner = LENT
            self._returned_at = _monotonic()
            if pending or self._portal.closed:
                self._wake_requested = True
                self._cond.notify_all()

    def _has_pending_work(self) -> bool:
        """Whether the loop has work to do now: queued calls, ready callbacks, or a portal call in flight.

        A call in flight (a submitted coroutine, another thread's call, this caller's own call given up on)
        goes on in the portal's thread, never in a later caller's: ``try_borrow`` refuses while one is.
        Tasks that coroutines started themselves and left pending (sleeping, awaiting I/O) do not count:
        the portal cannot see them cheaply; their timers and I/O wait up to ``lend_grace``.
        """
        portal = self._portal
        return bool(portal._queue or portal._calls or getattr(self._loop, "_ready", None))  # uvloop hides _ready

    def drive(self, call: BlockingCall) -> None:
        """Queue ``call`` and run the loop in this thread until it finishes; the loop must be borrowed.

        The call's task is started here, outside a loop iteration (``_as_running``), when the loop has run an
        iteration within ``lend_grace``: a coroutine that finishes in its first step then costs no iteration at
        all, and the selector and due timers still get one at least every ``lend_grace`` in a run of such calls.
        Otherwise, and once the first step has suspended, ``run_forever`` runs until the call finishes.

        Mirrors ``Portal._call_and_wait``: after ``timeout`` the task is cancelled and its cleanup run for up to
        ``cancel_grace`` seconds; Ctrl-C cancels it the same way and is re-raised; a second Ctrl-C stops at once.
        The loop is given back in every case; a task still running then goes on in the portal's thread.
        """
        portal, loop = self._portal, self._loop
        drive = _Drive(portal, loop, call)
        done = call.done
        call.on_finish = loop.stop
        start_here = _monotonic() - self._iterated_at < portal.lend_grace and can_run_as_running_loop(loop)
        previous_handler: Any = None
        if _get_ident() == _main_ident and _get_signal(_SIGINT) is _default_int_handler:
            previous_handler = _set_signal(_SIGINT, drive.on_sigint)
        try:
            portal._enqueue(call, lent=True, drained_by_caller=start_here)
            if call.timeout is not None:
                drive.give_up_in(call.timeout + portal.cancel_grace)
            while done.locked() and not drive.gave_up:
                try:
                    if start_here:
                        start_here = False
                        run_as_running_loop(loop, portal._drain)
                    else:
                        loop.run_forever()
                        self._iterated_at = _monotonic()
                except BaseException as exc:
                    if exc is drive.second_interrupt:
                        raise
                    if isinstance(exc, Exception):  # the loop refused to run here; a task step raises no Exception
                        portal._cancel_soon(call, "interrupt")
                        raise
                    portal._loop_raised(exc)  # KeyboardInterrupt/SystemExit of a task step (Python 3.11)
        finally:
            call.on_finish = None
            if previous_handler is not None:
                _set_signal(_SIGINT, previous_handler)
            if drive.timers:
                drive.cancel_timers()
            self.give_back()
        if drive.interrupted:
            raise KeyboardInterrupt
        if done.locked():  # given up on: the time for the call and its cleanup ran out
            portal._cancel_soon(call, "timeout")
            raise portal._gave_up_error(call)


def _refresh_main_ident() -> None:
    """In a forked child the forking thread is the main thread."""
    global _main_ident
    _main_ident = threading.main_thread().ident


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_refresh_main_ident)


class _Drive:
    """The state of one blocking call whose caller runs the loop: done, given up on, or interrupted."""

    __slots__ = ("call", "gave_up", "interrupted", "loop", "portal", "second_interrupt", "timers")

    def __init__(self, portal: Portal, loop: asyncio.AbstractEventLoop, call: BlockingCall) -> None:
        self.portal = portal
        self.loop = loop
        self.call = call
        self.gave_up = False
        self.interrupted = False
        self.second_interrupt: KeyboardInterrupt | None = None
        self.timers: list[asyncio.TimerHandle] = []

    def give_up_in(self, seconds: float) -> None:
        """Stop running the loop here after ``seconds``, finished or not (call on the loop's side)."""
        self.timers.append(self.loop.call_later(min(seconds, threading.TIMEOUT_MAX), self._give_up))

    def _give_up(self) -> None:
        self.gave_up = True
        self.loop.stop()

    def on_sigint(self, signum: int, frame: FrameType | None) -> None:
        """The SIGINT handler while the main thread runs the loop: cancel the call first, stop on a second."""
        if self.interrupted:
            self.second_interrupt = KeyboardInterrupt()
            raise self.second_interrupt
        self.interrupted = True
        self.loop.call_soon_threadsafe(self._cancel_for_interrupt)

    def _cancel_for_interrupt(self) -> None:
        self.portal._cancel_call(self.call, "interrupt")
        self.give_up_in(self.portal.cancel_grace)

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
