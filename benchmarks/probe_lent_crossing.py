"""Where a lent GET's time goes: the same aiohttp GET on the loop and through one lent round trip, by phase.

A diagnostic, not a benchmark with targets (it prints no verdict). It starts the minimal server
(``_http_servers.py``), makes a ``ClientSession`` on a ``Portal(lend_loop=True)`` and runs one GET, body read,
in two ways, in interleaved rounds:

- **on the loop**: GETs awaited in a row inside one ``Portal.run`` (the one-loop bound, no sync code);
- **one lent round trip**: ``portal.run(get_body(...))`` per GET from sync code.

Timestamps split each GET: from the sync call to the coroutine's first line (*start*, none on the loop); from
there to the first selector wait (*send*: the request built and written); that first wait (*wait*: the
server's answer and the thread's wake-up); and from its end to the GET's end (*finish*: the response read,
the task settled, the call returned). It also counts the selector polls per GET. Medians per phase do not add
up to the median GET; they say where a difference between the two ways sits.

Command: ``.venv/bin/python benchmarks/probe_lent_crossing.py [--rounds 9] [--requests 2000]``.
"""

from __future__ import annotations

import argparse
import selectors
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import aiohttp

import dualio
from _http_servers import minimal_http_server
from bench_twin import new_session

PHASES = ("start", "send", "wait", "finish", "GET")
_clock = time.perf_counter_ns


class Timeline:
    """Marks of one batch of GETs: (kind, ns); kinds are "call", "first line", "poll", "polled", "done"."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, int]] = []

    def mark(self, kind: str) -> None:
        self.marks.append((kind, _clock()))

    def watch(self, selector: selectors.BaseSelector) -> None:
        """Mark each selector poll of the loop (the instance's ``select``, wrapped)."""
        poll = selector.select

        def select(timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
            self.mark("poll")
            try:
                return poll(timeout)
            finally:
                self.mark("polled")

        selector.select = select  # type: ignore[method-assign]

    def phases(self) -> tuple[dict[str, float], float]:
        """Median µs per phase over the marked GETs, and the mean selector polls per GET; clears the marks."""
        found: dict[str, list[int]] = {phase: [] for phase in PHASES}
        polls: list[int] = []
        get: dict[str, list[int]] = {}
        for kind, at in self.marks:
            if kind == "call":
                get = {"call": [at]}
            elif get:
                get.setdefault(kind, []).append(at)
            if kind == "done" and get.get("poll") and len(get["poll"]) == len(get.get("polled", ())):
                call, first_line = get["call"][0], get["first line"][0]
                found["start"].append(first_line - call)
                found["send"].append(get["poll"][0] - first_line)
                found["wait"].append(get["polled"][0] - get["poll"][0])
                found["finish"].append(at - get["polled"][0])
                found["GET"].append(at - call)
                polls.append(len(get["poll"]))
                get = {}
        self.marks.clear()
        return {phase: statistics.median(ns) / 1000 for phase, ns in found.items()}, statistics.mean(polls)


async def get_body(session: aiohttp.ClientSession, url: str, timeline: Timeline) -> bytes:
    timeline.mark("first line")
    async with session.get(url) as response:
        return await response.read()


async def gets_on_the_loop(session: aiohttp.ClientSession, url: str, count: int, timeline: Timeline) -> None:
    for _ in range(count):
        timeline.mark("call")
        await get_body(session, url, timeline)
        timeline.mark("done")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=2000, help="GETs per batch")
    args = parser.parse_args()
    timeline = Timeline()
    with ExitStack() as stack:
        url = stack.enter_context(minimal_http_server())
        portal = stack.enter_context(dualio.Portal("probe-lending", lend_loop=True))
        session = portal.run(new_session())
        stack.callback(lambda: portal.run(session.close()))
        loop: Any = portal.loop  # a stdlib selector loop; its selector is private
        timeline.watch(loop._selector)

        def on_the_loop() -> None:
            portal.run(gets_on_the_loop(session, url, args.requests, timeline))

        def lent_round_trips() -> None:
            for _ in range(args.requests):
                timeline.mark("call")
                portal.run(get_body(session, url, timeline))
                timeline.mark("done")

        ways: dict[str, Callable[[], None]] = {"on the loop": on_the_loop, "one lent round trip": lent_round_trips}
        results: dict[str, list[tuple[dict[str, float], float]]] = {name: [] for name in ways}
        for round_number in range(args.rounds + 1):  # round 0 warms up
            for name, way in ways.items():
                way()
                measured = timeline.phases()
                if round_number:
                    results[name].append(measured)
    print(f"Median µs per phase of a GET to the minimal server ({args.rounds} rounds of {args.requests}; each cell")
    print("the median over rounds of the per-round medians):\n")
    print("| way | " + " | ".join(PHASES) + " | selector polls per GET |")
    print("|---|" + "---:|" * (len(PHASES) + 1))
    for name, rounds in results.items():
        cells = [statistics.median(phases[phase] for phases, _ in rounds) for phase in PHASES]
        polls = statistics.median(count for _, count in rounds)
        print(f"| {name} | " + " | ".join(f"{cell:.1f}" for cell in cells) + f" | {polls:.2f} |")


if __name__ == "__main__":
    main()
