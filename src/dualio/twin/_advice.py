"""What a sync twin's user is told when a twin method is called inside a coroutine, where it would block.

On its own portal's loop thread the call would wait for itself (``DeadlockError``); on another running loop it
works but freezes that loop (``BlockingCallWarning``, or ``BlockingCallError`` under
``running_loop_policy="raise"``). The portal's own messages say to await the coroutine, but a twin's user holds
no coroutine. :func:`twin_call_hint`, installed as ``dualio._portal.call_hint``, finds the twin method among
the calling frames and names it, with the async object's equivalent. The portal calls it only when it refuses
or reports a call, so it costs nothing on the way of a normal call. A call that sync code run by the loop makes
(a callback a library calls on the loop thread) cannot await: its advice is to start the call as a task.
"""

from __future__ import annotations

import inspect
import os
import sys
from types import FrameType
from typing import Any

from dualio._portal import CallHint

from ._entering import enters_at_once

__all__ = ("twin_call_hint",)

_DUALIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_RUNTIME_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_runtime.py")
_UNWRAPPED = "dualio.twin.unwrap(twin)"
_ASYNC_CODE = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE

# The twin method that each ``_runtime`` function serves, where it is not ``fn.__name__`` (``call`` and friends).
_SERVES = {
    "enter": "__enter__",
    "exit": "__exit__",
    "exit_": "__exit__",
    "next_item": "__next__",
    "iterate_self": "__iter__",
    "construct": "__init__",
    "close": "close",
}


def twin_call_hint() -> CallHint | None:
    """Describe the blocking call being checked if a twin method made it (see the module docstring), else None.

    Looks only at dualio's own frames above the check: a portal call that the caller's code makes directly is
    not a twin call, even inside a twin method's coroutine on a lending portal.
    """
    frame: FrameType | None = sys._getframe(1)
    runtime = below = None
    while frame is not None and frame.f_code.co_filename.startswith(_DUALIO_DIR):
        if frame.f_code.co_filename == _RUNTIME_FILE:
            runtime = frame  # the outermost wins: the function that the twin method called
        below, frame = frame, frame.f_back
    if runtime is None:
        return None
    if frame is not None and below is runtime and _generated(frame):
        frame = frame.f_back  # ``frame`` is a generated twin method: its caller is the caller's code
    scope = runtime.f_locals
    twin = scope.get("twin", scope.get("self"))
    fn = scope.get("fn")
    method = _SERVES.get(runtime.f_code.co_name) or str(getattr(fn, "__name__", runtime.f_code.co_name))
    if twin is None:  # a class-level call: no twin, the async class's function
        api = str(getattr(fn, "__qualname__", method))
        form = f"await {api}(...)"
    else:
        api = type(twin).__qualname__ + ("" if method == "__init__" else f".{method}")
        form = _async_form(runtime.f_code.co_name, method, twin, scope)
        if frame is not None and runtime.f_code.co_name in ("call", "call_sync") and enters_at_once(frame):
            form = f"async with {_UNWRAPPED}.{method}(...) as ..."  # `with session.get(url) as r:`
    in_async_code = frame is not None and bool(frame.f_code.co_flags & _ASYNC_CODE)
    return CallHint(
        api,
        f"Inside a coroutine on that loop, use the async object instead: {form}"
        if in_async_code or frame is None
        else _from_loop_callback(form, frame, plain=runtime.f_code.co_name == "call_sync"),
        _AT_IMPORT
        if frame is not None and frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") != "__main__"
        else _constructed_elsewhere(api, form)
        if method == "__init__"
        else _on_another_loop(form),
        frame,
    )


def _on_another_loop(form: str) -> str:
    """Advice for a twin called in a coroutine of another loop than its own (a Jupyter cell, a FastAPI ``async
    def`` route): run the async object's call on the twin's portal and await that here. ``form`` alone (``await
    unwrap(twin).m(...)``) fails on this loop (aiohttp: "Timeout context manager should be used inside a task"),
    so it comes second."""
    if form.startswith("await "):
        awaited = f"await asyncio.wrap_future(dualio.twin.portal_of(twin).submit({form.removeprefix('await ')}))"
    else:
        awaited = (
            "await asyncio.wrap_future(dualio.twin.portal_of(twin).submit(coroutine)) with a coroutine that does "
            f"{form}"
        )
    return (
        f"run the async object's call on the twin's portal and await it here: {awaited} (the async object belongs "
        f"to the twin's loop: `{form}` works only in a coroutine running there); or call the twin from a worker "
        "thread: await asyncio.to_thread(...)"
    )


