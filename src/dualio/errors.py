"""Errors and warnings raised by dualio.

Every error is a :class:`DualioError` and also subclasses the builtin that matches its meaning, so code that
already catches ``RuntimeError`` or ``TypeError`` keeps working. All of them are picklable: they cross threads
and processes. Each class takes a single message argument, which is what makes default pickling round-trip.
"""

from __future__ import annotations

__all__ = (
    "BlockingCallError",
    "BlockingCallWarning",
    "ConflictError",
    "DeadlockError",
    "DualioError",
    "DualioWarning",
    "IntegrityError",
    "InvalidTimeoutError",
    "NotFoundError",
    "PortalClosedError",
    "TransientDatabaseError",
)


class DualioError(Exception):
    """Base class of every error dualio raises itself."""


class DeadlockError(DualioError, RuntimeError):
    """A blocking call was made from the thread that would have to serve it.

    Raised at once, instead of hanging forever, when ``run``, ``iterate``, ``enter``, ``shutdown`` or a portal
    future's ``result()`` is called from the portal's own event-loop thread (for example from inside a coroutine
    that the portal is running). Fix: ``await`` the coroutine instead.
    """


class PortalClosedError(DualioError, RuntimeError):
    """The portal was shut down (or belongs to the parent of a forked process) and takes no more work."""


class BlockingCallError(DualioError, RuntimeError):
    """A blocking portal call was made from a thread whose own event loop is running, under the ``"raise"`` policy."""


class InvalidTimeoutError(DualioError, TypeError, ValueError):
    """A timeout that is not ``None`` or a finite, non-negative number of seconds.

    It is a ``TypeError`` (the contract of the portal's argument checks) and a ``ValueError`` (what a negative
    or NaN number usually raises in Python), so either ``except`` clause catches it.
    """


class NotFoundError(DualioError, LookupError):
    """A repository looked for exactly one row (``get``, ``get_one``, ``update``, ``delete``) and found none."""


class ConflictError(DualioError, RuntimeError):
    """A write lost a race: the row changed (or was deleted) since it was read.

    Raised by ``dualio.db`` when an optimistic-concurrency check fails (the row's version column is not the one
    that was read). The unit of work is rolled back. ``Database.transaction(..., retry=...)`` runs the whole unit
    again when the row changed under the unit's own read-modify-write (the new attempt re-reads it); when the
    stale version came from the caller (``expected_version=``, or a row read in an earlier unit) it is raised at
    once: re-read the row and decide again.
    """


class IntegrityError(DualioError, ValueError):
    """The database refused a write that breaks a constraint (unique, foreign key, not null, check).

    The driver's own error is chained as ``__cause__``; the message names the constraint when the driver does.
    """


class TransientDatabaseError(DualioError, RuntimeError):
    """The database failed in a way that may succeed if the whole unit of work is run again.

    PostgreSQL serialization failures (SQLSTATE 40001), deadlocks (40P01), dropped connections, and SQLite's
    "database is locked". ``Database.transaction(..., retry=...)`` re-runs the unit on this error; the driver's
    own error is chained as ``__cause__``.
    """


class DualioWarning(UserWarning):
    """Base class of dualio's warnings."""


class BlockingCallWarning(DualioWarning, RuntimeWarning):
    """A blocking portal call was made from a thread whose own event loop is running.

    The call works (the portal runs on its own thread), but the calling loop is frozen until it returns. Emitted
    once per call site under the default ``"warn"`` policy. Fix: ``await`` the coroutine directly.
    """
