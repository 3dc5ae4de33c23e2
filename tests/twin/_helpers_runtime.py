"""Async classes shared by several run-time twin test modules (and the ``lazy_twin_class`` fixture in conftest.py)."""

from __future__ import annotations

import asyncio


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


class AsyncStream:
    """As asyncssh's connections and asyncio's StreamWriter: close() starts closing, wait_closed() waits."""

    def __init__(self) -> None:
        self.closed = asyncio.get_running_loop().create_future()

    def close(self) -> None:
        asyncio.get_running_loop().call_later(0.01, self.closed.set_result, "closed")

    async def wait_closed(self) -> str:
        return await self.closed  # type: ignore[no-any-return]

    async def send(self, data: bytes) -> int:
        return len(data)


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
