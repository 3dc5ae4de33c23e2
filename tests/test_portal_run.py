"""``Portal.run`` / ``dualio.run``: results, timeouts, errors, Ctrl-C, deadlocks, running loops, contextvars.

Each test that takes the ``portal`` fixture runs on the stdlib asyncio loop and on uvloop (behaviour 11).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import ctypes
import inspect
import subprocess
import sys
import threading
import time
import traceback
import warnings
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager
from typing import Any

import pytest

import dualio
from tests.helpers import Boom, Flags, double, fail_after_await, interrupt_main_thread, noop, sleep_then_cleanup


def test_run_returns_the_result_of_a_coroutine_or_async_function(portal: dualio.Portal) -> None:
    assert portal.run(double(2)) == 4
    assert portal.run(double, 21) == 42
    assert portal.run(noop) is None


def test_module_level_run_uses_one_default_portal() -> None:
    async def loop_thread() -> int:
        return threading.get_ident()

    first = dualio.run(loop_thread)
    assert dualio.run(loop_thread) == first != threading.get_ident()


def test_coroutine_runs_as_a_real_task_even_when_it_finishes_in_its_first_step(portal: dualio.Portal) -> None:
    async def uses_task_features() -> bool:
        async with asyncio.timeout(5):  # noqa: ASYNC100 - entering it needs a current task, the point here
            return asyncio.current_task() is not None

    assert portal.run(uses_task_features) is True


# -- behaviour 1: timeout cancels ------------------------------------------------------------------------------


def test_timeout_cancels_the_task_and_awaits_its_cleanup_first(portal: dualio.Portal) -> None:
    flags = Flags()
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"sleep_then_cleanup did not finish within 0\.1 s; it was cancelled"):
        portal.run(sleep_then_cleanup, flags, timeout=0.1)
    assert flags.cleaned_up.is_set(), "TimeoutError was raised before the task's cleanup ran"
    assert time.monotonic() - start < 2
    stats = portal.statistics()
    assert (stats.tasks_cancelled, stats.tasks_pending) == (1, 0)


class SlowQuery:
    """An awaitable object that is not a coroutine, as piccolo's query objects are."""

    def __await__(self) -> Generator[Any, None, None]:
        return asyncio.sleep(10).__await__()


def test_a_timeout_names_the_awaitable_object_not_a_helper(portal: dualio.Portal) -> None:
    with pytest.raises(TimeoutError, match=r"^SlowQuery did not finish within 0\.05 s; it was cancelled"):
        portal.run(SlowQuery(), timeout=0.05)


def test_timeout_runs_aexit_of_an_async_context_manager(portal: dualio.Portal) -> None:
    exited: list[type[BaseException] | None] = []

    @asynccontextmanager
    async def resource() -> AsyncIterator[None]:
        try:
            yield
        except BaseException as exc:
            exited.append(type(exc))
            raise

    async def hold() -> None:
        async with resource():
            await asyncio.sleep(30)

    with pytest.raises(TimeoutError):
        portal.run(hold, timeout=0.05)
    assert exited == [asyncio.CancelledError]


def test_timeout_is_bounded_when_cleanup_outlasts_the_grace(loop_factory: object) -> None:
    flags = Flags()
    with dualio.Portal(loop_factory=loop_factory, cancel_grace=0.2) as portal:  # type: ignore[arg-type]
        start = time.monotonic()
        with pytest.raises(TimeoutError, match=r"did not end within 0\.2 s of being cancelled"):
            portal.run(sleep_then_cleanup, flags, 30, 5.0, timeout=0.1)
        waited = time.monotonic() - start
        assert 0.25 <= waited < 2, waited
        assert not flags.cleaned_up.is_set()
        portal.shutdown(timeout=0)


def test_a_coroutine_that_swallows_the_cancellation_still_times_out(portal: dualio.Portal) -> None:
    async def stubborn() -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            return "swallowed"
        return "slept"

    with pytest.raises(TimeoutError):
        portal.run(stubborn, timeout=0.05)


