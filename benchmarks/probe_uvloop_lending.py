"""Probe (not a run of record): the aiohttp twin's GET on a lending portal whose loop is uvloop.

Measures, in interleaved rounds in one process, the twin's ``with get() as r: body = r.read()`` on a lending
portal on the stdlib loop and on uvloop, against ``asyncio.run`` and ``uvloop.run`` per call and the GET awaited
on one loop of each kind. Results and what they say: README.md, section "Stop 27".

Usage: ``.venv/bin/python benchmarks/probe_uvloop_lending.py {aiohttp|minimal} [--requests N] [--rounds N]``
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack

import uvloop

import dualio
from _harness import Contender, run_interleaved
from _http_servers import BODY, http_server, minimal_http_server
from bench_twin import _asyncio_get, _asyncio_run_get, _get_read, _get_with, _one_loop, _twin_session, per_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server", choices=("aiohttp", "minimal"))
    parser.add_argument("--requests", type=int, default=2000, help="GETs per batch (default 2000)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    arguments = parser.parse_args()
    server = http_server if arguments.server == "aiohttp" else minimal_http_server
    count = arguments.requests
    with ExitStack() as stack:
        url = stack.enter_context(server())
        lent = _twin_session(stack, stack.enter_context(dualio.Portal("lent", lend_loop=True)))
        uv_portal = dualio.Portal("lent-uvloop", lend_loop=True, loop_factory=uvloop.new_event_loop)
        uv_lent = _twin_session(stack, stack.enter_context(uv_portal))

        def uvloop_run_get() -> None:
            assert uvloop.run(_asyncio_get(url)) == BODY

        contenders = [
            Contender("lending twin, stdlib: with", per_call(_get_with(lent, url), count)),
            Contender("lending twin, uvloop: with", per_call(_get_with(uv_lent, url), count)),
            Contender("lending twin, uvloop: get().read()", per_call(_get_read(uv_lent, url), count)),
            Contender("asyncio.run per call", per_call(_asyncio_run_get(url), count)),
            Contender("uvloop.run per call", per_call(uvloop_run_get, count)),
            Contender("one loop, stdlib", _one_loop(stack, url, count)),
            Contender("one loop, uvloop", _one_loop(stack, url, count, uvloop.new_event_loop)),
        ]
        results = run_interleaved(contenders, arguments.rounds)
    baseline = results["asyncio.run per call"].median
    for name, summary in sorted(results.items(), key=lambda item: item[1].median):
        ratio = baseline / summary.median
        print(f"| {name} | {summary.median * 1e6:.1f} µs | asyncio.run per call / this = {ratio:.2f}x |")


if __name__ == "__main__":
    main()
