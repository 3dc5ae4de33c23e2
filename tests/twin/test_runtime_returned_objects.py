"""What run-time twin calls give back: twins of returned objects, containers and plain values.

A scoped timeout naming a twin covers the twins its calls give; lists, tuples and dicts are mapped element by
element both ways, and a plain object holding async objects (asyncua's ``client.nodes``) is a twin; an attribute
missing on an awaitable object's twin says to enter or await it (aiomysql's ``connect()``); another package's
object with an API (aiocache's ``cache.client``) or of a base package (aioboto3's ``s3.meta``) is a twin; an async
function a call returns is called as a blocking one; a dataclass with properties comes back as it is (nats).
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
from collections.abc import Awaitable, Callable, Generator
from pathlib import Path
from typing import Any

import pytest

import dualio
import dualio.twin
from dualio import twin
from dualio.twin import Twin, sync_class, twin_of, use_portal


class AsyncCursor:
    async def execute(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "ran"


class AsyncFeed:
    """An async iterator that waits ``seconds`` for each item."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __aiter__(self) -> AsyncFeed:
        return self

    async def __anext__(self) -> AsyncCursor:
        await asyncio.sleep(self.seconds)
        return AsyncCursor()


class AsyncConnection:
    def __init__(self) -> None:
        self.messages = AsyncFeed(0.5)

    async def cursor(self) -> AsyncCursor:
        return AsyncCursor()


def test_a_scoped_timeout_naming_a_twin_covers_the_twins_its_calls_give() -> None:
    conn = sync_class(AsyncConnection)()
    with dualio.twin.timeout(0.05, conn):
        cursor = conn.cursor()
        with pytest.raises(TimeoutError, match=r"AsyncCursor\.execute did not finish within 0\.05 s"):
            cursor.execute(1)
    outside = cursor.execute(0.01)  # the block is over: the cursor's own default (none)
    assert outside == "ran"


def test_a_scoped_timeout_naming_a_twin_limits_an_iterator_its_attribute_gives() -> None:
    conn = sync_class(AsyncConnection)()
    conn.messages.seconds = 0.2
    feed = iter(conn.messages)  # an async iterator read as an attribute: each item waits 0.2 s
    with dualio.twin.timeout(0.05, conn), pytest.raises(TimeoutError):
        next(feed)  # each step gets the limit in force when next() is called
    with dualio.twin.timeout(0.05, conn):
        made_in_the_block = iter(conn.messages)
    assert isinstance(next(made_in_the_block), dualio.twin.Twin)  # stepped outside it: no limit
    assert isinstance(next(feed), dualio.twin.Twin)  # a class's __anext__ goes on after a timed-out step


def test_a_scoped_timeout_naming_another_twin_does_not_cover_these() -> None:
    conn, other = sync_class(AsyncConnection)(), sync_class(AsyncConnection)()
    cursor = conn.cursor()
    with dualio.twin.timeout(0.01, other):
        ran = cursor.execute(0.05)
    assert ran == "ran"


class AsyncNode:
    def __init__(self, name: str) -> None:
        self.name = name

    async def read(self) -> str:
        return f"value of {self.name}"


class Shortcuts:
    """A plain object of the package that only holds async objects (asyncua's ``client.nodes``)."""

    def __init__(self) -> None:
        self.root = AsyncNode("root")
        self.label = "shortcuts"


class AsyncTree:
    def __init__(self) -> None:
        self.nodes = Shortcuts()

    async def children(self) -> list[AsyncNode]:
        return [AsyncNode("a"), AsyncNode("b")]

    async def pair(self) -> tuple[AsyncNode, int]:
        return AsyncNode("p"), 1

    async def response(self) -> dict[str, Any]:
        return {"Body": AsyncNode("body"), "status": 200}

    async def names(self) -> list[str]:
        return ["plain", "values"]

    @classmethod
    async def roots(cls) -> list[AsyncNode]:
        return [AsyncNode("r")]

    async def read_all(self, nodes: list[AsyncNode], by_name: dict[str, AsyncNode]) -> list[str]:
        return [await node.read() for node in [*nodes, *by_name.values()]]


def test_a_run_time_twin_maps_the_elements_of_lists_tuples_and_dicts_it_returns() -> None:
    tree = sync_class(AsyncTree)()
    children = tree.children()
    assert [child.read() for child in children] == ["value of a", "value of b"]
    node, count = tree.pair()
    assert (node.read(), count) == ("value of p", 1)
    response = tree.response()
    assert response["Body"].read() == "value of body"
    assert response["status"] == 200
    roots = sync_class(AsyncTree).roots()
    assert roots[0].read() == "value of r"


def test_a_list_of_plain_values_is_returned_as_it_is() -> None:
    tree = sync_class(AsyncTree)()
    names = tree.names()
    assert names == ["plain", "values"]


def test_twins_inside_list_and_dict_arguments_reach_the_async_code_as_async_objects() -> None:
    tree = sync_class(AsyncTree)()
    a, b = tree.children()
    read = tree.read_all([a, b], by_name={"body": tree.response()["Body"]})
    assert read == ["value of a", "value of b", "value of body"]


def test_a_plain_object_holding_async_objects_is_a_twin_that_maps_them() -> None:
    tree = sync_class(AsyncTree)()
    nodes = tree.nodes
    assert Twin in type(nodes).__mro__
    assert nodes.root.read() == "value of root"
    assert nodes.label == "shortcuts"


