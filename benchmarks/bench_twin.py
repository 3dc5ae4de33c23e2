"""Sync twins: the cost of a twin call, and 5,000 sequential HTTP GETs through an aiohttp twin against peers.

Claims measured (issue 4):

1. a generated twin's method call costs at most 1.15x ``dualio.run`` of the same coroutine (one portal round
   trip either way; the twin adds its bookkeeping);
2. it is at least 2x faster than synchronicity's blocking wrapper of the same class;
3. ``--requests`` (5,000) sequential GETs to a local aiohttp server through a ``ClientSession`` twin are at least as
   fast as ``httpx.Client`` (the twin used as aiohttp's docs show it, ``with session.get(url) as response:
   body = response.read()``: one portal round trip per GET, the block being one method call on the response;
   shown too: the body compared inside the block, three round trips (the form this benchmark measured until
   2026-12-05), ``session.get(url).read()``, two, the first form on a uvloop portal, and the call on a line of
   its own, four);
4. and at least 3x faster than ``asyncio.run`` of an aiohttp GET per call (a new loop, session and connection
   each time). Two bounds run beside them: the same GET awaited on one loop (no sync code at all) and sent from
   sync code with ``dualio.run`` (one round trip); no sync wrapper can beat the first.

Claims 3 and 4 run against two local servers (``_http_servers.py``), each in a subprocess so that client and
server get a core each: an aiohttp app (one worker), whose own 60-70 µs of Python per request is in every
contender's time, and a minimal uvloop protocol answering with a fixed response in a few microseconds, against
which the ratios show the clients' own costs. Beside the second runs a diagnostic: the one-loop bound on a
selector that busy-polls for up to 100 µs before sleeping, which shows what the machine's wake-ups cost. The
twin-call table has a floor too: asyncio's own ``loop.run_until_complete`` on the caller's loop, the cheapest
way sync code can run a coroutine. The report ends with the budget 3x leaves each sync-to-async crossing.

Every contender runs in interleaved rounds in this process (see ``_harness.py``); the table reports the median,
min and p90 over rounds, and ratios of medians. Twin calls run in many short rounds (31 x 2,000 calls), so that
a burst of load on the shared machine hits every contender alike; the GETs in 5 rounds of 5,000 each (3 before
2026-12-05 noon: with 3, one slow second on the VM could move a median by a fifth).

Run: ``.venv/bin/python benchmarks/bench_twin.py`` (``--quick`` for a smoke test of a few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import selectors
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import aiohttp
import httpx
import requests
import synchronicity
import uvloop

import dualio
from _harness import Contender, Summary, Target, default_output, markdown_table, publish, report, run_interleaved
from _http_servers import BODY, http_server, minimal_http_server
from dualio.twin import _dynamic, sync_class, unwrap, use_portal
from dualio.twin.examples._async_counter import AsyncCounter
from dualio.twin.examples.counter import Counter

DUALIO_RUN = "dualio.run(coroutine)"
GENERATED = "generated twin: counter.add(1)"
RUNTIME = "sync_class twin: counter.add(1)"
SYNCHRONICITY = "synchronicity wrapper: counter.add(1)"
TWIN_HTTP = "aiohttp twin: with get() as r: body = r.read()"
TWIN_HTTP_CHECKED = "aiohttp twin: with get() as r: check r.read() in the block"
TWIN_HTTP_SHORT = "aiohttp twin: get().read()"
TWIN_HTTP_UNMERGED = "aiohttp twin: m = get(); with m as r: r.read()"
TWIN_HTTP_UVLOOP = "aiohttp twin on a uvloop portal: with get()"
HTTPX = "httpx.Client"
REQUESTS = "requests.Session"
ASYNCIO_RUN = "asyncio.run(aiohttp GET) per call"
ONE_LOOP = "bound: aiohttp GET on one loop (no sync code)"
ONE_TRIP = "bound: dualio.run(GET coroutine), one round trip"
TWIN_HTTP_LENT = "aiohttp twin on a lending portal: with get() as r: body = r.read()"
TWIN_HTTP_LENT_CHECKED = "aiohttp twin on a lending portal: with get() as r: check r.read() in the block"
TWIN_HTTP_LENT_SHORT = "aiohttp twin on a lending portal: get().read()"
LENT_RUN = "dualio.run(coroutine) on a lending portal"
LENT_GENERATED = "generated twin on a lending portal: counter.add(1)"
ASYNCIO_FLOOR = "asyncio floor: loop.run_until_complete(coroutine) on the caller's own loop"
BUSY_POLL = "diagnostic: the bound, busy-polling up to 100 µs before each sleep"
PACKAGES = ("dualio", "aiohttp", "httpx", "requests", "synchronicity", "uvloop")


def per_call(call: Callable[[], object], calls: int) -> Callable[[], float]:
    """A measure timing ``calls`` calls in a row; returns the mean seconds per call."""

    def measure() -> float:
        perf_counter = time.perf_counter
        start = perf_counter()
        for _ in range(calls):
            call()
        return (perf_counter() - start) / calls

    return measure


def call_contenders(stack: ExitStack, calls: int) -> list[Contender]:
    """Claims 1 and 2: the same ``AsyncCounter.add`` coroutine through each wrapper."""
    generated = Counter()
    stack.callback(generated.close)
    runtime_cls: Any = _dynamic._build(AsyncCounter, "Counter")  # built like sync_class's, not registered
    runtime = runtime_cls()
    stack.callback(runtime.close)
    async_counter = unwrap(generated)  # lives on the default portal's loop, like the twins
    lending = stack.enter_context(dualio.Portal("bench-lending", lend_loop=True))
    with use_portal(lending):
        lent_generated = Counter()
    stack.callback(lent_generated.close)
    lent_counter = unwrap(lent_generated)
    synchronizer = synchronicity.Synchronizer()
    blocking_cls = synchronizer.wrap(AsyncCounter, name="BlockingCounter", target_module=__name__)
    blocking = blocking_cls()
    own_loop = asyncio.new_event_loop()  # the stdlib loop, run by this thread: no portal, no other thread
    stack.callback(own_loop.close)
    own_counter = AsyncCounter()
    return [
        Contender(ASYNCIO_FLOOR, per_call(lambda: own_loop.run_until_complete(own_counter.add(1)), calls)),
        Contender(DUALIO_RUN, per_call(lambda: dualio.run(async_counter.add(1)), calls)),
        Contender(GENERATED, per_call(lambda: generated.add(1), calls)),
        Contender(RUNTIME, per_call(lambda: runtime.add(1), calls)),
        Contender(SYNCHRONICITY, per_call(lambda: blocking.add(1), calls)),
        Contender(LENT_RUN, per_call(lambda: lending.run(lent_counter.add(1)), calls)),
        Contender(LENT_GENERATED, per_call(lambda: lent_generated.add(1), calls)),
    ]


async def _asyncio_get(url: str) -> bytes:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.read()


async def new_session() -> aiohttp.ClientSession:
    """A ClientSession made on the running loop (bench_hand_over.py uses it too)."""
    return aiohttp.ClientSession()


async def get_body(session: aiohttp.ClientSession, url: str) -> bytes:
    """One GET with its body read, as aiohttp's docs write it (bench_hand_over.py uses it too)."""
    async with session.get(url) as response:
        return await response.read()


