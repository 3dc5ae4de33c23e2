"""The frozen records the monitor hands out: a blocking event, a task problem, and a statistics snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ("BlockingEvent", "MonitorStatistics", "TaskIssue")

TaskIssueKind = Literal["destroyed_pending", "exception_never_retrieved"]


@dataclass(frozen=True, slots=True)
class BlockingEvent:
    """One stall of the event loop: a heartbeat was not answered within the threshold.

    ``function``, ``filename`` and ``lineno`` name the innermost Python frame of the loop thread when the stall
    was sampled, which is the line that blocked: a ``time.sleep``, a sync HTTP call, a CPU-bound loop (a call
    into C code shows the Python line that made it); frames of dualio's own code are skipped, so a blocking
    ``dualio.run`` made on the loop is named by the line that made it. ``stack`` is the whole sampled stack,
    outermost first, formatted as :func:`traceback.format_list` does. ``duration`` is how long the loop stayed
    unanswering, in seconds: a lower bound of the stall (it is measured from the heartbeat sent after the stall
    began).
    ``finished`` is false while the stall is still going on, or when the monitor stopped before the loop
    answered again (then ``duration`` is the time until the stop). ``detected_at`` is a ``time.monotonic()``
    reading, ``wall_time`` a ``time.time()`` reading, both taken when the stack was sampled.
    """

    loop_name: str
    function: str
    filename: str
    lineno: int
    stack: tuple[str, ...]
    task: str | None
    duration: float
    finished: bool
    detected_at: float
    wall_time: float

    @property
    def where(self) -> str:
        """``function (file:line)`` of the line that blocked."""
        return f"{self.function} ({self.filename}:{self.lineno})"

    def format(self) -> str:
        """Return a human-readable report: what blocked, for how long, and the stack (most recent call last)."""
        state = "" if self.finished else " (still blocked when last seen)"
        task = f" in task {self.task}" if self.task else ""
        head = f"event loop {self.loop_name!r} blocked for {self.duration:.3f} s{state}{task} at {self.where}"
        if not self.stack:
            return head + "\n  (the loop thread's stack could not be sampled)"
        return head + "\nStack of the loop thread (most recent call last):\n" + "".join(self.stack).rstrip("\n")


@dataclass(frozen=True, slots=True)
class TaskIssue:
    """A task that was lost: garbage-collected while still pending, or failed with nobody reading its error.

    ``kind`` is ``"destroyed_pending"`` (the task was destroyed before it finished: nothing kept a reference to
    it, or to what it was waiting on) or ``"exception_never_retrieved"`` (it raised, and nobody awaited it or
    called ``exception()``/``result()`` before it was garbage-collected). ``coroutine`` is the coroutine's
    qualified name; ``location`` is ``file:line`` where the coroutine was suspended (pending tasks;
    where its function is defined if the garbage collector closed the coroutine first) or where the exception
    was raised; ``exception`` is the ``repr`` of the exception, if any.
    """

    kind: TaskIssueKind
    task: str
    coroutine: str | None
    location: str | None
    exception: str | None
    wall_time: float


@dataclass(frozen=True, slots=True)
class MonitorStatistics:
    """A snapshot of what a :class:`~dualio.monitor.Monitor` has seen since it started.

    Loop lag is how late the loop runs its heartbeat, a timer due every ``interval`` seconds: the time a
    callback becoming ready waits for the loop. ``lag_bucket_bounds`` are the fixed upper bounds of the
    histogram buckets in seconds (the last is ``inf``) and ``lag_bucket_counts`` the number of heartbeats in
    each bucket (not cumulative); ``heartbeats`` is their total and ``lag_sum`` the sum of all lags.
    ``lag_p50``/``lag_p95``/``lag_p99`` are exact percentiles over the most recent heartbeats (up to 1,024),
    ``None`` before the first one.

    ``tasks_started`` counts tasks created through ``loop.create_task`` (which ``asyncio.create_task``,
    ``ensure_future``, ``gather`` and ``TaskGroup`` use), and the tasks of a portal's calls, while
    the monitor ran; ``tasks_finished`` is how many
    of them are no longer pending (done, or destroyed while pending), worked out when the snapshot is taken
    and never decreasing; ``tasks_pending`` is every unfinished task of the loop now, however it was created
    (a portal's own calls included). The first two are 0 unless the monitor has ``count_tasks=True``;
    the lost-task counters are 0 with ``track_tasks=False``.
    ``tasks_destroyed_pending`` and ``tasks_exception_never_retrieved`` count the loop's lost tasks (see
    :class:`TaskIssue`); the ``recent_*`` tuples hold the latest events of each kind, oldest first.
    """

    name: str
    running: bool
    threshold: float
    interval: float
    heartbeats: int
    lag_bucket_bounds: tuple[float, ...]
    lag_bucket_counts: tuple[int, ...]
    lag_sum: float
    lag_max: float
    lag_p50: float | None
    lag_p95: float | None
    lag_p99: float | None
    blocking_events: int
    blocked_seconds: float
    recent_blocking_events: tuple[BlockingEvent, ...]
    tasks_started: int
    tasks_finished: int
    tasks_pending: int
    tasks_destroyed_pending: int
    tasks_exception_never_retrieved: int
    recent_task_issues: tuple[TaskIssue, ...]
