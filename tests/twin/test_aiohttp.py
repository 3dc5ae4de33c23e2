"""A sync twin of ``aiohttp.ClientSession`` against a real aiohttp server on 127.0.0.1, started by the test.

The server runs on a portal of its own (its own loop thread); the client twin runs on the test portal. Proved:
keep-alive (the server sees one connection for many requests), a body streamed chunk by chunk while the server
is still sending, and the websocket client.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import dualio
from dualio.twin import TwinClosedError, set_timeout, sync_class, unwrap, use_portal

Session: Any = sync_class(aiohttp.ClientSession)


@dataclass
class Server:
    """What the test server saw, and where it listens."""

    url: str = ""
    peers: list[tuple[str, int]] = field(default_factory=list)  # one entry per request: the client's address
    chunk_received: threading.Event = field(default_factory=threading.Event)
    close_codes: list[int | None] = field(default_factory=list)  # one entry per websocket: the code it closed with
    websocket_closed: threading.Event = field(default_factory=threading.Event)


async def _start(server: Server) -> web.AppRunner:
    async def hello(request: web.Request) -> web.Response:
        server.peers.append(request.transport.get_extra_info("peername"))  # type: ignore[union-attr]
        return web.Response(text=f"hello {request.query.get('n', '')}")

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"first chunk;")
        # The second chunk is sent only once the client has read the first: a buffered body would deadlock here.
        received = await asyncio.get_running_loop().run_in_executor(None, server.chunk_received.wait, 10)
        await response.write(b"second chunk" if received else b"the client did not get the first chunk alone")
        await response.write_eof()
        return response

    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                if message.data == "bye":
                    await ws.close()
                else:
                    await ws.send_str(f"echo: {message.data}")
        server.close_codes.append(ws.close_code)
        server.websocket_closed.set()
        return ws

    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_get("/stream", stream)
    app.router.add_get("/ws", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    return runner


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """An aiohttp server on 127.0.0.1 (an ephemeral port), on a portal of its own."""
    state = Server()
    with dualio.Portal("aiohttp-server") as server_portal:
        runner = server_portal.run(_start, state)
        yield state
        server_portal.run(runner.cleanup, timeout=10)


@pytest.fixture
def http(server: Server, portal: dualio.Portal) -> Iterator[Any]:
    """A ClientSession twin on the test portal (asyncio and uvloop), closed after the test."""
    server.peers.clear()
    server.chunk_received.clear()
    server.close_codes.clear()
    server.websocket_closed.clear()
    with use_portal(portal), Session() as session:
        set_timeout(session, 10)
        yield session


def test_the_session_is_created_on_the_portal_loop(http: Any, portal: dualio.Portal) -> None:
    assert unwrap(http)._loop is portal.loop  # ClientSession.loop is deprecated: read its private field


def test_many_requests_reuse_one_keep_alive_connection(http: Any, server: Server) -> None:
    for n in range(20):
        with http.get(f"{server.url}/hello", params={"n": n}) as response:
            assert response.status == 200
            assert response.text() == f"hello {n}"
    response = http.get(f"{server.url}/hello")  # without `with`: the awaited response
    assert response.text() == "hello "
    response.release()
    assert len(server.peers) == 21
    assert len(set(server.peers)) == 1, f"the server saw {len(set(server.peers))} connections"


def test_a_get_whose_block_only_reads_the_body_is_one_round_trip(
    http: Any, server: Server, portal: dualio.Portal
) -> None:
    before = portal.statistics().tasks_submitted
    for n in range(5):
        with http.get(f"{server.url}/hello", params={"n": n}) as response:
            text = response.text()  # the whole body: get, __aenter__, text() and __aexit__ in one round trip
        assert text == f"hello {n}"
        assert response.status == 200  # the response twin stays usable after the block
    assert portal.statistics().tasks_submitted == before + 5
    for n in range(5):
        with http.get(f"{server.url}/hello", params={"n": n}) as response:
            assert response.status == 200
            text = response.text()  # the last statement: text() and __aexit__ share a round trip
        assert text == f"hello {n}"
    assert portal.statistics().tasks_submitted == before + 5 + 2 * 5
    assert len(server.peers) == 10
    assert len(set(server.peers)) == 1, "each response went back to the pool: one keep-alive connection"


def test_a_response_body_is_streamed(http: Any, server: Server) -> None:
    chunks = []
    with http.get(f"{server.url}/stream") as response:
        first = response.content.read(len(b"first chunk;"))
        assert first == b"first chunk;"  # read while the server still holds back the rest
        chunks.append(first)
        server.chunk_received.set()
        for chunk in response.content.iter_chunked(4):
            chunks.append(chunk)
    assert b"".join(chunks) == b"first chunk;second chunk"


def test_the_websocket_client(http: Any, server: Server) -> None:
    with http.ws_connect(f"{server.url}/ws") as ws:
        ws.send_str("one")
        assert ws.receive_str() == "echo: one"
        ws.send_str("two")
        ws.send_str("bye")
        messages = list(ws)  # iterates until the server closes
        assert [m.data for m in messages] == ["echo: two"]
    assert ws.closed


def test_the_websocket_closes_with_the_code_and_message_given_to_its_twin(http: Any, server: Server) -> None:
    ws = http.ws_connect(f"{server.url}/ws")
    ws.send_str("one")
    assert ws.receive_str() == "echo: one"
    assert ws.close(code=4000, message=b"done") is True  # ClientWebSocketResponse.close(*, code, message) -> bool
    assert server.websocket_closed.wait(10)
    assert server.close_codes == [4000]
    assert ws.closed  # read from the async object: attribute reads work on a closed twin
    assert ws.close(code=4001) is True  # closed already: nothing is sent, the first close's result again
    assert server.close_codes == [4000]
    with pytest.raises(TwinClosedError, match=r"send_str\(\) was called on a closed twin"):
        ws.send_str("late")


def test_the_session_is_closed_on_its_loop_by_the_with_block(server: Server, portal: dualio.Portal) -> None:
    with use_portal(portal), Session() as session, session.get(f"{server.url}/hello") as response:
        assert response.status == 200
    assert session.closed
    with pytest.raises(RuntimeError, match="Session is closed"):
        session.get(f"{server.url}/hello")
