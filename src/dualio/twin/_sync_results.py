"""Sync generators and ``@contextmanager`` objects that an async object's methods return, as sync code gets them.

A sync generator method of an async class (gql's ``Client.subscribe``) returns a generator whose body runs when
it is iterated; iterated as it is, in the caller's thread, that body would use the async object off its loop.
:func:`stepped` runs each step on the portal's loop instead (one round trip per item), items mapped as any
result; closing it, or breaking out of a ``for``, closes the generator on the loop.

A ``@contextlib.contextmanager`` method (coredis' ``Redis.decoding()``, which sets context variables and yields
the client) is entered in the caller's thread, as before, so the context variables it sets are those of the
caller, which every later twin call copies; :class:`MappedContext` only maps what it gives to ``as`` (the client's
twin, not the async client).

Any other sync context manager (a class with ``__enter__``/``__exit__``) that a method of a twinned package
returns is that library's object: aiopg's ``Pool.cursor()`` returns one whose ``__exit__`` closes the cursor
and releases its connection to the pool, scheduling work on the pool's loop. :class:`LoopEnteredContext` runs
its ``__enter__`` and ``__exit__`` on the portal's loop, what it gives to ``as`` mapped (the cursor's twin).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Generator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from dualio.errors import PortalClosedError

if TYPE_CHECKING:
    from dualio._portal import Portal

_DONE = object()

# What a library's sync wrapper says when it would run its own loop where one runs: asyncio.run's, gql's,
# loop.run_until_complete's (pydantic-ai's run_sync), pydantic-ai's run_stream_sync's.
_OWN_LOOP_WORDS = (
    "cannot be called from a running event loop",
    "if an asyncio loop is running",
    "event loop is already running",
    "from within an async context or a running event loop",
)


def runs_its_own_loop(error: BaseException) -> bool:
    """Whether ``error`` says a sync wrapper could not run its own loop (gql's is an ``AssertionError``)."""
    return isinstance(error, (RuntimeError, AssertionError)) and any(words in str(error) for words in _OWN_LOOP_WORDS)


def note_own_loop(error: BaseException, name: str) -> None:
    """Say what to call instead of ``name``, a library's sync method that runs its own event loop."""
    error.add_note(
        f"{name}() is a sync method that runs its own event loop; a twin runs every method on its portal's loop, "
        "where that cannot work: call the async method it wraps through the twin instead (aiosmtplib: "
        "smtp.sendmail(...), not smtp.sendmail_sync(...); gql: client.execute_async(...), or execute() of the "
        "session that `with client as session` gives; pydantic-ai: agent.run(...), not agent.run_sync(...))"
    )


def note_async_counterpart(error: BaseException, cls: type, name: str) -> None:
    """Say which async method to call when ``cls``'s sync method ``name`` failed and ``cls`` has an async one of
    the same name with an ``a`` (or ``async_``) in front: httpx's ``Response.iter_bytes()`` on a streamed response
    raises "Attempted to call a sync iterator on an async stream"; its twin's ``aiter_bytes()`` is what works.
    Only on the error path, once per error."""
    for counterpart in (f"a{name}", f"async_{name}"):
        member = inspect.getattr_static(cls, counterpart, None)
        if inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member):
            how = "iterate it with for" if inspect.isasyncgenfunction(member) else "it blocks until it is done"
            error.add_note(
                f"{cls.__qualname__}.{name}() is a sync method of the async class, run as it is; its async "
                f"counterpart is {counterpart}(): on the twin, call that ({how})"
            )
            return


def stepped(
    portal: Portal, generator: Generator[Any, Any, Any], timeout: float | None, mapped: Callable[[Any], Any]
) -> Iterator[Any]:
    """Iterate over ``generator`` with each step run on ``portal``'s loop (waited up to ``timeout``), each item
    passed through ``mapped``."""
    finished = False
    frame = getattr(generator, "gi_frame", None)  # the method's `self`, read before it runs (for an error's note)
    owner = frame.f_locals.get("self") if frame is not None else None
    try:
        while True:
            try:
                item = portal.run(_step(generator), timeout=timeout)
            except Exception as error:
                if runs_its_own_loop(error):  # gql's Client.subscribe(): a sync generator that runs a loop
                    note_own_loop(error, getattr(generator, "__qualname__", "the generator"))
                elif owner is not None:
                    note_async_counterpart(error, type(owner), getattr(generator, "__name__", ""))
                raise
            if item is _DONE:
                finished = True
                return
            yield mapped(item)
    finally:
        if not finished:
            with contextlib.suppress(PortalClosedError):
                portal.run(_close(generator), timeout=timeout)


async def _step(generator: Generator[Any, Any, Any]) -> Any:
    try:
        return next(generator)
    except StopIteration:
        return _DONE


async def _close(generator: Generator[Any, Any, Any]) -> None:
    generator.close()


class MappedContext:
    """A sync context manager entered in the caller's thread, with what it gives to ``as`` passed through
    ``mapped``."""

    __slots__ = ("_cm", "_mapped")

    def __init__(self, cm: contextlib.AbstractContextManager[Any], mapped: Callable[[Any], Any]) -> None:
        self._cm = cm
        self._mapped = mapped

    def __enter__(self) -> Any:
        return self._mapped(self._cm.__enter__())

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        return self._cm.__exit__(exc_type, exc, tb)


class LoopEnteredContext:
    """A sync context manager of an async library, entered and exited on the portal's loop (each half waited up
    to ``timeout``), what it gives to ``as`` passed through ``mapped``."""

    __slots__ = ("_cm", "_mapped", "_portal", "_timeout")

    def __init__(
        self,
        portal: Portal,
        cm: contextlib.AbstractContextManager[Any],
        timeout: float | None,
        mapped: Callable[[Any], Any],
    ) -> None:
        self._portal = portal
        self._cm = cm
        self._timeout = timeout
        self._mapped = mapped

    def __enter__(self) -> Any:
        return self._mapped(self._portal.run(_enter(self._cm), timeout=self._timeout))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        return self._portal.run(_exit(self._cm, exc_type, exc, tb), timeout=self._timeout)


async def _enter(cm: contextlib.AbstractContextManager[Any]) -> Any:
    return cm.__enter__()


async def _exit(
    cm: contextlib.AbstractContextManager[Any],
    exc_type: type[BaseException] | None,
    exc: BaseException | None,
    tb: TracebackType | None,
) -> bool | None:
    return cm.__exit__(exc_type, exc, tb)
