"""Functions that block an event loop, each with the line that blocks marked by a ``# blocks here`` comment."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any


def sleep_on_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # blocks here


def spin_on_the_loop(seconds: float) -> int:
    deadline = time.monotonic() + seconds
    spins = 0
    while time.monotonic() < deadline:  # blocks here
        spins += 1  # blocks here
    return spins


def blocking_lines(fn: Callable[..., Any]) -> set[int]:
    """The line numbers of ``fn`` marked ``# blocks here``."""
    lines, first = inspect.getsourcelines(fn)
    return {first + offset for offset, line in enumerate(lines) if line.rstrip().endswith("# blocks here")}
