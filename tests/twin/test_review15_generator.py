"""Generator fixes from stop 26, each generated, checked with ``mypy --strict`` against a usage script, and run:

- a method under an untyped decorator (aiocache's ``@cached(ttl=...)``, a class whose ``__call__`` has no
  annotations; or a decorator factory with none) is typed as mypy types the async method: ``(*args: Any,
  **kwargs: Any) -> Any``, so the keywords the wrapper adds (``cache_read=``) get through (before: the written
  signature, which refused them); an annotated decorator keeps the written signature;
- a class of the package's own named like a standard type the twin rewrites (``AsyncContextManager``,
  ``AsyncIterator``) is read as that class, its twin with its methods (review 14a r13; before, it was read as
  ``typing.AsyncContextManager``: ``AbstractContextManager[int]``, with no ``peek()``);
- ``dualio.twin.defer(pipe.incr, "k")`` on a generated twin is typed ``Deferred[int]``, its ``result()`` ``int``
  (the awaited type of the request a pipeline command returns), and wrong arguments fail ``mypy --strict``;
- a class whose only "async" members are plain defs annotated to return awaitables (zmq.asyncio's ``def
  recv(...) -> Awaitable[bytes]``) is twinned, each typed as what awaiting gives (review 14b r08; before, a
  GenerateError "has no async members");
- a class that gets ``__aiter__``/``__anext__`` from another package's base (which the generator does not read)
  is iterable through its generated twin: the twin gets ``__iter__``/``__next__`` when its module registers it
  (before: ``TypeError: 'Feed' object is not iterable``); the public members such a base gives are mapped then
  too, and typed ``Any`` through ``__getattr__`` (review 15b: importing the generated twin of aiobotocore's
  ``AioSession`` replaced the run-time class in the registry, and botocore's ``get_available_services`` was gone);
- a decorator annotated to supply leading parameters (aiomcache's ``acquire``: ``Callable[Concatenate[C,
  Connection, P], Awaitable[T]] -> Callable[Concatenate[C, P], Awaitable[T]]``) takes them out of the twin's
  signature, overloads included, as mypy does (review 15b; before, every method kept ``conn`` and
  ``mc.set(b"k", b"v")`` failed);
- a call returning a class of the package that is only a sync context manager (aiopg's ``pool.cursor()``) is
  typed ``AbstractContextManager[what __enter__ gives, mapped]``, as the twin enters it on the loop;
- a method under a decorator whose object binds itself in ``__get__`` (async_lru's ``alru_cache`` binds to None when
  read from the class) is called through the instance (review 15c; before, ``AsyncClient.cached(obj, key)``
  passed the object as the key: "takes 2 positional arguments but 3 were given");
- a class with a ``__getattr__`` of its own (anyio's ``AsyncFile`` forwards ``name`` to the wrapped file) has its
  other attributes forwarded by the generated twin, typed Any (review 15d; before, ``f.name`` was an
  AttributeError once the generated module was imported, even for run-time twins).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_generated_spellings import generate_and_use
from .test_generator import assert_mypy_strict

DECORATORS = """
import functools


class cached:
    def __init__(self, ttl=None):
        self.ttl = ttl
        self.store = {}

    def __call__(self, f):
        @functools.wraps(f)
        async def decorator(*args, cache_read=True, **kwargs):
            key = (args[1:], tuple(sorted(kwargs.items())))
            if cache_read and key in self.store:
                return self.store[key]
            value = await f(*args, **kwargs)
            self.store[key] = value
            return value

        return decorator


def retried(times):
    def wrap(f):
        @functools.wraps(f)
        async def inner(*args, attempts=times, **kwargs):
            return (await f(*args, **kwargs), attempts)

        return inner

    return wrap


class Logged:
    def __call__(self, f: "F") -> "F":
        return f


from typing import TypeVar, Any
from collections.abc import Callable

F = TypeVar("F", bound=Callable[..., Any])
"""

SOURCE = """
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from . import _decorators
from ._decorators import Logged, cached

P = ParamSpec("P")
R = TypeVar("R")


