"""Fixes from review 14 (Playwright, qdrant-client, coredis; pyzmq, aioftp, gql, aiocache), in the shapes of
those libraries' classes:

- a property whose getter is an ``async def`` (Playwright's ``EventInfo.value``) is awaited on the loop when a
  twin reads it, and a class with such a property gets a twin (before: a coroutine never awaited, and the class
  counted as having no async member);
- a chain on an awaitable builder with no async member of its own (coredis' ``CommandRequest``,
  ``client.get(k).transform(int)``) is a chain (before: ``get()`` was awaited first, then ``AttributeError``);
- a sync generator method (gql's ``Client.subscribe``) steps on the loop (before: its body ran in the caller's
  thread, off the loop); a ``@contextmanager`` method (coredis' ``decoding()``) is entered in the caller's thread,
  and what it gives is mapped (before: the async object).

A class whose ``__aenter__`` opens an anyio task group (coredis 6's clients) is tested in tests/test_held_blocks.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import dualio
from dualio.twin import sync_class, twin_of, unwrap, use_portal


class AsyncEventInfo:
    def __init__(self, future: asyncio.Future[int]) -> None:
        self._future = future

    @property
    async def value(self) -> int:
        return await self._future


class AsyncEventContext:
    def __init__(self) -> None:
        self._future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._info = AsyncEventInfo(self._future)

    async def __aenter__(self) -> AsyncEventInfo:
        return self._info

    async def __aexit__(self, *exc_info: object) -> None:
        self._future.set_result(42)


class AsyncPage:
    @property
    async def title(self) -> str:
        await asyncio.sleep(0)
        return "Example"

    def expect_event(self) -> AsyncEventContext:
        return AsyncEventContext()


def test_an_async_property_is_awaited_on_the_loop(portal: dualio.Portal) -> None:
    with use_portal(portal):
        page = sync_class(AsyncPage)()
        assert page.title == "Example"
        with page.expect_event() as info:  # Playwright: `with page.expect_popup() as info: ...`
            pass
        assert type(info).__name__ == "EventInfo"  # the event info is a twin: its property is async
        assert info.value == 42
        assert twin_of(AsyncEventInfo(dualio.run(_done(7)))).value == 7


async def _done(value: int) -> asyncio.Future[int]:
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


class AsyncCommandRequest:
    """coredis' ``CommandRequest``: awaitable by ``__await__``, with sync builder methods and no async member."""

    def __init__(self, value: Any, transforms: tuple[Any, ...] = ()) -> None:
        self._value = value
        self._transforms = transforms

    def transform(self, convert: Any) -> AsyncCommandRequest:
        return AsyncCommandRequest(self._value, (*self._transforms, convert))

    def __await__(self) -> Any:
        return self._run().__await__()

    async def _run(self) -> Any:
        await asyncio.sleep(0)
        value = self._value
        for convert in self._transforms:
            value = convert(value)
        return value


class AsyncRedis:
    def get(self, key: str) -> AsyncCommandRequest:
        return AsyncCommandRequest("41")

    async def ping(self) -> str:
        return "PONG"


def test_a_chain_on_an_awaitable_builder_without_async_members(portal: dualio.Portal) -> None:
    with use_portal(portal):
        client = sync_class(AsyncRedis)()
        plain = client.get("n")  # no chain: awaited, as before (chains are written outside `assert`, which
        once = client.get("n").transform(int)  # pytest rewrites: see docs/twin.md)
        twice = client.get("n").transform(int).transform(lambda n: n + 1)
        assert (plain, once, twice) == ("41", 41, 42)


class AsyncFeed:
    """gql's ``Client.subscribe``: a sync generator method whose body uses loop-bound state."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[int] = asyncio.Queue()

    async def put(self, item: int) -> None:
        await self.queue.put(item)

    def pending(self) -> Iterator[tuple[int, bool]]:
        while not self.queue.empty():
            item = self.queue.get_nowait()
            yield item, _on_a_loop()

    def forever(self) -> Iterator[int]:
        try:
            while True:
                yield 1
        finally:
            self.closed_on_loop = _on_a_loop()

    @contextlib.contextmanager
    def decoding(self, flag: bool) -> Iterator[AsyncFeed]:  # coredis' Redis.decoding(): sets a context variable
        token = _decoding.set(flag)
        try:
            yield self
        finally:
            _decoding.reset(token)

    async def decodes(self) -> bool:
        return _decoding.get()


_decoding: contextvars.ContextVar[bool] = contextvars.ContextVar("decoding", default=True)


def _on_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_a_sync_generator_method_steps_on_the_loop(portal: dualio.Portal) -> None:
    with use_portal(portal):
        feed = sync_class(AsyncFeed)()
        feed.put(1)
        feed.put(2)
        assert list(feed.pending()) == [(1, True), (2, True)]  # before: run in this thread, off the loop
        for _ in feed.forever():
            break
        assert unwrap(feed).closed_on_loop is True  # breaking out closed the generator on the loop


def test_a_contextmanager_method_gives_the_twin(portal: dualio.Portal) -> None:
    with use_portal(portal):
        feed = sync_class(AsyncFeed)()
        with feed.decoding(False) as raw:
            assert raw is feed  # before: the async object, whose calls returned coroutines
            assert raw.decodes() is False  # entered in this thread: its context variable reaches the calls
        assert feed.decodes() is True


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


class AsyncStore:
    async def get(self, key: str) -> int | None:
        return None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_twin_used_after_fork_says_to_make_it_again(portal: dualio.Portal) -> None:
    with use_portal(portal):
        store = sync_class(AsyncStore)()
        assert store.get("warm") is None
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "use of fork() may lead to deadlocks" (threads)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            store.get("a")
            text = "no error"
        except Exception as error:  # reported to the parent
            text = f"{type(error).__name__}: {error} {' '.join(getattr(error, '__notes__', []))}"
        os.write(write, text.encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as pipe:
        text = pipe.read().decode()
    assert text.startswith("PortalClosedError"), text
    assert "this twin was made before the process forked" in text
    assert "worker_process_init" in text
