"""The default portal behind ``dualio.run`` and friends: created once, on first use, per process.

It is recreated after ``dualio.shutdown()`` and in a forked child. Settings made with :func:`configure` apply
to it and to every default portal created later.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterable, Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, Literal, TypeVar, TypeVarTuple, Unpack, overload

from ._policy import RunningLoopPolicy, check_policy
from ._portal import LoopFactory, Portal, check_lend_grace, check_lend_loop
from ._validate import check_timeout, discard
from .errors import PortalClosedError

__all__ = ("configure", "default_portal", "enter", "iterate", "run", "run_async_task", "shutdown", "submit")

T = TypeVar("T")
E = TypeVar("E", bound=bool | None)  # what an async context manager's __aexit__ returns
Ts = TypeVarTuple("Ts")

DEFAULT_PORTAL_NAME = "dualio-default"
_settings: dict[str, Any] = {}
_default: Portal | None = None
_lock = threading.Lock()


def default_portal() -> Portal:
    """Return the default portal, creating it if there is none or the last one was shut down.

    Thread-safe: concurrent first calls create exactly one portal. Its thread starts on first use.
    """
    portal = _default
    if portal is not None and not portal.closed:
        return portal
    return _replace_default()


def _replace_default() -> Portal:
    global _default
    with _lock:
        if (
            _default is not None
            and _default._shut_at_exit
            and threading.current_thread() is not threading.main_thread()
        ):
            # A thread left running at exit (a daemon thread): a new portal would never be drained, and its
            # calls would race the interpreter's end. The main thread's atexit handlers still get one.
            raise PortalClosedError(_default._closed_message())
        if _default is None or _default.closed:
            _default = Portal(DEFAULT_PORTAL_NAME, **_settings)
        return _default


def configure(
    *,
    loop_factory: LoopFactory | None = None,
    running_loop_policy: RunningLoopPolicy | None = None,
    drain_timeout: float | None = None,
    cancel_grace: float | None = None,
    lend_loop: bool | None = None,
    lend_grace: float | None = None,
) -> None:
    """Change the settings of the default portal (see :class:`Portal` for each); ``None`` leaves one as is.

    ``running_loop_policy``, ``drain_timeout``, ``cancel_grace``, ``lend_loop`` and ``lend_grace`` apply at
    once. ``loop_factory`` applies to the next default portal: changing it while one runs raises
    ``RuntimeError`` (call ``shutdown()`` first).
    """
    changes: dict[str, Any] = {}
    if lend_loop is not None:
        changes["lend_loop"] = check_lend_loop(lend_loop)
    if lend_grace is not None:
        changes["lend_grace"] = check_lend_grace(lend_grace)
    if running_loop_policy is not None:
        changes["running_loop_policy"] = check_policy(running_loop_policy)
    if drain_timeout is not None:
        check_timeout(drain_timeout, "configure")
        changes["drain_timeout"] = drain_timeout
    if cancel_grace is not None:
        check_timeout(cancel_grace, "configure")
        changes["cancel_grace"] = cancel_grace
    with _lock:
        portal = _default if _default is not None and not _default.closed else None
        if loop_factory is not None:
            if not callable(loop_factory):
                raise TypeError(f"loop_factory must be a callable returning an event loop, got {loop_factory!r}")
            if portal is not None and portal.statistics().running and loop_factory is not portal._loop_factory:
                raise RuntimeError(
                    "the default portal is already running its loop; call dualio.shutdown() "
                    "before changing loop_factory"
                )
            if portal is not None:
                portal._loop_factory = loop_factory  # created but not started yet: it takes the new factory
            changes["loop_factory"] = loop_factory
        _settings.update(changes)
        if portal is not None:
            for key, value in changes.items():
                if key != "loop_factory":
                    setattr(portal, key, value)


@overload
def run(aw: Awaitable[T], /, *, timeout: float | None = None) -> T: ...
@overload
def run(fn: Callable[[Unpack[Ts]], Awaitable[T]], /, *args: *Ts, timeout: float | None = None) -> T: ...
def run(aw_or_fn: Any, /, *args: Any, timeout: float | None = None) -> Any:  # type: ignore[misc]  # mypy: TypeVarTuple overloads
    """Run a coroutine (or an async function with ``args``) on the default portal; see :meth:`Portal.run`."""
    return default_portal().run(aw_or_fn, *args, timeout=timeout)


@overload
def submit(aw: Awaitable[T], /, *, timeout: float | None = None) -> Future[T]: ...
@overload
def submit(fn: Callable[[Unpack[Ts]], Awaitable[T]], /, *args: *Ts, timeout: float | None = None) -> Future[T]: ...
def submit(aw_or_fn: Any, /, *args: Any, timeout: float | None = None) -> Future[Any]:  # type: ignore[misc]  # mypy: TypeVarTuple overloads
    """Start a coroutine on the default portal and return its future; see :meth:`Portal.submit`."""
    return default_portal().submit(aw_or_fn, *args, timeout=timeout)


def iterate(async_iterable: AsyncIterable[T], *, timeout: float | None = None) -> Iterator[T]:
    """Iterate over an async iterable from sync code; see :meth:`Portal.iterate`."""
    return default_portal().iterate(async_iterable, timeout=timeout)


def enter(async_cm: AbstractAsyncContextManager[T, E]) -> AbstractContextManager[T, E]:
    """Use an async context manager in a sync ``with``; see :meth:`Portal.enter`."""
    return default_portal().enter(async_cm)


def shutdown(timeout: float | None = None) -> None:
    """Shut the default portal down (see :meth:`Portal.shutdown`); the next call starts a new one."""
    global _default
    with _lock:
        portal = _default
        if portal is None:
            return
        portal._check_blocking_shutdown()
        _default = None
    portal.shutdown(timeout)


@overload
def run_async_task(task: Awaitable[T], timeout: float | None = None, fire_and_forget: Literal[False] = False) -> T: ...
@overload
def run_async_task(task: Awaitable[T], timeout: float | None, fire_and_forget: Literal[True]) -> Future[T]: ...
@overload
def run_async_task(
    task: Awaitable[T], timeout: float | None = None, *, fire_and_forget: Literal[True]
) -> Future[T]: ...
@overload
def run_async_task(
    task: Awaitable[T], timeout: float | None = None, fire_and_forget: bool = False
) -> T | Future[T]: ...
def run_async_task(task: Awaitable[Any], timeout: float | None = None, fire_and_forget: bool = False) -> Any:
    """Run ``task`` on the default portal: the signature of ``sincpro_async_worker.run_async_task``.

    Blocking (like :func:`run`) by default; with ``fire_and_forget=True`` it returns a
    ``concurrent.futures.Future`` at once (like :func:`submit`). Either way ``timeout`` cancels the task on the
    loop and ends in ``TimeoutError``. Switch from that library by changing the import.
    """
    if not isinstance(fire_and_forget, bool):  # callers may not be type-checked
        discard(task)  # type: ignore[unreachable, unused-ignore]  # (unused where warn_unreachable is off)
        raise TypeError(f"run_async_task(): fire_and_forget must be a bool, got {fire_and_forget!r}")
    if fire_and_forget:
        return submit(task, timeout=timeout)
    return run(task, timeout=timeout)


def _after_fork_in_child() -> None:
    global _default, _lock
    _default = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
