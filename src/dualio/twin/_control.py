"""Per-instance control of sync twins: timeouts, the portal, the async object, the closed state.

These are module functions taking the twin, not methods or reserved keyword arguments, so they can never
collide with a name or a keyword argument of the async class.
"""

from __future__ import annotations

import contextvars
import inspect
import typing
from contextlib import AbstractContextManager
from typing import Any, TypeVar, overload

from dualio._default import default_portal
from dualio._portal import Portal
from dualio._validate import check_timeout, named

from . import _registry
from ._closers import renew_advice
from ._dynamic import sync_class
from ._errors import TwinClosedError
from ._kept import keep
from ._runtime import Twin, _check_twin, _portals, _result, scoped_portal, scoped_timeout, timeout_for

__all__ = (
    "awaited",
    "get_timeout",
    "is_closed",
    "portal_of",
    "set_timeout",
    "timeout",
    "twin_of",
    "unwrap",
    "use_portal",
)

A = TypeVar("A")
T = TypeVar("T", bound=Twin[Any])


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
    keep(twin._dualio_obj, _dualio_timeout=twin._dualio_timeout)  # a later twin of the object, if this is dropped


def get_timeout(twin: Twin[Any]) -> float | None:
    """Return the default timeout of ``twin`` (``None``: no limit); scoped overrides are not included."""
    return _check_twin(twin, "dualio.twin.get_timeout")._dualio_timeout


