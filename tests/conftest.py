"""Shared fixtures: every portal test runs on the stdlib asyncio loop and on uvloop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterator

import pytest
import uvloop

import dualio
from dualio import _default, _policy


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C reaches the tests that send it, however the run was started.

    A command started in the background by a shell without job control (``make test &`` in a script, some CI
    runners) starts with SIGINT ignored, so Python installs no ``KeyboardInterrupt`` handler: the Ctrl-C tests
    then waited for their timeouts and failed. Install the handler Python would have installed; the programs the
    tests start then get SIGINT's default disposition, as from a terminal.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


LoopFactory = Callable[[], asyncio.AbstractEventLoop] | None
LOOP_FACTORIES: dict[str, LoopFactory] = {"asyncio": None, "uvloop": uvloop.new_event_loop}


@pytest.fixture(params=sorted(LOOP_FACTORIES))
def loop_factory(request: pytest.FixtureRequest) -> LoopFactory:
    """The loop factory a portal under test uses: ``None`` (stdlib asyncio) or uvloop's."""
    return LOOP_FACTORIES[request.param]


@pytest.fixture(params=[False, True], ids=["loop-thread", "lent-loop"])
def lend_loop(request: pytest.FixtureRequest) -> bool:
    """Whether the portal under test lends its loop to blocking callers (``Portal(lend_loop=True)``)."""
    return bool(request.param)


@pytest.fixture
def portal(loop_factory: LoopFactory, lend_loop: bool) -> Iterator[dualio.Portal]:
    """A started portal on each supported loop, with and without lending its loop, shut down after the test."""
    with dualio.Portal("test-portal", loop_factory=loop_factory, cancel_grace=2.0, lend_loop=lend_loop) as started:
        yield started


@pytest.fixture(autouse=True)
def _forget_warned_call_sites() -> None:
    """``BlockingCallWarning`` is emitted once per call site per process; each test starts with none seen."""
    _policy._warned_sites.clear()


@pytest.fixture(autouse=True)
def _fresh_default_portal() -> Iterator[None]:
    """Each test starts with no default portal and default settings, and leaves none behind."""
    dualio.shutdown()
    yield
    dualio.shutdown()
    dualio.configure(running_loop_policy="warn", drain_timeout=5.0, cancel_grace=2.0, lend_loop=False, lend_grace=0.002)
    _default._settings.pop("loop_factory", None)
