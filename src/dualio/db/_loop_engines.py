"""One async engine (and so one connection pool) per event loop, disposed when its loop shuts down.

An async driver's connections belong to the loop they were opened on; handing one to another loop gives the
errors users know ("attached to a different loop", "Event loop is closed"). So each loop gets its own engine.
When the loop shuts down its async generators (``asyncio.run`` and ``asyncio.Runner`` do, and so does the dualio
portal), a guard generator started on that loop is closed, and its ``finally`` disposes the engine on the loop,
while the loop still runs: the connections are closed properly, none is leaked or touched from another loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger("dualio.db")


@dataclass
class _Entry:
    engine: AsyncEngine
    guard: AsyncGenerator[None, None]


class LoopEngines:
    """A registry of async engines, one per running event loop. Thread-safe."""

    def __init__(self, make_engine: Callable[[], AsyncEngine]) -> None:
        self._make_engine = make_engine
        self._entries: dict[asyncio.AbstractEventLoop, _Entry] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    async def get(self) -> AsyncEngine:
        """Return the engine of the running loop, making it (and its shutdown guard) on first use."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._entries.get(loop)
            if entry is not None:
                return entry.engine
            self._forget_closed_loops()
            engine = self._make_engine()
            guard = self._dispose_at_shutdown(loop, engine)
            self._entries[loop] = _Entry(engine, guard)
        # The first step registers the generator with the loop's shutdown_asyncgens() and does not suspend.
        await guard.__anext__()
        return engine

    async def _dispose_at_shutdown(
        self, loop: asyncio.AbstractEventLoop, engine: AsyncEngine
    ) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            with self._lock:
                if self._entries.get(loop) is not None and self._entries[loop].engine is engine:
                    del self._entries[loop]
            await engine.dispose()

    async def dispose_current(self) -> None:
        """Dispose the running loop's engine now (the loop keeps running; a later use makes a new one)."""
        with self._lock:
            entry = self._entries.get(asyncio.get_running_loop())
        if entry is not None:
            await entry.guard.aclose()

    def dispose_all(self, timeout: float) -> None:
        """Dispose every engine from a thread that runs none of their loops, waiting up to ``timeout`` for each.

        An engine whose loop is closed cannot be disposed any more; it is forgotten (its loop was closed without
        ``shutdown_asyncgens()``, which ``asyncio.run`` would have called).
        """
        with self._lock:
            entries = list(self._entries.items())
        for loop, entry in entries:
            if loop.is_closed() or not loop.is_running():
                with self._lock:
                    self._entries.pop(loop, None)
                continue
            future = asyncio.run_coroutine_threadsafe(entry.guard.aclose(), loop)
            try:
                future.result(timeout)
            except FutureTimeoutError:
                future.cancel()
                logger.warning("disposing the async engine of %r took over %.1f s; gave up", loop, timeout)

    def _forget_closed_loops(self) -> None:
        for loop in [loop for loop in self._entries if loop.is_closed()]:
            del self._entries[loop]
