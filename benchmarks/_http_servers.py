"""Local HTTP servers for the GET benchmarks, each in a subprocess so that client and server get a core each.

- :func:`http_server`: an aiohttp app (one worker) answering ``GET /`` with an 11-byte body. Its own work,
  about 60-70 µs of Python per request here, is part of every GET's time.
- :func:`minimal_http_server`: a bare ``asyncio.Protocol`` on uvloop that answers every request head (the
  bytes up to a blank line) with the same fixed 11-byte response, keep-alive. It parses nothing else, so it
  serves only GETs without a body, which is all the benchmarks send; its cost per request is a few
  microseconds, so what is left of a GET's time is the client's own work and the machine's wake-ups.

Both print their port on the first line of stdout and serve until terminated.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

__all__ = ("BODY", "http_server", "minimal_http_server")

BODY = b"hello world"

_AIOHTTP_APP = """
import asyncio
from aiohttp import web

async def hello(request):
    return web.Response(body=b"hello world")

async def main():
    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""

_MINIMAL = """
import asyncio
import uvloop

RESPONSE = b"HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 11\\r\\n\\r\\nhello world"
END = b"\\r\\n\\r\\n"

class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.pending = b""

    def data_received(self, data):
        pending = self.pending + data
        heads = pending.count(END)
        if heads:
            self.transport.write(RESPONSE * heads)
            pending = pending[pending.rfind(END) + len(END):]
        self.pending = pending

async def main():
    server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

uvloop.run(main())
"""


@contextmanager
def _serve(script: str) -> Iterator[str]:
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(10)


def http_server() -> AbstractContextManager[str]:
    """Start the aiohttp server; yield its URL; stop it."""
    return _serve(_AIOHTTP_APP)


def minimal_http_server() -> AbstractContextManager[str]:
    """Start the minimal uvloop server; yield its URL; stop it."""
    return _serve(_MINIMAL)
