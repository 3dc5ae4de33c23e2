"""Sync faces for async iterators and async context managers, driven through a portal.

Every dunder of the async object (``__aiter__``, ``__anext__``, ``aclose``, ``__aenter__``, ``__aexit__``) is
called on the portal's loop, never in the caller's thread, so loop-bound objects are only touched there.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ._hosting import HeldBlock
from ._validate import describe, discard, named
from .errors import PortalClosedError

if TYPE_CHECKING:
    from ._portal import Portal

__all__ = ("SyncIterator", "enter", "iterate")

T = TypeVar("T")
E = TypeVar("E", bound=bool | None)  # what an async context manager's __aexit__ returns


def iterate(
    portal: Portal,
    async_iterable: AsyncIterable[T],
    timeout: float | None,
    *,
    timeout_now: Callable[[], float | None] | None = None,
    convert: Callable[[Any], Any] | None = None,
) -> Iterator[T]:
    """Check the arguments now (not at the first ``next()``), then return the sync iterator.

    ``timeout`` limits each step, unless ``timeout_now`` is given: then each step asks it, in the thread calling
    ``next()``, for its limit (a twin's scoped timeout in force at that moment). ``convert`` maps each item."""
    if not hasattr(type(async_iterable), "__aiter__"):
        discard(async_iterable)
        hint = "; for a coroutine use dualio.run()" if hasattr(async_iterable, "__await__") else ""
        raise TypeError(f"iterate() expects an async iterable (with __aiter__), got {describe(async_iterable)}{hint}")
    portal._check_blocking_call("iterate")
    return SyncIterator(portal, contextvars.copy_context(), async_iterable, timeout, timeout_now, convert)


class SyncIterator(Iterator[T]):
    r"""A sync view of one async iteration: each ``next()`` awaits ``__anext__`` on the portal's loop.

    As with ``anext()`` in async code, a step that fails (its timeout, an error of ``__anext__``) leaves the
    iteration where it was: a later ``next()`` asks the async iterator again, which goes on if it can (a class
    with ``__anext__``: aiomqtt's messages) or ends (an async generator is finished by the error it raised, so
    the next step is ``StopIteration``). Run to its end, nothing more is done; left before it (``close()``, or
    the iterator dropped, which is what ``break`` or an error in a ``for`` body does) the async iterator is
    ``aclose()``\ d on the loop if it has ``aclose``. The async iterator is made (``__aiter__``, on the loop) at
    the first ``next()``. Not for concurrent ``next()`` from several threads (a generator refuses that; this
    passes both steps to the async iterator, which may refuse them).
    """

    __slots__ = (
        "__weakref__",  # a caller may keep weak references to its iterators
        "_async_iterable",
        "_context",
        "_convert",
        "_done",
        "_iterator",
        "_name",
        "_portal",
        "_timeout",
        "_timeout_now",
    )

    def __init__(
        self,
        portal: Portal,
        context: contextvars.Context,
        async_iterable: AsyncIterable[T],
        timeout: float | None,
        timeout_now: Callable[[], float | None] | None,
        convert: Callable[[Any], Any] | None,
    ) -> None:
        self._portal = portal
        self._context = context
        self._async_iterable: AsyncIterable[T] | None = async_iterable
        self._iterator: AsyncIterator[T] | None = None
        self._timeout = timeout
        self._timeout_now = timeout_now
        self._convert = convert
        self._name = ""
        self._done = False

    def __iter__(self) -> SyncIterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        iterator = self._iterator
        if iterator is None:
            iterator = self._iterator = self._portal._run_in_context(self._context, _aiter, self._async_iterable)
            self._async_iterable = None
            self._name = _step_name(iterator)
        step = _anext(iterator)
        step.__qualname__ = self._name  # type: ignore[attr-defined]  # what a timeout message names
        timeout = self._timeout if self._timeout_now is None else self._timeout_now()
        item = self._portal._run_in_context(self._context, step, timeout=timeout)
        if item is _END:
            self._done = True  # run to its end: an async generator is finished already, and another iterator
            raise StopIteration  # (a cursor, a client that is its own iterator) is left as `async for` leaves it
        return item if self._convert is None else self._convert(item)

    def close(self) -> None:
        """End the iteration: ``aclose()`` the async iterator on the loop (waited for, up to the portal's
        ``cancel_grace``) unless it ran to its end or was never started. Later ``next()`` calls raise
        ``StopIteration``. Closing twice does nothing."""
        self._close(background=False)

    def _close(self, *, background: bool) -> None:
        if self._done:
            return
        self._done = True
        self._async_iterable = None
        if self._iterator is not None:
            _aclose(self._portal, self._context, self._iterator, background=background)

    def __del__(self) -> None:
        # Left early (`break`, an error in a `for` body, dropped): closed at once, waited for, as `async for`
        # would. Unless collected where an event loop runs (a thread driving a lent loop, which must run that
        # aclose(): the wait stalled it for cancel_grace, then TimeoutError came out of __del__): in the background.
        if not self._done:
            self._close(background=asyncio._get_running_loop() is not None)

    def __repr__(self) -> str:
        state = "finished" if self._done else "not started" if self._iterator is None else "open"
        iterable = self._async_iterable
        over = self._name or ("an async iterable" if iterable is None else describe(iterable))
        return f"<dualio sync iterator over {over}, {state}>"


def _aclose(
    portal: Portal, context: contextvars.Context, iterator: AsyncIterator[Any], *, background: bool = False
) -> None:
    """``aclose()`` the async iterator on the loop: waited for, unless this is the loop's own thread or
    ``background`` (then submitted)."""
    if not hasattr(iterator, "aclose") or portal.closed:
        return
    if background or portal._on_loop_thread():  # the sync iterator was garbage-collected on the loop
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
    portal: Portal, async_cm: AbstractAsyncContextManager[T, E], timeout: float | None = None
) -> AbstractContextManager[T, E]:
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


class _EnteredContext(AbstractContextManager[T, E]):
    """``with`` over an async context manager; one task on the portal's loop runs both halves (``_hosting``)."""

    def __init__(
        self,
        portal: Portal,
        async_cm: AbstractAsyncContextManager[T, E],
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

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> E:
        self._held[-1].check_can_end()  # before letting go of it: a block still open inside it is an error
        coro = named(self._held.pop().leave_call(exc_type, exc, tb), f"{type(self._async_cm).__qualname__}.__aexit__")
        suppress = self._portal._run_in_context(contextvars.copy_context(), coro, timeout=self._timeout)
        return cast("E", suppress)  # what __aexit__ returned: a true value swallows the exception
