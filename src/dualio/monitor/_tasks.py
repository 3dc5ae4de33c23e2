"""Count a loop's tasks and catch the lost ones, through its task factory and its exception handler.

Both hooks are plain loop attributes that asyncio and uvloop alike expose and honour:

- the **task factory** sees every task made by ``loop.create_task`` (hence ``asyncio.create_task``,
  ``ensure_future``, ``gather``, ``TaskGroup``). It delegates to the factory that was installed before (for
  example ``asyncio.eager_task_factory``) and only appends the task to a list: no done-callback per task, which
  would cost an extra loop callback for each one. The list is swept at each heartbeat, on the loop thread: tasks
  already done are counted as finished, and only the longer-lived ones get a done-callback. A task is therefore
  held for at most one heartbeat interval longer than it would have been.
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
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from ._records import TaskIssue, TaskIssueKind

__all__ = ("TaskTracker",)

TaskFactory = Callable[..., "asyncio.Future[Any]"]
ExceptionHandler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]

_DESTROYED_PENDING = "destroyed but it is pending!"
_NEVER_RETRIEVED = "exception was never retrieved"


class TaskTracker:
    """Task counters of one loop (see the module docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_issues: int) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._new: list[asyncio.Future[Any]] = []
        self.started = 0
        self._finished_swept = 0  # written on the loop thread only
        self._finished_later = 0  # by done-callbacks, on the loop thread only
        self.destroyed_pending = 0
        self.exception_never_retrieved = 0
        self.issues: deque[TaskIssue] = deque(maxlen=max_issues)
        self._previous_factory: TaskFactory | None = None
        self._previous_handler: ExceptionHandler | None = None
        # Bound methods are made once, so that "is it still ours?" can be answered with `is`.
        self._factory_hook: TaskFactory = self._factory
        self._handler_hook: ExceptionHandler = self._handler
        self._on_done_hook = self._on_done
        self._installed = False

    @property
    def finished(self) -> int:
        return self._finished_swept + self._finished_later

    def install(self) -> None:
        """Chain the task factory and exception handler in front of the loop's current ones."""
        loop = self._loop
        self._previous_factory = loop.get_task_factory()
        self._previous_handler = loop.get_exception_handler()
        loop.set_task_factory(self._factory_hook)
        loop.set_exception_handler(self._handler_hook)
        self._installed = True

    def uninstall(self) -> None:
        """Restore the previous task factory and exception handler (if ours are still the loop's)."""
        if not self._installed:
            return
        self._installed = False
        loop = self._loop
        if loop.get_task_factory() is self._factory_hook:
            loop.set_task_factory(self._previous_factory)
        if loop.get_exception_handler() is self._handler_hook:
            loop.set_exception_handler(self._previous_handler)
        self._new = []  # release the tasks not swept yet

    def sweep(self) -> None:
        """Count the tasks created since the last sweep that are done; watch the others (loop thread only)."""
        new = self._new
        if not new:
            return
        self._new = []
        on_done = self._on_done_hook
        finished = 0
        for task in new:
            if task.done():
                finished += 1
            else:
                task.add_done_callback(on_done)
        self._finished_swept += finished

    def _factory(self, loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any) -> Any:
        previous = self._previous_factory
        task = previous(loop, coro, **kwargs) if previous is not None else asyncio.Task(coro, loop=loop, **kwargs)
        self.started += 1
        self._new.append(task)
        return task

    def _on_done(self, task: asyncio.Future[Any]) -> None:
        self._finished_later += 1

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
