"""Wrapped and decorated methods through run-time twins.

A ``def`` that ``functools.wraps`` an ``async def`` counts as an async member: asyncpg's ``PoolConnectionProxy``
forwards every ``Connection`` method through such a wrapper, marked with ``inspect.markcoroutinefunction`` only
from Python 3.12 on. Also: async functions an instance holds in its attributes (openai's
``with_raw_response.create``), descriptors over an ``async def`` that are neither properties nor methods
(asyncstdlib's ``cached_property``, a decorator binding in ``__get__``), attributes a decorator puts on a method
(``cache_info()``, tenacity's ``statistics``, aiocache's ``f.cache``), and databases' transaction decorator.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import sys
import threading
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Generator
from pathlib import Path
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]
import asyncpg.pool  # type: ignore[import-untyped]
import asyncstdlib
import databases
import pytest

import dualio
import dualio.twin
from dualio.twin import (
    Twin,
    _registry,
    awaited,
    sync_class,
    unwrap,
    use_portal,
)


class AsyncEngine:
    async def query(self, sql: str) -> str:
        return f"ran {sql}"

    def name(self) -> str:
        return "engine"


def _forward(name: str) -> Callable[..., Any]:
    """A wrapper as asyncpg's proxy makes: a plain def returning the engine method's coroutine."""
    method = getattr(AsyncEngine, name)

    def forward(self: EngineProxy, *args: Any, **kwargs: Any) -> Any:
        return method(self.engine, *args, **kwargs)

    return functools.update_wrapper(forward, method)


class EngineProxy:
    """No ``async def`` of its own: its ``query`` is a ``functools.wraps`` wrapper of ``AsyncEngine.query``."""

    query = _forward("query")
    name = _forward("name")

    def __init__(self) -> None:
        self.engine = AsyncEngine()


class SyncWrappers:
    """Wrappers of sync functions only: still a sync class."""

    name = _forward("name")


def _deeply(function: Callable[..., Coroutine[Any, Any, str]]) -> Callable[..., Any]:
    @functools.wraps(function)
    def outer(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return outer


class DeepProxy:
    query = _deeply(_forward("query"))  # wrapped twice: __wrapped__ is followed to the end

    def __init__(self) -> None:
        self.engine = AsyncEngine()


def test_a_wrapper_of_an_async_def_is_an_async_member() -> None:
    assert _registry.has_async_members(EngineProxy)
    assert _registry.has_async_members(DeepProxy)
    assert not _registry.has_async_members(SyncWrappers)


def test_its_twin_awaits_what_the_wrapper_returns_on_the_loop(portal: dualio.Portal) -> None:
    Proxy = sync_class(EngineProxy)
    with use_portal(portal):
        proxy = Proxy()
    assert proxy.query("select 1") == "ran select 1"
    assert proxy.name() == "engine"
    assert isinstance(proxy, Twin)


def test_sync_class_still_refuses_a_class_of_sync_wrappers_and_says_what_to_do() -> None:
    with pytest.raises(TypeError, match=r"nor a def that functools\.wraps an async def") as caught:
        sync_class(SyncWrappers)
    assert "if its plain methods return coroutines" in str(caught.value)


def test_asyncpg_pool_acquire_gives_a_usable_connection(dualio_postgres_url: str, portal: dualio.Portal) -> None:
    url = dualio_postgres_url.replace("postgresql+psycopg://", "postgresql://")
    Pool = sync_class(asyncpg.pool.Pool)
    options: dict[str, Any] = {
        "min_size": 1,
        "max_size": 1,
        "max_queries": 50000,
        "max_inactive_connection_lifetime": 300.0,
        "loop": None,
        "connection_class": asyncpg.Connection,
        "record_class": asyncpg.Record,
    }
    with use_portal(portal):
        pool = Pool(url, **options)
    assert awaited(pool) is pool  # asyncpg's `await Pool(...)`: the constructor never awaits it
    try:
        with pool.acquire() as con:
            assert type(unwrap(con)) is asyncpg.pool.PoolConnectionProxy
            assert con.fetchval("select 1") == 1
            with con.transaction():
                assert [r[0] for r in con.cursor("select generate_series(1, 2)")] == [1, 2]
        con = pool.acquire()  # not in a with: awaited, as `con = await pool.acquire()`
        try:
            assert con.fetchval("select 2") == 2
        finally:
            pool.release(con)
    finally:
        pool.close()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="inspect.markcoroutinefunction exists from 3.12 on")
def test_a_marked_coroutine_function_is_an_async_member_as_before() -> None:
    def marked(self: object) -> Any:
        return AsyncEngine().query("x")

    if sys.version_info >= (3, 12):
        assert _registry.has_async_members(type("Marked", (), {"marked": inspect.markcoroutinefunction(marked)}))


def _raw_response_wrapper(create: Callable[..., Awaitable[str]]) -> Callable[..., Awaitable[dict[str, str]]]:
    @functools.wraps(create)
    async def wrapped(*args: object, **kwargs: object) -> dict[str, str]:
        return {"headers": "x-request-id: 1", "body": await create(*args, **kwargs)}

    return wrapped


class AsyncCompletionsWithRawResponse:
    """As openai's (stainless-made SDKs'): no async member of its own, async functions stored by __init__."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = _raw_response_wrapper(completions.create)
        self.label = "raw"


