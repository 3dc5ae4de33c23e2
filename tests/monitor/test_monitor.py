"""dualio.monitor on real loops (asyncio and uvloop): stalls with their stack, lag, task counts, stop and restore."""

from __future__ import annotations

import asyncio
import gc
import math
import subprocess
import sys
import threading
import time
from inspect import ismodule
from typing import Any

import pytest

import dualio
import dualio.monitor
from dualio.monitor import LAG_BUCKETS, BlockingEvent, LoopNotRunningError, Monitor, MonitorStatistics

from ._workloads import blocking_lines, sleep_on_the_loop, spin_on_the_loop
from .conftest import LoopThread, wait_until


def finished_events(monitor: Monitor) -> tuple[BlockingEvent, ...]:
    return tuple(event for event in monitor.statistics().recent_blocking_events if event.finished)


def test_time_sleep_on_the_loop_is_reported_with_its_function_and_line(loop_thread: LoopThread) -> None:
    with dualio.monitor.watch(loop_thread.loop, threshold=0.05, log=False) as monitor:
        loop_thread.call(lambda: sleep_on_the_loop(0.4))
        wait_until(lambda: finished_events(monitor))
    (event,) = finished_events(monitor)
    assert event.function == "sleep_on_the_loop"
    assert event.filename.endswith("_workloads.py")
    assert event.lineno in blocking_lines(sleep_on_the_loop)
    assert event.duration >= 0.05
    assert "time.sleep(seconds)" in "".join(event.stack)
    assert event.task is not None  # the run_coroutine_threadsafe task that called it
    assert "sleep_on_the_loop" in event.format()
    stats = monitor.statistics()
    assert stats.blocking_events == 1
    assert stats.blocked_seconds == pytest.approx(event.duration)


def test_a_cpu_bound_stall_is_reported_with_its_function_and_line(loop_thread: LoopThread) -> None:
    with dualio.monitor.watch(loop_thread.loop, threshold=0.05, log=False) as monitor:
        loop_thread.call(lambda: spin_on_the_loop(0.4))
        wait_until(lambda: finished_events(monitor))
    (event,) = finished_events(monitor)
    assert event.function == "spin_on_the_loop"
    assert event.lineno in blocking_lines(spin_on_the_loop)


def test_a_healthy_loop_has_no_blocking_event_and_a_populated_lag_histogram(loop_thread: LoopThread) -> None:
    async def busy_but_polite() -> None:
        for _ in range(20):
            await asyncio.gather(*(asyncio.sleep(0.001) for _ in range(50)))

    # A generous threshold: this test is about false positives, and the machine running it is shared.
    with dualio.monitor.watch(loop_thread.loop, threshold=0.5, interval=0.01, log=False) as monitor:
        loop_thread.run(busy_but_polite())
        wait_until(lambda: monitor.statistics().heartbeats >= 5)
    stats = monitor.statistics()
    assert stats.blocking_events == 0
    assert stats.recent_blocking_events == ()
    assert stats.lag_bucket_bounds == LAG_BUCKETS
    assert sum(stats.lag_bucket_counts) == stats.heartbeats >= 5
    assert stats.lag_p50 is not None
    assert stats.lag_p95 is not None
    assert stats.lag_p99 is not None
    assert 0 <= stats.lag_p50 <= stats.lag_p95 <= stats.lag_p99 <= stats.lag_max
    assert 0 < stats.lag_sum <= stats.lag_max * stats.heartbeats


def test_a_stall_lands_in_the_high_lag_buckets(loop_thread: LoopThread) -> None:
    with dualio.monitor.watch(loop_thread.loop, threshold=0.05, log=False) as monitor:
        loop_thread.call(lambda: sleep_on_the_loop(0.3))
        wait_until(lambda: finished_events(monitor))
    stats = monitor.statistics()
    buckets = zip(stats.lag_bucket_bounds, stats.lag_bucket_counts, strict=True)
    slow = sum(count for bound, count in buckets if bound > 0.1)
    assert slow >= 1
    assert stats.lag_max >= 0.1


