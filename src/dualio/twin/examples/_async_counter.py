"""A minimal async class for the twin benchmarks: a method that does almost nothing, so the cost measured is
the cost of the call itself. Its generated twin is ``counter.Counter``.
"""

from __future__ import annotations

__all__ = ("AsyncCounter",)


class AsyncCounter:
    """Counts; needs no running loop to be created (so any wrapper can create it)."""

    def __init__(self, start: int = 0) -> None:
        self.total = start

    async def add(self, amount: int) -> int:
        """Add ``amount`` and return the new total (finishes without suspending)."""
        self.total += amount
        return self.total
