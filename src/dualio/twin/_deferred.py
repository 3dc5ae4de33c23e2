"""``dualio.twin.defer``: make a twin call now, and await what it returns later.

A twin call awaits at once what the async call gives. Some async APIs hand out an awaitable that must *not* be
awaited yet: coredis' pipeline commands return a ``CommandRequest`` that completes only when the pipeline
executes (awaiting it first is an error), as in::

    async with client.pipeline() as pipe:
        counter = pipe.incr("hits")      # not awaited: queued
        pipe.expire("hits", 60)
    print(await counter)                  # the pipeline ran at the block's end

The twin spells it with ``defer``, which runs the call on the loop and keeps its awaitable::

    with client.pipeline() as pipe:
        counter = dualio.twin.defer(pipe.incr, "hits")
        dualio.twin.defer(pipe.expire, "hits", 60)
    print(counter.result())               # awaited on the twin's loop, mapped as a call's result

``defer`` is typed ``(method: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Deferred[R]``, so
``counter.result()`` has the type the twin method returns.
"""

from __future__ import annotations

import contextvars
import inspect
import threading
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

from dualio._validate import named
from dualio.errors import BlockingCallError, DeadlockError

from ._closers import closed_error
from ._runtime import Twin, _result, _unwrap, _unwrap_kwargs, timeout_for

__all__ = ("Deferred", "defer")

P = ParamSpec("P")
R = TypeVar("R")

_PENDING = object()  # a Deferred's outcome before its awaitable was awaited


class Deferred(Generic[R]):
    """What a twin call would have awaited, kept unawaited until :meth:`result` awaits it on the twin's loop.

    Thread-safe: ``result()`` awaits the awaitable once; every later call (from any thread) returns that value
    or raises that exception again, since an awaitable such as a coroutine cannot be awaited twice.
    """

    __slots__ = ("_awaitable", "_error", "_lock", "_name", "_twin", "_value")

    def __init__(self, twin: Twin[Any], awaitable: Any, name: str) -> None:
        self._twin = twin
        self._awaitable = awaitable
        self._name = name
        self._lock = threading.Lock()
        self._value: Any = _PENDING
        self._error: BaseException | None = None

    def result(self) -> R:
        """Await the kept awaitable on the twin's loop (the first time) and return its result, mapped as a twin
        call's (an async object comes back as its twin).

        The twin's timeout in force now (its default, or a ``dualio.twin.timeout`` block's) limits the wait,
        as it limits a call; a timeout cancels the awaitable, and later calls raise the same ``TimeoutError``.
        Ctrl-C, ``DeadlockError`` (inside a coroutine on the twin's loop) and ``PortalClosedError`` behave as for
        a twin call. A value that is not awaitable (a plain ``def`` that returned one) is returned as it is.
        """
        with self._lock:
            if not self.done():
                try:
                    self._value = self._settle()
                except (DeadlockError, BlockingCallError):
                    raise  # refused before anything ran: the awaitable is kept for a later call
                except BaseException as error:
                    self._error = error
                    raise
                finally:
                    if self.done():
                        self._awaitable = None  # awaited: drop it (and what it holds)
            if self._error is not None:
                raise self._error
            return self._value  # type: ignore[no-any-return]

    def done(self) -> bool:
        """Whether :meth:`result` has awaited the awaitable (to a value or an exception)."""
        return self._value is not _PENDING or self._error is not None

    def _settle(self) -> Any:
        awaitable = self._awaitable
        if not inspect.isawaitable(awaitable):
            return _result(self._twin, awaitable)
        coro = named(_await(awaitable), self._name)
        value = self._twin._dualio_portal._run_in_context(
            contextvars.copy_context(), coro, timeout=timeout_for(self._twin), api="Deferred.result"
        )
        return _result(self._twin, value)

    def __repr__(self) -> str:
        state = "done" if self.done() else "pending"
        return f"<Deferred {self._name} ({state})>"


async def _await(awaitable: Any) -> Any:
    return await awaitable


async def _call_unawaited(obj: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    # Returned in a list: what the call gave is kept as it is, whatever it is (an awaitable is not awaited).
    return [getattr(obj, name)(*args, **kwargs)]


def defer(method: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Deferred[R]:
    """Call the twin method ``method`` with ``args`` on the twin's loop, keeping what it would await unawaited.

    ``method`` is a method of a sync twin, bound to it (``pipe.incr``), or a callable twin (a grpc stub's
    multicallable: its ``__call__``). The async object's method of that name
    is called on the loop with the arguments (twins among them unwrapped, as for a call), in one round trip
    limited by the twin's timeout; what it returns, a coroutine or another awaitable, is not awaited: the
    returned :class:`Deferred` awaits it when you call its ``result()``. Nothing of an ``async def``'s body runs
    before then; a plain ``def`` (coredis' pipeline commands) runs now, and its awaitable is kept.

    Raises:
        TypeError: ``method`` is not a method bound to a sync twin, or the async object has no method of its name.
        TwinClosedError: the twin was closed.
    """
    given: object = method
    twin: object = given if isinstance(given, Twin) else getattr(method, "__self__", None)
    name: object = "__call__" if twin is given else getattr(method, "__name__", None)  # a callable twin: __call__
    if not isinstance(twin, Twin) or not isinstance(name, str):
        raise TypeError(
            "dualio.twin.defer() expects a method of a sync twin, bound to it, then its arguments: "
            f"defer(pipe.incr, 'hits'); got {type(method).__name__} {method!r:.80}"
        )
    obj = twin._dualio_obj
    if not callable(getattr(type(obj), name, None)):
        raise TypeError(
            f"dualio.twin.defer(): the async object of {type(twin).__qualname__}, a "
            f"{type(obj).__module__}.{type(obj).__qualname__}, has no method {name!r} to call; defer a method that "
            "the twin maps from the async class"
        )
    if twin._dualio_closed:
        raise closed_error(twin, f"{name}() (deferred)")
    qualified = f"{type(obj).__qualname__}.{name}"
    coro = named(_call_unawaited(obj, name, _unwrap(args), _unwrap_kwargs(kwargs)), qualified)
    (kept,) = twin._dualio_portal._run_in_context(
        contextvars.copy_context(), coro, timeout=timeout_for(twin), api="dualio.twin.defer"
    )
    return Deferred(twin, kept, qualified)