async def _timed_gets(session: aiohttp.ClientSession, url: str, count: int) -> float:
    """Mean seconds per GET of ``count`` GETs awaited in a row on the running loop."""
    start = time.perf_counter()
    for _ in range(count):
        await get_body(session, url)
    return (time.perf_counter() - start) / count


class _BusyPollSelector(selectors.EpollSelector):
    """An epoll selector that polls without sleeping for up to 100 µs before each blocking wait.

    Diagnostic only (it keeps a core busy): the difference it makes to the one-loop bound is what waking a
    sleeping thread costs on this machine, which every contender pays at least once per GET.
    """

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout <= 0:
            return super().select(0)
        clock = time.perf_counter
        stop = clock() + 100e-6
        while clock() < stop:
            ready = super().select(0)
            if ready:
                return ready
        return super().select(timeout)


def _twin_session(stack: ExitStack, portal: dualio.Portal | None = None) -> Any:
    """A ``ClientSession`` twin on ``portal`` (the default portal if None), closed with ``stack``."""
    session_cls: Any = sync_class(aiohttp.ClientSession)
    if portal is None:
        return stack.enter_context(session_cls())
    with use_portal(portal):
        return stack.enter_context(session_cls())


def _get_with(twin: Any, url: str) -> Callable[[], None]:
    """A GET as aiohttp's docs write it: ``with get(url) as response: body = response.read()`` (1 round trip).

    The block's body is one method call on the response, so the GET, ``__aenter__``, ``read()`` and ``__aexit__``
    run in the ``with`` line's round trip (``dualio.twin._whole_block``).
    """

    def get() -> None:
        with twin.get(url) as response:
            body = response.read()
        assert body == BODY

    return get


