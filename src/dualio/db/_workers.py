"""Worker threads leased to async units of work on thread-driven SQLite, one thread per unit for its whole life.

A shared executor would let units starve each other: a unit holding SQLite's write lock could wait for a free
thread to commit, while every thread waits for that lock. Here a unit first leases a thread of its own (waiting
without blocking its loop when all are leased), runs every call of its session on it, and hands it back at the
end. The number of threads is the connection pool's capacity, so a unit with a thread can always get on.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import deque
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Job(Generic[T]):
    """One call handed to a worker thread; its outcome comes back to the loop that handed it over."""

    __slots__ = ("_args", "_context", "_failed", "_fn", "_kwargs", "_loop", "_value", "finished", "outcome", "settled")

    def __init__(self, loop: asyncio.AbstractEventLoop, fn: Callable[..., T], args: Any, kwargs: Any) -> None:
        self._loop = loop
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._context = contextvars.copy_context()
        self.outcome: asyncio.Future[T] = loop.create_future()
        self.finished = False  # set by the worker thread when the call has returned or raised
        self.settled: asyncio.Future[None] | None = None  # resolved once finished, if someone waits for that

    def run(self) -> None:
        """Run the call (on the worker thread) and post its outcome to the loop."""
        try:
            value: Any = self._context.run(self._fn, *self._args, **self._kwargs)
            failed = False
        except BaseException as error:
            value, failed = error, True
        self._value, self._failed = value, failed
        self.finished = True
        try:
            self._loop.call_soon_threadsafe(self._deliver, value, failed)
        except RuntimeError:
            pass  # the loop is closed: nobody is waiting any more

    def result(self) -> T:
        """Return what the finished call returned, or raise what it raised (also when ``outcome`` was cancelled)."""
        if not self.finished:
            raise RuntimeError("the job has not finished")
        if self._failed:
            raise self._value
        value: T = self._value
        return value

    def _deliver(self, value: Any, failed: bool) -> None:
        if not self.outcome.done():  # it is cancelled when the awaiting task was
            if failed:
                self.outcome.set_exception(value)
            else:
                self.outcome.set_result(value)
        if self.settled is not None and not self.settled.done():
            self.settled.set_result(None)


class Worker:
    """One thread that runs the jobs handed to it, in order. Cheaper per hand-over than an executor."""

    def __init__(self, name: str) -> None:
        self._jobs: SimpleQueue[Job[Any] | None] = SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            job.run()

    def start(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Job[T]:
        """Hand ``fn(*args, **kwargs)`` to the thread (with a copy of the current context); return its job."""
        job = Job(asyncio.get_running_loop(), fn, args, kwargs)
        self._jobs.put(job)
        return job

    def stop(self) -> None:
        """Let the thread finish the jobs it has, then end it."""
        self._jobs.put(None)
        self._thread.join()


class WorkerThreads:
    """A fixed number of worker threads, leased to one unit of work at a time. Thread-safe."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._created: list[Worker] = []
        self._free: list[Worker] = []
        self._waiters: deque[asyncio.Future[Worker]] = deque()
        self._lock = threading.Lock()

    async def lease(self) -> Worker:
        """Return a worker of one's own, waiting (without blocking the loop) while all are leased."""
        with self._lock:
            if self._free:
                return self._free.pop()
            if len(self._created) < self._size:
                worker = Worker(f"dualio-db-{len(self._created)}")
                self._created.append(worker)
                return worker
            waiter: asyncio.Future[Worker] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            raise

    def release(self, worker: Worker) -> None:
        """Hand ``worker`` to the next waiting unit (on its own loop), or back to the free list."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                loop = waiter.get_loop()
                if not waiter.done() and not loop.is_closed():
                    loop.call_soon_threadsafe(self._hand_over, waiter, worker)
                    return
            self._free.append(worker)

    def _hand_over(self, waiter: asyncio.Future[Worker], worker: Worker) -> None:
        if waiter.done():  # cancelled meanwhile: pass the worker on
            self.release(worker)
        else:
            waiter.set_result(worker)

    def shutdown(self) -> None:
        """Stop every worker thread, letting each finish the work it has."""
        with self._lock:
            workers, self._created, self._free = self._created, [], []
        for worker in workers:
            worker.stop()
