"""A lending portal starts a call's task in the caller's thread without a loop iteration (``_as_running``).

What must hold: a coroutine that finishes in its first step costs no loop iteration; what it sees is what it
would see inside ``run_forever`` (the running loop, a current task, the loop's async generator hooks); and a
run of such calls still gives the selector and due timers an iteration at least every ``lend_grace``.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol, cast

import pytest

import dualio
from dualio import _lending
from dualio._as_running import can_run_as_running_loop, run_as_running_loop
from dualio._eager import default_loop_factory

from .helpers import noop


class CountingLoop(Protocol):
    iterations: int


def counting_loop() -> asyncio.AbstractEventLoop:
    """The portal's default loop (the same class: on 3.11 only it starts tasks eagerly), counting iterations."""
    loop: Any = default_loop_factory()
    run_once = loop._run_once  # BaseEventLoop's private method: one call per iteration

    def counted() -> None:
        loop.iterations += 1
        run_once()

    loop.iterations = 0
    loop._run_once = counted
    return cast(asyncio.AbstractEventLoop, loop)


@pytest.fixture
def counting() -> Iterator[dualio.Portal]:
    """A lending portal on a counting loop; a long grace, so that no test depends on the machine's speed."""
    with dualio.Portal("steps", loop_factory=counting_loop, lend_loop=True, lend_grace=1.0) as started:
        yield started


def iterations(portal: dualio.Portal) -> int:
    return cast(CountingLoop, portal.loop).iterations


def test_calls_that_finish_in_their_first_step_run_no_loop_iteration(counting: dualio.Portal) -> None:
    counting.run(noop())  # takes the loop from the portal's thread, which has just iterated
    before = iterations(counting)
    for _ in range(100):
        counting.run(noop())
    assert iterations(counting) == before
    lender = counting._lender
    assert lender is not None  # nothing was left for the portal's thread to run: it was never asked for its loop
    assert lender.owner is _lending.LENT
    assert not lender._wake_requested


def test_a_call_that_suspends_runs_the_loop_after_its_first_step(counting: dualio.Portal) -> None:
    async def sleep_then_return() -> str:
        await asyncio.sleep(0.01)
        return "done"

    counting.run(noop())
    before = iterations(counting)
    assert counting.run(sleep_then_return()) == "done"
    assert iterations(counting) > before


def test_the_first_step_sees_the_running_loop_a_task_and_the_calling_thread(counting: dualio.Portal) -> None:
    async def look() -> tuple[bool, bool, bool, int]:
        loop = asyncio.get_running_loop()
        return loop is counting.loop, loop.is_running(), asyncio.current_task() is not None, threading.get_ident()

    counting.run(noop())
    before = iterations(counting)
    assert counting.run(look()) == (True, True, True, threading.get_ident())
    assert iterations(counting) == before  # it was started without an iteration
    assert not counting.loop.is_running()  # and everything was restored after it
    assert asyncio._get_running_loop() is None
    assert counting.loop._stopping is False  # type: ignore[attr-defined]  # its loop.stop() spent


def test_an_async_generator_first_iterated_there_is_shut_down_with_the_loop() -> None:
    finalized = threading.Event()
    kept: list[AsyncIterator[int]] = []

    async def numbers() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            finalized.set()

    async def first_of_numbers() -> int:
        agen = numbers()
        kept.append(agen)  # still referenced at shutdown: only the loop's hooks can finalize it
        return await agen.__anext__()

    portal = dualio.Portal("agen", loop_factory=counting_loop, lend_loop=True, lend_grace=1.0)
    with portal:
        portal.run(noop())
        before = iterations(portal)
        assert portal.run(first_of_numbers()) == 1
        assert iterations(portal) == before
        assert not finalized.is_set()
    assert finalized.is_set()  # shutdown_asyncgens() closed it: the loop's firstiter hook had registered it
    assert sys.get_asyncgen_hooks() == (None, None)  # this thread's hooks were restored


def test_a_run_of_such_calls_still_gives_timers_and_io_an_iteration_every_lend_grace() -> None:
    with dualio.Portal("fair", lend_loop=True, lend_grace=0.005) as portal:
        portal.run(noop())
        background = portal.submit(asyncio.sleep(0.02, "slept"))
        deadline = time.monotonic() + 10
        while not background.done() and time.monotonic() < deadline:
            portal.run(noop())  # back to back: the loop is never idle for lend_grace
        assert background.result(timeout=0) == "slept"


def test_debug_mode_and_other_loops_keep_run_forever() -> None:
    loop = asyncio.new_event_loop()
    try:
        assert can_run_as_running_loop(loop)
        loop.set_debug(True)
        assert not can_run_as_running_loop(loop)
    finally:
        loop.close()
    uvloop = pytest.importorskip("uvloop")
    other = uvloop.new_event_loop()
    try:
        assert not can_run_as_running_loop(other)
    finally:
        other.close()


def test_the_loop_state_is_restored_when_the_callback_raises() -> None:
    loop = asyncio.new_event_loop()
    try:

        def fail() -> None:
            assert asyncio.get_running_loop() is loop
            raise ValueError("from the callback")

        with pytest.raises(ValueError, match="from the callback"):
            run_as_running_loop(loop, fail)
        assert asyncio._get_running_loop() is None
        assert not loop.is_running()
        assert loop.run_until_complete(asyncio.sleep(0, "usable")) == "usable"
    finally:
        loop.close()
