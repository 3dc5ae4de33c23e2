"""Run-time fixes of stop 27 (review 15d leftovers).

A class with no ``aclose``, ``close`` or ``__aexit__`` but a method that ends it (python-socketio's
``AsyncClient`` ends with ``disconnect()``): before stop 27, ``with Client() as c`` closed only the twin at the
block's end, so the socket stayed connected and a later ``c.disconnect()`` was refused as a call on a closed
twin. Now the block's end leaves such a twin open, and a ``TwinClosedError`` after a ``close()`` that ran
nothing says what to call.

Descriptors over an ``async def`` that are neither properties nor methods (review 15c): asyncstdlib's
``cached_property`` gave its unawaited ``_FutureCachedPropertyValue``; a class-based method decorator with no
``__call__`` that binds in ``__get__`` was read as a property and gave a coroutine never awaited. Attributes a
decorator puts on a method (``cache_info()``, tenacity's ``statistics``) were an AttributeError through a twin.
"""

from __future__ import annotations

import asyncio
import collections.abc
import functools
import gc
import threading
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterator
from pathlib import Path
from typing import Any

import asyncstdlib
import databases
import pytest

import dualio
import dualio.twin
from dualio.twin import TwinClosedError, sync_class, unwrap


class AsyncLineClient:
    """A TCP line client with ``connect()`` and ``disconnect()`` and nothing else to end it."""

    def __init__(self) -> None:
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None

    async def connect(self, port: int) -> None:
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", port)

    async def echo(self, line: str) -> str:
        assert self._writer is not None
        assert self._reader is not None
        self._writer.write(line.encode() + b"\n")
        return (await self._reader.readline()).decode().rstrip("\n")

    async def disconnect(self) -> None:
        assert self._writer is not None
        self._writer.close()
        await self._writer.wait_closed()
        self._writer = None

    @property
    def connected(self) -> bool:
        return self._writer is not None


class AsyncValue:
    """Nothing to end: a plain value class."""

    async def double(self, x: int) -> int:
        return 2 * x


LineClient = sync_class(AsyncLineClient)
Value = sync_class(AsyncValue)


async def _start_echo_server() -> asyncio.Server:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line)
        writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0)


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = dualio.run(_start_echo_server())
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        dualio.run(_stop(server))


async def _stop(server: asyncio.Server) -> None:
    server.close()  # on the loop: the server is not thread-safe
    await server.wait_closed()


def test_a_with_block_leaves_a_twin_it_cannot_close_open(echo_port: int) -> None:
    client = LineClient()
    with client:
        client.connect(echo_port)
        assert client.echo("inside") == "inside"
    # The block's end could not end the connection (nothing closes an AsyncLineClient but disconnect()), so it
    # leaves the twin open: the connection still works, and ends the way the class ends it.
    assert not dualio.twin.is_closed(client)
    assert client.echo("still here") == "still here"
    client.disconnect()
    assert client.connected is False
    with LineClient() as careful:  # the careful form: the ending method called in the block itself
        careful.connect(echo_port)
        careful.disconnect()
    assert careful.connected is False


def test_close_refuses_a_twin_it_cannot_end_and_names_what_ends_it(echo_port: int) -> None:
    # Since stop 29 (review 20b, aiocoap's Context): before, close() marked the twin closed and ran nothing, so
    # the connection stayed open without a word, and the disconnect() that would end it was then refused.
    client = LineClient()
    client.connect(echo_port)
    with pytest.raises(TypeError) as caught:
        client.close()
    assert str(caught.value) == (
        "LineClient.close() cannot end the AsyncLineClient: it has no aclose(), close() or __aexit__; call "
        "disconnect() on the twin to end it (the twin is left open, as a with block's end leaves it)"
    )
    assert not dualio.twin.is_closed(client)
    assert client.echo("still open") == "still open"
    client.disconnect()
    assert client.connected is False


