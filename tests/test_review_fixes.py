"""Regression tests for behaviours found in review: each names what went wrong before."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import gc
import inspect
import logging
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable, Generator
from types import TracebackType
from typing import Any

import pytest
import uvloop

import dualio
from tests.helpers import Boom, Flags, double, noop, sleep_then_cleanup

tenant: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="none")


def test_giving_up_after_timeout_does_not_cancel_the_cleanup_a_second_time() -> None:
    flags = Flags()
    with dualio.Portal(cancel_grace=0.3) as portal:
        with pytest.raises(TimeoutError, match="may still be running"):
            portal.run(sleep_then_cleanup, flags, 30, 1.0, timeout=0.1)  # cleanup takes 1 s > grace
        assert flags.cleaned_up.wait(3), "the caller's give-up cancelled the cleanup that was still running"


class TenantScope:
    """Sets a context variable in ``__aenter__`` and resets it with the token in ``__aexit__``."""

    def __init__(self) -> None:
        self.seen_inside: str | None = None
        self.token: contextvars.Token[str] | None = None

    async def __aenter__(self) -> TenantScope:
        self.token = tenant.set("acme")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.seen_inside = tenant.get()
        assert self.token is not None
        tenant.reset(self.token)  # raised "created in a different Context" when each half had its own copy


def test_enter_runs_both_halves_in_one_context(portal: dualio.Portal) -> None:
    scope = TenantScope()
    with portal.enter(scope):
        pass
    assert scope.seen_inside == "acme"
    assert tenant.get() == "none"  # nothing leaks back to the caller


def test_context_set_by_an_async_generator_persists_between_items(portal: dualio.Portal) -> None:
    async def stamped() -> AsyncIterator[str]:
        tenant.set("set before the first yield")
        yield "first"
        yield tenant.get()

    assert list(portal.iterate(stamped())) == ["first", "set before the first yield"]


def test_system_exit_after_an_await_is_delivered_without_an_error_log(
    portal: dualio.Portal, caplog: pytest.LogCaptureFixture
) -> None:
    async def exits_later() -> None:
        await asyncio.sleep(0)
        raise SystemExit(2)

    with caplog.at_level(logging.ERROR, logger="dualio"), pytest.raises(SystemExit):
        portal.run(exits_later)
    assert portal.run(double, 2) == 4
    assert "escaped its event loop" not in caplog.text


def test_under_warnings_as_errors_every_call_from_the_site_raises(portal: dualio.Portal) -> None:
    async def cell() -> list[str]:
        outcomes = []
        for _ in range(2):
            try:
                portal.run(noop)
                outcomes.append("ran")
            except dualio.BlockingCallWarning:
                outcomes.append("warned")
        return outcomes

    with warnings.catch_warnings():
        warnings.simplefilter("error", dualio.BlockingCallWarning)
        assert asyncio.run(cell()) == ["warned", "warned"]


def test_a_result_wait_that_timed_out_does_not_count_as_reading_the_error(
    portal: dualio.Portal, caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()

    async def fails_when_released() -> None:
        await asyncio.to_thread(release.wait, 5)
        raise Boom("read by nobody")

    future = portal.submit(fails_when_released)
    with pytest.raises(TimeoutError):
        future.result(timeout=0)
    release.set()
    concurrent.futures.wait([future], timeout=5)
    with caplog.at_level(logging.ERROR, logger="dualio"):
        del future
        gc.collect()
    assert "read by nobody" in caplog.text


def test_an_unread_timeout_of_a_submitted_task_is_logged(
    portal: dualio.Portal, caplog: pytest.LogCaptureFixture
) -> None:
    future = portal.submit(asyncio.sleep, 10, timeout=0.01)
    concurrent.futures.wait([future], timeout=5)
    with caplog.at_level(logging.ERROR, logger="dualio"):
        del future
        gc.collect()
    assert "never retrieved" in caplog.text
    assert "TimeoutError" in caplog.text


@pytest.mark.parametrize("refuse", ["iterate", "enter", "run_async_task"])
def test_a_refused_coroutine_is_closed(refuse: str) -> None:
    coro = double(1)
    attempts: dict[str, Callable[[], object]] = {
        "iterate": lambda: dualio.iterate(coro),  # type: ignore[arg-type]
        "enter": lambda: dualio.enter(coro),  # type: ignore[arg-type]
        "run_async_task": lambda: dualio.run_async_task(coro, None, "yes"),  # type: ignore[call-overload]
    }
    with pytest.raises(TypeError):
        attempts[refuse]()
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


def test_a_portal_whose_loop_is_stuck_is_waited_for_once(caplog: pytest.LogCaptureFixture) -> None:
    portal = dualio.Portal("stuck", drain_timeout=0.05, cancel_grace=0.05).start()

    async def blocks_the_loop() -> None:
        time.sleep(1.5)  # noqa: ASYNC251 - the point: a loop blocked by a sync call

    portal.submit(blocks_the_loop)
    with caplog.at_level(logging.ERROR, logger="dualio"):
        portal.shutdown()
        start = time.monotonic()
        portal.shutdown()
        assert time.monotonic() - start < 0.5  # returns at once: it does not wait the full limit again
    assert caplog.text.count("did not stop") == 1


def test_a_loop_factory_that_fails_is_retried_and_reports_its_own_error() -> None:
    attempts: list[int] = []

    def broken_factory() -> asyncio.AbstractEventLoop:
        attempts.append(1)
        raise OSError("no more file descriptors")

    portal = dualio.Portal(loop_factory=broken_factory)
    for _ in range(2):
        with pytest.raises(OSError, match="no more file descriptors"):
            portal.run(noop)
    assert len(attempts) == 2


def test_configure_loop_factory_applies_to_a_default_portal_not_started_yet() -> None:
    portal = dualio.default_portal()  # created, not started
    dualio.configure(loop_factory=uvloop.new_event_loop)

    async def loop_type() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert dualio.run(loop_type).startswith("uvloop")
    assert dualio.default_portal() is portal
    with pytest.raises(RuntimeError, match="already running its loop"):
        dualio.configure(loop_factory=asyncio.new_event_loop)


class MadeOnAnotherLoop:
    """An awaitable that binds a loop when it is made (as ``asyncpg.create_pool(dsn)`` builds its pool)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.future: asyncio.Future[int] = loop.create_future()

    def __await__(self) -> Generator[Any, None, int]:
        return (yield from self.future)


