"""Run-time fixes from review 18 (real libraries): each test names what went wrong before."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, assert_type, cast

import pytest

import dualio
from dualio.twin import TwinClosedError, sync_class, twin_of, unwrap, use_portal
from dualio.twin.examples._async_store import AsyncStore
from dualio.twin.examples.store import Store


class AsyncResource:
    """A part of a client that uses the client's connection, as openai's ``client.chat.completions``."""

    def __init__(self, client: AsyncApiClient) -> None:
        self._client = client

    async def create(self) -> str:
        if self._client.closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        return "created"

    def build(self) -> str:
        return "built"


class AsyncApiClient:
    def __init__(self) -> None:
        self.closed = False
        self.resource = AsyncResource(self)

    async def ping(self) -> str:
        return "pong"

    async def aclose(self) -> None:
        self.closed = True


def test_a_call_failing_on_a_twin_whose_parent_is_closed_says_so(portal: dualio.Portal) -> None:
    # Review 18a: after client.close(), client.chat.completions.create(...) failed with httpx's "the client has
    # been closed" (anthropic: "Connection error.") and nothing said that the twin it came from was closed.
    with use_portal(portal):
        client = sync_class(AsyncApiClient)()
    resource = client.resource
    assert resource.create() == "created"
    client.close()
    with pytest.raises(TwinClosedError):
        client.ping()
    with pytest.raises(RuntimeError, match="the client has been closed") as caught:
        resource.create()  # the resource twin is not closed itself: its call runs, and fails as the async one
    assert caught.value.__notes__ == [
        "Resource was made by the ApiClient twin, which is closed: a twin made by another twin's call or attribute "
        "is not closed with it, but what they share (a connection, an HTTP client) may be; make a new ApiClient "
        "to go on"
    ]
    assert resource.build() == "built"  # a sync method still runs, as on the async object


def test_a_failing_call_on_a_twin_of_an_open_parent_gets_no_note(portal: dualio.Portal) -> None:
    with use_portal(portal):
        client = sync_class(AsyncApiClient)()
    resource = client.resource
    dualio.twin.unwrap(client).closed = True  # closed behind the twin's back: the twin is open
    with pytest.raises(RuntimeError, match="the client has been closed") as caught:
        resource.create()
    assert not hasattr(caught.value, "__notes__")


@dataclasses.dataclass(frozen=True)
class BucketStatus:
    """nats' ``KeyValue.BucketStatus``: fields with no defaults (no class attributes), and properties."""

    bucket: str
    info: dict[str, int]

    @property
    def values(self) -> int:
        return self.info["values"]


class AsyncBucket:
    async def status(self) -> BucketStatus:
        return BucketStatus("kv", {"values": 3})

    @property
    def raw_status(self) -> BucketStatus:
        return BucketStatus("kv", {"values": 4})


def test_a_dataclass_whose_other_members_are_properties_comes_back_as_it_is(portal: dualio.Portal) -> None:
    # Review 18c: nats' frozen dataclass KeyValue.BucketStatus was taken for a namespace of properties (openai's
    # `with_raw_response`) and returned as a twin: dataclasses.asdict() refused it, and its annotation lied.
    with use_portal(portal):
        bucket = sync_class(AsyncBucket)()
    status = bucket.status()
    assert type(status) is BucketStatus
    assert dataclasses.asdict(status) == {"bucket": "kv", "info": {"values": 3}}
    assert status.values == 3
    assert type(bucket.raw_status) is BucketStatus


class AsyncStaleCache:
    """A client first used under ``asyncio.run()``: its cleanup on the dead loop hides asyncio's real complaint
    (aiocache's redis cache raises "Event loop is closed" while handling "... attached to a different loop")."""

    async def get(self, key: str) -> str:
        try:
            raise RuntimeError("Task <Task pending> got Future <Future pending> attached to a different loop")
        except RuntimeError:
            raise RuntimeError(f"Event loop is closed (reading {key!r})")


def test_an_other_loop_error_behind_another_error_gets_the_note(portal: dualio.Portal) -> None:
    # Review 18c: "Event loop is closed", raised while handling asyncio's "attached to a different loop", got no
    # dualio note, though it is the case the note is for.
    with use_portal(portal):
        cache = sync_class(AsyncStaleCache)()
    with pytest.raises(RuntimeError, match="Event loop is closed") as caught:
        cache.get("a")
    assert "attached to a different loop" in str(caught.value.__context__)
    (note,) = caught.value.__notes__
    assert "its async object uses another event loop than its twin's portal" in note


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
    # Review 18c: `p.price.cache` (aiocache's @cached) came back as the raw cache, so `p.price.cache.clear()`
    # made a coroutine that never ran and cleared nothing.
    with use_portal(portal):
        pricing = sync_class(AsyncPricing)()
    assert pricing.price("abc") == 3
    cache = pricing.price.cache
    assert isinstance(cache, dualio.twin.Twin)
    assert cast(Any, cache).clear() == 1
    assert dualio.twin.unwrap(pricing).price.cache.entries == {}


def test_twin_of_with_a_twin_class_types_and_checks_the_twin(portal: dualio.Portal) -> None:
    # Review 18b: twin_of() is typed Any, so with generated twins everything after
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