def test_zero_timeout_still_returns_a_result_computed_without_suspending(portal: dualio.Portal) -> None:
    async def immediate() -> int:
        return 7

    assert portal.run(immediate, timeout=0) == 7
    with pytest.raises(TimeoutError):
        portal.run(double, 1, timeout=0)


def test_a_timeout_error_raised_by_the_coroutine_itself_is_not_counted_as_cancelled(portal: dualio.Portal) -> None:
    async def own_timeout() -> None:
        await asyncio.sleep(0)
        raise TimeoutError("the coroutine's own")

    with pytest.raises(TimeoutError, match="the coroutine's own"):
        portal.run(own_timeout, timeout=10)
    assert portal.statistics().tasks_failed == 1


# -- behaviour 2: exceptions keep type and traceback ------------------------------------------------------------


def test_exception_keeps_its_type_and_the_coroutine_frames(portal: dualio.Portal) -> None:
    with pytest.raises(Boom, match="lost nothing") as caught:
        portal.run(fail_after_await, "lost nothing")
    frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert frames[-1] == "fail_after_await"
    bridge = [f for f in traceback.extract_tb(caught.value.__traceback__) if "/dualio/" in f.filename]
    assert len(bridge) == 1, f"bridge frames: {bridge}"  # only Portal.run


def test_module_level_run_adds_one_more_bridge_frame_only() -> None:
    with pytest.raises(Boom) as caught:
        dualio.run(fail_after_await)
    bridge = [f.name for f in traceback.extract_tb(caught.value.__traceback__) if "/dualio/" in f.filename]
    assert bridge == ["run", "run"]


def test_exception_raised_in_the_first_step_keeps_its_frames(portal: dualio.Portal) -> None:
    async def fails_at_once() -> None:
        raise KeyError("first step")

    with pytest.raises(KeyError) as caught:
        portal.run(fails_at_once)
    assert traceback.extract_tb(caught.value.__traceback__)[-1].name == "fails_at_once"


def test_system_exit_in_a_coroutine_reaches_the_caller_and_the_portal_survives(portal: dualio.Portal) -> None:
    async def exits() -> None:
        await asyncio.sleep(0)
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        portal.run(exits)
    assert portal.run(double, 4) == 8


def test_a_coroutine_cancelled_from_inside_raises_cancelled_error(portal: dualio.Portal) -> None:
    async def cancels_itself() -> None:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        await asyncio.sleep(1)

    with pytest.raises(concurrent.futures.CancelledError, match="cancels_itself was cancelled"):
        portal.run(cancels_itself)


# -- behaviour 3: Ctrl-C ---------------------------------------------------------------------------------------


class _Watchdog(BaseException):
    """Raised in a waiting thread by another thread, as Dramatiq's time limits do (its ``Interrupt`` is a
    ``BaseException``: an ``Exception`` landing in a loop callback of a lent loop is only logged by asyncio)."""


def test_an_exception_raised_in_the_waiting_thread_by_another_thread_cancels_the_call(portal: dualio.Portal) -> None:
    # Review 23c: Dramatiq's time limit (PyThreadState_SetAsyncExc) landed only when the call ended, since the
    # caller waited in one C lock wait: the coroutine ran to its end. Now the wait is sliced (0.1 s).
    if portal.lend_loop:
        pytest.skip("a lent loop runs in the calling thread: such an exception lands in the loop (left alone)")
    flags = Flags()
    outcome: list[tuple[type[BaseException], float]] = []
    started = threading.Event()

    def worker() -> None:
        began = time.monotonic()
        started.set()
        try:
            portal.run(sleep_then_cleanup, flags, 5.0)
        except _Watchdog as exc:
            outcome.append((type(exc), time.monotonic() - began))

    thread = threading.Thread(target=worker)
    thread.start()
    assert started.wait(5)
    time.sleep(0.3)
    assert thread.ident is not None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_Watchdog))
    thread.join(10)
    assert [kind for kind, _ in outcome] == [_Watchdog]
    assert outcome[0][1] < 2, f"the exception landed only after {outcome[0][1]:.2f} s"
    assert flags.cleaned_up.wait(2), "the call's task was not cancelled (it would end at 5 s)"