def test_a_class_with_nothing_to_end_is_still_entered_and_closed_by_with() -> None:
    with Value() as value:
        assert value.double(21) == 42
    with pytest.raises(TwinClosedError) as caught:
        value.double(1)
    assert not getattr(caught.value, "__notes__", [])


# Review 15c: descriptors over an ``async def`` that are neither properties nor methods.


class AsyncStats:
    """An ``asyncstdlib.cached_property`` (its read gives an awaitable object, then the cached value) and a
    class-based method decorator that binds in ``__get__`` and has no ``__call__``."""

    def __init__(self) -> None:
        self.fetches = 0
        self.loop_threads: list[str] = []

    @asyncstdlib.cached_property
    async def summary(self) -> dict[str, int]:
        self.fetches += 1
        self.loop_threads.append(threading.current_thread().name)
        await asyncio.sleep(0)
        return {"fetches": self.fetches}


class Counted:
    """Binds the decorated coroutine function to the instance in ``__get__``; not callable itself."""

    def __init__(self, function: Callable[..., Awaitable[str]]) -> None:
        self.__wrapped__ = function  # as functools.update_wrapper sets it: how dualio sees the async def
        self.function = function
        self.reads = 0

    def __get__(self, instance: object, owner: type | None = None) -> Callable[..., Awaitable[str]]:
        if instance is None:
            return self.function
        self.reads += 1
        return functools.partial(self.function, instance)


class AsyncGreeter:
    @Counted
    async def greet(self, name: str, *, punctuation: str = "!") -> str:
        await asyncio.sleep(0)
        return f"hello {name}{punctuation} from {threading.current_thread().name}"


Stats = sync_class(AsyncStats)
Greeter = sync_class(AsyncGreeter)


def test_an_asyncstdlib_cached_property_gives_its_value_computed_once_on_the_loop() -> None:
    stats = Stats()
    assert stats.summary == {"fetches": 1}  # before: an unawaited _FutureCachedPropertyValue
    assert stats.summary == {"fetches": 1}  # cached: the getter ran once
    assert stats.fetches == 1
    assert stats.loop_threads == [dualio.twin.portal_of(stats).name]


def test_a_method_decorator_that_binds_in_get_runs_on_the_loop() -> None:
    greeter = Greeter()
    greeting = greeter.greet("ada", punctuation="?")  # before: a coroutine, never awaited
    assert greeting == f"hello ada? from {dualio.twin.portal_of(greeter).name}"
    method = greeter.greet
    assert method.__qualname__ == "AsyncGreeter.greet"
    assert method("bob").startswith("hello bob!")
    with pytest.raises(TypeError, match="unexpected keyword argument 'loud'"):
        greeter.greet("eve", loud=True)


# Review 15c: attributes a decorator puts on a method (`client.cached.cache_info()`).


def counted_calls(function: Callable[..., Awaitable[int]]) -> Callable[..., Awaitable[int]]:
    """Sets attributes on the wrapper function, as tenacity's ``@retry`` does (``statistics``)."""

    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> int:
        wrapper.statistics["calls"] += 1  # type: ignore[attr-defined]
        return await function(*args, **kwargs)

    wrapper.statistics = {"calls": 0}  # type: ignore[attr-defined]
    wrapper.reset = lambda: wrapper.statistics.update(calls=0)  # type: ignore[attr-defined]
    return wrapper


class AsyncLookup:
    def __init__(self) -> None:
        self.misses: list[str] = []

    @asyncstdlib.lru_cache(maxsize=8)
    async def cached(self, key: str) -> str:
        self.misses.append(key)
        await asyncio.sleep(0)
        return key.upper()

    @counted_calls
    async def counted(self, x: int) -> int:
        return x + 1

    async def plain(self) -> int:
        return 1


Lookup = sync_class(AsyncLookup)


