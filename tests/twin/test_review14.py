"""Fixes from review 14 (Playwright, qdrant-client, coredis; pyzmq, aioftp, gql, aiocache), in the shapes of
those libraries' classes:

- a property whose getter is an ``async def`` (Playwright's ``EventInfo.value``) is awaited on the loop when a
  twin reads it, and a class with such a property gets a twin (before: a coroutine never awaited, and the class
  counted as having no async member);
- a chain on an awaitable builder with no async member of its own (coredis' ``CommandRequest``,
  ``client.get(k).transform(int)``) is a chain (before: ``get()`` was awaited first, then ``AttributeError``);
- a class whose ``__aenter__`` opens an anyio task group (coredis 6's clients) fails at the end of a twin's
  ``with``, as before (not supported yet), but the error now says why and what to do.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest

import dualio
from dualio.twin import sync_class, twin_of, use_portal


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


class AsyncPooledClient:
    """coredis 6's ``Redis``: ``__aenter__`` enters an anyio task group of its connection pool."""

    async def __aenter__(self) -> AsyncPooledClient:
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        return await self._group.__aexit__(*exc_info)

    async def ping(self) -> str:
        return "PONG"


def test_a_task_group_entered_by_aenter_says_why_the_with_fails(portal: dualio.Portal) -> None:
    client_class = sync_class(AsyncPooledClient)
    with (
        use_portal(portal),
        pytest.raises(RuntimeError, match="different task than it was entered in") as caught,
        client_class() as client,
    ):
        assert client.ping() == "PONG"
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "AsyncPooledClient.__aenter__ opened a scope bound to its task" in notes
    assert "dualio.run(work())" in notes
