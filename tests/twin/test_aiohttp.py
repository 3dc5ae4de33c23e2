"""A sync twin of ``aiohttp.ClientSession`` against a real aiohttp server on 127.0.0.1, started by the test.

The server runs on a portal of its own (its own loop thread); the client twin runs on the test portal. Proved:
keep-alive (the server sees one connection for many requests), a body streamed chunk by chunk while the server
is still sending, and the websocket client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

import dualio
from dualio.twin import TwinClosedError, set_timeout, sync_class, unwrap, use_portal

from ._aiohttp_server import Server

Session: Any = sync_class(aiohttp.ClientSession)


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
