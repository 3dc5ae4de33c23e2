"""A twin's constructor never awaits the object it creates; ``awaited`` and ``twin_of``.

``AsyncX(...)`` is the object, as in Python: an awaitable instance (``aiosqlite.Connection``, whose
``__aenter__`` is ``return await self``) is awaited only by ``with`` (through ``__aenter__``) or by
``dualio.twin.awaited``. ``twin_of`` gives the twin of an async object made elsewhere (``aiosqlite.connect()``),
and says what to do with what has no twin (a function, a sync object whose methods return awaitables).
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
from collections.abc import Generator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

import dualio
from dualio.twin import (
    TwinClosedError,
    awaited,
    is_closed,
    portal_of,
    set_timeout,
    sync_class,
    timeout,
    twin_of,
    unwrap,
    use_portal,
)
from dualio.twin.examples._async_store import AsyncStore
from dualio.twin.examples.store import Store

from ._helpers_runtime import AsyncStream


class AsyncHandle:
    """Awaitable to another object (an opened handle), like a class whose ``__await__`` connects."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop = asyncio.get_running_loop()
        self.awaits = 0

    async def _open(self) -> AsyncOpened:
        self.awaits += 1
        await asyncio.sleep(0)
        return AsyncOpened(self)

    def __await__(self) -> Generator[Any, None, AsyncOpened]:
        return self._open().__await__()

    async def ping(self) -> str:
        return f"{self.name}: handle"


class AsyncOpened:
    def __init__(self, handle: AsyncHandle) -> None:
        self.handle = handle

    async def ping(self) -> str:
        return f"{self.handle.name}: opened"


