"""``dualio.twin.defer``: a twin call whose awaitable is awaited later (coredis' pipeline commands).

``AsyncPipeline`` below behaves as coredis' pipeline does: a command returns a request that may be awaited only
after the pipeline has executed, which its ``__aexit__`` does. A plain twin call awaits the request at once and
fails as coredis does; ``defer`` keeps it, and ``result()`` awaits it after the block.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterator
from typing import Any

import pytest

import dualio
from dualio.twin import Deferred, TwinClosedError, defer, sync_class, timeout, unwrap, use_portal


class AsyncRequest:
    """A queued command's result: awaitable once its pipeline has executed."""

    def __init__(self, pipeline: AsyncPipeline, future: asyncio.Future[int]) -> None:
        self._pipeline = pipeline
        self._future = future

    def __await__(self) -> Generator[Any, None, int]:
        if not self._pipeline.executed:
            raise RuntimeError("can't await a pipeline command before it completes")
        return self._future.__await__()


class AsyncPipeline:
    def __init__(self, store: dict[str, int]) -> None:
        self._store = store
        self._queued: list[tuple[str, asyncio.Future[int]]] = []
        self.executed = False

    def incr(self, key: str) -> AsyncRequest:
        asyncio.get_running_loop()  # a plain def that must run on the loop, as coredis' commands do
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queued.append((key, future))
        return AsyncRequest(self, future)

    async def execute(self) -> int:
        await asyncio.sleep(0)
        for key, future in self._queued:
            self._store[key] = self._store.get(key, 0) + 1
            future.set_result(self._store[key])
        self.executed = True
        return len(self._queued)

    async def __aenter__(self) -> AsyncPipeline:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if exc_info[0] is None:
            await self.execute()


class AsyncClient:
    def __init__(self) -> None:
        self.store: dict[str, int] = {}
        self.started: list[str] = []

    def pipeline(self) -> AsyncPipeline:
        return AsyncPipeline(self.store)

    async def get(self, key: str) -> int:
        self.started.append(key)
        await asyncio.sleep(0)
        return self.store.get(key, 0)

    async def child(self) -> AsyncClient:
        return AsyncClient()

    async def fail(self) -> None:
        raise ValueError("failed on purpose")

    async def slow(self) -> None:
        await asyncio.sleep(30)


Client = sync_class(AsyncClient)


@pytest.fixture
def client(portal: dualio.Portal) -> Iterator[Any]:
    with use_portal(portal):
        twin = Client()
    yield twin
    twin.close()


def test_a_plain_call_awaits_the_request_at_once_and_fails_as_the_library_says(client: Any) -> None:
    with client.pipeline() as pipe, pytest.raises(RuntimeError, match="before it completes"):
        pipe.incr("hits")


def test_deferred_requests_are_awaited_after_the_pipeline_executed(client: Any) -> None:
    with client.pipeline() as pipe:
        first = defer(pipe.incr, "hits")
        second = defer(pipe.incr, "hits")
        assert not first.done()
    assert (first.result(), second.result()) == (1, 2)
    assert first.done()
    assert first.result() == 1  # the same value again: awaited once
    assert client.get("hits") == 2


def test_a_deferred_async_def_runs_nothing_until_its_result_is_asked(client: Any) -> None:
    deferred = defer(client.get, "k")
    assert isinstance(deferred, Deferred)
    assert unwrap(client).started == []
    assert deferred.result() == 0
    assert unwrap(client).started == ["k"]
    assert "AsyncClient.get (done)" in repr(deferred)


def test_a_deferred_result_is_mapped_and_its_error_raised_again(client: Any) -> None:
    child = defer(client.child).result()
    assert type(child) is Client
    assert child.get("x") == 0
    failing = defer(client.fail)
    for _attempt in range(2):
        with pytest.raises(ValueError, match="failed on purpose"):
            failing.result()


def test_the_twins_timeout_limits_the_wait_and_the_timeout_stays(client: Any) -> None:
    slow = defer(client.slow)
    with timeout(0.05), pytest.raises(TimeoutError, match=r"AsyncClient\.slow"):
        slow.result()
    with pytest.raises(TimeoutError):
        slow.result()  # the awaitable was cancelled: the outcome stays


def test_bad_input_is_refused_with_what_to_do(client: Any) -> None:
    with pytest.raises(TypeError, match=r"expects a method of a sync twin, bound to it.*defer\(pipe\.incr"):
        defer(len, "abc")
    with pytest.raises(TypeError, match="expects a method of a sync twin"):
        defer(AsyncClient().get, "k")
    closed = Client()
    closed.close()
    with pytest.raises(TwinClosedError, match=r"get\(\) \(deferred\) was called on a closed twin"):
        defer(closed.get, "k")


def test_inside_a_coroutine_on_the_twins_loop_result_is_a_deadlock_error(client: Any) -> None:
    deferred = defer(client.get, "k")

    async def on_the_loop() -> None:
        deferred.result()

    with pytest.raises(dualio.DeadlockError):
        dualio.twin.portal_of(client).run(on_the_loop, timeout=5)
    assert not deferred.done()  # refused before it ran: still there
    assert deferred.result() == 0
