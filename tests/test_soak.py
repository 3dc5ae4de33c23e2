"""Resource use over many life cycles (regular suite), and a mixed-workload soak run (``make test-slow``)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import random
import threading
import time

import pytest

import dualio
from tests.helpers import double

pytestmark = pytest.mark.filterwarnings("error")


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count file descriptors")
def test_starting_and_shutting_down_portals_leaks_no_thread_and_no_fd(loop_factory: object, lend_loop: bool) -> None:
    with dualio.Portal(loop_factory=loop_factory, lend_loop=lend_loop) as warm_up:  # type: ignore[arg-type]
        warm_up.run(double, 1)  # first use imports and caches what later portals reuse
    threads_before, fds_before = set(threading.enumerate()), open_fds()
    for _ in range(50):
        with dualio.Portal(loop_factory=loop_factory, lend_loop=lend_loop) as portal:  # type: ignore[arg-type]
            assert portal.run(double, 2) == 4
            assert portal.run(double, 3) == 6
    for _ in range(20):
        assert dualio.run(double, 3) == 6
        dualio.shutdown()
    # what this test opened is closed again (threads or fds of earlier tests may end meanwhile: not counted)
    assert set(threading.enumerate()) - threads_before == set()
    assert open_fds() - fds_before == set()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_soak_mixed_calls_timeouts_and_cancels_from_many_threads(loop_factory: object, lend_loop: bool) -> None:
    """Eight threads for 60 s: run, submit, timeouts, cancels, iterate and enter, then every count adds up."""
    deadline = time.monotonic() + 60
    errors: list[BaseException] = []

    async def work(kind: int) -> int:
        if kind == 0:
            return kind
        await asyncio.sleep(random.random() / 500)
        return kind

    async def items() -> object:
        for i in range(3):
            await asyncio.sleep(0)
            yield i

    with dualio.Portal("soak", loop_factory=loop_factory, lend_loop=lend_loop) as portal:  # type: ignore[arg-type]

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            try:
                while time.monotonic() < deadline:
                    choice = rng.randrange(6)
                    if choice == 0:
                        assert portal.run(work, 1) == 1
                    elif choice == 1:
                        portal.submit(work, 2).result(timeout=10)
                    elif choice == 2:
                        try:
                            portal.run(asyncio.sleep, 1, timeout=rng.random() / 1000)
                        except TimeoutError:
                            pass
                    elif choice == 3:
                        future = portal.submit(asyncio.sleep, 1)
                        future.cancel()
                    elif choice == 4:
                        assert list(portal.iterate(items())) == [0, 1, 2]  # type: ignore[arg-type]
                    else:
                        assert portal.run(work, 0) == 0
            except BaseException as exc:
                errors.append(exc)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(worker, range(8)))
        deadline_pending = time.monotonic() + 10
        while portal.statistics().tasks_pending and time.monotonic() < deadline_pending:
            time.sleep(0.05)
        stats = portal.statistics()
    assert errors == []
    assert stats.tasks_pending == 0
    assert stats.tasks_submitted == stats.tasks_completed + stats.tasks_failed + stats.tasks_cancelled
    assert stats.tasks_failed == 0
    assert stats.tasks_submitted > 10_000