def _get_with_checked(twin: Any, url: str) -> Callable[[], None]:
    """The body compared inside the block: code runs between the read and ``__aexit__`` (3 round trips)."""

    def get() -> None:
        with twin.get(url) as response:
            assert response.read() == BODY

    return get


def _get_read(twin: Any, url: str) -> Callable[[], None]:
    """``get(url).read()``: reading the body to its end releases the connection (2 round trips, not 3)."""

    def get() -> None:
        assert twin.get(url).read() == BODY

    return get


def _httpx_get(client: httpx.Client, url: str) -> Callable[[], None]:
    def get() -> None:
        assert client.get(url).content == BODY

    return get


def _asyncio_run_get(url: str) -> Callable[[], None]:
    def get() -> None:
        assert asyncio.run(_asyncio_get(url)) == BODY

    return get


def _one_loop(
    stack: ExitStack, url: str, count: int, loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
) -> Callable[[], float]:
    """The bound: ``count`` GETs awaited in a row on one loop (no sync boundary at all), per GET."""
    runner = stack.enter_context(asyncio.Runner(loop_factory=loop_factory))
    session = runner.run(new_session())
    stack.callback(lambda: runner.run(session.close()))
    return lambda: runner.run(_timed_gets(session, url, count))


def http_contenders(stack: ExitStack, url: str, count: int) -> list[Contender]:
    """Claims 3 and 4: ``count`` sequential GETs per batch, the body read each time."""
    twin = _twin_session(stack)
    uv_twin = _twin_session(
        stack, stack.enter_context(dualio.Portal("bench-uvloop", loop_factory=uvloop.new_event_loop))
    )
    lent_twin = _twin_session(stack, stack.enter_context(dualio.Portal("bench-lending-http", lend_loop=True)))
    httpx_client = stack.enter_context(httpx.Client())
    requests_session = stack.enter_context(requests.Session())

    def twin_get_unmerged() -> None:  # the call not written in the with line: awaited, then entered (4 trips)
        manager = twin.get(url)
        with manager as response:
            assert response.read() == BODY

    def requests_get() -> None:
        assert requests_session.get(url).content == BODY

    # The second bound: the GET sent from sync code in one portal round trip (the fewest any sync wrapper makes).
    portal_session = dualio.run(new_session())
    stack.callback(lambda: dualio.run(portal_session.close()))

    def one_trip_get() -> None:
        assert dualio.run(get_body(portal_session, url)) == BODY

    return [
        Contender(TWIN_HTTP, per_call(_get_with(twin, url), count)),
        Contender(TWIN_HTTP_CHECKED, per_call(_get_with_checked(twin, url), count)),
        Contender(TWIN_HTTP_SHORT, per_call(_get_read(twin, url), count)),
        Contender(TWIN_HTTP_UNMERGED, per_call(twin_get_unmerged, count)),
        Contender(TWIN_HTTP_UVLOOP, per_call(_get_with(uv_twin, url), count)),
        Contender(TWIN_HTTP_LENT, per_call(_get_with(lent_twin, url), count)),
        Contender(TWIN_HTTP_LENT_CHECKED, per_call(_get_with_checked(lent_twin, url), count)),
        Contender(TWIN_HTTP_LENT_SHORT, per_call(_get_read(lent_twin, url), count)),
        Contender(HTTPX, per_call(_httpx_get(httpx_client, url), count)),
        Contender(REQUESTS, per_call(requests_get, count)),
        Contender(ASYNCIO_RUN, per_call(_asyncio_run_get(url), count)),
        Contender(ONE_LOOP, _one_loop(stack, url, count)),
        Contender(ONE_TRIP, per_call(one_trip_get, count)),
    ]