def test_tasks_are_counted(loop_thread: LoopThread) -> None:
    async def work() -> None:
        await asyncio.sleep(0)

    async def spawn() -> None:
        await asyncio.gather(*(asyncio.create_task(work()) for _ in range(25)))
        long_lived = asyncio.create_task(asyncio.sleep(0.2))  # outlives a heartbeat: counted by its done-callback
        await long_lived

    with dualio.monitor.watch(loop_thread.loop, threshold=0.1, log=False, count_tasks=True) as monitor:
        assert monitor.count_tasks
        loop_thread.run(spawn())
        # 25 workers, the long-lived one, and spawn() itself (run_coroutine_threadsafe calls loop.create_task)
        wait_until(lambda: monitor.statistics().tasks_finished >= 27)
        stats = monitor.statistics()
        assert stats.tasks_started == 27
        assert stats.tasks_finished == 27
        assert stats.tasks_pending == 0


def test_lost_tasks_are_reported_and_the_previous_handler_still_sees_them(loop_thread: LoopThread) -> None:
    seen: list[str] = []
    loop_thread.loop.set_exception_handler(lambda loop, context: seen.append(context["message"]))

    async def waits_forever(never_set: asyncio.Future[None]) -> None:
        await never_set

    async def fails() -> None:
        raise ValueError("nobody reads me")

    async def lose_two_tasks() -> None:
        loop = asyncio.get_running_loop()
        asyncio.create_task(waits_forever(loop.create_future()))  # noqa: RUF006 - lost on purpose
        asyncio.create_task(fails())  # noqa: RUF006 - lost on purpose
        await asyncio.sleep(0.05)  # let both run: one fails, one waits forever on a future nobody holds

    with dualio.monitor.watch(loop_thread.loop, threshold=0.1, interval=0.01, log=False) as monitor:
        loop_thread.run(lose_two_tasks())

        def both_reported() -> bool:
            loop_thread.call(gc.collect)
            stats = monitor.statistics()
            return stats.tasks_destroyed_pending >= 1 and stats.tasks_exception_never_retrieved >= 1

        wait_until(both_reported)
    stats = monitor.statistics()
    assert (stats.tasks_destroyed_pending, stats.tasks_exception_never_retrieved) == (1, 1)
    issues = {issue.kind: issue for issue in stats.recent_task_issues}
    assert issues["destroyed_pending"].coroutine is not None
    assert issues["destroyed_pending"].coroutine.endswith("waits_forever")
    assert issues["exception_never_retrieved"].exception == "ValueError('nobody reads me')"
    assert issues["exception_never_retrieved"].location is not None
    assert "test_monitor.py" in issues["exception_never_retrieved"].location
    assert sorted(seen) == ["Task exception was never retrieved", "Task was destroyed but it is pending!"]


def test_stop_restores_the_loop_hooks_and_joins_the_thread(loop_thread: LoopThread) -> None:
    loop = loop_thread.loop

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        pass

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_exception_handler(handler)
    loop.set_task_factory(factory)
    threads_before = set(threading.enumerate())
    monitor = dualio.monitor.watch(loop, threshold=0.1, log=False, count_tasks=True)
    assert monitor.statistics().running
    assert loop.get_task_factory() is not factory
    assert loop.get_exception_handler() is not handler
    (watchdog,) = set(threading.enumerate()) - threads_before

    async def uses_the_chained_factory() -> str:
        task = asyncio.create_task(asyncio.sleep(0, "done"))
        return await task

    assert loop_thread.run(uses_the_chained_factory()) == "done"
    monitor.stop()
    assert not watchdog.is_alive()
    assert not monitor.running
    assert loop.get_task_factory() is factory
    assert loop.get_exception_handler() is handler
    monitor.stop()  # idempotent
    assert monitor.statistics().running is False
    with pytest.raises(RuntimeError, match="runs once"):
        monitor.start()