def typed(f: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    return f


class AsyncStore:
    calls = 0

    @cached(ttl=10)
    async def get(self, key: str) -> str:
        AsyncStore.calls += 1
        await asyncio.sleep(0)
        return key.upper()

    @_decorators.retried(3)
    async def put(self, key: str) -> bool:
        return bool(key)

    @typed
    async def count(self) -> int:
        return AsyncStore.calls

    @Logged()
    async def name(self, upper: bool = False) -> str:
        return "STORE" if upper else "store"
"""

USAGE = """
from typing import Any, assert_type

from gen_decorated.sync import Store

store = Store()
assert_type(store.get("a"), Any)
assert store.get("a") == "A"
assert store.get("a") == "A"
assert store.count() == 1
assert store.get("a", cache_read=False) == "A"
assert_type(store.count(), int)
assert store.count() == 2
assert store.put("k", attempts=5) == (True, 5)
assert_type(store.name(upper=True), str)
assert store.name(upper=True) == "STORE"
"""


def test_an_untyped_decorator_makes_the_method_take_and_return_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The decorators are untyped as aiocache's are: the package's own modules fail `mypy --strict` for that (a
    # third-party package's would be read as they are), which is not what this checks.
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\n\n[mypy-gen_decorated._decorators]\nignore_errors = True\n\n"
        "[mypy-gen_decorated.aio]\nignore_errors = True\n"
    )
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_decorated", SOURCE, "AsyncStore", USAGE, modules={"_decorators": DECORATORS}
    )
    assert "def get(self, *args: _typing.Any, **kwargs: _typing.Any) -> _typing.Any:" in text
    assert "def put(self, *args: _typing.Any, **kwargs: _typing.Any) -> _typing.Any:" in text
    assert "def count(self) -> int:" in text
    assert "def name(self, upper: bool = False) -> str:" in text


OWN_NAMES_SOURCE = """
from __future__ import annotations

import typing
from typing import Generic, TypeVar

T = TypeVar("T")


class AsyncContextManager(Generic[T]):
    def __init__(self, value: T) -> None:
        self.value = value

    async def __aenter__(self) -> T:
        return self.value

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def peek(self) -> T:
        return self.value


class AsyncIterator:
    def __init__(self) -> None:
        self.left = 2

    def __aiter__(self) -> AsyncIterator:
        return self

    async def __anext__(self) -> int:
        if not self.left:
            raise StopAsyncIteration
        self.left -= 1
        return self.left

    async def remaining(self) -> int:
        return self.left


class AsyncClient:
    def session(self) -> AsyncContextManager[int]:
        return AsyncContextManager(1)

    async def opened(self) -> AsyncContextManager[str]:
        return AsyncContextManager("s")

    async def counter(self) -> AsyncIterator:
        return AsyncIterator()

    def standard(self) -> typing.AsyncContextManager[int]:
        return AsyncContextManager(2)

    async def items(self) -> typing.AsyncIterator[int]:
        return AsyncIterator()
"""

OWN_NAMES_USAGE = """
from typing import assert_type

from gen_own_names.sync import Client, ContextManager, Iterator

client = Client()
session = client.session()
assert_type(session, ContextManager[int])
assert session.peek() == 1
with session as value:
    assert_type(value, int)
    assert value == 1
assert_type(client.opened(), ContextManager[str])
counter = client.counter()
assert_type(counter, Iterator)
assert counter.remaining() == 2
assert list(counter) == [1, 0]
with client.standard() as plain:
    assert_type(plain, int)
    assert plain == 2
assert list(client.items()) == [1, 0]
"""


def test_own_classes_named_like_standard_types_are_read_as_themselves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(
        tmp_path,
        monkeypatch,
        "gen_own_names",
        OWN_NAMES_SOURCE,
        "AsyncClient",
        OWN_NAMES_USAGE,
        "AsyncContextManager",
        "AsyncIterator",
    )
    assert "def session(self) -> ContextManager[int]:" in text
    assert "def counter(self) -> Iterator:" in text
    assert "def standard(self) -> _contextlib.AbstractContextManager[int]:" in text
    assert "def items(self) -> _abc.Iterator[int]:" in text


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


FOREIGN_BASE = """
from __future__ import annotations


class Countdown:
    def __init__(self, start: int) -> None:
        self.left = start

    def __aiter__(self) -> Countdown:
        return self

    async def __anext__(self) -> int:
        if self.left == 0:
            raise StopAsyncIteration
        self.left -= 1
        return self.left

    async def peek(self) -> int:
        return self.left

    def reset(self, start: int) -> None:
        self.left = start
"""

FOREIGN_SOURCE = """
from __future__ import annotations

import asyncio

from foreign_countdown import Countdown


class AsyncFeed(Countdown):
    async def name(self) -> str:
        return "feed"


class AsyncLines(asyncio.StreamReader):
    async def name(self) -> str:
        return "lines"
"""

FOREIGN_USAGE = """
from typing import Any, assert_type, cast

from dualio.twin import portal_of, sync_class, unwrap
from gen_foreign.aio import AsyncFeed, AsyncLines
from gen_foreign.sync import Feed, Lines

feed = Feed(3)
assert feed.name() == "feed"
items = [item for item in feed]
assert_type(items, list[Any])
assert items == [2, 1, 0]
assert next(Feed(2)) == 1
feed.reset(2)  # a member of the other package's base: Any to mypy, mapped when the module registered Feed
assert feed.peek() == 2
assert list(feed) == [1, 0]
assert_type(feed.peek(), Any)
assert sync_class(AsyncFeed) is Feed  # the generated class, which has the base's members too



async def fill(reader: AsyncLines) -> None:
    reader.feed_data(b"a\\nb\\n")
    reader.feed_eof()


lines = Lines()  # asyncio.StreamReader's __aiter__: the standard library is not read; given at run time
portal_of(lines).run(fill(unwrap(lines)))
assert list(cast(Any, lines)) == [b"a\\n", b"b\\n"]
"""


def test_iteration_from_a_base_of_another_package_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "foreign_countdown").mkdir()
    (tmp_path / "foreign_countdown" / "__init__.py").write_text(FOREIGN_BASE)
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_foreign", FOREIGN_SOURCE, "AsyncFeed", FOREIGN_USAGE, "AsyncLines"
    )
    feed = text[text.index("class Feed") : text.index("class Lines")]
    assert "def __iter__(self) -> _abc.Iterator[_typing.Any]:" in feed
    assert "def __next__(self) -> _typing.Any:" in feed
    assert "__iter__" not in text[text.index("class Lines") :]
    assert "# Members from Countdown (another package) are not read: typed Any here, and mapped" in feed
    assert "def __getattr__(self, name: str) -> _typing.Any: ..." in feed


SUPPLIED_SOURCE = """
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar, overload

P = ParamSpec("P")
T = TypeVar("T")
C = TypeVar("C", bound="AsyncCache")
U = TypeVar("U")


class Connection:
    def __init__(self, cache: AsyncCache) -> None:
        self.data = cache.data


def acquire(func: Callable[Concatenate[C, Connection, P], Awaitable[T]]) -> Callable[Concatenate[C, P], Awaitable[T]]:
    @functools.wraps(func)
    async def wrapper(self: C, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await func(self, Connection(self), *args, **kwargs)

    return wrapper


class AsyncCache:
    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}

    @acquire
    async def set(self, conn: Connection, key: bytes, value: bytes, exptime: int = 0) -> bool:
        conn.data[key] = value
        return True

    @acquire
    @overload
    async def get(self, conn: Connection, /, key: bytes, default: None = ...) -> bytes | None: ...

    @acquire
    @overload
    async def get(self, conn: Connection, /, key: bytes, default: U) -> bytes | U: ...

    @acquire
    async def get(self, conn: Connection, /, key: bytes, default: U | None = None) -> bytes | U | None:
        return conn.data.get(key, default)
"""

SUPPLIED_USAGE = """
from typing import assert_type

from gen_supplied.sync import Cache

cache = Cache()
assert cache.set(b"k", b"v") is True
assert cache.set(b"k2", b"w", exptime=5)
value = cache.get(b"k")
assert_type(value, bytes | None)
assert value == b"v"
fallback = cache.get(b"missing", 7)
assert_type(fallback, bytes | int)
assert fallback == 7
"""


def test_parameters_a_decorator_supplies_are_not_the_callers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_supplied", SUPPLIED_SOURCE, "AsyncCache", SUPPLIED_USAGE)
    assert "def set(self, key: bytes, value: bytes, exptime: int = 0) -> bool:" in text
    assert "conn" not in text


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


BINDING_SOURCE = """
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


class _Bound:
    def __init__(self, wrapper: cache_method, instance: Any) -> None:
        self._wrapper = wrapper
        self._instance = instance

    async def __call__(self, *args: Any) -> Any:
        cache = self._wrapper.cache
        if args not in cache:
            cache[args] = await self._wrapper.fn(self._instance, *args)
        return cache[args]


class cache_method:
    \"\"\"As async_lru's alru_cache: read from the class, it binds to None.\"\"\"

    def __init__(self, fn: Callable[..., Awaitable[Any]]) -> None:
        self.fn = fn
        self.cache: dict[tuple[Any, ...], Any] = {}

    def __get__(self, instance: Any, owner: type | None = None) -> _Bound:
        return _Bound(self, instance)


class AsyncClient:
    def __init__(self) -> None:
        self.fetched = 0

    @cache_method
    async def fetch(self, key: str) -> str:
        self.fetched += 1
        return key.upper()
"""

BINDING_USAGE = """
from gen_binding.sync import Client
from dualio.twin import unwrap

client = Client()
assert client.fetch("a") == "A"
assert client.fetch("a") == "A"
assert unwrap(client).fetched == 1
"""


def test_a_decorator_that_binds_in_get_is_read_through_the_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_binding", BINDING_SOURCE, "AsyncClient", BINDING_USAGE)
    assert "_support.through_instance(AsyncClient, 'fetch')" in text


FORWARDING_SOURCE = """
from __future__ import annotations

from typing import Any


class Wrapped:
    name = "data.txt"
    closed = False


class AsyncFile:
    def __init__(self) -> None:
        self._fp = Wrapped()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fp, name)

    async def read(self) -> str:
        return "text"
"""

FORWARDING_USAGE = """
from typing import Any, assert_type

from dualio.twin import sync_class
from gen_forwarding.aio import AsyncFile
from gen_forwarding.sync import File

f = File()
assert f.read() == "text"
assert_type(f.name, Any)
assert f.name == "data.txt"
assert sync_class(AsyncFile)().closed is False
"""


def test_a_class_with_its_own_getattr_forwards_other_attributes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_forwarding", FORWARDING_SOURCE, "AsyncFile", FORWARDING_USAGE)
    assert "AsyncFile answers other attributes through its own __getattr__" in text
