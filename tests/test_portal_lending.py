"""``Portal(lend_loop=True)``: a blocking caller runs the portal's loop in its own thread (see ``_lending``).

Every test that takes the ``portal`` fixture already runs on a lending portal too (see conftest.py); these
tests cover what only lending has: who runs the loop and when it goes back, Ctrl-C while the main thread runs
it, giving up after a timeout, several threads, shutdown, and the cases that keep the normal path.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import select
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

import dualio
import dualio.monitor
from dualio import PortalFuture, _lending
from dualio.errors import DeadlockError, InvalidTimeoutError, PortalClosedError

from .conftest import LoopFactory
from .helpers import Flags, double, interrupt_main_thread, noop, sleep_then_cleanup

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine


@pytest.fixture
def lending(loop_factory: LoopFactory) -> Iterator[dualio.Portal]:
    """A started portal that lends its loop, on each supported loop, shut down after the test."""
    with dualio.Portal("lending", loop_factory=loop_factory, lend_loop=True, cancel_grace=2.0) as started:
        yield started


async def thread_id() -> int:
    """The thread running the loop, seen from a coroutine on it."""
    await asyncio.sleep(0)
    return threading.get_ident()


def owner(portal: dualio.Portal) -> str:
    assert portal._lender is not None
    return portal._lender.owner


def woken_or_taken_back(portal: dualio.Portal) -> bool:
    """True once the portal's thread was asked to take its loop back (or already did)."""
    lender = portal._lender
    assert lender is not None
    return lender._wake_requested or lender.owner is _lending.PORTAL


def finished(monitor: dualio.monitor.Monitor) -> list[dualio.monitor.BlockingEvent]:
    return [event for event in monitor.statistics().recent_blocking_events if event.finished]


