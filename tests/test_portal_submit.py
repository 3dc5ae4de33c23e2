"""``submit``: fire-and-forget that never loses work silently (behaviours 1 and 7), and statistics."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
import threading
import time
import weakref

import pytest

import dualio
from tests.helpers import Boom, Flags, double, fail_after_await, noop, sleep_then_cleanup


def test_submit_returns_a_concurrent_future_with_the_result(portal: dualio.Portal) -> None:
    future = portal.submit(double, 21)
    assert isinstance(future, concurrent.futures.Future)
    assert future.result(timeout=5) == 42
    done, _ = concurrent.futures.wait([portal.submit(double(i)) for i in range(10)], timeout=5)
    assert sorted(f.result() for f in done) == [2 * i for i in range(10)]


def test_submit_timeout_cancels_on_the_loop_and_ends_with_timeout_error(portal: dualio.Portal) -> None:
    flags = Flags()
    future = portal.submit(sleep_then_cleanup, flags, timeout=0.1)
    error = future.exception(timeout=5)
    assert isinstance(error, TimeoutError)
    assert "did not finish within 0.1 s" in str(error)
    assert flags.cleaned_up.is_set()


def test_future_cancel_cancels_the_task_on_the_loop(portal: dualio.Portal) -> None:
    flags = Flags()
    future = portal.submit(sleep_then_cleanup, flags)
    assert flags.started.wait(5)
    assert future.cancel() is True
    with pytest.raises(concurrent.futures.CancelledError):
        future.result(timeout=5)
    assert flags.cleaned_up.wait(5), "the task kept running after its future was cancelled"
    assert portal.run(double, 1) == 2


def test_a_cancelled_future_is_done_for_wait_and_as_completed(portal: dualio.Portal) -> None:
    """Review 26c: ``wait``/``as_completed`` saw a cancelled future as never done (it stayed ``CANCELLED``, not
    ``CANCELLED_AND_NOTIFIED``), so ``wait`` without a timeout blocked for ever; also when shutdown cancelled it."""
    cancelled = portal.submit(asyncio.sleep(30))
    assert cancelled.cancel()
    assert cancelled.cancel()  # a second cancel: still True, and notifies nobody twice
    done, not_done = concurrent.futures.wait([cancelled], timeout=5)
    assert (done, not_done) == ({cancelled}, set())
    assert list(concurrent.futures.as_completed([cancelled], timeout=5)) == [cancelled]
    waiting = portal.submit(asyncio.sleep(30))
    woken: list[set[concurrent.futures.Future[None]]] = []
    waiter = threading.Thread(target=lambda: woken.append(concurrent.futures.wait([waiting], timeout=10)[0]))
    waiter.start()
    time.sleep(0.05)  # the waiter is blocked in wait()
    waiting.cancel()
    waiter.join(timeout=10)
    assert woken == [{waiting}]
    left = portal.submit(asyncio.sleep(30))
    portal.drain_timeout = 0.05
    portal.shutdown()
    assert left.cancelled()
    assert concurrent.futures.wait([left], timeout=5).done == {left}


def test_cancel_after_completion_returns_false(portal: dualio.Portal) -> None:
    future = portal.submit(double, 3)
    assert future.result(timeout=5) == 6
    assert future.cancel() is False


def test_submit_from_the_loop_thread_is_allowed(portal: dualio.Portal) -> None:
    async def chain() -> int:
        inner = portal.submit(double, 5)
        return await asyncio.wrap_future(inner)

    assert portal.run(chain) == 10


def test_the_portal_holds_tasks_until_done(portal: dualio.Portal) -> None:
    finished = threading.Event()
    future_ref: list[weakref.ref[asyncio.Future[None]]] = []

    async def waits_on_a_future_only_it_references() -> None:
        waited_for = asyncio.get_running_loop().create_future()
        future_ref.append(weakref.ref(waited_for))  # no strong reference but this task's own frame
        await waited_for
        finished.set()

    portal.submit(waits_on_a_future_only_it_references)  # the future returned by submit is dropped at once
    while not future_ref:
        time.sleep(0.001)
    gc.collect()  # a task that nothing held would be collected here, with the future it waits on

    def resolve() -> None:
        waited_for = future_ref[0]()
        if waited_for is not None:
            waited_for.set_result(None)

    portal.loop.call_soon_threadsafe(resolve)
    assert finished.wait(5), "the task was garbage-collected while it waited"


def test_an_exception_nobody_retrieved_is_logged_with_its_traceback(
    portal: dualio.Portal, caplog: pytest.LogCaptureFixture
) -> None:
    future = portal.submit(fail_after_await, "nobody looked")
    concurrent.futures.wait([future], timeout=5)
    with caplog.at_level(logging.ERROR, logger="dualio"):
        del future
        gc.collect()
    [record] = [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert "nobody looked" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is Boom
    assert "fail_after_await" in caplog.text  # the traceback shows the coroutine's frame


def test_a_retrieved_exception_is_not_logged(portal: dualio.Portal, caplog: pytest.LogCaptureFixture) -> None:
    future = portal.submit(fail_after_await)
    with caplog.at_level(logging.ERROR, logger="dualio"):
        assert isinstance(future.exception(timeout=5), Boom)
        del future
        gc.collect()
    assert "never retrieved" not in caplog.text


def test_an_exception_read_in_a_done_callback_is_not_logged(
    portal: dualio.Portal, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[BaseException | None] = []
    future = portal.submit(fail_after_await)
    future.add_done_callback(lambda f: seen.append(f.exception()))
    concurrent.futures.wait([future], timeout=5)
    with caplog.at_level(logging.ERROR, logger="dualio"):
        del future
        gc.collect()
    assert len(seen) == 1
    assert isinstance(seen[0], Boom)
    assert "never retrieved" not in caplog.text


def test_statistics_count_every_outcome_once(portal: dualio.Portal) -> None:
    assert portal.run(double, 1) == 2
    with pytest.raises(Boom):
        portal.run(fail_after_await)
    with pytest.raises(TimeoutError):
        portal.run(asyncio.sleep, 5, timeout=0.01)
    futures = [portal.submit(noop) for _ in range(5)]
    concurrent.futures.wait(futures, timeout=5)
    stats = portal.statistics()
    assert isinstance(stats, dualio.PortalStatistics)
    assert stats.running is True
    assert (stats.tasks_submitted, stats.tasks_completed, stats.tasks_failed, stats.tasks_cancelled) == (8, 6, 1, 1)
    assert stats.tasks_pending == 0
    with pytest.raises(AttributeError):
        stats.tasks_pending = 3  # type: ignore[misc]


def test_statistics_show_pending_work(portal: dualio.Portal) -> None:
    release = threading.Event()

    async def wait_for_release() -> None:
        await asyncio.to_thread(release.wait, 5)

    futures = [portal.submit(wait_for_release) for _ in range(3)]
    stats = portal.statistics()
    assert stats.tasks_pending == 3
    assert stats.tasks_submitted == stats.tasks_pending + stats.tasks_completed
    release.set()
    concurrent.futures.wait(futures, timeout=5)
    assert portal.statistics().tasks_pending == 0


def test_a_call_cancelled_before_it_started_is_counted_as_submitted_and_cancelled(portal: dualio.Portal) -> None:
    # Force the narrow race in which a cancel reaches the loop before the drain that would start the call:
    # another thread has claimed the pending wake-up but not yet scheduled it.
    portal._wakeup_pending = True
    future = portal.submit(double, 1)
    assert future.cancel() is True
    portal.loop.call_soon_threadsafe(portal._drain)
    portal.run(asyncio.sleep, 0.05)
    stats = portal.statistics()
    assert stats.tasks_submitted == stats.tasks_pending + stats.tasks_completed + stats.tasks_failed + (
        stats.tasks_cancelled
    )
    assert stats.tasks_cancelled == 1


def test_every_snapshot_is_consistent_while_threads_submit(portal: dualio.Portal) -> None:
    stop = threading.Event()
    broken: list[dualio.PortalStatistics] = []

    def poll() -> None:
        while not stop.is_set():
            s = portal.statistics()
            if s.tasks_submitted != s.tasks_pending + s.tasks_completed + s.tasks_failed + s.tasks_cancelled:
                broken.append(s)

    def submit_many() -> None:
        futures = [portal.submit(double, i) for i in range(3_000)]
        concurrent.futures.wait(futures, timeout=30)

    poller = threading.Thread(target=poll)
    poller.start()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for done in [pool.submit(submit_many) for _ in range(4)]:
            done.result()
    stop.set()
    poller.join()
    assert broken == []
    assert portal.statistics().tasks_completed == 12_000
