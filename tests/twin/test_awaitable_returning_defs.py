"""A class whose plain defs are annotated to return awaitables is twinned, its results awaited on the loop.

zmq.asyncio's ``Socket`` has no ``async def``: ``recv`` is ``def recv(...) -> Awaitable[bytes | Frame]`` (a future
of the socket's loop). Before stop 26 ``sync_class`` refused it ("has no async members") and the generator
refused such a class too (review 14b r08); now such a def counts as an async member, at run time and in the
generator alike, and the twin awaits what it returns on the loop, as for any sync def.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any

import pytest
import zmq
import zmq.asyncio

import dualio
from dualio.twin import TwinClosedError, sync_class, twin_of, unwrap, use_portal


class AsyncFutures:
    """Plain defs only, each annotated to return an awaitable, in the spellings libraries use."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> Awaitable[int]:
        self.sent.append(data)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()  # the loop's: runs there
        future.set_result(len(data))
        return future

    def recv(self) -> asyncio.Future[bytes]:
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        future.set_result(self.sent.pop(0))
        return future

    def count(self) -> Coroutine[Any, Any, int]:
        return self._count()

    async def _count(self) -> int:
        return len(self.sent)


class PlainOnly:
    def value(self) -> int:
        return 1


def test_defs_annotated_to_return_awaitables_make_a_twin_that_awaits_them(portal: dualio.Portal) -> None:
    Futures = sync_class(AsyncFutures)
    with use_portal(portal):
        twin = Futures()
    assert twin.send(b"abc") == 3
    assert twin.count() == 1
    assert twin.recv() == b"abc"
    assert twin.count() == 0


def test_a_class_with_plain_defs_only_is_still_refused() -> None:
    with pytest.raises(TypeError, match="nor one annotated to return Awaitable"):
        sync_class(PlainOnly)


def test_a_zmq_asyncio_socket_twin_sends_and_receives_over_tcp(portal: dualio.Portal) -> None:
    async def make(kind: int) -> zmq.asyncio.Socket:
        return zmq.asyncio.Context.instance().socket(kind)

    with use_portal(portal):
        pull = twin_of(portal.run(make(zmq.PULL), timeout=5))
        push = twin_of(portal.run(make(zmq.PUSH), timeout=5))
    try:
        port = pull.bind_to_random_port("tcp://127.0.0.1")
        push.connect(f"tcp://127.0.0.1:{port}")
        push.send(b"hello")
        assert pull.recv() == b"hello"
        push.send_multipart([b"a", b"b"])
        assert pull.recv_multipart() == [b"a", b"b"]
        assert pull.poll(timeout=10) == 0
        assert type(pull) is sync_class(zmq.asyncio.Socket)
    finally:
        push.close(linger=0)
        pull.close(linger=0)


class PoolCursorContext:
    """As aiopg's ``_PoolCursorContextManager``: a sync context manager whose halves need the pool's loop."""

    def __init__(self, pool: AsyncPool) -> None:
        self._pool = pool
        self.cursor: AsyncCursor | None = None

    def __enter__(self) -> AsyncCursor:
        asyncio.get_running_loop()  # RuntimeError in a thread with no running loop
        self.cursor = AsyncCursor()
        self._pool.events.append("entered")
        return self.cursor

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        loop = asyncio.get_running_loop()
        loop.call_soon(self._pool.events.append, "released")  # as aiopg's release schedules on the pool's loop
        self._pool.events.append(f"exited with {exc_type.__name__ if exc_type else None}")


class AsyncCursor:
    async def execute(self, query: str) -> str:
        await asyncio.sleep(0)
        return f"ran {query}"


class AsyncPool:
    def __init__(self) -> None:
        self.events: list[str] = []

    async def cursor(self) -> PoolCursorContext:
        return PoolCursorContext(self)


def test_a_sync_context_manager_a_call_returns_is_entered_on_the_loop(portal: dualio.Portal) -> None:
    # Review 15b: aiopg's `with pool.cursor() as cur` was entered in the caller's thread, `as` gave the raw async
    # cursor (its execute() a coroutine never awaited), and __exit__ released the connection off the loop.
    Pool = sync_class(AsyncPool)
    with use_portal(portal):
        pool = Pool()
    with pool.cursor() as cursor:
        assert type(cursor) is sync_class(AsyncCursor)
        assert cursor.execute("select 1") == "ran select 1"
    with pytest.raises(ValueError, match="in the block"), pool.cursor():
        raise ValueError("in the block")
    portal.run(asyncio.sleep, 0, timeout=5)  # let what __exit__ scheduled run
    events = unwrap(pool).events
    assert [event for event in events if event != "released"] == [
        "entered",
        "exited with None",
        "entered",
        "exited with ValueError",
    ]
    assert events.count("released") == 2


class AsyncApi:
    """As a botocore client: its API methods are plain defs that return coroutines."""

    def list_buckets(self) -> Coroutine[Any, Any, list[str]]:
        return self._request()

    async def _request(self) -> list[str]:
        return ["bucket"]

    def region(self) -> str:
        return "eu"

    async def close(self) -> None:
        pass


def test_a_closed_twin_refuses_a_plain_def_whose_result_is_awaitable(portal: dualio.Portal) -> None:
    # Before, after close() an aiobotocore client's twin still ran `s3.list_buckets()`, and the
    # user got botocore's "'NoneType' object has no attribute 'get'" instead of TwinClosedError.
    with use_portal(portal):
        api = sync_class(AsyncApi)()
    assert api.list_buckets() == ["bucket"]
    api.close()
    with pytest.raises(TwinClosedError, match=r"^Api\.list_buckets\(\) was called on a closed twin"):
        api.list_buckets()
    assert api.region() == "eu"  # a plain result: a sync method still runs after close