def test_an_awaitable_bound_to_another_loop_gets_a_note_naming_it(portal: dualio.Portal) -> None:
    # Review 17a: dualio.run(asyncpg.create_pool(dsn)) failed with asyncio's "attached to a different loop"
    # and nothing more.
    other = asyncio.new_event_loop()
    try:
        with pytest.raises(RuntimeError, match="attached to a different loop") as caught:
            portal.run(MadeOnAnotherLoop(other))
        notes = caught.value.__notes__
        assert len(notes) == 1
        assert "run() was given MadeOnAnotherLoop" in notes[0]
        assert "dualio.run(make())" in notes[0]

        async def await_it(future: asyncio.Future[int]) -> int:
            return await future

        with pytest.raises(RuntimeError, match="attached to a different loop") as caught:
            portal.run(await_it(other.create_future()))
        assert caught.value.__notes__ == [caught.value.__notes__[0]]
        assert "belongs to another event loop than the one of portal 'test-portal'" in caught.value.__notes__[0]
    finally:
        other.close()


def test_other_runtime_errors_get_no_note(portal: dualio.Portal) -> None:
    async def fail() -> None:
        raise RuntimeError("something else")

    with pytest.raises(RuntimeError, match="something else") as caught:
        portal.run(fail())
    assert not hasattr(caught.value, "__notes__")


class OperationInProgress(Exception):
    """What asyncpg raises for a pool of another loop: "cannot perform operation: another operation is in
    progress". (Not asyncpg itself here: used from a second loop while its own loop runs, its C protocol is read
    and written by two threads at once, which crashed the interpreter in 2 of 6 runs.)"""


class SlottedPool:
    """Keeps its loop in a slot, as asyncpg's Connection does (read without running code of the object)."""

    __slots__ = ("_loop",)

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def fetchval(self) -> int:
        raise OperationInProgress("cannot perform operation: another operation is in progress")


def test_an_object_of_another_portals_loop_that_a_failed_call_used_is_named() -> None:
    # Review 19c: piccolo's module-level engine kept an asyncpg pool made on one portal, and a query run through
    # another failed with asyncpg's words only, nothing about loops.
    async def make() -> SlottedPool:
        return SlottedPool()

    with dualio.Portal("pool-home") as home, dualio.Portal("elsewhere") as elsewhere:
        pool = home.run(make())

        async def one() -> int:
            return await pool.fetchval()

        with pytest.raises(OperationInProgress) as caught:
            elsewhere.run(one())
        (note,) = caught.value.__notes__
        assert note.startswith("dualio: SlottedPool (in SlottedPool.fetchval) belongs to the loop of portal ")
        assert "'pool-home', but this call ran on the loop of portal 'elsewhere', which may be the cause" in note
        assert "run the calls that use it on portal 'pool-home'" in note

        class Query:  # an awaitable object made before the call, as piccolo's queries are: binds nothing itself
            def __await__(self) -> Generator[Any, None, int]:
                return pool.fetchval().__await__()

        with pytest.raises(OperationInProgress) as caught:
            elsewhere.run(Query())
        assert caught.value.__notes__[0].startswith("dualio: SlottedPool (in SlottedPool.fetchval) belongs to")
        other = asyncio.new_event_loop()
        try:
            pool._loop = other  # a loop no portal runs: no evidence (gql keeps such a loop and never uses it)
            with pytest.raises(OperationInProgress) as caught:
                elsewhere.run(one())
            assert not hasattr(caught.value, "__notes__")
        finally:
            other.close()


def test_an_error_of_a_library_with_no_other_loop_in_sight_gets_no_note(portal: dualio.Portal) -> None:
    class Holder:
        def __init__(self) -> None:
            self._loop = asyncio.get_running_loop()  # this portal's loop: no cause for a note

        async def fail(self) -> None:
            raise KeyError("missing")

    async def fail() -> None:
        await Holder().fail()

    with pytest.raises(KeyError) as caught:
        portal.run(fail())
    assert not hasattr(caught.value, "__notes__")