def test_ctrl_c_cancels_the_task_waits_for_cleanup_and_reraises(portal: dualio.Portal) -> None:
    assert threading.current_thread() is threading.main_thread()
    flags = Flags()
    interrupter = interrupt_main_thread(flags.started)
    with pytest.raises(KeyboardInterrupt):
        portal.run(sleep_then_cleanup, flags)
    interrupter.join()
    assert flags.cleaned_up.is_set(), "KeyboardInterrupt was re-raised before the task's cleanup ran"
    stats = portal.statistics()
    assert (stats.tasks_cancelled, stats.tasks_pending) == (1, 0)
    assert portal.run(double, 1) == 2  # the portal is still usable


# -- behaviour 4: no silent deadlock ------------------------------------------------------------------------


def test_run_from_the_portal_loop_thread_raises_deadlock_error_at_once(portal: dualio.Portal) -> None:
    async def calls_back_into_the_portal() -> None:
        portal.run(noop)

    with pytest.raises(dualio.DeadlockError, match="would never return"):
        portal.run(calls_back_into_the_portal, timeout=5)


def test_every_blocking_entry_point_refuses_the_loop_thread(portal: dualio.Portal) -> None:
    async def numbers() -> AsyncIterator[int]:
        yield 1

    @asynccontextmanager
    async def resource() -> AsyncIterator[int]:
        yield 1

    async def attempts() -> list[str]:
        refused = []
        future = portal.submit(asyncio.sleep, 0.05)
        checks: list[tuple[str, Callable[[], object]]] = [
            ("iterate", lambda: portal.iterate(numbers())),
            ("enter", lambda: portal.enter(resource())),
            ("result", future.result),
            ("exception", future.exception),
            ("shutdown", portal.shutdown),
        ]
        for name, attempt in checks:
            try:
                attempt()
            except dualio.DeadlockError:
                refused.append(name)
        await asyncio.wrap_future(future)
        return refused

    assert portal.run(attempts, timeout=5) == ["iterate", "enter", "result", "exception", "shutdown"]


def test_deadlock_error_closes_the_coroutine_it_refused(portal: dualio.Portal) -> None:
    async def attempt() -> bool:
        coro = noop()
        try:
            portal.run(coro)
        except dualio.DeadlockError:
            return inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED  # will not warn "never awaited"
        return False

    assert portal.run(attempt) is True


# -- behaviour 5: called from a thread whose own loop is running -------------------------------------------


def test_from_inside_async_def_it_works_and_warns_once_per_call_site(portal: dualio.Portal) -> None:
    async def jupyter_cell() -> list[int]:
        return [portal.run(double, i) for i in range(3)]  # one call site, three calls

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(jupyter_cell()) == [0, 2, 4]
    assert len(caught) == 1
    warning = caught[0]
    assert warning.category is dualio.BlockingCallWarning
    assert "jupyter_cell" in str(warning.message)
    assert warning.filename == __file__


def test_raise_policy_refuses_the_call(portal: dualio.Portal) -> None:
    portal.running_loop_policy = "raise"

    async def handler() -> None:
        portal.run(noop)

    with pytest.raises(dualio.BlockingCallError, match=r"handler\(\) at .*test_portal_run\.py"):
        asyncio.run(handler())


def test_allow_policy_is_silent(portal: dualio.Portal) -> None:
    portal.running_loop_policy = "allow"

    async def handler() -> int:
        return portal.run(double, 5)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert asyncio.run(handler()) == 10


