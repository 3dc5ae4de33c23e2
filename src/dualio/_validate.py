"""Argument checks shared by every portal entry point.

Each check raises a ``TypeError`` (or a subclass) that names what was passed and what is expected, before any
work is scheduled. A coroutine handed to a call that is refused is closed, so it does not later warn that it
was never awaited.
"""

from __future__ import annotations

import inspect
import math
import types
from collections.abc import Awaitable, Callable, Coroutine
from inspect import CO_COROUTINE, CORO_CREATED
from types import CoroutineType, FunctionType
from typing import Any, TypeVar, cast

from .errors import InvalidTimeoutError

T = TypeVar("T")

_SYNC_FUNCTION_TYPES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.BuiltinMethodType)


def check_timeout(timeout: object, api: str) -> float | None:
    """Return ``timeout`` as a float, or ``None`` for no limit; ``math.inf`` also means no limit."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise InvalidTimeoutError(
            f"{api}(): timeout must be None or a number of seconds, got {type(timeout).__name__} {timeout!r}"
        )
    value = float(timeout)
    if math.isnan(value) or value < 0:
        raise InvalidTimeoutError(
            f"{api}(): timeout must be a non-negative number of seconds or None for no limit, got {timeout!r}"
        )
    return None if value == math.inf else value


def describe(obj: object) -> str:
    """Name ``obj`` for an error message: its type and, for callables, its qualified name."""
    name = getattr(obj, "__qualname__", None)
    kind = type(obj).__name__
    return f"{kind} {name!r}" if isinstance(name, str) else f"{kind} {obj!r:.80}"


def discard(obj: object) -> None:
    """Close ``obj`` if it is an unstarted coroutine that a refused call took ownership of."""
    if inspect.iscoroutine(obj) and inspect.getcoroutinestate(obj) == inspect.CORO_CREATED:
        obj.close()


def named(coro: Coroutine[Any, Any, T], name: str) -> Coroutine[Any, Any, T]:
    """``coro``, named ``name`` where portal errors show it (a timeout, a shutdown): the user's call, not ours."""
    coro.__qualname__ = name  # type: ignore[attr-defined]
    return coro


def to_coroutine(aw_or_fn: Any, args: tuple[Any, ...], api: str) -> CoroutineType[Any, Any, Any]:
    """Turn what a caller passed into a fresh coroutine object, or raise ``TypeError`` saying why not.

    Accepted: an unstarted coroutine; any other awaitable (wrapped); an async function, async callable or
    ``functools.partial`` of one, called with ``args``; any other non-function callable whose result is
    awaitable. Plain sync functions are refused without being called.
    """
    kind = type(aw_or_fn)
    if kind is FunctionType and aw_or_fn.__code__.co_flags & CO_COROUTINE:  # fast path: a plain async def
        coro: CoroutineType[Any, Any, Any] = aw_or_fn(*args)
        return coro
    if kind is CoroutineType and not args and inspect.getcoroutinestate(aw_or_fn) == CORO_CREATED:
        fresh: CoroutineType[Any, Any, Any] = aw_or_fn  # fast path: a fresh coroutine object
        return fresh
    if inspect.iscoroutine(aw_or_fn):
        if args:
            discard(aw_or_fn)
            raise TypeError(
                f"{api}(): extra positional arguments were given with a coroutine object; "
                "pass either a coroutine, or an async function followed by its arguments"
            )
        state = inspect.getcoroutinestate(aw_or_fn)
        if state != inspect.CORO_CREATED:
            raise TypeError(
                f"{api}(): coroutine {aw_or_fn.__qualname__!r} was already started or awaited (state {state}); "
                "a coroutine object runs once: create a new one by calling the async function again"
            )
        return aw_or_fn
    if not callable(aw_or_fn) or (not args and _is_async_protocol_object(aw_or_fn)):
        if args:
            raise TypeError(
                f"{api}(): extra positional arguments were given with {describe(aw_or_fn)}, which is not callable"
            )
        return _wrap_awaitable(aw_or_fn, api)
    if _is_async_callable(aw_or_fn):
        result = aw_or_fn(*args)
    elif isinstance(aw_or_fn, _SYNC_FUNCTION_TYPES) or inspect.isclass(aw_or_fn):
        raise TypeError(_sync_function_refused(aw_or_fn, api))
    else:
        result = aw_or_fn(*args)
        if not inspect.isawaitable(result):
            raise TypeError(
                f"{api}() expects an async callable, but {describe(aw_or_fn)} returned {describe(result)} "
                "(it has already run, in this thread)"
            )
    if inspect.iscoroutine(result):
        return result
    return _wrap_awaitable(result, api)


def _sync_function_refused(fn: Callable[..., object], api: str) -> str:
    """Why ``fn`` (a sync function or a class) is refused, with what to pass instead."""
    made = inspect.unwrap(fn) if isinstance(fn, types.FunctionType) else fn
    if inspect.isasyncgenfunction(made):
        if made is fn:  # an async generator function: its items
            return (
                f"{api}() expects an awaitable or an async function, got async generator function {fn.__qualname__!r}; "
                f"for its items use dualio.iterate({fn.__name__}(...))"
            )
        return (  # wrapped by contextlib.asynccontextmanager (or alike): a context manager factory
            f"{api}() expects an awaitable or an async function, got {describe(fn)}, which makes async context "
            f"managers; use dualio.enter({fn.__name__}(...)) (or, in a coroutine, async with)"
        )
    return (
        f"{api}() expects an awaitable or an async function, got sync {describe(fn)}; "
        f"call a sync function directly, or if it returns an awaitable, await it in an async def run on the "
        f"loop: async def call(): return await fn(*args), then {api}(call()) (calling fn here would make a "
        f"future of a loop-bound object, zmq.asyncio's recv(), outside the portal's loop)"
    )


def _is_async_protocol_object(obj: object) -> bool:
    """An async iterator or context manager that is also callable and not awaitable: contextlib's
    ``asynccontextmanager`` objects are (``AsyncContextDecorator``); calling one would be wrong."""
    kind = type(obj)
    if isinstance(obj, _SYNC_FUNCTION_TYPES) or inspect.isclass(obj) or hasattr(kind, "__await__"):
        return False
    return hasattr(kind, "__aenter__") or hasattr(kind, "__anext__")


def _is_async_callable(fn: Callable[..., object]) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    if isinstance(fn, _SYNC_FUNCTION_TYPES) or inspect.isclass(fn):
        return False
    return inspect.iscoroutinefunction(type(fn).__call__)


def _wrap_awaitable(obj: object, api: str) -> CoroutineType[Any, Any, Any]:
    if inspect.isawaitable(obj):
        coro = cast("CoroutineType[Any, Any, Any]", _await(obj))
        # Errors that name the call (a timeout, a shutdown) name what was awaited: "Raw did not finish within
        # 0.05 s" for piccolo's query object, not this helper; the object's own name if it has one,
        # as pyo3's coroutines do ("ConsumedRequest.send", not their class's "Coroutine").
        own = getattr(obj, "__qualname__", None)
        coro.__qualname__ = coro.__name__ = own if isinstance(own, str) else type(obj).__qualname__
        return coro
    hint = ""
    if hasattr(obj, "__anext__") or hasattr(obj, "__aiter__"):
        hint = "; for an async iterator or async generator use dualio.iterate()"
    elif hasattr(obj, "__aenter__"):
        hint = "; for an async context manager use dualio.enter()"
    raise TypeError(f"{api}() expects an awaitable or an async function, got {describe(obj)}{hint}")


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable
