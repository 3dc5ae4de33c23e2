"""Per-instance control of sync twins: timeouts, the portal, the async object, the closed state.

These are module functions taking the twin, not methods or reserved keyword arguments, so they can never
collide with a name or a keyword argument of the async class.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, TypeVar

from dualio._portal import Portal
from dualio._validate import check_timeout

from ._runtime import Twin, _check_twin, scoped_portal, scoped_timeout

__all__ = ("get_timeout", "is_closed", "portal_of", "set_timeout", "timeout", "unwrap", "use_portal")

A = TypeVar("A")


def set_timeout(twin: Twin[Any], seconds: float | None) -> None:
    """Set the default timeout of every later call on ``twin`` (``None``: no limit, the initial setting).

    A call that takes longer is cancelled on the loop and raises ``TimeoutError``, as ``dualio.run`` does. For
    iterators the timeout limits the wait for each item. Twins returned by ``twin``'s methods start with the
    timeout ``twin`` has when they are created.

    Raises:
        TypeError: ``twin`` is not a sync twin.
        InvalidTimeoutError: ``seconds`` is not ``None`` or a non-negative number.
    """
    _check_twin(twin, "dualio.twin.set_timeout")
    twin._dualio_timeout = check_timeout(seconds, "dualio.twin.set_timeout")


def get_timeout(twin: Twin[Any]) -> float | None:
    """Return the default timeout of ``twin`` (``None``: no limit); scoped overrides are not included."""
    return _check_twin(twin, "dualio.twin.get_timeout")._dualio_timeout


def timeout(seconds: float | None, /, *twins: Twin[Any]) -> AbstractContextManager[None]:
    """Override the timeout of calls made inside a ``with`` block, on ``twins`` or, if none given, on every twin.

    The override belongs to the current context (thread, or task): other threads keep their own timeouts.
    Nested blocks stack; the innermost that applies to a twin wins. It also applies to twin constructors and
    class-level calls when no twins are given. ``seconds=None`` lifts the limit inside the block.

    Raises (on entry):
        TypeError: one of ``twins`` is not a sync twin.
        InvalidTimeoutError: ``seconds`` is not ``None`` or a non-negative number.
    """
    return scoped_timeout(seconds, twins)


def use_portal(portal: Portal) -> AbstractContextManager[Portal]:
    """Create twins (constructors and class-level calls) on ``portal`` inside a ``with`` block.

    Outside such a block twins are created on the default portal. A twin stays pinned to the portal it was
    created on for its whole life, whatever block it is later used in; so do the twins its methods return.

    Raises ``TypeError`` (on entry) if ``portal`` is not a :class:`dualio.Portal`.
    """
    return scoped_portal(portal)


def portal_of(twin: Twin[Any]) -> Portal:
    """Return the portal ``twin`` is pinned to (its async object lives on that portal's loop)."""
    return _check_twin(twin, "dualio.twin.portal_of")._dualio_portal


def unwrap(twin: Twin[A]) -> A:
    """Return the async object behind ``twin``.

    It belongs to the loop of ``portal_of(twin)``: use it only in coroutines run on that portal (for example
    ``portal_of(twin).run(unwrap(twin).method())``), never on another loop.
    """
    obj: A = _check_twin(twin, "dualio.twin.unwrap")._dualio_obj
    return obj


def is_closed(twin: Twin[Any]) -> bool:
    """Tell whether ``twin`` was closed (by ``close()`` or by leaving a ``with`` block that closes it)."""
    return _check_twin(twin, "dualio.twin.is_closed")._dualio_closed
