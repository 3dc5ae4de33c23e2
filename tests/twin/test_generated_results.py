"""What a generated twin's calls return: each case is generated, checked with ``mypy --strict`` against a usage
script, and run.

A sync def returning an awaitable class (coredis' requests) is typed as what awaiting gives; ``defer`` on a
generated twin is typed by the method; defs annotated to return awaitables (zmq.asyncio) are twinned; a returned
sync context manager (aiopg's ``pool.cursor()``) is typed as entered; an ``__await__`` giving ``Self`` gives the
awaited class (aio-pika); an async callable a call gives is a blocking function (databases); a returned builder's
awaited items are mapped (tortoise); an object awaited to what nothing states is ``Any`` (distributed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ._helpers_generate import _generate
from .test_generated_spellings import check_and_run_usage, generate_and_use
from .test_generator import assert_mypy_strict

AWAITABLE_REQUESTS = """
from __future__ import annotations

from collections.abc import Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class CommandRequest(Generic[T]):
    '''coredis' CommandRequest: what a command's sync def returns; awaiting it runs the command.'''

    def __init__(self, value: T) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, T]:
        yield from ()
        return self.value


class AsyncClient:
    async def ping(self) -> str:
        return "PONG"

    def get(self, key: str) -> CommandRequest[str | None]:
        return CommandRequest(key.upper() if key else None)

    def incr(self, key: str) -> CommandRequest[int]:
        return CommandRequest(len(key))

    def anything(self) -> CommandRequest:  # type: ignore[type-arg]  # written bare: Any
        return CommandRequest(1)
"""


AWAITABLE_REQUESTS_USAGE = """
from typing import Any, assert_type

from gen_awaitable_requests.sync import Client

client = Client()
assert_type(client.get("k"), str | None)
assert client.get("k") == "K"
assert_type(client.incr("abc"), int)
assert client.incr("abc") == 3
assert_type(client.anything(), Any)
client.close()
"""


def test_a_sync_def_returning_an_awaitable_class_is_typed_as_what_awaiting_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: typed `CommandRequest[int]`, though the twin awaits it and returns the int (every coredis command).
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_awaitable_requests", AWAITABLE_REQUESTS, "AsyncClient", AWAITABLE_REQUESTS_USAGE
    )
    assert "def incr(self, key: str) -> int:" in text


PIPELINE_SOURCE = """
from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any


class AsyncRequest:
    def __init__(self, pipeline: AsyncPipeline, future: asyncio.Future[int]) -> None:
        self._pipeline = pipeline
        self._future = future

    def __await__(self) -> Generator[Any, None, int]:
        if not self._pipeline.executed:
            raise RuntimeError("can't await a pipeline command before it completes")
        return self._future.__await__()


class AsyncPipeline:
    def __init__(self) -> None:
        self._queued: list[asyncio.Future[int]] = []
        self.executed = False

    def incr(self, key: str) -> AsyncRequest:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queued.append(future)
        return AsyncRequest(self, future)

    async def __aenter__(self) -> AsyncPipeline:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for count, future in enumerate(self._queued, 1):
            future.set_result(count)
        self.executed = True


class AsyncClient:
    def pipeline(self) -> AsyncPipeline:
        return AsyncPipeline()

    async def name(self) -> str:
        return "client"
"""


PIPELINE_USAGE = """
from typing import assert_type

from dualio.twin import Deferred, defer
from gen_pipeline.sync import Client

client = Client()
with client.pipeline() as pipe:
    first = defer(pipe.incr, "a")
    assert_type(first, Deferred[int])
    second = defer(pipe.incr, key="b")
assert_type(first.result(), int)
assert (first.result(), second.result()) == (1, 2)
assert_type(defer(client.name).result(), str)
"""


def test_defer_on_a_generated_twin_is_typed_by_the_method(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate_and_use(
        tmp_path, monkeypatch, "gen_pipeline", PIPELINE_SOURCE, "AsyncClient", PIPELINE_USAGE, "AsyncPipeline"
    )
    (tmp_path / "usage_gen_pipeline.py").write_text(
        "from dualio.twin import defer\nfrom gen_pipeline.sync import Client\n\n"
        "with Client().pipeline() as pipe:\n    defer(pipe.incr, 1)\n"
    )
    with pytest.raises(AssertionError, match=r'Argument 2 to "defer" has incompatible type "int"; expected "str"'):
        assert_mypy_strict(tmp_path, "gen_pipeline/sync.py", "usage_gen_pipeline.py")


FUTURES_SOURCE = """
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any


