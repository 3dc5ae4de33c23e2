"""``awaitable_in_fact``: what to await for a value a sync method returned, or None if it is awaitable only in
name.

A twin awaits what a sync method of the async object returns when it is awaitable (redis-py's commands, botocore's
API methods). Some objects have an ``__await__`` that returns the object itself, which is no iterator: psqlpy's
``Transaction``, ``Cursor`` and ``Listener`` (pyo3 classes; their stubs declare no ``__await__``). ``await`` on
them fails in asyncio too ("__await__() returned non-iterator"), so their async callers never await them: they
use ``tx = conn.transaction()`` as it is, then ``await tx.begin()``. The twin gives them as they are too (review
32a: ``tx = conn.transaction()`` on a twin raised that ``TypeError``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Generator
from types import CoroutineType
from typing import Any

__all__ = ("awaitable_in_fact",)


def awaitable_in_fact(value: Awaitable[Any]) -> Awaitable[Any] | None:
    """What to ``await`` for ``value``: ``value`` itself, or the iterator its ``__await__`` made, to be awaited as
    ``await value`` would (with the same errors); None if that ``__await__`` returned ``value`` and it is no
    iterator (awaitable in name only: give ``value`` as it is). No coroutine is made for the check.
    """
    cls = type(value)
    if cls is CoroutineType or isinstance(value, asyncio.Future):
        return value
    method = getattr(cls, "__await__", None)
    if method is None:  # a generator-based coroutine (@types.coroutine): awaitable by its code flags
        return value
    iterator = method(value)
    if iterator is value and not hasattr(cls, "__next__"):
        return None
    return _Yielding(iterator)


class _Yielding:
    """An awaitable whose ``__await__`` gives an iterator already made (by the value's own ``__await__``)."""

    __slots__ = ("_iterator",)

    def __init__(self, iterator: Generator[Any, None, Any]) -> None:
        self._iterator = iterator

    def __await__(self) -> Generator[Any, None, Any]:
        return self._iterator
