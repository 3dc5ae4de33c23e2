"""``iterate`` and ``enter``: async iterators and async context managers from sync code."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

import pytest

import dualio
from tests.helpers import Boom


def runner_thread(portal: dualio.Portal) -> int | None:
    """The thread expected to run a blocking call's coroutine: the caller's if the portal lends its loop."""
    return threading.get_ident() if portal.lend_loop else portal._thread_id


class Tracker:
    """Records, from the loop thread, what happened to an async generator."""

    def __init__(self) -> None:
        self.produced: list[int] = []
        self.closed = threading.Event()
        self.threads: set[int] = set()
        self.loops: set[asyncio.AbstractEventLoop] = set()


async def counting(tracker: Tracker, limit: int = 1_000) -> AsyncIterator[int]:
    try:
        for i in range(limit):
            tracker.threads.add(threading.get_ident())
            tracker.loops.add(asyncio.get_running_loop())
            await asyncio.sleep(0)
            tracker.produced.append(i)
            yield i
    finally:
        await asyncio.sleep(0)  # an async cleanup: needs aclose() on the loop
        tracker.closed.set()


def test_iterate_yields_every_item_and_runs_on_the_portal_loop(portal: dualio.Portal) -> None:
    tracker = Tracker()
    assert list(portal.iterate(counting(tracker, 5))) == [0, 1, 2, 3, 4]
    assert tracker.closed.is_set()
    assert tracker.loops == {portal.loop}
    assert tracker.threads == {runner_thread(portal)}


def test_breaking_out_acloses_the_async_generator_on_the_loop(portal: dualio.Portal) -> None:
    tracker = Tracker()
    for item in portal.iterate(counting(tracker)):
        if item == 2:
            break
    assert tracker.closed.is_set(), "breaking out did not aclose() the async generator"
    assert tracker.produced == [0, 1, 2]


def test_closing_the_sync_iterator_acloses_the_async_one(portal: dualio.Portal) -> None:
    tracker = Tracker()
    items = portal.iterate(counting(tracker))
    assert next(items) == 0
    items.close()  # type: ignore[attr-defined]
    assert tracker.closed.is_set()


def test_dropping_the_sync_iterator_acloses_the_async_one(portal: dualio.Portal) -> None:
    tracker = Tracker()
    items = portal.iterate(counting(tracker))
    assert next(items) == 0
    reference = weakref.ref(items)  # allowed (review 25c: "cannot create weak reference")
    del items
    gc.collect()
    assert reference() is None
    assert tracker.closed.wait(5)


def test_an_error_in_the_async_iterator_reaches_the_caller(portal: dualio.Portal) -> None:
    async def broken() -> AsyncIterator[int]:
        yield 1
        raise Boom("mid-stream")

    items = portal.iterate(broken())
    assert next(items) == 1
    with pytest.raises(Boom, match="mid-stream"):
        next(items)


def test_iterate_timeout_applies_to_each_item(portal: dualio.Portal) -> None:
    tracker = Tracker()

    async def slow_second() -> AsyncIterator[int]:
        try:
            yield 1
            await asyncio.sleep(30)
            yield 2
        finally:
            tracker.closed.set()

    items = portal.iterate(slow_second(), timeout=0.1)
    assert next(items) == 1
    with pytest.raises(TimeoutError):
        next(items)
    assert tracker.closed.is_set()  # the cancellation finished the generator, as it would in async code
    with pytest.raises(StopIteration):  # so the next step is its end (a class's __anext__ may go on: below)
        next(items)


def test_iterate_accepts_an_async_iterable_that_is_not_a_generator(portal: dualio.Portal) -> None:
    class Countdown:
        def __init__(self, start: int) -> None:
            self.start = start

        def __aiter__(self) -> AsyncIterator[int]:
            return counting(Tracker(), self.start)

    assert list(portal.iterate(Countdown(3))) == [0, 1, 2]


def test_iterate_copies_contextvars(portal: dualio.Portal) -> None:
    tenant: contextvars.ContextVar[str] = contextvars.ContextVar("tenant")

    async def tenants() -> AsyncIterator[str]:
        yield tenant.get("missing")

    tenant.set("acme")
    assert list(portal.iterate(tenants())) == ["acme"]


class Session:
    """An async resource that records how it was entered and exited, and on which thread."""

    def __init__(self, suppress: bool = False) -> None:
        self.suppress = suppress
        self.events: list[str] = []
        self.exit_args: tuple[type[BaseException] | None, BaseException | None] | None = None
        self.threads: set[int] = set()
        self.loops: set[asyncio.AbstractEventLoop] = set()

    async def __aenter__(self) -> Session:
        self.threads.add(threading.get_ident())
        self.loops.add(asyncio.get_running_loop())
        await asyncio.sleep(0)
        self.events.append("enter")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self.threads.add(threading.get_ident())
        self.loops.add(asyncio.get_running_loop())
        await asyncio.sleep(0)
        self.events.append("exit")
        self.exit_args = (exc_type, exc)
        return self.suppress


def test_enter_runs_aenter_and_aexit_on_the_loop(portal: dualio.Portal) -> None:
    session = Session()
    with portal.enter(session) as entered:
        assert entered is session
        assert session.events == ["enter"]
    assert session.events == ["enter", "exit"]
    assert session.exit_args == (None, None)
    assert session.loops == {portal.loop}
    assert session.threads == {runner_thread(portal)}


def test_an_exception_in_the_body_is_passed_to_aexit_and_propagates(portal: dualio.Portal) -> None:
    session = Session()
    error = Boom("in the body")
    with pytest.raises(Boom), portal.enter(session):
        raise error
    assert session.exit_args == (Boom, error)


def test_aexit_may_suppress_the_exception(portal: dualio.Portal) -> None:
    session = Session(suppress=True)
    with portal.enter(session):
        raise Boom("suppressed")
    assert session.events == ["enter", "exit"]


def test_enter_works_with_asynccontextmanager(portal: dualio.Portal) -> None:
    log: list[str] = []

    @asynccontextmanager
    async def connection() -> AsyncIterator[str]:
        log.append("open")
        try:
            yield "conn"
        finally:
            await asyncio.sleep(0)
            log.append("close")

    with dualio.enter(connection()) as conn:
        assert conn == "conn"
    assert log == ["open", "close"]


class SelfIterating:
    """An object that is its own async iterator and whose ``aclose()`` closes the object (a stream, a client)."""

    def __init__(self) -> None:
        self.left = 3
        self.closed = False

    def __aiter__(self) -> SelfIterating:
        return self

    async def __anext__(self) -> int:
        if self.left == 0:
            raise StopAsyncIteration
        self.left -= 1
        return self.left

    async def aclose(self) -> None:
        self.closed = True


def test_an_object_that_is_its_own_iterator_is_not_closed_by_iterating_to_its_end(portal: dualio.Portal) -> None:
    # Review 15c: iterating such an object to its end called its aclose(), which closed the object itself
    # (`async for` never does). Leaving early still aclose()s it, as the iteration is abandoned.
    obj = SelfIterating()
    assert list(portal.iterate(obj)) == [2, 1, 0]
    assert not obj.closed
    obj.left = 3
    for item in portal.iterate(obj):
        assert item == 2
        break
    assert obj.closed


class Inbox:
    """A class-based async iterator over a queue (aiomqtt's messages): a cancelled ``__anext__`` loses nothing."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.fail_next = False

    def __aiter__(self) -> Inbox:
        return self

    async def __anext__(self) -> str:
        if self.fail_next:
            self.fail_next = False
            raise Boom("one bad step")
        return await self.queue.get()


async def _make_inbox() -> Inbox:
    return Inbox()


def test_a_timed_out_step_leaves_a_class_based_iteration_open(portal: dualio.Portal) -> None:
    # Review 17b F1: a step's timeout ended the sync iterator (a generator), though `anext()` in async code
    # could be awaited again; the next item was only reachable through a new iteration.
    inbox = portal.run(_make_inbox())
    items = portal.iterate(inbox, timeout=0.05)
    with pytest.raises(TimeoutError, match=r"Inbox\.__anext__"):
        next(items)
    portal.loop.call_soon_threadsafe(inbox.queue.put_nowait, "after the timeout")
    assert next(items) == "after the timeout"
    inbox.fail_next = True
    with pytest.raises(Boom, match="one bad step"):
        next(items)
    portal.loop.call_soon_threadsafe(inbox.queue.put_nowait, "after the error")
    assert next(items) == "after the error"
    assert "open" in repr(items)


def test_an_error_raised_out_of_a_for_loop_acloses_the_async_generator(portal: dualio.Portal) -> None:
    tracker = Tracker()

    def consume() -> None:
        for item in portal.iterate(counting(tracker)):
            if item == 1:
                raise Boom("in the body")

    with pytest.raises(Boom):
        consume()
    assert tracker.closed.is_set()
    assert tracker.produced == [0, 1]


def test_closing_twice_or_before_the_first_step_does_nothing_more(portal: dualio.Portal) -> None:
    tracker = Tracker()
    items = portal.iterate(counting(tracker))
    assert "not started" in repr(items)
    items.close()  # type: ignore[attr-defined]
    items.close()  # type: ignore[attr-defined]
    assert "finished" in repr(items)
    with pytest.raises(StopIteration):
        next(items)
    assert tracker.produced == []