class AsyncFutures:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> Awaitable[int]:
        self.sent.append(data)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
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
"""


FUTURES_USAGE = """
from typing import assert_type

from gen_futures.sync import Futures

twin = Futures()
sent = twin.send(b"abc")
assert_type(sent, int)
assert sent == 3
received = twin.recv()
assert_type(received, bytes)
assert received == b"abc"
count = twin.count()
assert_type(count, int)
assert count == 0
"""


def test_a_class_of_defs_returning_awaitables_is_twinned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_futures", FUTURES_SOURCE, "AsyncFutures", FUTURES_USAGE)
    assert "def recv(self) -> bytes:" in text


POOL_CURSOR_SOURCE = """
from __future__ import annotations

import asyncio


class AsyncCursor:
    async def execute(self, query: str) -> str:
        await asyncio.sleep(0)
        return f"ran {query}"


class _PoolCursorContextManager:
    __slots__ = ("_cursor",)

    def __init__(self, cursor: AsyncCursor) -> None:
        self._cursor = cursor

    def __enter__(self) -> AsyncCursor:
        asyncio.get_running_loop()  # only on the loop
        return self._cursor

    def __exit__(self, *exc_info: object) -> None:
        asyncio.get_running_loop()


class AsyncPool:
    async def cursor(self) -> _PoolCursorContextManager:
        return _PoolCursorContextManager(AsyncCursor())
"""


POOL_CURSOR_USAGE = """
from typing import assert_type

from gen_pool_cursor.sync import Cursor, Pool

pool = Pool()
with pool.cursor() as cursor:
    assert_type(cursor, Cursor)
    assert cursor.execute("select 1") == "ran select 1"
"""


def test_a_returned_sync_context_manager_is_typed_as_entered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_pool_cursor", POOL_CURSOR_SOURCE, "AsyncPool", POOL_CURSOR_USAGE, "AsyncCursor"
    )
    assert "def cursor(self) -> _contextlib.AbstractContextManager[Cursor]:" in text


AWAITED_SELF_SOURCE = """
from __future__ import annotations

from collections.abc import Generator
from typing import Any, Generic, Self, TypeVar

T = TypeVar("T")


class AsyncChannel:
    def __await__(self) -> Generator[Any, None, Self]:
        yield from []
        return self

    async def publish(self, body: bytes) -> int:
        return len(body)


class Request(Generic[T]):
    def __init__(self, value: T) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, Self]:
        yield from []
        return self


class AsyncConnection:
    def channel(self) -> AsyncChannel:
        return AsyncChannel()

    def request(self, value: int) -> Request[int]:
        return Request(value)

    async def close(self) -> None:
        pass
"""


AWAITED_SELF_USAGE = """
from typing import assert_type

from gen_awaited_self.sync import Channel, Connection

connection = Connection()
channel = connection.channel()
assert_type(channel, Channel)  # before: Connection (the Self of channel()'s own class)
assert channel.publish(b"abc") == 3
request = connection.request(5)
assert_type(request.value, int)  # awaiting a Request gives the Request itself, not twinned
"""


def test_an_await_that_gives_self_gives_the_awaited_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # aio-pika's `AbstractConnection.channel() -> AbstractChannel`, whose `__await__` returns Generator[..., Self]
    # (before, the twin typed `channel()` as `-> Self`, the connection).
    text = generate_and_use(
        tmp_path,
        monkeypatch,
        "gen_awaited_self",
        AWAITED_SELF_SOURCE,
        "AsyncConnection",
        AWAITED_SELF_USAGE,
        "AsyncChannel",
    )
    assert "def channel(self) -> Channel:" in text
    assert "def request(self, value: int) -> Request[int]:" in text


ASYNC_CALLABLE_SOURCE = """
from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


