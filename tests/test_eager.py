"""``start_task``: a real task whose first step runs at once when that is possible and safe."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import subprocess
import sys
from typing import Any

import pytest
import uvloop

import dualio
import dualio.monitor
from dualio._eager import EagerStartLoop, default_loop_factory, start_task


async def current_task_is_set() -> bool:
    return asyncio.current_task() is not None


def run_in_callback(loop: asyncio.AbstractEventLoop) -> tuple[bool, bool]:
    """Start a task from a plain loop callback; return (finished at once, its result once done)."""
    started: asyncio.Future[asyncio.Task[bool]] = loop.create_future()
    finished_at_once: list[bool] = []

    def callback() -> None:
        task = start_task(loop, current_task_is_set(), contextvars.copy_context())
        finished_at_once.append(task.done())
        started.set_result(task)

    async def main() -> bool:
        loop.call_soon(callback)
        return await (await started)

    result = loop.run_until_complete(main())
    loop.close()
    return finished_at_once[0], result


def test_first_step_runs_at_once_from_a_callback_with_a_current_task() -> None:
    loop = EagerStartLoop() if sys.version_info < (3, 12) else asyncio.new_event_loop()
    finished_at_once, result = run_in_callback(loop)
    assert finished_at_once is True
    assert result is True


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12+ starts eagerly on every loop")
def test_on_a_plain_stdlib_loop_the_task_starts_on_the_next_iteration() -> None:
    finished_at_once, result = run_in_callback(asyncio.SelectorEventLoop())
    assert finished_at_once is False
    assert result is True


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the 3.11 emulation")
def test_eager_loop_schedules_other_callbacks_normally() -> None:
    loop = EagerStartLoop()
    seen: list[str] = []
    loop.call_soon(seen.append, "plain call_soon")
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.close()
    assert seen == ["plain call_soon"]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12+ starts eagerly on every loop")
def test_on_uvloop_the_task_starts_on_the_next_iteration() -> None:
    finished_at_once, result = run_in_callback(uvloop.new_event_loop())
    assert finished_at_once is False
    assert result is True


def test_inside_a_running_task_the_step_runs_at_once_on_312_and_is_scheduled_on_311() -> None:
    async def main() -> tuple[bool, bool]:
        task = start_task(asyncio.get_running_loop(), current_task_is_set(), contextvars.copy_context())
        return task.done(), await task

    with asyncio.Runner(loop_factory=EagerStartLoop) as runner:
        assert runner.run(main()) == (sys.version_info >= (3, 12), True)


def test_a_loop_task_factory_makes_every_call_task(lend_loop: bool) -> None:
    """A factory set on the portal's loop (tracing, aiomonitor) sees the task of every call, not only the tasks
    the calls create (review 25b: ``run``/``submit``'s own tasks bypassed it); ``eager_task_factory`` too."""
    made: list[str] = []

    def recording_factory(loop: asyncio.AbstractEventLoop, coro: Any, /, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(getattr(coro, "__qualname__", ""))
        return asyncio.Task(coro, loop=loop, **kwargs)

    def loop_with_factory() -> asyncio.AbstractEventLoop:
        loop = default_loop_factory()
        loop.set_task_factory(recording_factory)
        return loop

    async def top(value: int) -> int:
        await asyncio.sleep(0)
        return value

    async def no_suspension(value: int) -> int:
        return value

    variable = contextvars.ContextVar("variable", default="unset")
    with dualio.Portal(loop_factory=loop_with_factory, lend_loop=lend_loop) as portal:
        variable.set("caller's")
        assert portal.run(top(1)) == 1
        assert portal.run(no_suspension(2)) == 2
        assert portal.submit(top(3)).result(timeout=10) == 3
        assert portal.run(asyncio.to_thread(variable.get)) == "caller's"  # the context still reaches the task
    assert made.count("test_a_loop_task_factory_makes_every_call_task.<locals>.top") == 2
    assert made.count("test_a_loop_task_factory_makes_every_call_task.<locals>.no_suspension") == 1


def test_an_eager_task_factory_on_the_portal_loop() -> None:
    eager_factory = getattr(asyncio, "eager_task_factory", None)
    if eager_factory is None:
        pytest.skip("asyncio.eager_task_factory exists from Python 3.12 on")

    def eager_loop() -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        loop.set_task_factory(eager_factory)
        return loop

    async def slow() -> None:
        await asyncio.sleep(10)

    async def quick() -> str:
        return "x"

    async def child_started_at_once() -> bool:
        child = asyncio.get_running_loop().create_task(quick())
        return child.done()  # the eager factory ran it to its end as it was made

    with dualio.Portal(loop_factory=eager_loop) as portal:
        assert portal.run(child_started_at_once()) is True
        with pytest.raises(TimeoutError):
            portal.run(slow(), timeout=0.05)


def test_exit_after_the_default_executor_was_used_prints_nothing() -> None:
    """At exit the portal closes asyncio's default executor; Python 3.12.0-3.12.1 refuse the thread that
    takes, and its task's error was printed as "Task exception was never retrieved" (review 25b)."""
    script = "import asyncio, dualio; print(dualio.run(asyncio.to_thread(lambda: 1)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "1\n", "")


def test_the_monitor_task_counter_counts_call_tasks_which_still_start_at_once(lend_loop: bool) -> None:
    """``watch(portal, count_tasks=True)`` chains a counting factory: it must neither miss the calls' tasks nor
    turn the portal's eager first step off (what it watches would change by being watched)."""

    async def noop() -> None:
        pass

    async def spawn_two() -> None:
        await asyncio.gather(asyncio.sleep(0), asyncio.sleep(0))

    with (
        dualio.Portal(lend_loop=lend_loop) as portal,
        dualio.monitor.watch(portal, threshold=1.0, log=False, count_tasks=True) as monitor,
    ):
        before = monitor.statistics().tasks_started
        for _ in range(3):
            portal.run(noop)
        portal.run(spawn_two)
        assert monitor.statistics().tasks_started - before == 3 + 1 + 2
        loop = portal.loop
        assert loop is not None
        started_at_once: concurrent.futures.Future[bool] = concurrent.futures.Future()

        def from_a_loop_callback() -> None:  # as the portal starts a call's task
            task = start_task(loop, noop(), contextvars.copy_context())
            started_at_once.set_result(task.done())

        loop.call_soon_threadsafe(from_a_loop_callback)
        if lend_loop:
            portal.run(asyncio.sleep(0.01))  # lets the loop run in this thread too
        assert started_at_once.result(timeout=10) is True
        assert monitor.statistics().tasks_started - before == 3 + 1 + 2 + 1 + (1 if lend_loop else 0)
