"""Round trip of a no-op coroutine called from sync code: dualio.run against the floor and against its peers.

Claim measured: ``dualio.run(noop)`` costs at most 1.3x the floor (one bare ``call_soon_threadsafe`` wake-up of a
loop thread and back, with no Task and no Future), is at least 2x faster than
``asyncio.run_coroutine_threadsafe(coro, loop).result()`` and at least 2.5x faster than anyio's blocking portal
and synchronicity's blocking wrapper. The same call on a portal that lends its loop (``lend_loop=True``: the
caller runs the loop, no thread wake-up) is shown too, with the 2x target against ``run_coroutine_threadsafe``.

Every contender runs in this one process, in interleaved rounds (see _harness.py); each round times a batch of
``--calls`` calls per contender (a tenth of that for the two that start a new loop or thread per call). Reported:
the median, min and p90 over rounds of the mean µs per call in a batch, and ratios of medians.

Run: ``.venv/bin/python benchmarks/bench_roundtrip.py`` (``--quick`` for a smoke test of a few seconds).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack

import anyio.from_thread
import synchronicity
import uvloop
from asgiref.sync import async_to_sync

import dualio
from _harness import (
    Contender,
    Summary,
    Target,
    default_output,
    loop_thread,
    markdown_table,
    parse_arguments,
    publish,
    report,
    run_interleaved,
)

FLOOR = "floor: call_soon_threadsafe + lock"
FLOOR_UVLOOP = "floor on a uvloop loop"
DUALIO_RUN = "dualio.run (default portal)"
DUALIO_UVLOOP = "Portal.run (uvloop portal)"
LENDING = "Portal.run (lending portal: lend_loop=True)"
RCTS = "run_coroutine_threadsafe().result()"
ASYNCIO_RUN = "asyncio.run (new loop per call)"
ASGIREF = "asgiref async_to_sync"
ANYIO = "anyio BlockingPortal.call"
SYNCHRONICITY = "synchronicity Synchronizer.wrap"
SLOW = {ASYNCIO_RUN, ASGIREF}  # these get a tenth of the calls per batch
PACKAGES = ("dualio", "uvloop", "anyio", "asgiref", "synchronicity")


async def noop() -> None:
    pass


def floor_call(loop: asyncio.AbstractEventLoop) -> Callable[[], object]:
    """The least a cross-thread round trip can cost: wake the loop, have it release a lock, wait for that."""

    def call() -> None:
        lock = threading.Lock()
        lock.acquire()
        loop.call_soon_threadsafe(lock.release)
        lock.acquire()

    return call


def per_call_seconds(call: Callable[[], object], calls: int) -> Callable[[], float]:
    """A measure that times ``calls`` calls in a row and returns the mean seconds per call."""

    def measure() -> float:
        perf_counter = time.perf_counter
        start = perf_counter()
        for _ in range(calls):
            call()
        return (perf_counter() - start) / calls

    return measure


def build_calls(stack: ExitStack) -> dict[str, Callable[[], object]]:
    """Set up every contender (threads, portals, loops), registering its teardown on ``stack``."""
    loop = stack.enter_context(loop_thread())
    uv_loop = stack.enter_context(loop_thread(uvloop.new_event_loop))
    uv_portal = stack.enter_context(dualio.Portal("uv", loop_factory=uvloop.new_event_loop))
    lending = stack.enter_context(dualio.Portal("lending", lend_loop=True))
    anyio_portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
    asgiref_noop = async_to_sync(noop)
    # synchronicity 0.12: Synchronizer.create_blocking is a deprecated alias of Synchronizer.wrap.
    synchronizer = synchronicity.Synchronizer()
    blocking_noop = synchronizer.wrap(noop, target_module=__name__)
    return {
        FLOOR: floor_call(loop),
        FLOOR_UVLOOP: floor_call(uv_loop),
        DUALIO_RUN: lambda: dualio.run(noop),
        DUALIO_UVLOOP: lambda: uv_portal.run(noop),
        LENDING: lambda: lending.run(noop),
        RCTS: lambda: asyncio.run_coroutine_threadsafe(noop(), loop).result(),
        ANYIO: lambda: anyio_portal.call(noop),
        SYNCHRONICITY: blocking_noop,
        ASGIREF: asgiref_noop,
        ASYNCIO_RUN: lambda: asyncio.run(noop()),
    }


def calls_per_batch(name: str, calls: int) -> int:
    return max(1, calls // 10) if name in SLOW else calls


def results_table(summaries: dict[str, Summary], calls: int) -> str:
    floor = summaries[FLOOR].median
    dualio_run = summaries[DUALIO_RUN].median
    rows = []
    for name, summary in sorted(summaries.items(), key=lambda item: item[1].median):
        micro = [f"{value * 1e6:.1f}" for value in (summary.median, summary.min, summary.quantile(0.9))]
        ratios = [f"{summary.median / floor:.2f}x", f"{summary.median / dualio_run:.2f}x"]
        rows.append([name, str(calls_per_batch(name, calls)), *micro, *ratios])
    headers = ["contender", "calls/batch", "median µs/call", "min µs", "p90 µs", "vs floor", "vs dualio.run"]
    return markdown_table(headers, rows)


def evaluate(summaries: dict[str, Summary]) -> list[Target]:
    dualio_run = summaries[DUALIO_RUN].median

    def speedup(name: str) -> float:
        return summaries[name].median / dualio_run

    return [
        Target("dualio.run <= 1.3x the floor", dualio_run / summaries[FLOOR].median, 1.3, at_most=True),
        Target("dualio.run >= 2x faster than run_coroutine_threadsafe().result()", speedup(RCTS), 2.0),
        Target("dualio.run >= 2.5x faster than anyio BlockingPortal.call", speedup(ANYIO), 2.5),
        Target("dualio.run >= 2.5x faster than synchronicity", speedup(SYNCHRONICITY), 2.5),
        Target(
            "on a lending portal: >= 2x faster than run_coroutine_threadsafe().result()",
            summaries[RCTS].median / summaries[LENDING].median,
            2.0,
        ),
    ]


def main() -> None:
    args = parse_arguments(
        __doc__.splitlines()[0],
        size_name="calls",
        size_help="calls per batch",
        size=(2000, 200),
        rounds=(15, 3),
        output="roundtrip.md",
    )
    with ExitStack() as stack:
        calls = build_calls(stack)
        contenders = [
            Contender(name, per_call_seconds(call, calls_per_batch(name, args.calls))) for name, call in calls.items()
        ]
        summaries = run_interleaved(contenders, rounds=args.rounds, warmup_rounds=1, gc_off=args.gc_off)
    intro = (
        f"Per-call round trip of `async def noop(): pass` from sync code; {args.rounds} interleaved rounds in one "
        f"process after one warm-up round; µs columns are over rounds of the mean per call in a batch; "
        f"ratios are of medians (vs floor: times slower than the floor; vs dualio.run: times slower than dualio.run)."
        + (" **The cyclic garbage collector was disabled while measuring (`--gc-off`).**" if args.gc_off else "")
    )
    text = report("Round trip", intro, results_table(summaries, args.calls), evaluate(summaries), PACKAGES)
    publish(text, default_output("roundtrip.md", args.quick, args.output))


if __name__ == "__main__":
    main()
