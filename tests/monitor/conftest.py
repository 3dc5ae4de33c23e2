"""Fixtures for the monitor tests: a real event loop (asyncio or uvloop) run by a thread of its own."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from tests.conftest import LoopFactory

T = TypeVar("T")


class LoopThread:
    """A loop running ``run_forever`` on a thread; ``run(coro)`` runs a coroutine there and waits for it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.thread = threading.Thread(target=loop.run_forever, name="monitor-test-loop", daemon=True)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 20) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], T], timeout: float = 20) -> T:
        async def call() -> T:
            return fn()

        return self.run(call(), timeout)


@pytest.fixture
def loop_thread(loop_factory: LoopFactory) -> Iterator[LoopThread]:
    """A running loop of each supported kind on its own thread, stopped and closed after the test."""
    loop = (loop_factory or asyncio.new_event_loop)()
    runner = LoopThread(loop)
    runner.thread.start()
    wait_until(loop.is_running)
    try:
        yield runner
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.thread.join(10)
        loop.close()


def wait_until(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until it is true; fail the test if it is not within ``timeout`` (a bound, not a timing)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(0.005)