def test_attributes_a_decorator_puts_on_a_method_are_reached_through_the_twin() -> None:
    lookup = Lookup()
    assert [lookup.cached("a"), lookup.cached("a"), lookup.cached("b")] == ["A", "A", "B"]
    info = lookup.cached.cache_info()  # asyncstdlib's, run on the loop
    assert (info.hits, info.misses) == (1, 2)
    assert lookup.cached.cache_clear() is None
    assert lookup.cached("a") == "A"
    assert lookup.misses == ["a", "b", "a"]
    assert lookup.counted(1) == 2
    assert lookup.counted.statistics == {"calls": 1}  # a function attribute, read as it is
    lookup.counted.reset()
    assert lookup.counted.statistics == {"calls": 0}
    with pytest.raises(AttributeError, match="cache_info"):
        lookup.counted.cache_info  # noqa: B018 - the attribute read is what is tested
    assert not hasattr(lookup.plain, "statistics")  # a method with no attributes of its own is a plain method
    assert lookup.cached.__name__ == "cached"
    assert Lookup.cached.__name__ == "cached"  # read from the class: the twin's function itself


class AsyncApiClient:
    """slack_sdk's ``AsyncWebClient`` shape: API methods that contain ending words but are calls, not ends."""

    async def admin_conversations_disconnectShared(self, channel_id: str) -> dict[str, bool]:
        return {"ok": True}

    async def team_externalTeams_disconnect(self, *, target_team: str) -> dict[str, bool]:
        return {"ok": True}

    async def chat_stopStream(self, channel: str) -> dict[str, bool]:
        return {"ok": True}

    async def auth_test(self) -> dict[str, bool]:
        return {"ok": True}


def test_api_methods_named_with_ending_words_are_not_taken_for_an_end() -> None:
    with sync_class(AsyncApiClient)() as client:  # a class with nothing to end: entered and closed as before
        assert client.auth_test() == {"ok": True}
    with pytest.raises(TwinClosedError) as caught:
        client.auth_test()
    assert not getattr(caught.value, "__notes__", [])


class AcquireContext(collections.abc.Coroutine[Any, Any, str]):
    """aiomysql's ``_PoolAcquireContextManager``: a ``Coroutine`` subclass wrapping the coroutine that acquires."""

    def __init__(self, coro: Coroutine[Any, Any, str]) -> None:
        self._coro = coro

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, str]:
        return self._coro.__await__()


class AsyncPool:
    async def _acquire(self) -> str:
        await asyncio.sleep(0)
        return "connection"

    def acquire(self) -> AcquireContext:
        return AcquireContext(self._acquire())

    async def size(self) -> int:
        return 1


def test_a_closed_twin_refuses_a_wrapped_coroutine_and_closes_it() -> None:
    pool = sync_class(AsyncPool)()
    assert pool.acquire() == "connection"
    pool.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TwinClosedError, match=r"acquire\(\) was called on a closed twin"):
            pool.acquire()
        gc.collect()
    assert [str(w.message) for w in caught] == []  # before: "coroutine 'AsyncPool._acquire' was never awaited"


# Review 16a: an async function a call returns (databases' `@db.transaction()` wrapper) is a blocking function.


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


def test_a_databases_transaction_decorator_runs_the_function_in_a_transaction(tmp_path: Path) -> None:
    database_class = sync_class(databases.Database)
    with database_class(f"sqlite+aiosqlite:///{tmp_path / 'decorated.db'}") as db:
        db.execute("CREATE TABLE notes (title TEXT)")
        raw = unwrap(db)

        @db.transaction()  # type: ignore[untyped-decorator]  # a run-time twin is Any to mypy
        async def add(title: str, fail: bool) -> None:
            await raw.execute("INSERT INTO notes (title) VALUES (:title)", {"title": title})
            if fail:
                raise LookupError("rolled back")

        add("kept", fail=False)
        with pytest.raises(LookupError):
            add("lost", fail=True)
        assert [row[0] for row in db.fetch_all("SELECT title FROM notes")] == ["kept"]

        @db.transaction()  # type: ignore[untyped-decorator]  # a run-time twin is Any to mypy
        def add_sync() -> None:  # a sync def under the async decorator: a loud error, no silent no-op
            pass

        with pytest.raises(TypeError, match="can't be used in 'await' expression"):
            add_sync()