def minimal_server_contenders(stack: ExitStack, url: str, count: int) -> list[Contender]:
    """Claims 3 and 4 again, against a server whose own cost is a few microseconds (``_http_servers.py``).

    The aiohttp server's 60-70 µs of Python per request is part of every contender's time and so compresses
    every ratio; here what is left is each client's own work and the machine's wake-ups.
    """
    twin = _twin_session(stack)
    lent_twin = _twin_session(stack, stack.enter_context(dualio.Portal("bench-lending-minimal", lend_loop=True)))
    httpx_client = stack.enter_context(httpx.Client())

    def busy_poll_loop() -> asyncio.AbstractEventLoop:
        return asyncio.SelectorEventLoop(_BusyPollSelector())

    return [
        Contender(TWIN_HTTP, per_call(_get_with(twin, url), count)),
        Contender(TWIN_HTTP_LENT, per_call(_get_with(lent_twin, url), count)),
        Contender(TWIN_HTTP_LENT_CHECKED, per_call(_get_with_checked(lent_twin, url), count)),
        Contender(TWIN_HTTP_LENT_SHORT, per_call(_get_read(lent_twin, url), count)),
        Contender(HTTPX, per_call(_httpx_get(httpx_client, url), count)),
        Contender(ASYNCIO_RUN, per_call(_asyncio_run_get(url), count)),
        Contender(ONE_LOOP, _one_loop(stack, url, count)),
        Contender(BUSY_POLL, _one_loop(stack, url, count, busy_poll_loop)),
    ]


def table(summaries: dict[str, Summary], baseline: str, batch: int) -> str:
    base = summaries[baseline].median
    rows = []
    for name, summary in sorted(summaries.items(), key=lambda item: item[1].median):
        micro = [f"{value * 1e6:.1f}" for value in (summary.median, summary.min, summary.quantile(0.9))]
        rows.append([name, str(batch), *micro, f"{summary.median / base:.2f}x"])
    headers = ["contender", "calls/batch", "median µs/call", "min µs", "p90 µs", f"vs {baseline}"]
    return markdown_table(headers, rows)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=None, help="rounds of twin calls (default 31; 1 with --quick)")
    parser.add_argument("--calls", type=int, default=None, help="twin calls per batch (default 2000; 200 quick)")
    parser.add_argument("--http-rounds", type=int, default=None, help="rounds of GETs (default 5; 1 with --quick)")
    parser.add_argument("--requests", type=int, default=None, help="GETs per batch (default 5000; 50 quick)")
    parser.add_argument("--quick", action="store_true", help="small numbers for a smoke test; writes no file")
    parser.add_argument("--output", default=None, help="Markdown file to write (default results/twin.md)")
    parser.add_argument("--gc-off", action="store_true", help="disable the cyclic garbage collector while measuring")
    args = parser.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 31)
    args.calls = args.calls or (200 if args.quick else 2_000)
    args.http_rounds = args.http_rounds or (1 if args.quick else 5)
    args.requests = args.requests or (50 if args.quick else 5_000)
    return args


_CROSSINGS = (("the `with` form's 1 crossing", 1), ("`get().read()`'s 2", 2), ("a checked `with`'s 3", 3))


def _budget_line(server: str, gets: dict[str, Summary]) -> str:
    """What 3x over ``asyncio.run`` per call leaves each sync-to-async crossing of a GET (none if the bound is over)."""
    target = gets[ASYNCIO_RUN].median / 3
    spare = target - gets[ONE_LOOP].median
    bound = f"the one-loop bound takes {gets[ONE_LOOP].median * 1e6:.1f}"
    if spare <= 0:
        return f"Budget for 3x against the {server}: a GET may take {target * 1e6:.1f} µs; {bound}: no sync code can."
    per_crossing = "; ".join(f"{spare / crossings * 1e6:.1f} µs for each of {form}" for form, crossings in _CROSSINGS)
    return (
        f"Budget for 3x against the {server}: a GET may take {target * 1e6:.1f} µs (a third of `asyncio.run` per "
        f"call); {bound}, which leaves {per_crossing}."
    )


