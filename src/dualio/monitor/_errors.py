"""Errors raised by :mod:`dualio.monitor`."""

from __future__ import annotations

from dualio.errors import DualioError

__all__ = ("LoopNotRunningError",)


class LoopNotRunningError(DualioError, RuntimeError):
    """The loop to watch is closed, not running, or there is no running loop to pick.

    A monitor watches a loop that is running: start it from inside a coroutine (``watch()`` picks the running
    loop), pass a loop that another thread is running (``watch(loop)``), or pass a ``dualio.Portal``.
    """
