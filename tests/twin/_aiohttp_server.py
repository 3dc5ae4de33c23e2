"""The aiohttp server the twin tests talk to: on 127.0.0.1 (an ephemeral port), on a portal of its own.

Routes: ``/hello`` (a short text, the client's address recorded), ``/stream`` (a body in two chunks, the second
sent only once the client read the first) and ``/ws`` (an echo websocket). The ``server`` fixture is in conftest.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

__all__ = ("Server", "start")


@dataclass
class Server:
    """What the test server saw, and where it listens."""

    url: str = ""
    peers: list[tuple[str, int]] = field(default_factory=list)  # one entry per request: the client's address
    chunk_received: threading.Event = field(default_factory=threading.Event)
    close_codes: list[int | None] = field(default_factory=list)  # one entry per websocket: the code it closed with
    websocket_closed: threading.Event = field(default_factory=threading.Event)


async def start(server: Server) -> web.AppRunner:
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