# For a twin made or called by a module's top-level code while the importing thread's loop runs: uvicorn imports
# the app inside its loop with --workers or --reload (not without), so one twin per worker made at import warned
# there with advice a module global cannot follow.
_AT_IMPORT = (
    "This module is being imported by code running in an event loop (uvicorn imports the app so with --workers "
    "or --reload); the call blocks that loop only while the module loads: make the twin on first use instead "
    "(a getter with functools.cache), or in the application's startup (a FastAPI lifespan: app.state.client = "
    "await asyncio.to_thread(SyncClient, ...), closed there before dualio is drained)"
)


def _constructed_elsewhere(api: str, form: str) -> str:
    """Advice for a twin made in async code on another loop (a FastAPI lifespan; it was told to
    use ``portal_of(twin)``, of a twin that does not exist yet)."""
    return (
        f"make the twin from a worker thread instead: twin = await asyncio.to_thread({api}, ...) (its sync code "
        f"then uses it as any twin), or use the async object on this loop: {form}"
    )


def _generated(frame: FrameType) -> bool:
    """Whether ``frame`` runs a method of a twin class written in its module (a generated twin's): the first part
    of its qualified name is a twin class there. Not so for ``__iter__``/``__next__`` of a twin built at run time,
    which are ``_runtime``'s functions themselves, called by the caller's code (the warning named
    the caller's caller, IPython's ``run_code``)."""
    from ._runtime import Twin  # here: _runtime imports this module

    owner, dot, _ = frame.f_code.co_qualname.partition(".")
    found = frame.f_globals.get(owner)
    return bool(dot) and isinstance(found, type) and issubclass(found, Twin)


def _from_loop_callback(form: str, frame: FrameType, *, plain: bool) -> str:
    """The advice for a twin call that sync code run by the loop itself makes: a callback a library calls on the
    loop thread (a pub/sub handler, a ``call_soon`` callback), which cannot ``await``. ``plain``: the twin method
    runs a plain ``def``, which the callback can call on the async object at once (it is on its loop)."""
    code = frame.f_code
    where = f"{code.co_qualname} ({os.path.basename(code.co_filename)}:{frame.f_lineno})"
    started = form.removeprefix("await ")
    if plain:
        call = form.partition(" (")[0]
        return (
            f"The caller, {where}, is sync code that the loop itself runs (a callback), so it cannot wait for the "
            f"loop; it is on the async object's loop, so call the plain method there directly: {call} (if that "
            "returns an awaitable, start it with asyncio.get_running_loop().create_task() instead of waiting)"
        )
    if started != form:
        start = f"start the call as a task and do not wait for it: asyncio.get_running_loop().create_task({started})"
    else:
        start = f"write a coroutine that does `{form}` and start it with asyncio.get_running_loop().create_task()"
    return (
        f"The caller, {where}, is sync code that the loop itself runs (a callback), so it cannot wait for the "
        f"loop: {start}; or, if the library takes an async callback, make it async and use: {form}"
    )


def _async_form(runner: str, method: str, twin: Any, scope: dict[str, Any]) -> str:
    """What async code writes for the twin call ``twin.method``, made through the ``_runtime`` function ``runner``."""
    if method == "__init__":
        return f"{getattr(scope.get('async_cls'), '__qualname__', 'the async class')}(...)"
    if method in ("__enter__", "__exit__"):
        return f"async with {_UNWRAPPED if runner != 'exit_' else 'the async object'}"
    if method in ("__iter__", "__next__"):
        return f"async for item in {_UNWRAPPED}"
    if runner == "iterate":
        return f"async for item in {_UNWRAPPED}.{method}(...)"
    if method == "close":
        async_cls = type(getattr(twin, "_dualio_obj", None))
        method = "aclose" if hasattr(async_cls, "aclose") else "close"
    if runner == "call_sync":  # a plain def of the async class: awaited only if what it returns is awaitable
        return f"{_UNWRAPPED}.{method}(...) (awaited if it returns an awaitable)"
    return f"await {_UNWRAPPED}.{method}(...)"
