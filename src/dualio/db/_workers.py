"""Worker threads leased to async units of work on thread-driven SQLite, one thread per unit for its whole life.

A shared executor would let units starve each other: a unit holding SQLite's write lock could wait for a free
thread to commit, while every thread waits for that lock. Here a unit first leases a thread of its own (waiting
without blocking its loop when all are leased), runs every call of its session on it, and hands it back at the
end. The number of threads is the connection pool's capacity, so a unit with a thread can always get on.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor


class WorkerThreads:
    """A fixed number of single-thread executors, leased to one unit of work at a time. Thread-safe."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._created: list[ThreadPoolExecutor] = []
        self._free: list[ThreadPoolExecutor] = []
        self._waiters: deque[asyncio.Future[ThreadPoolExecutor]] = deque()
        self._lock = threading.Lock()

    async def lease(self) -> ThreadPoolExecutor:
        """Return a worker of one's own, waiting (without blocking the loop) while all are leased."""
        with self._lock:
            if self._free:
                return self._free.pop()
            if len(self._created) < self._size:
                worker = ThreadPoolExecutor(1, thread_name_prefix=f"dualio-db-{len(self._created)}")
                self._created.append(worker)
                return worker
            waiter: asyncio.Future[ThreadPoolExecutor] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            raise

    def release(self, worker: ThreadPoolExecutor) -> None:
        """Hand ``worker`` to the next waiting unit (on its own loop), or back to the free list."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                loop = waiter.get_loop()
                if not waiter.done() and not loop.is_closed():
                    loop.call_soon_threadsafe(self._hand_over, waiter, worker)
                    return
            self._free.append(worker)

    def _hand_over(self, waiter: asyncio.Future[ThreadPoolExecutor], worker: ThreadPoolExecutor) -> None:
        if waiter.done():  # cancelled meanwhile: pass the worker on
            self.release(worker)
        else:
            waiter.set_result(worker)

    def shutdown(self) -> None:
        """Stop every worker thread, waiting for the work they have."""
        with self._lock:
            workers, self._created, self._free = self._created, [], []
        for worker in workers:
            worker.shutdown(wait=True)
