"""A plain sync program doing async network I/O through dualio's portal.

There is no ``async def main()`` and no ``asyncio.run`` here: the script is ordinary blocking code, and every
coroutine runs on the portal's long-lived event-loop thread. It starts a tiny HTTP/1.1 server (standard
library only, served by that same loop) and talks to it with a tiny async HTTP client, to show step by step:

1. ``dualio.run(get, url, timeout=5)``: one request from sync code.
2. One ``dualio.run`` of a coroutine that ``asyncio.gather``s 200 requests of 50 ms each: a fraction of the
   10 s they would take one after another.
3. ``dualio.submit``: 50 fire-and-forget requests, collected with ``concurrent.futures.wait``.
4. ``dualio.iterate``: a sync ``for`` loop over an async generator that streams lines.
5. ``dualio.run(..., timeout=0.2)`` against an endpoint that takes 5 s: ``TimeoutError``, and the request is
   really cancelled: the client's cleanup ran and the server saw the connection close.
6. ``dualio.enter``: a sync ``with`` over an async context manager (a small client session).

Run it with ``make demo`` (or ``.venv/bin/python examples/portal_demo.py``); it exits with status 1 if
something did not behave as described.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import dualio

HOST = "127.0.0.1"
LATENCY = 0.05  # seconds the server takes to answer /item/N
SLOW = 5.0  # seconds the server takes to answer /slow


class Counters:
    """What the server and the client saw. Only changed on the portal's loop; read from sync code."""

    def __init__(self) -> None:
        self.served = 0  # responses the server sent
        self.slow_abandoned = 0  # /slow requests whose client hung up before the answer
        self.client_cancelled = 0  # client requests cancelled mid-flight (their cleanup ran)
        self.hang_up = asyncio.Event()  # set when the server sees a /slow client hang up


COUNTERS = Counters()


# -- the server: one request per connection, then close -----------------------------------------------------


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        request_line = (await reader.readline()).decode("latin-1").split()
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass  # skip the request headers
        path = request_line[1] if len(request_line) == 3 else ""
        if path.startswith("/item/"):
            await asyncio.sleep(LATENCY)
            await respond(writer, 200, json.dumps({"item": int(path.removeprefix("/item/"))}).encode())
        elif path == "/stream":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
            for n in range(1, 6):
                writer.write(f"line {n}\n".encode())
                await writer.drain()
                await asyncio.sleep(0.01)
            COUNTERS.served += 1
        elif path == "/slow":
            try:
                async with asyncio.timeout(SLOW):
                    await reader.read()  # returns at end of stream: the client closed the connection
            except TimeoutError:
                await respond(writer, 200, b'{"slow": true}')
            else:
                COUNTERS.slow_abandoned += 1
                COUNTERS.hang_up.set()
        else:
            await respond(writer, 404, b'{"error": "not found"}')
    finally:
        writer.close()