def test_by_default_only_the_exception_handler_is_chained(loop_thread: LoopThread) -> None:
    with dualio.monitor.watch(loop_thread.loop, log=False) as monitor:
        assert (monitor.track_tasks, monitor.count_tasks) == (True, False)
        assert loop_thread.loop.get_task_factory() is None  # no cost per task unless count_tasks=True
        assert loop_thread.loop.get_exception_handler() is not None

        async def one() -> None:
            await asyncio.create_task(asyncio.sleep(0))

        loop_thread.run(one())
        stats = monitor.statistics()
        assert (stats.tasks_started, stats.tasks_finished, stats.tasks_pending) == (0, 0, 0)
    assert loop_thread.loop.get_exception_handler() is None
    with dualio.monitor.watch(loop_thread.loop, log=False, track_tasks=False) as monitor:
        assert loop_thread.loop.get_exception_handler() is None


def test_a_replaced_hook_is_left_alone_on_stop(loop_thread: LoopThread) -> None:
    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        pass

    monitor = dualio.monitor.watch(loop_thread.loop, threshold=0.1, log=False, count_tasks=True)
    loop_thread.loop.set_exception_handler(handler)
    monitor.stop()
    assert loop_thread.loop.get_exception_handler() is handler
    assert loop_thread.loop.get_task_factory() is None


def test_watch_and_stop_from_inside_the_loop(loop_thread: LoopThread) -> None:
    async def main() -> MonitorStatistics:
        with dualio.monitor.watch(threshold=0.05, log=False) as monitor:  # no loop: the running one
            assert monitor.loop is asyncio.get_running_loop()
            sleep_on_the_loop(0.3)
            await asyncio.sleep(0.05)
        return monitor.statistics()

    stats = loop_thread.run(main())
    assert stats.blocking_events == 1
    assert stats.recent_blocking_events[0].function == "sleep_on_the_loop"
    assert asyncio.run_coroutine_threadsafe(asyncio.sleep(0, 1), loop_thread.loop).result(5) == 1


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_a_monitor_started_before_the_loop_runs_catches_a_stall_in_the_first_step(loop_kind: str) -> None:
    # How the pytest guard starts monitors: in the loop's thread, just before run_forever.
    import uvloop

    async def blocks_at_once() -> None:
        sleep_on_the_loop(0.4)

    loop = asyncio.new_event_loop() if loop_kind == "asyncio" else uvloop.new_event_loop()
    task = loop.create_task(blocks_at_once())  # as asyncio.run does: its first step runs before the first beat
    monitor = Monitor(loop, threshold=0.05, log=False)
    monitor._start(loop_thread_id=threading.get_ident())
    time.sleep(0.1)  # the watchdog sees the loop not running yet
    try:
        loop.run_until_complete(task)
    finally:
        monitor.stop()
        loop.close()
    (event,) = monitor.statistics().recent_blocking_events
    assert event.function == "sleep_on_the_loop"


def test_a_stall_in_progress_at_stop_is_recorded_unfinished(loop_thread: LoopThread) -> None:
    release = threading.Event()
    monitor = dualio.monitor.watch(loop_thread.loop, threshold=0.05, log=False)
    loop_thread.loop.call_soon_threadsafe(release.wait, 20)
    try:
        wait_until(lambda: monitor.statistics().blocking_events == 1)
        monitor.stop()
    finally:
        release.set()
    (event,) = monitor.statistics().recent_blocking_events
    assert not event.finished
    assert event.function == "wait"  # threading.Event.wait, called straight from the loop callback
    assert "still blocked" in event.format()


def test_on_block_receives_each_event_and_a_stall_is_logged(
    loop_thread: LoopThread, caplog: pytest.LogCaptureFixture
) -> None:
    received: list[BlockingEvent] = []
    with dualio.monitor.watch(loop_thread.loop, threshold=0.05, on_block=received.append, name="api") as monitor:
        loop_thread.call(lambda: sleep_on_the_loop(0.3))
        wait_until(lambda: received)
    assert received[0].function == "sleep_on_the_loop"
    assert received[0].loop_name == "api" == monitor.name
    logged = [record.getMessage() for record in caplog.records if record.name == "dualio.monitor"]
    assert any("sleep_on_the_loop" in message for message in logged)


