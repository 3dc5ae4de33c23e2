"""Held `with` blocks: a sync `with` over an async context manager, both halves run in one task on the loop.

Claims measured (stop 25, `dualio/_hosting.py`):

- a held block (`with dualio.enter(cm):`, the same path as a twin's `with`) costs little more than the two
  independent portal calls it replaced (`portal.run(cm.__aenter__())`, then `portal.run(cm.__aexit__(...))`,
  which cannot close a task-bound scope): reported as a ratio, no target;
- it is faster than the peer that does the same, anyio's `BlockingPortal.wrap_async_context_manager`
  (target: at least 1x, i.e. not slower, on the portal's own thread; lending is dualio's alone).

Two context managers: one whose halves do nothing (the machinery's own cost) and one whose `__aenter__` enters
an anyio task group and starts a task in it (coredis 6's shape: only a held block can run it). Each sample
runs `--blocks` empty blocks in a row and returns µs per block. Contenders run in one process in interleaved
rounds (see _harness.py); the table shows the median, min and max over rounds.

Run: `.venv/bin/python benchmarks/bench_held_with.py` (`--quick` for a smoke test of a few seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, ExitStack
from typing import Any

import anyio
import anyio.abc
from anyio.from_thread import BlockingPortal, start_blocking_portal

import dualio
from _harness import (
    Contender,
    Summary,
    Target,
    default_output,
    markdown_table,
    parse_arguments,
    publish,
    report,
    run_interleaved,
)

PACKAGES = ("dualio", "anyio")


class NoOp:
    """Both halves return at once: what is measured is the crossing and the holding."""

    async def __aenter__(self) -> NoOp:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class WithTaskGroup:
    """``__aenter__`` enters an anyio task group and starts a task in it; ``__aexit__`` cancels and leaves it."""

    async def __aenter__(self) -> WithTaskGroup:
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        self._group.start_soon(anyio.sleep_forever)
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        self._group.cancel_scope.cancel()
        return await self._group.__aexit__(*exc_info)


Block = Callable[[], None]


def per_block(block: Block, blocks: int) -> Callable[[], float]:
    """A measure running ``blocks`` blocks in a row; returns µs per block."""

    def measure() -> float:
        perf_counter = time.perf_counter
        start = perf_counter()
        for _ in range(blocks):
            block()
        return (perf_counter() - start) / blocks * 1e6

    return measure


def held(portal: dualio.Portal, make: Callable[[], AbstractAsyncContextManager[Any]]) -> Block:
    def block() -> None:
        with portal.enter(make()):
            pass

    return block


def two_calls(portal: dualio.Portal, make: Callable[[], AbstractAsyncContextManager[Any]]) -> Block:
    """What a sync `with` did before stop 25: two portal calls, two tasks (a task group could not close)."""

    def block() -> None:
        cm = make()
        portal.run(type(cm).__aenter__(cm))
        portal.run(type(cm).__aexit__(cm, None, None, None))

    return block


def anyio_wrapped(portal: BlockingPortal, make: Callable[[], AbstractAsyncContextManager[Any]]) -> Block:
    def block() -> None:
        with portal.wrap_async_context_manager(make()):
            pass

    return block


def build_contenders(stack: ExitStack, blocks: int) -> list[Contender]:
    thread_portal = stack.enter_context(dualio.Portal("held-thread"))
    lending_portal = stack.enter_context(dualio.Portal("held-lending", lend_loop=True))
    anyio_portal = stack.enter_context(start_blocking_portal())
    contenders = []
    for label, make in (("no-op", NoOp), ("task group", WithTaskGroup)):
        contenders += [
            Contender(f"{label}: dualio held with", per_block(held(thread_portal, make), blocks)),
            Contender(f"{label}: dualio held with, lending portal", per_block(held(lending_portal, make), blocks)),
            Contender(
                f"{label}: anyio wrap_async_context_manager", per_block(anyio_wrapped(anyio_portal, make), blocks)
            ),
        ]
    contenders += [
        Contender("no-op: two portal calls (before stop 25)", per_block(two_calls(thread_portal, NoOp), blocks)),
        Contender("no-op: two portal calls, lending portal", per_block(two_calls(lending_portal, NoOp), blocks)),
    ]
    return contenders


def results_table(summaries: dict[str, Summary]) -> str:
    rows = []
    for name, summary in sorted(summaries.items()):
        label = name.split(":", 1)[0]
        anyio_median = summaries[f"{label}: anyio wrap_async_context_manager"].median
        times = [f"{value:.1f}" for value in (summary.median, summary.min, summary.max)]
        rows.append([name, *times, f"{summary.median / anyio_median:.2f}x"])
    return markdown_table(["contender", "median µs/block", "min", "max", "vs anyio (same cm)"], rows)


def evaluate(summaries: dict[str, Summary]) -> list[Target]:
    targets = []
    for label in ("no-op", "task group"):
        anyio_median = summaries[f"{label}: anyio wrap_async_context_manager"].median
        dualio_median = summaries[f"{label}: dualio held with"].median
        targets.append(
            Target(
                f"{label}: dualio held with at least as fast as anyio's wrap_async_context_manager (anyio / dualio)",
                anyio_median / dualio_median,
                1.0,
            )
        )
    return targets


def main() -> None:
    args = parse_arguments(
        __doc__.splitlines()[0],
        size_name="blocks",
        size_help="blocks per sample",
        size=(2_000, 200),
        rounds=(15, 2),
        output="held_with.md",
    )
    with ExitStack() as stack:
        summaries = run_interleaved(
            build_contenders(stack, args.blocks), rounds=args.rounds, warmup_rounds=1, gc_off=args.gc_off
        )
    intro = (
        f"µs per empty `with` block over an async context manager, {args.blocks:,} blocks per sample, "
        f"{args.rounds} interleaved rounds in one process after one warm-up round; median, min and max over rounds. "
        "`vs anyio` divides by anyio's `wrap_async_context_manager` on the same context manager (below 1x: faster)."
        + (" **The cyclic garbage collector was disabled while measuring (`--gc-off`).**" if args.gc_off else "")
    )
    text = report("Held `with` blocks", intro, results_table(summaries), evaluate(summaries), PACKAGES)
    publish(text, default_output("held_with.md", args.quick, args.output))


if __name__ == "__main__":
    main()