async def respond(writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
    reason = "OK" if status == 200 else "Not Found"
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    writer.write(f"{head}Connection: close\r\n\r\n".encode() + body)
    await writer.drain()
    COUNTERS.served += 1


async def stop_server(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()


# -- the client -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


@asynccontextmanager
async def request(url: str) -> AsyncIterator[tuple[int, asyncio.StreamReader]]:
    """Send ``GET url``; yield the status and a reader at the start of the body; always close the connection."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        status = int((await reader.readline()).split()[1])
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass  # skip the response headers
        yield status, reader
    except asyncio.CancelledError:
        COUNTERS.client_cancelled += 1
        raise
    finally:
        writer.close()


async def get(url: str) -> Response:
    async with request(url) as (status, reader):
        return Response(status, await reader.read())  # Connection: close, so the body runs to end of stream


async def get_many(urls: list[str]) -> list[Response]:
    return await asyncio.gather(*(get(url) for url in urls))


async def stream_lines(url: str) -> AsyncIterator[str]:
    async with request(url) as (_, reader):
        async for line in reader:
            yield line.decode().rstrip("\n")


class Session:
    """A toy async client session: entering it makes a loop-bound limit, leaving it closes it."""

    open_sessions = 0

    def __init__(self, base: str, limit: int) -> None:
        self.base = base
        self.limit = limit
        self.in_flight = self.peak = self.requests = 0
        self._semaphore: asyncio.Semaphore | None = None

    async def __aenter__(self) -> Self:
        self._semaphore = asyncio.Semaphore(self.limit)  # made on, and bound to, the portal's loop
        Session.open_sessions += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._semaphore = None
        Session.open_sessions -= 1

    async def get(self, path: str) -> Response:
        if self._semaphore is None:
            raise RuntimeError("the session is not open")
        async with self._semaphore:
            self.requests += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                return await get(self.base + path)
            finally:
                self.in_flight -= 1

    async def get_all(self, paths: list[str]) -> list[Response]:
        return await asyncio.gather(*(self.get(path) for path in paths))


# -- the sync program -----------------------------------------------------------------------------------------


def ms(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.0f} ms"


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"portal_demo: FAILED: {message}")


def main() -> None:
    server = dualio.run(asyncio.start_server(handle, HOST, 0, backlog=512))
    port: int = server.sockets[0].getsockname()[1]
    base = f"http://{HOST}:{port}"
    print(f"server   listening on {base} (asyncio.start_server, served by the portal's loop)")

    started = time.perf_counter()
    one = dualio.run(get, f"{base}/item/1", timeout=5)
    check(one.status == 200 and json.loads(one.body) == {"item": 1}, f"unexpected response {one}")
    print(f"run      1 request -> {one.status} {one.body.decode()} in {ms(started)}")

    started = time.perf_counter()
    many = dualio.run(get_many, [f"{base}/item/{n}" for n in range(200)], timeout=10)
    elapsed = time.perf_counter() - started
    check([json.loads(r.body)["item"] for r in many if r.status == 200] == list(range(200)), "bad gather results")
    print(
        f"gather   200 requests fetched concurrently by one dualio.run, all 200 OK, in {elapsed * 1000:.0f} ms "
        f"(sequential: 200 x 50 ms = 10 s, {200 * LATENCY / elapsed:.0f}x longer)"
    )

    started = time.perf_counter()
    futures = [dualio.submit(get, f"{base}/item/{n}") for n in range(50)]
    submitted_in = ms(started)
    done, not_done = concurrent.futures.wait(futures, timeout=10)
    ok = sum(1 for future in done if future.result().status == 200)
    check(ok == 50 and not not_done, f"{ok} of 50 submitted requests succeeded")
    print(f"submit   50 fire-and-forget requests (submitted in {submitted_in}), {ok} OK, collected in {ms(started)}")

    started = time.perf_counter()
    lines: list[str] = []
    for line in dualio.iterate(stream_lines(f"{base}/stream")):  # each item is fetched on the portal's loop
        lines.append(line)
    check(lines == [f"line {n}" for n in range(1, 6)], f"unexpected stream {lines}")
    print(f"iterate  {len(lines)} lines streamed from /stream by a sync for loop: {', '.join(lines)} in {ms(started)}")

    started = time.perf_counter()
    try:
        dualio.run(get(f"{base}/slow"), timeout=0.2)
        timed_out = False
    except TimeoutError:
        timed_out = True
    waited = ms(started)
    dualio.run(COUNTERS.hang_up.wait, timeout=2)  # the server notices the closed connection a moment later
    check(timed_out, "the /slow request did not time out")
    check(COUNTERS.client_cancelled == 1 and COUNTERS.slow_abandoned == 1, "the /slow request was not cancelled")
    print(
        f"timeout  TimeoutError after {waited} (endpoint takes {SLOW:g} s): the request was cancelled, "
        f"{COUNTERS.client_cancelled} client cancelled, {COUNTERS.slow_abandoned} hang-up seen by the server"
    )

    started = time.perf_counter()
    with dualio.enter(Session(base, limit=5)) as session:
        opened = Session.open_sessions
        results = dualio.run(session.get_all, [f"/item/{n}" for n in range(20)], timeout=5)
    check(opened == 1 and Session.open_sessions == 0, "the session was not opened and closed")
    check(all(r.status == 200 for r in results), "a session request failed")
    print(
        f"enter    session opened ({opened} open), {session.requests} requests at most {session.peak} at a time, "
        f"closed ({Session.open_sessions} open) in {ms(started)}"
    )

    dualio.run(stop_server, server, timeout=5)
    stats = dualio.default_portal().statistics()
    ended = stats.tasks_completed + stats.tasks_failed + stats.tasks_cancelled
    check(stats.tasks_submitted == stats.tasks_pending + ended, f"inconsistent statistics {stats}")
    print(
        f"stats    server answered {COUNTERS.served} requests; portal: {stats.tasks_submitted} tasks submitted, "
        f"{stats.tasks_completed} completed, {stats.tasks_failed} failed, {stats.tasks_cancelled} cancelled, "
        f"{stats.tasks_pending} pending"
    )
    started = time.perf_counter()
    dualio.shutdown()
    print(f"shutdown portal drained and stopped in {ms(started)}")


if __name__ == "__main__":
    main()