class AsyncReady:
    """Awaitable to itself, as ``aiosqlite.Connection`` is; counts how often it was awaited."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.awaits = 0

    async def _ready(self) -> AsyncReady:
        self.awaits += 1
        await asyncio.sleep(self.delay)
        return self

    def __await__(self) -> Generator[Any, None, AsyncReady]:
        return self._ready().__await__()

    async def value(self) -> int:
        return 42


class AsyncPlain:
    async def value(self) -> int:
        return 1


def test_the_constructor_creates_the_object_and_does_not_await_it(portal: dualio.Portal) -> None:
    Handle = sync_class(AsyncHandle)
    with use_portal(portal):
        handle = Handle("h")
    obj = unwrap(handle)
    assert type(obj) is AsyncHandle
    assert obj.awaits == 0
    assert handle.ping() == "h: handle"
    assert portal.run(_loop_of(obj)) is obj.loop  # created on the portal's loop all the same


async def _loop_of(obj: AsyncHandle) -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_awaited_awaits_the_object_on_its_loop_and_maps_the_result(portal: dualio.Portal) -> None:
    Handle = sync_class(AsyncHandle)
    with use_portal(portal):
        handle = Handle("h")
    opened = awaited(handle)
    assert opened.ping() == "h: opened"  # a twin of the AsyncOpened it awaited to
    assert type(unwrap(opened)) is AsyncOpened
    assert portal_of(opened) is portal
    assert unwrap(handle).awaits == 1


def test_an_object_that_awaits_to_itself_gives_the_same_twin(portal: dualio.Portal) -> None:
    Ready = sync_class(AsyncReady)
    with use_portal(portal):
        ready = Ready()
    assert awaited(ready) is ready
    assert unwrap(ready).awaits == 1
    assert ready.value() == 42


def test_awaited_respects_the_twin_timeout_and_a_scoped_one(portal: dualio.Portal) -> None:
    Ready = sync_class(AsyncReady)
    with use_portal(portal):
        ready = Ready(delay=30)
    set_timeout(ready, 0.05)
    with pytest.raises(TimeoutError, match=r"AsyncReady\.__await__ did not finish within 0\.05 s"):
        awaited(ready)
    set_timeout(ready, None)
    with timeout(0.05, ready), pytest.raises(TimeoutError, match=r"AsyncReady\.__await__"):
        awaited(ready)
    assert not is_closed(ready)  # a timeout never closes the twin


def test_awaited_refuses_a_closed_twin_a_non_awaitable_object_and_a_non_twin(portal: dualio.Portal) -> None:
    Plain = sync_class(AsyncPlain)
    Ready = sync_class(AsyncReady)
    with use_portal(portal):
        plain = Plain()
        ready = Ready()
    with pytest.raises(TypeError, match=r"awaited\(\) expects a twin whose async object is awaitable.*AsyncPlain"):
        awaited(plain)
    with pytest.raises(TypeError, match=r"awaited\(\) expects a sync twin"):
        awaited(unwrap(ready))
    ready.close()
    with pytest.raises(TwinClosedError, match=r"awaited\(\) was called on a closed Ready twin"):
        awaited(ready)
    assert unwrap(ready).awaits == 0


def test_awaited_inside_a_coroutine_on_its_loop_says_to_await(portal: dualio.Portal) -> None:
    Ready = sync_class(AsyncReady)
    with use_portal(portal):
        ready = Ready()

    async def inside() -> None:
        awaited(ready)

    with pytest.raises(dualio.DeadlockError, match=r"^dualio\.twin\.awaited\(\) was called on the event-loop thread"):
        portal.run(inside())
    assert unwrap(ready).awaits == 0


def test_an_aiosqlite_connection_twin_is_entered_once(tmp_path: Path, portal: dualio.Portal) -> None:
    """The documented ``with Twin(...) as x:`` for aiosqlite: ``__aenter__`` (``await self``) runs exactly once."""
    Connection = sync_class(aiosqlite.Connection)
    connector = functools.partial(sqlite3.connect, str(tmp_path / "a.db"))
    with use_portal(portal), Connection(connector, 64) as db:
        db.execute("create table t (x integer)")
        db.execute("insert into t values (1), (2)")
        db.commit()
        assert db.execute_fetchall("select x from t order by x") == [(1,), (2,)]


def test_twin_of_an_aiosqlite_connect(tmp_path: Path, portal: dualio.Portal) -> None:
    path = tmp_path / "b.db"
    with use_portal(portal):
        db = twin_of(aiosqlite.connect(path))
    assert portal_of(db) is portal
    assert type(db) is sync_class(aiosqlite.Connection)
    with db as entered:  # __aenter__: connects, and returns the connection itself
        assert entered is db
        entered.execute("create table t (x integer)")
        entered.commit()
    assert twin_of(aiosqlite.connect(path)) is not db
    again = twin_of(aiosqlite.connect(path))
    assert awaited(again) is again  # connect() by awaiting instead of with
    try:
        assert again.execute_fetchall("select count(*) from t") == [(0,)]
    finally:
        again.close()


def test_twin_of_an_object_that_has_a_twin_returns_that_twin(portal: dualio.Portal) -> None:
    Plain = sync_class(AsyncPlain)
    with use_portal(portal):
        plain = Plain()
    with dualio.Portal("elsewhere") as other, use_portal(other):
        assert twin_of(unwrap(plain)) is plain  # pinned to its own portal still
    assert portal_of(plain) is portal


def test_twin_of_uses_the_registered_generated_twin_class(portal: dualio.Portal) -> None:
    async def make() -> AsyncStore:
        return AsyncStore("made")

    with use_portal(portal):
        store = twin_of(portal.run(make()))
    assert type(store) is Store
    assert portal_of(store) is portal
    store.set("k", b"v")
    assert store.get("k") == b"v"
    store.close()


def test_twin_of_pins_to_the_default_portal_outside_use_portal() -> None:
    async def make() -> AsyncPlain:
        return AsyncPlain()

    plain = twin_of(dualio.run(make()))
    assert portal_of(plain) is dualio.default_portal()
    assert plain.value() == 1


async def _coroutine() -> None:
    return None


async def _agen() -> Any:
    yield 1


def test_twin_of_refuses_what_has_no_twin(portal: dualio.Portal) -> None:
    Plain = sync_class(AsyncPlain)
    with use_portal(portal):
        plain = Plain()
    with pytest.raises(TypeError, match="is a twin already"):
        twin_of(plain)
    with pytest.raises(TypeError, match=r"got the class .*AsyncPlain: sync_class\(\) gives"):
        twin_of(AsyncPlain)
    coro = _coroutine()
    with pytest.raises(TypeError, match=r"got the coroutine _coroutine: run it first"):
        twin_of(coro)
    coro.close()
    agen = _agen()
    with pytest.raises(TypeError, match="got the async generator _agen"):
        twin_of(agen)
    with pytest.raises(TypeError, match=r"builtins\.dict has no async def method.*use it as it is"):
        twin_of({})
    with pytest.raises(TypeError, match=r"AwaitableOnly has no async def method.*it is awaitable"):
        twin_of(AwaitableOnly())


class AwaitableOnly:
    """An awaitable with no async members (a plain ``__await__``, like a future)."""

    def __await__(self) -> Generator[Any, None, None]:
        yield from ()


async def connect(host: str) -> AsyncStream:
    return AsyncStream()


def test_twin_of_a_function_says_to_pass_what_it_returns() -> None:
    message = "twin_of() expects an async object, got the function connect: pass what it returns, twin_of(connect(...))"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}"):
        twin_of(connect)


class Paginator:
    """Only sync methods, one returning an async iterable, as botocore's paginator."""

    def paginate(self) -> object:
        return object()


def test_twin_of_a_sync_object_says_what_to_do_with_awaitables() -> None:
    with pytest.raises(TypeError, match=r"twin what they return \(twin_of\(obj\.m\(\.\.\.\)\)\)"):
        twin_of(Paginator())
