"""What ends an async object: its closer (``aclose``, else ``close``), the methods that end a class without one
(``disconnect()``, ``shutdown()``), and the error a closed twin raises. Read from the async class alone; the
twin runtime (``_runtime``) calls them when a twin is closed or used after ``close()``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._errors import TwinClosedError

if TYPE_CHECKING:
    from ._runtime import Twin

__all__ = ("cannot_close", "closed_error", "closer_of", "ending_methods", "required_parameters")


def closer_of(cls: type) -> Callable[..., Any] | None:
    """The async class's closer: ``aclose``, else ``close``; None if it has neither."""
    for name in ("aclose", "close"):
        method = getattr(cls, name, None)
        if callable(method):
            return method  # type: ignore[no-any-return]
    return None


def required_parameters(function: Callable[..., Any]) -> tuple[str, ...]:
    """The parameters after ``self`` that a call must give (none if the signature cannot be read)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())[1:]
    except (TypeError, ValueError):
        return ()
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return tuple(p.name for p in parameters if p.default is p.empty and p.kind not in variadic)


def closed_error(twin: Twin[Any], what: str) -> TwinClosedError:
    """The error of a call on a closed twin; ``what`` names the call (``"get()"``)."""
    # Leaving a `with` block closes only a twin whose class has no __aexit__ of its own to run (`Twin.__exit__`).
    how = "close()" if hasattr(type(twin._dualio_obj), "__aexit__") else "close() or by leaving its `with` block"
    return TwinClosedError(
        f"{type(twin).__qualname__}.{what} was called on a closed twin (it was closed by {how}); " + renew_advice(twin)
    )


def renew_advice(twin: Twin[Any]) -> str:
    """What to do instead of calling a closed twin: every twin of its async object stays closed (``twin_of`` of
    a module-level object gives the same closed twin back), so make a new object, or do not close a restartable
    one (a taskiq broker's ``shutdown()``/``startup()``)."""
    name = type(twin).__qualname__
    return (
        f"make a new one instead (construct {name}, or get one the way you got this one if that makes a new async "
        "object: a twin of the same object, twin_of() of it included, stays closed); to stop an object and start "
        "it again later, call its own methods for that (a broker's shutdown() and startup()), not close()"
    )


# Words in the names of methods that end a connection or a worker (checked only for a class with no closer).
_ENDING_WORDS = frozenset({"disconnect", "shutdown", "stop", "quit", "terminate", "dispose", "cleanup", "logout"})


def ending_methods(cls: type) -> list[str]:
    """The public methods of an async class with no ``aclose``, ``close`` or ``__aexit__`` that end it: named by
    an ending word (``disconnect``, ``shutdown``, ...), alone or as the first or last ``_``-separated word
    (``stop_polling``, ``graceful_shutdown``), and callable with no arguments. Empty for a class with a closer.
    Slack's ``team_externalTeams_disconnect(team_id=...)`` is an API call that needs arguments, not an end."""
    found = _endings.get(cls)
    if found is None:
        found = _endings[cls] = [] if closer_of(cls) is not None or hasattr(cls, "__aexit__") else _enders(cls)
    return found


def _enders(cls: type) -> list[str]:
    found = []
    for name in dir(cls):
        words = name.split("_")
        if name.startswith("_") or not (_ENDING_WORDS & {words[0], words[-1]}):
            continue
        member = getattr(cls, name, None)
        if callable(member) and not required_parameters(member):
            found.append(name)
    return found


_endings: dict[type, list[str]] = {}  # ending_methods, per class (a with block's end asks it each time)


def cannot_close(twin: Twin[Any]) -> str:
    """Why ``close()`` refuses a twin whose async class has nothing to close it with but methods that end it
    (``ending_methods``), and what to call instead: marking such a twin closed would run nothing and leave,
    say, aiocoap's transports open without a word."""
    cls = type(twin._dualio_obj)
    ender = " or ".join(f"{name}()" for name in ending_methods(cls))
    name, async_name = type(twin).__qualname__, cls.__qualname__
    return (
        f"{name}.close() cannot end the {async_name}: it has no aclose(), close() or __aexit__; call {ender} on the "
        f"twin to end it (the twin is left open, as a with block's end leaves it)"
    )