class _AwaitableConnect:
    """What aiomysql's ``connect()`` returns: awaitable (to a connection) and an async context manager."""

    def __init__(self) -> None:
        self._connection = AsyncCursor()

    def __await__(self) -> Generator[Any, None, AsyncCursor]:
        return self._connected().__await__()

    async def _connected(self) -> AsyncCursor:
        return self._connection

    async def __aenter__(self) -> AsyncCursor:
        return self._connection

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def test_an_attribute_missing_on_an_awaitable_objects_twin_says_to_enter_or_await_it() -> None:
    connecting = twin_of(_AwaitableConnect())
    with pytest.raises(AttributeError) as caught:
        connecting.execute(0)
    assert "twin of an awaitable _AwaitableConnect, not of what it gives" in " ".join(caught.value.__notes__)
    with connecting as cursor:
        assert cursor.execute(0) == "ran"


class AsyncForeignBackend:
    """aiocache's ``cache.client``: another package's client, an async context manager with an API of its own."""

    async def ping(self) -> str:
        await asyncio.sleep(0)
        return "pong"

    async def __aenter__(self) -> AsyncForeignBackend:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        pass


AsyncForeignBackend.__module__ = "review14_foreign_package"  # another top-level package than the twinned class


class AsyncCache:
    def __init__(self) -> None:
        self.client = AsyncForeignBackend()

    async def reader(self) -> asyncio.StreamReader:
        reader = asyncio.StreamReader()
        reader.feed_data(b"line 1\nline 2\n")
        reader.feed_eof()
        return reader


def test_another_packages_object_with_an_api_is_a_twin(portal: dualio.Portal) -> None:
    with use_portal(portal):
        cache = sync_class(AsyncCache)()
        assert cache.client.ping() == "pong"  # before: a bare context manager, without ping()
        with cache.client as client:
            assert client.ping() == "pong"
        reader = cache.reader()
        assert reader.readline() == b"line 1\n"  # an asyncio.StreamReader keeps its API
        assert list(reader) == [b"line 2\n"]


# An async function a call returns (databases' `@db.transaction()` wrapper) is a blocking function.


class AsyncHub:
    def __init__(self) -> None:
        self.on_message: Callable[[str], Awaitable[int]] = self._count
        self.seen: list[str] = []

    async def _count(self, text: str) -> int:
        await asyncio.sleep(0)
        self.seen.append(text)
        return len(text)

    def handler(self) -> Callable[[str], Awaitable[int]]:
        return self._count

    async def run_handler(self, handler: Callable[[str], Awaitable[int]], text: str) -> int:
        return await handler(text)

    async def slow(self) -> Callable[[], Awaitable[None]]:
        async def sleeper() -> None:
            await asyncio.sleep(10)

        return sleeper


Hub = sync_class(AsyncHub)


def test_an_async_function_a_call_returns_is_called_as_a_blocking_one() -> None:
    hub = Hub()
    handler = hub.handler()  # before: the bound async method, whose call made a coroutine nothing awaited
    assert handler("abc") == 3
    assert hub.on_message("ab") == 2  # an attribute holding one, too
    assert hub.seen == ["abc", "ab"]
    assert hub.run_handler(handler, "back") == 4  # passed back to async code: the function again
    with pytest.raises(TimeoutError, match=r"sleeper did not finish within 0\.05 s"), dualio.twin.timeout(0.05):
        hub.slow()()


@dataclasses.dataclass(frozen=True)
class BucketStatus:
    """nats' ``KeyValue.BucketStatus``: fields with no defaults (no class attributes), and properties."""

    bucket: str
    info: dict[str, int]

    @property
    def values(self) -> int:
        return self.info["values"]


class AsyncBucket:
    async def status(self) -> BucketStatus:
        return BucketStatus("kv", {"values": 3})

    @property
    def raw_status(self) -> BucketStatus:
        return BucketStatus("kv", {"values": 4})


def test_a_dataclass_whose_other_members_are_properties_comes_back_as_it_is(portal: dualio.Portal) -> None:
    # Before, nats' frozen dataclass KeyValue.BucketStatus was taken for a namespace of properties (openai's
    # `with_raw_response`) and returned as a twin: dataclasses.asdict() refused it, and its annotation lied.
    with use_portal(portal):
        bucket = sync_class(AsyncBucket)()
    status = bucket.status()
    assert type(status) is BucketStatus
    assert dataclasses.asdict(status) == {"bucket": "kv", "info": {"values": 3}}
    assert status.values == 3
    assert type(bucket.raw_status) is BucketStatus


def test_an_object_of_a_base_package_holding_an_async_object_is_a_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before (aioboto3), `s3.meta` is a boto3 ResourceMeta (the sync parent library of aioboto3) holding the
    # aiobotocore client; it came back as it was, and `s3.meta.client.get_object(...)` made a coroutine that
    # nothing awaited (an expected NoSuchKey never came).
    (tmp_path / "syncbase_r21c.py").write_text(
        "class Meta:\n"
        "    def __init__(self, client: object) -> None:\n"
        "        self.client = client\n\n\n"
        "class Resource:\n"
        "    pass\n"
    )
    (tmp_path / "asyncpkg_r21c.py").write_text(
        "import syncbase_r21c\n\n\n"
        "class AsyncClient:\n"
        "    async def get_object(self, key: str) -> str:\n"
        "        return key\n\n\n"
        "class AsyncResource(syncbase_r21c.Resource):\n"
        "    def __init__(self) -> None:\n"
        "        self.meta = syncbase_r21c.Meta(AsyncClient())\n\n"
        "    async def load(self) -> None:\n"
        "        pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    asyncpkg = importlib.import_module("asyncpkg_r21c")
    resource = twin.twin_of(asyncpkg.AsyncResource())
    meta = resource.meta
    assert isinstance(meta, twin.Twin)
    assert resource.meta.client.get_object("k") == "k"
