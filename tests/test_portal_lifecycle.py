"""Life cycle: shutdown and drain, exit (7), fork (8), thread safety (9), restart (10)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import gc
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable
from types import CoroutineType
from typing import Any, cast

import pytest

import dualio
from dualio._calls import BlockingCall
from tests.helpers import Flags, double, noop, sleep_then_cleanup


def test_context_manager_starts_and_joins_the_thread() -> None:
    with dualio.Portal("scoped") as portal:
        assert portal.run(double, 2) == 4
        [thread] = [t for t in threading.enumerate() if t.name == "scoped"]
        assert thread.daemon
    assert not thread.is_alive()
    assert portal.closed
    assert not portal.statistics().running


def test_shutdown_drains_pending_work_then_cancels_and_reports_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    portal = dualio.Portal("draining", drain_timeout=0.3).start()
    quick = [portal.submit(double, i) for i in range(5)]
    slow_flags = Flags()
    slow = portal.submit(sleep_then_cleanup, slow_flags)
    with caplog.at_level(logging.WARNING, logger="dualio"):
        portal.shutdown()
    assert [f.result() for f in quick] == [0, 2, 4, 6, 8]
    assert slow.cancelled()
    assert slow_flags.cleaned_up.is_set(), "the cancelled task's cleanup was not awaited"
    assert "1 task(s) still pending after 0.3 s; they were cancelled" in caplog.text
    assert "sleep_then_cleanup at " in caplog.text
    assert "helpers.py" in caplog.text
    stats = portal.statistics()
    assert (stats.tasks_completed, stats.tasks_cancelled, stats.tasks_pending) == (5, 1, 0)


def test_a_burst_submitted_just_before_shutdown_is_run_to_the_end() -> None:
    portal = dualio.Portal("burst-before-shutdown").start()
    futures = [portal.submit(double, i) for i in range(2_000)]
    portal.shutdown()
    assert [f.result(timeout=0) for f in futures] == [2 * i for i in range(2_000)]


def test_a_blocked_caller_learns_that_shutdown_cancelled_its_call() -> None:
    portal = dualio.Portal("closing-under-caller", drain_timeout=0.05).start()
    flags = Flags()
    outcome: list[BaseException] = []

    def caller() -> None:
        try:
            portal.run(sleep_then_cleanup, flags)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=caller)
    thread.start()
    assert flags.started.wait(5)
    portal.shutdown()
    thread.join(5)
    assert len(outcome) == 1
    assert isinstance(outcome[0], dualio.PortalClosedError)
    assert "shut down before sleep_then_cleanup finished" in str(outcome[0])


def test_shutdown_also_drains_tasks_the_coroutines_started() -> None:
    done = threading.Event()

    async def background() -> None:
        await asyncio.sleep(0.05)
        done.set()

    async def starts_background() -> None:
        asyncio.get_running_loop().create_task(background())

    with dualio.Portal("drains-children") as portal:
        portal.run(starts_background)
    assert done.is_set()


def test_a_call_queued_after_the_loop_stopped_is_refused_and_counted() -> None:
    portal = dualio.Portal("swept").start()
    portal.shutdown()
    call = BlockingCall(cast("CoroutineType[Any, Any, Any]", noop()), contextvars.copy_context(), None)
    portal._queue.append(call)  # as a caller racing with shutdown would have, after the loop's last drain
    portal._sweep()
    assert isinstance(call.exception, dualio.PortalClosedError)
    stats = portal.statistics()
    assert (stats.tasks_submitted, stats.tasks_cancelled, stats.tasks_pending) == (1, 1, 0)


def test_shutdown_is_idempotent_and_works_on_a_portal_never_started() -> None:
    never_started = dualio.Portal("idle")
    never_started.shutdown()
    never_started.shutdown()
    with pytest.raises(dualio.PortalClosedError):
        never_started.run(noop)


# -- behaviour 10: restart ---------------------------------------------------------------------------------


def test_after_shutdown_the_next_call_starts_a_new_default_portal() -> None:
    assert dualio.run(double, 1) == 2
    first = dualio.default_portal()
    dualio.shutdown()
    assert first.closed
    assert dualio.run(double, 2) == 4
    second = dualio.default_portal()
    assert second is not first
    assert not second.closed


@pytest.mark.parametrize("use", ["run", "submit", "start", "iterate", "enter"])
def test_an_explicit_portal_that_was_shut_down_raises_portal_closed_error(use: str) -> None:
    portal = dualio.Portal("explicit").start()
    portal.shutdown()
    coro = noop()
    attempts: dict[str, Callable[[], object]] = {
        "run": lambda: portal.run(coro),
        "submit": lambda: portal.submit(coro),
        "start": portal.start,
        "iterate": lambda: list(portal.iterate(_numbers())),
        "enter": lambda: portal.enter(_Resource()).__enter__(),
    }
    with pytest.raises(dualio.PortalClosedError, match="'explicit' was shut down and takes no more work"):
        attempts[use]()
    coro.close()


def test_a_thread_that_gets_the_ident_of_the_dead_loop_thread_is_told_the_portal_is_closed() -> None:
    """Review 23b: Python reuses a finished thread's ident; a call from a new thread that got the loop thread's
    was refused with DeadlockError ("called on the event-loop thread") instead of PortalClosedError."""
    portal = dualio.Portal("reused-ident").start()
    portal.run(noop)
    portal.shutdown()
    outcomes: list[BaseException] = []

    def call() -> None:
        coro = noop()
        try:
            portal.run(coro)
        except BaseException as exc:  # recorded for the assertion below
            outcomes.append(exc)
            coro.close()

    for _ in range(5):  # the new thread usually gets the freed ident; the outcome must not depend on it
        caller = threading.Thread(target=call)
        caller.start()
        caller.join()
    assert [type(error) for error in outcomes] == [dualio.PortalClosedError] * 5, outcomes


async def _numbers() -> AsyncIterator[int]:
    yield 1


class _Resource:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


# -- behaviour 7: drained at interpreter exit ---------------------------------------------------------------

EXIT_SCRIPT = textwrap.dedent(
    """
    import asyncio, dualio

    async def quick(i):
        await asyncio.sleep(0.05)
        print(f"quick {i} done", flush=True)

    async def forever():
        try:
            await asyncio.sleep(60)
        finally:
            print("forever cleaned up", flush=True)

    async def fails():
        raise ValueError("nobody read me")

    dualio.configure(drain_timeout=0.5)
    futures = [dualio.submit(quick, i) for i in range(3)]
    futures.append(dualio.submit(forever))
    futures.append(dualio.submit(fails))
    print("main returns", flush=True)
    """
)


def test_pending_work_is_drained_at_exit_and_what_was_cancelled_is_logged() -> None:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", EXIT_SCRIPT], capture_output=True, text=True, timeout=30)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "main returns"
    for i in range(3):
        assert f"quick {i} done" in proc.stdout
    assert "forever cleaned up" in proc.stdout
    assert "1 task(s) still pending after 0.5 s; they were cancelled" in proc.stderr
    assert "forever at " in proc.stderr
    assert "was never retrieved (the interpreter exited)" in proc.stderr
    assert "ValueError: nobody read me" in proc.stderr
    assert elapsed < 10


# -- behaviour 8: fork ------------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_fresh_default_portal_and_the_parent_keeps_its_own() -> None:
    assert dualio.run(double, 1) == 2
    parent_portal = dualio.default_portal()
    explicit = dualio.Portal("explicit-in-parent").start()
    pending = explicit.submit(asyncio.sleep(30))  # still pending at fork: its coroutine runs in the parent only
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork() with threads running
        pid = os.fork()
    if pid == 0:  # child: report through the pipe, never return into pytest
        report = "ok"
        try:
            child_portal = dualio.default_portal()
            if child_portal is parent_portal or not parent_portal.closed:
                report = "child reused the parent's default portal"
            elif dualio.run(double, 21) != 42:
                report = "child's default portal gave a wrong result"
            else:
                try:
                    explicit.run(noop)
                    report = "an inherited explicit portal accepted work"
                except dualio.PortalClosedError as exc:
                    if "inherited through fork()" not in str(exc):
                        report = f"unclear error: {exc}"
                try:
                    pending.result(timeout=5)
                    report = "a future of the parent gave a result in the child"
                except dualio.PortalClosedError as exc:  # at once, not after the timeout: nothing here finishes it
                    if "submitted before the process forked" not in str(exc):
                        report = f"unclear error: {exc}"
        except BaseException as exc:
            report = f"child failed: {exc!r}"
        os.write(write_end, report.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert report == "ok"
    assert os.waitstatus_to_exitcode(status) == 0
    assert dualio.default_portal() is parent_portal
    assert dualio.run(double, 3) == 6
    assert explicit.run(double, 4) == 8
    assert pending.cancel()  # the parent's future is untouched by the child
    explicit.shutdown()


# -- behaviour 9: thread safety ----------------------------------------------------------------------------

THREADS = 32
CALLS_PER_THREAD = 10_000


def test_32_threads_times_10000_calls_give_correct_results_on_one_default_portal() -> None:
    async def combine(thread_index: int, call_index: int) -> int:
        return thread_index * CALLS_PER_THREAD + call_index

    barrier = threading.Barrier(THREADS)

    def worker(thread_index: int) -> tuple[int, int]:
        barrier.wait()
        portal_id = id(dualio.default_portal())
        wrong = sum(
            dualio.run(combine, thread_index, i) != thread_index * CALLS_PER_THREAD + i for i in range(CALLS_PER_THREAD)
        )
        return wrong, portal_id

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    assert sum(wrong for wrong, _ in results) == 0
    assert len({portal_id for _, portal_id in results}) == 1, "more than one default portal was created"
    stats = dualio.default_portal().statistics()
    assert stats.tasks_submitted == stats.tasks_completed == THREADS * CALLS_PER_THREAD


def test_concurrent_first_use_creates_exactly_one_default_portal(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[dualio.Portal] = []
    original_init = dualio.Portal.__init__

    def counting_init(self: dualio.Portal, *args: object, **kwargs: object) -> None:
        created.append(self)
        time.sleep(0.01)  # widen the race window
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dualio.Portal, "__init__", counting_init)
    barrier = threading.Barrier(16)

    def first_use() -> int:
        barrier.wait()
        return id(dualio.default_portal())

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        ids = set(pool.map(lambda _: first_use(), range(16)))
    assert len(ids) == 1
    assert len(created) == 1


DAEMON_AT_EXIT_SCRIPT = textwrap.dedent(
    """
    import asyncio, atexit, sys, threading, time

    told = threading.Event()
    atexit.register(told.wait, 10)  # registered before dualio's exit drain, so it runs after it

    import dualio

    def keep_calling():
        while True:
            try:
                dualio.run(asyncio.sleep(0.001))
            except dualio.PortalClosedError as exc:
                print(exc, flush=True)
                told.set()
                return

    threading.Thread(target=keep_calling, daemon=True).start()
    time.sleep(0.2)
    print("main returns", flush=True)
    """
)


def test_a_daemon_thread_calling_at_exit_is_told_the_interpreter_is_exiting() -> None:
    """Review 25c: it was told to "create a new Portal", which it cannot act on while the process ends."""
    proc = subprocess.run([sys.executable, "-c", DAEMON_AT_EXIT_SCRIPT], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    main_returns, told = proc.stdout.splitlines()
    assert main_returns == "main returns"
    assert told.startswith("portal 'dualio-default' was shut down because the interpreter is exiting; a thread")


@pytest.mark.parametrize("lend_loop", [False, True], ids=["loop-thread", "lent-loop"])
def test_a_started_portal_dropped_without_shutdown_ends_its_thread_once_idle(lend_loop: bool) -> None:
    """Review 25c: its loop thread held it, so 300 dropped portals kept 300 threads and 900 descriptors. Work it
    still has keeps it (and so its thread) until done."""
    finished: list[str] = []

    async def work() -> None:
        await asyncio.sleep(0.1)
        finished.append("work")

    threads_before = threading.active_count()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(20):
            portal = dualio.Portal("dropped", lend_loop=lend_loop)
            assert portal.run(double, 2) == 4
            del portal
        pending = dualio.Portal("pending", lend_loop=lend_loop)
        pending.submit(work())
        del pending  # its task holds it until the work is done
        deadline = time.monotonic() + 10
        while (threading.active_count() > threads_before or not finished) and time.monotonic() < deadline:
            gc.collect()
            time.sleep(0.05)
    assert finished == ["work"]
    assert threading.active_count() == threads_before
    said = [str(w.message) for w in caught if w.category is ResourceWarning]
    assert len(said) == 21  # as an unclosed file: shown by `python -X dev` and pytest
    assert "portal 'pending' was dropped without shutdown(); its loop is closed" in said
