"""Short reads on thread-driven SQLite run on the event loop's own thread, within a time budget.

A worker-thread hop costs more than a short SQLite read: a get-by-id unit through the async face cost about twice
the sync face's time with a hop, and about the same without (benchmarks/README.md). And the hop frees the loop for
little: the worker runs SQLAlchemy's Python code holding the GIL, so the loop's thread could not run Python
meanwhile anyway. What the hop does buy is protection from the two things that can make a read long: waiting for
a lock, and a statement that runs long. So a read is run in place only where neither can happen, and falls back
to the unit's worker thread otherwise:

- only functions marked :func:`reads` (the generic repository's ``get``, ``get_one``, ``get_or_none``, ``list``,
  ``page``, ``count`` and ``exists``, and any function of yours so marked); an override that is not marked hops;
- only while the unit has nothing to flush and its transaction has run only ``SELECT`` statements, and no call of
  the unit is running in its thread;
- a unit without a connection yet is tried in place only if the pool has one free (looked at just before the
  checkout: another thread taking the last one in between makes the checkout wait);
- nothing in place waits for a lock: the in-process writer turn is tried without waiting and ``BEGIN`` runs with
  SQLite's busy timeout at zero (deferred transactions also take their read snapshot then); either, when it would
  wait, *aborts* the attempt;
- SQLite's progress handler aborts a statement still running when the budget is spent;
- a statement that is not a ``SELECT`` aborts the attempt before it runs (a function marked ``reads`` that writes).

An aborted attempt has changed nothing in the database (it ran ``SELECT`` statements at most, or failed to begin),
and the call is run again in the worker thread, where it may wait as usual. After running in place for a whole
budget's worth of time in a row, the calling task yields once to the loop, so a task reading in a loop does not
starve the others.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

F = TypeVar("F", bound=Callable[..., Any])

_MARK: Final = "__dualio_reads__"
PROGRESS_STEPS: Final = 1000  # SQLite VM instructions between two checks of the budget


def reads(function: F) -> F:
    """Mark a sync repository method or use case as one that only reads (runs ``SELECT`` statements only).

    On thread-driven SQLite the async face may then run it on the event loop's thread instead of hopping to the
    unit's worker thread, when that cannot wait for a lock and it ends within ``sqlite_inline_budget`` (see
    :class:`~dualio.db.Database`); otherwise it is run in the thread as usual, so a wrong mark costs time, never
    correctness. Elsewhere (the sync face, PostgreSQL, aiosqlite) the mark changes nothing. Returns ``function``.
    """
    if not callable(function):
        raise TypeError(f"@reads marks a function or method, got {type(function).__name__}")
    setattr(function, _MARK, True)
    return function


def is_marked_read(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` (a function or a bound method) was marked with :func:`reads`."""
    return getattr(getattr(fn, "__func__", fn), _MARK, False) is True


class Aborted(Exception):
    """Raised by a SQLite hook to stop a read run in place; the call is then run in its worker thread."""


class _ThreadState(threading.local):
    deadline: float | None = None  # set while a read runs in place on this thread
    aborted = False  # set by whatever refused to go on in place
    spent = 0.0  # seconds run in place since this thread's task last yielded


state: Final = _ThreadState()


def in_place() -> bool:
    """Whether a read is being run in place on this thread (the SQLite hooks then refuse to wait)."""
    return state.deadline is not None


def abort() -> None:
    """Note that the read running in place must be run again in its worker thread."""
    state.aborted = True


def past_budget() -> int:
    """SQLite progress handler: non-zero (interrupt the statement) when a read in place has spent its budget."""
    deadline = state.deadline
    if deadline is None or time.monotonic() < deadline:
        return 0
    state.aborted = True
    return 1


class _NotRun:
    """The outcome of an attempt that was aborted: run the call in the worker thread."""


NOT_RUN: Final = _NotRun()


class InlineReads:
    """Runs marked reads of one ``Database``'s thread-driven units in place; see the module docstring."""

    def __init__(self, budget: float, pool_capacity: int) -> None:
        self.budget = budget
        self._capacity = pool_capacity

    def may_run(self, session: Session, unit_has_written: bool) -> bool:
        """Whether a marked read may be tried in place on ``session`` now; the caller has checked that no call of
        its unit is running, and says whether the unit has written (or has changes to flush)."""
        if unit_has_written or state.deadline is not None:
            return False
        if session.in_transaction():
            return True  # the unit holds its connection already
        return self._pool_has_room(session.bind)

    def _pool_has_room(self, bind: object) -> bool:
        if not isinstance(bind, Engine):
            return True  # a connection given by the caller (dualio.testing): nothing to check out
        pool = bind.pool
        if not isinstance(pool, QueuePool):
            return True
        return pool.checkedin() > 0 or pool.checkedout() < self._capacity

    def run(self, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` in place in a copy of the current context; return its result, raise what it
        raised, or return ``NOT_RUN`` if the attempt was aborted."""
        started = time.monotonic()
        state.deadline = started + self.budget
        state.aborted = False
        try:
            result = contextvars.copy_context().run(fn, *args, **kwargs)
        except BaseException:
            if state.aborted:
                return NOT_RUN
            raise
        finally:
            state.deadline = None
            state.spent += time.monotonic() - started
        if state.aborted:  # the function caught the interruption itself: its result cannot be trusted
            return NOT_RUN
        return result

    async def yield_if_due(self) -> None:
        """Let the loop run other tasks once reads in place have held it for a whole budget in a row."""
        if state.spent >= self.budget:
            state.spent = 0.0
            await asyncio.sleep(0)

    @staticmethod
    def note_yielded() -> None:
        """The calling task is about to wait for its worker thread: the loop runs others meanwhile."""
        state.spent = 0.0
