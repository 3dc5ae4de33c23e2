"""Errors raised by dualio.twin (each a DualioError and the matching builtin, picklable)."""

from __future__ import annotations

from dualio.errors import DualioError

__all__ = ("GenerateError", "GenerateNote", "TwinClosedError")


class TwinClosedError(DualioError, RuntimeError):
    """An async method of a sync twin was called (or iteration or ``with`` begun) after the twin was closed.

    A twin is closed by its ``close()`` method or by leaving a ``with`` block on a twin whose async class has no
    ``__aenter__`` of its own. Create a new twin instead of reusing a closed one. (Sync methods and attributes
    still reach the closed async object, which decides.)
    """


class GenerateError(DualioError, ValueError):
    """``dualio twin generate`` could not read its targets or an async class it was asked to twin."""


class GenerateNote(UserWarning):
    """Something ``dualio twin generate`` wrote that may not be what was meant (printed as a note, not an error)."""
