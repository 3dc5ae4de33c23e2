"""The twin runtime: the ``Twin`` base class and the calls that sync twins make into their portal.

Every twin method (generated or built at run time) is one line calling a function here. Each of them runs the
async member on the twin's portal with ``Portal.run`` / ``Portal.iterate`` (or ``Portal._run_in_context``, the
same in a given context, for a coroutine made here), so timeouts, Ctrl-C, deadlock detection and the
running-loop policy are the portal's own, and maps the result with ``_registry.to_sync``. A helper coroutine
made here is named after the user's method (``AsyncClient.get``), which portal errors show.

Where code runs: every method call (async or sync, instance, class or static) runs on the portal's loop;
attribute and property reads and writes run in the calling thread. An async object is created on the loop by
its twin's constructor (or returned by async code running there) and is only ever called there.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import os
import sys
import threading
import types
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextvars import ContextVar
from types import CoroutineType as _CoroutineType
from types import FrameType, TracebackType
from typing import Any, ClassVar, Generic, TypeVar

from dualio import _portal
from dualio._default import default_portal
from dualio._foreign_loop import drop_portal_note, mentions_other_loop
from dualio._hosting import HeldBlock
from dualio._portal import Portal
from dualio._shared_only import SharedOnly
from dualio._validate import check_timeout, named
from dualio.errors import PortalClosedError

from . import _advice, _registry
from ._awaiting import awaitable_in_fact
from ._chaining import chained_attribute
from ._closers import cannot_close, closed_error, closer_of, ending_methods, required_parameters
from ._decorating import decorates_at_once
from ._entering import (
    FOR,
    WITH,
    Entered,
    EnteredResult,
    after_call,
    enters_at_once,
    iterates_at_once,
    run_enter_and_hold,
)
from ._kept import keep
from ._leaving import call_then_exit, leaving_with, open_withs
from ._sync_results import note_async_counterpart, note_own_loop, runs_its_own_loop
from ._whole_block import BlockResult, block_method, run_whole_block, speculated, take

__all__ = (
    "Twin",
    "call",
    "call_class",
    "call_sync",
    "close",
    "construct",
    "enter",
    "enter_self",
    "exit",
    "get_attribute",
    "iterate",
    "iterate_self",
    "next_item",
    "set_attribute",
)

A = TypeVar("A", covariant=True)  # a twin of a subclass's object is a twin of its base class's (pyright checks it)
R = TypeVar("R")

# Scoped timeout overrides of the current context, innermost last: (twin or None for every twin, seconds).
_timeouts: ContextVar[tuple[tuple[object, float | None], ...]] = ContextVar("dualio_twin_timeouts", default=())
# The portal that twin constructors and class-level calls use in the current context (None: the default one).
_portals: ContextVar[Portal | None] = ContextVar("dualio_twin_portal", default=None)
_PLAIN = _registry._PLAIN
_CONTAINERS = _registry.CONTAINERS
# Twins whose close() runs now (by id) -> set when it ends; other threads' close() calls wait for it.
_closing: dict[int, threading.Event] = {}
_closing_lock = threading.Lock()
_getframe = sys._getframe
# Async methods a closed twin still runs: `conn.close(); conn.wait_closed()` (asyncio's StreamWriter and Server,
# asyncssh's connections and processes: close() starts closing, wait_closed() waits for its end).
_AFTER_CLOSE = frozenset({"wait_closed"})
_copy_context = contextvars.copy_context
_portal.call_hint = _advice.twin_call_hint  # a twin method called inside a coroutine: say what to do instead


_OBJECT_EQ = object.__eq__
_OBJECT_HASH = object.__hash__


class Twin(SharedOnly, Generic[A]):
    """Base class of sync twins: holds one async object, pinned to the portal whose loop it lives on.

    Subclasses are made by :func:`dualio.twin.sync_class` or written by ``dualio twin generate``; do not
    subclass it by hand. The base gives every twin ``close()`` and a ``with`` block that closes it; a twin whose
    async class defines ``__aenter__`` uses that instead. Its state lives in slots named ``_dualio_*``, so it
    never shadows a name of the async class. The base's signatures are loose (``close(*args, **kwargs) -> Any``,
    ``__enter__() -> Any``, ``__exit__() -> bool | None``) so that a generated twin may declare the async
    class's own ones.
    """

    __slots__ = (
        "__weakref__",
        "_dualio_close_result",
        "_dualio_closed",
        "_dualio_entered",
        "_dualio_obj",
        "_dualio_own",
        "_dualio_parent",
        "_dualio_portal",
        "_dualio_timeout",
    )
    _dualio_async_class_: ClassVar[type]
    # Whether the list, tuple and dict results of its calls get their elements mapped, one level deep: True for
    # twins built at run time; a generated twin maps the containers its annotations name, and only those.
    _dualio_maps_elements_: ClassVar[bool] = False
    _dualio_obj: A
    _dualio_portal: Portal
    _dualio_timeout: float | None
    _dualio_parent: Twin[Any] | None  # the twin whose call or attribute gave this one (None: constructed)
    # Callables the async object holds in its own __dict__ over its class's methods (``_registry.own_functions``)
    _dualio_own: dict[str, Callable[..., Any]] | None
    _dualio_closed: bool
    _dualio_close_result: Any  # set by the close() that closed it
    _dualio_entered: list[tuple[int, HeldBlock[Any]]]  # set by enter(): each open `with twin`, by thread

    def close(self, *args: Any, **kwargs: Any) -> Any:
        """Close the async object on its loop (``aclose()``, else ``close()``, else ``__aexit__``); idempotent.

        The arguments go to the async closer and its result is returned, mapped as any call's. Later calls of
        its ``async def`` methods, iterating it and entering it raise ``TwinClosedError``; attribute reads and
        sync methods still run, as they would on the closed async object (httpx's ``response.json()``). If the
        closer raises or times out, the twin stays open. Closing a closed twin runs nothing and returns the first
        close's result again; a close called while another thread's runs waits for it (see ``close``).
        """
        return close(self, *args, **kwargs)

    def __enter__(self) -> Any:
        """``with twin``: the twin itself; the block's end closes it (its async class has no ``__aenter__``).

        Except for an async class that has nothing to close it with (no ``aclose``, ``close`` or ``__aexit__``)
        but a method that ends it (python-socketio's ``AsyncClient``: ``disconnect()``): the block's end leaves
        such a twin open, as it cannot end the async object, so that the method can still be called after it.

        An async class that has ``__aenter__`` and ``__aexit__`` is entered on the loop instead (``enter``): a
        generated twin that did not declare them (they come from another package's base, which the generator
        does not read: coredis' ``Redis`` gets them from anyio's ``AsyncContextManagerMixin``) still runs them.
        """
        if self._dualio_closed:
            raise closed_error(self, "__enter__()")
        cls = type(self._dualio_obj)
        if _enters_on_loop(cls):
            return enter(self)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        """Close the twin, with no arguments; a closer that needs some is a ``TypeError`` that says so. A block
        that ``__enter__`` entered on the loop runs ``__aexit__`` instead (``exit``). A twin whose class has only
        a method that ends it (see ``__enter__``) is left open."""
        if getattr(self, "_dualio_entered", None) and _enters_on_loop(type(self._dualio_obj)):
            return bool(exit(self, exc_type, exc, tb))
        if not self._dualio_closed and not ending_methods(type(self._dualio_obj)):
            _check_closes_without_arguments(self)
            close(self)
        return None

    def __repr__(self) -> str:
        try:
            state = "closed " if self._dualio_closed else ""
            portal = self._dualio_portal.name
            return f"<{state}{type(self).__qualname__} twin of {self._dualio_obj!r} on portal {portal!r}>"
        except AttributeError:  # not bound yet (an exception in the constructor)
            return f"<unbound {type(self).__qualname__} twin>"

    def _dualio_why_not_copied(self, how: str) -> str:
        return (
            f"a {type(self).__qualname__} twin cannot be {how}: it stands for one async object that lives on the "
            "event loop of a portal of this process. Share the twin itself (calls from any thread are safe), or "
            "make a new one; in another process (multiprocessing, a task queue), make the twin there from "
            "arguments that can be pickled"
        )

    def __eq__(self, other: object) -> bool:
        """``==`` of the async objects, in the calling thread, if the async class defines ``__eq__`` (anyio's
        ``Path``); else identity, as for any object (the same async object always has the same twin). A twin
        among the operands is compared as its async object."""
        obj: object = getattr(self, "_dualio_obj", None)
        if obj is None or type(obj).__eq__ is _OBJECT_EQ:
            if self is other:
                return True
            return NotImplemented
        counterpart: object = _async_object(other)
        return obj == counterpart  # what the async class's __eq__ gives, a bool or not

    def __hash__(self) -> int:
        """``hash()`` of the async object, in the calling thread, if its class defines ``__hash__`` (a
        ``TypeError`` if it sets it to None, as a class with ``__eq__`` alone does); else the twin's identity."""
        obj: object = getattr(self, "_dualio_obj", None)
        if obj is None or type(obj).__hash__ is _OBJECT_HASH:
            return _OBJECT_HASH(self)
        return hash(obj)

    def __str__(self) -> str:
        """``str()`` of the async object, in the calling thread, if its class defines ``__str__`` (anyio's
        ``Path``: ``str(path)`` is the path); else the twin's ``repr``."""
        obj: object = getattr(self, "_dualio_obj", None)
        if obj is None or vars(object)["__str__"] is type(obj).__str__:
            return repr(self)
        return str(obj)


def _fspath(twin: Twin[Any]) -> Any:
    """``os.fspath()`` of the async object, in the calling thread: the twin of a path-like async object
    (anyio's ``Path``) is path-like too, so ``open(path_twin)`` opens that path."""
    return os.fspath(twin._dualio_obj)


def _enters_on_loop(async_cls: type) -> bool:
    return hasattr(async_cls, "__aenter__") and hasattr(async_cls, "__aexit__")


def timeout_for(twin: object) -> float | None:
    """The timeout a call on ``twin`` gets now: the innermost scoped override that names it or a twin it came
    from (its parent, the parent's parent, ...), or names none, else the twin's default."""
    overrides = _timeouts.get()
    if overrides:
        for target, seconds in reversed(overrides):
            if target is None or _comes_from(twin, target):
                return seconds
    return twin._dualio_timeout if isinstance(twin, Twin) else None


def _comes_from(twin: object, target: object) -> bool:
    """Whether ``twin`` is ``target`` or was made by a call or attribute of ``target`` or of its descendants."""
    while twin is not None:
        if twin is target:
            return True
        twin = twin._dualio_parent if isinstance(twin, Twin) else None
    return False


_registry.timeout_now = timeout_for


@contextlib.contextmanager
def scoped_timeout(seconds: float | None, twins: tuple[Twin[Any], ...]) -> Iterator[None]:
    """Apply ``seconds`` to calls on ``twins`` (every twin if empty) made in this context inside the block."""
    checked = check_timeout(seconds, "dualio.twin.timeout")
    for twin in twins:
        _check_twin(twin, "dualio.twin.timeout")
    targets: tuple[object, ...] = twins or (None,)
    token = _timeouts.set((*_timeouts.get(), *((target, checked) for target in targets)))
    try:
        yield
    finally:
        _timeouts.reset(token)


@contextlib.contextmanager
def scoped_portal(portal: Portal) -> Iterator[Portal]:
    """Make twin constructors and class-level calls in this context use ``portal``."""
    if not isinstance(portal, Portal):
        raise TypeError(f"dualio.twin.use_portal() expects a dualio.Portal, got {type(portal).__name__} {portal!r}")
    token = _portals.set(portal)
    try:
        yield portal
    finally:
        _portals.reset(token)


def _check_twin(twin: object, api: str) -> Twin[Any]:
    if not isinstance(twin, Twin):
        raise TypeError(
            f"{api}() expects a sync twin (an instance of a class made by dualio.twin.sync_class or "
            f"generated by `dualio twin generate`), got {type(twin).__name__} {twin!r:.80}"
        )
    return twin


def _check_closes_without_arguments(twin: Twin[Any]) -> None:
    """Raise ``TypeError`` if the closer that a ``with`` block's end would call has required parameters."""
    closer = closer_of(type(twin._dualio_obj))
    needed = required_parameters(closer) if closer is not None else ()
    if needed:
        listed = ", ".join(needed)
        raise TypeError(
            f"the with block of a {type(twin).__qualname__} twin ended with it open, but {_name_of(closer)}() needs "
            f"arguments ({listed}) that a with block cannot give: call close({needed[0]}=...) before the block "
            "ends (in a finally: clause if the block may raise); the twin is still open"
        )


def _unwrap(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Replace twins among ``args`` by their async objects (async code gets async objects), and twins in a
    ``list``, ``tuple`` or ``dict`` argument, one level deep (``_registry.map_elements``)."""
    for arg in args:
        if _has_twin(arg):
            return tuple(_unwrapped(a) for a in args)
    return args


def _unwrap_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    for value in kwargs.values():
        if _has_twin(value):
            return {k: _unwrapped(v) for k, v in kwargs.items()}
    return kwargs


def _has_twin(arg: object) -> bool:
    """Whether ``arg`` is a twin or a container (one level) that holds one."""
    cls = type(arg)
    if cls in _PLAIN:
        return cls in _CONTAINERS and bool(arg) and _registry.map_elements(arg, _async_object) is not arg
    return isinstance(arg, Twin)


def _unwrapped(arg: Any) -> Any:
    if type(arg) in _CONTAINERS:
        return _registry.map_elements(arg, _async_object)
    return _async_object(arg)


def _async_object(value: Any) -> Any:
    return value._dualio_obj if isinstance(value, Twin) else value


def _result(twin: Twin[Any], value: Any) -> Any:
    cls = type(value)
    if cls in _PLAIN:
        if cls in _CONTAINERS and value and type(twin)._dualio_maps_elements_:
            return _registry.map_elements(value, lambda element: _result(twin, element))
        return value
    if value is twin._dualio_obj:
        return twin
    return _registry.to_sync(value, twin._dualio_portal, twin._dualio_timeout, twin)


def _run(
    portal: Portal,
    coro: Coroutine[Any, Any, R],
    name: str,
    timeout: float | None,
    context: contextvars.Context | None = None,
) -> R:
    """``portal.run(coro)`` for a helper coroutine made here, given the name that portal errors show (a timeout,
    a shutdown): the user's method, ``AsyncClient.get``, not the helper's. Its freshness is not re-checked.
    It runs in ``context``, else in a copy of the caller's."""
    if context is None:
        context = _copy_context()
    try:
        return portal._run_in_context(context, named(coro, name), timeout=timeout, api="run")
    except PortalClosedError as error:
        _explain_loop_error(error, coro)
        raise
    except Exception as error:
        if not mentions_other_loop(error) and not runs_its_own_loop(error):  # else ``_explain_loop_error``'s note
            portal._note_object_of_another_loop(error)  # asyncpg's "another operation is in progress"
        raise


def _name_the_class_called(error: TimeoutError, fn: Callable[..., Any], twin: Twin[Any]) -> None:
    """A portal's timeout names the method as the class that defines it has it (httpcore's
    ``AsyncRequestInterface.request``, redis-py's ``ListCommands.blpop``): name the async object's class instead
    (``AsyncConnectionPool.request``), the method its caller called. Only on this error path: a call that ends
    in time pays nothing for it."""
    written, called = _name_of(fn), _called_name(fn, twin)
    message = error.args[0] if len(error.args) == 1 else None
    if written != called and isinstance(message, str) and message.startswith(f"{written} did not finish"):
        error.args = (called + message[len(written) :],)


def _called_name(fn: Callable[..., Any], twin: Twin[Any]) -> str:
    """``fn``'s name as a method of the twin's async object's class (``AsyncConnectionPool.request``, though a
    base defines it); a function that is not such a method (a function twin's) by its own qualified name."""
    cls = type(twin._dualio_obj)
    name = getattr(fn, "__name__", None)
    if isinstance(name, str) and getattr(cls, name, None) is fn:
        return f"{cls.__qualname__}.{name}"
    return _name_of(fn)


def _name_of(fn: object) -> str:
    """The name that a portal error (a timeout, a shutdown) gives the call of ``fn``: its qualified name."""
    name = getattr(fn, "__qualname__", None)
    return name if isinstance(name, str) else type(fn).__qualname__


async def _invoke(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    caller: FrameType | None = None,
    closed: Twin[Any] | None = None,
) -> Any:
    """Call ``fn`` on the loop; await what it returns if that is awaitable (``redis`` commands, for one).

    Not if ``caller`` (the frame of the twin method's caller, blocked in the call while this runs) reads an
    attribute of the result at once and the result is a builder that has it (``Item.filter(...).order_by``, see
    ``_chaining``): that is returned unawaited, in a :class:`_Builder`. The caller's code is read only then.
    ``closed``: the twin of the call, if it was closed; an awaitable result is then not awaited but refused
    (``TwinClosedError``), as an ``async def``'s call is (botocore's API methods are plain defs that return
    coroutines); a plain result is returned, as after close a sync method still runs.
    """
    try:
        result = fn(*args, **kwargs)
        if inspect.isawaitable(result):
            if closed is not None:
                if isinstance(result, Coroutine):  # aiomysql's acquire() wraps one: closed too, no warning
                    result.close()
                raise closed_error(closed, f"{getattr(fn, '__name__', 'method')}()")
            if isinstance(result, asyncio.Task):
                return result  # already running on its own: its caller gets a PortalFuture (``loop.create_task``)
            if caller is not None and type(result) is not _CoroutineType:
                chained = chained_attribute(caller)
                if chained is not None and _registry.chains_on(result, chained):
                    return _Builder(result)
                if callable(result) and decorates_at_once(caller):  # `@db.transaction()`: not awaited
                    return _Builder(result)
            awaitable = awaitable_in_fact(result)
            return result if awaitable is None else await awaitable
        return result
    except Exception as error:
        if isinstance(error, (RuntimeError, ValueError, AssertionError)) or mentions_other_loop(error):
            _explain_loop_error(error, fn)  # also a library's error raised from asyncio's (taskiq's)
        raise


class _Builder:
    """An awaitable result left unawaited because its caller chains on it; mapped by :func:`_built`."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


def _built(value: Any, portal: Portal, twin: Twin[Any] | None) -> Any:
    """What a sync-method call that chained on a builder returns: the builder's twin (``twin`` if it is its own
    object, as a redis pipeline's commands return the pipeline), pinned to ``portal``."""
    if twin is not None and value.value is twin._dualio_obj:
        return twin
    _remember_chained(value.value)
    return _registry.chained_twin(value.value, portal, None if twin is None else twin._dualio_timeout, twin)


# Objects left unawaited because a call chained on them, by identity (a WeakSet would compare them with `==`,
# which SQLAlchemy's unstarted AsyncConnection answers by raising): id -> a weak reference to the object.
_chained: dict[int, weakref.ref[object]] = {}


def _remember_chained(obj: object) -> None:
    key = id(obj)
    with contextlib.suppress(TypeError):  # an object without weak references gets no note
        _chained[key] = weakref.ref(obj, lambda _ref: _chained.pop(key, None))


def _was_chained(obj: object) -> bool:
    ref = _chained.get(id(obj))
    return ref is not None and ref() is obj


def _note_unawaited_chain(twin: Twin[Any], error: Exception) -> None:
    """Say why when a call on an object left unawaited by a chain fails for want of the await (SQLAlchemy's
    ``engine.connect().execute(...)``: "AsyncConnection context has not been started and object has not been
    awaited", as ``await engine.connect().execute(...)`` fails in async code)."""
    if "await" in str(error).lower() and _was_chained(twin._dualio_obj):
        name = type(twin._dualio_obj).__qualname__
        error.add_note(
            f"this {name} was not awaited: a call chained on a result at once runs as `await a.b().c()` would, "
            f"on the unawaited result (see 'A call chained on at once' in docs/twin.md); to await it first, as a "
            "sync library's `a.b().c()` means, split the line: `x = a.b()`, then `x.c()`"
        )


def _note_closed_ancestor(twin: Twin[Any], error: Exception) -> None:
    """Say so when a call fails on a twin made by a twin that is closed now (after ``client.close()``,
    openai's ``client.chat.completions.create(...)`` fails with httpx's "the client has been closed", anthropic's
    with "Connection error."). Such a twin is not closed with the other: its calls run, and fail as the async
    object's would once what it shares is closed."""
    parent = getattr(twin, "_dualio_parent", None)
    while isinstance(parent, Twin):
        if parent._dualio_closed:
            error.add_note(
                f"{type(twin).__qualname__} was made by the {type(parent).__qualname__} twin, which is closed: "
                f"a twin made by another twin's call or attribute is not closed with it, but what they share (a "
                f"connection, an HTTP client) may be; make a new {type(parent).__qualname__} to go on"
            )
            return
        parent = getattr(parent, "_dualio_parent", None)


def _explain_loop_error(error: Exception, fn: object) -> None:
    """Add a note saying what to do to asyncio's errors about loops that a twin call can meet: a sync method that
    runs ``asyncio.run()``, and an async object bound to another loop than its twin's (a ``RuntimeError``, or
    the ``ValueError`` "The future belongs to a different loop")."""
    message = str(error)
    if isinstance(error, PortalClosedError) and "inherited through fork()" in message:
        error.add_note(
            f"{_name_of(fn)}: this twin was made before the process forked (Celery's prefork pool, gunicorn "
            "--preload, multiprocessing with fork), and stays bound to its parent's portal; make the twin again in "
            "this process: lazily on first use, or in a per-process hook (Celery's worker_process_init); "
            "docs/twin.md, fork"
        )
    elif isinstance(error, PortalClosedError):
        error.add_note(
            f"{_name_of(fn)}: a twin runs on the portal it was made on for its whole life, and that portal was shut "
            "down: make a new twin (construct its class again, or twin_of(obj) for its async object, which then "
            "gives a twin on the portal of use_portal, else the default portal); what the async object opened on "
            "the old loop (connections, a pool) is gone with that loop, so open it again (connect()) first"
        )
    elif runs_its_own_loop(error):
        note_own_loop(error, _name_of(fn))
    elif mentions_other_loop(error):
        drop_portal_note(error)  # Portal.run's note, less precise than this one
        error.add_note(
            f"{_name_of(fn)}: its async object uses another event loop than its twin's portal: it was probably "
            "made outside that loop (in sync code, where its constructor took another loop, as "
            "grpc.aio.insecure_channel() does), or on another portal's loop and then twinned under this one; "
            "make it on the portal the twin uses: twin_of(dualio.run(make())) with an async def make() that "
            "returns it (with use_portal(p) and p.run for another portal), or construct its twin class, which "
            "creates it on the loop"
        )


async def _invoke_for(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``_invoke`` for ``for x in twin.m(...)``: an async iterable result is not awaited, even if awaitable.

    What ``async for x in obj.m(...)`` iterates: asyncpg's ``con.cursor(query)``, which is also awaitable (to a
    ``Cursor`` that is not iterable), is iterated.
    """
    result = fn(*args, **kwargs)
    if inspect.isawaitable(result) and not _registry.async_iterable(type(result)):
        awaitable = awaitable_in_fact(result)
        return result if awaitable is None else await awaitable
    return result


def _iterated(twin: Twin[Any], value: Any) -> Any:
    """What ``for`` gets from a call's result ``value``: an async iterable is iterated on the loop, items mapped."""
    if type(value) not in _PLAIN and _registry.async_iterable(type(value)):
        return _registry.iterate_mapped(twin._dualio_portal, value, timeout_for(twin), twin)
    return _result(twin, value)


def call(twin: Twin[Any], fn: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any) -> Any:
    """Run the ``async def`` method ``fn`` of the twin's async object on its portal and return the mapped result.

    The coroutine object is created in the calling thread (no code of ``fn`` runs there) and run with
    ``Portal.run``: TimeoutError, KeyboardInterrupt, DeadlockError and PortalClosedError come from there.
    When the caller puts the result straight into ``with`` (``with twin.m() as x:``), the result's
    ``__aenter__`` runs in the same round trip (see ``_entering``); ``x`` is what the ``with`` would give.
    A closed twin refuses, except ``wait_closed()``, which waits for the close that ``close()`` started.
    """
    if twin._dualio_closed and fn.__name__ not in _AFTER_CLOSE:
        raise closed_error(twin, f"{fn.__name__}()")
    if args:
        args = _unwrap(args)
    if kwargs:
        kwargs = _unwrap_kwargs(kwargs)
    frame = _getframe(2)
    if speculated and not args and not kwargs:  # the body of a whole block: it ran in the with line's trip
        block = take(frame, twin)
        if block is not None:
            if block.error is not None:
                raise block.error
            return _result(twin, block.value)
    if enters_at_once(frame):  # `with twin.m(...)`: the call and __aenter__ in one round trip
        return _call_and_enter(twin, fn, args, kwargs, frame)
    if open_withs:  # `body = twin.m()` ending a merged `with`: the call and __aexit__ in one round trip
        entered = leaving_with(frame)
        if entered is not None and entered.portal is twin._dualio_portal:
            return _call_and_leave(twin, fn, args, kwargs, entered)
    overrides = _timeouts.get()
    own = twin._dualio_own and twin._dualio_own.get(fn.__name__)
    try:
        result = twin._dualio_portal.run(
            own(*args, **kwargs) if own else fn(twin._dualio_obj, *args, **kwargs),
            timeout=timeout_for(twin) if overrides else twin._dualio_timeout,
        )
    except Exception as error:
        if isinstance(error, TimeoutError):
            _name_the_class_called(error, fn, twin)
        elif isinstance(error, (RuntimeError, ValueError)) or mentions_other_loop(error):
            _explain_loop_error(error, fn)  # also a library's error raised from asyncio's (taskiq's)
        if _chained:
            _note_unawaited_chain(twin, error)
        _note_closed_ancestor(twin, error)
        raise
    if type(result) in _PLAIN:
        return result if type(result) not in _CONTAINERS else _result(twin, result)
    if _registry.async_iterable(type(result)) and iterates_at_once(frame):  # `for x in twin.m(...)`: iterate it
        return _iterated(twin, result)
    return _result(twin, result)


def _call_and_enter(
    twin: Twin[Any], fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], frame: FrameType
) -> Any:
    """``with twin.m(...)``: run ``m`` and ``__aenter__`` of its result in one round trip; see ``_entering``.

    Both halves of the ``with`` run in one copy of the caller's context, as with ``Portal.enter``. The call and
    ``__aenter__`` share one timeout (the one in force now); ``__aexit__`` gets the one in force when it runs.
    When the block's body is one method call on what it enters (``_whole_block``), that call and ``__aexit__``
    run in the same round trip, under the same timeout. A timeout names ``fn`` (and the body's method).
    """
    portal = twin._dualio_portal
    context = contextvars.copy_context()
    body = block_method(frame)
    call_args = (twin._dualio_obj, *args)
    name = _called_name(fn, twin)  # (a `with` is no plain call's fast path: named before, not on the error path)
    if body is None:
        outcome = _run(portal, run_enter_and_hold(portal, fn, call_args, kwargs), name, timeout_for(twin), context)
    else:
        method_name, call_lasti = body
        coro = run_whole_block(portal, fn, call_args, kwargs, method_name, contextvars.copy_context())
        name = f"{name} (with its block's .{method_name}() and __aexit__)"
        outcome = _run(portal, coro, name, timeout_for(twin), context)
        if type(outcome) is Entered and outcome.block is not None:
            return BlockResult(_result(twin, outcome.value), outcome.block, call_lasti)
    if type(outcome) is not Entered:
        return _result(twin, outcome)
    held = outcome.held
    assert held is not None
    exit_name = f"{type(outcome.async_cm).__qualname__}.__aexit__"

    def exit_(exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        return bool(_run(portal, held.leave_call(exc_type, exc, tb), exit_name, timeout_for(twin)))

    def abandon() -> None:  # never entered (see EnteredResult): exit without waiting, from whatever thread
        with contextlib.suppress(PortalClosedError):
            portal.submit(named(held.leave_call(None, None, None), exit_name))

    return EnteredResult(_result(twin, outcome.value), exit_, abandon, portal, held)


def _call_and_leave(
    twin: Twin[Any], fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], entered: EnteredResult
) -> Any:
    """The last statement of a merged ``with`` block: run ``m`` and the block's ``__aexit__`` in one round trip.

    See ``_leaving``. The call runs in a copy of the caller's context, as any call; ``__aexit__`` in the block's
    own, as ``__exit__`` would run it; both under the timeout in force now. What ``__aexit__`` raised is kept
    for ``__exit__`` to raise.
    """
    coro = call_then_exit(fn, (twin._dualio_obj, *args), kwargs, entered)
    name = f"{_name_of(fn)} (then __aexit__ of its with block)"
    value, entered.exit_error = _run(twin._dualio_portal, coro, name, timeout_for(twin))
    return _result(twin, value)


def call_sync(twin: Twin[Any], fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run the sync method ``fn`` on the loop; an awaitable it returns is awaited there. Mapped like ``call``.

    In ``with twin.m(...) as x:``, a result that is an async context manager is entered in the same round trip,
    as ``async with obj.m(...) as x`` would (entered, not awaited, if it is also awaitable: aiohttp's ``get``).
    In ``for x in twin.m(...)`` (or a comprehension), an async iterable result is iterated, not awaited, as
    ``async for x in obj.m(...)`` would (asyncpg's ``cursor()``, also awaitable).
    """
    args, kwargs = _unwrap(args), _unwrap_kwargs(kwargs)  # (a closed twin runs it too: see Twin.close)
    frame = _getframe(2)
    if twin._dualio_closed:  # run, but an awaitable result is refused (see _invoke); nothing merged or iterated
        if _wraps_async_def(twin, fn):  # refused before its coroutine is made: no "never awaited" warning
            raise closed_error(twin, f"{fn.__name__}()")
        coro = _invoke(fn, (twin._dualio_obj, *args), kwargs, None, twin)
        return _result(twin, _run(twin._dualio_portal, coro, _name_of(fn), timeout_for(twin)))
    follows = after_call(frame)
    if follows == WITH:  # `with twin.m(...)`: the call and __aenter__ in one round trip
        return _call_and_enter(twin, fn, args, kwargs, frame)
    if follows == FOR:  # `for x in twin.m(...)`: an awaitable async iterable is iterated, not awaited
        coro = _invoke_for(fn, (twin._dualio_obj, *args), kwargs)
        return _iterated(twin, _run(twin._dualio_portal, coro, _name_of(fn), timeout_for(twin)))
    own = twin._dualio_own and twin._dualio_own.get(fn.__name__)
    coro = _invoke(own, args, kwargs, frame) if own else _invoke(fn, (twin._dualio_obj, *args), kwargs, frame)
    try:
        value = _run(twin._dualio_portal, coro, _name_of(fn), timeout_for(twin))
    except Exception as error:
        if isinstance(error, TimeoutError):
            _name_the_class_called(error, fn, twin)
        else:  # httpx's Response.read() of a stream: its aread() is the twin's way
            note_async_counterpart(error, type(twin._dualio_obj), fn.__name__)
        if _chained:
            _note_unawaited_chain(twin, error)
        _note_closed_ancestor(twin, error)
        raise
    if type(value) is _Builder:  # `twin.m(...).name`: a builder chained on, not awaited
        return _built(value, twin._dualio_portal, twin)
    return _result(twin, value)


def _wraps_async_def(twin: Twin[Any], fn: Callable[..., Any]) -> bool:
    """Whether the sync method ``fn`` of a closed twin is a ``functools.wraps`` wrapper of an ``async def``
    (asyncssh's ``@async_context_manager`` methods), itself or as the async object's class defines the name
    (a generated twin may call it through the instance, ``_support.through_instance``); not ``wait_closed``."""
    if fn.__name__ in _AFTER_CLOSE:
        return False
    defined = inspect.getattr_static(type(twin._dualio_obj), fn.__name__, None)
    return _registry.is_async_def(fn) or _registry.is_async_def(getattr(defined, "__func__", defined))


def iterate(twin: Twin[Any], fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Return an iterator over the async generator method ``fn``; each item is fetched on the loop.

    Typed ``Any``, not ``Iterator[Any]``: generated code casts it to ``Iterator[T]``, a cast ``mypy --strict``
    would call redundant for ``T = Any``.

    The timeout in force now limits the wait for each item. Breaking out of the loop or closing the iterator
    ``aclose()``\\ s the async generator on the loop.
    """
    if twin._dualio_closed:
        raise closed_error(twin, f"{fn.__name__}()")
    agen = fn(twin._dualio_obj, *_unwrap(args), **_unwrap_kwargs(kwargs))  # runs no code of fn yet
    portal = twin._dualio_portal
    return _registry.iterate_mapped(portal, agen, timeout_for(twin), twin)


def iterate_self(twin: Twin[Any]) -> Iterator[Any]:
    """``iter(twin)`` for an async iterable: ``__aiter__``/``__anext__`` on the loop, ``aclose()`` on break."""
    if twin._dualio_closed:
        raise closed_error(twin, "__iter__()")
    return _registry.iterate_mapped(twin._dualio_portal, twin._dualio_obj, timeout_for(twin), twin)


async def _anext(obj: Any) -> Any:
    return await type(obj).__anext__(obj)


def next_item(twin: Twin[Any]) -> Any:
    """``next(twin)`` for an async iterator: one ``__anext__`` on the loop; its end raises ``StopIteration``."""
    if twin._dualio_closed:
        raise closed_error(twin, "__next__()")
    try:
        obj = twin._dualio_obj
        value = _run(twin._dualio_portal, _anext(obj), f"{type(obj).__qualname__}.__anext__", timeout_for(twin))
    except StopAsyncIteration:
        raise StopIteration from None
    return _result(twin, value)


async def _aexit(
    obj: Any, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
) -> bool | None:
    return await type(obj).__aexit__(obj, exc_type, exc, tb)  # type: ignore[no-any-return]


def enter(twin: Twin[Any]) -> Any:
    """``with twin`` for an async context manager: ``__aenter__`` on the loop; ``self`` maps back to the twin.

    The task that runs ``__aenter__`` holds the block open and runs ``__aexit__`` when ``exit`` tells it to
    (``dualio._hosting``), so both halves run in one task and one copy of the caller's context, as in
    ``async with``: a task group or cancel scope ``__aenter__`` opens can close (coredis 6), and a context
    variable ``__aenter__`` sets can be reset by ``__aexit__`` (tortoise-orm's ``in_transaction()``).
    """
    if twin._dualio_closed:
        raise closed_error(twin, "__enter__()")
    obj = twin._dualio_obj
    held = HeldBlock[Any](obj)
    portal = twin._dualio_portal
    name = f"{type(obj).__qualname__}.__aenter__"
    try:
        value = _run(portal, held.enter_and_hold(portal), name, timeout_for(twin))
    except Exception as error:
        if isinstance(error, (RuntimeError, ValueError)) or mentions_other_loop(error):
            _explain_loop_error(error, type(obj).__aenter__)
        raise
    try:
        twin._dualio_entered.append((threading.get_ident(), held))
    except AttributeError:
        twin._dualio_entered = [(threading.get_ident(), held)]
    return _result(twin, value)


def enter_self(twin: Twin[Any]) -> Any:
    """``with twin`` for an ``__aenter__`` that only returns ``self``: no round trip, the twin itself."""
    if twin._dualio_closed:
        raise closed_error(twin, "__enter__()")
    return twin


def exit(
    twin: Twin[Any], exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
) -> Any:  # bool | None: Any so that generated code's cast to __aexit__'s own type is never redundant
    """End ``with twin``: the task holding this thread's innermost open block runs ``__aexit__``, which may
    suppress the exception by returning true. With no block open here (``__exit__`` called by hand), the
    innermost one of any thread is left, and with none at all ``__aexit__`` runs alone, unless the twin is closed:
    then ``close()`` ran it (in the block, for a class with no closer but ``__aexit__``), and it does not run twice."""
    obj = twin._dualio_obj
    held = _open_block(getattr(twin, "_dualio_entered", None))
    if held is None and twin._dualio_closed:
        return None
    name = f"{type(obj).__qualname__}.__aexit__"
    coro = held.leave_call(exc_type, exc, tb) if held is not None else _aexit(obj, exc_type, exc, tb)
    return _run(twin._dualio_portal, coro, name, timeout_for(twin))


def _open_block(entered: list[tuple[int, HeldBlock[Any]]] | None) -> HeldBlock[Any] | None:
    """Take the innermost block open in this thread from ``entered`` (else the innermost of any thread)."""
    if not entered:
        return None
    me = threading.get_ident()
    mine: tuple[int, HeldBlock[Any]] | None = next((item for item in reversed(entered) if item[0] == me), None)
    if mine is None:
        entered[-1][1].check_can_end()
        return entered.pop()[1]
    mine[1].check_can_end()  # a block still open inside it: a RuntimeError, and this one stays open
    entered.remove(mine)  # by value, not index: another thread may pop its own block meanwhile
    return mine[1]


def close(twin: Twin[Any], /, *args: Any, **kwargs: Any) -> Any:
    """Close ``twin`` on its loop with the async object's ``aclose(*args, **kwargs)``, else ``close(...)``.

    Returns the closer's result, mapped as any call's (aiohttp's ``ClientWebSocketResponse.close(code=...)``
    returns a ``bool``); twins among the arguments reach it as their async objects. A class with neither method
    gets ``__aexit__(None, None, None)`` (if it has one) and None is returned; arguments are then a
    ``TypeError``. The twin is marked closed only once the closer returned: if it raises (or times out), the
    error propagates and the twin stays open, so ``close()`` may be called again. Closing a closed twin runs
    nothing, whatever the arguments, and returns the result of the close that closed it (so it is always of the
    closer's type; ``close(code=1000)`` of a websocket twin returns the same ``True`` again). Thread-safe: while
    one thread's close runs, another thread's waits for it, then returns its result (or, if it failed, tries
    itself); on the loop's own thread such a wait is a ``DeadlockError``, as any blocking call there.
    """
    while True:
        if twin._dualio_closed:
            return twin._dualio_close_result
        with _closing_lock:
            running = _closing.get(id(twin))
            if running is None:
                _closing[id(twin)] = mine = threading.Event()
        if running is None:
            break
        twin._dualio_portal._check_blocking_call("close")
        running.wait()
    try:
        return _close_now(twin, args, kwargs)
    finally:
        with _closing_lock:
            del _closing[id(twin)]
        mine.set()


def _close_now(twin: Twin[Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run the closer (see ``close``); mark the twin closed with its result once it returned."""
    obj = twin._dualio_obj
    cls = type(obj)
    method = closer_of(cls)
    if method is not None:
        coro = _invoke(method, (obj, *_unwrap(args)), _unwrap_kwargs(kwargs))
        result = _result(twin, _run(twin._dualio_portal, coro, _name_of(method), timeout_for(twin)))
    else:
        if ending_methods(cls):  # python-socketio's AsyncClient, aiocoap's Context: only disconnect()/shutdown()
            raise TypeError(cannot_close(twin))
        if args or kwargs:
            raise TypeError(
                f"{type(twin).__qualname__}.close() takes no arguments: {cls.__qualname__} has no aclose() or "
                "close() to pass them to"
            )
        if hasattr(cls, "__aexit__"):
            try:
                exit(twin, None, None, None)
            except Exception as error:
                error.add_note(
                    f"{type(twin).__qualname__}.close() ran {cls.__qualname__}.__aexit__(None, None, None), as "
                    f"{cls.__qualname__} has no aclose() or close(); an __aexit__ may expect its __aenter__ to "
                    f"have run: to close it that way, enter it first (`with {type(twin).__qualname__}(...) as x:`)"
                )
                raise
        result = None
    twin._dualio_close_result = result
    twin._dualio_closed = True
    keep(obj, _dualio_closed=True, _dualio_close_result=result)  # for a later twin of obj, if this one is dropped
    return result


async def _create(async_cls: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return async_cls(*args, **kwargs)


def construct(twin: Twin[Any], async_cls: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Create the async object of a new ``twin`` on the loop (so ``__init__`` may use the running loop).

    The object is ``async_cls(*args, **kwargs)``, never awaited, as in Python: an awaitable instance
    (``aiosqlite.Connection``, whose ``__aenter__`` is ``return await self``) is the object, to be entered with
    ``with`` or awaited with ``dualio.twin.awaited``. The portal is the one set by ``dualio.twin.use_portal`` in
    this context; else that of the twins among the arguments (``Session(engine)`` lives on its engine's loop),
    a ``ValueError`` if they are pinned to different portals; else the default portal.
    """
    portal = _portals.get() or _portal_of_arguments(async_cls, args, kwargs) or default_portal()
    coro = _create(async_cls, _unwrap(args), _unwrap_kwargs(kwargs))
    obj = _run(portal, coro, f"{_name_of(async_cls)}.__init__", timeout_for(None))
    twin._dualio_obj = obj
    twin._dualio_own = _registry.own_functions(obj)
    twin._dualio_portal = portal
    twin._dualio_timeout = None
    twin._dualio_closed = False
    twin._dualio_parent = None
    _registry.remember(twin)


def _portal_of_arguments(async_cls: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Portal | None:
    """The portal of the twins among a constructor's arguments (top level), if any; their async objects are
    bound to its loop, so the new object must be made there. ``ValueError`` if they are on different portals."""
    portals = {
        id(value._dualio_portal): value._dualio_portal for value in (*args, *kwargs.values()) if isinstance(value, Twin)
    }
    if len(portals) > 1:
        names = ", ".join(repr(portal.name) for portal in portals.values())
        raise ValueError(
            f"{_name_of(async_cls)}(...) was given twins pinned to different portals ({names}): their async objects "
            "belong to different event loops, and the new object can live on one only; make them on one portal, "
            "or choose one with `with dualio.twin.use_portal(portal):`"
        )
    return next(iter(portals.values()), None)


def call_class(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run a classmethod or staticmethod of an async class on the loop (awaited if awaitable); map the result.

    Uses the portal of ``dualio.twin.use_portal``, else the default portal; an async object it returns is
    pinned to that portal. In ``for x in Cls.m(...)`` (or a comprehension), an async iterable result is
    iterated, not awaited, as ``async for x in AsyncCls.m(...)`` would, even if it is also awaitable.
    """
    portal = _portals.get() or default_portal()
    args, kwargs = _unwrap(args), _unwrap_kwargs(kwargs)
    frame = _getframe(2)
    if after_call(frame) == FOR:
        value = _run(portal, _invoke_for(fn, args, kwargs), _name_of(fn), timeout_for(None))
        if type(value) not in _PLAIN and _registry.async_iterable(type(value)):
            return _registry.iterate_mapped(portal, value, timeout_for(None))
        return _registry.to_sync(value, portal, None)
    result = _run(portal, _invoke(fn, args, kwargs, frame), _name_of(fn), timeout_for(None))
    if type(result) is _Builder:  # `Cls.m(...).name`: a builder chained on (`Item.filter(...).order_by(...)`)
        return _built(result, portal, None)
    return _registry.to_sync(result, portal, None)


def class_attribute(async_cls: type, name: str) -> Any:
    """Read ``name`` on ``async_cls`` in the calling thread (a member of its metaclass, ormar's ``objects``) and
    map the value as :func:`call_class` maps a result: an async object becomes its twin, pinned to the portal of
    ``use_portal``, else the default portal."""
    return class_elements(_registry.to_sync(getattr(async_cls, name), _portals.get() or default_portal(), None))


def class_elements(result: Any) -> Any:
    """A run-time twin's class-level call result with the elements of a ``list``, ``tuple`` or ``dict`` mapped, one
    level deep (as :func:`_result` maps an instance's), on the portal that :func:`call_class` used."""
    if type(result) not in _CONTAINERS or not result:
        return result
    portal = _portals.get() or default_portal()
    return _registry.map_elements(result, lambda element: _registry.to_sync(element, portal, None))


def get_attribute(twin: Twin[Any], name: str) -> Any:
    """Read attribute or property ``name`` of the async object, in the calling thread; map the value.

    A property whose getter is an ``async def`` (Playwright's ``EventInfo.value``) gives a coroutine, which is
    awaited on the loop, as ``await obj.value`` would (under the twin's timeout); so is any coroutine read, and
    the awaitable that another descriptor over an ``async def`` gives (asyncstdlib's ``cached_property``).
    """
    obj = twin._dualio_obj
    value = getattr(obj, name)
    if type(value) is _CoroutineType or (
        hasattr(type(value), "__await__") and _registry.getter_is_async(type(obj), name)
    ):
        awaited = value if type(value) is _CoroutineType else _awaited(value)
        value = _run(twin._dualio_portal, awaited, f"{type(obj).__qualname__}.{name}", timeout_for(twin))
    return _result(twin, value)


_METHOD_LIKE = (types.MethodType, functools.partial, types.FunctionType)


def get_bound_callable(twin: Twin[Any], name: str) -> Any:
    """Read ``name`` through a class's descriptor that is not callable itself and binds in ``__get__`` (a
    class-based method decorator with no ``__call__``): a bound method, partial or function it gives is
    returned as a method of the twin, run on the loop as ``call_sync`` runs a sync method (an awaitable result
    awaited there); any other value as ``get_attribute`` gives it."""
    value = getattr(twin._dualio_obj, name)
    if not isinstance(value, _METHOD_LIKE):
        return get_attribute(twin, name)
    return loop_method(twin, value, f"{type(twin._dualio_obj).__qualname__}.{name}")


def loop_method(twin: Twin[Any], function: Callable[..., Any], qualname: str) -> Callable[..., Any]:
    """A method of ``twin`` that calls ``function`` (a callable its async object gave, bound already) on the
    loop, as ``call_sync`` runs a sync method: an awaitable result awaited there, the result mapped; errors and
    timeouts name ``qualname``."""

    def run(_obj: object, /, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    run.__name__, run.__qualname__ = qualname.rpartition(".")[2], qualname

    def method(*args: Any, **kwargs: Any) -> Any:
        return call_sync(twin, run, *args, **kwargs)  # the caller's frame is two up, as call_sync reads it

    method.__name__, method.__qualname__ = run.__name__, qualname
    return method


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def set_attribute(twin: Twin[Any], name: str, value: Any) -> None:
    """Set attribute or property ``name`` of the async object, in the calling thread (a twin is unwrapped)."""
    setattr(twin._dualio_obj, name, value._dualio_obj if isinstance(value, Twin) else value)
