"""Start a task and run its first step at once, as Python 3.12's ``eager_start=True`` does.

A portal call whose coroutine finishes without suspending (a cache hit, a no-op, a buffered read) then
completes inside the loop callback that started it: one loop iteration instead of three, which is most of the
gap between a bare ``call_soon_threadsafe`` round trip and ``run_coroutine_threadsafe`` (benchmarks/README.md).
The task is a real ``asyncio.Task`` and is the current task during that step, so ``asyncio.timeout``,
``TaskGroup``, anyio and aiohttp work as usual.

- Python >= 3.12: the public ``asyncio.Task(..., eager_start=True)``, on any loop.
- Python 3.11: the portal's default loop is :class:`EagerStartLoop`, the stdlib selector loop with one
  addition: while it constructs a task it keeps the first-step callback that the task hands to ``call_soon``
  instead of queueing it, and runs it at once. Other loops (uvloop, a custom ``loop_factory``) start the task
  on the next iteration, as asyncio always does.

A loop with a task factory (``loop.set_task_factory``: tracing, aiomonitor, ``asyncio.eager_task_factory``)
makes the task through it, so it sees every call's task; whether the first step runs at once is then its choice.
``dualio.monitor``'s task counter alone (``count_tasks=True``) counts the task, which still starts eagerly.

Inside another running task: 3.12's eager start swaps the current task and still runs the step at once; the
3.11 emulation cannot (entering a task from a task is refused there), so it schedules the task normally.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVarTuple, Unpack

__all__ = ("EagerStartLoop", "default_loop_factory", "start_task")

Ts = TypeVarTuple("Ts")
_current_task = asyncio.current_task


class EagerStartLoop(asyncio.SelectorEventLoop):
    """The stdlib selector event loop, able to run a new task's first step at once (see module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._capture_next_call = False
        self._captured: tuple[Callable[[], object], contextvars.Context] | None = None
        self._not_queued = asyncio.Handle(_never_run, (), self)  # returned for the step that was kept
        self._not_queued.cancel()

    def call_soon(
        self,
        callback: Callable[[Unpack[Ts]], object],
        *args: *Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        if self._capture_next_call and not args and context is not None:
            self._capture_next_call = False
            self._captured = (callback, context)
            return self._not_queued
        return super().call_soon(callback, *args, context=context)

    def start_task_now(self, coro: Coroutine[Any, Any, Any], context: contextvars.Context) -> asyncio.Task[Any]:
        """Create a task for ``coro`` and run its first step before returning (call on the loop thread)."""
        self._capture_next_call = True
        try:
            task = asyncio.Task(coro, loop=self, context=context)
        finally:
            self._capture_next_call = False
        step, self._captured = self._captured, None
        if step is not None:
            callback, step_context = step
            try:
                step_context.run(callback)
            except (KeyboardInterrupt, SystemExit):
                pass  # stored in the task as its exception; the caller receives it from there
        return task


def _only_counts(factory: Callable[..., object]) -> bool:
    """Whether ``factory`` is ``dualio.monitor``'s task counter over no other factory (``count_tasks=True``),
    which makes tasks as the loop does without one: then the task is counted here and still started eagerly."""
    count = getattr(factory, "count_started", None)
    if count is None:
        return False
    count()
    return True


def _never_run() -> None:
    """Callback of the placeholder handle; it is cancelled and never queued."""


if sys.version_info >= (3, 12):
    default_loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop

    def start_task(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], context: contextvars.Context
    ) -> asyncio.Task[Any]:
        """Create a task for ``coro`` on ``loop`` (the running loop) and run its first step now, unless the loop
        has a task factory, which then makes the task (it may start it eagerly, or not)."""
        factory = loop.get_task_factory()
        if factory is not None and not _only_counts(factory):
            return loop.create_task(coro, context=context)
        return asyncio.Task(coro, loop=loop, context=context, eager_start=True)

else:
    default_loop_factory = asyncio.new_event_loop if sys.platform == "win32" else EagerStartLoop

    def start_task(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], context: contextvars.Context
    ) -> asyncio.Task[Any]:
        """Create a task for ``coro`` on ``loop`` (the running loop) and run its first step now if possible; a
        loop's task factory makes the task instead, if it has one."""
        factory = loop.get_task_factory()
        if factory is not None and not _only_counts(factory):
            return loop.create_task(coro, context=context)
        if type(loop) is EagerStartLoop and _current_task(loop) is None:
            return loop.start_task_now(coro, context)
        return asyncio.Task(coro, loop=loop, context=context)
