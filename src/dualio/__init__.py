"""dualio: one codebase for sync and async Python.

The portal runs coroutines from sync code on a long-lived event-loop thread::

    import dualio

    result = dualio.run(fetch_user, 42, timeout=5)        # blocking, the timeout really cancels
    future = dualio.submit(send_audit_event(event))       # fire-and-forget, never lost silently
    for row in dualio.iterate(stream_rows()):             # async iterator -> iterator
        ...
    with dualio.enter(aiohttp.ClientSession()) as http:   # async context manager -> with
        ...

See docs/portal.md for the behaviour on timeout, Ctrl-C, deadlock, exit and fork.
"""

from ._default import configure, default_portal, enter, iterate, run, run_async_task, shutdown, submit
from ._future import PortalFuture
from ._policy import RunningLoopPolicy
from ._portal import Portal
from ._stats import PortalStatistics
from ._version import __version__
from .errors import (
    BlockingCallError,
    BlockingCallWarning,
    ConflictError,
    DeadlockError,
    DualioError,
    DualioWarning,
    IntegrityError,
    InvalidTimeoutError,
    NotFoundError,
    PortalClosedError,
    TransientDatabaseError,
)

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
    "Portal",
    "PortalClosedError",
    "PortalFuture",
    "PortalStatistics",
    "RunningLoopPolicy",
    "TransientDatabaseError",
    "__version__",
    "configure",
    "default_portal",
    "enter",
    "iterate",
    "run",
    "run_async_task",
    "shutdown",
    "submit",
)

for _cls in (Portal, PortalFuture, PortalStatistics):
    _cls.__module__ = __name__
del _cls
