"""``_support.given``: the arguments a generated twin's caller gave, among those with a default.

A generated twin method has the async method's signature, defaults included, and calls the async method. Passing
every parameter on would tell a decorator of the async method that all were given: redis-py's
``@experimental_args(["ifeq", ...])`` on ``set`` warned at each call, ``@deprecated_args`` on ``Redis.__init__``
at each client made. So the twin passes on a parameter with a default only if its value is not the
very object the twin's own default is: what the caller left out stays out, as in a call of the async method.
(Passing the default object itself explicitly is taken as leaving it out: the same call for the method.)

A stub (``.pyi``) may write a default as ``...`` (the value is not stated): the twin's default is then
``UNSTATED``, typed ``Any`` so that a type checker accepts it for any parameter type, and never passed on, so the
function's own default applies: a keyword's is left out of the call, and a positional one ends the positional
arguments passed (``stated``), since a caller cannot give a later one without it.
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ("UNSTATED", "given", "stated")

_MISSING = object()


class _Unstated:
    """The type of ``UNSTATED``: one object, shown as what it stands for in ``help()`` and signatures."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<the async method's own default>"


UNSTATED: Any = _Unstated()
"""The default of a twin's parameter whose stub writes ``= ...``: left out of the call, whatever its type."""
_defaults_of: dict[object, dict[str, object]] = {}  # the twin's functions: made once per generated class


def given(function: Any, /, **arguments: Any) -> dict[str, Any]:
    """Those of ``arguments`` (parameters of ``function``, a generated twin's method) that are not its default."""
    defaults = _defaults_of.get(function)
    if defaults is None:
        defaults = _defaults_of[function] = _defaults(function)
    return {name: value for name, value in arguments.items() if value is not defaults.get(name, _MISSING)}


def _defaults(function: Any) -> dict[str, object]:
    """Each parameter's default object, by name (a bound classmethod's function, a wrapper's wrapped one)."""
    unwrapped = inspect.unwrap(getattr(function, "__func__", function))
    code = unwrapped.__code__
    positional = code.co_varnames[: code.co_argcount]
    values = unwrapped.__defaults__ or ()
    found: dict[str, object] = dict(zip(positional[len(positional) - len(values) :], values, strict=True))
    found.update(unwrapped.__kwdefaults__ or {})
    return found


def stated(*values: Any) -> tuple[Any, ...]:
    """``values`` (positional arguments, in order) up to the first that is ``UNSTATED``: those the caller gave."""
    for index, value in enumerate(values):
        if value is UNSTATED:
            return values[:index]
    return values
