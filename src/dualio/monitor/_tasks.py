"""Count a loop's tasks and catch the lost ones, through its task factory and its exception handler.

Both hooks are plain loop attributes that asyncio and uvloop alike expose and honour:

- the **task factory** sees every task made by ``loop.create_task`` (hence ``asyncio.create_task``,
  ``ensure_future``, ``gather``, ``TaskGroup``). It delegates to the factory that was installed before (for
  example ``asyncio.eager_task_factory``) and only counts the task: no reference kept, no done-callback (which
  would cost an extra loop callback per task). How many are finished is worked out when a snapshot is taken:
  started minus those of them still pending (``asyncio.all_tasks``, minus the tasks that existed before the
  monitor started). A task destroyed while pending is no longer pending, so it counts as finished too.
- the **exception handler** receives what asyncio reports when a task is garbage-collected: "Task was destroyed
  but it is pending!" and "Task exception was never retrieved". The handler counts them, then passes the context
  on to the handler that was there before, or to the loop's default handler (which logs it), so nothing that
  used to be logged goes silent. It may run on any thread (garbage collection runs finalizers wherever it
  happens), so its state is under a lock.

``uninstall`` puts the previous factory and handler back, unless someone replaced ours in the meantime (then
theirs is left in place: restoring ours' predecessor would silently undo their change).
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from ._records import TaskIssue, TaskIssueKind

__all__ = ("TaskTracker", "unfinished_tasks")

TaskFactory = Callable[..., "asyncio.Future[Any]"]
ExceptionHandler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]

_DESTROYED_PENDING = "destroyed but it is pending!"
_NEVER_RETRIEVED = "exception was never retrieved"


class TaskTracker:
    """Task counters of one loop (see the module docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_issues: int, *, lost: bool, count: bool) -> None:
        self._loop = loop
        self.lost = lost  # chain the exception handler: report lost tasks (no cost per task)
        self.count = count  # chain the task factory: count started and finished tasks (one call per task)
        self._lock = threading.Lock()
        self._started = 0
        self._finished = 0  # the largest value reported, so that the counter never goes down
        self._before: weakref.WeakSet[asyncio.Future[Any]] = weakref.WeakSet()
        self.destroyed_pending = 0
        self.exception_never_retrieved = 0
        self.issues: deque[TaskIssue] = deque(maxlen=max_issues)
        self._previous_factory: TaskFactory | None = None
        self._previous_handler: ExceptionHandler | None = None
        # Hooks are made once, so that "is it still ours?" can be answered with `is`.
        self._factory_hook: TaskFactory = self._make_factory()
        self._handler_hook: ExceptionHandler = self._handler
        self._installed = False

    @property
    def started(self) -> int:
        return self._started

    def counts(self) -> tuple[int, int, int]:
        """Return (started, finished, pending now) — callable from any thread (it walks the loop's tasks)."""
        loop = self._loop
        pending = unfinished_tasks(loop)
        if not self.count:
            return 0, 0, len(pending)
        started = self._started
        pending_since_start = sum(1 for task in pending if task not in self._before)
        with self._lock:
            self._finished = max(self._finished, started - pending_since_start)
            return started, self._finished, len(pending)

    def install(self) -> None:
        """Chain the task factory and/or the exception handler in front of the loop's current ones."""
        loop = self._loop
        if self.count:
            self._before = weakref.WeakSet(unfinished_tasks(loop))
            self._previous_factory = loop.get_task_factory()
            self._factory_hook = self._make_factory()
            loop.set_task_factory(self._factory_hook)
        if self.lost:
            self._previous_handler = loop.get_exception_handler()
            loop.set_exception_handler(self._handler_hook)
        self._installed = True

    def uninstall(self) -> None:
        """Restore the previous task factory and exception handler (if ours are still the loop's)."""
        if not self._installed:
            return
        self._installed = False
        loop = self._loop
        if self.count and loop.get_task_factory() is self._factory_hook:
            loop.set_task_factory(self._previous_factory)
        if self.lost and loop.get_exception_handler() is self._handler_hook:
            loop.set_exception_handler(self._previous_handler)

    def _make_factory(self) -> TaskFactory:
        """The task factory: as little as possible per task (one call, the task, one counter)."""
        previous = self._previous_factory
        task_type = asyncio.Task
        tracker = self

        if previous is None:

            def factory(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any) -> Any:
                task = task_type(coro, loop=loop, **kwargs)
                tracker._started += 1
                return task

            # A portal makes its calls' tasks itself, eagerly, and only has them counted (``_eager.start_task``).
            factory.count_started = self._count_started  # type: ignore[attr-defined]

        else:

            def factory(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any) -> Any:
                task = previous(loop, coro, **kwargs)
                tracker._started += 1
                return task

        return factory

    def _count_started(self) -> None:
        self._started += 1

    def _handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        try:
            self._inspect(context)
        finally:
            previous = self._previous_handler
            if previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

    def _inspect(self, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        kind: TaskIssueKind
        if message.endswith(_DESTROYED_PENDING) and "task" in context:
            kind, future = "destroyed_pending", context["task"]
        elif message.endswith(_NEVER_RETRIEVED) and "exception" in context and "future" in context:
            kind, future = "exception_never_retrieved", context["future"]
        else:
            return
        issue = _describe(kind, future, context.get("exception"))
        with self._lock:
            if kind == "destroyed_pending":
                self.destroyed_pending += 1
            else:
                self.exception_never_retrieved += 1
            self.issues.append(issue)


def unfinished_tasks(loop: asyncio.AbstractEventLoop) -> set[asyncio.Task[Any]]:
    """Unfinished tasks of ``loop``; callable from any thread (``all_tasks`` retries while the set changes)."""
    if loop.is_closed():
        return set()
    try:
        return asyncio.all_tasks(loop)
    except RuntimeError:  # the set kept changing under a very busy loop, 1000 times in a row
        return set()


def _describe(kind: TaskIssueKind, future: object, exception: object) -> TaskIssue:
    """Name the lost task, its coroutine and where it stood, without raising whatever it is."""
    name = future.get_name() if isinstance(future, asyncio.Task) else type(future).__name__
    coroutine = location = None
    coro = future.get_coro() if isinstance(future, asyncio.Task) else None
    if coro is not None:
        coroutine = getattr(coro, "__qualname__", None) or type(coro).__name__
        frame = getattr(coro, "cr_frame", None)
        code = getattr(coro, "cr_code", None)
        if frame is not None:
            location = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        elif code is not None:  # already closed (collected with it): where the coroutine function is defined
            location = f"{code.co_filename}:{code.co_firstlineno}"
    if isinstance(exception, BaseException):
        tb = exception.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None:
            location = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
    return TaskIssue(
        kind=kind,
        task=name,
        coroutine=coroutine,
        location=location,
        exception=repr(exception) if isinstance(exception, BaseException) else None,
        wall_time=time.time(),
    )
