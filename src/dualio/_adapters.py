"""Sync faces for async iterators and async context managers, driven through a portal.

Every dunder of the async object (``__aiter__``, ``__anext__``, ``aclose``, ``__aenter__``, ``__aexit__``) is
called on the portal's loop, never in the caller's thread, so loop-bound objects are only touched there.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ._hosting import HeldBlock
from ._validate import describe, discard, named
from .errors import PortalClosedError

if TYPE_CHECKING:
    from ._portal import Portal

__all__ = ("enter", "iterate")

T = TypeVar("T")


def iterate(portal: Portal, async_iterable: AsyncIterable[T], timeout: float | None) -> Iterator[T]:
    """Check the arguments now (not at the first ``next()``), then return the sync iterator."""
    if not hasattr(type(async_iterable), "__aiter__"):
        discard(async_iterable)
        hint = "; for a coroutine use dualio.run()" if hasattr(async_iterable, "__await__") else ""
        raise TypeError(f"iterate() expects an async iterable (with __aiter__), got {describe(async_iterable)}{hint}")
    portal._check_blocking_call("iterate")
    return _steps(portal, contextvars.copy_context(), async_iterable, timeout)


def _steps(
    portal: Portal, context: contextvars.Context, async_iterable: AsyncIterable[T], timeout: float | None
) -> Iterator[T]:
    iterator: AsyncIterator[T] = portal._run_in_context(context, _aiter, async_iterable)
    name = _step_name(iterator)
    exhausted = False
    try:
        while True:
            step = _anext(iterator)
            step.__qualname__ = name  # type: ignore[attr-defined]  # what a timeout message names
            if (item := portal._run_in_context(context, step, timeout=timeout)) is _END:
                exhausted = True
                break
            yield item
    finally:
        # Left early (break, close, an error): aclose() it. Run to its end, an async generator is finished
        # already, and another iterator (a cursor, a stream, a client that is its own iterator) is left as an
        # `async for` leaves it: its aclose() may close the object itself.
        if not exhausted:
            _aclose(portal, context, iterator)


def _aclose(portal: Portal, context: contextvars.Context, iterator: AsyncIterator[Any]) -> None:
    """``aclose()`` the async iterator on the loop: waited for, unless this is the loop's own thread."""
    if not hasattr(iterator, "aclose") or portal.closed:
        return
    if portal._on_loop_thread():  # the sync iterator was garbage-collected on the loop
        portal.submit(iterator.aclose())
        return
    try:
        portal._run_in_context(context, _aclose_async, iterator, timeout=portal.cancel_grace)
    except PortalClosedError:
        pass  # shut down meanwhile: the loop closed its async generators itself


def _step_name(iterator: AsyncIterator[Any]) -> str:
    """How a timeout names one step: the async generator (``AsyncFeed.items``), else ``Class.__anext__``."""
    name = getattr(iterator, "__qualname__", None)
    return name if isinstance(name, str) else f"{type(iterator).__qualname__}.__anext__"


async def _aclose_async(iterator: AsyncIterator[Any]) -> None:
    await iterator.aclose()  # type: ignore[attr-defined]


async def _aiter(async_iterable: AsyncIterable[T]) -> AsyncIterator[T]:
    return aiter(async_iterable)


_END: Any = object()


async def _anext(iterator: AsyncIterator[T]) -> T:
    """Return the next item, or ``_END`` when exhausted (a normal end, not a failed task)."""
    return await anext(iterator, _END)


def enter(
    portal: Portal, async_cm: AbstractAsyncContextManager[T], timeout: float | None = None
) -> AbstractContextManager[T, bool]:
    """Check the arguments now, then return the sync context manager (``timeout`` limits each half)."""
    cls = type(async_cm)
    if not (hasattr(cls, "__aenter__") and hasattr(cls, "__aexit__")):
        discard(async_cm)
        hint = "; it is a sync context manager: use it with a plain `with`" if hasattr(cls, "__enter__") else ""
        raise TypeError(
            f"enter() expects an async context manager (with __aenter__ and __aexit__), got {describe(async_cm)}{hint}"
        )
    portal._check_blocking_call("enter")
    return _EnteredContext(portal, async_cm, contextvars.copy_context(), timeout)


class _EnteredContext(AbstractContextManager[T, bool]):
    """``with`` over an async context manager; one task on the portal's loop runs both halves (``_hosting``)."""

    def __init__(
        self,
        portal: Portal,
        async_cm: AbstractAsyncContextManager[T],
        context: contextvars.Context,
        timeout: float | None,
    ) -> None:
        self._portal = portal
        self._async_cm = async_cm
        self._context = context
        self._timeout = timeout
        self._held: list[HeldBlock[T]] = []  # one per block open now: the object may be entered again inside

    def __enter__(self) -> T:
        held = HeldBlock[T](self._async_cm)
        portal = self._portal
        coro = named(held.enter_and_hold(portal), f"{type(self._async_cm).__qualname__}.__aenter__")
        entered: T = portal._run_in_context(self._context, coro, timeout=self._timeout)  # hold() delivers a T
        self._held.append(held)
        return entered

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self._held[-1].check_can_end()  # before letting go of it: a block still open inside it is an error
        coro = named(self._held.pop().leave_call(exc_type, exc, tb), f"{type(self._async_cm).__qualname__}.__aexit__")
        return bool(self._portal._run_in_context(contextvars.copy_context(), coro, timeout=self._timeout))
