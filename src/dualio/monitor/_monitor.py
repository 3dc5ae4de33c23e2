"""The watchdog: a heartbeat timer on the event loop, and a thread that samples the loop's stack when it is late.

How a stall is seen: the loop runs a heartbeat timer for itself every ``interval`` seconds; how late each one
runs is the loop lag (a histogram sample). A watchdog thread sleeps until the latest heartbeat would be
``threshold`` seconds overdue. On a healthy loop a newer heartbeat has run by then and it sleeps again; if not,
the loop thread is stuck in one callback or task step, and the watchdog reads that thread's current frame with
``sys._current_frames()`` and records the stack. Because it looks at the thread from outside, it sees every
kind of stall alike: a CPU-bound loop, ``time.sleep``, a sync HTTP or database call, I/O inside a C extension.
A stall shorter than ``threshold`` is never reported; one longer than ``threshold + interval`` always is (the
heartbeat it holds up may have been due up to ``interval`` after it began).

Costs: on the loop, one timer callback per ``interval`` (a quarter of ``threshold`` by default, at most 0.25 s),
plus, with ``count_tasks``, one call per task created (see ``_tasks``). The watchdog thread wakes about once
per ``threshold``; each wake-up takes the GIL for a moment. Sampling a stack happens only during a stall, when
the loop is not serving anything anyway.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import os
import sys
import threading
import time
import traceback
from collections import deque
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Self

from dualio._portal import Portal
from dualio.errors import InvalidTimeoutError

from ._errors import LoopNotRunningError
from ._lag import LAG_BUCKETS, LagHistogram
from ._records import BlockingEvent, MonitorStatistics
from ._tasks import TaskTracker, unfinished_tasks

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ("Monitor", "watch")

_DUALIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # src/dualio/

logger = logging.getLogger("dualio.monitor")

_NEW, _RUNNING, _STOPPED = "new", "running", "stopped"
_monotonic = time.monotonic
_get_ident = threading.get_ident


class Monitor:
    """Watch one running event loop for stalls, lag and lost tasks, from a watchdog thread of its own.

    Make one with :func:`watch` (already started), or construct it and use it as a context manager::

        with dualio.monitor.watch(threshold=0.1) as monitor:   # inside a coroutine: watches the running loop
            ...
        print(monitor.statistics())

    Args:
        loop: the loop to watch, or a ``dualio.Portal`` (its loop, started if needed), or ``None`` for the loop
            running in the calling thread.
        threshold: seconds the loop may go without answering a heartbeat before a blocking event is recorded.
        interval: seconds between heartbeats; default ``min(threshold / 4, 0.25)``.
        name: how the loop is named in events, logs and metrics; default: the portal's name, else ``loop-<id>``.
        track_tasks: report lost tasks (destroyed while pending, exception never retrieved) by chaining the
            loop's exception handler (restored by ``stop()``); no cost per task.
        count_tasks: count tasks started and finished, by chaining the loop's task factory (restored by
            ``stop()``); costs one Python call per task created (see docs/monitor.md, "Overhead").
        log: log each stall (with its stack) at WARNING and each lost task at ERROR on the ``dualio.monitor``
            logger when they are detected.
        on_block: called with each :class:`BlockingEvent` once the loop answers again (or the monitor stops),
            on the watchdog thread (or in ``stop()``); exceptions it raises are logged and otherwise ignored.
        max_events: how many recent blocking events and task issues ``statistics()`` keeps.

    ``start()``, ``stop()`` and ``statistics()`` are safe to call from any thread, including the loop's own
    (``stop()`` there only waits for the watchdog thread, which never waits on the loop while stopping). A
    monitor runs once: after ``stop()`` make a new one. Raises :class:`LoopNotRunningError` on start when the
    loop is closed or not running, and ``TypeError``/``ValueError`` (:class:`~dualio.InvalidTimeoutError` for
    durations) at construction for bad arguments.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop | Portal | None = None,
        *,
        threshold: float = 0.1,
        interval: float | None = None,
        name: str | None = None,
        track_tasks: bool = True,
        count_tasks: bool = False,
        log: bool = True,
        on_block: Callable[[BlockingEvent], object] | None = None,
        max_events: int = 100,
    ) -> None:
        self.threshold = _check_seconds(threshold, "threshold")
        self.interval = min(self.threshold / 4, 0.25) if interval is None else _check_seconds(interval, "interval")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Monitor name must be a str or None, got {type(name).__name__} {name!r}")
        if on_block is not None and not callable(on_block):
            raise TypeError(f"on_block must be a callable taking a BlockingEvent, or None, got {on_block!r}")
        if isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 1:
            raise ValueError(f"max_events must be a positive int, got {max_events!r}")
        for flag, value in (("track_tasks", track_tasks), ("count_tasks", count_tasks), ("log", log)):
            if not isinstance(value, bool):
                raise TypeError(f"{flag} must be True or False, got {value!r}")
        self.portal: Portal | None = loop if isinstance(loop, Portal) else None
        self.loop: asyncio.AbstractEventLoop = _resolve_loop(loop)
        self.name: str = name or (self.portal.name if self.portal is not None else f"loop-{id(self.loop):x}")
        self._log = log
        self._on_block = on_block
        self._state = _NEW
        self._lock = threading.Lock()
        # The watchdog sleeps by acquiring this held lock with a timeout; stop() releases it to wake it at once.
        # One C call per sleep: much cheaper than Event.wait, which allocates a lock and runs Python each time.
        self._sleeper = threading.Lock()
        self._sleeper.acquire()
        self._beat_valid = True  # false once the loop was seen stopped: the next gap is not a lag
        self._beats = 0  # heartbeats the loop ran (written on the loop thread only)
        self._last_beat = 0.0  # when the loop last ran one (monotonic), 0.0 before the first
        self._thread: threading.Thread | None = None
        self._loop_thread_id: int | None = None
        self._lag = LagHistogram()
        self._events: deque[BlockingEvent] = deque(maxlen=max_events)
        self._event_count = 0
        self._blocked_seconds = 0.0
        self._ongoing: BlockingEvent | None = None
        self._ongoing_sent = 0.0  # when the heartbeat that the stall held up was due
        self._ongoing_seq = 0  # heartbeats run when the stall was sampled: one more means the loop answered
        self._tasks = (
            TaskTracker(self.loop, max_events, lost=track_tasks, count=count_tasks)
            if track_tasks or count_tasks
            else None
        )
        self._issues_logged = 0

    @property
    def track_tasks(self) -> bool:
        """Whether lost tasks are reported (the loop's exception handler is chained)."""
        return self._tasks is not None and self._tasks.lost

    @property
    def count_tasks(self) -> bool:
        """Whether tasks started and finished are counted (the loop's task factory is chained)."""
        return self._tasks is not None and self._tasks.count

    # -- lifecycle -----------------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()`` while the watchdog thread is alive."""
        return self._state is _RUNNING and self._thread is not None and self._thread.is_alive()

    def start(self) -> Self:
        """Start the watchdog thread and the task hooks; return the monitor.

        Raises :class:`LoopNotRunningError` if the loop is closed or not running, ``RuntimeError`` if this
        monitor was started before (a monitor runs once).
        """
        return self._start(loop_thread_id=None)

    def _start(self, loop_thread_id: int | None) -> Self:
        """Start; ``loop_thread_id`` given means the caller is the loop thread, about to run the loop."""
        with self._lock:
            if self._state is not _NEW:
                raise RuntimeError(f"monitor {self.name!r} was already started; a monitor runs once, make a new one")
            loop = self.loop
            if loop.is_closed():
                raise LoopNotRunningError(f"cannot watch event loop {self.name!r}: it is closed")
            if loop_thread_id is None and not loop.is_running() and (self.portal is None or self.portal.closed):
                raise LoopNotRunningError(
                    f"cannot watch event loop {self.name!r}: it is not running. Start the monitor from inside a "
                    "coroutine on that loop, or once another thread runs it (or pass a dualio.Portal)"
                )
            self._loop_thread_id = loop_thread_id or _known_loop_thread(loop)
            if self._tasks is not None:
                self._tasks.install()
            self._state = _RUNNING
            self._thread = threading.Thread(target=self._watch, name=f"dualio-monitor-{self.name}", daemon=True)
            try:
                self._thread.start()
            except BaseException:
                self._state = _STOPPED
                if self._tasks is not None:
                    self._tasks.uninstall()
                raise
        return self

    def stop(self) -> None:
        """Stop watching: wake and join the watchdog thread, and restore the loop's task hooks.

        Idempotent and safe from any thread. A stall still in progress is recorded with ``finished=False``.
        """
        with self._lock:
            if self._state is _STOPPED:
                return
            was_running = self._state is _RUNNING
            self._state = _STOPPED
        self._sleeper.release()  # runs once: the state check above lets a single caller through
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        if was_running and self._tasks is not None:
            self._tasks.uninstall()
        if self._ongoing is not None and self._beats > self._ongoing_seq:  # answered just before the stop
            self._finish_ongoing(self._last_beat, finished=True)
        else:
            self._finish_ongoing(_monotonic(), finished=False)

    def __enter__(self) -> Self:
        if self._state is _NEW:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Monitor {self.name!r} {self._state} threshold={self.threshold}>"

    # -- results -------------------------------------------------------------------------------------------------

    def statistics(self) -> MonitorStatistics:
        """Return a snapshot of the counters (see :class:`MonitorStatistics`); safe from any thread."""
        counts, lag_sum, lag_max, (p50, p95, p99) = self._lag.snapshot()
        with self._lock:
            events = tuple(self._events)
            ongoing = self._ongoing
            event_count, blocked = self._event_count, self._blocked_seconds
        if ongoing is not None:
            events += (ongoing,)
        tasks = self._tasks
        issues: tuple[Any, ...] = ()
        destroyed = unretrieved = 0
        if tasks is not None:
            with tasks._lock:
                issues = tuple(tasks.issues)
                destroyed, unretrieved = tasks.destroyed_pending, tasks.exception_never_retrieved
            started, finished, pending = tasks.counts()
        else:
            started = finished = 0
            pending = len(unfinished_tasks(self.loop))
        return MonitorStatistics(
            name=self.name,
            running=self.running,
            threshold=self.threshold,
            interval=self.interval,
            heartbeats=sum(counts),
            lag_bucket_bounds=LAG_BUCKETS,
            lag_bucket_counts=counts,
            lag_sum=lag_sum,
            lag_max=lag_max,
            lag_p50=p50,
            lag_p95=p95,
            lag_p99=p99,
            blocking_events=event_count + (ongoing is not None),
            blocked_seconds=blocked,
            recent_blocking_events=events,
            tasks_started=started,
            tasks_finished=finished,
            tasks_pending=pending,
            tasks_destroyed_pending=destroyed,
            tasks_exception_never_retrieved=unretrieved,
            recent_task_issues=issues,
        )

    def _events_detected_since(self, since: float) -> list[BlockingEvent]:
        """Blocking events (finished or not) whose stack was sampled at or after ``since`` (monotonic)."""
        with self._lock:
            events = [*self._events, *([self._ongoing] if self._ongoing is not None else [])]
        return [event for event in events if event.detected_at >= since]

    # -- the watchdog thread -------------------------------------------------------------------------------------

    def _beat(self) -> None:
        """The heartbeat, a timer on the loop: record how late it ran, and schedule the next one."""
        if self._state is _STOPPED:
            return
        now = _monotonic()
        self._loop_thread_id = _get_ident()  # each time: a portal may lend its loop to a caller's thread
        last = self._last_beat
        if last and self._beat_valid:  # lateness of a timer due `interval` after the last beat
            self._lag.add(max(0.0, now - last - self.interval))
        self._beat_valid = True
        self._last_beat = now
        self._beats += 1
        self.loop.call_later(self.interval, self._beat)

    def _watch(self) -> None:
        """Body of the watchdog thread: sleep until the heartbeat would be ``threshold`` late, then look.

        The heartbeat is a timer the loop runs for itself every ``interval`` (no thread wake-up, no system call
        per beat). The watchdog only wakes when the latest beat would be overdue by ``threshold``: on a healthy
        loop a newer beat has run by then and it goes back to sleep, so it wakes about once per ``threshold``.
        If the beat is overdue and the loop is running, the loop thread is stuck: sample its stack.
        """
        loop, threshold, interval, sleep = self.loop, self.threshold, self.interval, self._sleeper.acquire
        try:
            try:
                loop.call_soon_threadsafe(self._beat)
            except RuntimeError:  # closed meanwhile
                return
            since = _monotonic()  # last time the loop was seen not running (or the start): the clock restarts there
            while True:
                due = max(self._last_beat, since) + interval  # when the next beat should have run, at the latest
                now = _monotonic()
                if self._ongoing is not None:
                    if self._beats > self._ongoing_seq:  # the loop answered: the stall is over
                        self._finish_ongoing(self._last_beat, finished=True)
                        continue
                    wake_at = now + max(interval, 0.05)
                elif loop.is_closed():
                    return
                elif not loop.is_running():  # not a stall: stopped between run_until_complete calls, or lent
                    # A plain loop may stay stopped for long: its next gap is not a lag. A portal's loop is only
                    # ever stopped while lent to a blocking caller (``lend_loop``), for at most ``lend_grace``
                    # when idle, and a beat that a stall held up may run just after it: that one is a lag.
                    if self.portal is None:
                        self._beat_valid = False
                    since = now
                    wake_at = now + interval
                elif now - due >= threshold:
                    self._sample(due, self._beats)
                    wake_at = now + interval
                else:
                    wake_at = due + threshold
                self._report_task_issues()
                if sleep(True, max(wake_at - _monotonic(), 0.0)):  # acquired: stop() released it
                    return
        except BaseException:  # pragma: no cover - a bug in the watchdog must not pass unnoticed
            logger.exception("dualio.monitor: the watchdog of %r failed and stopped", self.name)

    def _sample(self, sent: float, seq: int) -> None:
        """Record the loop thread's current stack as an ongoing blocking event, and log it."""
        if self.portal is not None:  # it knows which thread runs its loop, lent or not
            thread_id = self.portal._loop_runner()
        else:
            thread_id = _known_loop_thread(self.loop, running_here=False) or self._loop_thread_id
        frame: FrameType | None = sys._current_frames().get(thread_id) if thread_id is not None else None
        now = _monotonic()
        stack: tuple[str, ...] = ()
        function, filename, lineno = "<unknown>", "<unknown>", 0
        if frame is not None:
            summary = traceback.extract_stack(frame)
            del frame
            if summary:
                # A blocking dualio call made on the loop (dualio.run in an async def) blocks in dualio's own
                # wait: name the line that made it (the block guard named `_call_and_wait`).
                innermost = next((f for f in reversed(summary) if not f.filename.startswith(_DUALIO_DIR)), summary[-1])
                function, filename, lineno = innermost.name, innermost.filename, innermost.lineno or 0
            stack = tuple(traceback.format_list(summary))
        task = asyncio.current_task(self.loop)
        event = BlockingEvent(
            loop_name=self.name,
            function=function,
            filename=filename,
            lineno=lineno,
            stack=stack,
            task=task.get_name() if task is not None else None,
            duration=now - sent,
            finished=False,
            detected_at=now,
            wall_time=time.time(),
        )
        with self._lock:
            self._ongoing, self._ongoing_sent, self._ongoing_seq = event, sent, seq
        if self._log:
            logger.warning("dualio.monitor: %s", event.format())

    def _finish_ongoing(self, end: float, *, finished: bool) -> None:
        with self._lock:
            ongoing = self._ongoing
            if ongoing is None:
                return
            duration = max(end - self._ongoing_sent, ongoing.duration)
            event = _replace(ongoing, duration=duration, finished=finished)
            self._ongoing = None
            self._events.append(event)
            self._event_count += 1
            self._blocked_seconds += duration
        if self._on_block is not None:
            try:
                self._on_block(event)
            except Exception:
                logger.exception("dualio.monitor: the on_block callback of %r raised", self.name)

    def _report_task_issues(self) -> None:
        tasks = self._tasks
        if tasks is None or not self._log:
            return
        with tasks._lock:
            total = tasks.destroyed_pending + tasks.exception_never_retrieved
            new = list(tasks.issues)[-(total - self._issues_logged) :] if total > self._issues_logged else []
        self._issues_logged = total
        for issue in new:
            logger.error(
                "dualio.monitor: loop %r lost task %s (%s): %s at %s%s",
                self.name,
                issue.task,
                issue.coroutine,
                issue.kind,
                issue.location,
                f": {issue.exception}" if issue.exception else "",
            )