class Wrapping:
    """Awaitable and a decorator, as databases' ``Transaction``: awaiting it "starts" it (recorded)."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __await__(self) -> Generator[Any, None, Wrapping]:
        self.log.append("awaited")
        yield from asyncio.sleep(0).__await__()
        return self

    def __call__(self, function: Callable[..., Awaitable[str]]) -> Callable[..., Awaitable[str]]:
        async def wrapper(*args: Any) -> str:
            self.log.append("wrapped call")
            return await function(*args)

        return wrapper


class AsyncMaker:
    def __init__(self) -> None:
        self.log: list[str] = []

    def wrapping(self) -> Wrapping:
        return Wrapping(self.log)

    async def noop(self) -> None:
        pass


Maker = sync_class(AsyncMaker)


def test_an_awaitable_decorator_applied_at_once_is_not_awaited() -> None:
    maker = Maker()
    z = "closure"

    @maker.wrapping()  # type: ignore[untyped-decorator]  # a run-time twin is Any to mypy
    async def plain(x: str = "default", *, y: int = 2) -> str:
        return f"{x}-{z}-{y}"

    assert maker.log == []  # before: ["awaited"] (databases: a transaction started and never ended)
    assert plain("a") == "a-closure-2"
    assert maker.log == ["wrapped call"]
    maker.log.clear()
    maker.wrapping()  # a call on its own line is awaited, as before (`await db.transaction()` starts one)
    assert maker.log == ["awaited"]
    maker.log.clear()

    def take(first: object, second: object) -> object:
        return first

    take(maker.wrapping(), lambda: 1)  # a function built after it, but not decorated by it: awaited
    assert maker.log == ["awaited"]


def test_a_databases_transaction_decorator_leaves_no_transaction_open(tmp_path: Path) -> None:
    database_class = sync_class(databases.Database)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with database_class(f"sqlite+aiosqlite:///{tmp_path / 'decorated.db'}") as db:
            db.execute("CREATE TABLE notes (title TEXT)")

            @db.transaction()  # type: ignore[untyped-decorator]  # a run-time twin is Any to mypy
            async def add(title: str) -> None:
                await unwrap(db).execute("INSERT INTO notes (title) VALUES (:title)", {"title": title})

            add("kept")
            assert [row[0] for row in db.fetch_all("SELECT title FROM notes")] == ["kept"]
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


# Review 17a: a twin made from a twin of another portal was made on the default portal (a cross-loop object).


class AsyncEngine:
    async def loop_id(self) -> int:
        return id(asyncio.get_running_loop())


class AsyncSessionOf:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.loop = asyncio.get_running_loop()

    async def same_loop(self) -> bool:
        return asyncio.get_running_loop() is self.loop and id(self.loop) == await self.engine.loop_id()


def test_a_twin_made_from_another_portal_s_twin_lives_on_that_portal() -> None:
    engine_class, session_class = sync_class(AsyncEngine), sync_class(AsyncSessionOf)
    with dualio.Portal("engine-portal") as portal, dualio.Portal("other-portal") as other:
        with dualio.twin.use_portal(portal):
            engine = engine_class()
        session = session_class(engine)  # no use_portal here (another thread, say): the engine's portal
        assert dualio.twin.portal_of(session) is portal
        assert session.same_loop() is True
        with dualio.twin.use_portal(other):
            elsewhere = engine_class()
        with pytest.raises(ValueError, match=r"given twins pinned to different portals \('engine-portal', 'other"):
            sync_class(AsyncPair)(engine, elsewhere)


class AsyncPair:
    def __init__(self, first: AsyncEngine, second: AsyncEngine) -> None:
        self.first, self.second = first, second

    async def get(self) -> int:
        return 2