def timeout(seconds: float | None, /, *twins: Twin[Any]) -> AbstractContextManager[None]:
    """Override the timeout of calls made inside a ``with`` block, on ``twins`` or, if none given, on every twin.

    A twin named covers the twins that came from it too: those its calls returned, its attributes gave and its
    iterators yielded, and theirs in turn (a connection's cursors). An iterator made inside the block keeps the
    limit for each item. The override belongs to the current context (thread, or task): other threads keep their
    own timeouts. Nested blocks stack; the innermost that applies to a twin wins. It also applies to twin
    constructors and class-level calls when no twins are given. ``seconds=None`` lifts the limit inside the block.

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


def awaited(twin: Twin[Any], /) -> Any:
    """Run ``await obj`` for the twin's async object ``obj`` on its portal and return the result, mapped.

    The sync spelling of ``await obj`` for an awaitable async object: a twin's constructor creates the object and
    never awaits it (``AsyncX(...)`` is the object, as in Python). The result is mapped as any call's: an async
    object that awaits to itself (``aiosqlite.Connection``, which connects) gives ``twin`` back. It is a call
    like any other: the twin's timeout (or a ``timeout`` block's) limits it, and Ctrl-C, ``DeadlockError`` and
    ``PortalClosedError`` behave as for a method. What awaiting twice does is the async class's business (an
    ``aiosqlite.Connection`` cannot be awaited, or awaited and then entered, twice).

    Raises:
        TypeError: ``twin`` is not a sync twin, or its async object is not awaitable (has no ``__await__``).
        TwinClosedError: ``twin`` was closed.
    """
    obj = _check_twin(twin, "dualio.twin.awaited")._dualio_obj
    if twin._dualio_closed:
        raise TwinClosedError(
            f"dualio.twin.awaited() was called on a closed {type(twin).__qualname__} twin (it was closed by close() "
            "or by leaving its `with` block); " + renew_advice(twin)
        )
    if not inspect.isawaitable(obj):
        raise TypeError(
            "dualio.twin.awaited() expects a twin whose async object is awaitable, but "
            f"{type(obj).__module__}.{type(obj).__qualname__} has no __await__"
        )
    coro = named(_await(obj), f"{type(obj).__qualname__}.__await__")  # what a timeout message names
    # Called from here, not through _runtime: a refusal inside a coroutine then names dualio.twin.awaited(), and
    # says to await instead, which is right (the twin-method advice would name a method).
    value = twin._dualio_portal._run_in_context(
        contextvars.copy_context(), coro, timeout=timeout_for(twin), api="dualio.twin.awaited"
    )
    return _result(twin, value)


async def _await(obj: Any) -> Any:
    return await obj


@overload
def twin_of(obj: object, /) -> Any: ...
@overload
def twin_of(obj: object, twin_class: type[T], /) -> T: ...
def twin_of(obj: object, twin_class: type[Twin[Any]] | None = None, /) -> Any:
    """Return the sync twin of the async object ``obj``, made by async code that is not a twin's.

    ``db = twin_of(aiosqlite.connect(path))``, then ``with db:`` (which connects), gives the twin that
    ``with SyncConnection(connector, 64) as db:`` would. If ``obj`` has a twin already, that twin is returned
    (pinned to its own portal). Otherwise the new twin is of the twin class of ``type(obj)``: the generated one
    if its module registered it (or names it), else ``sync_class(type(obj))``; it is pinned to the portal of
    ``use_portal`` in this context, else the default portal, and starts with no timeout.

    ``twin_class`` (a generated twin class, or one ``sync_class`` made) types the result for a type checker
    (``conn = twin_of(dualio.run(asyncssh.connect(host)), SyncSSHClientConnection)``: ``conn`` is a
    ``SyncSSHClientConnection``, not ``Any``) and makes a new twin of that class; ``obj`` must be an instance of
    its async class, and a twin ``obj`` already has must be of that class.

    Loop affinity: from now on ``obj`` must be used only on that portal's loop, as every twin's async object is.
    Pass an object that is not yet tied to another loop: one that has done no I/O yet (``aiosqlite.connect(path)``
    only prepares its connection), or one that async code running on that portal made (``twin_of(portal.run(
    make()))``). An object whose futures, tasks or streams belong to another loop fails there as it would in
    async code moved to a foreign loop.

    Raises:
        TypeError: ``obj`` is a twin, a class, a coroutine or an async generator, or has no async members (no
            ``async def`` method, async generator method, ``__aenter__``, ``__aiter__`` or ``__anext__``);
            ``twin_class`` is not a twin class, ``obj`` is not an instance of its async class, or ``obj``'s twin
            is of another class.
    """
    if twin_class is not None:
        return _twin_as(obj, twin_class)
    _check_async_object(obj)
    cls = type(obj)
    twin_cls = _registry.twin_class_of(cls)
    if twin_cls is None:
        if not _registry.has_async_members(cls):
            awaitable = " (it is awaitable: dualio.run(obj) awaits it)" if inspect.isawaitable(obj) else ""
            raise TypeError(
                f"twin_of() expects an async object, but {cls.__module__}.{cls.__qualname__} has no async def "
                f"method, async generator method, __aenter__, __aiter__ or __anext__, nor a def annotated to return "
                f"Awaitable[T]{awaitable}: use it as it is from sync code; if its plain methods return coroutines "
                "or other awaitables without saying so (a botocore paginator), twin_of() cannot tell: "
                "twin what they return (twin_of(obj.m(...))), or call them in a coroutine run on the portal: "
                "dualio.run(...)"
            )
        twin_cls = sync_class(cls)
    return _registry.twin_for(twin_cls, obj, _portals.get() or default_portal(), None)  # its twin, if it has one


def _check_async_object(obj: object) -> None:
    """Refuse what ``twin_of`` cannot twin, saying what to pass instead."""
    if isinstance(obj, Twin):
        raise TypeError(
            f"twin_of() expects an async object, got a {type(obj).__qualname__} twin, which is a twin already"
        )
    if isinstance(obj, type):
        raise TypeError(
            f"twin_of() expects an async object, got the class {obj.__module__}.{obj.__qualname__}: "
            "sync_class() gives a class's twin class"
        )
    if inspect.iscoroutine(obj):
        raise TypeError(
            f"twin_of() expects an async object, got the coroutine {obj.__qualname__}: run it first, "
            "twin_of(dualio.run(coro)) gives the twin of the async object it returns"
        )
    if inspect.isfunction(obj) or inspect.ismethod(obj) or inspect.isbuiltin(obj):
        name = getattr(obj, "__name__", "f")
        raise TypeError(
            f"twin_of() expects an async object, got the function {getattr(obj, '__qualname__', name)}: pass what "
            f"it returns, twin_of({name}(...)) (twin_of(dualio.run({name}(...))) if it is an async def)"
        )
    if inspect.isasyncgen(obj):
        raise TypeError(
            f"twin_of() expects an async object, got the async generator {obj.__qualname__}: iterate it with "
            "dualio.Portal.iterate() on the portal whose loop runs it"
        )


def _twin_as(obj: object, twin_class: type[Twin[Any]]) -> Twin[Any]:
    """``twin_of(obj, twin_class)``: ``obj``'s twin, which must be (or is made) of ``twin_class``.

    ``twin_class`` may be subscripted (``SyncBox[int]``, for a type checker). For an instance of a subclass of its
    async class, the twin is of the subclass's twin class (registered, else built as ``sync_class`` builds it), a
    subclass of ``twin_class``: a twin of ``twin_class`` itself would run the base class's methods, not the
    object's overrides (an abstract ``anyio.abc.SocketStream``'s, for anyio's concrete stream)."""
    twin_class = typing.get_origin(twin_class) or twin_class  # `SyncBox[int]`: the class
    async_cls = _registry.async_class_of(twin_class) if isinstance(twin_class, type) else None
    if async_cls is None or not issubclass(twin_class, Twin):
        raise TypeError(
            f"twin_of() expects a twin class as its second argument (a generated twin class, or what "
            f"sync_class() returns), got {twin_class!r}"
        )
    _check_async_object(obj)
    if not isinstance(obj, async_cls):
        wanted = f"{async_cls.__module__}.{async_cls.__qualname__}"
        hint = ""
        if inspect.isawaitable(obj) or hasattr(obj, "__aenter__"):  # asyncssh.connect(...): gives one when awaited
            hint = (
                f": if it gives a {async_cls.__qualname__} when awaited or entered, pass what it gives, "
                f"twin_of(dualio.run(obj), {twin_class.__qualname__}), or enter it on the portal: "
                f"with dualio.enter(obj) as raw: twin = twin_of(raw, {twin_class.__qualname__})"
            )
        raise TypeError(
            f"twin_of(): {twin_class.__qualname__} is the twin class of {wanted}, and obj is a "
            f"{type(obj).__module__}.{type(obj).__qualname__}{hint}"
        )
    made_as = twin_class
    if type(obj) is not async_cls:  # a subclass's object: its own methods, in a subclass of twin_class
        try:
            own = _registry.twin_class_of(type(obj)) or sync_class(type(obj))
        except TypeError:  # a subclass sync_class refuses (compiled): twin_class's methods, as asked
            own = twin_class
        made_as = own if issubclass(own, twin_class) else twin_class
    twin = _registry.twin_for(made_as, obj, _portals.get() or default_portal(), None)
    if not isinstance(twin, twin_class):
        raise TypeError(
            f"twin_of(): obj has a twin already, a {type(twin).__module__}.{type(twin).__qualname__}, not a "
            f"{twin_class.__module__}.{twin_class.__qualname__}; an async object has one twin"
        )
    return twin
