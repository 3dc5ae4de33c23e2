"""Run-time fixes from review 10 (httpx, websockets, aiofiles, aiosmtplib).

- a closed twin still runs its sync methods (httpx's ``response.json()`` after ``close()``); async methods,
  iteration and ``with`` raise ``TwinClosedError`` as before;
- errors name the member called (aiofiles' ``read`` is a factory's ``method``; an alias names its target);
- a sync method that runs its own event loop (aiosmtplib's ``sendmail_sync``) fails with a note saying why;
- ``close()`` by ``__aexit__`` (no ``aclose``/``close``) that fails says what it ran (websockets' ``connect``);
- a lowercase class's run-time twin is ``SyncConnect``, not ``Syncconnect``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest

import dualio
from dualio.twin import TwinClosedError, set_timeout, sync_class, use_portal
from dualio.twin._source import twin_name

from ._aiohttp_server import Server


def test_a_closed_httpx_response_still_gives_what_was_read(server: Server, portal: dualio.Portal) -> None:
    Client = sync_class(httpx.AsyncClient)
    with use_portal(portal), Client() as client:
        request = client.build_request("GET", f"{server.url}/hello", params={"n": "1"})
        response = client.send(request, stream=True)
        assert response.aread() == b"hello 1"
        response.close()  # AsyncResponse.aclose(): releases the connection
        assert response.text == "hello 1"
        response.raise_for_status()  # a sync method: before, TwinClosedError
        assert response.is_success
        with pytest.raises(TwinClosedError, match=r"^SyncResponse\.aread\(\) was called on a closed twin"):
            response.aread()  # an async method of a closed twin


def _delegate(name: str) -> Callable[..., Coroutine[Any, Any, str]]:
    async def method(self: AsyncFile, *args: object) -> str:  # named `method`, as aiofiles' delegates are
        await asyncio.sleep(self.delay)
        return name

    return method


def _api_method(name: str) -> Callable[..., Coroutine[Any, Any, str]]:
    async def _api_call(self: AsyncFile, *args: object) -> str:  # renamed, as botocore's API methods are
        await asyncio.sleep(self.delay)
        return name

    _api_call.__name__ = name
    return _api_call


class AsyncFile:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    read = _delegate("read")
    list_buckets = _api_method("list_buckets")

    async def fetch(self) -> str:
        return "fetched"

    get = fetch  # an alias: errors name `get`, the member called

    async def aclose(self) -> None:
        pass


def test_errors_name_the_member_called(portal: dualio.Portal) -> None:
    File = sync_class(AsyncFile)
    with use_portal(portal):
        slow = File(delay=5)
    set_timeout(slow, 0.05)
    with pytest.raises(TimeoutError, match=r"^AsyncFile\.read did not finish within 0\.05 s"):
        slow.read()  # before: "_delegate.<locals>.method did not finish ..."
    with pytest.raises(TimeoutError, match=r"^AsyncFile\.list_buckets did not finish within 0\.05 s"):
        slow.list_buckets()  # stop 26 (review 15b): before, "_api_method.<locals>._api_call did not finish ..."
    slow.close()
    for call, name in ((slow.read, "read"), (slow.get, "get")):
        with pytest.raises(TwinClosedError, match=rf"^File\.{name}\(\) was called on a closed twin"):
            call()  # before: File.method(), File.fetch()
    assert File.read.__name__ == "read"


class AsyncApi:
    """As a botocore client: its API methods are plain defs that return coroutines."""

    def list_buckets(self) -> Coroutine[Any, Any, list[str]]:
        return self._request()

    async def _request(self) -> list[str]:
        return ["bucket"]

    def region(self) -> str:
        return "eu"

    async def close(self) -> None:
        pass


def test_a_closed_twin_refuses_a_plain_def_whose_result_is_awaitable(portal: dualio.Portal) -> None:
    # Stop 26 (review 15b): after close() an aiobotocore client's twin still ran `s3.list_buckets()`, and the
    # user got botocore's "'NoneType' object has no attribute 'get'" instead of TwinClosedError.
    with use_portal(portal):
        api = sync_class(AsyncApi)()
    assert api.list_buckets() == ["bucket"]
    api.close()
    with pytest.raises(TwinClosedError, match=r"^Api\.list_buckets\(\) was called on a closed twin"):
        api.list_buckets()
    assert api.region() == "eu"  # a plain result: a sync method still runs after close


class AsyncMailer:
    async def send(self, message: str) -> str:
        return f"sent {message}"

    def send_sync(self, message: str) -> str:  # as aiosmtplib's sendmail_sync: its own event loop
        coro = self.send(message)
        try:
            return asyncio.run(coro)
        finally:
            coro.close()  # not awaited when asyncio.run() refused: no "never awaited" warning


def test_a_sync_method_running_its_own_loop_fails_with_a_note(portal: dualio.Portal) -> None:
    with use_portal(portal):
        mailer = sync_class(AsyncMailer)()
    try:
        with pytest.raises(RuntimeError, match="cannot be called from a running event loop") as caught:
            mailer.send_sync("hi")
        notes = "\n".join(getattr(caught.value, "__notes__", []))
        assert "AsyncMailer.send_sync() is a sync method that runs its own event loop" in notes
        assert "call the async method it wraps through the twin instead" in notes
        assert mailer.send("hi") == "sent hi"
    finally:
        mailer.close()


class lazy_connection:  # lowercase, as websockets' `connect` class
    """No aclose()/close(): a twin closes it by __aexit__, which needs what __aenter__ set up."""

    def __init__(self) -> None:
        self.opened: list[str] | None = None

    async def __aenter__(self) -> list[str]:
        self.opened = ["open"]
        return self.opened

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.opened is not None, "never entered"
        self.opened.clear()


@pytest.fixture
def lazy_twin_class() -> Any:
    return sync_class(lazy_connection)


def test_a_lowercase_class_gets_a_capitalized_twin_name(lazy_twin_class: Any) -> None:
    assert lazy_twin_class.__name__ == "SyncLazy_connection"  # before: Synclazy_connection


class _SubscriptionIterator:  # aio-pika's private iterator class, reached by run-time twins
    async def __anext__(self) -> int:
        raise StopAsyncIteration


class _AsyncPool:
    async def acquire(self) -> int:
        return 1


def test_a_private_class_gets_a_private_twin_name() -> None:
    # Before (until stop 24): Sync_SubscriptionIterator, a public-looking name for a private class's twin.
    assert sync_class(_SubscriptionIterator).__name__ == "_SyncSubscriptionIterator"
    assert sync_class(_AsyncPool).__name__ == "_Pool"
    assert twin_name("__Pool") == "__SyncPool"
    assert twin_name("_") == "_Sync"


def test_close_by_aexit_that_fails_says_what_it_ran(lazy_twin_class: Any, portal: dualio.Portal) -> None:
    with use_portal(portal):
        never_entered = lazy_twin_class()
    with pytest.raises(AssertionError, match="never entered") as caught:
        never_entered.close()
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "SyncLazy_connection.close() ran lazy_connection.__aexit__(None, None, None)" in notes
    assert "enter it first" in notes
    with use_portal(portal), lazy_twin_class() as opened:  # entered, it closes by its __aexit__ as before
        assert opened == ["open"]
    assert opened == []
