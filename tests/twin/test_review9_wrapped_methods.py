"""A ``def`` that ``functools.wraps`` an ``async def`` counts as an async member (review 9, r02).

asyncpg's ``PoolConnectionProxy`` forwards every ``Connection`` method through such a wrapper, marked with
``inspect.markcoroutinefunction`` only from Python 3.12 on; on 3.11 it looked like a sync class, so a twinned
pool's ``acquire()`` handed sync code the raw proxy, whose methods return coroutines.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import asyncpg.pool  # type: ignore[import-untyped]
import pytest

import dualio
from dualio.twin import Twin, _registry, awaited, sync_class, unwrap, use_portal


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
