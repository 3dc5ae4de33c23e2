"""Start a task and run its first step at once, as Python 3.12's ``eager_start=True`` does.

A portal call whose coroutine finishes without suspending (a cache hit, a no-op, a buffered read) then
completes inside the loop callback that started it: one loop iteration instead of three, which is most of the
gap between a bare ``call_soon_threadsafe`` round trip and ``run_coroutine_threadsafe`` (benchmarks/README.md).
The task is a real ``asyncio.Task`` and is the current task during that step, so ``asyncio.timeout``,
``TaskGroup``, anyio and aiohttp work as usual.

On Python >= 3.12 this is the public ``asyncio.Task(..., eager_start=True)``. On 3.11 the task is created
normally and the first-step handle it just scheduled on a stdlib loop's ready queue is taken back and run now.
On a loop without that queue (uvloop) the task simply starts on the next iteration.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections import deque
from collections.abc import Coroutine
from typing import Any

__all__ = ("start_task",)

_current_task = asyncio.current_task


if sys.version_info >= (3, 12):

    def start_task(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], context: contextvars.Context
    ) -> asyncio.Task[Any]:
        """Create a task for ``coro`` on ``loop`` (the running loop) and run its first step now."""
        # eager_start falls back to a scheduled first step by itself when another task is running
        return asyncio.Task(coro, loop=loop, context=context, eager_start=True)

else:

    def start_task(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], context: contextvars.Context
    ) -> asyncio.Task[Any]:
        """Create a task for ``coro`` on ``loop`` (the running loop) and run its first step now if possible."""
        task = asyncio.Task(coro, loop=loop, context=context)  # what loop.create_task does, minus its checks
        ready = getattr(loop, "_ready", None)
        if type(ready) is deque and ready and _current_task(loop) is None:  # a step cannot run inside another
            handle = ready[-1]  # other threads only append, so the task's step is here unless one just did
            if getattr(handle._callback, "__self__", None) is task:
                ready.remove(handle)
                try:
                    handle._run()
                except (KeyboardInterrupt, SystemExit):
                    pass  # stored in the task as its exception; the caller receives it from there
        return task