def test_watching_a_portal(portal: dualio.Portal) -> None:
    async def blocks() -> None:
        sleep_on_the_loop(0.3)

    with dualio.monitor.watch(portal, threshold=0.05, log=False) as monitor:
        assert monitor.portal is portal
        assert monitor.name == portal.name
        portal.run(blocks)
        wait_until(lambda: finished_events(monitor))
    assert finished_events(monitor)[0].function == "sleep_on_the_loop"


def test_a_monitor_on_a_loop_that_closes_stops_by_itself() -> None:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    wait_until(loop.is_running)
    monitor = dualio.monitor.watch(loop, threshold=0.05, interval=0.01, log=False)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()
    wait_until(lambda: not monitor.running)
    monitor.stop()
    assert monitor.statistics().blocking_events == 0  # a stopped loop is not a stalled one


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"threshold": 0}, dualio.InvalidTimeoutError, "positive, finite"),
        ({"threshold": -1}, dualio.InvalidTimeoutError, "positive, finite"),
        ({"threshold": math.nan}, dualio.InvalidTimeoutError, "positive, finite"),
        ({"threshold": math.inf}, dualio.InvalidTimeoutError, "positive, finite"),
        ({"threshold": "0.1"}, dualio.InvalidTimeoutError, "number of seconds"),
        ({"threshold": True}, dualio.InvalidTimeoutError, "number of seconds"),
        ({"interval": 0}, dualio.InvalidTimeoutError, "interval"),
        ({"name": 3}, TypeError, "name must be a str"),
        ({"on_block": "print"}, TypeError, "on_block must be a callable"),
        ({"max_events": 0}, ValueError, "max_events"),
        ({"track_tasks": 1}, TypeError, "track_tasks must be True or False"),
        ({"count_tasks": None}, TypeError, "count_tasks must be True or False"),
    ],
)
def test_bad_arguments_are_refused(
    loop_thread: LoopThread, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        dualio.monitor.watch(loop_thread.loop, **kwargs)
    assert loop_thread.loop.get_task_factory() is None  # nothing was installed


def test_a_loop_that_is_not_a_loop_is_refused() -> None:
    with pytest.raises(TypeError, match=r"asyncio event loop, a dualio\.Portal or None"):
        dualio.monitor.watch("loop")  # type: ignore[arg-type]


def test_closed_and_idle_loops_and_no_loop_are_clear_errors() -> None:
    with pytest.raises(LoopNotRunningError, match="none is running here"):
        dualio.monitor.watch()
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(LoopNotRunningError, match="not running"):
            dualio.monitor.watch(loop)
    finally:
        loop.close()
    with pytest.raises(LoopNotRunningError, match="closed"):
        dualio.monitor.watch(loop)
    portal = dualio.Portal("gone")
    portal.start()
    portal.shutdown()
    with pytest.raises(LoopNotRunningError, match="shut down"):
        dualio.monitor.watch(portal)
    assert issubclass(LoopNotRunningError, dualio.DualioError)
    assert issubclass(LoopNotRunningError, RuntimeError)


def test_the_error_pickles() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(LoopNotRunningError("message")))
    assert type(error) is LoopNotRunningError
    assert str(error) == "message"


def test_public_face() -> None:
    assert len(set(dualio.monitor.__all__)) == len(dualio.monitor.__all__)
    for name in dualio.monitor.__all__:
        value = getattr(dualio.monitor, name)
        if isinstance(value, type):
            assert value.__module__ == "dualio.monitor", name
    # Submodules (prometheus) are reached as dualio.monitor.<name>; "@" names: pytest rewrote the module's asserts.
    public = {
        name for name, value in vars(dualio.monitor).items() if not name.startswith(("_", "@")) and not ismodule(value)
    }
    assert public <= set(dualio.monitor.__all__)


def test_the_core_monitor_imports_no_third_party_package() -> None:
    code = (
        "import sys, dualio.monitor\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} - sys.stdlib_module_names - {'dualio', '__main__'})\n"
        "print(','.join(n for n in bad if not n.startswith('_')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""
