"""Re-run a whole unit of work on transient failures, with exponential backoff and full jitter."""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from ._translate import is_transient

logger = logging.getLogger("dualio.db")

T = TypeVar("T")


@dataclass(frozen=True)
class Retry:
    """How to re-run a unit of work after a transient failure.

    ``attempts`` counts the first run (``Retry(attempts=1)`` never retries). Before attempt *n* + 1 the caller
    sleeps a random time between 0 and ``min(max_delay, base_delay * 2 ** (n - 1))`` seconds ("full jitter"),
    so that units that collided do not collide again in step.
    """

    attempts: int = 3
    base_delay: float = 0.05
    max_delay: float = 2.0

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int) or self.attempts < 1:
            raise ValueError(f"Retry(attempts=) must be an int >= 1, got {self.attempts!r}")
        for name in ("base_delay", "max_delay"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"Retry({name}=) must be a finite number of seconds >= 0, got {value!r}")

    def delay(self, failed_attempt: int) -> float:
        """Return the pause before the attempt after ``failed_attempt`` (1-based)."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (failed_attempt - 1)))


def _should_retry(error: BaseException, attempt: int, policy: Retry) -> bool:
    if attempt >= policy.attempts or not is_transient(error):
        return False
    logger.info(
        "transient database failure on attempt %d of %d, running the unit again: %s", attempt, policy.attempts, error
    )
    return True


def retrying(attempt: Callable[[], T], policy: Retry) -> T:
    """Call ``attempt()`` until it succeeds, a non-transient error occurs, or the attempts run out."""
    number = 1
    while True:
        try:
            return attempt()
        except Exception as error:
            if not _should_retry(error, number, policy):
                raise
        time.sleep(policy.delay(number))
        number += 1


async def retrying_async(attempt: Callable[[], Awaitable[T]], policy: Retry) -> T:
    """Await ``attempt()`` until it succeeds, a non-transient error occurs, or the attempts run out."""
    number = 1
    while True:
        try:
            return await attempt()
        except Exception as error:
            if not _should_retry(error, number, policy):
                raise
        await asyncio.sleep(policy.delay(number))
        number += 1