def test_a_loop_suspended_in_another_greenlet_does_not_count_as_running(portal: dualio.Portal) -> None:
    """Playwright's ``sync_playwright()`` drives its loop from a greenlet and leaves it marked running between
    its calls (review 22b: every call in such a block warned, and ``raise`` refused them). The same shape here:
    a task step switches back to the main greenlet while its loop runs in a child greenlet."""
    greenlet = pytest.importorskip("greenlet")
    portal.running_loop_policy = "raise"
    main = greenlet.getcurrent()
    loop = asyncio.new_event_loop()

    async def hand_back_to_the_caller() -> None:
        main.switch()  # the loop stays "running" in this thread while the main greenlet goes on
        portal.run(noop)  # back on the loop: a call its own code makes is still refused

    driver = greenlet.greenlet(lambda: loop.run_until_complete(hand_back_to_the_caller()))
    driver.switch()
    try:
        assert asyncio.get_running_loop() is loop
        assert portal.run(double, 4) == 8  # neither refused nor warned: nothing of that loop runs meanwhile
        with pytest.raises(dualio.BlockingCallError, match="hand_back_to_the_caller"):
            driver.switch()  # the task goes on, and its call raises out of run_until_complete
    finally:
        loop.close()
    assert driver.dead


def test_configure_sets_the_policy_of_the_default_portal() -> None:
    dualio.configure(running_loop_policy="raise")

    async def handler() -> None:
        dualio.run(noop)

    with pytest.raises(dualio.BlockingCallError):
        asyncio.run(handler())
    assert dualio.default_portal().running_loop_policy == "raise"


def test_shutdown_from_a_running_loop_is_warned_about_or_refused_like_a_call() -> None:
    """Waiting for a portal's drain blocks the caller's loop as a call does (review 23b: a lifespan's direct
    ``dualio.shutdown()`` said nothing). Under ``raise`` the default portal is kept and still works."""
    dualio.run(noop)  # the default portal runs

    async def lifespan_end() -> None:
        dualio.shutdown()

    dualio.configure(running_loop_policy="raise")
    refused = r"shutdown\(\) was called from .*lifespan_end\(\).*to_thread\(dualio.shutdown\)"
    with pytest.raises(dualio.BlockingCallError, match=refused):
        asyncio.run(lifespan_end())
    assert dualio.run(double, 2) == 4  # refused, so not shut down
    dualio.configure(running_loop_policy="warn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(lifespan_end())
    assert [w.category for w in caught] == [dualio.BlockingCallWarning]
    assert "lifespan_end" in str(caught[0].message)
    assert caught[0].filename == __file__

    async def close_it(portal: dualio.Portal) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            portal.shutdown()  # never started: nothing to wait for, nothing to say
            await asyncio.to_thread(dualio.shutdown)  # the advice: silent

    asyncio.run(close_it(dualio.Portal(running_loop_policy="raise")))


# -- behaviour 6: contextvars are copied in ----------------------------------------------------------------

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


async def read_and_change_request_id() -> str:
    seen = request_id.get()
    request_id.set("changed inside")
    await asyncio.sleep(0)
    return seen


def test_caller_contextvars_are_visible_inside_and_changes_do_not_leak_back(portal: dualio.Portal) -> None:
    token = request_id.set("req-42")
    try:
        assert portal.run(read_and_change_request_id) == "req-42"
        assert portal.submit(read_and_change_request_id).result(timeout=5) == "req-42"
        assert request_id.get() == "req-42"
    finally:
        request_id.reset(token)


def test_each_thread_sees_its_own_context(portal: dualio.Portal) -> None:
    def in_thread(value: str) -> str:
        request_id.set(value)
        return portal.run(read_and_change_request_id)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        values = [f"thread-{i}" for i in range(8)]
        assert list(pool.map(in_thread, values)) == values


def test_the_warning_works_in_a_main_module_without_source_such_as_python_dash_c() -> None:
    code = (
        "import asyncio, dualio\n"
        "async def noop(): pass\n"
        "async def cell(): dualio.run(noop)\n"
        "asyncio.run(cell())\n"
        "print('ran')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr  # it raised ImportError from the warning's source lookup
    assert proc.stdout.strip() == "ran"
    assert "BlockingCallWarning" in proc.stderr
