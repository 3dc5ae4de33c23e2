"""Attributes a decorator puts on a method, reached through the twin's method.

async_lru's ``@alru_cache`` gives a method ``cache_info()`` and ``cache_clear()``, tenacity's ``@retry`` gives it
``statistics`` and ``retry``, asyncstdlib's ``@lru_cache`` ``cache_info()``: async code reads them on the bound
method (``client.cached.cache_info()``). A twin's methods are functions of its class, which have none of them;
a member of the async class that has public attributes of its own is therefore given to the twin class as a
:class:`MethodWithAttributes`, whose bound form is still the twin's function (called as before, with no Python
frame of its own, so the ``with``/``for`` look-ups of ``_runtime`` see the caller) and which answers other
attributes from the async object's bound method:

- a function or method there (``cache_info``, ``cache_clear``) is run on the loop when called, as a sync method
  of the twin is (``_runtime.call_sync``: an awaitable result is awaited there, the result mapped);
- anything else is read in the calling thread and mapped as any attribute a twin reads: a plain value
  (tenacity's ``statistics``) as it is, an async object (the cache object aiocache's ``@cached`` puts on the
  method) as its twin (returned as it was, ``p.price.cache.clear()`` would make a coroutine that never runs).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

from . import _runtime

__all__ = ("MethodWithAttributes", "has_own_attributes")

_FUNCTION_ATTRIBUTES = frozenset(vars(lambda: None)) | {"__wrapped__"}
_FUNCTIONS = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.BuiltinMethodType)


def has_own_attributes(member: object) -> bool:
    """Whether the class member ``member`` has public attributes beyond a function's: a decorator's object
    (``alru_cache``'s wrapper, whose class gives ``cache_info``) or a function it set attributes on (tenacity)."""
    if isinstance(member, (staticmethod, classmethod, property, type)):
        return False
    if isinstance(member, types.FunctionType):
        return any(not name.startswith("_") for name in vars(member).keys() - _FUNCTION_ATTRIBUTES)
    return callable(member) and any(not name.startswith("_") for name in dir(member))


class MethodWithAttributes:
    """A twin class's method (``function``, whose name on the async class is ``name``) that also forwards
    attribute reads to the async object's bound method of that name. Thread-safe as the twin's other members."""

    def __init__(self, function: Callable[..., Any], name: str) -> None:
        self.function = function
        self.name = name
        for attribute in ("__name__", "__qualname__", "__doc__"):  # the member keeps its name and docstring
            setattr(self, attribute, getattr(function, attribute, None))

    def __get__(self, twin: _runtime.Twin[Any] | None, owner: type | None = None) -> Any:
        if twin is None:
            return self.function
        return _Bound(self.function, twin, name=self.name)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name


class _Bound(functools.partial[Any]):
    """``function`` bound to a twin (a C partial, so calling it adds no Python frame), with the async object's
    bound method's attributes."""

    def __new__(cls, function: Callable[..., Any], twin: _runtime.Twin[Any], *, name: str) -> _Bound:
        bound = super().__new__(cls, function, twin)
        bound.__dict__["_dualio_name"] = name
        return bound

    def __getattr__(self, attribute: str) -> Any:
        twin: _runtime.Twin[Any] = self.args[0]
        name: str = self.__dict__["_dualio_name"]
        value = getattr(getattr(twin._dualio_obj, name), attribute)
        if not isinstance(value, _FUNCTIONS):  # mapped as any attribute a twin reads (aiocache's `cached.cache`)
            return _runtime._result(twin, value)

        return _runtime.loop_method(twin, value, f"{type(twin._dualio_obj).__qualname__}.{name}.{attribute}")

    def __repr__(self) -> str:
        return f"<bound method {self.func.__qualname__} of {self.args[0]!r}>"
