"""What a hand-over between two threads costs here, and how much of dualio's async-face overhead it is.

Both remaining misses of this repository's targets (the SQLite async face at <= 1.5x the sync face, issue 3; an
aiohttp twin GET at >= 3x faster than ``asyncio.run`` per call, issue 4) are the price of handing work from one
thread to another. This script measures that price twice in one process: with the threads free to run on any
core (as in every other benchmark), and with the threads involved pinned to the first CPU this process may use
(``os.sched_setaffinity`` of those threads only, undone after each sample; the HTTP server is never pinned).
If pinning removes most of a gap, the gap is the machine's cross-CPU wake-up and cache traffic, not Python work
that dualio adds.

Contenders, interleaved in rounds (``_harness.py``):

1. a bare ping-pong between two threads over two ``queue.SimpleQueue`` (no asyncio, no dualio);
2. one dualio.db worker hop: an event loop hands ``int()`` to a leased worker thread and awaits the result;
3. a SQLite get-by-id unit of work through the sync face, and through the default async face (one hop);
4. an aiohttp GET (body read) on one loop, and the same coroutine sent from sync code through the portal
   (``dualio.run``: one round trip per GET, the fewest any sync wrapper can make).

Run: ``.venv/bin/python benchmarks/bench_hand_over.py`` (``--quick`` for a smoke test).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from queue import SimpleQueue
from typing import Any, TypeVar

import dualio
from _harness import (
    Contender,
    Summary,
    default_output,
    markdown_table,
    parse_arguments,
    publish,
    report,
    run_interleaved,
)
from _http_servers import http_server
from bench_db import Base, Store, item_values
from bench_twin import get_body, new_session
from dualio.db import Database

T = TypeVar("T")
PACKAGES = ("dualio", "SQLAlchemy", "aiohttp")
PIN_CPU = min(os.sched_getaffinity(0))  # the first CPU this process may use (Linux only)


@contextmanager
def pinned(thread_ids: Sequence[int], enabled: bool) -> Iterator[None]:
    """Pin the given native thread ids to one CPU for the block (when ``enabled``), then restore their CPUs."""
    if not enabled:
        yield
        return
    before = [os.sched_getaffinity(tid) for tid in thread_ids]
    for tid in thread_ids:
        os.sched_setaffinity(tid, {PIN_CPU})
    try:
        yield
    finally:
        for tid, cpus in zip(thread_ids, before, strict=True):
            os.sched_setaffinity(tid, cpus)


def timed(calls: int, body: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        body()
    return (time.perf_counter() - start) / calls


async def timed_async(calls: int, body: Callable[[], Coroutine[Any, Any, object]]) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        await body()
    return (time.perf_counter() - start) / calls


class PingPong:
    """Two threads passing a token back and forth over two SimpleQueues."""

    def __init__(self) -> None:
        self._there: SimpleQueue[int | None] = SimpleQueue()
        self._back: SimpleQueue[int] = SimpleQueue()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self.echo_thread_id = self._round_trip_id()

    def _serve(self) -> None:
        while (token := self._there.get()) is not None:
            self._back.put(token if token >= 0 else threading.get_native_id())

    def _round_trip_id(self) -> int:
        self._there.put(-1)
        return self._back.get()

    def round_trip(self) -> None:
        self._there.put(1)
        self._back.get()

    def stop(self) -> None:
        self._there.put(None)
        self._thread.join()


def contenders(stack: ExitStack, url: str, calls: int, http_calls: int) -> list[Contender]:
    main_id = threading.get_native_id()
    ping = PingPong()
    stack.callback(ping.stop)

    folder = stack.enter_context(tempfile.TemporaryDirectory())
    # Reads in place off: this script measures the hand-over itself (bench_db.py shows both).
    db = Database(f"sqlite:///{Path(folder) / 'hand-over.db'}", sqlite_inline_budget=0)
    stack.callback(db.dispose)
    Base.metadata.create_all(db.sync_engine)
    with db.unit_of_work(Store) as uow:
        uow.items.add_many([item_values(number) for number in range(1000)])
    runner = stack.enter_context(asyncio.Runner())
    workers = db._worker_threads()

    async def on_worker(fn: Callable[[], T]) -> T:
        """Lease a worker thread as a unit does, run ``fn`` there (one hop), and give the worker back."""
        worker = await workers.lease()
        try:
            return await worker.start(fn).outcome
        finally:
            workers.release(worker)

    # Units run one at a time here: they all lease this one worker.
    worker_id = runner.run(on_worker(threading.get_native_id))

    def sync_get() -> object:
        with db.unit_of_work(Store) as uow:
            return uow.items.get(1 + int(time.perf_counter_ns()) % 1000)

    async def async_get() -> object:
        async with db.async_unit_of_work(Store) as uow:
            return await uow.items.get(1 + int(time.perf_counter_ns()) % 1000)

    async def native_id() -> int:
        return threading.get_native_id()

    loop_session = runner.run(new_session())
    stack.callback(lambda: runner.run(loop_session.close()))
    portal_session = dualio.run(new_session())
    stack.callback(lambda: dualio.run(portal_session.close()))
    portal_id = dualio.run(native_id())

    def both(name: str, threads: Sequence[int], measure: Callable[[], float]) -> list[Contender]:
        def pinned_measure() -> float:
            with pinned(threads, True):
                return measure()

        return [Contender(name, measure), Contender(f"{name} [pinned]", pinned_measure)]

    return [
        *both("threads: SimpleQueue ping-pong", [main_id, ping.echo_thread_id], lambda: timed(calls, ping.round_trip)),
        *both(
            "dualio.db: one worker hop",
            [main_id, worker_id],
            lambda: runner.run(timed_async(calls, lambda: on_worker(int))),
        ),
        *both("SQLite get unit: sync face", [main_id], lambda: timed(calls, sync_get)),
        *both("SQLite get unit: async face", [main_id, worker_id], lambda: runner.run(timed_async(calls, async_get))),
        *both(
            "aiohttp GET on one loop",
            [main_id],
            lambda: runner.run(timed_async(http_calls, lambda: get_body(loop_session, url))),
        ),
        *both(
            "aiohttp GET, one portal trip: dualio.run",
            [main_id, portal_id],
            lambda: timed(http_calls, lambda: dualio.run(get_body(portal_session, url))),
        ),
    ]


PAIRS = (
    ("SQLite get unit: async face", "SQLite get unit: sync face"),
    ("aiohttp GET, one portal trip: dualio.run", "aiohttp GET on one loop"),
)


def table(results: dict[str, Summary]) -> str:
    rows = []
    for name, summary in results.items():
        rows.append(
            [name, f"{summary.median * 1e6:.1f}", f"{summary.min * 1e6:.1f}", f"{summary.quantile(0.9) * 1e6:.1f}"]
        )
    ratios = []
    for slow, fast in PAIRS:
        for suffix in ("", " [pinned]"):
            ratio = results[slow + suffix].median / results[fast + suffix].median
            ratios.append([f"{slow}{suffix} / {fast}{suffix}", f"{ratio:.2f}x"])
    return (
        markdown_table(["contender", "median µs", "min µs", "p90 µs"], rows)
        + "\n\n"
        + markdown_table(["ratio of medians", "value"], ratios)
    )


def main() -> None:
    args = parse_arguments(
        "Thread hand-over cost, free and pinned to one CPU.",
        size_name="calls",
        size_help="calls per batch",
        size=(2000, 50),
        rounds=(11, 1),
        output="hand-over.md",
    )
    http_calls = max(1, args.calls // 2)
    with ExitStack() as stack:
        url = stack.enter_context(http_server())
        results = run_interleaved(contenders(stack, url, args.calls, http_calls), args.rounds, gc_off=args.gc_off)
    intro = (
        f"Per-call time of each contender, free to run on any CPU and with its threads pinned to CPU {PIN_CPU} "
        f"([pinned]); {args.rounds} interleaved rounds after one warm-up; {args.calls} calls per batch "
        f"({http_calls} for the GETs); µs columns are over rounds of the mean per call."
    )
    publish(
        report("Thread hand-overs", intro, table(results), [], PACKAGES),
        default_output("hand-over.md", args.quick, args.output),
    )


if __name__ == "__main__":
    main()