def main() -> None:
    args = parse_arguments()
    with ExitStack() as stack:
        calls = run_interleaved(call_contenders(stack, args.calls), args.rounds, gc_off=args.gc_off)
    http_rounds = args.http_rounds
    with ExitStack() as stack:
        url = stack.enter_context(http_server())
        gets = run_interleaved(http_contenders(stack, url, args.requests), http_rounds, gc_off=args.gc_off)
    with ExitStack() as stack:
        url = stack.enter_context(minimal_http_server())
        minimal = run_interleaved(minimal_server_contenders(stack, url, args.requests), http_rounds, gc_off=args.gc_off)
    generated = calls[GENERATED].median
    lent_generated = calls[LENT_GENERATED].median
    twin_http = gets[TWIN_HTTP].median
    lent_http = gets[TWIN_HTTP_LENT].median
    asyncio_run = gets[ASYNCIO_RUN].median
    minimal_asyncio_run = minimal[ASYNCIO_RUN].median
    targets = [
        Target(
            "generated twin call <= 1.15x dualio.run of the same coroutine",
            generated / calls[DUALIO_RUN].median,
            1.15,
            at_most=True,
        ),
        Target(
            "the same on a lending portal (both calls on it)",
            lent_generated / calls[LENT_RUN].median,
            1.15,
            at_most=True,
        ),
        Target(
            "generated twin call >= 2x faster than synchronicity's wrapper",
            calls[SYNCHRONICITY].median / generated,
            2.0,
        ),
        Target(
            "aiohttp twin GET at least as fast as httpx.Client (httpx time / twin time >= 1)",
            gets[HTTPX].median / twin_http,
            1.0,
        ),
        Target(
            "the same on a lending portal (Portal(lend_loop=True))",
            gets[HTTPX].median / lent_http,
            1.0,
        ),
        Target("aiohttp twin GET >= 3x faster than asyncio.run per call", asyncio_run / twin_http, 3.0),
        Target("the same on a lending portal", asyncio_run / lent_http, 3.0),
        Target(
            "against the minimal server: aiohttp twin GET >= 3x faster than asyncio.run per call",
            minimal_asyncio_run / minimal[TWIN_HTTP].median,
            3.0,
        ),
        Target(
            "the same on a lending portal",
            minimal_asyncio_run / minimal[TWIN_HTTP_LENT].median,
            3.0,
        ),
    ]

    def reach(results: dict[str, Summary], forms: tuple[tuple[str, str], ...]) -> str:
        run_time = results[ASYNCIO_RUN].median
        return "; ".join(f"{label}: {run_time / results[name].median:.2f}x" for label, name in forms)

    twin_forms = (
        ("the `with` form on a lending portal", TWIN_HTTP_LENT),
        ("the `with` form checked in the block on a lending portal", TWIN_HTTP_LENT_CHECKED),
        ("`get().read()` on a lending portal", TWIN_HTTP_LENT_SHORT),
        ("the `with` form", TWIN_HTTP),
    )
    aiohttp_reach = reach(
        gets,
        (
            ("one loop", ONE_LOOP),
            ("one round trip", ONE_TRIP),
            *twin_forms,
            ("the `with` form checked in the block", TWIN_HTTP_CHECKED),
            ("`get().read()`", TWIN_HTTP_SHORT),
        ),
    )
    minimal_reach = reach(minimal, (("one loop", ONE_LOOP), ("busy-polling one loop", BUSY_POLL), *twin_forms))
    crossing_costs = (
        f"A crossing whose coroutine finishes without suspending (the twin-call table) costs "
        f"{calls[LENT_RUN].median * 1e6:.1f} µs on a lending portal, {calls[DUALIO_RUN].median * 1e6:.1f} on the "
        f"default portal and {calls[ASYNCIO_FLOOR].median * 1e6:.1f} with asyncio's own `run_until_complete`; "
        "one that waits for I/O costs more (the loop sleeps and is woken)."
    )
    body = "\n\n".join(
        [
            f"Twin calls ({args.calls} per batch, {args.rounds} rounds):",
            table(calls, DUALIO_RUN, args.calls),
            f"Sequential GETs to a local aiohttp server ({args.requests} per batch, {http_rounds} rounds; each reads "
            "the 11-byte body):",
            table(gets, TWIN_HTTP, args.requests),
            f"The same GETs to the minimal server (`_http_servers.py`: a bare uvloop protocol answering with a fixed "
            f"response; {args.requests} per batch, {http_rounds} rounds):",
            table(minimal, TWIN_HTTP, args.requests),
            f"How far 3x was within reach in this run, as `asyncio.run` per call's time over each form's. Against the "
            f"aiohttp server: {aiohttp_reach}. Against the minimal server: {minimal_reach}.",
            _budget_line("aiohttp server", gets),
            _budget_line("minimal server", minimal),
            crossing_costs,
        ]
    )
    intro = (
        "A generated twin's call against `dualio.run` of the same coroutine and synchronicity's wrapper of the same "
        "class (`AsyncCounter.add`, which finishes without suspending), and sequential GETs through an aiohttp "
        "`ClientSession` twin against `httpx.Client`, `requests.Session` and `asyncio.run` per call, to two local "
        "servers."
    )
    publish(report("Sync twins", intro, body, targets, PACKAGES), default_output("twin.md", args.quick, args.output))


if __name__ == "__main__":
    main()
