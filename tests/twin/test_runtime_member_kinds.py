"""Kinds of members through run-time twins: an async property (Playwright's ``EventInfo.value``) is awaited
on the loop, a sync generator method (gql's ``Client.subscribe``) steps on the loop, a ``@contextmanager`` method
(coredis' ``decoding()``) gives the twin, and a public member of the async class's metaclass (ormar's
``Model.objects``) is read on the twin class.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

import dualio
from dualio import twin
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


class _QuerySet:
    """What ormar's metaclass property ``Model.objects`` gives: an object with async methods."""

    def __init__(self, model: type[Any]) -> None:
        self.model = model

    async def count(self) -> int:
        return len(self.model.rows)


class _ModelMeta(type):
    @property
    def objects(cls) -> _QuerySet:
        return _QuerySet(cls)

    def table_name(cls) -> str:
        return cls.__name__.lower()


class _Model(metaclass=_ModelMeta):
    rows: ClassVar[list[str]] = ["a", "b"]

    async def save(self) -> None:
        type(self).rows.append("c")


def test_a_public_member_of_the_async_class_metaclass_is_read_on_the_twin_class(portal: dualio.Portal) -> None:
    Model = twin.sync_class(_Model)
    with use_portal(portal):
        objects = Model.objects
        assert twin.portal_of(objects) is portal  # a class-level result's twin: on the portal in use
    assert isinstance(twin.unwrap(objects), _QuerySet)
    assert objects.count() == 2
    assert Model.table_name() == "_model"
    assert "objects" in dir(Model)
    with pytest.raises(AttributeError, match="type object '_SyncModel' has no attribute 'nothing'"):
        Model.nothing  # noqa: B018
    with pytest.raises(AttributeError):  # as on the async side: an instance does not see its metaclass's members
        Model().objects  # noqa: B018
