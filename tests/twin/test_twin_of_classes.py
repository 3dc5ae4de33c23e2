"""``twin_of(obj, TwinClass)`` with an object of a subclass of its async class, and with a subscripted class.

anyio's ``connect_tcp()`` gives a concrete ``SocketStream`` of its asyncio backend, a subclass of the abstract
``anyio.abc.SocketStream`` a user lists; ``twin_of(raw, SyncSocketStream)`` made a twin of the listed class,
whose methods called the abstract ones: ``send()`` sent nothing, ``receive()`` gave None, without an error. And
``twin_of(obj, SyncBox[int])`` type-checked but was a ``TypeError`` at run time.
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar, assert_type

import pytest

import dualio
from dualio.twin import Twin, sync_class, twin_of, unwrap, use_portal
from dualio.twin.examples._async_store import AsyncStore
from dualio.twin.examples.store import Store

from ._helpers_runtime import AsyncApiClient

T = TypeVar("T")


class AsyncStream:
    """Abstract: the methods a listed base declares."""

    async def receive(self) -> int | None:
        return None

    async def send(self, item: int) -> None:
        return None


class AsyncConcreteStream(AsyncStream):
    def __init__(self) -> None:
        self.items: list[int] = []

    async def receive(self) -> int | None:
        await asyncio.sleep(0)
        return self.items.pop(0) if self.items else None

    async def send(self, item: int) -> None:
        self.items.append(item)


class AsyncBox(Generic[T]):
    def __init__(self, item: T) -> None:
        self.item = item

    async def get(self) -> T:
        return self.item


Stream = sync_class(AsyncStream)
Box = sync_class(AsyncBox)


async def _concrete() -> AsyncConcreteStream:
    return AsyncConcreteStream()


async def _box() -> AsyncBox[int]:
    return AsyncBox(42)


def test_a_subclass_object_runs_its_own_methods_in_a_twin_of_the_class_asked_for() -> None:
    stream = twin_of(dualio.run(_concrete()), Stream)
    assert isinstance(stream, Stream)
    stream.send(42)
    assert stream.receive() == 42  # the concrete class's methods, not the abstract ones (None)
    assert type(stream) is sync_class(AsyncConcreteStream)


def test_a_subscripted_twin_class_is_accepted() -> None:
    box = twin_of(dualio.run(_box()), Box[int])
    assert isinstance(box, Box)
    assert box.get() == 42


def test_an_object_of_another_class_is_still_refused() -> None:
    with pytest.raises(TypeError, match=r"Box is the twin class of .*AsyncBox, and obj is a .*AsyncConcreteStream"):
        twin_of(dualio.run(_concrete()), Box)
    with pytest.raises(TypeError, match="expects a twin class as its second argument"):
        twin_of(dualio.run(_box()), list[int])  # type: ignore[type-var]
    assert issubclass(Stream, Twin)


def test_twin_of_with_a_twin_class_types_and_checks_the_twin(portal: dualio.Portal) -> None:
    # twin_of() is typed Any, so with generated twins everything after
    # `conn = twin_of(dualio.run(asyncssh.connect(...)))` was Any for mypy.
    async def make_store() -> AsyncStore:
        return AsyncStore("kv")  # made on the loop, as AsyncStore requires

    with use_portal(portal):
        store = twin_of(portal.run(make_store()), Store)
        assert_type(store, Store)
        assert type(store) is Store
        assert twin_of(unwrap(store), Store) is store
        made_at_run_time = sync_class(AsyncApiClient)
        client = twin_of(AsyncApiClient(), made_at_run_time)
        assert type(client) is made_at_run_time
        with pytest.raises(TypeError, match=r"Store is the twin class of .*AsyncStore, and obj is a .*AsyncApiClient"):
            twin_of(AsyncApiClient(), Store)
        with pytest.raises(TypeError, match="expects a twin class as its second argument"):
            twin_of(portal.run(make_store()), AsyncStore)  # type: ignore[type-var]
        with pytest.raises(TypeError, match="got a Store twin, which is a twin already"):
            twin_of(store, Store)
        child = AsyncChildClient()
        child_twin = twin_of(child)  # its own twin class, made at run time, a subclass of the parent's
        assert twin_of(child, made_at_run_time) is child_twin
    store.close()


class AsyncChildClient(AsyncApiClient):
    pass
