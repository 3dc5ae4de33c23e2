"""Small coroutines and helpers shared by the portal tests."""

from __future__ import annotations

import asyncio
import signal
import threading
import time


async def noop() -> None:
    """Finish without suspending."""


async def double(value: int) -> int:
    """Return ``2 * value`` after one real suspension."""
    await asyncio.sleep(0)
    return value * 2


class Flags:
    """Thread-safe events a coroutine sets so the test thread can see how far it got."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.cleaned_up = threading.Event()


async def sleep_then_cleanup(flags: Flags, seconds: float = 30.0, cleanup_seconds: float = 0.05) -> str:
    """Sleep (long), and on the way out run an asynchronous cleanup that itself takes time."""
    flags.started.set()
    try:
        await asyncio.sleep(seconds)
        return "finished"
    finally:
        await asyncio.sleep(cleanup_seconds)  # cleanup that needs the loop: only runs if awaited
        flags.cleaned_up.set()


class Boom(Exception):
    """An error raised by the test coroutines."""


async def fail_after_await(message: str = "boom") -> None:
    """Raise :class:`Boom` after one suspension."""
    await asyncio.sleep(0)
    raise Boom(message)


def interrupt_main_thread(started: threading.Event, times: int = 1) -> threading.Thread:
    """Send SIGINT (Ctrl-C) to the main thread ``times`` times, 0.1 s apart, once ``started`` is set."""
    main = threading.main_thread().ident
    assert main is not None

    def interrupt() -> None:
        if started.wait(10):
            for _ in range(times):
                time.sleep(0.1)  # let the main thread reach its wait (an earlier Ctrl-C is covered too, less exactly)
                signal.pthread_kill(main, signal.SIGINT)

    thread = threading.Thread(target=interrupt)
    thread.start()
    return thread
