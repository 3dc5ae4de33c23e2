"""Loop lag as a histogram with fixed buckets, plus exact percentiles over a window of recent samples."""

from __future__ import annotations

import bisect
import math
import threading
from collections import deque

__all__ = ("LAG_BUCKETS", "LagHistogram")

LAG_BUCKETS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    math.inf,
)
"""Upper bounds, in seconds, of the lag histogram's buckets (Prometheus ``le`` labels)."""

RECENT_SAMPLES = 1024


class LagHistogram:
    """Count lag samples into :data:`LAG_BUCKETS`; thread-safe (one writer, readers from any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = [0] * len(LAG_BUCKETS)
        self._sum = 0.0
        self._max = 0.0
        self._recent: deque[float] = deque(maxlen=RECENT_SAMPLES)

    def add(self, seconds: float) -> None:
        """Record one lag sample (a non-negative number of seconds)."""
        index = bisect.bisect_left(LAG_BUCKETS, seconds)
        with self._lock:
            self._counts[index] += 1
            self._sum += seconds
            self._max = max(self._max, seconds)
            self._recent.append(seconds)

    def snapshot(self) -> tuple[tuple[int, ...], float, float, tuple[float | None, float | None, float | None]]:
        """Return (bucket counts, sum, max, (p50, p95, p99) over the recent window)."""
        with self._lock:
            counts = tuple(self._counts)
            total, largest = self._sum, self._max
            recent = sorted(self._recent)
        return counts, total, largest, (_quantile(recent, 0.5), _quantile(recent, 0.95), _quantile(recent, 0.99))


def _quantile(ordered: list[float], fraction: float) -> float | None:
    """The nearest-rank quantile of sorted samples, ``None`` if there are none."""
    if not ordered:
        return None
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
