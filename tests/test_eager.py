"""``start_task``: a real task whose first step runs at once when that is possible and safe."""

from __future__ import annotations

import asyncio
import contextvars
import sys

import pytest
import uvloop

from dualio._eager import EagerStartLoop, start_task


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