def wait_until(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"condition not met within {timeout} s"
        time.sleep(0.005)


# -- who runs the loop ----------------------------------------------------------------------------------------


def test_a_blocking_call_runs_in_the_calling_thread_and_leaves_the_loop_lent(lending: dualio.Portal) -> None:
    assert lending.run(thread_id()) == threading.get_ident()
    assert owner(lending) is _lending.LENT
    assert lending.run(double, 21) == 42  # taken again without asking the portal's thread
    assert lending.run(thread_id()) == threading.get_ident()


def test_turning_lending_off_sends_calls_back_to_the_portal_thread(lending: dualio.Portal) -> None:
    assert lending.run(thread_id()) == threading.get_ident()
    lending.lend_loop = False
    assert lending.run(thread_id()) == lending._thread_id


def test_the_portal_thread_takes_an_idle_loop_back_after_the_grace(lending: dualio.Portal) -> None:
    lending.run(noop())
    assert owner(lending) is _lending.LENT
    ran_on: list[int] = []
    finished = threading.Event()

    async def ticks() -> None:  # timers: someone must run the loop; nothing wakes the portal's thread for them
        for _ in range(3):
            await asyncio.sleep(0.001)
        ran_on.append(threading.get_ident())
        finished.set()

    asyncio.run_coroutine_threadsafe(ticks(), lending.loop)
    assert finished.wait(10)
    assert ran_on == [lending._thread_id]


def test_a_call_of_another_thread_still_in_flight_makes_the_portal_thread_take_the_loop_at_once(
    loop_factory: LoopFactory,
) -> None:
    with dualio.Portal(loop_factory=loop_factory, lend_loop=True, lend_grace=1.0) as portal:
        portal.run(noop())  # the loop is lent now
        driving = threading.Event()
        main_started = asyncio.Event()
        seen_by_the_driver: list[bool] = []

        async def drives_until_main_started() -> None:
            driving.set()
            await main_started.wait()

        def driver() -> None:
            portal.run(drives_until_main_started())
            seen_by_the_driver.append(woken_or_taken_back(portal))  # not after a whole 1 s grace

        async def main_call() -> int:
            main_started.set()
            await asyncio.sleep(0.05)  # still in flight when the driver gives the loop back
            return threading.get_ident()

        thread = threading.Thread(target=driver)
        thread.start()
        assert driving.wait(10)
        assert portal.run(main_call()) == portal._thread_id  # the loop was busy: the normal path, then the portal
        thread.join(10)
        assert seen_by_the_driver == [True]


def test_a_submitted_coroutine_still_in_flight_goes_on_in_the_portal_thread_not_a_later_caller(
    loop_factory: LoopFactory,
) -> None:
    with dualio.Portal(loop_factory=loop_factory, lend_loop=True, lend_grace=1.0) as portal:
        portal.run(noop())  # the loop is lent now
        resumed_on: list[int] = []

        async def sleeps_then_records() -> None:
            await asyncio.sleep(0.1)
            resumed_on.append(threading.get_ident())

        async def submits() -> PortalFuture[None]:
            return portal.submit(sleeps_then_records())

        background = portal.run(submits())
        assert woken_or_taken_back(portal)  # at once, not after the whole 1 s grace
        assert portal.run(thread_id()) == portal._thread_id  # not lent while the submitted coroutine is in flight
        background.result(10)
        assert resumed_on == [portal._thread_id]
        assert portal.run(thread_id()) == threading.get_ident()  # lent again once nothing is in flight


def test_a_task_left_sleeping_by_a_call_does_not_take_the_loop_back(loop_factory: LoopFactory) -> None:
    kept: list[asyncio.Task[None]] = []
    finished = threading.Event()

    async def background() -> None:
        await asyncio.sleep(0.01)
        finished.set()

    async def starts_background() -> None:
        task = asyncio.get_running_loop().create_task(background())
        kept.append(task)
        await asyncio.sleep(0)  # its first step has run: it sleeps on a timer now

    with dualio.Portal(loop_factory=loop_factory, lend_loop=True, lend_grace=0.5) as portal:
        portal.run(noop())
        portal.run(starts_background())
        assert owner(portal) is _lending.LENT  # the next call still finds the loop free
        assert portal.run(thread_id()) == threading.get_ident()
        assert finished.wait(10)  # and the sleeping task finished after all


def test_submit_wakes_the_portal_thread_while_the_loop_is_lent(loop_factory: LoopFactory) -> None:
    with dualio.Portal(loop_factory=loop_factory, lend_loop=True, lend_grace=1.0) as portal:
        portal.run(noop())
        assert owner(portal) is _lending.LENT
        future = portal.submit(thread_id())
        assert woken_or_taken_back(portal)
        assert future.result(10) == portal._thread_id


def test_the_monitor_samples_the_thread_that_runs_the_loop(lending: dualio.Portal) -> None:
    lending.run(noop())  # the loop is lent, not running, when the monitor starts

    async def blocks() -> None:
        time.sleep(0.3)  # noqa: ASYNC251  # the stall the monitor must find

    with dualio.monitor.watch(lending, threshold=0.05, log=False) as monitor:
        lending.run(blocks)
        wait_until(lambda: finished(monitor))
    assert finished(monitor)[0].function == "blocks"


# -- when the normal path is kept ---------------------------------------------------------------------------


def test_a_sigint_handler_of_the_application_keeps_calls_on_the_portal_thread(lending: dualio.Portal) -> None:
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        assert lending.run(thread_id()) == lending._thread_id
    finally:
        signal.signal(signal.SIGINT, previous)
    assert lending.run(thread_id()) == threading.get_ident()


@pytest.mark.parametrize("disposition", [signal.SIG_IGN, signal.SIG_DFL], ids=["ignored", "system-default"])
def test_sigint_ignored_or_left_to_the_system_still_lends_and_is_left_as_it_was(
    lending: dualio.Portal, disposition: signal.Handlers
) -> None:
    # A job started with `&` or `nohup` has SIGINT ignored: lending must not silently stop there (it did until
    # 2026-12-06), nor install a handler that would make Ctrl-C reach a process that ignores it.
    async def thread_and_handler() -> tuple[int, object]:
        return threading.get_ident(), signal.getsignal(signal.SIGINT)

    previous = signal.signal(signal.SIGINT, disposition)
    try:
        assert lending.run(thread_and_handler()) == (threading.get_ident(), disposition)
        assert signal.getsignal(signal.SIGINT) == disposition
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_task_suspended_in_a_sqlalchemy_greenlet_is_never_resumed_by_a_lent_caller(
    loop_factory: LoopFactory,
) -> None:
    # SQLAlchemy's asyncio extension runs sync code in a greenlet, which only the thread that made it can switch
    # into: a background task suspended inside one must be resumed by the thread that started it.
    pytest.importorskip("aiosqlite")
    asyncio_extension = pytest.importorskip("sqlalchemy.ext.asyncio")
    from sqlalchemy.util import await_only

    inside_greenlet = threading.Event()

    async def new_engine() -> AsyncEngine:
        engine: AsyncEngine = asyncio_extension.create_async_engine("sqlite+aiosqlite://")
        return engine

    with dualio.Portal(loop_factory=loop_factory, lend_loop=True, lend_grace=1.0) as portal:
        engine = portal.run(new_engine())
        gate = asyncio.Event()  # bound to the portal's loop when first awaited there
        portal.run(noop())
        assert owner(portal) is _lending.LENT

        def two_statements_around_a_wait(connection: Connection) -> tuple[int, int]:
            first: int = connection.exec_driver_sql("select 1").scalar_one()
            inside_greenlet.set()
            await_only(gate.wait())  # suspended inside the greenlet, on the portal's thread
            return first, connection.exec_driver_sql("select 2").scalar_one()

        async def background() -> tuple[int, int]:
            async with engine.connect() as connection:
                return await connection.run_sync(two_statements_around_a_wait)

        async def open_the_gate_and_iterate() -> int:
            gate.set()
            await asyncio.sleep(0.05)  # loop iterations: the background task's wake-up runs in them
            return threading.get_ident()

        future = portal.submit(background())
        assert inside_greenlet.wait(10)
        assert portal.run(open_the_gate_and_iterate()) == portal._thread_id  # not lent: a task is in flight
        assert future.result(10) == (1, 2)  # if lent: greenlet.error, "Cannot switch to a different thread"
        portal.run(engine.dispose())
        assert portal.run(thread_id()) == threading.get_ident()  # nothing in flight any more: lent again


def test_a_caller_inside_its_own_event_loop_keeps_the_normal_path(lending: dualio.Portal) -> None:
    lending.running_loop_policy = "allow"

    async def from_async_code() -> int:
        return lending.run(thread_id())

    results: list[int] = []  # off the main thread: asyncio.run installs no SIGINT handler there
    caller = threading.Thread(target=lambda: results.append(asyncio.run(from_async_code())))
    caller.start()
    caller.join(10)
    assert results == [lending._thread_id]


def test_a_coroutine_on_the_lent_loop_cannot_block_on_its_portal(lending: dualio.Portal) -> None:
    async def calls_back() -> None:
        lending.run(noop())

    async def shuts_down() -> None:
        lending.shutdown()

    with pytest.raises(DeadlockError, match="event-loop thread"):
        lending.run(calls_back())
    with pytest.raises(DeadlockError, match="event-loop thread"):
        lending.run(shuts_down())
    assert lending.run(double, 1) == 2


# -- timeouts and Ctrl-C while the caller runs the loop -----------------------------------------------------


def test_a_timeout_gives_up_after_the_grace_and_the_cleanup_goes_on_in_the_portal_thread(
    lending: dualio.Portal,
) -> None:
    lending.cancel_grace = 0.1
    flags = Flags()
    with pytest.raises(TimeoutError, match="may still be running"):
        lending.run(sleep_then_cleanup(flags, 30.0, cleanup_seconds=0.5), timeout=0.05)
    assert flags.cleaned_up.wait(10)  # nobody drives the loop now: the portal's thread finished the cleanup
    deadline = time.monotonic() + 10  # and settles the call just after: until then, lending is refused (in flight)
    while lending.statistics().tasks_pending and time.monotonic() < deadline:
        time.sleep(0.001)
    assert lending.run(thread_id()) == threading.get_ident()


def test_a_loop_that_will_not_stop_to_be_lent_times_out_the_call_without_running_it(lending: dualio.Portal) -> None:
    lending.lend_loop = False
    blocking = threading.Event()
    release = threading.Event()

    def blocks_the_loop() -> None:
        blocking.set()
        release.wait(10)  # the stall under test: the loop cannot stop to be lent

    assert lending._loop is not None
    lending._loop.call_soon_threadsafe(blocks_the_loop)  # a plain callback: no portal call is in flight
    assert blocking.wait(10)
    lending.lend_loop = True
    lending.cancel_grace = 0.05
    coroutine = double(1)
    try:
        with pytest.raises(TimeoutError, match=r"did not start within 0\.05 s"):
            lending.run(coroutine, timeout=0.05)
    finally:
        release.set()
    assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED
    assert lending.run(thread_id()) == threading.get_ident()


def test_ctrl_c_while_the_main_thread_runs_the_loop_cancels_cleans_up_and_reraises(lending: dualio.Portal) -> None:
    assert threading.current_thread() is threading.main_thread()
    flags = Flags()
    ran_on: list[int] = []

    async def records_then_sleeps() -> str:
        ran_on.append(threading.get_ident())
        return await sleep_then_cleanup(flags)

    interrupter = interrupt_main_thread(flags.started)
    with pytest.raises(KeyboardInterrupt):
        lending.run(records_then_sleeps())
    interrupter.join()
    assert ran_on == [threading.get_ident()]  # the main thread ran the loop
    assert flags.cleaned_up.is_set(), "KeyboardInterrupt was re-raised before the task's cleanup ran"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    stats = lending.statistics()
    assert (stats.tasks_cancelled, stats.tasks_pending) == (1, 0)
    assert lending.run(thread_id()) == threading.get_ident()


def test_a_second_ctrl_c_stops_waiting_for_the_cleanup(loop_factory: LoopFactory) -> None:
    flags = Flags()
    # A grace longer than the test's time limit: only the second Ctrl-C can end the wait.
    with dualio.Portal(loop_factory=loop_factory, lend_loop=True, cancel_grace=600.0, drain_timeout=0.1) as portal:
        interrupter = interrupt_main_thread(flags.started, times=2)
        with pytest.raises(KeyboardInterrupt):
            portal.run(sleep_then_cleanup(flags, 30.0, cleanup_seconds=30.0))
        interrupter.join()
        assert not flags.cleaned_up.is_set()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert portal.run(double, 2) == 4
        portal.cancel_grace = 1.0  # for the shutdown below, which cancels the cleanup still sleeping


# -- several threads, and shutdown ----------------------------------------------------------------------------


def test_threads_calling_and_submitting_at_once_all_get_their_results(lending: dualio.Portal) -> None:
    results: dict[int, list[int]] = {}

    def caller(number: int) -> None:
        results[number] = [lending.run(double, i) for i in range(200)]

    threads = [threading.Thread(target=caller, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    futures = [lending.submit(double, i) for i in range(200)]
    for thread in threads:
        thread.join(60)
    assert results == {number: [2 * i for i in range(200)] for number in range(4)}
    assert [future.result(10) for future in futures] == [2 * i for i in range(200)]
    stats = lending.statistics()
    assert (stats.tasks_pending, stats.tasks_completed) == (0, 1000)


def test_shutdown_of_a_portal_whose_loop_is_lent(loop_factory: LoopFactory) -> None:
    portal = dualio.Portal(loop_factory=loop_factory, lend_loop=True, lend_grace=1.0)
    portal.run(noop())  # starts the portal: its own thread runs this first call
    portal.run(noop())  # asks for the loop, and keeps it lent
    assert owner(portal) is _lending.LENT
    future = portal.submit(double, 3)
    portal.shutdown()
    assert future.result(0) == 6
    assert portal._thread is not None
    assert not portal._thread.is_alive()
    assert owner(portal) is _lending.CLOSED
    with pytest.raises(PortalClosedError):
        portal.run(noop())


def test_shutdown_from_another_thread_while_a_caller_runs_the_loop(loop_factory: LoopFactory) -> None:
    portal = dualio.Portal(loop_factory=loop_factory, lend_loop=True, drain_timeout=0.1, cancel_grace=2.0)
    flags = Flags()

    def close_once_started() -> None:
        if flags.started.wait(10):
            portal.shutdown()

    closer = threading.Thread(target=close_once_started)
    closer.start()
    with pytest.raises(PortalClosedError, match="shut down before"):
        portal.run(sleep_then_cleanup(flags))
    closer.join(30)
    assert flags.cleaned_up.is_set()
    assert portal._thread is not None
    assert not portal._thread.is_alive()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_is_refused_even_if_the_lending_lock_was_held_at_fork(lending: dualio.Portal) -> None:
    lending.run(noop())
    lender = lending._lender
    assert lender is not None
    read_end, write_end = os.pipe()
    with lender._cond, warnings.catch_warnings():  # held by this thread when the child is made
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork() with threads running
        pid = os.fork()
        if pid == 0:  # child: report through the pipe, never return into pytest
            try:
                lending.run(noop())
                report = "the inherited portal accepted work"
            except dualio.PortalClosedError as exc:
                report = "ok" if "inherited through fork()" in str(exc) else f"unclear error: {exc}"
            except BaseException as exc:
                report = f"child failed: {exc!r}"
            os.write(write_end, report.encode())
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 10)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        report = os.read(read_end, 1000).decode() if ready else "the child hung on the lending lock"
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    assert report == "ok"
    assert lending.run(double, 2) == 4


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_from_a_worker_thread_handles_ctrl_c_in_that_thread_its_main_thread() -> None:
    """After fork() the forking thread is the child's main thread: a lent call there installs the SIGINT handler."""

    async def handler_while_running() -> object:
        return signal.getsignal(signal.SIGINT)

    read_end, write_end = os.pipe()
    pids: list[int] = []

    def fork_here() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork() with threads running
            pid = os.fork()
        if pid:
            pids.append(pid)
            return
        try:  # child: report through the pipe, never return into pytest
            with dualio.Portal("child", lend_loop=True) as portal:
                portal.run(noop())  # the first call asks the portal's thread for its loop
                during = portal.run(handler_while_running())
                where = portal.run(thread_id())
            report = (
                "ok"
                if during is not signal.default_int_handler
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler
                and where == threading.get_ident()
                else f"handler during the call {during!r}, ran in {where} (this thread {threading.get_ident()})"
            )
        except BaseException as exc:
            report = f"child failed: {exc!r}"
        os.write(write_end, report.encode())
        os._exit(0)

    forker = threading.Thread(target=fork_here)
    forker.start()
    forker.join(30)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        if not ready:
            os.kill(pids[0], signal.SIGKILL)
        report = os.read(read_end, 1000).decode() if ready else "the child hung"
    finally:
        os.close(read_end)
        os.waitpid(pids[0], 0)
    assert report == "ok"


# -- settings -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grace", [0, -1, 1.5, float("nan"), "0.1", None])
def test_lend_grace_must_be_a_positive_number_of_seconds_up_to_one(grace: object) -> None:
    with pytest.raises(InvalidTimeoutError, match="lend_grace"):
        dualio.Portal(lend_grace=grace)  # type: ignore[arg-type]
    if grace is not None:  # configure(lend_grace=None) leaves the setting as it is
        with pytest.raises(InvalidTimeoutError, match="lend_grace"):
            dualio.configure(lend_grace=grace)  # type: ignore[arg-type]


def test_lend_loop_must_be_true_or_false() -> None:
    with pytest.raises(TypeError, match="lend_loop must be True or False, got int 1"):
        dualio.Portal(lend_loop=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lend_loop"):
        dualio.configure(lend_loop="yes")  # type: ignore[arg-type]


def test_configure_turns_lending_on_for_the_default_portal() -> None:
    assert dualio.run(thread_id()) != threading.get_ident()
    dualio.configure(lend_loop=True, lend_grace=0.5)
    portal = dualio.default_portal()
    assert (portal.lend_loop, portal.lend_grace) == (True, 0.5)
    assert dualio.run(thread_id()) == threading.get_ident()
