"""Probe (not a run of record): what a call costs inside a held ``with`` block, which runs in the holding task.

Since stop 27 a blocking call that a thread makes inside a ``with`` it holds (``Portal.enter``, a twin's
``with``) is handed to the task that holds the block, so that the body runs in that task as an ``async with``
body would (``dualio._hosting``). This measures, in interleaved rounds in one process, ``portal.run(noop())``
and ``portal.run(sleep0())`` (a coroutine that suspends once) outside any block and inside a held block, on the
default and on a lending portal, and anyio's ``BlockingPortal.call`` inside its
``wrap_async_context_manager`` (whose body calls run in tasks of their own). Results: README.md, "Stop 27".

Usage: ``.venv/bin/python benchmarks/probe_held_body_calls.py [--calls N] [--rounds N]``
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal

import dualio
from _harness import Contender, run_interleaved


class NoOp:
    async def __aenter__(self) -> NoOp:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


async def noop() -> None:
    return None


async def sleep0() -> None:
    await asyncio.sleep(0)


def per_call(
    call: Callable[[Callable[[], Awaitable[None]]], object],
    coroutine: Callable[[], Awaitable[None]],
    block: Callable[[], AbstractContextManager[Any]],
    calls: int,
) -> Callable[[], float]:
    """Seconds per ``call(coroutine)``, ``calls`` of them made inside one ``block()``."""

    def measure() -> float:
        with block():
            start = time.perf_counter()
            for _ in range(calls):
                call(coroutine)
            return (time.perf_counter() - start) / calls

    return measure


def dualio_contenders(portal: dualio.Portal, label: str, calls: int) -> list[Contender]:
    def run(coroutine: Callable[[], Awaitable[None]]) -> object:
        return portal.run(coroutine())

    contenders = []
    for name, coroutine in (("noop", noop), ("sleep(0)", sleep0)):
        contenders += [
            Contender(f"{label}: run({name}) outside a block", per_call(run, coroutine, nullcontext, calls)),
            Contender(
                f"{label}: run({name}) inside a held block",
                per_call(run, coroutine, lambda: portal.enter(NoOp()), calls),
            ),
        ]
    return contenders


def anyio_contenders(portal: BlockingPortal, calls: int) -> list[Contender]:
    contenders = []
    for name, coroutine in (("noop", noop), ("sleep(0)", sleep0)):
        contenders += [
            Contender(f"anyio: call({name}) outside a block", per_call(portal.call, coroutine, nullcontext, calls)),
            Contender(
                f"anyio: call({name}) inside wrap_async_context_manager",
                per_call(portal.call, coroutine, lambda: portal.wrap_async_context_manager(NoOp()), calls),
            ),
        ]
    return contenders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per batch (default 2000)")
    parser.add_argument("--rounds", type=int, default=11, help="interleaved rounds (default 11)")
    arguments = parser.parse_args()
    with ExitStack() as stack:
        contenders = dualio_contenders(stack.enter_context(dualio.Portal("body-thread")), "default", arguments.calls)
        lending = stack.enter_context(dualio.Portal("body-lending", lend_loop=True))
        contenders += dualio_contenders(lending, "lending", arguments.calls)
        contenders += anyio_contenders(stack.enter_context(start_blocking_portal()), arguments.calls)
        results = run_interleaved(contenders, arguments.rounds)
    for name, summary in results.items():
        print(f"| {name} | {summary.median * 1e6:.1f} | {summary.min * 1e6:.1f} | {summary.max * 1e6:.1f} |")


if __name__ == "__main__":
    main()
