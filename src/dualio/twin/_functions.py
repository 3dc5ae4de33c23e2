"""The twin of an ``async def`` function that a twin call returns.

A call may return a coroutine function: databases' ``Transaction.__call__`` decorates a function with an ``async
def`` wrapper (``@db.transaction()``), a factory may return an async callback. Given back as it is, calling it
in sync code made a coroutine that nothing awaited (the body never ran; Python's "never awaited" warning came
later, if at all). It comes back as a :class:`FunctionTwin` instead: calling it runs the function on its twin's
portal and blocks, as a twin method does (``call_sync``: timeouts, ``with``/``for`` at once, results mapped).
Passed back to async code through a twin call, it is the function again (every twin is unwrapped).
"""

from __future__ import annotations

from typing import Any

from ._runtime import Twin, _name_of, call_sync

__all__ = ("FunctionTwin",)


class FunctionTwin(Twin[Any]):
    """A blocking stand-in for an ``async def`` function or bound method a twin call returned; thread-safe."""

    __slots__ = ()

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        function = self._dualio_obj

        def run(_function: object, /, *call_args: Any, **call_kwargs: Any) -> Any:
            return function(*call_args, **call_kwargs)

        run.__qualname__ = _name_of(function)  # a timeout names the function
        return call_sync(self, run, *args, **kwargs)
