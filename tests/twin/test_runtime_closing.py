"""Closing twins and ending ``with`` blocks.

A closed twin still runs its sync methods (httpx's ``response.json()`` after ``close()``); ``close()`` by
``__aexit__`` that fails says what it ran (websockets' ``connect``); ``wait_closed()`` runs after ``close()``
(asyncssh); a twin's own ``with`` runs ``__aenter__`` and ``__aexit__`` in one context (tortoise-orm's
``in_transaction()``); a class ended only by a method such as ``disconnect()`` (python-socketio) is left open by
the block's end, and ``close()`` names what ends it; API methods named with ending words are not ends
(slack_sdk); a closed twin refuses a wrapped coroutine (aiomysql); ended blocks are not kept alive.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextvars
import gc
import warnings
from collections.abc import Coroutine, Generator, Iterator
from typing import Any

import httpx
import pytest

import dualio
import dualio.twin
from dualio import twin
from dualio.twin import TwinClosedError, sync_class, use_portal

from ._aiohttp_server import Server
from ._helpers_runtime import AsyncStream


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


def test_wait_closed_runs_after_close(portal: dualio.Portal) -> None:
    with use_portal(portal):
        stream = sync_class(AsyncStream)()
    assert stream.send(b"ab") == 2
    stream.close()
    assert stream.wait_closed() == "closed"  # before: TwinClosedError
    with pytest.raises(dualio.twin.TwinClosedError):
        stream.send(b"late")


current: contextvars.ContextVar[str | None] = contextvars.ContextVar("current", default=None)


class AsyncTransaction:
    """Sets a context variable on entry and resets its token on exit, as tortoise-orm's ``in_transaction()``."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []
        self._tokens: list[contextvars.Token[str | None]] = []

    async def __aenter__(self) -> AsyncTransaction:
        self._tokens.append(current.set(f"in transaction {len(self._tokens) + 1}"))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.seen.append(current.get())
        current.reset(self._tokens.pop())  # ValueError if run in another context than __aenter__

    async def ping(self) -> str | None:
        return current.get()


def test_a_with_block_enters_and_exits_in_one_context(portal: dualio.Portal) -> None:
    Transaction = sync_class(AsyncTransaction)
    with use_portal(portal):
        transaction = Transaction()
    with transaction as entered:  # before: ValueError "... was created in a different Context" at the end
        assert entered is transaction
    assert dualio.twin.unwrap(transaction).seen == ["in transaction 1"]
    with transaction, transaction:  # nested: each exit runs in its own entry's context, innermost first
        pass
    assert dualio.twin.unwrap(transaction).seen == ["in transaction 1", "in transaction 2", "in transaction 1"]
    assert current.get() is None  # the caller's own context is untouched


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
    # aiocoap's Context: before, close() marked the twin closed and ran nothing, so
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


class _Response:
    status = 200


class _RequestContext:
    def __init__(self) -> None:
        self.response = _Response()

    async def __aenter__(self) -> _Response:
        return self.response

    async def __aexit__(self, *exc_info: object) -> None:
        pass


class AsyncApi:
    def get(self) -> _RequestContext:  # aiohttp's shape: a plain def returning an async context manager
        return _RequestContext()

    async def ping(self) -> int:
        return 1


def _responses_alive() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is _Response)


@pytest.mark.parametrize("lend_loop", [False, True], ids=["loop-thread", "lent-loop"])
def test_ended_with_blocks_whose_body_makes_no_call_are_not_kept(lend_loop: bool) -> None:
    """Before, each ended block was kept by the next one (through the copy of the thread's context its call's
    task holds), so a loop of `with s.get(url) as r: check r.status` kept every response: 3.3 KB per GET."""
    with dualio.Portal(lend_loop=lend_loop) as portal, twin.use_portal(portal):
        api: Any = twin.sync_class(AsyncApi)()
        for _ in range(300):
            with api.get() as response:
                assert response.status == 200
        assert _responses_alive() <= 1  # the last one, until the thread's next call
        for _ in range(300):
            with portal.enter(_RequestContext()) as response:
                assert response.status == 200
        assert _responses_alive() <= 2
        assert api.ping() == 1
        api.close()
