"""The frozen record returned by :meth:`dualio.Portal.statistics`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ("PortalStatistics",)


@dataclass(frozen=True, slots=True)
class PortalStatistics:
    """A snapshot of a portal's counters, taken at one instant.

    ``tasks_submitted`` counts every coroutine handed to the portal (by ``run``, ``submit``, ``iterate`` steps
    and ``enter``). Each of them ends exactly once as completed, failed (raised an exception) or cancelled
    (by a timeout, Ctrl-C in the waiting thread, ``Future.cancel()`` or shutdown). ``tasks_pending`` are those
    queued or running now, so ``submitted == pending + completed + failed + cancelled``.
    """

    name: str
    running: bool
    tasks_pending: int
    tasks_submitted: int
    tasks_completed: int
    tasks_failed: int
    tasks_cancelled: int
