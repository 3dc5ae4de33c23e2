"""Run, in a thread blocked in a dualio call, the sync work that asgiref's ``sync_to_async`` sends to it.

asgiref runs ``sync_to_async(f)`` (``thread_sensitive=True``, the default, and what Django's async ORM
methods use) in "the" sync thread of the request: a Django sync view under ASGI runs in that thread. When the
view calls ``dualio.run(coro)`` and ``coro`` awaits such an ``f``, asgiref sends ``f`` to the view's thread,
which is blocked in ``dualio.run`` waiting for ``coro``: it would wait for itself until the timeout (or for
ever). asgiref's own ``async_to_sync`` avoids that by running such work in the waiting thread while it waits;
a dualio call does the same, as a drop-in for ``async_to_sync``:

- only where asgiref may send thread-sensitive work to the calling thread, or a Django ORM may use it: in a
  context asgiref's thread-sensitive machinery runs in (a ``ThreadSensitiveContext``, Django's per-request
  context; code in ``sync_to_async``'s single thread), in a thread that runs sync code under an outer
  ``async_to_sync`` now (its executor, visible to the loop once asgiref moved the context there, would send
  work back to this blocked thread), and, once ``django.db`` is
  imported, in every thread: the ORM work of the call then uses the caller's database connection and
  transaction (``atomic()``) as under ``async_to_sync``, under WSGI, in management commands and tests too
  (it ran in asgiref's single thread, on another connection, so a write inside a rolled-back
  ``atomic()`` was committed, and SQLite said "database is locked"). Elsewhere (no Django, no asgiref
  context) nothing changes: ``sync_to_async`` runs where it always did; the check costs two context-variable
  reads and a thread-local read, nothing until ``asgiref.sync`` is imported;
- such a call waits in the thread (never on a lending portal's borrowed loop: the thread must be free to run
  the work) and runs each piece of work sent to it, in the order sent, until the call ends, then runs what
  is still queued; the call's timeout and Ctrl-C apply as to any call (a Ctrl-C inside the work stops the
  waiting, the work's future gets ``CancelledError``);
- work sent after the thread stopped waiting (by a task that outlived the call) goes where asgiref would have
  sent it without dualio: the executor of the thread-sensitive context, else asgiref's single thread.

The executor is one per thread; asgiref finds it as ``AsyncToSync.executors.current``, which is set in the
call's context on the loop thread (asgiref's ``Local`` ignores values set in another thread).
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextvars
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ._calls import BlockingCall

__all__ = ("WaitingThread", "install", "waiting_thread_for")

R = TypeVar("R")

_threads = threading.local()
_SLICE = 0.1


def waiting_thread_for(context: contextvars.Context) -> WaitingThread | None:
    """The calling thread's executor if asgiref may send thread-sensitive work to it from a call made in
    ``context``; None (the common case) otherwise."""
    if "asgiref.sync" not in sys.modules:
        return None
    variables = _variables or _asgiref_variables()
    if not variables:
        return None  # an asgiref this module does not know: leave it alone
    sensitive, single = variables
    if (
        context.get(sensitive) is None
        and not context.get(single, False)
        and "django.db" not in sys.modules
        and not _under_async_to_sync()
    ):
        return None
    waiting: WaitingThread | None = getattr(_threads, "waiting", None)
    if waiting is None:
        waiting = _threads.waiting = WaitingThread()
    return waiting


_variables: tuple[contextvars.ContextVar[Any], contextvars.ContextVar[bool]] | tuple[()] = ()


def _asgiref_variables() -> tuple[contextvars.ContextVar[Any], contextvars.ContextVar[bool]] | tuple[()]:
    """asgiref's context variables that say a context runs in its thread-sensitive machinery: the request's
    ``ThreadSensitiveContext`` and the single thread's marker; read once, when asgiref.sync is first seen."""
    global _variables
    sync_to_async = getattr(sys.modules["asgiref.sync"], "SyncToAsync", None)
    sensitive = getattr(sync_to_async, "thread_sensitive_context", None)
    single = getattr(sync_to_async, "deadlock_context", None)
    if isinstance(sensitive, contextvars.ContextVar) and isinstance(single, contextvars.ContextVar):
        _variables = (sensitive, single)
    return _variables


def _under_async_to_sync() -> bool:
    """Whether this thread runs sync code under an ``async_to_sync`` now (its executor is current here). Read
    only in threads that have run code for ``sync_to_async`` (asgiref's thread-local marks them, for good: the
    mark alone would take every later call of the thread for one), as asgiref's ``Local`` costs a lock."""
    if getattr(_sync_to_async_threadlocal(), "main_event_loop", None) is None:
        return False
    executors = getattr(sys.modules["asgiref.sync"].AsyncToSync, "executors", None)
    return getattr(executors, "current", None) is not None


def _sync_to_async_threadlocal() -> object:
    """asgiref's thread-local of the threads ``sync_to_async`` runs sync code in (its ``thread_handler`` sets
    ``main_event_loop`` there): such a thread may be sent thread-sensitive work, as under ``async_to_sync``."""
    return getattr(sys.modules["asgiref.sync"].SyncToAsync, "threadlocal", None)