def watch(
    loop: asyncio.AbstractEventLoop | Portal | None = None,
    *,
    threshold: float = 0.1,
    interval: float | None = None,
    name: str | None = None,
    track_tasks: bool = True,
    count_tasks: bool = False,
    log: bool = True,
    on_block: Callable[[BlockingEvent], object] | None = None,
    max_events: int = 100,
) -> Monitor:
    """Start watching an event loop and return the running :class:`Monitor` (a context manager that stops it).

    ``loop=None`` watches the loop running in the calling thread (call it from a coroutine); pass a loop run by
    another thread, or a ``dualio.Portal``, to watch those. Use it as ``with watch(...) as monitor:`` or call
    ``monitor.stop()`` when done. See :class:`Monitor` for the arguments and errors.
    """
    monitor = Monitor(
        loop,
        threshold=threshold,
        interval=interval,
        name=name,
        track_tasks=track_tasks,
        count_tasks=count_tasks,
        log=log,
        on_block=on_block,
        max_events=max_events,
    )
    return monitor.start()


def _check_seconds(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidTimeoutError(f"{what} must be a number of seconds, got {type(value).__name__} {value!r}")
    seconds = float(value)
    if not (seconds > 0 and math.isfinite(seconds)):
        raise InvalidTimeoutError(f"{what} must be a positive, finite number of seconds, got {value!r}")
    return seconds


def _resolve_loop(loop: object) -> asyncio.AbstractEventLoop:
    if isinstance(loop, Portal):
        if loop.closed:
            raise LoopNotRunningError(f"cannot watch portal {loop.name!r}: it is shut down")
        return loop.loop
    if loop is None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            raise LoopNotRunningError(
                "watch() without a loop watches the loop running in this thread, and none is running here: call "
                "it from inside a coroutine, or pass the loop (or a dualio.Portal) to watch"
            ) from None
    if not isinstance(loop, asyncio.AbstractEventLoop):
        raise TypeError(f"loop must be an asyncio event loop, a dualio.Portal or None, got {type(loop).__name__}")
    return loop


def _known_loop_thread(loop: asyncio.AbstractEventLoop, *, running_here: bool = True) -> int | None:
    """The thread running the loop if it is knowable now: the calling thread (``running_here``), or the one
    asyncio recorded when ``run_forever`` began (uvloop does not say)."""
    if running_here and asyncio._get_running_loop() is loop:
        return _get_ident()
    thread_id = getattr(loop, "_thread_id", None)  # asyncio's BaseEventLoop sets it in run_forever; uvloop hides it
    return thread_id if isinstance(thread_id, int) else None


def _replace(event: BlockingEvent, *, duration: float, finished: bool) -> BlockingEvent:
    return dataclasses.replace(event, duration=duration, finished=finished)