class AsyncCompletions:
    async def create(self, model: str) -> str:
        return f"completion by {model}"

    @functools.cached_property
    def with_raw_response(self) -> AsyncCompletionsWithRawResponse:
        return AsyncCompletionsWithRawResponse(self)


def test_async_functions_an_instance_holds_are_methods_of_its_twin(portal: dualio.Portal) -> None:
    # Before: client.chat.completions.with_raw_response.create(...) returned a coroutine never awaited.
    with use_portal(portal):
        completions = sync_class(AsyncCompletions)()
    raw = completions.with_raw_response
    assert type(raw).__name__ == "CompletionsWithRawResponse"
    assert raw.create("m") == {"headers": "x-request-id: 1", "body": "completion by m"}
    assert raw.create(model="n")["body"] == "completion by n"
    assert raw.label == "raw"  # other attributes pass through
    assert completions.with_raw_response is raw  # the same async object, the same twin
    assert type(sync_class(AsyncCompletions)().with_raw_response) is type(raw)  # the class is learnt once


# Descriptors over an ``async def`` that are neither properties nor methods.


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


# Attributes a decorator puts on a method (`client.cached.cache_info()`).


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


class AsyncMemo:
    """The cache object aiocache's ``@cached`` puts on the function it decorates (``f.cache``)."""

    def __init__(self) -> None:
        self.entries: dict[str, int] = {}

    async def clear(self) -> int:
        cleared = len(self.entries)
        self.entries.clear()
        return cleared


def memoized(fn: Any) -> Any:
    memo = AsyncMemo()

    @functools.wraps(fn)
    async def wrapper(self: Any, key: str) -> int:
        if key not in memo.entries:
            memo.entries[key] = await fn(self, key)
        return memo.entries[key]

    wrapper.cache = memo  # type: ignore[attr-defined]
    return wrapper


class AsyncPricing:
    @memoized
    async def price(self, key: str) -> int:
        return len(key)


def test_an_async_object_a_decorator_puts_on_a_method_comes_back_as_its_twin(portal: dualio.Portal) -> None:
    # Before, `p.price.cache` (aiocache's @cached) came back as the raw cache, so `p.price.cache.clear()`
    # made a coroutine that never ran and cleared nothing.
    with use_portal(portal):
        pricing = sync_class(AsyncPricing)()
    assert pricing.price("abc") == 3
    cache = pricing.price.cache
    assert isinstance(cache, dualio.twin.Twin)
    assert cast(Any, cache).clear() == 1
    assert dualio.twin.unwrap(pricing).price.cache.entries == {}