def install(waiting: WaitingThread) -> None:
    """Make ``waiting`` the executor asgiref's ``sync_to_async`` picks in the current context (call inside the
    call's context, on the loop thread)."""
    executors = sys.modules["asgiref.sync"].AsyncToSync.executors
    executors.current = waiting


class WaitingThread(concurrent.futures.Executor):
    """The executor of one thread: work submitted to it runs in that thread while it waits in a dualio call.

    ``submit`` is thread-safe (asgiref calls it on the portal's loop); ``wait`` is called only by the thread."""

    def __init__(self) -> None:
        self._thread = threading.current_thread()
        self._ready = threading.Condition(threading.Lock())
        self._work: collections.deque[tuple[concurrent.futures.Future[Any], Callable[[], Any]]] = collections.deque()
        self._waits = 0  # how many dualio calls the thread waits in now (a work item may make a nested call)

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[R]:
        """Queue ``fn(*args, **kwargs)`` for the thread if it waits in a dualio call; else hand it to the
        executor asgiref would have used."""
        future: concurrent.futures.Future[R] = concurrent.futures.Future()
        with self._ready:
            if self._waits and threading.current_thread() is not self._thread:
                self._work.append((future, lambda: fn(*args, **kwargs)))
                self._ready.notify()
                return future
        return _asgiref_executor().submit(fn, *args, **kwargs)

    def wait(self, call: BlockingCall, timeout: float | None, start: Callable[[], object] | None = None) -> bool:
        """Block until ``call`` finishes (True) or ``timeout`` seconds pass (False), running the work sent
        here meanwhile; once the call has finished, the work still queued runs before this returns. ``start``
        (queueing the call) runs once the thread counts as waiting, so that no work sent by the call's first
        step goes elsewhere.

        Raises what interrupts the thread (Ctrl-C), in the wait or in a piece of work (its future is cancelled
        then); the work queued behind it stays for the thread's next wait, or runs now if no wait follows."""
        deadline = None if timeout is None else time.monotonic() + timeout
        done = call.done
        ready = self._ready
        call.on_finish = self._wake
        with ready:
            self._waits += 1
        try:
            if start is not None:
                start()
            while True:
                with ready:
                    while not self._work and done.locked():
                        remaining = None if deadline is None else deadline - time.monotonic()
                        if remaining is not None and remaining <= 0:
                            return False
                        # In slices, as ``Portal._call_and_wait`` waits: an exception another thread raises in
                        # this one (Dramatiq's time limits, django_dramatiq included) lands within 0.1 s.
                        ready.wait(_SLICE if remaining is None else min(remaining, _SLICE))
                    if not self._work:
                        return True
                    future, work = self._work.popleft()
                _run(future, work)
        finally:
            call.on_finish = None
            with ready:
                self._waits -= 1
                left = list(self._work) if not self._waits else []
                if left:
                    self._work.clear()
            for future, work in left:  # nobody waits here any more: where asgiref would have run it
                _hand_on(future, work)

    def _wake(self) -> None:
        with self._ready:
            self._ready.notify()


def _run(future: concurrent.futures.Future[Any], work: Callable[[], Any]) -> None:
    """Run ``work`` for ``future`` in this thread. asgiref's ``thread_handler`` (what ``sync_to_async`` sends)
    sets this thread's ``main_event_loop`` to the portal's loop; it is put back after, or a later
    ``async_to_sync`` in a Django view would run its coroutine on the portal's loop instead of the server's."""
    if not future.set_running_or_notify_cancel():
        return
    threadlocal = _sync_to_async_threadlocal()
    saved = dict(vars(threadlocal)) if threadlocal is not None else None
    try:
        result = work()
    except (KeyboardInterrupt, SystemExit):
        future.set_exception(concurrent.futures.CancelledError())
        raise
    except BaseException as exc:
        future.set_exception(exc)
        del exc
    else:
        future.set_result(result)
    finally:
        if threadlocal is not None and saved is not None:
            state = vars(threadlocal)
            state.clear()
            state.update(saved)


def _hand_on(future: concurrent.futures.Future[Any], work: Callable[[], Any]) -> None:
    """Run ``work`` on asgiref's own executor and pass its outcome to ``future``."""
    if not future.set_running_or_notify_cancel():
        return
    moved = _asgiref_executor().submit(work)

    def deliver(finished: concurrent.futures.Future[Any]) -> None:
        error = finished.exception()
        if error is None:
            future.set_result(finished.result())
        else:
            future.set_exception(error)

    moved.add_done_callback(deliver)


def _asgiref_executor() -> concurrent.futures.Executor:
    """The executor asgiref's ``sync_to_async`` would pick without dualio, in the current context: the
    thread-sensitive context's (made if missing, as asgiref does), else its single thread."""
    sync_to_async = sys.modules["asgiref.sync"].SyncToAsync
    context = sync_to_async.thread_sensitive_context.get(None)
    if context is None:
        executor: concurrent.futures.Executor = sync_to_async.single_thread_executor
        return executor
    if getattr(context, "_exited", False):
        raise RuntimeError(  # asgiref's words in the same case
            "ThreadSensitiveContext has exited. Tasks created inside a context with an executor must finish "
            "before it exits."
        )
    executors: dict[Any, concurrent.futures.Executor] = sync_to_async.context_to_thread_executor
    if context not in executors:
        executors[context] = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    return executors[context]