class AsyncHub:
    def __init__(self) -> None:
        self.on_message: Callable[[str], Awaitable[int]] = self._count

    async def _count(self, text: str) -> int:
        return len(text)

    def handler(self) -> Callable[[str], Awaitable[int]]:
        return self._count

    async def factory(self) -> Callable[..., Coroutine[Any, Any, str]]:
        async def made(*args: Any) -> str:
            return str(args)

        return made

    async def run(self, handler: Callable[[str], Awaitable[int]], text: str) -> int:
        return await handler(text)
"""


ASYNC_CALLABLE_USAGE = """
from collections.abc import Awaitable, Callable
from typing import assert_type, cast

from gen_async_callable.sync import Hub

hub = Hub()
handler = hub.handler()
assert_type(handler, Callable[[str], int])  # an async function a call gives blocks when called
assert handler("abc") == 3
assert_type(hub.on_message, Callable[[str], int])
assert hub.on_message("ab") == 2
assert hub.factory()(1, 2) == "(1, 2)"
# Passed back it is the async function again, but a parameter keeps its written type: mypy wants a cast there
assert hub.run(cast("Callable[[str], Awaitable[int]]", handler), "back") == 4
"""


def test_an_async_callable_a_call_gives_is_typed_as_the_blocking_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_async_callable", ASYNC_CALLABLE_SOURCE, "AsyncHub", ASYNC_CALLABLE_USAGE
    )
    assert "def handler(self) -> Callable[[str], int]:" in text
    assert "def factory(self) -> Callable[..., str]:" in text
    assert "def run(self, handler: Callable[[str], Awaitable[int]], text: str) -> int:" in text


QUERYSET_SOURCE = """
from __future__ import annotations

from collections.abc import Generator
from typing import Any, Generic, TypeVar

MODEL = TypeVar("MODEL", bound="AsyncModel")


class QuerySet(Generic[MODEL]):
    def __init__(self, items: list[MODEL]) -> None:
        self.items = items

    def __await__(self) -> Generator[Any, None, list[MODEL]]:
        yield from []
        return self.items


class AsyncModel:
    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def filter(cls: type[MODEL], *names: str) -> QuerySet[MODEL]:
        return QuerySet([cls(name) for name in names])

    async def save(self) -> str:
        return f"saved {self.name}"
"""


QUERYSET_USAGE = """
from typing import assert_type

from gen_queryset.sync import Model

found = Model.filter("a", "b")
assert_type(found, list[Model])
assert [type(item) for item in found] == [Model, Model], found  # before: the async objects
assert [item.save() for item in found] == ["saved a", "saved b"]
"""


def test_what_awaiting_a_returned_builder_gives_is_mapped_item_by_item(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, tortoise's `Model.filter(...)` (a QuerySet awaited to `list[MODEL]`) gave raw models through a
    # generated twin: the list was typed `list[SyncModel]` but not traversed.
    text = generate_and_use(tmp_path, monkeypatch, "gen_queryset", QUERYSET_SOURCE, "AsyncModel", QUERYSET_USAGE)
    assert "def filter(cls, *names: str) -> list[_typing.Self]:" in text
    assert "_support.returned_each(" in text[text.index("def filter") :]


_UNANNOTATED_AWAIT = {
    "aio": """
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Future(Generic[T]):
    def __init__(self, value: T) -> None:
        self.value = value

    def __await__(self) -> Any:  # distributed's (unannotated) Future: awaiting gives the value, unsaid here
        return self._value().__await__()

    async def _value(self) -> T:
        return self.value


class AsyncClient:
    def submit(self, value: T) -> Future[T]:
        return Future(value)

    async def close(self) -> None:
        pass
""",
}


def test_a_sync_def_returning_an_object_awaited_to_what_nothing_says_is_typed_any(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, distributed's `Client.submit(...) -> Future` (a plain def) was typed as the listed Future's twin,
    # `SyncFuture[_T]`, but the twin awaits what a plain def returns and gives the value: mypy accepted
    # `assert_type(fut, SyncFuture[int])` for an int.
    output, text = _generate(
        tmp_path, monkeypatch, "gen_unannotated_await", _UNANNOTATED_AWAIT, "AsyncClient", "Future"
    )
    assert "def submit(self, value: T) -> _typing.Any:" in text
    output.write_text(text)
    usage = "from gen_unannotated_await.sync import Client\n\nassert Client().submit(42) == 42\n"
    check_and_run_usage(tmp_path, "gen_unannotated_await", usage)
