"""An async key-value store written for the twin's tests, docs and benchmarks: it uses every mapping rule.

Its sync twins ``Store`` and ``Cursor`` are generated into ``store.py`` by ``dualio twin generate``. Every
instance remembers the event loop it was created on and refuses to be used from another one, so a test that
passes proves the twin kept it on its loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import ClassVar, Self

__all__ = ("AsyncCursor", "AsyncStore", "StoreError")


class StoreError(Exception):
    """Raised by :meth:`AsyncStore.fail` (and by any use of a store from a loop it does not belong to)."""


class AsyncStore:
    """An in-memory key-value store bound to the event loop it was created on.

    Use it with ``async with`` or call ``aclose()`` when done.
    """

    VERSION: ClassVar[str] = "1.0"
    calls: int
    """How many async methods were called (a plain instance attribute)."""

    def __init__(self, name: str, *, latency: float = 0.0) -> None:
        self._loop = asyncio.get_running_loop()  # created on a running loop: the twin creates it on the portal's
        self._name = name
        self._data: dict[str, bytes] = {}
        self._closed = False
        self.latency = latency
        self.calls = 0
        self.entered = 0
        self.open_scans = 0  # scan() generators started and not yet finished or closed
        self.sleeping = False
        self.cleanups = 0  # sleep() calls that ran their cleanup (also when cancelled)

    def _check(self) -> None:
        if asyncio.get_running_loop() is not self._loop:
            raise StoreError(f"store {self._name!r} used from a loop it does not belong to")
        if self._closed:
            raise StoreError(f"store {self._name!r} is closed")
        self.calls += 1

    @classmethod
    async def open(cls, name: str) -> Self:
        """Create a store (an async factory)."""
        await asyncio.sleep(0)
        return cls(name)

    @staticmethod
    def normalize(key: str) -> str:
        """Return ``key`` stripped and lower-cased."""
        return key.strip().lower()

    @staticmethod
    async def ping() -> str:
        """Answer ``"pong"`` (an async staticmethod)."""
        await asyncio.sleep(0)
        return "pong"

    @property
    def name(self) -> str:
        """The store's name."""
        return self._name

    @property
    def closed(self) -> bool:
        """True once ``aclose()`` ran."""
        return self._closed

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the store belongs to."""
        return self._loop

    async def get(self, key: str, default: bytes | None = None) -> bytes | None:
        """Return the value of ``key``, or ``default``."""
        self._check()
        if self.latency:
            await asyncio.sleep(self.latency)
        return self._data.get(key, default)

    async def set(self, key: str, value: bytes, *, replace: bool = True) -> bool:
        """Store ``value`` under ``key``; return whether it was stored."""
        self._check()
        if not replace and key in self._data:
            return False
        self._data[key] = value
        return True

    async def set_many(self, *pairs: tuple[str, bytes], **options: bool) -> int:
        """Store every ``(key, value)`` pair; return how many were stored."""
        return sum([await self.set(key, value, **options) for key, value in pairs])

    def size(self) -> int:
        """Return the number of keys (a sync method)."""
        self._check()
        return len(self._data)

    def get_soon(self, key: str) -> Awaitable[bytes | None]:
        """Return an awaitable of ``key``'s value (a sync method returning an awaitable, like redis-py's)."""
        self._check()
        return self.get(key)

    async def scan(self, prefix: str = "") -> AsyncIterator[tuple[str, bytes]]:
        """Yield ``(key, value)`` for every key starting with ``prefix``, in key order."""
        self._check()
        self.open_scans += 1
        try:
            for key in sorted(self._data):
                if key.startswith(prefix):
                    await asyncio.sleep(0)
                    yield key, self._data[key]
        finally:
            self.open_scans -= 1

    async def cursor(self, prefix: str = "") -> AsyncCursor:
        """Return a cursor over the keys starting with ``prefix`` (another twinned class)."""
        self._check()
        return AsyncCursor(self, [key for key in sorted(self._data) if key.startswith(prefix)])

    def transaction(self) -> AbstractAsyncContextManager[AsyncCursor]:
        """Return an async context manager giving a cursor; the keys set meanwhile are kept only without error."""
        return self._transaction()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncCursor]:
        self._check()
        saved = dict(self._data)
        try:
            yield AsyncCursor(self, sorted(self._data))
        except BaseException:
            self._data = saved
            raise

    async def sleep(self, seconds: float) -> str:
        """Sleep on the loop, then return ``"slept"``; when cancelled, clean up (on the loop) first."""
        self._check()
        self.sleeping = True
        try:
            await asyncio.sleep(seconds)
            return "slept"
        finally:
            await asyncio.sleep(0)  # a cleanup that needs the loop
            self.sleeping = False
            self.cleanups += 1

    async def fail(self, message: str) -> None:
        """Raise ``StoreError(message)``."""
        self._check()
        raise StoreError(message)

    async def __aenter__(self) -> Self:
        self._check()
        self.entered += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the store; later calls raise ``StoreError``."""
        await asyncio.sleep(0)
        self._closed = True


class AsyncCursor:
    """An async iterator over some keys of a store, yielding ``(key, value)``."""

    def __init__(self, store: AsyncStore, keys: list[str]) -> None:
        self._store = store
        self._keys = keys
        self._position = 0
        self.closed = False

    @property
    def store(self) -> AsyncStore:
        """The store this cursor reads (its twin maps back to the same store twin)."""
        return self._store

    async def fetch(self, count: int) -> list[tuple[str, bytes]]:
        """Return the next ``count`` items at most."""
        items = []
        async for item in self:
            items.append(item)
            if len(items) == count:
                break
        return items

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> tuple[str, bytes]:
        self._store._check()
        while self._position < len(self._keys):
            key = self._keys[self._position]
            self._position += 1
            value = await self._store.get(key)
            if value is not None:
                return key, value
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Close the cursor."""
        self.closed = True
