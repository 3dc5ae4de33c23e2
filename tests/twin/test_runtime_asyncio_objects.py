"""asyncio's own objects through run-time twins.

asyncio's classes other than loops, futures and handles map as any package's do: a subprocess's ``stdout`` read
through its twin is a twin. A task that a sync ``def`` returns is not awaited, and a task or future that reaches
sync code comes back as a ``PortalFuture`` (``result(timeout)``, ``cancel()`` on the loop), as ``submit``
returns. ``asyncio.Timeout`` and ``asyncio.TaskGroup``, bound to the task that enters them, are refused with
advice.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import pytest

import dualio
import dualio.twin
from dualio import PortalFuture
from dualio.twin import Twin, sync_class, twin_of, unwrap


async def _spawn(code: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )


def test_a_subprocess_pipe_read_through_its_twin_is_a_twin() -> None:
    # The child waits for its stdin to close before it exits: drain() after the pipe closed would raise
    # ConnectionResetError, in `async` code too (a race the test must not have).
    code = "import sys; print('a', flush=True); print(sys.stdin.readline().strip().upper()); sys.stdin.read()"
    proc = twin_of(dualio.run(_spawn(code)))
    stdout, stdin = proc.stdout, proc.stdin
    assert Twin in type(stdout).__mro__
    assert Twin in type(stdin).__mro__
    first = stdout.readline()
    assert first == b"a\n"
    stdin.write(b"shout\n")
    stdin.drain()
    stdin.close()
    lines = list(stdout)  # iterated on the loop until EOF
    assert lines == [b"SHOUT\n"]
    assert proc.wait() == 0


class AsyncWorker:
    """Starts background work as ``loop.create_task`` does: a sync ``def`` returning a running task."""

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()

    def start(self, seconds: float, result: Any = "done") -> asyncio.Task[Any]:
        return asyncio.get_running_loop().create_task(self._work(seconds, result))

    async def _work(self, seconds: float, result: Any) -> Any:
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        if isinstance(result, BaseException):
            raise result
        return result

    async def later(self) -> asyncio.Future[str]:
        """A future returned as a value, as websockets' ``ping()`` returns its pong waiter."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.05, future.set_result, "pong")
        return future

    async def partner(self) -> AsyncWorker:
        return AsyncWorker()


def test_a_task_a_sync_def_returns_is_a_portal_future_at_once() -> None:
    worker = sync_class(AsyncWorker)()
    began = time.monotonic()
    future = worker.start(0.2)
    assert time.monotonic() - began < 0.15  # not awaited: the task runs on its own
    assert isinstance(future, PortalFuture)
    assert future.result(timeout=5) == "done"


def test_two_started_tasks_run_at_the_same_time() -> None:
    worker = sync_class(AsyncWorker)()
    began = time.monotonic()
    futures = [worker.start(0.3, n) for n in range(2)]
    results = [future.result(timeout=5) for future in futures]
    assert results == [0, 1]
    assert time.monotonic() - began < 0.55  # 0.3 s together, not 0.6 s one after the other


def test_cancelling_the_portal_future_cancels_the_task_on_the_loop() -> None:
    worker = sync_class(AsyncWorker)()
    future = worker.start(30)
    assert future.cancel()
    assert future.cancelled()
    seen = dualio.run(asyncio.wait_for(unwrap(worker).cancelled.wait(), 5))
    assert seen is True


def test_a_failed_task_raises_from_result() -> None:
    worker = sync_class(AsyncWorker)()
    future = worker.start(0.01, ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        future.result(timeout=5)


def test_a_task_result_is_mapped_to_its_twin() -> None:
    async def make() -> AsyncWorker:
        return AsyncWorker()

    worker = sync_class(AsyncWorker)()
    inner = dualio.run(make())
    future = worker.start(0.01, inner)
    assert future.result(timeout=5) is twin_of(inner)


def test_a_future_returned_by_an_async_def_is_a_portal_future() -> None:
    worker = sync_class(AsyncWorker)()
    waiter = worker.later()
    assert isinstance(waiter, PortalFuture)
    assert waiter.result(timeout=5) == "pong"


@pytest.mark.parametrize("task_scoped", [asyncio.Timeout, asyncio.TaskGroup])
def test_task_scoped_context_managers_are_refused_with_advice(task_scoped: type) -> None:
    with pytest.raises(TypeError, match=r"bound to the task that enters it.*dualio\.twin\.timeout") as caught:
        sync_class(task_scoped)
    assert task_scoped.__qualname__ in str(caught.value)


def test_a_task_group_made_by_async_code_is_refused_by_twin_of() -> None:
    async def make() -> asyncio.TaskGroup:
        return asyncio.TaskGroup()

    with pytest.raises(TypeError, match="bound to the task that enters it"):
        twin_of(dualio.run(make()))
