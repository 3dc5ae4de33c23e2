"""Fail a test whose event loop was blocked longer than a threshold, and print the stack that blocked.

Off by default. Turn it on for a whole run with ``--dualio-block-threshold=SECONDS`` (or the ini option
``dualio_block_threshold``), or for one test with ``@pytest.mark.dualio_block_threshold(SECONDS)``;
``@pytest.mark.dualio_block_threshold(None)`` lets one test block when the run has the guard on.

How loops are found: while the guard is on, ``run_forever`` of asyncio's ``BaseEventLoop`` and of
``uvloop.Loop`` is wrapped, so every loop that runs in the process is watched while it runs, whoever made it:
``asyncio.run``, ``asyncio.Runner``, ``loop.run_until_complete``, ``uvloop.run``, a ``dualio.Portal``'s thread,
pytest-asyncio's loops. Each run gets a :class:`dualio.monitor.Monitor` (without task tracking) for as long as
it runs. A test phase (setup, call, teardown) fails if a stall was detected during it, with every stall's
stack in the failure message; when the phase already failed, the stalls are added as a report section instead.
A stall is always caught once it lasts longer than ``threshold * 1.25`` (see ``dualio.monitor``); one shorter
than ``threshold`` never is. A per-test threshold applies to loops started during that test; loops already
running (a session-wide portal) keep the threshold they were started with.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import pytest

from dualio.monitor import BlockingEvent, Monitor

__all__ = ("BlockingGuard",)

_OPTION = "--dualio-block-threshold"
_INI = "dualio_block_threshold"
_MARKER = "dualio_block_threshold"
_PLUGIN_NAME = "dualio-blocking-guard"
_UNSET = object()
_RUNNER_PATHS = (f"{os.sep}_pytest{os.sep}", f"{os.sep}pluggy{os.sep}")

_guard: BlockingGuard | None = None  # the guard of the current session; read by the run_forever wrapper
_patched: list[tuple[type, Callable[..., Any], bool]] = []  # (class, original, was defined on the class itself)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dualio")
    group.addoption(
        _OPTION,
        action="store",
        default=None,
        metavar="SECONDS",
        help="fail a test whose event loop was blocked longer than SECONDS (dualio blocking guard; off by default)",
    )
    parser.addini(_INI, "default of --dualio-block-threshold (seconds; empty or 0: off)", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(seconds): fail this test if its event loop blocks longer than seconds (None: allow blocking)",
    )
    option = config.getoption(_OPTION)
    raw = option if option is not None else config.getini(_INI)
    source = _OPTION if option is not None else f"ini option {_INI}"
    guard = BlockingGuard(_parse_threshold(raw, source), source)
    config.pluginmanager.register(guard, _PLUGIN_NAME)
    if guard.session_threshold is not None:
        guard.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    guard = config.pluginmanager.get_plugin(_PLUGIN_NAME)
    if isinstance(guard, BlockingGuard):
        guard.uninstall()
        config.pluginmanager.unregister(guard, _PLUGIN_NAME)


def _parse_threshold(raw: object, source: str) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise pytest.UsageError(f"{source} must be a number of seconds, got {raw!r}") from None
    if math.isnan(value) or value < 0 or math.isinf(value):
        raise pytest.UsageError(f"{source} must be a finite number of seconds >= 0 (0 turns it off), got {raw!r}")
    return value or None


class BlockingGuard:
    """The plugin object: watches running loops and checks each test phase for stalls."""

    def __init__(self, threshold: float | None, source: str = _OPTION) -> None:
        self.session_threshold = threshold
        self.session_source = source
        self.current_threshold = threshold
        self._lock = threading.Lock()
        self._monitors: set[Monitor] = set()
        self._finished: list[BlockingEvent] = []
        self._installed = False

    # -- loop discovery ------------------------------------------------------------------------------------------

    def install(self) -> None:
        """Wrap ``run_forever`` of asyncio's base loop (and uvloop's, if installed) to watch every loop run."""
        global _guard
        if self._installed:
            return
        self._installed = True
        _guard = self
        if _patched:  # another guard (a nested pytester run in this process) already wrapped them
            return
        import asyncio

        classes: list[type] = [asyncio.BaseEventLoop]
        if importlib.util.find_spec("uvloop") is not None:
            import uvloop

            classes.append(uvloop.Loop)
        for cls in classes:
            own = "run_forever" in cls.__dict__  # uvloop.Loop inherits it from its compiled base class
            original: Callable[..., Any] = cls.run_forever  # type: ignore[attr-defined]
            _patched.append((cls, original, own))
            cls.run_forever = _watched_run_forever(original)  # type: ignore[attr-defined]

    def uninstall(self) -> None:
        """Put the original ``run_forever`` methods back."""
        global _guard
        if not self._installed:
            return
        self._installed = False
        if _guard is self:
            _guard = None
            while _patched:
                cls, original, own = _patched.pop()
                if own:
                    cls.run_forever = original  # type: ignore[attr-defined]
                else:
                    del cls.run_forever  # type: ignore[attr-defined]

    def attach(self, loop: Any) -> Monitor | None:
        """Start watching ``loop``, which the calling thread is about to run (``None`` when the guard is off)."""
        threshold = self.current_threshold
        if threshold is None:
            return None
        monitor = Monitor(loop, threshold=threshold, track_tasks=False, log=False, name=threading.current_thread().name)
        monitor._start(loop_thread_id=threading.get_ident())
        with self._lock:
            self._monitors.add(monitor)
        return monitor

    def detach(self, monitor: Monitor) -> None:
        """Stop watching a loop whose ``run_forever`` returned; keep its stalls for the phase check."""
        monitor.stop()
        events = monitor.statistics().recent_blocking_events
        with self._lock:
            self._monitors.discard(monitor)
            self._finished.extend(events)

    # -- test phases ---------------------------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, object, object]:
        return (yield from self._guard_phase(item, "setup"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        return (yield from self._guard_phase(item, "call"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, object, object]:
        return (yield from self._guard_phase(item, "teardown"))

    def _guard_phase(self, item: pytest.Item, phase: str) -> Generator[None, object, object]:
        threshold, source = self._threshold_for(item)
        if threshold is not None:
            self.install()
        self.current_threshold = threshold
        start = time.monotonic()
        with self._lock:
            self._finished = [event for event in self._finished if event.detected_at >= start]
        try:
            result = yield
        except BaseException:
            if threshold is not None and (events := self._stalls_since(start, threshold)):
                item.add_report_section(phase, "dualio blocking guard", _describe(events, threshold, source))
            raise
        finally:
            self.current_threshold = self.session_threshold
        if threshold is not None and (events := self._stalls_since(start, threshold)):
            pytest.fail(_describe(events, threshold, source), pytrace=False)
        return result

    def _threshold_for(self, item: pytest.Item) -> tuple[float | None, str]:
        marker = item.get_closest_marker(_MARKER)
        if marker is None:
            return self.session_threshold, self.session_source
        value = marker.args[0] if marker.args else marker.kwargs.get("seconds", _UNSET)
        if value is _UNSET:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{_MARKER} needs seconds (a number, or None)")
        if value is None:
            return None, f"@pytest.mark.{_MARKER}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value < math.inf):
            raise pytest.UsageError(
                f"{item.nodeid}: @pytest.mark.{_MARKER} takes a positive number of seconds or None, got {value!r}"
            )
        return float(value), f"@pytest.mark.{_MARKER}"

    def _stalls_since(self, start: float, threshold: float) -> list[BlockingEvent]:
        with self._lock:
            monitors = list(self._monitors)
            events = [event for event in self._finished if event.detected_at >= start]
        for monitor in monitors:
            events.extend(monitor._events_detected_since(start))
        return sorted((event for event in events if event.duration >= threshold), key=lambda e: e.detected_at)


def _describe(events: list[BlockingEvent], threshold: float, source: str) -> str:
    head = (
        f"dualio blocking guard: the event loop was blocked longer than {threshold:g} s ({source}) "
        f"{len(events)} time{'s' if len(events) > 1 else ''} during this test:"
    )
    return "\n\n".join([head, *(_without_pytest_frames(event).format() for event in events)])


def _without_pytest_frames(event: BlockingEvent) -> BlockingEvent:
    """Drop the outer frames of pytest's own machinery (test runner, pluggy) from a stall's stack."""
    last = max((i for i, line in enumerate(event.stack) if any(part in line for part in _RUNNER_PATHS)), default=-1)
    return dataclasses.replace(event, stack=event.stack[last + 1 :]) if last >= 0 else event


def _watched_run_forever(original: Callable[[Any], None]) -> Callable[[Any], None]:
    def run_forever(self: Any) -> None:
        guard = _guard
        monitor = guard.attach(self) if guard is not None else None
        try:
            original(self)
        finally:
            if monitor is not None and guard is not None:
                guard.detach(monitor)

    run_forever.__doc__ = original.__doc__
    run_forever.__qualname__ = getattr(original, "__qualname__", "run_forever")
    run_forever.__wrapped__ = original  # type: ignore[attr-defined]
    return run_forever
