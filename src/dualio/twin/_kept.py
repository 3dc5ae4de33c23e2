"""What a twin's async object keeps when the twin is dropped: that it was closed, and the default timeout set on it.

Twins are held weakly (``_registry``): a twin nobody holds is forgotten, and the next call or attribute that gives
its async object makes a new one. Without this module the new twin would start open and with its parent's
timeout, so ``proc.stdin.close()`` followed by ``proc.stdin.write(...)`` (asyncssh: each ``proc.stdin`` read gives
the twin of the same ``SSHWriter``) would run on a closed writer, and ``set_timeout(proc.stdout, 0.3)`` would be
lost by the next ``proc.stdout.readline()``. So ``close()`` and ``set_timeout()`` record their effect here, keyed by
the async object, and a new twin of that object starts with it (``_registry.twin_for``).

An entry lives as long as its async object (a weak reference removes it); an object that cannot be weakly
referenced keeps nothing, and its next twin starts afresh. A close's result is kept only if it is a plain scalar
(``None``, ``bool``, a number, ``str``, ``bytes``): anything else could hold the async object itself alive.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ("keep", "kept")

_SCALARS = frozenset({type(None), bool, int, float, str, bytes})
_lock = threading.RLock()  # reentrant: a weak reference's callback (_dropper) may run inside keep(), on a collection
_entries: dict[int, tuple[weakref.ref[Any], dict[str, Any]]] = {}  # id(async object) -> (ref, slot values)


def keep(obj: object, **slots: Any) -> None:
    """Record twin slot values (``_dualio_closed=True``, ``_dualio_timeout=0.3``) that a later twin of ``obj``
    starts with. A ``_dualio_close_result`` that is not a plain scalar is kept as None."""
    result = slots.get("_dualio_close_result")
    if type(result) not in _SCALARS:
        slots["_dualio_close_result"] = None
    key = id(obj)
    with _lock:
        entry = _entries.get(key)
        if entry is None or entry[0]() is not obj:
            try:
                ref = weakref.ref(obj, _dropper(key))
            except TypeError:  # no weak references (a class with __slots__ and no __weakref__): nothing kept
                return
            entry = _entries[key] = (ref, {})
        entry[1].update(slots)


def kept(obj: object) -> dict[str, Any]:
    """The slot values recorded for ``obj`` (empty if none)."""
    entry = _entries.get(id(obj))
    if entry is None or entry[0]() is not obj:
        return {}
    return dict(entry[1])


def _dropper(key: int) -> Callable[[weakref.ref[Any]], None]:
    def drop(ref: weakref.ref[Any]) -> None:
        with _lock:
            if key in _entries and _entries[key][0] is ref:
                del _entries[key]

    return drop
